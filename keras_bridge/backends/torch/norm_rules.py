"""Normalization layers as torch modules (torch's fused batch / layer / group norm).

The layers' math is Keras 3's (see ``keras_bridge/layers/normalization.py``). Where a
torch kernel computes the same thing it is used:

- BatchNormalization -> ``F.batch_norm`` on a view of the input with the features
  axis second: ``(-1, C)`` for channels_last inputs, ``(N, C, ...)`` for axis 1,
  ``(prod(before), C, prod(after))`` otherwise; views, no permute round trip. The
  moving statistics are the module's buffers. Keras averages the *biased* batch
  variance into the moving variance, torch the unbiased one, so torch updates a
  copy and the Keras value is recovered from it in O(C) (see ``BatchNormModule``).
- LayerNormalization -> ``F.layer_norm`` when the normalized axes are the trailing
  ones, else the same formula with ``torch.var_mean``.
- Small inputs on the CPU (``small_tensors``): batch and layer norm as that formula,
  with ``torch.var_mean``: torch's fused kernels cost a thread-pool hand-off there.
- GroupNormalization -> ``F.group_norm`` with the channels axis moved to position 1
  (a view; torch's kernel reads channels_last memory as is).
- UnitNormalization -> Keras's ``x * rsqrt(max(sum(x ** 2), 1e-12))`` in torch ops.

Measured against the layers' reference calls (bench/torch_rules.py, training step of
batch 128, reference time / rule time): LayerNormalization 2.1 on (256,) features and
3.1 on (20, 32) sequences, GroupNormalization 2.4 after a conv on 16x16 images,
UnitNormalization 1.26.
"""

import math

import torch
import torch.nn.functional as F
from torch import nn

from keras_bridge.backends.nn_checks import affine_normalize
from keras_bridge.backends.torch import distribution, small_tensors
from keras_bridge.backends.torch.storage import adopt, torch_dtype
from keras_bridge.layers.normalization import BatchNormalization, GroupNormalization
from keras_bridge.layers.normalization import LayerNormalization, UnitNormalization

_HALF = (torch.float16, torch.bfloat16)


def _new_tensor(weight, device):
    return torch.empty(weight.shape, dtype=torch_dtype(weight.dtype), device=device)


def _affine(module, layer, device):
    """gamma / beta as parameters (Keras layout), or None when the layer has none."""
    for name in ("gamma", "beta"):
        weight = getattr(layer, name)
        param = nn.Parameter(_new_tensor(weight, device)) if weight is not None else None
        module.register_parameter(name, param)
        if weight is not None:
            adopt(weight, param)


def _keras_normalize(x, mean, variance, gamma, beta, epsilon):
    """Keras's formula (``nn_checks.affine_normalize``) on statistics broadcast to x."""
    return affine_normalize(x, mean, variance, beta, gamma, epsilon, torch.rsqrt)


class BatchNormModule(nn.Module):
    """Keras's BatchNormalization on ``F.batch_norm``.

    In training mode (and when the layer is trainable, else it runs in inference mode
    as Keras does) the batch statistics normalize the input and the buffers become
    ``moving * momentum + batch_statistic * (1 - momentum)``, the batch variance being
    the biased one, as in Keras 3.
    """

    def __init__(self, layer, device):
        super().__init__()
        self.layer = layer  # read for ``trainable`` (a frozen layer runs in inference)
        self.axis = layer.axis
        self.momentum = layer.momentum
        self.epsilon = layer.epsilon
        _affine(self, layer, device)
        self.register_buffer("moving_mean", _new_tensor(layer.moving_mean, device))
        self.register_buffer("moving_variance", _new_tensor(layer.moving_variance, device))
        adopt(layer.moving_mean, self.moving_mean)
        adopt(layer.moving_variance, self.moving_variance)

    def _features_second(self, x):
        """A view of ``x`` with the features axis at position 1, as torch expects."""
        shape = x.shape
        axis = self.axis % x.dim()
        channels = shape[axis]
        if axis == x.dim() - 1:
            return x.reshape(-1, channels)
        if axis == 1:
            return x
        return x.reshape(math.prod(shape[:axis]), channels, -1)

    def forward(self, inputs, training=False):
        x = inputs.float() if inputs.dtype in _HALF else inputs  # as Keras, for overflow
        x2 = self._features_second(x)
        small = small_tensors.composes_faster(x2, small_tensors.BATCH_NORM, x2.shape[1])
        if not (training and self.layer.trainable):
            if small:
                out = self._normalize(x2, self.moving_mean, self.moving_variance)
            else:
                out = F.batch_norm(x2, self.moving_mean, self.moving_variance, self.gamma,
                                   self.beta, False, 0.0, self.epsilon)
        else:
            count = x2.numel() // x2.shape[1]
            if distribution.uses_global_moments():  # DDP: the global batch's moments
                out = self._train_global(x2, count)
            elif count > 1 and not small:
                out = self._train_fused(x2, count)
            else:  # torch refuses one value per channel (Keras's formula gives beta), and
                # a small batch computes faster this way (see small_tensors)
                out = self._train_moments(x2)
        return out.reshape(inputs.shape).to(inputs.dtype)

    def _train_fused(self, x2, count):
        # torch averages the unbiased variance v * n / (n - 1) into the running variance.
        # It updates a copy: unbiased = k * old + (1 - k) * v * n / (n - 1), so Keras's
        # k * old + (1 - k) * v is unbiased * (n - 1) / n + old * k / n. (The copy also
        # keeps the tensor autograd saved unchanged.)
        k = self.momentum
        unbiased = self.moving_variance.clone()
        out = F.batch_norm(x2, self.moving_mean, unbiased, self.gamma, self.beta, True,
                           1.0 - k, self.epsilon)
        with torch.no_grad():
            self.moving_variance.mul_(k / count).add_(unbiased, alpha=(count - 1) / count)
        return out

    def _train_moments(self, x2):
        dims = [0] + list(range(2, x2.dim()))
        variance, mean = torch.var_mean(x2, dim=dims, correction=0)
        return self._train_with(x2, mean, variance)

    def _train_global(self, x2, count):
        dims = [0] + list(range(2, x2.dim()))
        view = [1, -1] + [1] * (x2.dim() - 2)
        mean = distribution.global_mean(x2, dims, count)
        variance = distribution.global_mean((x2 - mean.view(view)) ** 2, dims, count)
        return self._train_with(x2, mean, variance)

    def _train_with(self, x2, mean, variance):
        """Normalize by these moments and average them into the moving statistics."""
        with torch.no_grad():
            k = self.momentum
            self.moving_mean.mul_(k).add_(mean, alpha=1.0 - k)
            self.moving_variance.mul_(k).add_(variance, alpha=1.0 - k)
        return self._normalize(x2, mean, variance)

    def _normalize(self, x2, mean, variance):
        """Keras's formula on per-channel statistics (x2 has the channels second)."""
        view = [1, -1] + [1] * (x2.dim() - 2)
        gamma = self.gamma.view(view) if self.gamma is not None else None
        beta = self.beta.view(view) if self.beta is not None else None
        return _keras_normalize(x2, mean.view(view), variance.view(view), gamma, beta,
                                self.epsilon)


def batch_normalization_rule(layer, device):
    return BatchNormModule(layer, device)


# A 16-bit input (a mixed layer's) is normalized in float32 with the float32 weights and
# comes back in its own dtype, as Keras 3 computes it.
batch_normalization_rule.computes_mixed = True


class LayerNormModule(nn.Module):
    """Keras's LayerNormalization; ``F.layer_norm`` when the axes are the last ones."""

    def __init__(self, layer, device):
        super().__init__()
        self.axis = layer.axis if isinstance(layer.axis, list) else [layer.axis]
        self.epsilon = layer.epsilon
        self.rms_scaling = layer.rms_scaling
        self.dtype = torch_dtype(layer.dtype)
        _affine(self, layer, device)

    def forward(self, inputs, training=False):
        out = self._normalized(inputs if inputs.dtype == self.dtype else
                               inputs.to(self.dtype))
        # A mixed layer's 16-bit input is normalized in float32 and comes back 16-bit.
        return out.to(inputs.dtype) if inputs.dtype in _HALF and out.dtype != inputs.dtype \
            else out

    def _normalized(self, x):
        rank = x.dim()
        axes = sorted(a % rank for a in self.axis)
        norm_shape = tuple(x.shape[a] for a in axes)
        # gamma / beta hold Keras's layout (the axes in the order given); Keras reshapes
        # them to the sorted axes, and so does this.
        gamma = self.gamma.reshape(norm_shape) if self.gamma is not None else None
        beta = self.beta.reshape(norm_shape) if self.beta is not None else None
        if not self.rms_scaling and axes == list(range(rank - len(axes), rank)) and \
                not small_tensors.composes_faster(x, small_tensors.LAYER_NORM,
                                                 math.prod(norm_shape)):
            return F.layer_norm(x, norm_shape, gamma, beta, self.epsilon)
        broadcast = [x.shape[a] if a in axes else 1 for a in range(rank)]
        variance, mean = torch.var_mean(x, dim=axes, correction=0, keepdim=True)
        gamma = gamma.reshape(broadcast) if gamma is not None else None
        if self.rms_scaling:  # Keras's definition: divides by the standard deviation
            return x * torch.rsqrt(variance + self.epsilon) * gamma
        beta = beta.reshape(broadcast) if beta is not None else None
        return _keras_normalize(x, mean, variance, gamma, beta, self.epsilon)


def layer_normalization_rule(layer, device):
    return LayerNormModule(layer, device)


layer_normalization_rule.computes_mixed = True  # in float32, as Keras 3 (forward)


class GroupNormModule(nn.Module):
    """Keras's GroupNormalization on ``F.group_norm`` (same grouping: channel ``c`` is
    in group ``c // (channels / groups)``)."""

    def __init__(self, layer, device):
        super().__init__()
        self.axis = layer.axis
        self.epsilon = layer.epsilon
        self.groups = layer.num_groups(layer.input_spec.axes[layer.axis])
        self.dtype = torch_dtype(layer.dtype)
        _affine(self, layer, device)

    def forward(self, inputs, training=False):
        x = inputs if inputs.dtype == self.dtype else inputs.to(self.dtype)
        axis = self.axis % x.dim()
        if axis != 1:
            x = x.movedim(axis, 1)
        out = F.group_norm(x, self.groups, self.gamma, self.beta, self.epsilon)
        return out.movedim(1, axis) if axis != 1 else out


def group_normalization_rule(layer, device):
    return GroupNormModule(layer, device)


class UnitNormModule(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.dims = tuple(layer.axis) if isinstance(layer.axis, list) else layer.axis
        self.dtype = torch_dtype(layer.dtype_policy.compute_dtype)

    def forward(self, inputs, training=False):
        x = inputs if inputs.dtype == self.dtype else inputs.to(self.dtype)
        square_sum = torch.sum(x * x, dim=self.dims, keepdim=True)
        return x * torch.rsqrt(torch.clamp_min(square_sum, 1e-12))


def unit_normalization_rule(layer, device):
    return UnitNormModule(layer)


unit_normalization_rule.computes_mixed = True  # no weights; in the compute dtype


RULES = {BatchNormalization: batch_normalization_rule,
         LayerNormalization: layer_normalization_rule,
         GroupNormalization: group_normalization_rule,
         UnitNormalization: unit_normalization_rule}

# Every normalization layer has a torch rule.
OWN_CALL = frozenset()
