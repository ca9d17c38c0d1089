"""Torch rules of the core layers (Dense -> ``nn.Linear``, Activation, Dropout) and the
map from front-end activations to torch's functions, which other rule files reuse.

Measured against the layers' reference calls (bench/torch_rules.py: a training step of
batch 128, Dense(256) -> layer -> Dense(10), reference time / rule time): Activation
1.04-1.07 (the generic call's per-layer overhead; the same function runs), Dropout
1.48-1.49 on the CPU (a uniform draw against the rate, multiplied in as one scaled mask;
1.16-1.17 with ``F.dropout``, which runs on other devices).
"""

import torch
from torch import nn

from keras_bridge import logits
from keras_bridge.backends.torch import ops as torch_ops
from keras_bridge.backends.torch.storage import adopt, torch_dtype
from keras_bridge.layers.core import Activation, Dense, Dropout


def _transpose(t):
    return t.t()


# ---- activations: front-end functions mapped to torch's where the math is the same ----
def activation_fn(fn):
    import torch.nn.functional as F
    table = {"linear": None, "relu": torch.relu, "sigmoid": _sigmoid, "tanh": torch.tanh,
             "softmax": _softmax, "elu": F.elu, "selu": F.selu,
             "softplus": F.softplus, "softsign": F.softsign, "silu": F.silu, "swish": F.silu,
             "exponential": torch.exp, "gelu": _gelu}
    name = getattr(fn, "__name__", None)
    if name in table and fn is _frontend_activation(name):
        return table[name]
    return fn


def _softmax(x):  # noting the logits for the crossentropy losses, as the front end does
    return logits.note(torch_ops.softmax(x, -1), x, "softmax", -1)


def _gelu(x):  # the activation's default: exact
    return torch_ops.gelu(x, approximate=False)


def _sigmoid(x):
    return logits.note(torch.sigmoid(x), x, "sigmoid")


def _frontend_activation(name):
    from keras_bridge import activations
    return getattr(activations, name, None)


# ---- rules ------------------------------------------------------------------------
class DenseModule(nn.Module):
    def __init__(self, linear, activation, compute=None):
        super().__init__()
        self.linear = linear
        self.activation = activation
        # A mixed layer's compute dtype: its float32 weights are read cast to it, as
        # Keras autocasts them (gradients reach the float32 weights through the cast),
        # and so are its inputs (cast already when they come through the front end).
        self.compute = compute

    def forward(self, inputs, training=False):
        # F.linear rather than self.linear(...): one module call less per Dense.
        weight, bias = self.linear.weight, self.linear.bias
        if self.compute is not None:
            inputs = inputs.to(self.compute)
            weight = weight.to(self.compute)
            bias = None if bias is None else bias.to(self.compute)
        x = nn.functional.linear(inputs, weight, bias)
        return self.activation(x) if self.activation is not None else x


def dense_rule(layer, device):
    in_dim = layer.kernel.shape[0]
    linear = nn.Linear(in_dim, layer.units, bias=layer.use_bias, device=device,
                       dtype=torch_dtype(layer.kernel.dtype))
    adopt(layer.kernel, linear.weight, _transpose)
    if layer.use_bias:
        adopt(layer.bias, linear.bias)
    compute = layer.dtype_policy.compute_dtype
    return DenseModule(linear, activation_fn(layer.activation),
                       None if compute == layer.kernel.dtype else torch_dtype(compute))


class ActivationModule(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, inputs, training=False):
        return self.fn(inputs) if self.fn is not None else inputs


def activation_rule(layer, device):
    return ActivationModule(activation_fn(layer.activation))


class DropoutModule(nn.Module):
    def __init__(self, rate, noise_shape):
        super().__init__()
        self.rate = rate
        self.noise_shape = noise_shape

    def forward(self, inputs, training=False):
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            return torch.zeros_like(inputs)
        if self.noise_shape is None and (inputs.device.type != "cpu"
                                         or torch.compiler.is_compiling()):
            return nn.functional.dropout(inputs, self.rate, training=True)  # one kernel
        # On the CPU a uniform draw compared to the rate, scaled and multiplied in, runs
        # at 1.25-2x F.dropout, whose Bernoulli sampling is the slow part (fwd+bwd on
        # 128x512: 533 against 672 us; on 32x64x28x28: 5.4 against 10.2 ms).
        shape = inputs.shape if self.noise_shape is None else \
            [s if n is None else n for s, n in zip(inputs.shape, self.noise_shape)]
        keep = torch.rand(shape, device=inputs.device) >= self.rate
        return inputs * keep.to(inputs.dtype).mul_(1.0 / (1.0 - self.rate))


def dropout_rule(layer, device):
    return DropoutModule(layer.rate, layer.noise_shape)


# Rules a mixed-precision layer may use (bind_layer): Dense casts its weights itself;
# Activation and Dropout hold none and compute in their inputs' dtype.
for _rule in (dense_rule, activation_rule, dropout_rule):
    _rule.computes_mixed = True


RULES = {Dense: dense_rule, Activation: activation_rule, Dropout: dropout_rule}
OWN_CALL = frozenset()
