"""Image file IO and flow_from_directory on a tree of tiny PNGs written with Pillow
(pure numpy and Pillow: no engine)."""

import numpy as np
import pytest

from keras_bridge.preprocessing import image
from keras_bridge.preprocessing.image import DataFrameIterator, ImageDataGenerator

CL = "channels_last"


def _png(path, rgb):
    from PIL import Image
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.asarray(rgb, dtype="uint8")).save(path)


def _tree(root):
    """cats: 3 images (one in a nested folder), dogs: 2; plus a non-image file. Every
    pixel of an image holds its own colour, so a batch tells which files it read."""
    colours = {"cats/a.png": (10, 20, 30), "cats/b.png": (40, 50, 60),
               "cats/deep/c.png": (70, 80, 90), "dogs/x.png": (100, 110, 120),
               "dogs/y.PNG": (130, 140, 150)}
    for name, colour in colours.items():
        _png(root / name, np.tile(np.array(colour, dtype="uint8"), (4, 6, 1)))
    (root / "dogs" / "notes.txt").write_text("not an image")
    return colours


@pytest.fixture
def tree(tmp_path):
    colours = _tree(tmp_path / "data")
    return tmp_path / "data", colours


def _flow(root, **kwargs):
    kwargs.setdefault("shuffle", False)
    kwargs.setdefault("target_size", (4, 6))
    return ImageDataGenerator(data_format=CL).flow_from_directory(str(root), **kwargs)


def test_directory_lists_classes_and_files_in_order(tree, capsys):
    root, colours = tree
    it = _flow(root, batch_size=5)
    assert "Found 5 images belonging to 2 classes." in capsys.readouterr().out
    assert it.class_indices == {"cats": 0, "dogs": 1}
    assert it.filenames == ["cats/a.png", "cats/b.png", "cats/deep/c.png", "dogs/x.png",
                            "dogs/y.PNG"]
    np.testing.assert_array_equal(it.classes, [0, 0, 0, 1, 1])
    x, y = it[0]
    assert x.shape == (5, 4, 6, 3) and x.dtype == np.float32
    np.testing.assert_array_equal(x[:, 0, 0], [colours[f] for f in it.filenames])
    np.testing.assert_array_equal(y, np.eye(2)[[0, 0, 0, 1, 1]])


def test_directory_class_modes(tree):
    root, _ = tree
    x, y = _flow(root, class_mode="binary", batch_size=5)[0]
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1])
    _, y = _flow(root, class_mode="sparse", batch_size=5)[0]
    np.testing.assert_array_equal(y, [0, 0, 0, 1, 1])
    x, y = _flow(root, class_mode="input", batch_size=5)[0]
    np.testing.assert_array_equal(x, y)
    only = _flow(root, class_mode=None, batch_size=5)[0]
    assert isinstance(only, np.ndarray) and only.shape == (5, 4, 6, 3)


def test_directory_classes_argument_sets_order_and_selection(tree):
    root, colours = tree
    it = _flow(root, classes=["dogs", "cats"], batch_size=5)
    assert it.class_indices == {"dogs": 0, "cats": 1}
    assert it.filenames[:2] == ["dogs/x.png", "dogs/y.PNG"]
    np.testing.assert_array_equal(it[0][1], np.eye(2)[[0, 0, 1, 1, 1]])
    only_dogs = _flow(root, classes=["dogs"], batch_size=5)
    assert only_dogs.n == 2 and only_dogs.num_classes == 1


def test_directory_target_size_color_modes_and_channels_first(tree):
    root, colours = tree
    x, _ = _flow(root, target_size=(2, 3), batch_size=5)[0]
    assert x.shape == (5, 2, 3, 3)
    gray, _ = _flow(root, color_mode="grayscale", batch_size=5)[0]
    assert gray.shape == (5, 4, 6, 1)
    r, g, b = colours["cats/a.png"]
    assert abs(gray[0, 0, 0, 0] - (r * 299 + g * 587 + b * 114) / 1000) <= 1  # ITU-R 601-2
    rgba, _ = _flow(root, color_mode="rgba", batch_size=5)[0]
    assert rgba.shape == (5, 4, 6, 4)
    np.testing.assert_array_equal(rgba[:, 0, 0, 3], 255)
    first = ImageDataGenerator(data_format="channels_first").flow_from_directory(
        str(root), target_size=(4, 6), shuffle=False, batch_size=5)
    xf, _ = first[0]
    assert xf.shape == (5, 3, 4, 6)
    np.testing.assert_array_equal(xf.transpose(0, 2, 3, 1), _flow(root, batch_size=5)[0][0])


def test_directory_validation_split_per_class(tree):
    root, _ = tree
    gen = ImageDataGenerator(validation_split=0.5, data_format=CL)
    val = gen.flow_from_directory(str(root), target_size=(4, 6), subset="validation",
                                  shuffle=False)
    train = gen.flow_from_directory(str(root), target_size=(4, 6), subset="training",
                                    shuffle=False)
    # Per class: int(0.5 * 3) = 1 and int(0.5 * 2) = 1 validation files, first in order.
    assert val.filenames == ["cats/a.png", "dogs/x.png"]
    assert train.filenames == ["cats/b.png", "cats/deep/c.png", "dogs/y.PNG"]


def test_directory_shuffle_seed_and_save_to_dir(tree, tmp_path):
    root, _ = tree
    out = tmp_path / "saved"
    out.mkdir()
    it = _flow(root, shuffle=True, seed=3, batch_size=2, save_to_dir=str(out),
               save_prefix="p", save_format="png")
    _, y = it[0]
    np.random.seed(3)
    order = np.random.permutation(5)
    np.testing.assert_array_equal(y.argmax(1), np.array([0, 0, 0, 1, 1])[order[:2]])
    saved = sorted(p.name for p in out.iterdir())
    assert len(saved) == 2 and all(n.startswith("p_") and n.endswith(".png") for n in saved)


def test_directory_follow_links(tree, tmp_path):
    root, _ = tree
    _png(tmp_path / "elsewhere" / "z.png", np.zeros((4, 6, 3)))
    (root / "dogs" / "linked").symlink_to(tmp_path / "elsewhere", target_is_directory=True)
    assert "dogs/linked/z.png" not in _flow(root).filenames
    assert "dogs/linked/z.png" in _flow(root, follow_links=True).filenames


def test_directory_errors(tree, tmp_path):
    root, _ = tree
    with pytest.raises(ValueError, match="class_mode.*Received: class_mode='multi'"):
        _flow(root, class_mode="multi")
    with pytest.raises(ValueError, match="color_mode.*Received: color_mode='cmyk'"):
        _flow(root, color_mode="cmyk")
    with pytest.raises(ValueError, match="not a directory"):
        _flow(tmp_path / "missing")
    with pytest.raises(ValueError, match="Class 'birds' has no subdirectory"):
        _flow(root, classes=["birds"])


# ---- data frames -------------------------------------------------------------------------
def test_flow_from_dataframe_without_pandas_says_what_to_install(monkeypatch, tree):
    import sys
    root, _ = tree
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="needs pandas.*pip install pandas"):
        ImageDataGenerator(data_format=CL).flow_from_dataframe({}, str(root))


def test_dataframe_iterator_reads_columns_of_a_frame_like_mapping(tree):
    root, colours = tree
    frame = {"filename": ["dogs/x.png", "cats/a.png", "cats/missing.png", "cats/a.png"],
             "class": ["dog", "cat", "cat", "cat"]}
    gen = ImageDataGenerator(data_format=CL)
    it = DataFrameIterator(frame, str(root), gen, target_size=(4, 6), shuffle=False,
                           data_format=CL)
    assert it.filenames == ["dogs/x.png", "cats/a.png"]  # missing and repeated dropped
    assert it.class_indices == {"cat": 0, "dog": 1}
    x, y = it[0]
    np.testing.assert_array_equal(x[:, 0, 0], [colours["dogs/x.png"], colours["cats/a.png"]])
    np.testing.assert_array_equal(y, [[0, 1], [1, 0]])
    stems = DataFrameIterator({"filename": ["dogs/y"], "score": [0.5]}, str(root), gen,
                              y_col="score", has_ext=False, class_mode="other",
                              target_size=(4, 6), data_format=CL)
    assert stems.filenames == ["dogs/y.PNG"]
    np.testing.assert_array_equal(stems[0][1], [0.5])


# ---- file IO -----------------------------------------------------------------------------
def test_save_img_and_load_img_round_trip(tmp_path):
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, 3)).astype("float32")
    image.save_img(str(tmp_path / "a.png"), pixels, data_format=CL, scale=False)
    img = image.load_img(str(tmp_path / "a.png"))
    assert img.size == (7, 5) and img.mode == "RGB"
    np.testing.assert_array_equal(image.img_to_array(img, CL), pixels)
    first = image.img_to_array(img, "channels_first")
    np.testing.assert_array_equal(first, pixels.transpose(2, 0, 1))
    image.save_img(str(tmp_path / "b.png"), first, data_format="channels_first", scale=False)
    np.testing.assert_array_equal(image.img_to_array(image.load_img(tmp_path / "b.png"), CL),
                                  pixels)
    small = image.load_img(str(tmp_path / "a.png"), target_size=(2, 3),
                           interpolation="bilinear")
    assert small.size == (3, 2)
    with pytest.warns(DeprecationWarning, match="color_mode='grayscale'"):
        gray = image.load_img(str(tmp_path / "a.png"), grayscale=True)
    assert gray.mode == "L" and image.img_to_array(gray, CL).shape == (5, 7, 1)


def test_array_to_img_scales_to_the_full_range():
    x = np.array([[[-1.], [0.], [1.]]])  # (1, 3, 1)
    img = image.array_to_img(x, data_format=CL)
    assert img.mode == "L"
    np.testing.assert_array_equal(np.asarray(img), [[0, 127, 255]])  # (x + 1) / 2 * 255
    rgba = image.array_to_img(np.full((2, 2, 4), 9.), data_format=CL, scale=False)
    assert rgba.mode == "RGBA" and np.asarray(rgba)[0, 0, 0] == 9


def test_list_pictures(tree):
    root, _ = tree
    found = image.list_pictures(str(root), ext="png")
    assert [p.split("data/")[1] for p in found] == ["cats/a.png", "cats/b.png",
                                                    "cats/deep/c.png", "dogs/x.png",
                                                    "dogs/y.PNG"]


def test_io_errors(tmp_path):
    with pytest.raises(ValueError, match=r"rank 3.*\(4, 4\)"):
        image.array_to_img(np.zeros((4, 4)))
    with pytest.raises(ValueError, match="Expected 1, 3 or 4 channels.*2 channels"):
        image.array_to_img(np.zeros((4, 4, 2)), data_format=CL)
    with pytest.raises(ValueError, match="data_format='NHWC'"):
        image.img_to_array(np.zeros((2, 2)), data_format="NHWC")
    _png(tmp_path / "a.png", np.zeros((2, 2, 3)))
    with pytest.raises(ValueError, match="interpolation.*Received: interpolation='cubic'"):
        image.load_img(str(tmp_path / "a.png"), target_size=(1, 1), interpolation="cubic")
    with pytest.raises(ValueError, match="color_mode"):
        image.load_img(str(tmp_path / "a.png"), color_mode="hsv")


def test_missing_pillow_names_the_extra(monkeypatch, tmp_path):
    import sys
    _png(tmp_path / "a.png", np.zeros((2, 2, 3)))
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError,
                       match=r"load_img\(\) requires Pillow.*keras-bridge\[image\]"):
        image.load_img(str(tmp_path / "a.png"))
