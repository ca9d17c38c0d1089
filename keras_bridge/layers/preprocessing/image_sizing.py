"""Layers that change an image's size (Keras 3's): Resizing, CenterCrop, RandomCrop.

Given Keras 3's dict input, each resizes or crops its segmentation masks as the images
(nearest where it resizes) and moves its bounding boxes into the output image, clipped
to it; a box left with no area gets the label -1."""

import numbers

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_geometry import clipped_boxes
from keras_bridge.layers.preprocessing.image_layer import ImageLayer, RandomImageLayer
from keras_bridge.utils import bounding_boxes as box_utils

# Keras 3's interpolation names; the ones not implemented yet are refused by name.
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")
_IMPLEMENTED = ("bilinear", "nearest")


def _size(layer, height, width):
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{type(layer).__name__} expects a positive integer `{name}`. "
                             f"Received: {name}={value!r}")
    return int(height), int(width)


def _aspect_box(in_h, in_w, height, width):
    """Keras's centred crop of the output's aspect ratio: (top, left, box_h, box_w)."""
    box_h = max(min(in_h, int(in_w * height / width)), 1)
    box_w = max(min(in_w, int(in_h * width / height)), 1)
    return int((in_h - box_h) / 2), int((in_w - box_w) / 2), box_h, box_w


def _window_boxes(layer, bounding_boxes, size, top, left, crop_h, crop_w):
    """Boxes of an (in_h, in_w) image in the window (top, left, crop_h, crop_w) of it,
    scaled to the layer's (height, width) output, clipped, in the layer's format."""
    in_h, in_w = size
    boxes = box_utils.convert_format(bounding_boxes["boxes"], layer.bounding_box_format,
                                     "xyxy", in_h, in_w)
    sx, sy = layer.width / crop_w, layer.height / crop_h
    x1, y1, x2, y2 = [boxes[..., i] for i in range(4)]
    left, top = ops.cast(left, "float32"), ops.cast(top, "float32")
    moved = ops.stack([(x1 - left) * sx, (y1 - top) * sy, (x2 - left) * sx, (y2 - top) * sy],
                      axis=-1)
    return clipped_boxes(layer, moved, bounding_boxes["labels"], layer.height, layer.width)


class _Sized(ImageLayer):
    def __init__(self, height, width, data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = _size(self, height, width)

    def compute_output_shape(self, input_shape):
        h, w = self._hw_axes(len(input_shape))
        shape = list(input_shape)
        shape[h], shape[w] = self.height, self.width
        return tuple(shape)

    def resize(self, images, **kwargs):
        return ops.image.resize(images, (self.height, self.width),
                                data_format=self.data_format, **kwargs)

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}


class Resizing(_Sized):
    """Resizes images to (height, width).

    Args:
        height, width: the output size.
        interpolation: 'bilinear' or 'nearest' (Keras's 'bicubic', 'lanczos3',
            'lanczos5' and 'area' are not implemented yet and are refused).
        crop_to_aspect_ratio: first crop the centred box of the output's aspect ratio.
        pad_to_aspect_ratio: first pad with ``fill_value`` to the output's aspect ratio.
        fill_mode: 'constant' (the only padding Keras 3 does).
        fill_value: the padding value.
        antialias: must be False (not implemented yet).
        data_format: 'channels_last' or 'channels_first'.
        bounding_box_format: the format of the boxes of a dict input ('xyxy', ...);
            boxes and masks (nearest) are resized as the images, in inference too.
    """

    def __init__(self, height, width, interpolation="bilinear", crop_to_aspect_ratio=False,
                 pad_to_aspect_ratio=False, fill_mode="constant", fill_value=0.0,
                 antialias=False, data_format=None, **kwargs):
        super().__init__(height, width, data_format=data_format, **kwargs)
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"Invalid value for argument `interpolation`. Expected one of "
                             f"{_INTERPOLATIONS}. Received: interpolation={interpolation!r}")
        if interpolation not in _IMPLEMENTED or antialias:
            raise NotImplementedError(
                f"Resizing(interpolation={interpolation!r}, antialias={antialias!r}) is not "
                f"implemented yet; use one of {_IMPLEMENTED} without antialias.")
        if crop_to_aspect_ratio and pad_to_aspect_ratio:
            raise ValueError("Only one of `crop_to_aspect_ratio` and `pad_to_aspect_ratio` "
                             "can be True.")
        if fill_mode != "constant":
            raise ValueError(f"Resizing supports fill_mode='constant' only. Received: "
                             f"fill_mode={fill_mode!r}")
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = bool(crop_to_aspect_ratio)
        self.pad_to_aspect_ratio = bool(pad_to_aspect_ratio)
        self.fill_mode, self.fill_value, self.antialias = fill_mode, fill_value, False

    def get_random_transformation(self, images, training=True):
        return self._hw(images)  # the input size: what the boxes need

    def _resize(self, x, interpolation):
        return self.resize(x, interpolation=interpolation,
                           crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                           pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                           fill_value=self.fill_value)

    def transform_images(self, images, transformation, training=True):
        dtype = ops.dtype(images)
        x = images if dtype.startswith(("float", "bfloat")) else \
            ops.cast(images, self.compute_dtype)
        out = self._resize(x, self.interpolation)
        if ops.dtype(out) != dtype:  # integer images come back rounded into their range
            out = ops.saturate_cast(ops.round(out), dtype)
        return out

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self._resize(segmentation_masks, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        in_h, in_w = transformation
        given = bounding_boxes["boxes"]
        empty = ops.logical_or(ops.all(ops.equal(given, -1.0), axis=-1),
                               ops.all(ops.equal(given, 0.0), axis=-1))  # padding boxes
        boxes = box_utils.convert_format(given, self.bounding_box_format, "xyxy", in_h, in_w)
        if self.pad_to_aspect_ratio:
            sx = sy = min(self.height / in_h, self.width / in_w)
            dx, dy = (self.width - in_w * sx) // 2, (self.height - in_h * sy) // 2
        elif self.crop_to_aspect_ratio:  # Keras 3.15's arithmetic
            ratio = in_w / in_h
            wide = ratio > self.width / self.height
            new_w = self.height * ratio if wide else self.width
            new_h = self.height if wide else self.width / ratio
            sx, sy = new_w / in_w, new_h / in_h
            dx, dy = -((new_w - self.width) // 2), -((new_h - self.height) // 2)
        else:
            sx, sy, dx, dy = self.width / in_w, self.height / in_h, 0.0, 0.0
        x1, y1, x2, y2 = [boxes[..., i] for i in range(4)]
        boxes = ops.stack([x1 * sx + dx, y1 * sy + dy, x2 * sx + dx, y2 * sy + dy], axis=-1)
        clipped = box_utils.clip_to_image_size(
            {"boxes": boxes, "labels": bounding_boxes["labels"]}, self.height, self.width)
        boxes = ops.where(ops.expand_dims(empty, -1), 0.0, clipped["boxes"])
        return {"boxes": box_utils.convert_format(boxes, "xyxy", self.bounding_box_format,
                                                  self.height, self.width),
                "labels": clipped["labels"]}

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation,
                "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "antialias": self.antialias}


def _crop(images, h, top, left, height, width):
    start = [0] * ops.ndim(images)
    size = list(ops.shape(images))
    start[h], start[h + 1] = top, left
    size[h], size[h + 1] = height, width
    return ops.slice(images, start, size)


class CenterCrop(_Sized):
    """Crops the centre (height, width) of images; smaller images are first cropped to
    the output's aspect ratio and resized (bilinear).

    Args:
        height, width: the output size.
        data_format: 'channels_last' or 'channels_first'.
        bounding_box_format: the format of the boxes of a dict input ('xyxy', ...);
            boxes and masks are cropped as the images (masks resized nearest).
    """

    def get_random_transformation(self, images, training=True):
        return self._hw(images)

    def _window(self, size):
        """(top, left, height, width) of the input that becomes the output."""
        dh, dw = size[0] - self.height, size[1] - self.width
        if dh >= 0 and dw >= 0:
            return dh // 2, dw // 2, self.height, self.width
        return _aspect_box(*size, self.height, self.width)

    def transform_images(self, images, transformation, training=True, interpolation=None):
        images = ops.cast(images, self.compute_dtype)
        top, left, height, width = self._window(transformation)
        if (height, width) == (self.height, self.width):
            return _crop(images, self._hw_axes(4)[0], top, left, height, width)
        kwargs = {"interpolation": interpolation} if interpolation else {}
        return self.resize(images, crop_to_aspect_ratio=True, **kwargs)

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        # in the compute dtype as Keras 3.15's; resized nearest (Keras: bilinear)
        return self.transform_images(segmentation_masks, transformation, training, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return _window_boxes(self, bounding_boxes, transformation,
                             *self._window(transformation))


class RandomCrop(RandomImageLayer):
    """Crops a random (height, width) window, the same for the whole batch, in training
    (images not larger than the window: Keras 3's fixed box, resized).

    In inference Keras 3.15 returns the images uncropped, so its output disagrees with
    its own output shape; here inference crops the centred box of the output's aspect
    ratio and resizes it (bilinear), as Keras 2's RandomCrop did.

    Boxes of a dict input move into the window and are clipped to it (a box left with
    no area gets the label -1); Keras 3.15 subtracts the window's top from x and its
    left from y and clips only at 0. Masks are cropped as the images (resized nearest).

    Args:
        height, width: the output size.
        seed: int seed of the layer's generator.
        data_format: 'channels_last' or 'channels_first'.
        bounding_box_format: the format of the boxes of a dict input ('xyxy', ...).
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = _size(self, height, width)

    compute_output_shape = _Sized.compute_output_shape

    def get_random_transformation(self, images, training=True):
        in_h, in_w = size = self._hw(images)
        if training and in_h > self.height and in_w > self.width:
            top = ops.cast(self.draw((), 0, float(in_h - self.height + 1)), "int32")
            left = ops.cast(self.draw((), 0, float(in_w - self.width + 1)), "int32")
            return {"window": (top, left, self.height, self.width), "size": size}
        top, left, box_h, box_w = _aspect_box(in_h, in_w, self.height, self.width)
        if training:  # images too small: Keras 3's box (its corner, the output's size)
            box_h, box_w = min(self.height, in_h - top), min(self.width, in_w - left)
        return {"window": (top, left, box_h, box_w), "size": size}

    def transform_images(self, images, transformation, training=True, interpolation=None):
        images = ops.cast(images, self.compute_dtype)
        top, left, height, width = transformation["window"]
        images = _crop(images, self._hw_axes(4)[0], top, left, height, width)
        if (height, width) != (self.height, self.width):
            kwargs = {"interpolation": interpolation} if interpolation else {}
            images = ops.image.resize(images, (self.height, self.width),
                                      data_format=self.data_format, **kwargs)
        return images

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return self.transform_images(segmentation_masks, transformation, training, "nearest")

    def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
        return _window_boxes(self, bounding_boxes, transformation["size"],
                             *transformation["window"])

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
