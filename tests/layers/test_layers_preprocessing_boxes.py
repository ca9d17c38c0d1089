"""Bounding boxes and segmentation masks in Keras 3's image layers, and
keras.utils.bounding_boxes: against real Keras 3.15.1 (tests/support/fixtures/keras3_boxes.npz,
made by tests/support/make_keras3_boxes_fixture.py with fixed transformations) and numpy
(flips, crops, format arithmetic), training vs inference, errors, on both engines. JAX
compiles each eager op per shape: it runs a few cases, torch all of them."""

import json
import os

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers, ops
from support.layer_checks import TORCH_ONLY, config_roundtrip, engine_cases

bb = keras.utils.bounding_boxes
FIXTURE = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support", "fixtures",
                               "keras3_boxes.npz"))
IMAGES, MASKS = FIXTURE["images"], FIXTURE["masks"]  # (2, 6, 8, 3) floats, (2, 6, 8, 1) ints
BOXES, LABELS = FIXTURE["boxes"], FIXTURE["labels"]  # (2, 3, 4) xyxy, (2, 3)
H, W = 6, 8
FORMATS = json.loads(str(FIXTURE["formats"]))
LAYERS = json.loads(str(FIXTURE["layers"]))


def np_(x):
    return ops.convert_to_numpy(x)


def _data(boxes=BOXES, labels=LABELS, images=IMAGES, masks=MASKS):
    return {"images": images, "segmentation_masks": masks,
            "bounding_boxes": {"boxes": boxes, "labels": labels}}


def test_fixture_is_from_keras_3_15_1():
    assert str(FIXTURE["keras_version"]) == "3.15.1"


# ---- keras.utils.bounding_boxes ------------------------------------------------------------
@TORCH_ONLY
def test_convert_format_by_hand(backend):
    """Keras's documented example, and each format's meaning written out in numpy."""
    box = np.array([[10.0, 20.0, 30.0, 60.0]], "float32")  # x1, y1, x2, y2
    want = {"xyxy": [10, 20, 30, 60], "yxyx": [20, 10, 60, 30], "xywh": [10, 20, 20, 40],
            "center_xywh": [20, 40, 20, 40], "center_yxhw": [40, 20, 40, 20],
            "rel_xyxy": [10 / 300, 20 / 200, 30 / 300, 60 / 200],
            "rel_yxyx": [20 / 200, 10 / 300, 60 / 200, 30 / 300],
            "rel_xywh": [10 / 300, 20 / 200, 20 / 300, 40 / 200],
            "rel_center_xywh": [20 / 300, 40 / 200, 20 / 300, 40 / 200]}
    for target in want:
        got = np_(bb.convert_format(box, "xyxy", target, height=200, width=300))
        np.testing.assert_allclose(got, [want[target]], rtol=1e-6, err_msg=target)
        back = np_(bb.convert_format(np.array([want[target]], "float32"), target.upper(),
                                     "xyxy", height=200, width=300))
        np.testing.assert_allclose(back, box, rtol=1e-5, err_msg=target)


def test_convert_format_matches_keras_and_round_trips(backend):
    formats = FORMATS if backend == "torch" else ("rel_center_xywh",)
    for target in formats:
        there = bb.convert_format(BOXES, "xyxy", target, height=H, width=W)
        np.testing.assert_allclose(np_(there), FIXTURE[f"convert/xyxy/{target}"], atol=1e-6)
        back = bb.convert_format(there, target, "xyxy", height=H, width=W)
        np.testing.assert_allclose(np_(back), FIXTURE[f"convert/{target}/xyxy"], atol=1e-6)
        np.testing.assert_allclose(np_(back), BOXES, atol=1e-5)
    if backend == "torch":  # every pair round trips
        for source in FORMATS:
            start = np_(bb.convert_format(BOXES, "xyxy", source, height=H, width=W))
            for target in FORMATS:
                # as Keras: a relative format on either side needs the image size
                size = dict(height=H, width=W) if "rel" in source + target else {}
                there = bb.convert_format(start, source, target, **size)
                again = bb.convert_format(there, target, source, **size)
                np.testing.assert_allclose(np_(again), start, atol=1e-5,
                                           err_msg=f"{source} -> {target}")
    converted = bb.convert_format({"boxes": BOXES, "labels": LABELS}, "xyxy", "xywh")
    np.testing.assert_array_equal(np_(converted["boxes"])[..., 2:], BOXES[..., 2:] -
                                  BOXES[..., :2])
    assert converted["labels"] is LABELS


def test_box_utilities_match_keras(backend):
    affine = {k.split("/")[1]: FIXTURE[k] for k in FIXTURE.files if k.startswith("affine_arg/")}
    anchors, variance = FIXTURE["anchors"], [0.1, 0.1, 0.2, 0.2]
    checks = {
        "clip/boxes": lambda: bb.clip_to_image_size(
            {"boxes": BOXES - 1.5, "labels": LABELS}, height=H, width=W)["boxes"],
        "clip_rel/labels": lambda: bb.clip_to_image_size(
            {"boxes": BOXES / 5.0, "labels": LABELS}, bounding_box_format="rel_xyxy")["labels"],
        "affine": lambda: bb.affine_transform(BOXES, height=H, width=W, **affine),
        "affine_center": lambda: bb.affine_transform(BOXES, height=H, width=W, center_x=0.25,
                                                     center_y=0.75, **affine),
        "crop": lambda: bb.crop(BOXES, top=1, left=2, height=4, width=5),
        "pad": lambda: bb.pad(BOXES, top=1, left=2),
        "deltas": lambda: bb.encode_box_to_deltas(anchors, BOXES + 0.5, "xyxy", "xyxy",
                                                  variance=variance),
        "deltas_rel_xywh": lambda: bb.encode_box_to_deltas(
            anchors, bb.convert_format(BOXES + 0.5, "xyxy", "rel_xywh", height=H, width=W),
            "xyxy", "rel_xywh", encoding_format="center_xywh", image_shape=(H, W, 3)),
        "decoded": lambda: bb.decode_deltas_to_boxes(anchors, FIXTURE["deltas"], "xyxy",
                                                     "yxyx", variance=variance),
        "iou": lambda: bb.compute_iou(BOXES, anchors, "xyxy"),
        "iou_masked": lambda: bb.compute_iou(
            np.concatenate([BOXES, -np.ones((2, 1, 4), "float32")], 1),
            np.stack([anchors, anchors[::-1] - 1.0]), "xyxy", use_masking=True, mask_val=-7),
        "iou_unbatched": lambda: bb.compute_iou(anchors, BOXES, "center_xywh"),
        "iou_rel": lambda: bb.compute_iou(BOXES / 10.0, anchors / 10.0, "rel_yxyx",
                                          image_shape=(H, W, 3)),
        "ciou": lambda: bb.compute_ciou(BOXES + 0.25, BOXES[::-1] * 0.5 + 1.0, "xyxy"),
    }
    names = checks if backend == "torch" else ("affine",)
    for name in names:
        np.testing.assert_allclose(np_(checks[name]()), FIXTURE[name], rtol=1e-5, atol=2e-5,
                                   err_msg=name)
    if backend == "torch":
        clipped = bb.clip_to_image_size({"boxes": BOXES - 1.5, "labels": LABELS}, H, W)
        np.testing.assert_array_equal(np_(clipped["labels"]), FIXTURE["clip/labels"])
        decoded = bb.decode_deltas_to_boxes({"p3": anchors}, {"p3": FIXTURE["deltas"]},
                                            "xyxy", "yxyx", variance=variance)
        np.testing.assert_allclose(np_(decoded["p3"]), FIXTURE["decoded"], atol=2e-5)


def test_box_utility_errors():
    with pytest.raises(ValueError, match="Unknown bounding box format source='xyxz'"):
        bb.convert_format(BOXES, "xyxz", "xyxy")
    with pytest.raises(ValueError, match="last dimension of 4"):
        bb.convert_format(BOXES[..., :3], "xyxy", "xywh")
    with pytest.raises(ValueError, match="needs `height` and `width`"):
        bb.convert_format(BOXES, "xyxy", "rel_xyxy")
    with pytest.raises(NotImplementedError, match="'xyxy' and 'rel_xyxy'"):
        bb.clip_to_image_size({"boxes": BOXES}, H, W, bounding_box_format="xywh")
    with pytest.raises(ValueError, match="needs `height` and `width`"):
        bb.clip_to_image_size({"boxes": BOXES})
    with pytest.raises(NotImplementedError, match="xyxy"):
        bb.crop(BOXES, 0, 0, 2, 2, bounding_box_format="yxyx")
    with pytest.raises(ValueError, match="`variance` must be of length 4"):
        bb.encode_box_to_deltas(BOXES[0], BOXES, "xyxy", "xyxy", variance=[1.0, 1.0])
    with pytest.raises(ValueError, match="needs `image_shape`"):
        bb.compute_iou(BOXES, BOXES, "rel_xyxy")


# ---- the layers against Keras 3.15.1 --------------------------------------------------------
# JAX: a crop and a resize (eager JAX compiles every op of affine_transform: seconds; the
# affine box arithmetic runs on JAX in test_box_utilities_match_keras)
JAX_LAYERS = ("center_crop", "resizing_crop")


@pytest.mark.parametrize("backend,name", engine_cases(sorted(LAYERS), on_jax=JAX_LAYERS),
                         indirect=["backend"])
def test_layer_moves_boxes_and_masks_like_keras(backend, name):
    cls, kwargs, fmt, data_format = LAYERS[name]
    layer = getattr(layers, cls)(bounding_box_format=fmt, data_format=data_format, **kwargs)
    images, masks = IMAGES, MASKS
    if data_format == "channels_first":
        images, masks = np.moveaxis(IMAGES, -1, 1), np.moveaxis(MASKS, -1, 1)
    out = layer(_data(FIXTURE[f"{name}/given"], LABELS.copy(), images, masks), training=True)
    np.testing.assert_allclose(np_(out["images"]), FIXTURE[f"{name}/images"], atol=1e-4)
    want_masks = FIXTURE[f"{name}/masks"]
    if name == "center_crop_up":  # resized nearest here, bilinear in Keras (README)
        want_masks = FIXTURE["center_crop_up/masks_nearest"]
    got_masks = np_(out["segmentation_masks"])
    assert got_masks.dtype == want_masks.dtype
    np.testing.assert_array_equal(got_masks, want_masks)
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), FIXTURE[f"{name}/boxes"],
                               atol=2e-5)
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]),
                                  FIXTURE[f"{name}/labels"])


@TORCH_ONLY
def test_one_image_without_batch_axis_matches_keras(backend):
    layer = layers.RandomTranslation((0.25, 0.25), (-0.25, -0.25), bounding_box_format="xyxy")
    out = layer(_data(BOXES[0], LABELS[0], IMAGES[0], MASKS[0]))
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), FIXTURE["single/boxes"])
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]), FIXTURE["single/labels"])
    np.testing.assert_array_equal(np_(out["segmentation_masks"]), FIXTURE["single/masks"])


# ---- flips and crops against numpy ----------------------------------------------------------
def _flipped(boxes, horizontal, vertical):
    x1, y1, x2, y2 = np.moveaxis(boxes, -1, 0)
    if horizontal:
        x1, x2 = W - x2, W - x1
    if vertical:
        y1, y2 = H - y2, H - y1
    return np.clip(np.stack([x1, y1, x2, y2], -1), 0, [W, H, W, H])


@pytest.mark.parametrize("backend,mode", engine_cases(
    ["horizontal", "vertical", "horizontal_and_vertical"], on_jax=["horizontal_and_vertical"]),
    indirect=["backend"])
def test_random_flip_moves_boxes_and_masks_with_each_image(backend, mode):
    images, masks, boxes, labels = IMAGES, MASKS, BOXES, LABELS
    layer = layers.RandomFlip(mode, seed=1, bounding_box_format="xywh")
    given = np_(bb.convert_format(boxes, "xyxy", "xywh"))
    out = layer(_data(given, labels, images, masks))
    got = np_(bb.convert_format(out["bounding_boxes"]["boxes"], "xywh", "xyxy"))
    horizontal, vertical = mode != "vertical", mode != "horizontal"
    flipped = []
    for i in range(len(images)):
        axes = tuple(a for a, on in ((1, vertical), (2, horizontal)) if on)
        turned = np.flip(images[i][None], axes)[0]
        was = np.allclose(np_(out["images"])[i], turned)
        assert was or np.allclose(np_(out["images"])[i], images[i])
        flipped.append(was)
        np.testing.assert_array_equal(np_(out["segmentation_masks"])[i],
                                      np.flip(masks[i][None], axes)[0] if was else masks[i])
        want = _flipped(boxes[i], horizontal, vertical) if was else np.clip(
            boxes[i], 0, [W, H, W, H])
        np.testing.assert_allclose(got[i], want, atol=1e-5)
    assert flipped == [False, True]  # seed 1 gives both cases, on both engines
    assert np_(out["segmentation_masks"]).dtype == np.float32  # as Keras 3.15
    # the box half outside the image keeps its label, the padding box keeps -1
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]), labels)


def _expected_window_boxes(boxes, top, left, crop_h, crop_w, out_h, out_w):
    x1, y1, x2, y2 = np.moveaxis(boxes, -1, 0)
    sx, sy = out_w / crop_w, out_h / crop_h
    moved = np.stack([(x1 - left) * sx, (y1 - top) * sy, (x2 - left) * sx, (y2 - top) * sy], -1)
    moved = np.clip(moved, 0, [out_w, out_h, out_w, out_h])
    area = (moved[..., 2] - moved[..., 0]) * (moved[..., 3] - moved[..., 1])
    return moved, area > 0


def test_random_crop_moves_boxes_and_masks_with_the_window(backend):
    layer = layers.RandomCrop(4, 5, seed=5, bounding_box_format="xyxy")
    out = layer(_data(BOXES, LABELS))
    got = np_(out["images"])
    windows = [(t, l) for t in range(H - 3) for l in range(W - 4)
               if np.array_equal(got, IMAGES[:, t:t + 4, l:l + 5])]
    assert len(windows) == 1
    top, left = windows[0]
    np.testing.assert_array_equal(np_(out["segmentation_masks"]),
                                  MASKS[:, top:top + 4, left:left + 5].astype("float32"))
    want, kept = _expected_window_boxes(BOXES, top, left, 4, 5, 4, 5)
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), want, atol=1e-6)
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]),
                                  np.where(kept, LABELS, -1))
    if backend == "jax":
        return  # torch runs inference too
    # inference: the centred box of the output's aspect ratio (6 x 7.5 -> 6 x 7 at
    # left 0), resized: boxes scaled into it; masks keep their values (nearest)
    out = layer(_data(BOXES, LABELS), training=False)
    want, kept = _expected_window_boxes(BOXES, 0, 0, 6, 7, 4, 5)
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), want, atol=1e-5)
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]),
                                  np.where(kept, LABELS, -1))
    assert np_(out["segmentation_masks"]).shape == (2, 4, 5, 1)
    assert set(np.unique(np_(out["segmentation_masks"]))) <= set(np.unique(MASKS))
    # training on images smaller than the output: Keras's window (the output's size from
    # the corner of the centred aspect box at left 1, cut by the image: 6 x 7), resized
    out = layers.RandomCrop(8, 8, bounding_box_format="xyxy")(_data(BOXES, LABELS))
    want, kept = _expected_window_boxes(BOXES, 0, 1, 6, 7, 8, 8)
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), want, atol=1e-5)
    assert np_(out["images"]).shape == (2, 8, 8, 3)


# ---- training only; colour layers; errors; config ------------------------------------------
def test_random_layers_leave_boxes_and_masks_in_inference(backend):
    candidates = [layers.RandomFlip(bounding_box_format="xyxy"),
                  layers.RandomRotation(0.2, bounding_box_format="xyxy"),
                  layers.RandomZoom(0.3, bounding_box_format="xyxy"),
                  layers.RandomTranslation(0.2, 0.2, bounding_box_format="xyxy")]
    for layer in candidates if backend == "torch" else candidates[1:2]:
        out = layer(_data(BOXES, LABELS), training=False)
        np.testing.assert_array_equal(np_(out["images"]), IMAGES)
        np.testing.assert_array_equal(np_(out["segmentation_masks"]), MASKS)
        np.testing.assert_array_equal(np_(out["bounding_boxes"]["boxes"]), BOXES)
        np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]), LABELS)
    if backend == "torch":  # Resizing and CenterCrop apply in inference too
        layer = layers.CenterCrop(4, 6, bounding_box_format="xyxy")
        out = layer(_data(BOXES, LABELS), training=False)
        np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]),
                                   FIXTURE["center_crop/boxes"])


def test_colour_layers_pass_boxes_masks_and_labels_through(backend):
    layer = layers.RandomBrightness(0.5, seed=1, bounding_box_format="xyxy")
    data = dict(_data(BOXES, LABELS), labels=np.arange(2))
    out = layer(data)
    assert not np.allclose(np_(out["images"]), IMAGES)
    np.testing.assert_array_equal(np_(out["segmentation_masks"]), MASKS)
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["boxes"]), BOXES)
    np.testing.assert_array_equal(np_(out["bounding_boxes"]["labels"]), LABELS)
    np.testing.assert_array_equal(np_(out["labels"]), np.arange(2))
    if backend == "torch":
        out = layers.RandomContrast(0.5)({"images": IMAGES, "segmentation_masks": MASKS})
        np.testing.assert_array_equal(np_(out["segmentation_masks"]), MASKS)


@TORCH_ONLY
def test_pipeline_carries_the_dict_through_its_layers(backend):
    pipe = layers.Pipeline([layers.Resizing(4, 5, bounding_box_format="xyxy"),
                            layers.RandomFlip("vertical", bounding_box_format="xyxy")])
    out = pipe(_data(BOXES, LABELS), training=False)
    np.testing.assert_allclose(np_(out["bounding_boxes"]["boxes"]), FIXTURE["resizing/boxes"],
                               atol=1e-6)
    assert np_(out["segmentation_masks"]).shape == (2, 4, 5, 1)


def test_bad_dicts_and_formats_are_refused():
    layer = layers.RandomFlip(bounding_box_format="xyxy")
    with pytest.raises(ValueError, match="expects a dict with an 'images' entry"):
        layer({"image": IMAGES})
    with pytest.raises(ValueError, match="Unknown `bounding_box_format` 'xyxyz'"):
        layers.RandomZoom(0.2, bounding_box_format="xyxyz")
    with pytest.raises(ValueError, match="didn't specify a bounding box format"):
        layers.RandomFlip()(_data(BOXES, LABELS))
    with pytest.raises(ValueError, match="dict with keys 'boxes' and 'labels'"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": BOXES}})
    with pytest.raises(ValueError, match=r"\(num_boxes, 4\) for one image"):
        layer({"images": IMAGES[0], "bounding_boxes": {"boxes": BOXES, "labels": LABELS}})
    with pytest.raises(ValueError, match="`segmentation_masks` laid out as the images"):
        layer({"images": IMAGES, "segmentation_masks": MASKS[:, :4]})
    with pytest.raises(ValueError, match="`segmentation_masks` laid out as the images"):
        layer({"images": IMAGES, "segmentation_masks": MASKS[..., 0]})
    for refusing in (layers.RandomShear(0.2, bounding_box_format="xyxy"),
                     layers.MixUp(bounding_box_format="xyxy")):
        with pytest.raises(NotImplementedError, match="does not transform bounding_boxes"):
            refusing(_data(BOXES, LABELS))
    with pytest.raises(NotImplementedError, match="does not transform segmentation_masks"):
        layers.RandomPerspective()({"images": IMAGES, "segmentation_masks": MASKS})


def test_bounding_box_format_in_config():
    layer = layers.RandomRotation(0.1, bounding_box_format="center_xywh")
    assert layer.get_config()["bounding_box_format"] == "center_xywh"
    assert config_roundtrip(layer).bounding_box_format == "center_xywh"
    assert "bounding_box_format" not in layers.RandomRotation(0.1).get_config()  # as Keras
    assert config_roundtrip(layers.Resizing(3, 4, bounding_box_format="rel_yxyx"))
