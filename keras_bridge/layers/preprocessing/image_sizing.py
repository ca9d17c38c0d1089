"""Layers that change an image's size (Keras 3's): Resizing, CenterCrop, RandomCrop."""

import numbers

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import ImageLayer, RandomImageLayer

# Keras 3's interpolation names; the ones not implemented yet are refused by name.
_INTERPOLATIONS = ("bilinear", "nearest", "bicubic", "lanczos3", "lanczos5", "area")
_IMPLEMENTED = ("bilinear", "nearest")


def _size(layer, height, width):
    for name, value in (("height", height), ("width", width)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
            raise ValueError(f"{type(layer).__name__} expects a positive integer `{name}`. "
                             f"Received: {name}={value!r}")
    return int(height), int(width)


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

    def call(self, inputs):
        self._hw_axes(ops.ndim(inputs))
        dtype = ops.dtype(inputs)
        x = inputs if dtype.startswith(("float", "bfloat")) else \
            ops.cast(inputs, self.compute_dtype)
        out = self.resize(x, interpolation=self.interpolation,
                          crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                          pad_to_aspect_ratio=self.pad_to_aspect_ratio,
                          fill_value=self.fill_value)
        if ops.dtype(out) != dtype:  # integer images come back rounded into their range
            out = ops.saturate_cast(ops.round(out), dtype)
        return out

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
    """

    def call(self, inputs):
        images = ops.cast(inputs, self.compute_dtype)
        h, w = self._hw_axes(ops.ndim(images))
        dh, dw = ops.shape(images)[h] - self.height, ops.shape(images)[w] - self.width
        if dh >= 0 and dw >= 0:
            return _crop(images, h, dh // 2, dw // 2, self.height, self.width)
        return self.resize(images, crop_to_aspect_ratio=True)


class RandomCrop(RandomImageLayer):
    """Crops a random (height, width) window, the same for the whole batch, in training
    (images not larger than the window: Keras 3's fixed box, resized).

    In inference Keras 3.15 returns the images uncropped, so its output disagrees with
    its own output shape; here inference crops the centred box of the output's aspect
    ratio and resizes it (bilinear), as Keras 2's RandomCrop did.

    Args:
        height, width: the output size.
        seed: int seed of the layer's generator.
        data_format: 'channels_last' or 'channels_first'.
    """

    def __init__(self, height, width, seed=None, data_format=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.height, self.width = _size(self, height, width)

    compute_output_shape = _Sized.compute_output_shape

    def call(self, inputs, training=True):
        images, single = self._as_batch(inputs)
        h, w = self._hw_axes(4)
        in_h, in_w = ops.shape(images)[h], ops.shape(images)[w]
        if training and in_h > self.height and in_w > self.width:
            top = ops.cast(self.draw((), 0, float(in_h - self.height + 1)), "int32")
            left = ops.cast(self.draw((), 0, float(in_w - self.width + 1)), "int32")
            images = _crop(images, h, top, left, self.height, self.width)
        elif training:  # images too small: Keras 3's box (its corner, the output's size)
            box_h = max(min(in_h, int(in_w * self.height / self.width)), 1)
            box_w = max(min(in_w, int(in_h * self.width / self.height)), 1)
            top, left = int((in_h - box_h) / 2), int((in_w - box_w) / 2)
            images = _crop(images, h, top, left, min(self.height, in_h - top),
                           min(self.width, in_w - left))
            if ops.shape(images)[h] != self.height or ops.shape(images)[w] != self.width:
                images = ops.image.resize(images, (self.height, self.width),
                                          data_format=self.data_format)
        else:
            images = ops.image.resize(images, (self.height, self.width),
                                      crop_to_aspect_ratio=True, data_format=self.data_format)
        return ops.squeeze(images, 0) if single else images

    def get_config(self):
        return {**super().get_config(), "height": self.height, "width": self.width}
