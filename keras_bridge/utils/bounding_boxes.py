"""``keras.utils.bounding_boxes`` (Keras 3.15): box formats and the box arithmetic of the
image augmentation layers, written with ``keras_bridge.ops`` so it runs on every engine.

Boxes are ``(..., 4)`` tensors (or a dict with their ``"boxes"``); the formats, by the
meaning of their four values:

- ``"xyxy"``: left, top, right, bottom; ``"yxyx"``: top, left, bottom, right;
- ``"xywh"``: left, top, width, height; ``"center_xywh"``: centre x, centre y, width,
  height; ``"center_yxhw"``: centre y, centre x, height, width;
- ``"rel_xyxy"``, ``"rel_yxyx"``, ``"rel_xywh"``, ``"rel_center_xywh"``: the same with x and
  widths as fractions of the image width, y and heights of its height.
"""

import math
import numbers

from keras_bridge import config, ops

SUPPORTED_FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy",
                     "rel_yxyx", "rel_xywh", "rel_center_xywh")

__all__ = ["convert_format", "clip_to_image_size", "affine_transform", "crop", "pad",
           "encode_box_to_deltas", "decode_deltas_to_boxes", "compute_iou", "compute_ciou"]


def _columns(boxes):
    return [boxes[..., i] for i in range(4)]


def _stack(a, b, c, d):
    return ops.stack([a, b, c, d], axis=-1)


def _to_xyxy(boxes, source, height, width):
    a, b, c, d = _columns(boxes)
    if source.startswith("rel_"):
        absolute = _to_xyxy(boxes, source[4:], None, None)
        x1, y1, x2, y2 = _columns(absolute)
        return _stack(x1 * width, y1 * height, x2 * width, y2 * height)
    if source == "xyxy":
        return boxes
    if source == "yxyx":
        return _stack(b, a, d, c)
    if source == "xywh":
        return _stack(a, b, a + c, b + d)
    if source == "center_xywh":
        return _stack(a - c / 2.0, b - d / 2.0, a + c / 2.0, b + d / 2.0)
    # center_yxhw
    return _stack(b - d / 2.0, a - c / 2.0, b + d / 2.0, a + c / 2.0)


def _from_xyxy(boxes, target, height, width):
    if target.startswith("rel_"):
        x1, y1, x2, y2 = _columns(boxes)
        relative = _stack(x1 / width, y1 / height, x2 / width, y2 / height)
        return _from_xyxy(relative, target[4:], None, None)
    x1, y1, x2, y2 = _columns(boxes)
    if target == "xyxy":
        return boxes
    if target == "yxyx":
        return _stack(y1, x1, y2, x2)
    w, h = x2 - x1, y2 - y1
    if target == "xywh":
        return _stack(x1, y1, w, h)
    if target == "center_xywh":
        return _stack(x1 + w / 2.0, y1 + h / 2.0, w, h)
    return _stack(y1 + h / 2.0, x1 + w / 2.0, h, w)  # center_yxhw


def _format(name, argument):
    if not isinstance(name, str) or name.lower() not in SUPPORTED_FORMATS:
        raise ValueError(f"Unknown bounding box format {argument}={name!r}. Expected one "
                         f"of {SUPPORTED_FORMATS} (case-insensitive).")
    return name.lower()


def _size(value, dtype):
    """An image size: a Python float, or a tensor (a size per image) in ``dtype``."""
    return float(value) if isinstance(value, numbers.Real) else ops.cast(value, dtype)


def convert_format(boxes, source, target, height=None, width=None, dtype="float32"):
    """Converts bounding boxes from the format ``source`` to ``target``.

    Args:
        boxes: a ``(..., 4)`` tensor or array, or a dict whose ``"boxes"`` are converted
            (the other entries are kept).
        source, target: formats (see the module's docstring).
        height, width: the image size, required when either format is relative.
        dtype: the dtype of the result (default float32).

    Returns:
        The converted boxes (a new dict for a dict input).

    Example:
        convert_format(np.array([[10, 20, 30, 40]]), "xyxy", "xywh")  # [[10, 20, 20, 20]]
    """
    if isinstance(boxes, dict):
        return {**boxes, "boxes": convert_format(boxes["boxes"], source, target, height,
                                                 width, dtype)}
    boxes = ops.convert_to_tensor(boxes)
    if ops.ndim(boxes) < 1 or ops.shape(boxes)[-1] != 4:
        raise ValueError("`boxes` must be a tensor with the last dimension of 4. "
                         f"Received: boxes.shape={tuple(ops.shape(boxes))}")
    source, target = _format(source, "source"), _format(target, "target")
    if (source.startswith("rel_") or target.startswith("rel_")) and \
            (height is None or width is None):
        raise ValueError("convert_format() needs `height` and `width` to convert between "
                         f"relative and absolute formats. Received: source={source!r}, "
                         f"target={target!r}, height={height!r}, width={width!r}")
    boxes = ops.cast(boxes, dtype)
    if source == target:
        return boxes
    if source.startswith("rel_") and target.startswith("rel_"):  # no image size needed
        source, target = source[4:], target[4:]
    height = None if height is None else _size(height, dtype)
    width = None if width is None else _size(width, dtype)
    return _from_xyxy(_to_xyxy(boxes, source, height, width), target, height, width)


def _area(boxes):
    x1, y1, x2, y2 = _columns(boxes)
    return (x2 - x1) * (y2 - y1)


def clip_to_image_size(bounding_boxes, height=None, width=None, bounding_box_format="xyxy"):
    """Clips ``{"boxes", "labels"}`` to the image: coordinates into ``[0, width]`` x
    ``[0, height]`` (``[0, 1]`` for ``"rel_xyxy"``); boxes left with no area get the
    label -1.

    Args:
        bounding_boxes: a dict with ``"boxes"`` ``(N, 4)`` or ``(batch, N, 4)`` and,
            optionally, ``"labels"`` ``(N,)`` or ``(batch, N)``.
        height, width: the image size (required for ``"xyxy"``).
        bounding_box_format: ``"xyxy"`` or ``"rel_xyxy"`` (as Keras 3.15, the only two).

    Returns:
        A new dict with the clipped boxes and labels.
    """
    if bounding_box_format not in ("xyxy", "rel_xyxy"):
        raise NotImplementedError("clip_to_image_size() supports bounding_box_format "
                                  "'xyxy' and 'rel_xyxy' (as Keras 3.15). Received: "
                                  f"bounding_box_format={bounding_box_format!r}")
    if not isinstance(bounding_boxes, dict) or "boxes" not in bounding_boxes:
        raise ValueError("clip_to_image_size() expects a dict with a 'boxes' entry. "
                         f"Received: {type(bounding_boxes).__name__}")
    boxes = ops.convert_to_tensor(bounding_boxes["boxes"])
    if bounding_box_format == "xyxy":
        if height is None or width is None:
            raise ValueError("clip_to_image_size() needs `height` and `width` for "
                             "bounding_box_format='xyxy'.")
        top_x, top_y = _size(width, ops.dtype(boxes)), _size(height, ops.dtype(boxes))
    else:
        top_x = top_y = 1.0
    x1, y1, x2, y2 = _columns(boxes)
    boxes = _stack(ops.clip(x1, 0.0, top_x), ops.clip(y1, 0.0, top_y),
                   ops.clip(x2, 0.0, top_x), ops.clip(y2, 0.0, top_y))
    result = {**bounding_boxes, "boxes": boxes}
    if bounding_boxes.get("labels") is not None:
        labels = ops.convert_to_tensor(bounding_boxes["labels"])
        keep = ops.greater(_area(boxes), 0.0)
        if ops.ndim(labels) == ops.ndim(keep) + 1:  # one-hot / per-class labels
            keep = ops.expand_dims(keep, -1)
        result["labels"] = ops.where(keep, labels, ops.cast(-1, ops.dtype(labels)))
    return result


def _inverse_affine(center_x, center_y, angle, translate_x, translate_y, scale, shear_x,
                    shear_y, height, width):
    """Rows (a0, a1, a2, b0, b1, b2), each (batch,): the map from input to output
    coordinates of Keras's affine image transform (rotation, shear and scale about the
    centre, then translation by fractions of the image size)."""
    radians = math.pi / 180.0
    cx, cy = center_x * (width - 1), center_y * (height - 1)
    rot = ops.multiply(angle, -radians)
    sx, sy = ops.multiply(shear_x, -radians), ops.multiply(shear_y, -radians)
    tx = ops.multiply(translate_x, -(width - 1))
    ty = ops.multiply(translate_y, -(height - 1))
    cos_sy, tan_sx = ops.cos(sy), ops.tan(sx)
    a = ops.cos(rot - sy) / cos_sy
    b = a * tan_sx + ops.sin(rot)
    c = -ops.sin(rot - sy) / cos_sy
    d = ops.cos(rot) - c * tan_sx
    a0, a1, b0, b1 = d * scale, -b * scale, -c * scale, a * scale
    px, py = cx + tx, cy + ty
    return a0, a1, cx - a0 * px - a1 * py, b0, b1, cy - b0 * px - b1 * py


def map_corners(boxes, a0, a1, a2, b0, b1, b2):
    """The xyxy boxes (batch, N, 4) that hold their four corners mapped by
    x' = a0 x + a1 y + a2, y' = b0 x + b1 y + b2 (each coefficient (batch,))."""
    x1, y1, x2, y2 = _columns(boxes)
    xs = ops.stack([x1, x2, x2, x1], axis=-1)  # corners: (batch, N, 4)
    ys = ops.stack([y1, y1, y2, y2], axis=-1)

    def coefficient(v):
        return ops.reshape(ops.cast(v, ops.dtype(boxes)), (-1, 1, 1))

    new_x = coefficient(a0) * xs + coefficient(a1) * ys + coefficient(a2)
    new_y = coefficient(b0) * xs + coefficient(b1) * ys + coefficient(b2)
    return _stack(ops.min(new_x, axis=-1), ops.min(new_y, axis=-1),
                  ops.max(new_x, axis=-1), ops.max(new_y, axis=-1))


def affine_transform(boxes, angle, translate_x, translate_y, scale, shear_x, shear_y, height,
                     width, center_x=None, center_y=None, bounding_box_format="xyxy"):
    """Moves boxes as Keras's affine image transform moves their image: each box becomes
    the box around its four transformed corners.

    Args:
        boxes: ``(batch, N, 4)`` boxes.
        angle: rotation in degrees, ``(batch,)``.
        translate_x, translate_y: shifts as fractions of the width / height, ``(batch,)``.
        scale: scaling factors, ``(batch,)``.
        shear_x, shear_y: shear angles in degrees, ``(batch,)``.
        height, width: the image size.
        center_x, center_y: the centre as fractions of the size (default 0.5).
        bounding_box_format: ``"xyxy"`` (the only one Keras 3.15 accepts).

    Returns:
        The transformed ``(batch, N, 4)`` boxes (not clipped).
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError("affine_transform() supports bounding_box_format='xyxy' "
                                  "only (as Keras 3.15). Received: "
                                  f"bounding_box_format={bounding_box_format!r}")
    boxes = ops.cast(ops.convert_to_tensor(boxes), "float32")
    if ops.ndim(boxes) != 3:
        raise ValueError("affine_transform() expects boxes of shape (batch_size, N, 4). "
                         f"Received: shape={tuple(ops.shape(boxes))}")
    args = [ops.cast(ops.convert_to_tensor(v), "float32")
            for v in (angle, translate_x, translate_y, scale, shear_x, shear_y)]
    rows = _inverse_affine(0.5 if center_x is None else center_x,
                           0.5 if center_y is None else center_y, *args, height, width)
    return map_corners(boxes, *rows)


def crop(boxes, top, left, height, width, bounding_box_format="xyxy"):
    """Boxes in the coordinates of the window (top, left, height, width) of their image,
    clipped to it.

    Args:
        boxes: ``(N, 4)`` or ``(batch, N, 4)`` xyxy boxes.
        top, left: the window's offset.
        height, width: the window's size.
        bounding_box_format: ``"xyxy"`` (the only one Keras 3.15 accepts).
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError("crop() supports bounding_box_format='xyxy' only (as "
                                  f"Keras 3.15). Received: {bounding_box_format!r}")
    x1, y1, x2, y2 = _columns(ops.convert_to_tensor(boxes))
    return _stack(ops.clip(x1 - left, 0, width), ops.clip(y1 - top, 0, height),
                  ops.clip(x2 - left, 0, width), ops.clip(y2 - top, 0, height))


def pad(boxes, top, left, height=None, width=None, bounding_box_format="xyxy"):
    """Boxes moved by ``left`` and ``top``, as padding the image there moves them.

    Args:
        boxes: ``(N, 4)`` or ``(batch, N, 4)`` xyxy boxes.
        top, left: the padding above and left of the image.
        height, width: unused (Keras 3.15's signature).
        bounding_box_format: ``"xyxy"`` (the only one Keras 3.15 accepts).
    """
    if bounding_box_format != "xyxy":
        raise NotImplementedError("pad() supports bounding_box_format='xyxy' only (as "
                                  f"Keras 3.15). Received: {bounding_box_format!r}")
    x1, y1, x2, y2 = _columns(ops.convert_to_tensor(boxes))
    return _stack(x1 + left, y1 + top, x2 + left, y2 + top)


def _variance(variance):
    if variance is None:
        return None
    variance = ops.convert_to_tensor(variance, "float32")
    if ops.shape(variance)[-1] != 4:
        raise ValueError(f"`variance` must be of length 4. Received: variance={variance}")
    return variance


def _centre_format(value, name):
    if value not in ("center_xywh", "center_yxhw"):
        raise ValueError(f"`{name}` should be 'center_xywh' or 'center_yxhw'. "
                         f"Received: {name}={value!r}")
    return value


def _image_size(image_shape):
    return (None, None) if image_shape is None else tuple(image_shape[:2])


def encode_box_to_deltas(anchors, boxes, anchor_format, box_format,
                         encoding_format="center_yxhw", variance=None, image_shape=None):
    """Deltas of ``boxes`` from ``anchors``: centre offsets in anchor sizes and log size
    ratios, in ``encoding_format`` order, divided by ``variance`` if given.

    Args:
        anchors: ``(N, 4)`` anchors in ``anchor_format``.
        boxes: ``(N, 4)`` or ``(batch, N, 4)`` boxes in ``box_format``.
        encoding_format: ``"center_yxhw"`` (default) or ``"center_xywh"``.
        variance: 4 factors the deltas are divided by.
        image_shape: ``(height, width, channels)``, for relative formats.
    """
    variance = _variance(variance)
    encoding_format = _centre_format(encoding_format, "encoding_format")
    height, width = _image_size(image_shape)
    anchors = convert_format(anchors, anchor_format, encoding_format, height, width)
    boxes = convert_format(boxes, box_format, encoding_format, height, width)
    eps = config.epsilon()
    anchor_size = ops.maximum(anchors[..., 2:], eps)
    box_size = ops.maximum(boxes[..., 2:], eps)
    deltas = ops.concatenate([(boxes[..., :2] - anchors[..., :2]) / anchor_size,
                              ops.log(box_size / anchor_size)], axis=-1)
    return deltas if variance is None else deltas / variance


def decode_deltas_to_boxes(anchors, boxes_delta, anchor_format, box_format,
                           encoded_format="center_yxhw", variance=None, image_shape=None):
    """Boxes in ``box_format`` from deltas against ``anchors`` (the inverse of
    ``encode_box_to_deltas``); dicts of anchors and deltas (one entry per level) decode
    entry by entry.

    Args:
        anchors: ``(N, 4)`` anchors in ``anchor_format``, or a dict of them.
        boxes_delta: ``(N, 4)`` or ``(batch, N, 4)`` deltas, or a dict like ``anchors``.
        encoded_format: the deltas' order, ``"center_yxhw"`` (default) or
            ``"center_xywh"``.
        variance: 4 factors the deltas are multiplied by first.
        image_shape: ``(height, width, channels)``, for relative formats.
    """
    variance = _variance(variance)
    encoded_format = _centre_format(encoded_format, "encoded_format")
    height, width = _image_size(image_shape)

    def decode(anchor, delta):
        anchor = convert_format(anchor, anchor_format, encoded_format, height, width)
        delta = ops.convert_to_tensor(delta)
        if variance is not None:
            delta = delta * variance
        box = ops.concatenate([delta[..., :2] * anchor[..., 2:] + anchor[..., :2],
                               ops.exp(delta[..., 2:]) * anchor[..., 2:]], axis=-1)
        return convert_format(box, encoded_format, box_format, height, width)

    if isinstance(anchors, dict) and isinstance(boxes_delta, dict):
        return {level: decode(anchor, boxes_delta[level]) for level, anchor in anchors.items()}
    return decode(anchors, boxes_delta)


def compute_iou(boxes1, boxes2, bounding_box_format, use_masking=False, mask_val=-1,
                image_shape=None):
    """Pairwise intersection over union: ``(M, N)`` for ``(M, 4)`` and ``(N, 4)`` boxes,
    ``(batch, M, N)`` when either is batched.

    Args:
        boxes1, boxes2: boxes in ``bounding_box_format``, ``(M, 4)`` / ``(batch, M, 4)``.
        bounding_box_format: their format.
        use_masking: give ``mask_val`` to every pair where a box has all its values
            negative (padding).
        mask_val: the value of masked pairs (default -1).
        image_shape: ``(height, width, channels)``, required for relative formats.
    """
    boxes1, boxes2 = ops.convert_to_tensor(boxes1), ops.convert_to_tensor(boxes2)
    for name, boxes in (("boxes1", boxes1), ("boxes2", boxes2)):
        if ops.ndim(boxes) not in (2, 3):
            raise ValueError(f"compute_iou() expects {name} of rank 2 (N, 4) or 3 "
                             f"(batch, N, 4). Received: shape={tuple(ops.shape(boxes))}")
    if "rel" in bounding_box_format and image_shape is None:
        raise ValueError("compute_iou() needs `image_shape` for the relative format "
                         f"{bounding_box_format!r}.")
    height, width = _image_size(image_shape)
    boxes1 = convert_format(boxes1, bounding_box_format, "xyxy", height, width)
    boxes2 = convert_format(boxes2, bounding_box_format, "xyxy", height, width)
    a = boxes1[..., :, None, :]  # (.., M, 1, 4)
    b = boxes2[..., None, :, :]  # (.., 1, N, 4)
    if ops.ndim(boxes2) == 3 and ops.ndim(boxes1) == 2:
        a = a[None]
    inter_w = ops.maximum(ops.minimum(a[..., 2], b[..., 2]) - ops.maximum(a[..., 0], b[..., 0]),
                          0.0)
    inter_h = ops.maximum(ops.minimum(a[..., 3], b[..., 3]) - ops.maximum(a[..., 1], b[..., 1]),
                          0.0)
    inter = inter_w * inter_h
    union = _area(a) + _area(b) - inter
    iou = inter / (union + config.epsilon())
    if not use_masking:
        return iou
    background = ops.logical_or(ops.less(ops.max(a, axis=-1), 0.0),
                                ops.less(ops.max(b, axis=-1), 0.0))
    return ops.where(background, ops.cast(mask_val, ops.dtype(iou)), iou)


def compute_ciou(boxes1, boxes2, bounding_box_format, image_shape=None):
    """Complete IoU of matching boxes (``(..., 4)`` each, broadcast): IoU less the
    squared centre distance over the enclosing box's squared diagonal, less the
    aspect-ratio term ``alpha v``.

    Args:
        boxes1, boxes2: boxes in ``bounding_box_format``.
        bounding_box_format: their format (relative formats are refused, as Keras 3.15).
        image_shape: unused for absolute formats.
    """
    if "rel" in bounding_box_format:
        raise ValueError("compute_ciou() does not take relative bounding box formats (as "
                         f"Keras 3.15). Received: {bounding_box_format!r}")
    height, width = _image_size(image_shape)
    x1a, y1a, x2a, y2a = _columns(convert_format(boxes1, bounding_box_format, "xyxy", height,
                                                 width))
    x1b, y1b, x2b, y2b = _columns(convert_format(boxes2, bounding_box_format, "xyxy", height,
                                                 width))
    eps = config.epsilon()
    w1, h1 = x2a - x1a, y2a - y1a + eps
    w2, h2 = x2b - x1b, y2b - y1b + eps
    inter = ops.maximum(ops.minimum(x2a, x2b) - ops.maximum(x1a, x1b), 0.0) * \
        ops.maximum(ops.minimum(y2a, y2b) - ops.maximum(y1a, y1b), 0.0)
    union = w1 * h1 + w2 * h2 - inter + eps
    iou = inter / (union + eps)
    diagonal = (ops.maximum(x2a, x2b) - ops.minimum(x1a, x1b)) ** 2 + \
        (ops.maximum(y2a, y2b) - ops.minimum(y1a, y1b)) ** 2 + eps
    centres = ((x1a + x2a) / 2 - (x1b + x2b) / 2) ** 2 + ((y1a + y2a) / 2 - (y1b + y2b) / 2) ** 2
    v = (4 / math.pi ** 2) * (ops.arctan(w2 / h2) - ops.arctan(w1 / h1)) ** 2
    alpha = v / (v - iou + (1 + eps))
    return iou - (centres / diagonal + v * alpha)
