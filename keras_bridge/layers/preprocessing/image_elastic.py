"""RandomElasticTransform (Keras 3.15's): each image warped by a smooth random
displacement field, as ``ops.image.elastic_transform`` computes it, with the field's
strength drawn per call."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, factor_range
from keras_bridge.layers.preprocessing.image_layer import value_range_of
from keras_bridge.ops.image_base import FILL_MODES
from keras_bridge.ops.image_warps import displace

_INTERPOLATIONS = ("nearest", "bilinear")


class RandomElasticTransform(RandomImageLayer):
    """Elastic distortion in training, with probability drawn per image from ``factor``.
    Per call a strength d is drawn from ``scale``; each image is then read from its
    pixel positions moved by ``alpha`` times a normal field (standard deviation
    ``sigma``, one per axis and image) blurred by a Gaussian of ``sigma`` over
    int(6 sigma) | 1 taps, with alpha = 0.1 d max(height, width) and sigma =
    0.05 d min(height, width), as in Keras 3. Results are clipped to ``value_range``.
    The random draws are the layer's generator's, not Keras's.

    Args:
        factor: p in [0, 1] (probabilities in [0, p]) or a pair (lower, upper).
        scale: s in [0, 1] (strengths in [0, s]) or a pair (lower, upper).
        interpolation: 'bilinear' or 'nearest'.
        fill_mode: 'reflect', 'mirror', 'wrap', 'constant' or 'nearest'.
        fill_value: the value outside the image for fill_mode='constant'.
        value_range: the images' [low, high] range.
        seed, data_format: as the other image layers.
    """

    _BOXES_AND_MASKS = False  # bounding boxes and segmentation masks: refused

    def __init__(self, factor=1.0, scale=1.0, interpolation="bilinear", fill_mode="reflect",
                 fill_value=0.0, value_range=(0, 255), seed=None, data_format=None,
                 **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))
        self.scale = factor_range(scale, (0, 1), "scale")
        if interpolation not in _INTERPOLATIONS:
            raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected "
                                      f"of one {_INTERPOLATIONS}.")
        if fill_mode not in FILL_MODES:
            raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one "
                                      f"{FILL_MODES}.")
        self.interpolation, self.fill_mode = interpolation, fill_mode
        self.fill_value = fill_value
        self.value_range = value_range_of(value_range)

    def noise(self, shape):
        """The field's standard normal draws, ``shape`` (batch, height, width, 2)."""
        from keras_bridge import random
        return random.normal(shape, dtype=self.compute_dtype, seed=self.generator)

    def transform(self, images):
        if self.scale[1] == 0 or self.factor[1] == 0:
            return images  # nothing can happen, as Keras (no clipping either)
        x = images if self.data_format == "channels_last" else \
            ops.transpose(images, (0, 2, 3, 1))
        batch, height, width, _ = ops.shape(x)
        apply = self.chance(batch, self.factor)
        strength = self.draw((), *self.scale, dtype=self.compute_dtype)
        alpha = ops.multiply(strength, 0.1 * max(height, width))
        sigma = ops.multiply(strength, 0.05 * min(height, width))
        field = self._blur(ops.multiply(self.noise((batch, height, width, 2)), sigma), sigma,
                           0.05 * min(height, width) * self.scale[1])
        warped = displace(x, ops.multiply(field[..., 1], alpha),
                          ops.multiply(field[..., 0], alpha), self.interpolation,
                          self.fill_mode, self.fill_value)
        if self.data_format == "channels_first":
            warped = ops.transpose(warped, (0, 3, 1, 2))
        return ops.clip(ops.where(apply, warped, images), *self.value_range)

    def _blur(self, field, sigma, largest):
        """``ops.image.gaussian_blur`` of ``field`` with int(6 sigma) | 1 taps for a
        drawn (tensor) ``sigma``: a window sized for the ``largest`` sigma, its taps
        beyond int(6 sigma) | 1 set to zero, so that it also runs under jit."""
        size = int(6 * largest) | 1
        taps = ops.subtract(ops.arange(size, dtype=self.compute_dtype), (size - 1) / 2.0)
        half = ops.floor(ops.divide(ops.floor(ops.multiply(sigma, 6.0)), 2.0))
        safe = ops.maximum(sigma, 1e-6)
        weights = ops.where(ops.less_equal(ops.abs(taps), half),
                            ops.exp(ops.multiply(-0.5, ops.square(ops.divide(taps, safe)))),
                            0.0)
        weights = ops.divide(weights, ops.sum(weights))
        kernel = ops.multiply(weights[:, None], weights[None, :])
        kernel = ops.tile(ops.reshape(kernel, (size, size, 1, 1)), (1, 1, 2, 1))
        return ops.depthwise_conv(field, kernel, padding="same", data_format="channels_last")

    def get_config(self):
        return {**super().get_config(), "factor": self.factor, "scale": self.scale,
                "interpolation": self.interpolation, "fill_mode": self.fill_mode,
                "fill_value": self.fill_value, "value_range": list(self.value_range)}
