"""What Keras 3's image preprocessing layers share: the data format, the height and
width axes, the ``factor`` ranges, and the ``training`` rule.

A random layer's ``call`` takes ``training=True`` as Keras 3's does: it augments when
called directly or in ``fit`` and passes images through in ``predict`` / ``evaluate``
(which call with ``training=False``). Inside a model called as ``model(x)`` with no
``training`` it passes images through on both engines (Keras 3 would augment there:
its layers fall back to their own default). Its draws come from its own ``SeedGenerator``
(``self.generator``), so a given seed gives the same augmentations on every run.
"""

import numbers

from keras_bridge import config, ops
from keras_bridge.layers.base import Layer


def data_format_of(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', "
                         f"'channels_last'}}. Received: data_format={data_format!r}")
    return data_format


def factor_range(factor, bounds, name="factor", lower_open=False):
    """(lower, upper) from a number f (-|f|, |f|) or a pair, each inside ``bounds``."""
    low, high = bounds
    message = (f"The `{name}` argument should be a number (or a list of two numbers) in "
               f"the range {'(' if lower_open else '['}{low}, {high}]. Received: "
               f"{name}={factor!r}")
    if isinstance(factor, (tuple, list)):
        pair = list(factor)
    elif isinstance(factor, numbers.Real) and not isinstance(factor, bool):
        pair = [-abs(factor), abs(factor)]
    else:
        raise ValueError(message)
    if len(pair) != 2 or not all(isinstance(v, numbers.Real) and not isinstance(v, bool)
                                 for v in pair):
        raise ValueError(message)
    for value in (factor if isinstance(factor, (tuple, list)) else [factor]):
        if value > high or value < low or (lower_open and value == low):
            raise ValueError(message)
    lower, upper = sorted(float(v) for v in pair)
    return max(lower, low), upper


def value_range_of(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError("The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range!r}")
    return sorted(value_range)


def rescale(images, source, target):
    """Maps values linearly from the range ``source`` onto ``target``."""
    if list(source) == list(target):
        return images
    scale = (target[1] - target[0]) / (source[1] - source[0])
    return ops.add(ops.multiply(ops.subtract(images, source[0]), scale), target[0])


def choose(name, value, allowed):
    if value not in allowed:
        raise ValueError(f"Unknown `{name}` {value!r}. Expected one of {allowed}.")
    return value


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


def box_format_of(bounding_box_format):
    from keras_bridge.utils.bounding_boxes import SUPPORTED_FORMATS
    if bounding_box_format is not None and bounding_box_format not in SUPPORTED_FORMATS:
        raise ValueError("Unknown `bounding_box_format` "
                         f"{bounding_box_format!r}. Expected one of {SUPPORTED_FORMATS}.")
    return bounding_box_format


class ImageLayer(Layer):
    """Base of the image layers: rank 3 (one image) or 4 (a batch) inputs, or Keras 3's
    dict ``{"images": ..., "bounding_boxes": {"boxes", "labels"}, "segmentation_masks":
    ..., "labels": ...}`` (only "images" required; other entries pass through).

    ``call`` works on a batch (one image gets a batch axis and loses it again): it
    draws one ``get_random_transformation`` and hands it to ``transform_images``,
    ``transform_bounding_boxes`` (boxes ``(batch, n, 4)`` in ``bounding_box_format``,
    labels ``(batch, n)``) and ``transform_segmentation_masks`` (masks laid out as the
    images), Keras 3's structure. Boxes and masks pass through unchanged unless a layer
    transforms them; a layer that moves pixels without doing so sets
    ``_BOXES_AND_MASKS = False`` and refuses them.
    """

    _BOXES_AND_MASKS = True

    def __init__(self, data_format=None, bounding_box_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = data_format_of(data_format)
        self.bounding_box_format = box_format_of(bounding_box_format)

    def _hw_axes(self, ndim):
        """Axes of height and width for an input of rank ``ndim`` (3 or 4)."""
        if ndim not in (3, 4):
            raise ValueError(f"Layer {self.name!r} expects images of rank 3 (one image) or 4 "
                             f"(a batch of images). Received an input of rank {ndim}.")
        h = ndim - 3 if self.data_format == "channels_last" else ndim - 2
        return h, h + 1

    def _as_batch(self, images):
        """(images as a batch of rank 4 in the compute dtype, whether it was one image)."""
        return self._batched(ops.cast(images, self.compute_dtype))

    def _batched(self, images):
        """(images as a batch of rank 4, whether it was one image); a rank other than 3
        or 4 is an error."""
        self._hw_axes(ops.ndim(images))
        single = ops.ndim(images) == 3
        return (ops.expand_dims(images, 0) if single else images), single

    def _hw(self, images):
        """(height, width) of a batch of images."""
        h, w = self._hw_axes(4)
        return ops.shape(images)[h], ops.shape(images)[w]

    def call(self, inputs, training=True):
        if isinstance(inputs, dict):
            return self._call_dict(inputs, training)
        images, single = self._batched(inputs)
        transformation = self.get_random_transformation(images, training)
        images = self.transform_images(images, transformation, training)
        return ops.squeeze(images, 0) if single else images

    def _call_dict(self, inputs, training):
        if "images" not in inputs:
            raise ValueError(f"Layer {self.name!r} expects a dict with an 'images' entry. "
                             f"Received keys: {sorted(inputs)}")
        self.check_targets(inputs)
        images, single = self._batched(ops.convert_to_tensor(inputs["images"]))
        transformation = self.get_random_transformation(images, training)
        out = dict(inputs)
        result = self.transform_images(images, transformation, training)
        out["images"] = ops.squeeze(result, 0) if single else result
        if "bounding_boxes" in inputs:
            boxes, labels = check_boxes(self, inputs["bounding_boxes"], not single)
            result = self.transform_bounding_boxes({"boxes": boxes, "labels": labels},
                                                   transformation, training)
            if single:
                result = {k: ops.squeeze(result[k], 0) for k in ("boxes", "labels")}
            out["bounding_boxes"] = {**inputs["bounding_boxes"], "boxes": result["boxes"],
                                     "labels": result["labels"]}
        if "segmentation_masks" in inputs:
            masks = self._masks(inputs["segmentation_masks"], images, single)
            result = self.transform_segmentation_masks(masks, transformation, training)
            out["segmentation_masks"] = ops.squeeze(result, 0) if single else result
        return out

    def check_targets(self, inputs):
        """Refuses boxes and masks in a layer that would leave them out of place."""
        given = [k for k in ("bounding_boxes", "segmentation_masks") if k in inputs]
        if given and not self._BOXES_AND_MASKS:
            raise NotImplementedError(
                f"{type(self).__name__} does not transform {' or '.join(given)} in "
                "keras_bridge. Pass a dict without them, or use a layer that does: "
                "RandomFlip, RandomCrop, RandomTranslation, RandomZoom, RandomRotation, "
                "Resizing, CenterCrop, the colour layers (unchanged).")

    def _masks(self, masks, images, single):
        """The masks as a batch, checked against the (batched) images."""
        masks = ops.convert_to_tensor(masks)
        given = tuple(ops.shape(masks))
        masks = ops.expand_dims(masks, 0) if single and len(given) == 3 else masks
        h, w = self._hw_axes(4)
        shape, expected = tuple(ops.shape(masks)), tuple(ops.shape(images))
        if len(given) != 4 - single or [shape[i] for i in (0, h, w)] != \
                [expected[i] for i in (0, h, w)]:
            want = expected[1:] if single else expected
            raise ValueError("Expected `segmentation_masks` laid out as the images "
                             f"({self.data_format}), with their batch, height and width: "
                             f"shape like {want}. Received: shape={given}")
        return masks

    def get_random_transformation(self, images, training=True):
        """What one call applies to the batch ``images`` (None: nothing random)."""
        return None

    def transform_images(self, images, transformation, training=True):
        raise NotImplementedError

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        """``{"boxes", "labels"}`` batched; unchanged by default (colour layers)."""
        return bounding_boxes

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        """Masks batched and laid out as the images; unchanged by default."""
        return segmentation_masks

    def get_config(self):
        config = {**super().get_config(), "data_format": self.data_format}
        if self.bounding_box_format is not None:
            config["bounding_box_format"] = self.bounding_box_format
        return config


class RandomImageLayer(ImageLayer):
    """An augmentation in training, the images unchanged otherwise. A colour layer
    writes ``transform(batch)`` (its draws and its change in one); a geometric one
    writes ``get_random_transformation`` and ``transform_images`` (and the box and mask
    transforms), and ``transform`` composes them for the layers built of others."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        from keras_bridge.random import SeedGenerator  # random's SeedGenerator is a Layer
        self.seed = seed
        self.generator = SeedGenerator(seed)

    def draw(self, shape, low=0.0, high=1.0, dtype=None):
        """Uniform samples in [low, high) from the layer's generator."""
        from keras_bridge import random
        return random.uniform(shape, low, high, dtype=dtype, seed=self.generator)

    def chance(self, batch, probability):
        """(batch, 1, 1, 1) booleans: per image, a uniform threshold below a probability
        drawn from the range ``probability`` (Keras's "apply with probability" rule)."""
        p = self.draw((batch,), *probability)
        return ops.reshape(ops.less(self.draw((batch,)), p), (batch, 1, 1, 1))

    def sign(self, shape):
        """-1 or +1 with equal odds, as Keras's layers flip the direction of a draw."""
        return ops.where(ops.greater(self.draw(shape), 0.5), -1.0, 1.0)

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        return self.transform(images) if training else images

    def transform(self, images):
        """One augmentation of a batch in the compute dtype."""
        return self.transform_images(images, self.get_random_transformation(images), True)

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, dict):
            return input_shape
        self._hw_axes(len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}
