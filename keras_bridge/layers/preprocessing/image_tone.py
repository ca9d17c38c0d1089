"""Tone augmentations (Keras 3's): RandomInvert, Solarization, RandomPosterization, and
the fixed AutoContrast and Equalization. Each works on pixel values mapped from
``value_range`` to [0, 255] and back, as Keras's do."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import ImageLayer, RandomImageLayer
from keras_bridge.layers.preprocessing.image_layer import factor_range, rescale
from keras_bridge.layers.preprocessing.image_layer import value_range_of

_BYTE = (0, 255)


class RandomInvert(RandomImageLayer):
    """Replaces each image x by ``value_range[1] - x`` in training, with a probability
    drawn per image from ``factor``.

    Args:
        factor: p in [0, 1] (probabilities in [0, p]) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        seed, data_format: as the other image layers.
    """

    def __init__(self, factor=1.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))
        self.value_range = value_range_of(value_range)

    def transform(self, images):
        apply = self.chance(ops.shape(images)[0], self.factor)
        return ops.where(apply, ops.subtract(float(self.value_range[1]), images), images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class Solarization(RandomImageLayer):
    """In training, adds ``addition`` (times 255) to each pixel on the [0, 255] scale,
    clips, then inverts (255 - x) the pixels at or above ``threshold`` (times 255);
    both are drawn per image. With the defaults every pixel is inverted.

    Args:
        addition_factor: a in [0, 1] (draws in [0, a]) or a pair (lower, upper).
        threshold_factor: the same for the threshold.
        value_range: the images' [low, high] range.
        seed: int seed of the layer's generator.
    """

    def __init__(self, addition_factor=0.0, threshold_factor=0.0, value_range=(0, 255),
                 seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.addition_factor = self._positive(addition_factor, "addition_factor")
        self.threshold_factor = self._positive(threshold_factor, "threshold_factor")
        self.value_range = value_range_of(value_range)

    @staticmethod
    def _positive(factor, name):
        if isinstance(factor, (tuple, list)):
            return factor_range(factor, (0, 1), name)
        return factor_range([0, factor], (0, 1), name)

    def transform(self, images):
        shape = (ops.shape(images)[0], 1, 1, 1)
        add = self.draw(shape, self.addition_factor[0] * 255, self.addition_factor[1] * 255)
        threshold = self.draw(shape, self.threshold_factor[0] * 255,
                              self.threshold_factor[1] * 255)
        x = ops.clip(ops.add(rescale(images, self.value_range, _BYTE), add), 0, 255)
        x = ops.where(ops.less(x, threshold), x, ops.subtract(255.0, x))
        return rescale(x, _BYTE, self.value_range)

    def get_config(self):
        return {**super().get_config(), "addition_factor": self.addition_factor,
                "threshold_factor": self.threshold_factor,
                "value_range": list(self.value_range)}


class RandomPosterization(RandomImageLayer):
    """Keeps only the top b bits of each 8-bit pixel value in training, b drawn per
    image from [lower, upper) (just ``lower`` when the two are equal), as Keras 3 does.

    Args:
        factor: an int b in [1, 8] (bits in [1, b)) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        low, high = factor_range(factor, (1, 8))
        if low != int(low) or high != int(high):
            raise ValueError("The `factor` argument should hold whole numbers of bits in "
                             f"[1, 8]. Received: factor={factor!r}")
        self.factor = (int(low), int(high))
        self.value_range = value_range_of(value_range)

    def transform(self, images):
        from keras_bridge import random
        batch = ops.shape(images)[0]
        low, high = self.factor
        if low == high:
            bits = ops.full((batch, 1, 1, 1), float(low))
        else:
            bits = ops.cast(random.randint((batch, 1, 1, 1), low, high, seed=self.generator),
                            self.compute_dtype)
        step = ops.power(2.0, ops.subtract(8.0, bits))  # the dropped low bits' span
        x = ops.floor(rescale(images, self.value_range, _BYTE))
        x = ops.multiply(ops.floor(ops.divide(x, step)), step)
        return rescale(x, _BYTE, self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class _FixedImageLayer(ImageLayer):
    """A deterministic image adjustment with its ``value_range``."""

    def __init__(self, value_range=(0, 255), data_format=None, **kwargs):
        super().__init__(data_format=data_format, **kwargs)
        self.value_range = value_range_of(value_range)

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, self.compute_dtype)
        return self.transform(images) if training or self.always else images

    def compute_output_shape(self, input_shape):
        self._hw_axes(len(input_shape))
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range)}


class AutoContrast(_FixedImageLayer):
    """Stretches each channel of each image so its lowest value maps to the bottom of
    ``value_range`` and its highest to the top; a flat channel is left unchanged.
    Applied in inference too, as Keras 3 does.

    Args:
        value_range: the images' [low, high] range.
    """

    always = True

    def transform(self, images):
        h, w = self._hw_axes(4)
        x = rescale(images, self.value_range, _BYTE)
        low = ops.min(x, axis=(h, w), keepdims=True)
        high = ops.max(x, axis=(h, w), keepdims=True)
        scale = ops.divide(255.0, ops.subtract(high, low))
        out = rescale(ops.clip(ops.multiply(ops.subtract(x, low), scale), 0, 255), _BYTE,
                      self.value_range)
        return ops.where(ops.isnan(out), images, out)


class Equalization(_FixedImageLayer):
    """Histogram equalization in training: per channel, over the whole batch as in
    Keras 3, pixel values are mapped through the histogram's cumulative distribution
    (``bins`` bins on the [0, 255] scale); a channel with one occupied bin is unchanged.

    Args:
        value_range: the images' [low, high] range.
        bins: the number of histogram bins.
        data_format: as the other image layers.
    """

    always = False

    def __init__(self, value_range=(0, 255), bins=256, data_format=None, **kwargs):
        super().__init__(value_range, data_format, **kwargs)
        if isinstance(bins, bool) or not isinstance(bins, int) or bins < 2:
            raise ValueError(f"`bins` should be an integer of at least 2. Received: bins={bins!r}")
        self.bins = bins

    def _equalize(self, channel):
        last = self.bins - 1
        index = ops.cast(ops.clip(ops.multiply(channel, last / 255.0), 0, last), "int32")
        flat = ops.reshape(index, (-1,))  # a segment sum, not bincount: runs under jit
        hist = ops.segment_sum(ops.ones_like(flat, dtype="float32"), flat,
                               num_segments=self.bins)
        cdf = ops.cast(ops.cumsum(hist), "float32")
        cdf_min = ops.min(ops.where(ops.greater(cdf, 0), cdf, ops.max(cdf)))
        span = ops.subtract(cdf[-1], cdf_min)
        span = ops.where(ops.equal(span, 0), 1.0, span)
        table = ops.clip(ops.round(ops.divide(ops.multiply(ops.subtract(cdf, cdf_min), 255.0),
                                              span)), 0, 255)
        out = ops.cast(ops.take(table, index), self.compute_dtype)
        flat = ops.less_equal(ops.count_nonzero(hist), 1)
        return ops.where(flat, channel, out)

    def transform(self, images):
        axis = -1 if self.data_format == "channels_last" else 1
        x = rescale(images, self.value_range, _BYTE)
        channels = ops.split(x, ops.shape(x)[axis], axis=axis)
        out = ops.concatenate([self._equalize(c) for c in channels], axis=axis)
        return rescale(out, _BYTE, self.value_range)

    def get_config(self):
        return {**super().get_config(), "bins": self.bins}
