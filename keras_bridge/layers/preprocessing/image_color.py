"""Colour augmentations (Keras 3's): RandomContrast, RandomBrightness,
RandomColorDegeneration, RandomSaturation, RandomHue, RandomGrayscale and
RandomColorJitter (a chain of the first four). One factor is drawn per image."""

from keras_bridge import config, ops
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, factor_range, rescale
from keras_bridge.layers.preprocessing.image_layer import value_range_of as _value_range


class _ColorLayer(RandomImageLayer):
    def __init__(self, factor, bounds, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.factor = factor_range(factor, bounds)
        self.value_range = _value_range(value_range)

    def per_image(self, images, low, high):
        """One uniform draw per image, shaped to broadcast over it."""
        return self.draw((ops.shape(images)[0], 1, 1, 1), low, high, self.compute_dtype)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


class RandomContrast(_ColorLayer):
    """Scales each image's deviation from its per-channel mean by a factor drawn from
    [1 - lower, 1 + upper] in training.

    Args:
        factor: f in [0, 1] (factors in [1 - f, 1 + f]) or a pair (lower, upper).
        value_range: the images' [low, high] range; outputs are clipped to it.
        seed: int seed of the layer's generator.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, (0, 1), value_range, seed, **kwargs)

    def transform(self, images):
        h, w = self._hw_axes(4)
        scale = self.per_image(images, 1.0 - self.factor[0], 1.0 + self.factor[1])
        mean = ops.mean(images, axis=(h, w), keepdims=True)
        out = ops.add(ops.multiply(ops.subtract(images, mean), scale), mean)
        return ops.clip(out, *self.value_range)


class RandomBrightness(_ColorLayer):
    """Adds to each image a delta drawn from ``factor`` times the width of
    ``value_range`` in training.

    Args:
        factor: f in [-1, 1] (deltas in [-f, f]) or a pair (lower, upper).
        value_range: the images' [low, high] range; outputs are clipped to it.
        seed: int seed of the layer's generator.
    """

    def __init__(self, factor, value_range=(0, 255), seed=None, **kwargs):
        super().__init__(factor, (-1, 1), value_range, seed, **kwargs)

    def transform(self, images):
        low, high = self.value_range
        delta = ops.multiply(self.per_image(images, *self.factor), float(high - low))
        return ops.clip(ops.add(images, delta), low, high)


def _channels(images, data_format):
    """The three colour planes (kept as axes of size one) and their axis."""
    axis = -1 if data_format == "channels_last" else 1
    return ops.split(images, 3, axis=axis), axis


class RandomColorDegeneration(_ColorLayer):
    """Blends each image towards its grayscale version by a factor drawn from
    ``factor`` (0 keeps the image, 1 makes it gray, negative values saturate) in
    training; results are clipped to ``value_range``.

    Args:
        factor: f in [-1, 1] (factors in [-f, f]) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, (-1, 1), value_range, seed, data_format=data_format,
                         **kwargs)

    def transform(self, images):
        blend = self.per_image(images, *self.factor)
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        out = ops.add(images, ops.multiply(blend, ops.subtract(gray, images)))
        return ops.clip(out, *self.value_range)


class RandomSaturation(_ColorLayer):
    """Scales each image's HSV saturation by f / (1 - f) for f drawn from ``factor``
    in training (f = 0.5 keeps it, 0 removes colour, 1 saturates fully). As Keras 3
    does, the scaled saturation is clipped to ``value_range``.

    Args:
        factor: f in [-1, 1] (draws in [-f, f]) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, (-1, 1), value_range, seed, data_format=data_format,
                         **kwargs)

    def transform(self, images):
        f = self.per_image(images, *self.factor)
        scale = ops.divide(f, ops.add(ops.subtract(1.0, f), config.epsilon()))
        (h, s, v), axis = _channels(ops.image.rgb_to_hsv(images, self.data_format),
                                    self.data_format)
        s = ops.clip(ops.multiply(s, scale), *self.value_range)
        return ops.image.hsv_to_rgb(ops.concatenate([h, s, v], axis=axis), self.data_format)


class RandomHue(_ColorLayer):
    """Rotates each image's hue by f / 2 of a turn, f drawn from ``factor`` and its
    sign chosen at random, in training.

    Args:
        factor: f in [0, 1] (draws in [0, f]) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(factor, (0, 1), value_range, seed, data_format=data_format,
                         **kwargs)

    def transform(self, images):
        batch = ops.shape(images)[0]
        sign = ops.reshape(self.sign((batch,)), (batch, 1, 1, 1))
        shift = ops.multiply(ops.multiply(sign, self.per_image(images, *self.factor)), 0.5)
        unit = rescale(images, self.value_range, (0, 1))
        (h, s, v), axis = _channels(ops.image.rgb_to_hsv(unit, self.data_format),
                                    self.data_format)
        h = ops.add(h, shift)
        h = ops.where(ops.greater(h, 1.0), ops.subtract(h, 1.0), h)
        h = ops.where(ops.less(h, 0.0), ops.add(h, 1.0), h)
        rgb = ops.image.hsv_to_rgb(ops.concatenate([h, s, v], axis=axis), self.data_format)
        return rescale(ops.clip(rgb, 0.0, 1.0), (0, 1), self.value_range)


class RandomGrayscale(RandomImageLayer):
    """Turns each image gray (the channels kept, each the luma) with probability
    ``factor`` in training.

    Args:
        factor: the probability, in [0, 1].
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor=0.5, data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        if isinstance(factor, bool) or not isinstance(factor, (int, float)) \
                or not 0 <= factor <= 1:
            raise ValueError(f"`factor` should be between 0 and 1. Received: factor={factor!r}")
        self.factor = factor

    def transform(self, images):
        apply = ops.less(self.draw((ops.shape(images)[0], 1, 1, 1)), self.factor)
        gray = ops.image.rgb_to_grayscale(images, data_format=self.data_format)
        return ops.where(apply, gray, images)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


class RandomColorJitter(RandomImageLayer):
    """RandomBrightness, RandomContrast, RandomSaturation and RandomHue in that order,
    each where its factor is given, all on ``value_range``.

    Args:
        value_range: the images' [low, high] range.
        brightness_factor, contrast_factor, saturation_factor, hue_factor: the parts'
            ``factor`` arguments; None leaves a part out.
        seed, data_format: as the other image layers (each part is seeded with ``seed``).
    """

    def __init__(self, value_range=(0, 255), brightness_factor=None, contrast_factor=None,
                 saturation_factor=None, hue_factor=None, seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.value_range = _value_range(value_range)
        self.brightness_factor, self.contrast_factor = brightness_factor, contrast_factor
        self.saturation_factor, self.hue_factor = saturation_factor, hue_factor
        common = dict(value_range=self.value_range, seed=seed, data_format=self.data_format)
        self.parts = [cls(factor, **common) for cls, factor in (
            (RandomBrightness, brightness_factor), (RandomContrast, contrast_factor),
            (RandomSaturation, saturation_factor), (RandomHue, hue_factor))
            if factor is not None]

    def build(self, input_shape):
        for part in self.parts:  # run by ``transform``, never called: built (and so
            part.build(input_shape)  # bound, with their generators) with the jitter
        self.built = True

    def transform(self, images):
        for part in self.parts:
            images = part.transform(images)
        return images

    def get_config(self):
        return {**super().get_config(), "value_range": list(self.value_range),
                "brightness_factor": self.brightness_factor,
                "contrast_factor": self.contrast_factor,
                "saturation_factor": self.saturation_factor, "hue_factor": self.hue_factor}
