"""Regularization layers: GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization.

The noise layers act only in training (``training=True``: ``fit``, ``train_on_batch``,
or an explicit call argument) and pass their input through in inference. As Dropout's
mask, their noise comes from the layer's own ``seed_generator`` (Keras 3's, made from
``seed``; see ``keras_bridge/layers/seeded.py``), so a pure call advances it; torch's
``fit`` lowers them to modules drawing from torch's generator
(``backends/torch/regularization_rules.py``).
"""

import math
import numbers

from keras_bridge.backends.nn_checks import concrete_noise_shape
from keras_bridge import ops, regularizers
from keras_bridge.layers.base import Layer
from keras_bridge.layers.seeded import seed_generator

# SELU's constants: AlphaDropout sets dropped units to SELU's negative saturation value.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def _rate(value):
    """A dropout rate in [0, 1): at 1 the Gaussian and alpha dropouts' scales are
    infinite."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not 0 <= value < 1:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                         f"value between 0 and 1 (1 excluded). Received: rate={value!r}")
    return float(value)


def alpha_dropout_coefficients(rate):
    """``(alpha_p, a, b)``: dropped units become ``alpha_p``, then ``a * x + b`` restores
    zero mean and unit variance (Klambauer et al., 2017)."""
    alpha_p = -_SELU_ALPHA * _SELU_SCALE
    a = ((1.0 - rate) * (1.0 + rate * alpha_p ** 2)) ** -0.5
    return alpha_p, a, -a * alpha_p * rate


class GaussianNoise(Layer):
    """Adds zero-centered Gaussian noise of standard deviation ``stddev`` in training.

    Args:
        stddev: float >= 0, the noise's standard deviation.
        seed: int or None, the seed of the layer's generator.
    """

    supports_masking = True

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(stddev, bool) or not isinstance(stddev, numbers.Real) or \
                not math.isfinite(stddev) or stddev < 0:
            raise ValueError(f"Invalid value received for argument `stddev`. Expected a "
                             f"non-negative float. Received: stddev={stddev!r}")
        self.stddev = float(stddev)
        self.seed = seed
        if self.stddev > 0:
            self.seed_generator = seed_generator(seed)

    def call(self, inputs, training=None):
        if training and self.stddev > 0:
            noise = ops.random_normal(ops.shape(inputs), stddev=self.stddev,
                                      dtype=inputs.dtype, seed=self.seed_generator.next())
            return ops.add(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


class GaussianDropout(Layer):
    """Multiplies by Gaussian noise of mean 1 and standard deviation
    ``sqrt(rate / (1 - rate))`` in training.

    Args:
        rate: float in [0, 1), the drop probability of the Dropout this stands for.
        seed: int or None, the seed of the layer's generator.
    """

    supports_masking = True

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate)
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = seed_generator(seed)

    def call(self, inputs, training=None):
        if training and self.rate > 0:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = ops.random_normal(ops.shape(inputs), mean=1.0, stddev=stddev,
                                      dtype=inputs.dtype, seed=self.seed_generator.next())
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs (for SELU networks): in
    training, dropped units are set to SELU's negative saturation value and the result
    is scaled and shifted back to the input's statistics.

    Args:
        rate: float in [0, 1), the drop probability.
        noise_shape: shape of the drop mask, None entries taken from the input (e.g.
            ``(None, 1, None)`` drops whole time steps).
        seed: int or None, the seed of the layer's generator.
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = _rate(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = seed_generator(seed)

    def call(self, inputs, training=None):
        if not (training and self.rate > 0):
            return inputs
        shape = concrete_noise_shape(ops.shape(inputs), self.noise_shape)
        uniform = ops.random_uniform(shape, seed=self.seed_generator.next())
        kept = ops.cast(ops.greater_equal(uniform, self.rate), inputs.dtype)
        alpha_p, a, b = alpha_dropout_coefficients(self.rate)
        x = ops.add(ops.multiply(inputs, kept), ops.multiply(alpha_p, ops.subtract(1.0, kept)))
        return ops.add(ops.multiply(a, x), b)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class ActivityRegularization(Layer):
    """Passes its input through and adds ``l1 * sum(|x|) + l2 * sum(x ** 2)`` of it to
    the loss of the training or test step (as a layer's ``activity_regularizer`` does).

    Args:
        l1: float >= 0, the L1 factor.
        l2: float >= 0, the L2 factor.
    """

    supports_masking = True

    def __init__(self, l1=0.0, l2=0.0, **kwargs):
        super().__init__(**kwargs)
        self.activity_regularizer = regularizers.L1L2(l1=l1, l2=l2)
        self.l1 = self.activity_regularizer.l1
        self.l2 = self.activity_regularizer.l2

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "l1": self.l1, "l2": self.l2}
