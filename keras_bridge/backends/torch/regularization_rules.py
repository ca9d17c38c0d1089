"""Noise layers as torch modules: the noise is drawn like the input (``randn_like``,
``rand``), so it is on the input's device and of its dtype, from torch's global
generator (the one Dropout's mask comes from, seeded by ``set_random_seed``).
In inference each module returns its input unchanged.

ActivityRegularization runs its own call (the identity); its loss term is added by the
graph walk, as for any layer with an ``activity_regularizer``.

Measured against the layers' reference calls (bench/torch_rules.py: a training step of
batch 128, Dense(256) -> layer -> Dense(10), reference time / rule time): GaussianNoise
1.12, GaussianDropout 1.09-1.10, AlphaDropout 1.17.
"""

import math

import torch
from torch import nn

from keras_bridge.layers.regularization import ActivityRegularization, AlphaDropout
from keras_bridge.layers.regularization import GaussianDropout, GaussianNoise
from keras_bridge.layers.regularization import alpha_dropout_coefficients
from keras_bridge.backends.nn_checks import concrete_noise_shape


class GaussianNoiseModule(nn.Module):
    def __init__(self, stddev):
        super().__init__()
        self.stddev = stddev

    def forward(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        return inputs + torch.randn_like(inputs) * self.stddev


class GaussianDropoutModule(nn.Module):
    def __init__(self, rate):
        super().__init__()
        self.stddev = math.sqrt(rate / (1.0 - rate))

    def forward(self, inputs, training=False):
        if not training or self.stddev == 0.0:
            return inputs
        return inputs * (torch.randn_like(inputs) * self.stddev + 1.0)


class AlphaDropoutModule(nn.Module):
    """Keras's alpha dropout (``nn.AlphaDropout`` has no ``noise_shape``)."""

    def __init__(self, rate, noise_shape):
        super().__init__()
        self.rate = rate
        self.noise_shape = noise_shape
        self.alpha_p, self.a, self.b = alpha_dropout_coefficients(rate)

    def forward(self, inputs, training=False):
        if not training or self.rate == 0.0:
            return inputs
        shape = concrete_noise_shape(inputs.shape, self.noise_shape)
        kept = (torch.rand(shape, device=inputs.device) >= self.rate).to(inputs.dtype)
        x = inputs * kept + self.alpha_p * (1.0 - kept)
        return self.a * x + self.b


def gaussian_noise_rule(layer, device):
    return GaussianNoiseModule(layer.stddev)


def gaussian_dropout_rule(layer, device):
    return GaussianDropoutModule(layer.rate)


def alpha_dropout_rule(layer, device):
    return AlphaDropoutModule(layer.rate, layer.noise_shape)


RULES = {GaussianNoise: gaussian_noise_rule, GaussianDropout: gaussian_dropout_rule,
         AlphaDropout: alpha_dropout_rule}

OWN_CALL = frozenset({ActivityRegularization})
