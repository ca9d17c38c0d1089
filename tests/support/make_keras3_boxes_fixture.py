"""Writes tests/support/fixtures/keras3_boxes.npz: real Keras 3 outputs for
tests/layers/test_layers_preprocessing_boxes.py (the version is stored under
'keras_version').

- keras.utils.bounding_boxes on a few boxes: convert_format from and to every format,
  clip_to_image_size, affine_transform, crop, pad, encode_box_to_deltas /
  decode_deltas_to_boxes, compute_iou, compute_ciou;
- the geometric layers on {"images", "bounding_boxes", "segmentation_masks"} with fixed
  transformations: the random layers get ranges of width zero (factor=(f, f)), so each
  draws the same transformation every time; Resizing and CenterCrop are deterministic.
  RandomFlip and RandomCrop are checked against numpy in the test instead (their draws
  cannot be fixed by arguments).

Run with the Keras 3.15.1 oracle, never in the test process:
    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax python tests/support/make_keras3_boxes_fixture.py
"""

import json
import os

import keras
import numpy as np
from keras import layers
from keras.utils import bounding_boxes as bb

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh")
H, W = 6, 8

# name: (layer class, kwargs, boxes' format, data_format); all called with training=True
LAYERS = {
    "translation": ("RandomTranslation", dict(height_factor=(0.25, 0.25),
                                              width_factor=(-0.25, -0.25)), "xyxy", None),
    "translation_center": ("RandomTranslation", dict(height_factor=(-0.2, -0.2),
                                                     width_factor=(0.3, 0.3),
                                                     fill_mode="constant"),
                           "center_xywh", None),
    "zoom_in": ("RandomZoom", dict(height_factor=(-0.4, -0.4), width_factor=(-0.2, -0.2)),
                "xyxy", None),
    "zoom_out_rel": ("RandomZoom", dict(height_factor=(0.5, 0.5), fill_mode="nearest"),
                     "rel_xyxy", None),
    "rotation": ("RandomRotation", dict(factor=(1 / 12, 1 / 12)), "xyxy", None),
    "rotation_cf": ("RandomRotation", dict(factor=(-0.1, -0.1), fill_mode="constant"), "xyxy",
                    "channels_first"),
    "resizing": ("Resizing", dict(height=4, width=5), "xyxy", None),
    "resizing_crop": ("Resizing", dict(height=4, width=4, crop_to_aspect_ratio=True), "xywh",
                      None),
    "resizing_pad": ("Resizing", dict(height=4, width=4, pad_to_aspect_ratio=True), "xyxy",
                     None),
    "center_crop": ("CenterCrop", dict(height=4, width=6), "xyxy", None),
    "center_crop_up": ("CenterCrop", dict(height=8, width=8), "xyxy", None),
}


def inputs(rng):
    images = rng.uniform(0, 255, (2, H, W, 3)).astype("float32")
    masks = rng.integers(0, 4, (2, H, W, 1)).astype("int32")
    boxes = np.array([[[1, 1, 4, 3], [0, 0, 8, 6], [6.5, 0.5, 9, 2]],
                      [[2, 1, 7, 5], [5, 4, 8, 6], [0, 0, 0, 0]]], "float32")
    labels = np.array([[1, 2, 3], [4, 5, -1]], "int32")
    return images, masks, boxes, labels


def utilities(out, boxes, labels):
    for target in FORMATS:
        converted = bb.convert_format(boxes, "xyxy", target, height=H, width=W)
        out[f"convert/xyxy/{target}"] = np.asarray(converted)
        out[f"convert/{target}/xyxy"] = np.asarray(
            bb.convert_format(converted, target, "xyxy", height=H, width=W))
    clipped = bb.clip_to_image_size({"boxes": boxes + np.float32(-1.5), "labels": labels},
                                    height=H, width=W)
    out["clip/boxes"], out["clip/labels"] = np.asarray(clipped["boxes"]), \
        np.asarray(clipped["labels"])
    rel = bb.clip_to_image_size({"boxes": boxes / 5.0, "labels": labels},
                                bounding_box_format="rel_xyxy")
    out["clip_rel/boxes"], out["clip_rel/labels"] = np.asarray(rel["boxes"]), \
        np.asarray(rel["labels"])
    affine = dict(angle=np.array([30.0, -50.0], "float32"),
                  translate_x=np.array([0.1, -0.2], "float32"),
                  translate_y=np.array([0.0, 0.25], "float32"),
                  scale=np.array([1.0, 1.3], "float32"),
                  shear_x=np.array([0.0, 10.0], "float32"),
                  shear_y=np.array([5.0, 0.0], "float32"))
    for key, value in affine.items():
        out[f"affine_arg/{key}"] = value
    out["affine"] = np.asarray(bb.affine_transform(boxes, height=H, width=W, **affine))
    out["affine_center"] = np.asarray(bb.affine_transform(
        boxes, height=H, width=W, center_x=0.25, center_y=0.75, **affine))
    out["crop"] = np.asarray(bb.crop(boxes, top=1, left=2, height=4, width=5))
    out["pad"] = np.asarray(bb.pad(boxes, top=1, left=2))
    anchors = np.array([[0, 0, 4, 4], [2, 1, 6, 5], [4, 2, 8, 6]], "float32")
    out["anchors"] = anchors
    deltas = bb.encode_box_to_deltas(anchors, boxes + 0.5, "xyxy", "xyxy",
                                     variance=[0.1, 0.1, 0.2, 0.2])
    out["deltas"] = np.asarray(deltas)
    out["deltas_rel_xywh"] = np.asarray(bb.encode_box_to_deltas(
        anchors, bb.convert_format(boxes + 0.5, "xyxy", "rel_xywh", height=H, width=W),
        "xyxy", "rel_xywh", encoding_format="center_xywh", image_shape=(H, W, 3)))
    out["decoded"] = np.asarray(bb.decode_deltas_to_boxes(
        anchors, deltas, "xyxy", "yxyx", variance=[0.1, 0.1, 0.2, 0.2]))
    out["iou"] = np.asarray(bb.compute_iou(boxes, anchors, "xyxy"))
    out["iou_masked"] = np.asarray(bb.compute_iou(
        np.concatenate([boxes, -np.ones((2, 1, 4), "float32")], 1),
        np.stack([anchors, anchors[::-1] - 1.0]), "xyxy",
        use_masking=True, mask_val=-7))
    out["iou_unbatched"] = np.asarray(bb.compute_iou(anchors, boxes, "center_xywh"))
    out["iou_rel"] = np.asarray(bb.compute_iou(boxes / 10.0, anchors / 10.0, "rel_yxyx",
                                               image_shape=(H, W, 3)))
    out["ciou"] = np.asarray(bb.compute_ciou(boxes + 0.25, boxes[::-1] * 0.5 + 1.0, "xyxy"))


def layer_outputs(out, images, masks, boxes, labels):
    for name, (cls, kwargs, fmt, data_format) in LAYERS.items():
        layer = getattr(layers, cls)(bounding_box_format=fmt, data_format=data_format,
                                     **kwargs)
        x, m = images, masks
        if data_format == "channels_first":
            x, m = np.moveaxis(images, -1, 1), np.moveaxis(masks, -1, 1)
        given = bb.convert_format(boxes, "xyxy", fmt, height=H, width=W)
        out[f"{name}/given"] = np.asarray(given)
        result = layer({"images": x, "segmentation_masks": m,
                        "bounding_boxes": {"boxes": given, "labels": labels.copy()}},
                       training=True)
        out[f"{name}/images"] = np.asarray(result["images"])
        out[f"{name}/masks"] = np.asarray(result["segmentation_masks"])
        out[f"{name}/boxes"] = np.asarray(result["bounding_boxes"]["boxes"])
        out[f"{name}/labels"] = np.asarray(result["bounding_boxes"]["labels"])
    # CenterCrop resizes masks nearest here (Keras: bilinear, as its images): Keras's own
    # nearest crop-and-resize of the masks is the reference
    nearest = layers.Resizing(8, 8, interpolation="nearest", crop_to_aspect_ratio=True)
    out["center_crop_up/masks_nearest"] = np.asarray(nearest(masks)).astype("float32")
    # one image (no batch axis)
    layer = layers.RandomTranslation((0.25, 0.25), (-0.25, -0.25), bounding_box_format="xyxy")
    result = layer({"images": images[0], "segmentation_masks": masks[0],
                    "bounding_boxes": {"boxes": boxes[0], "labels": labels[0].copy()}})
    out["single/boxes"] = np.asarray(result["bounding_boxes"]["boxes"])
    out["single/labels"] = np.asarray(result["bounding_boxes"]["labels"])
    out["single/masks"] = np.asarray(result["segmentation_masks"])


def main():
    rng = np.random.default_rng(14)
    images, masks, boxes, labels = inputs(rng)
    out = dict(images=images, masks=masks, boxes=boxes, labels=labels,
               keras_version=np.array(keras.__version__),
               layers=np.array(json.dumps(LAYERS)), formats=np.array(json.dumps(FORMATS)))
    utilities(out, boxes, labels)
    layer_outputs(out, images, masks, boxes, labels)
    np.savez_compressed(os.path.join(HERE, "keras3_boxes.npz"),
                        **{k: np.asarray(v) for k, v in out.items()})


if __name__ == "__main__":
    main()
