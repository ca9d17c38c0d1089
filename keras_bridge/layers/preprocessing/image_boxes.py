"""Bounding-box inputs of Keras 3's image layers: ``{"images": ..., "bounding_boxes":
{"boxes": (batch, n, 4), "labels": (batch, n)}, ...}`` (or one image: ``(n, 4)`` and
``(n,)``; checked by image_layer.check_boxes), and MaxNumBoundingBoxes, which gives
every box dict a fixed count."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import ImageLayer


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
        super().__init__(data_format=data_format, bounding_box_format=bounding_box_format,
                         **kwargs)
        if isinstance(max_number, bool) or int(max_number) != max_number or max_number < 1:
            raise ValueError("`max_number` should be a positive integer. Received: "
                             f"max_number={max_number!r}")
        self.max_number = int(max_number)
        self.fill_value = int(fill_value)

    def call(self, inputs, training=True):
        return super().call(inputs, training) if isinstance(inputs, dict) else inputs

    def transform_images(self, images, transformation, training=True):
        return images

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return {key: self._fit(bounding_boxes[key]) for key in ("boxes", "labels")}

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
        return {**super().get_config(), "max_number": self.max_number,
                "fill_value": self.fill_value}
