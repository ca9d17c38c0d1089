"""Activation layers as torch modules (torch's own elementwise functions).

- ReLU -> ``torch.relu``, ``F.leaky_relu`` or ``F.hardtanh(x, 0, max_value)`` in the
  usual cases; Keras's full formula (threshold, cap and slope together) in torch ops
  otherwise.
- LeakyReLU -> ``F.leaky_relu``; ELU -> ``F.elu``; ThresholdedReLU -> ``F.threshold``.
- PReLU -> ``relu(x) - alpha * relu(-x)`` on a parameter holding Keras's ``alpha`` as
  it is (input shape without the batch axis, 1 on the shared axes). ``nn.PReLU`` is
  not used: its slopes are one per channel on axis 1 only.
- Softmax runs its own call: it goes through ``keras_bridge.activations.softmax``, which
  notes the logits for the crossentropy losses (``keras_bridge/logits.py``).

Measured against the layers' reference calls (bench/torch_rules.py: a training step of
batch 128, Dense(256) -> layer -> Dense(10), reference time / rule time): ReLU 1.04-1.06
(1.28 with ``max_value``), LeakyReLU 1.07, ELU 1.05-1.06, PReLU 1.06-1.07,
ThresholdedReLU 1.60; about 1.00 where a convolution dominates the step.
"""

import functools

import torch
import torch.nn.functional as F
from torch import nn

from keras_bridge.backends.torch.core_rules import ActivationModule
from keras_bridge.backends.torch.storage import adopt, torch_dtype
from keras_bridge.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from keras_bridge.layers.activation_layers import ThresholdedReLU


def _keras_relu(x, negative_slope, max_value, threshold):
    """Keras's relu with every option: damped at or below ``threshold``, capped at
    ``max_value``, ``negative_slope * (x - threshold)`` below the threshold."""
    y = torch.where(x > threshold, x, torch.zeros((), dtype=x.dtype, device=x.device)) \
        if threshold != 0.0 else torch.relu(x)
    if max_value is not None:
        y = torch.clamp(y, 0.0, max_value)
    if negative_slope != 0.0:
        y = y - negative_slope * torch.relu(threshold - x)
    return y


def relu_rule(layer, device):
    slope, cap, threshold = layer.negative_slope, layer.max_value, layer.threshold
    if threshold == 0.0 and cap is None:
        fn = torch.relu if slope == 0.0 else functools.partial(F.leaky_relu,
                                                               negative_slope=slope)
    elif threshold == 0.0 and slope == 0.0:
        fn = functools.partial(F.hardtanh, min_val=0.0, max_val=cap)
    else:
        fn = functools.partial(_keras_relu, negative_slope=slope, max_value=cap,
                               threshold=threshold)
    return ActivationModule(fn)


def leaky_relu_rule(layer, device):
    return ActivationModule(functools.partial(F.leaky_relu,
                                                       negative_slope=layer.negative_slope))


def elu_rule(layer, device):
    return ActivationModule(functools.partial(F.elu, alpha=layer.alpha))


def thresholded_relu_rule(layer, device):
    return ActivationModule(functools.partial(F.threshold, threshold=layer.theta,
                                                       value=0.0))


class PReLUModule(nn.Module):
    """Keras's PReLU: ``relu(x) - alpha * relu(-x)``, ``alpha`` broadcast over the batch."""

    def __init__(self, layer, device):
        super().__init__()
        weight = layer.alpha
        self.alpha = nn.Parameter(torch.empty(weight.shape, device=device,
                                              dtype=torch_dtype(weight.dtype)))
        adopt(weight, self.alpha)

    def forward(self, inputs, training=False):
        return torch.relu(inputs) - self.alpha * torch.relu(-inputs)


def prelu_rule(layer, device):
    return PReLUModule(layer, device)


RULES = {ReLU: relu_rule, LeakyReLU: leaky_relu_rule, ELU: elu_rule,
         ThresholdedReLU: thresholded_relu_rule, PReLU: prelu_rule}

OWN_CALL = frozenset({Softmax})
