"""Bounding-box inputs of Keras 3's image layers: ``{"images": ..., "bounding_boxes":
{"boxes": (batch, n, 4), "labels": (batch, n)}, ...}`` (or one image: ``(n, 4)`` and
``(n,)``), and MaxNumBoundingBoxes, which gives every box dict a fixed count."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import ImageLayer


def check_boxes(layer, bounding_boxes, batched):
    """The ``bounding_boxes`` dict of ``layer``'s input as (boxes float32, labels),
    batched; raises a ValueError naming what is wrong."""
    if not isinstance(bounding_boxes, dict) or not {"boxes", "labels"} <= set(bounding_boxes):
        raise ValueError("Expected `bounding_boxes` to be a dict with keys 'boxes' and "
                         f"'labels'. Received: bounding_boxes={bounding_boxes!r}")
    if not getattr(layer, "bounding_box_format", None):
        raise ValueError("You passed an input with a 'bounding_boxes' key, but you didn't "
                         "specify a bounding box format. Pass a `bounding_box_format` "
                         f"argument to your {type(layer).__name__} layer, e.g. "
                         "`bounding_box_format='xyxy'`.")
    boxes = ops.cast(ops.convert_to_tensor(bounding_boxes["boxes"]), "float32")
    labels = ops.convert_to_tensor(bounding_boxes["labels"])
    rank = 3 if batched else 2
    if ops.ndim(boxes) != rank or ops.shape(boxes)[-1] != 4:
        raise ValueError(f"Expected `bounding_boxes['boxes']` of shape "
                         f"{'(batch_size, num_boxes, 4)' if batched else '(num_boxes, 4)'}"
                         f" for {'a batch of images' if batched else 'one image'}. "
                         f"Received: shape={tuple(ops.shape(boxes))}")
    if ops.ndim(labels) not in (rank - 1, rank) or \
            tuple(ops.shape(labels))[:rank - 1] != tuple(ops.shape(boxes))[:rank - 1]:
        raise ValueError("Expected `bounding_boxes['labels']` with one entry per box, shape "
                         f"{tuple(ops.shape(boxes))[:rank - 1]}. Received: "
                         f"shape={tuple(ops.shape(labels))}")
    if not batched:
        boxes, labels = ops.expand_dims(boxes, 0), ops.expand_dims(labels, 0)
    return boxes, labels


class MaxNumBoundingBoxes(ImageLayer):
    """Gives the ``bounding_boxes`` of its dict input exactly ``max_number`` boxes:
    extra boxes are dropped, missing ones are padded (``boxes`` and ``labels``) with
    ``fill_value``. Images, labels and masks pass through; so do plain image inputs.

    Args:
        max_number: the number of boxes per image in the output.
        fill_value: the value of padded boxes and labels (int, default -1).
        bounding_box_format: the boxes' format ('xyxy', ...); required for box inputs,
            as in Keras 3.
        data_format: as the other image layers.

    Example:
        layer = MaxNumBoundingBoxes(10, bounding_box_format="xyxy")
        out = layer({"images": images, "bounding_boxes": {"boxes": b, "labels": l}})
        out["bounding_boxes"]["boxes"].shape  # (batch, 10, 4)
    """

    def __init__(self, max_number, fill_value=-1, bounding_box_format=None, data_format=None,
                 **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        if isinstance(max_number, bool) or int(max_number) != max_number or max_number < 1:
            raise ValueError("`max_number` should be a positive integer. Received: "
                             f"max_number={max_number!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)
        self.bounding_box_format = bounding_box_format

    def call(self, inputs, training=True):
        if not isinstance(inputs, dict):
            return inputs
        if "images" not in inputs:
            raise ValueError(f"Layer {self.name!r} expects a dict with an 'images' entry. "
                             f"Received keys: {sorted(inputs)}")
        out = dict(inputs)
        batched = ops.ndim(inputs["images"]) == 4
        self._hw_axes(ops.ndim(inputs["images"]))
        if "bounding_boxes" in inputs:
            boxes, labels = check_boxes(self, inputs["bounding_boxes"], batched)
            boxes, labels = self._fit(boxes), self._fit(labels)
            if not batched:
                boxes, labels = ops.squeeze(boxes, 0), ops.squeeze(labels, 0)
            out["bounding_boxes"] = {**inputs["bounding_boxes"], "boxes": boxes,
                                     "labels": labels}
        return out

    def _fit(self, x):
        """``x`` (batch, n, ...) cut or padded to (batch, max_number, ...)."""
        x = x[:, :self.max_number]
        missing = self.max_number - ops.shape(x)[1]
        if missing > 0:
            widths = [[0, 0], [0, missing]] + [[0, 0]] * (ops.ndim(x) - 2)
            x = ops.pad(x, widths, constant_values=ops.cast(self.fill_value, x.dtype))
        return x

    def compute_output_shape(self, input_shape):
        if not isinstance(input_shape, dict) or "bounding_boxes" not in input_shape:
            return input_shape
        out = dict(input_shape)
        shapes = dict(input_shape["bounding_boxes"])
        extra = set(shapes) - {"boxes", "labels"}
        if extra:
            raise KeyError(f"There are unsupported keys in `bounding_boxes`: {sorted(extra)}. "
                           "Only `boxes` and `labels` are supported.")
        axis = len(shapes["boxes"]) - 2  # the boxes' axis: 1 batched, 0 for one image
        for key in ("boxes", "labels"):
            shape = list(shapes[key])
            shape[axis] = self.max_number
            shapes[key] = tuple(shape)
        out["bounding_boxes"] = shapes
        return out

    def get_config(self):
        config = {**super().get_config(), "max_number": self.max_number,
                  "fill_value": self.fill_value}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config
