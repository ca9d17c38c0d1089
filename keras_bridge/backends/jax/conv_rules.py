"""Convolution and pooling layers as XLA primitives: ``conv_ops``'s calls (shared with
``ops.conv`` and the other primitives) on the layer's weights, then the bias and the
activation. The spatial shape layers and the global poolings run their reference call,
which traces to the same XLA ops.
"""

from keras_bridge.backends.jax import conv_ops
from keras_bridge.layers import convolutional as conv, locally_connected, pooling
from keras_bridge.layers import reshaping


def _last(layer):
    return layer.data_format == "channels_last"


def _bias_and_activation(layer, y):
    if layer.use_bias:
        bias = layer.bias.value
        if layer.data_format == "channels_first":
            bias = bias.reshape((-1,) + (1,) * layer.rank)
        y = y + bias
    return layer.activation(y)


def conv_rule(layer, inputs):
    y = conv_ops.conv_general(inputs, layer.kernel.value, layer.strides,
                              layer.padding_pairs(inputs.shape), layer.dilation_rate,
                              _last(layer), layer.groups)
    return _bias_and_activation(layer, y)


def _depthwise(layer, x, kernel):
    return conv_ops.depthwise_general(x, kernel, layer.strides, layer.padding_pairs(x.shape),
                                      layer.dilation_rate, _last(layer))


def depthwise_rule(layer, inputs):
    return _bias_and_activation(layer, _depthwise(layer, inputs, layer.kernel.value))


def separable_rule(layer, inputs):
    y = _depthwise(layer, inputs, layer.depthwise_kernel.value)
    ones = (1,) * layer.rank
    y = conv_ops.conv_general(y, layer.pointwise_kernel.value, ones, [(0, 0)] * layer.rank,
                              ones, _last(layer))
    return _bias_and_activation(layer, y)


def conv_transpose_rule(layer, inputs):
    y = conv_ops.conv_transpose_general(inputs, layer.kernel.value, layer.strides,
                                        layer.transpose_padding_pairs(), layer.dilation_rate,
                                        _last(layer))
    return _bias_and_activation(layer, y)


def pool_rule(layer, inputs):
    return conv_ops.pool_general(inputs, layer.mode, layer.pool_size, layer.strides,
                                 layer.padding_pairs(inputs.shape), _last(layer))


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
