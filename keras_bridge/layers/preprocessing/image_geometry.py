"""Geometric augmentations (Keras 3's): RandomFlip, RandomRotation, RandomZoom,
RandomTranslation, RandomShear, RandomPerspective. Each draws one transformation per image
from its generator and applies it with ``ops.image.affine_transform`` (flips with
``ops.flip``, perspective with ``ops.image.perspective_transform``).

Given Keras 3's dict input, RandomFlip, RandomRotation, RandomZoom and RandomTranslation
move its segmentation masks (nearest) and bounding boxes with the images: a box becomes
the box around its moved corners, clipped to the image; a box left with no area gets the
label -1 (``keras.utils.bounding_boxes.clip_to_image_size``)."""

import math

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, choose
from keras_bridge.layers.preprocessing.image_layer import factor_range
from keras_bridge.utils import bounding_boxes as box_utils

_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")
_MODES = ("horizontal", "vertical", "horizontal_and_vertical")


def _affine(a0, a1, a2, b0, b1, b2):
    """(batch, 8) transforms from (batch,) coefficients (no projective part)."""
    zero = ops.zeros_like(a0)
    return ops.stack([a0, a1, a2, b0, b1, b2, zero, zero], axis=1)


def _inverse(matrix):
    """The (batch,) coefficients of the map from input to output points, the inverse
    of ``matrix``'s map from output to input points (affine_transform's convention)."""
    a0, a1, a2, b0, b1, b2 = [matrix[:, i] for i in range(6)]
    det = a0 * b1 - a1 * b0
    c0, c1, d0, d1 = b1 / det, -a1 / det, -b0 / det, a0 / det
    return c0, c1, -(c0 * a2 + c1 * b2), d0, d1, -(d0 * a2 + d1 * b2)


def boxes_in(layer, bounding_boxes, height, width, move):
    """``bounding_boxes`` of an image of (height, width) moved by ``move`` (xyxy boxes
    to xyxy boxes in the same image), clipped to it, in the layer's format."""
    boxes = box_utils.convert_format(bounding_boxes["boxes"], layer.bounding_box_format,
                                     "xyxy", height, width)
    return clipped_boxes(layer, move(boxes), bounding_boxes["labels"], height, width)


def clipped_boxes(layer, boxes, labels, height, width):
    """xyxy ``boxes`` of an output image of (height, width) clipped to it (no area:
    label -1), as ``{"boxes", "labels"}`` in the layer's format."""
    clipped = box_utils.clip_to_image_size({"boxes": boxes, "labels": labels}, height, width)
    return {"boxes": box_utils.convert_format(clipped["boxes"], "xyxy",
                                              layer.bounding_box_format, height, width),
            "labels": clipped["labels"]}


class _Resampling(RandomImageLayer):
    """An augmentation that resamples the image through an affine map: ``matrices``
    gives the (batch, 8) maps from output to input points."""

    def __init__(self, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.fill_mode = choose("fill_mode", fill_mode, _FILL_MODES)
        self.interpolation = choose("interpolation", interpolation, _INTERPOLATIONS)
        self.fill_value = fill_value

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        height, width = self._hw(images)
        return {"matrix": self.matrices(ops.shape(images)[0], height, width),
                "size": (height, width)}

    def _warp(self, x, transformation, interpolation):
        return ops.image.affine_transform(x, transformation["matrix"], interpolation,
                                          self.fill_mode, self.fill_value, self.data_format)

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        return images if transformation is None else \
            self._warp(images, transformation, self.interpolation)

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return segmentation_masks if transformation is None else \
            self._warp(segmentation_masks, transformation, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if transformation is None:
            return bounding_boxes
        forward = _inverse(transformation["matrix"])
        return boxes_in(self, bounding_boxes, *transformation["size"],
                        lambda boxes: box_utils.map_corners(boxes, *forward))

    def uniform(self, batch, low, high):
        return self.draw((batch,), low, high)

    def get_config(self):
        return {**super().get_config(), "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "interpolation": self.interpolation}


class RandomFlip(RandomImageLayer):
    """Flips each image (both axes together in 'horizontal_and_vertical') with
    probability 1/2 in training; boxes and masks of a dict input flip with it.

    Args:
        mode: 'horizontal', 'vertical' or 'horizontal_and_vertical'.
        seed: int seed of the layer's generator.
        data_format: 'channels_last' or 'channels_first' (default: the config's).
        bounding_box_format: the format of the boxes of a dict input ('xyxy', ...).
    """

    def __init__(self, mode="horizontal_and_vertical", seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.mode = choose("mode", mode, _MODES)

    def get_random_transformation(self, images, training=True):
        if not training:
            return None
        flips = ops.less_equal(self.draw((ops.shape(images)[0], 1, 1, 1)), 0.5)
        return {"flips": flips, "size": self._hw(images)}

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        if transformation is None:
            return images
        h, w = self._hw_axes(4)
        flips = transformation["flips"]
        if self.mode != "vertical":
            images = ops.where(flips, ops.flip(images, axis=w), images)
        if self.mode != "horizontal":
            images = ops.where(flips, ops.flip(images, axis=h), images)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        # as the images, in the compute dtype (Keras 3.15 flips masks as images)
        return self.transform_images(segmentation_masks, transformation, training)

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        if transformation is None:
            return bounding_boxes
        height, width = transformation["size"]
        flips = ops.reshape(transformation["flips"], (-1, 1, 1))

        def flip(boxes):
            x1, y1, x2, y2 = [boxes[..., i:i + 1] for i in range(4)]
            if self.mode != "vertical":
                x1, x2 = ops.where(flips, width - x2, x1), ops.where(flips, width - x1, x2)
            if self.mode != "horizontal":
                y1, y2 = ops.where(flips, height - y2, y1), ops.where(flips, height - y1, y2)
            return ops.concatenate([x1, y1, x2, y2], axis=-1)

        return boxes_in(self, bounding_boxes, height, width, flip)

    def get_config(self):
        return {**super().get_config(), "mode": self.mode}


class RandomRotation(_Resampling):
    """Rotates each image about its centre by an angle drawn uniformly from
    ``factor * 360`` degrees in training.

    Args:
        factor: a fraction f of a full turn (angles in [-f, f]) or a pair (lower, upper).
        fill_mode: 'reflect', 'wrap', 'constant' or 'nearest' (points outside the image).
        interpolation: 'bilinear' or 'nearest'.
        seed: int seed of the layer's generator.
        fill_value: the value outside the image for fill_mode='constant'.
        data_format: 'channels_last' or 'channels_first'.
        bounding_box_format: the format of the boxes of a dict input ('xyxy', ...); its
            boxes and masks rotate with the images.
    """

    def __init__(self, factor, fill_mode="reflect", interpolation="bilinear", seed=None,
                 fill_value=0.0, data_format=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.factor = factor_range(factor, (-1, 1))

    def matrices(self, batch, height, width):
        degrees = self.uniform(batch, self.factor[0] * 360.0, self.factor[1] * 360.0)
        angle = ops.multiply(degrees, math.pi / 180.0)
        cos, sin = ops.cos(angle), ops.sin(angle)
        cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
        a2 = ops.add(ops.subtract(cx, ops.multiply(cos, cx)), ops.multiply(sin, cy))
        b2 = ops.subtract(ops.subtract(cy, ops.multiply(sin, cx)), ops.multiply(cos, cy))
        return _affine(cos, ops.negative(sin), a2, sin, cos, b2)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomZoom(_Resampling):
    """Zooms each image about its centre in training: a factor f > 0 zooms out (the
    image shrinks by up to f), f < 0 zooms in.

    Args:
        height_factor: f (zoom in [1 - f, 1 + f] on the height) or a pair, in (-1, 1].
        width_factor: the same for the width; None keeps the aspect ratio.
        fill_mode, interpolation, seed, fill_value, data_format,
            bounding_box_format: as RandomRotation.
    """

    def __init__(self, height_factor, width_factor=None, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = factor_range(height_factor, (-1, 1), "height_factor", True)
        self._width = None if width_factor is None else \
            factor_range(width_factor, (-1, 1), "width_factor", True)

    def matrices(self, batch, height, width):
        zoom_h = self.uniform(batch, 1.0 + self._height[0], 1.0 + self._height[1])
        zoom_w = zoom_h if self._width is None else \
            self.uniform(batch, 1.0 + self._width[0], 1.0 + self._width[1])
        zero = ops.zeros_like(zoom_h)
        return _affine(zoom_w, zero, ops.multiply((width - 1) / 2.0, ops.subtract(1.0, zoom_w)),
                       zero, zoom_h, ops.multiply((height - 1) / 2.0, ops.subtract(1.0, zoom_h)))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomTranslation(_Resampling):
    """Shifts each image by fractions of its height and width drawn uniformly in
    training.

    Args:
        height_factor: f (shifts in [-f, f] of the height) or a pair, in [-1, 1].
        width_factor: the same for the width.
        fill_mode, interpolation, seed, fill_value, data_format,
            bounding_box_format: as RandomRotation.
    """

    def __init__(self, height_factor, width_factor, fill_mode="reflect",
                 interpolation="bilinear", seed=None, fill_value=0.0, data_format=None,
                 **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.height_factor, self.width_factor = height_factor, width_factor
        self._height = factor_range(height_factor, (-1, 1), "height_factor")
        self._width = factor_range(width_factor, (-1, 1), "width_factor")

    def matrices(self, batch, height, width):
        dy = ops.multiply(self.uniform(batch, *self._height), float(height))
        dx = ops.multiply(self.uniform(batch, *self._width), float(width))
        one, zero = ops.ones_like(dx), ops.zeros_like(dx)
        return _affine(one, zero, ops.negative(dx), zero, one, ops.negative(dy))

    def get_config(self):
        return {**super().get_config(), "height_factor": self.height_factor,
                "width_factor": self.width_factor}


class RandomShear(_Resampling):
    """Shears each image about its top-left corner in training: input x reads
    x + sx y and y reads y + sy x, with sx, sy drawn per image from ``x_factor``,
    ``y_factor`` and both negated together at random.

    Args:
        x_factor: f in [0, 1] (shears in [-f, f]) or a pair (lower, upper) in [0, 1].
        y_factor: the same along the height.
        interpolation, fill_mode, fill_value, data_format, seed: as RandomRotation.

    Bounding boxes and segmentation masks are not transformed yet (refused).
    """

    _BOXES_AND_MASKS = False

    def __init__(self, x_factor=0.0, y_factor=0.0, interpolation="bilinear",
                 fill_mode="reflect", fill_value=0.0, data_format=None, seed=None, **kwargs):
        super().__init__(fill_mode, interpolation, seed, fill_value, data_format, **kwargs)
        self.x_factor, self.y_factor = x_factor, y_factor  # as given: config round trips
        self._x = self._factor(x_factor, "x_factor")
        self._y = self._factor(y_factor, "y_factor")

    @staticmethod
    def _factor(factor, name):
        values = factor if isinstance(factor, (tuple, list)) else [factor]
        if any(isinstance(v, (int, float)) and not isinstance(v, bool) and v < 0
               for v in values):
            raise ValueError(f"The `{name}` argument should be a number (or a list of two "
                             f"numbers) in the range [0, 1]. Received: {name}={factor!r}")
        return factor_range(factor, (-1, 1), name)

    def matrices(self, batch, height, width):
        sign = self.sign((batch,))
        sx = ops.multiply(self.uniform(batch, *self._x), sign)
        sy = ops.multiply(self.uniform(batch, *self._y), sign)
        one, zero = ops.ones_like(sx), ops.zeros_like(sx)
        return _affine(one, sx, zero, sy, one, zero)

    def get_config(self):
        return {**super().get_config(), "x_factor": self.x_factor, "y_factor": self.y_factor}


class RandomPerspective(RandomImageLayer):
    """Warps each image in training, with probability drawn per image from ``factor``,
    by the perspective map moving each corner c to c (1 + d), d drawn per coordinate
    in [-scale / 2, scale / 2]; points from outside read ``fill_value``.

    Args:
        factor: p in [0, 1] (probabilities in [0, p]) or a pair (lower, upper).
        scale: the corners' largest relative move, in [0, 1].
        interpolation: 'bilinear' or 'nearest'.
        fill_value, seed, data_format: as RandomRotation.

    Bounding boxes and segmentation masks are not transformed yet (refused).
    """

    _BOXES_AND_MASKS = False

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_value=0.0,
                 seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) \
                or not 0 <= scale <= 1:
            raise ValueError("The `scale` argument should be a number in the range [0,1]. "
                             f"Received: scale={scale!r}")
        self.scale = scale
        self.interpolation = choose("interpolation", interpolation, _INTERPOLATIONS)
        self.fill_value = fill_value

    def transform(self, images):
        h, w = self._hw_axes(4)
        shape = ops.shape(images)
        batch, height, width = shape[0], shape[h], shape[w]
        apply = self.chance(batch, self.factor)
        moves = self.draw((batch, 4, 2), -0.5 * self.scale, 0.5 * self.scale)
        corners = ops.convert_to_tensor([[0.0, 0.0], [width - 1.0, 0.0], [0.0, height - 1.0],
                                         [width - 1.0, height - 1.0]], self.compute_dtype)
        start = ops.broadcast_to(corners[None], (batch, 4, 2))
        end = ops.add(start, ops.multiply(start, moves))
        warped = ops.image.perspective_transform(images, start, end, self.interpolation,
                                                 self.fill_value, self.data_format)
        return ops.where(apply, warped, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_value": self.fill_value}
