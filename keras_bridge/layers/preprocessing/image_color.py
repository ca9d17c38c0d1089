"""Colour augmentations (Keras 3's): RandomContrast, RandomBrightness. One factor is
drawn per image; results are clipped to ``value_range``."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, factor_range


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError("The `value_range` argument should be a list of two numbers. "
                         f"Received: value_range={value_range!r}")
    return sorted(value_range)


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
