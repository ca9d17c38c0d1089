"""Filtering augmentations (Keras 3's): RandomSharpness and RandomGaussianBlur, both
depthwise convolutions with 'same' zero padding; results are clipped to ``value_range``."""

from keras_bridge import ops
from keras_bridge.layers.preprocessing.image_layer import RandomImageLayer, factor_range
from keras_bridge.layers.preprocessing.image_layer import value_range_of


class RandomSharpness(RandomImageLayer):
    """Moves each image away from (factor > 0.5) or towards (< 0.5) its 3x3 smoothed
    version in training: x + (1 - 2f) (smooth(x) - x), f drawn per image from ``factor``.

    Args:
        factor: f in [0, 1] (draws in [0, f]) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor, value_range=(0, 255), data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))
        self.value_range = value_range_of(value_range)

    def transform(self, images):
        batch = ops.shape(images)[0]
        sharpen = ops.multiply(self.draw((batch, 1, 1, 1), *self.factor), 2.0)
        channels = ops.shape(images)[-1 if self.data_format == "channels_last" else 1]
        edge, centre = 1.0 / 13.0, 5.0 / 13.0
        window = ops.convert_to_tensor([[edge, edge, edge], [edge, centre, edge],
                                        [edge, edge, edge]], self.compute_dtype)
        kernel = ops.tile(ops.reshape(window, (3, 3, 1, 1)), (1, 1, channels, 1))
        smooth = ops.depthwise_conv(images, kernel, padding="same",
                                    data_format=self.data_format)
        out = ops.add(images, ops.multiply(ops.subtract(1.0, sharpen),
                                           ops.subtract(smooth, images)))
        return ops.clip(out, *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "value_range": list(self.value_range)}


def _odd_size(kernel_size):
    sizes = kernel_size if isinstance(kernel_size, (tuple, list)) else (kernel_size,) * 2
    if len(sizes) != 2 or not all(isinstance(k, int) and not isinstance(k, bool) and k > 0
                                  and k % 2 == 1 for k in sizes):
        raise ValueError("`kernel_size` must be an odd positive integer or a pair of them. "
                         f"Received: kernel_size={kernel_size!r}")
    return tuple(sizes)


class RandomGaussianBlur(RandomImageLayer):
    """Blurs each image with probability drawn per image from ``factor`` in training,
    with a Gaussian window of ``kernel_size`` whose two sigmas are drawn once per call
    from ``sigma`` (shared by the batch, as in Keras 3).

    Args:
        factor: p in [0, 1] (probabilities in [0, p]) or a pair (lower, upper).
        kernel_size: an odd int or a pair of them (width first, as ops.image.gaussian_blur).
        sigma: s in [0, 1] (sigmas in [0, s]) or a pair (lower, upper).
        value_range: the images' [low, high] range.
        data_format, seed: as the other image layers.
    """

    def __init__(self, factor=1.0, kernel_size=3, sigma=1.0, value_range=(0, 255),
                 data_format=None, seed=None, **kwargs):
        super().__init__(seed=seed, data_format=data_format, **kwargs)
        self.factor = factor_range(factor, (0, 1))
        self.kernel_size = _odd_size(kernel_size)
        self.sigma = factor_range(sigma, (0, 1), "sigma")
        self.value_range = value_range_of(value_range)

    def transform(self, images):
        apply = self.chance(ops.shape(images)[0], self.factor)
        sigma = ops.add(self.draw((2,), *self.sigma), 1e-6)  # never a zero width
        blurred = ops.image.gaussian_blur(images, self.kernel_size, sigma,
                                          data_format=self.data_format)
        return ops.clip(ops.where(apply, blurred, images), *self.value_range)

    def get_config(self):
        return {**super().get_config(), "factor": self.factor,
                "kernel_size": self.kernel_size, "sigma": self.sigma,
                "value_range": list(self.value_range)}
