"""Convolution, pooling and spatial shape layers as torch modules.

Kernels. torch holds a convolution weight as ``(out, in // groups, *k)`` (a transposed
one as ``(in, out, *k)``, a depthwise one as ``(in * multiplier, 1, *k)``); Keras's layout
is ``(*k, in // groups, out)`` (``(*k, out, in)``, ``(*k, in, multiplier)``). Storage ->
Keras is a permute, a view, so a ``Slot`` reads, writes and takes gradients through it.
Unlike a matrix transpose a permutation is not its own inverse, so ``KernelLayout`` also
carries ``inverse`` (Keras -> storage) for copying values in.

Padding and the kernels' calls are ``conv_ops``'s, shared with ``ops.conv`` and the other
primitives; the modules here add torch parameters, cached padding plans and the bias.

channels_last. ``x.movedim(-1, 1)`` is a channels-first view whose strides are torch's
``channels_last`` memory format; torch's convolution and pooling kernels (oneDNN, cuDNN)
take that format as it is and return it, so moving the channels back is a view too: the
layer costs no layout copies for 2D and 3D inputs.

Shape layers, measured against their reference calls (bench/torch_rules.py, training
step of batch 128, reference time / rule time): ZeroPadding1D 1.19, ZeroPadding2D 1.14,
ZeroPadding3D 1.08-1.20 (one ``F.pad``), bilinear UpSampling2D 2.05-2.3; nearest
UpSampling2D measured 1.00 and runs its reference call.
"""

import numpy as np
import torch.nn.functional as F
from torch import nn

from keras_bridge.backends.torch import conv_ops
from keras_bridge.backends.torch.core_rules import activation_fn
from keras_bridge.backends.torch.storage import adopt, torch_dtype
from keras_bridge.backends.torch.conv_ops import pad_argument as _pad_argument
from keras_bridge.layers import convolutional as conv, locally_connected, pooling
from keras_bridge.layers import reshaping

_CONV_MODULE = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_CONV_T_MODULE = {1: nn.ConvTranspose1d, 2: nn.ConvTranspose2d, 3: nn.ConvTranspose3d}


class KernelLayout:
    """Slot layout of a torch convolution weight of shape ``storage_shape``.

    Calling it maps storage to Keras layout as a view (a permute, after splitting the
    first axis of a depthwise weight into ``(in, multiplier)``); ``inverse`` maps a
    Keras-layout value to storage layout.
    """

    __slots__ = ("perm", "inverse_perm", "split", "storage_shape")

    def __init__(self, storage_shape, multiplier=None):
        rank = len(storage_shape) - 2
        spatial = tuple(range(2, rank + 2))
        self.storage_shape = tuple(storage_shape)
        if multiplier is None:
            self.split, self.perm = None, spatial + (1, 0)
        else:
            self.split = (storage_shape[0] // multiplier, multiplier) + self.storage_shape[2:]
            self.perm = spatial + (0, 1)
        self.inverse_perm = tuple(int(i) for i in np.argsort(self.perm))

    def __call__(self, tensor):
        if self.split is not None:
            tensor = tensor.view(self.split)
        return tensor.permute(self.perm)

    def inverse(self, value):
        value = value.permute(self.inverse_perm)
        return value.reshape(self.storage_shape) if self.split is not None else value


def _adopt_kernel(weight, tensor, multiplier=None):
    adopt(weight, tensor, KernelLayout(tuple(tensor.shape), multiplier))


class _SpatialModule(nn.Module):
    """Shared by the modules below: channels-last inputs are viewed channels-first for
    torch's op and back, and Keras's padding is turned into torch's arguments."""

    def __init__(self, layer, kernel, strides, dilation):
        super().__init__()
        self.rank = layer.rank
        self.channels_last = layer.data_format == "channels_last"
        self.kernel, self.strides, self.dilation = kernel, strides, dilation
        self.padding_mode = getattr(layer, "padding", "valid")
        self.activation = activation_fn(layer.activation) \
            if hasattr(layer, "activation") else None
        self._plans = {}

    def _plan(self, spatial):
        """``(pads, (F.pad argument or None, torch padding))`` for a channels-first
        spatial shape, cached."""
        plan = self._plans.get(spatial)
        if plan is None:
            pads = conv_ops.keras_pads(self.padding_mode, spatial, self.kernel, self.strides,
                                       self.dilation)
            plan = self._plans[spatial] = (pads, conv_ops.pad_plan(pads))
        return plan

    def _in(self, inputs):
        return inputs.movedim(-1, 1) if self.channels_last else inputs

    def _out(self, y):
        y = y.movedim(1, -1) if self.channels_last else y
        return self.activation(y) if self.activation is not None else y


class ConvModule(_SpatialModule):
    """Conv1D/2D/3D and DepthwiseConv1D/2D: one ``F.convNd`` on ``conv``'s parameters."""

    def __init__(self, layer, conv_module):
        super().__init__(layer, layer.kernel_size, layer.strides, layer.dilation_rate)
        self.conv = conv_module

    def forward(self, inputs, training=False):
        x = self._in(inputs)
        c = self.conv
        return self._out(conv_ops.conv_cf(x, c.weight, c.bias, self.strides,
                                          self._plan(x.shape[2:])[1], self.dilation,
                                          c.groups))


class SeparableConvModule(ConvModule):
    """SeparableConv1D/2D: the depthwise ``F.convNd``, then the 1x1 one with the bias."""

    def __init__(self, layer, depthwise, pointwise):
        super().__init__(layer, depthwise)
        self.pointwise = pointwise
        self.op = conv_ops.CONV[layer.rank]

    def forward(self, inputs, training=False):
        x = self._in(inputs)
        c, p = self.conv, self.pointwise
        y = conv_ops.conv_cf(x, c.weight, None, self.strides, self._plan(x.shape[2:])[1],
                             self.dilation, c.groups)
        return self._out(self.op(y, p.weight, p.bias))


def _new_conv(layer, cls, in_channels, out_channels, kernel, groups, bias, device):
    return cls(in_channels, out_channels, kernel, groups=groups, bias=bias, device=device,
               dtype=torch_dtype(layer.dtype))


def conv_rule(layer, device):
    k = layer.kernel.shape
    module = _new_conv(layer, _CONV_MODULE[layer.rank], k[-2] * layer.groups, k[-1],
                       layer.kernel_size, layer.groups, layer.use_bias, device)
    _adopt_kernel(layer.kernel, module.weight)
    if layer.use_bias:
        adopt(layer.bias, module.bias)
    return ConvModule(layer, module)


def depthwise_rule(layer, device):
    channels, multiplier = layer.kernel.shape[-2:]
    module = _new_conv(layer, _CONV_MODULE[layer.rank], channels, channels * multiplier,
                       layer.kernel_size, channels, layer.use_bias, device)
    _adopt_kernel(layer.kernel, module.weight, multiplier)
    if layer.use_bias:
        adopt(layer.bias, module.bias)
    return ConvModule(layer, module)


def separable_rule(layer, device):
    channels, multiplier = layer.depthwise_kernel.shape[-2:]
    cls = _CONV_MODULE[layer.rank]
    depthwise = _new_conv(layer, cls, channels, channels * multiplier, layer.kernel_size,
                          channels, False, device)
    pointwise = _new_conv(layer, cls, channels * multiplier, layer.filters, 1, 1,
                          layer.use_bias, device)
    _adopt_kernel(layer.depthwise_kernel, depthwise.weight, multiplier)
    _adopt_kernel(layer.pointwise_kernel, pointwise.weight)
    if layer.use_bias:
        adopt(layer.bias, pointwise.bias)
    return SeparableConvModule(layer, depthwise, pointwise)


class ConvTransposeModule(_SpatialModule):
    """Conv1D/2D/3DTranspose: ``F.conv_transposeNd`` with torch's symmetric padding and
    output_padding, then a slice where Keras crops more on one side."""

    def __init__(self, layer, module):
        super().__init__(layer, layer.kernel_size, layer.strides, layer.dilation_rate)
        self.conv = module
        self.transpose_plan = conv_ops.transpose_plan(
            layer.transpose_padding_pairs(), self.kernel, self.strides, self.dilation)

    def forward(self, inputs, training=False):
        c = self.conv
        return self._out(conv_ops.conv_transpose_cf(self._in(inputs), c.weight, c.bias,
                                                    self.strides, self.transpose_plan,
                                                    self.dilation))


def conv_transpose_rule(layer, device):
    filters, channels = layer.kernel.shape[-2:]
    module = _CONV_T_MODULE[layer.rank](
        channels, filters, layer.kernel_size, stride=layer.strides,
        dilation=layer.dilation_rate, bias=layer.use_bias, device=device,
        dtype=torch_dtype(layer.dtype))
    _adopt_kernel(layer.kernel, module.weight)
    if layer.use_bias:
        adopt(layer.bias, module.bias)
    return ConvTransposeModule(layer, module)


class PoolModule(_SpatialModule):
    """MaxPooling and AveragePooling 1D/2D/3D on ``F.max_poolNd`` / ``F.avg_poolNd``."""

    def __init__(self, layer):
        super().__init__(layer, layer.pool_size, layer.strides, (1,) * layer.rank)
        self.max = layer.mode == "max"

    def forward(self, inputs, training=False):
        x = self._in(inputs)
        pads, plan = self._plan(x.shape[2:])
        if self.max:
            return self._out(conv_ops.max_pool_cf(x, self.kernel, self.strides, plan))
        return self._out(conv_ops.average_pool_cf(x, self.kernel, self.strides, pads, plan))


def pool_rule(layer, device):
    return PoolModule(layer)


class ZeroPaddingModule(nn.Module):
    def __init__(self, pad):
        super().__init__()
        self.pad = pad

    def forward(self, inputs, training=False):
        return F.pad(inputs, self.pad)


def zero_padding_rule(layer, device):
    pads = [(0, 0)] * (layer.rank + 2)
    for axis, pair in zip(layer.spatial_axes(), layer.padding):
        pads[axis] = pair
    pad = _pad_argument(pads[1:])  # F.pad counts from the last axis
    while pad[-2:] == (0, 0):  # unpadded leading axes need no entry
        pad = pad[:-2]
    return ZeroPaddingModule(pad)


class BilinearUpSampling2DModule(nn.Module):
    """Bilinear UpSampling2D on ``F.interpolate`` with half-pixel centres
    (``align_corners=False``), as Keras."""

    def __init__(self, layer):
        super().__init__()
        self.size = tuple(float(s) for s in layer.size)
        self.channels_last = layer.data_format == "channels_last"

    def forward(self, inputs, training=False):
        x = inputs.movedim(-1, 1) if self.channels_last else inputs
        y = F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)
        return y.movedim(1, -1) if self.channels_last else y


def upsampling2d_rule(layer, device):
    if layer.interpolation == "bilinear":
        return BilinearUpSampling2DModule(layer)
    # nearest: the layer's own call (a repeat per axis) measured as fast as a broadcast
    # copy in a rule (bench/torch_rules.py, ratio 1.00), so it runs as for UpSampling1D/3D
    from keras_bridge.backends.torch.lowering import CallModule
    return CallModule(layer, device)


RULES = {cls: conv_rule for cls in (conv.Conv1D, conv.Conv2D, conv.Conv3D)}
RULES.update({cls: conv_transpose_rule for cls in (
    conv.Conv1DTranspose, conv.Conv2DTranspose, conv.Conv3DTranspose)})
RULES.update({conv.DepthwiseConv1D: depthwise_rule, conv.DepthwiseConv2D: depthwise_rule,
              conv.SeparableConv1D: separable_rule, conv.SeparableConv2D: separable_rule})
RULES.update({cls: pool_rule for cls in (
    pooling.MaxPooling1D, pooling.MaxPooling2D, pooling.MaxPooling3D,
    pooling.AveragePooling1D, pooling.AveragePooling2D, pooling.AveragePooling3D)})
RULES.update({cls: zero_padding_rule for cls in (
    reshaping.ZeroPadding1D, reshaping.ZeroPadding2D, reshaping.ZeroPadding3D)})
RULES[reshaping.UpSampling2D] = upsampling2d_rule

# Layers of these modules whose reference call (ops on torch tensors) runs: reductions,
# slices, a broadcast copy and dropout with a noise shape are torch's own ops already.
OWN_CALL = frozenset({
    pooling.GlobalMaxPooling1D, pooling.GlobalMaxPooling2D, pooling.GlobalMaxPooling3D,
    pooling.GlobalAveragePooling1D, pooling.GlobalAveragePooling2D,
    pooling.GlobalAveragePooling3D,
    reshaping.Cropping1D, reshaping.Cropping2D, reshaping.Cropping3D,
    reshaping.UpSampling1D, reshaping.UpSampling3D,
    reshaping.SpatialDropout1D, reshaping.SpatialDropout2D, reshaping.SpatialDropout3D,
    locally_connected.LocallyConnected1D, locally_connected.LocallyConnected2D})
