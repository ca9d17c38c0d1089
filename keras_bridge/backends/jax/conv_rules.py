"""Convolution and pooling layers as XLA primitives.

``lax.conv_general_dilated`` reads the Keras-layout kernel as it is: the data format is
expressed in the dimension numbers (``NHWC`` / ``NCHW`` input, ``HWIO`` kernel), groups
and depthwise kernels in ``feature_group_count``, Keras's padding as explicit
``(before, after)`` pairs. A transposed convolution is the convolution of the
stride-dilated input (``lhs_dilation``) with the flipped kernel read as ``HWOI``.
Pooling is ``lax.reduce_window`` (padding with -inf for max, and the average divided by
the count of input entries per window, a constant). The spatial shape layers and the
global poolings run their reference call, which traces to the same XLA ops.
"""

import jax.numpy as jnp
import numpy as np
from jax import lax

from keras_bridge.layers import convolutional as conv, locally_connected, pooling
from keras_bridge.layers import reshaping

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


def _dimension_numbers(layer, kernel_spec="IO"):
    spatial = _SPATIAL[layer.rank]
    lhs = f"N{spatial}C" if layer.data_format == "channels_last" else f"NC{spatial}"
    return lhs, spatial + kernel_spec, lhs


def _bias_and_activation(layer, y):
    if layer.use_bias:
        bias = layer.bias.value
        if layer.data_format == "channels_first":
            bias = bias.reshape((-1,) + (1,) * layer.rank)
        y = y + bias
    return layer.activation(y)


def _conv(layer, x, kernel, groups):
    return lax.conv_general_dilated(
        x, kernel, window_strides=layer.strides, padding=layer.padding_pairs(x.shape),
        rhs_dilation=layer.dilation_rate, dimension_numbers=_dimension_numbers(layer),
        feature_group_count=groups)


def conv_rule(layer, inputs):
    return _bias_and_activation(layer, _conv(layer, inputs, layer.kernel.value, layer.groups))


def _depthwise(layer, x, kernel):
    # (*k, in, multiplier) -> (*k, 1, in * multiplier): output channel c * multiplier + m.
    channels = kernel.shape[-2]
    return _conv(layer, x, kernel.reshape(kernel.shape[:-2] + (1, -1)), channels)


def depthwise_rule(layer, inputs):
    return _bias_and_activation(layer, _depthwise(layer, inputs, layer.kernel.value))


def separable_rule(layer, inputs):
    y = _depthwise(layer, inputs, layer.depthwise_kernel.value)
    y = lax.conv_general_dilated(y, layer.pointwise_kernel.value, (1,) * layer.rank, "VALID",
                                 dimension_numbers=_dimension_numbers(layer))
    return _bias_and_activation(layer, y)


def conv_transpose_rule(layer, inputs):
    kernel = jnp.flip(layer.kernel.value, axis=tuple(range(layer.rank)))
    y = lax.conv_general_dilated(
        inputs, kernel, window_strides=(1,) * layer.rank,
        padding=layer.transpose_padding_pairs(),
        lhs_dilation=layer.strides, rhs_dilation=layer.dilation_rate,
        dimension_numbers=_dimension_numbers(layer, "OI"))
    return _bias_and_activation(layer, y)


def _window(layer, values):
    """``values`` (per spatial axis) placed on a full-rank window tuple."""
    if layer.data_format == "channels_last":
        return (1,) + tuple(values) + (1,)
    return (1, 1) + tuple(values)


def pool_rule(layer, inputs):
    pads = layer.padding_pairs(inputs.shape)
    padding = [(0, 0)] + list(pads) + [(0, 0)] if layer.data_format == "channels_last" \
        else [(0, 0), (0, 0)] + list(pads)
    window, strides = _window(layer, layer.pool_size), _window(layer, layer.strides)
    if layer.mode == "max":
        return lax.reduce_window(inputs, np.array(-np.inf, inputs.dtype), lax.max, window,
                                 strides, padding)
    total = lax.reduce_window(inputs, np.array(0, inputs.dtype), lax.add, window, strides,
                              padding)
    spatial = layer.spatial_shape(inputs.shape)
    counts = pooling.average_counts(spatial, layer.pool_size, layer.strides, pads)
    if layer.data_format == "channels_first":
        counts = counts.reshape((1,) + counts.shape[:-1])
    return total / counts.astype(inputs.dtype)


RULES = {cls: conv_rule for cls in (conv.Conv1D, conv.Conv2D, conv.Conv3D)}
RULES.update({cls: conv_transpose_rule for cls in (
    conv.Conv1DTranspose, conv.Conv2DTranspose, conv.Conv3DTranspose)})
RULES.update({conv.DepthwiseConv1D: depthwise_rule, conv.DepthwiseConv2D: depthwise_rule,
              conv.SeparableConv1D: separable_rule, conv.SeparableConv2D: separable_rule})
RULES.update({cls: pool_rule for cls in (
    pooling.MaxPooling1D, pooling.MaxPooling2D, pooling.MaxPooling3D,
    pooling.AveragePooling1D, pooling.AveragePooling2D, pooling.AveragePooling3D)})

# Layers of these modules whose reference call is traced as is (reductions, slices,
# concatenation, broadcasts, gathers and dropout trace to the XLA ops a rule would use).
OWN_CALL = frozenset({
    pooling.GlobalMaxPooling1D, pooling.GlobalMaxPooling2D, pooling.GlobalMaxPooling3D,
    pooling.GlobalAveragePooling1D, pooling.GlobalAveragePooling2D,
    pooling.GlobalAveragePooling3D,
    reshaping.ZeroPadding1D, reshaping.ZeroPadding2D, reshaping.ZeroPadding3D,
    reshaping.Cropping1D, reshaping.Cropping2D, reshaping.Cropping3D,
    reshaping.UpSampling1D, reshaping.UpSampling2D, reshaping.UpSampling3D,
    reshaping.SpatialDropout1D, reshaping.SpatialDropout2D, reshaping.SpatialDropout3D,
    locally_connected.LocallyConnected1D, locally_connected.LocallyConnected2D})
