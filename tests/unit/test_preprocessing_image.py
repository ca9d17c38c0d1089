"""ImageDataGenerator's normalization and transforms against numpy references (pure
numpy: no engine), and its ``flow`` iterator's batches."""

import numpy as np
import pytest

from keras_bridge.preprocessing import image
from keras_bridge.preprocessing.image import ImageDataGenerator


def _images(shape=(6, 5, 4, 3), seed=0):
    return np.random.default_rng(seed).uniform(0, 255, shape).astype("float32")


# ---- standardize and fit -----------------------------------------------------------------
def test_rescale_and_preprocessing_function_order():
    x = _images((5, 4, 3), 1)
    out = ImageDataGenerator(rescale=0.5, preprocessing_function=lambda a: a + 1,
                             data_format="channels_last").standardize(x)
    np.testing.assert_allclose(out, (x + 1) * 0.5, rtol=1e-6)
    assert out is not x and out.dtype == np.float32


@pytest.mark.parametrize("data_format,axes,channel", [("channels_last", (0, 1, 2), 3),
                                                       ("channels_first", (0, 2, 3), 1)])
def test_featurewise_center_and_std_after_fit(data_format, axes, channel):
    x = _images((6, 5, 4, 3) if data_format == "channels_last" else (6, 3, 5, 4))
    gen = ImageDataGenerator(featurewise_center=True, featurewise_std_normalization=True,
                             data_format=data_format)
    gen.fit(x)
    x64 = x.astype(np.float64)
    mean = x64.mean(axis=axes, keepdims=True)
    std = (x64 - mean).std(axis=axes, keepdims=True)
    np.testing.assert_allclose(gen.mean, mean[0], rtol=1e-5)
    np.testing.assert_allclose(gen.std, std[0], rtol=1e-4)
    assert gen.mean.shape[channel - 1] == 3 and gen.mean.size == 3
    out = np.stack([gen.standardize(image) for image in x])
    np.testing.assert_allclose(out, (x64 - mean) / (std + 1e-6), rtol=1e-4, atol=1e-5)
    # Per channel the standardized data has mean 0 and std 1.
    np.testing.assert_allclose(out.mean(axis=axes), 0, atol=1e-5)
    np.testing.assert_allclose(out.std(axis=axes), 1, atol=1e-4)


def test_samplewise_center_and_std():
    x = _images((5, 4, 3), 2)
    gen = ImageDataGenerator(samplewise_center=True, samplewise_std_normalization=True,
                             data_format="channels_last")
    out = gen.standardize(x)
    x64 = x.astype(np.float64)
    np.testing.assert_allclose(out, (x64 - x64.mean()) / (x64.std() + 1e-6), rtol=1e-4,
                               atol=1e-5)


def test_zca_whitening_matches_numpy_svd():
    x = _images((10, 3, 3, 1), 3) / 255
    with pytest.warns(UserWarning, match="overrides the setting of `featurewise_center`"):
        gen = ImageDataGenerator(zca_whitening=True, zca_epsilon=1e-3,
                                 data_format="channels_last")
    gen.fit(x)
    flat = x.reshape(10, -1).astype(np.float64)
    flat = flat - flat.mean()  # one channel: one mean over all pixels
    sigma = flat.T @ flat / 10
    u, s, _ = np.linalg.svd(sigma)
    components = u @ np.diag(1 / np.sqrt(s + 1e-3)) @ u.T
    np.testing.assert_allclose(gen.principal_components, components, rtol=1e-4, atol=1e-5)
    out = np.stack([gen.standardize(image) for image in x]).reshape(10, -1)
    np.testing.assert_allclose(out, flat @ components, rtol=1e-3, atol=1e-4)


def test_unfitted_featurewise_warns_and_leaves_data():
    with pytest.warns(UserWarning):
        gen = ImageDataGenerator(featurewise_std_normalization=True,
                                 data_format="channels_last")
    assert gen.featurewise_center  # implied, as in Keras 2
    x = _images((4, 4, 1))
    with pytest.warns(UserWarning, match="hasn't|has not been fit"):
        np.testing.assert_array_equal(gen.standardize(x), x)


def test_fit_with_augmentation_uses_rounds_of_transformed_copies():
    x = _images((3, 4, 4, 1), 4)
    gen = ImageDataGenerator(featurewise_center=True, horizontal_flip=True,
                             data_format="channels_last")
    gen.fit(x, augment=True, rounds=2, seed=5)
    # Flips do not change a channel mean.
    np.testing.assert_allclose(gen.mean.ravel(), [x.astype(np.float64).mean()], rtol=1e-5)


# ---- transforms --------------------------------------------------------------------------
def _expected_flips(seed):
    """Keras 2's draws for a generator with flips only: two uniform numbers in order."""
    np.random.seed(seed)
    return np.random.random() < 0.5, np.random.random() < 0.5


@pytest.mark.parametrize("seed", range(6))
def test_flips_with_a_fixed_seed_are_exact(seed):
    x = _images((5, 4, 3), seed)
    gen = ImageDataGenerator(horizontal_flip=True, vertical_flip=True,
                             data_format="channels_last")
    horizontal, vertical = _expected_flips(seed)
    expected = x
    if horizontal:
        expected = np.flip(expected, 1)
    if vertical:
        expected = np.flip(expected, 0)
    np.testing.assert_array_equal(gen.random_transform(x, seed=seed), expected)


def test_flips_channels_first_use_the_right_axes():
    x = _images((3, 5, 4))
    gen = ImageDataGenerator(data_format="channels_first")
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_horizontal": True}),
                                  x[:, :, ::-1])
    np.testing.assert_array_equal(gen.apply_transform(x, {"flip_vertical": True}),
                                  x[:, ::-1, :])


@pytest.mark.parametrize("tx,ty", [(2, 0), (0, 1), (-1, 2), (1, -3)])
def test_whole_pixel_shift_with_constant_fill(tx, ty):
    x = _images((6, 7, 2), 7)
    gen = ImageDataGenerator(fill_mode="constant", cval=-1., data_format="channels_last")
    out = gen.apply_transform(x, {"tx": tx, "ty": ty})
    # Output pixel (r, c) reads input (r + tx, c + ty): the picture moves by (-tx, -ty).
    expected = np.roll(x, (-tx, -ty), axis=(0, 1))
    rows, cols = np.arange(6)[:, None] + tx, np.arange(7)[None, :] + ty
    outside = (rows < 0) | (rows >= 6) | (cols < 0) | (cols >= 7)
    expected[outside] = -1.
    np.testing.assert_allclose(out, expected, atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_rotation_by_90_degrees_is_rot90(data_format):
    x = _images((5, 5, 3), 8)
    if data_format == "channels_first":
        x = x.transpose(2, 0, 1)
    axes = (0, 1) if data_format == "channels_last" else (1, 2)
    gen = ImageDataGenerator(data_format=data_format)
    np.testing.assert_allclose(gen.apply_transform(x, {"theta": 90}),
                               np.rot90(x, -1, axes=axes), atol=1e-3)
    np.testing.assert_allclose(gen.apply_transform(x, {"theta": -90}),
                               np.rot90(x, 1, axes=axes), atol=1e-3)


def test_zoom_is_about_the_centre_pixel():
    x = np.arange(25, dtype="float32").reshape(5, 5, 1)
    out = image.apply_affine_transform(x, zx=1, zy=1)
    assert out is x  # identity: no scipy call
    # zoom 0.5 (zooms in 2x): output (r, c) reads input ((r - 2) / 2 + 2, ...).
    out = image.apply_affine_transform(x, zx=0.5, zy=0.5, order=0)
    assert out[2, 2, 0] == x[2, 2, 0]
    np.testing.assert_array_equal(out[0, 0, 0], x[1, 1, 0])


def test_channel_shift_clips_to_the_image_range():
    x = np.array([[[0., 10.], [5., 20.]]])  # (1, 2, 2)
    out = image.apply_channel_shift(x, 8., channel_axis=2)
    np.testing.assert_array_equal(out, np.clip(x + 8, 0, 20))


def test_brightness_matches_pil_enhance():
    from PIL import Image, ImageEnhance
    pixels = np.random.default_rng(9).integers(0, 256, (4, 5, 3)).astype("uint8")
    pixels[0, 0] = (0, 0, 0)
    pixels[0, 1] = (255, 255, 255)  # full range: array_to_img's scaling is the identity
    expected = np.asarray(ImageEnhance.Brightness(Image.fromarray(pixels)).enhance(0.6),
                          dtype="float32")
    gen = ImageDataGenerator(data_format="channels_last")
    out = gen.apply_transform(pixels.astype("float32"), {"brightness": 0.6})
    np.testing.assert_array_equal(out, expected)


def test_brightness_channels_first():
    pixels = np.random.default_rng(10).integers(0, 256, (3, 4, 5)).astype("float32")
    pixels[:, 0, 0], pixels[:, 0, 1] = 0, 255
    gen = ImageDataGenerator(data_format="channels_first")
    np.testing.assert_array_equal(gen.apply_transform(pixels, {"brightness": 1.0}), pixels)
    np.testing.assert_array_equal(gen.apply_transform(pixels, {"brightness": 0.0}), 0)


def test_random_parameters_follow_keras_draw_order():
    gen = ImageDataGenerator(rotation_range=30, width_shift_range=2, height_shift_range=0.25,
                             zoom_range=0.1, horizontal_flip=True,
                             data_format="channels_last")
    params = gen.get_random_transform((8, 6, 3), seed=3)
    np.random.seed(3)
    theta = np.random.uniform(-30, 30)
    tx = np.random.uniform(-0.25, 0.25) * 8  # float fraction of the rows
    ty = np.random.choice(2) * np.random.choice([-1, 1])  # int: whole pixels
    zx, zy = np.random.uniform(0.9, 1.1, 2)
    flip = np.random.random() < 0.5
    assert params["theta"] == theta and params["tx"] == tx and params["ty"] == ty
    assert (params["zx"], params["zy"]) == (zx, zy)
    assert params["flip_horizontal"] == flip and params["flip_vertical"] is False
    assert params["shear"] == 0 and params["brightness"] is None
    assert params["channel_shift_intensity"] is None
    assert ty in (-1, 0, 1)


# ---- flow --------------------------------------------------------------------------------
def test_flow_batches_in_order_without_shuffle():
    x = _images((10, 3, 3, 1))
    y = np.arange(10)
    it = ImageDataGenerator(data_format="channels_last").flow(x, y, batch_size=4,
                                                              shuffle=False)
    assert len(it) == 3
    shapes = [it[i][0].shape for i in range(3)]
    assert shapes == [(4, 3, 3, 1), (4, 3, 3, 1), (2, 3, 3, 1)]
    np.testing.assert_array_equal(it[1][1], [4, 5, 6, 7])
    np.testing.assert_array_equal(it[1][0], x[4:8])
    np.testing.assert_array_equal(it[-1][1], [8, 9])
    with pytest.raises(IndexError, match="batch 3.*length 3"):
        it[3]


def test_flow_shuffle_with_seed_repeats_and_covers_every_sample():
    x = _images((10, 3, 3, 1))
    y = np.arange(10)
    gen = ImageDataGenerator(data_format="channels_last")
    first = [b[1] for b in (gen.flow(x, y, batch_size=4, seed=7)[i] for i in range(3))]
    it = gen.flow(x, y, batch_size=4, seed=7)
    second = [it[i][1] for i in range(3)]
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)
    order = np.concatenate(second)
    assert sorted(order) == list(range(10)) and list(order) != list(range(10))
    np.random.seed(7)
    np.testing.assert_array_equal(order, np.random.permutation(10))  # Keras 2's order
    np.testing.assert_array_equal(it[0][0], x[order[:4]])
    it.on_epoch_end()  # a new order next epoch
    assert sorted(np.concatenate([it[i][1] for i in range(3)])) == list(range(10))


def test_flow_endless_iteration_wraps_around():
    x = _images((5, 2, 2, 1))
    it = ImageDataGenerator(data_format="channels_last").flow(x, np.arange(5), batch_size=2,
                                                              shuffle=False)
    labels = [next(it)[1].tolist() for _ in range(4)]
    assert labels == [[0, 1], [2, 3], [4], [0, 1]]
    assert iter(it) is it


def test_flow_sample_weight_extra_inputs_and_x_only():
    x = _images((4, 2, 2, 3))
    y, w = np.arange(4), np.array([1., 2., 3., 4.])
    extra = np.arange(8).reshape(4, 2)
    gen = ImageDataGenerator(data_format="channels_last")
    bx, by, bw = gen.flow(x, y, sample_weight=w, batch_size=3, shuffle=False)[0]
    np.testing.assert_array_equal(bw, [1., 2., 3.])
    np.testing.assert_array_equal(by, [0, 1, 2])
    inputs, by = gen.flow((x, extra), y, batch_size=3, shuffle=False)[1]
    assert isinstance(inputs, list) and len(inputs) == 2
    np.testing.assert_array_equal(inputs[1], extra[3:])
    only = gen.flow(x, batch_size=3, shuffle=False)[0]
    assert isinstance(only, np.ndarray) and only.shape == (3, 2, 2, 3)


def test_flow_validation_split_subsets():
    x = _images((10, 2, 2, 1))
    y = np.array([0, 1] * 5)
    gen = ImageDataGenerator(validation_split=0.2, data_format="channels_last")
    val = gen.flow(x, y, batch_size=10, shuffle=False, subset="validation")
    train = gen.flow(x, y, batch_size=10, shuffle=False, subset="training")
    assert val.n == 2 and train.n == 8
    np.testing.assert_array_equal(val[0][0], x[:2])
    np.testing.assert_array_equal(train[0][1], y[2:])
    with pytest.raises(ValueError, match="different classes"):
        gen.flow(x, np.sort(y), subset="training")
    with pytest.raises(ValueError, match="subset 'training' or 'validation'"):
        gen.flow(x, y, subset="test")
    with pytest.raises(ValueError, match="needs a validation_split"):
        ImageDataGenerator().flow(x, y, subset="training")


def test_flow_saves_each_yielded_image(tmp_path):
    x = _images((3, 4, 4, 3))
    it = ImageDataGenerator(data_format="channels_last").flow(
        x, batch_size=2, shuffle=False, save_to_dir=str(tmp_path), save_prefix="aug",
        save_format="png")
    it[0]
    names = sorted(p.name for p in tmp_path.iterdir())
    assert len(names) == 2 and all(n.startswith(("aug_0_", "aug_1_")) for n in names)
    assert all(n.endswith(".png") for n in names)
    saved = image.img_to_array(image.load_img(tmp_path / names[0]), "channels_last")
    assert saved.shape == (4, 4, 3)


def test_flow_trains_a_model_through_fit_and_fit_generator(backend):
    from keras_bridge import layers, models
    x = _images((12, 4, 4, 1)) / 255
    y = (x.mean(axis=(1, 2, 3)) > 0.5).astype("float32")
    model = models.Sequential([layers.Input((4, 4, 1)), layers.Flatten(),
                               layers.Dense(1, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    gen = ImageDataGenerator(horizontal_flip=True, data_format="channels_last")
    history = model.fit(gen.flow(x, y, batch_size=4, seed=0), steps_per_epoch=3, epochs=2,
                        verbose=0)
    assert len(history.history["loss"]) == 2
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        history = model.fit_generator(gen.flow(x, y, batch_size=4), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


# ---- errors ------------------------------------------------------------------------------
def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="fill_mode.*Received: fill_mode='mirror'"):
        ImageDataGenerator(fill_mode="mirror")
    with pytest.raises(ValueError, match="data_format='channels_middle'"):
        ImageDataGenerator(data_format="channels_middle")
    with pytest.raises(ValueError, match="validation_split"):
        ImageDataGenerator(validation_split=1.5)
    with pytest.raises(ValueError, match="zoom_range"):
        ImageDataGenerator(zoom_range=(0.5, 1, 2))
    with pytest.raises(ValueError, match="brightness_range"):
        ImageDataGenerator(brightness_range=(0.5,))
    gen = ImageDataGenerator(data_format="channels_last")
    with pytest.raises(ValueError, match=r"rank 4.*\(4, 4, 3\)"):
        gen.fit(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r"rank 4.*\(4, 4, 3\)"):
        gen.flow(np.zeros((4, 4, 3)))
    with pytest.raises(ValueError, match=r"rank 3.*\(1, 4, 4, 3\)"):
        gen.apply_transform(np.zeros((1, 4, 4, 3)), {"theta": 10})
    with pytest.raises(ValueError, match="same length"):
        gen.flow(np.zeros((4, 2, 2, 1)), np.zeros(3))
    with pytest.raises(ValueError, match="batch_size"):
        gen.flow(np.zeros((4, 2, 2, 1)), batch_size=0)


def test_data_format_defaults_to_the_config():
    from keras_bridge import config
    config.set_image_data_format("channels_first")
    gen = ImageDataGenerator()
    assert gen.data_format == "channels_first" and gen.channel_axis == 1
    assert gen.dtype == "float32"


def test_missing_scipy_or_pillow_names_the_extra(monkeypatch):
    import sys
    x = _images((4, 4, 1))
    monkeypatch.setitem(sys.modules, "scipy", None)
    monkeypatch.setitem(sys.modules, "scipy.ndimage", None)
    with pytest.raises(ImportError, match=r"SciPy.*pip install 'keras-bridge\[image\]'"):
        ImageDataGenerator(data_format="channels_last").apply_transform(x, {"theta": 5})
    # Flips need neither library.
    out = ImageDataGenerator(data_format="channels_last").apply_transform(
        x, {"flip_vertical": True})
    np.testing.assert_array_equal(out, x[::-1])
    monkeypatch.setitem(sys.modules, "PIL", None)
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    with pytest.raises(ImportError, match=r"Pillow.*pip install 'keras-bridge\[image\]'"):
        image.array_to_img(x)
