"""Keras 2 ``K`` convolution, pooling and locally-connected helpers.

Kernels are in Keras layout: ``(*kernel_size, in, filters)`` for a convolution,
``(*kernel_size, filters, in)`` for a transpose, ``(*kernel_size, in, depth_multiplier)``
for a depthwise kernel, ``(output_positions, prod(kernel_size) * in, filters)`` for a
locally-connected one. Inputs follow ``data_format`` (default
``config.image_data_format()``); 'same' padding is Keras's (the odd entry after).

The math is Keras 3's primitives (``ops.conv``, ``ops.depthwise_conv``,
``ops.conv_transpose``, ``ops.max_pool``, ``ops.average_pool``: each engine's own
kernels), as the layers' reference calls; only the argument handling of Keras 2's
functional spellings is here. ``local_conv`` is the one locally-connected computation,
for any number of spatial axes, shared with the LocallyConnected layers.
"""

import math

from keras_bridge import ops
from keras_bridge.layers import locally_connected
from keras_bridge.layers.convolutional import (
    from_channels_last, normalize_data_format, normalize_padding, normalize_tuple,
    output_length, pad_axis, same_padding, to_channels_last)

__all__ = [
    "conv1d", "conv2d", "conv3d", "conv2d_transpose", "depthwise_conv2d",
    "separable_conv1d", "separable_conv2d", "pool2d", "pool3d", "local_conv",
    "local_conv1d", "local_conv2d",
]


def _shape(x):
    return tuple(None if d is None else int(d) for d in x.shape)


def _prepare(x, kernel, rank, strides, padding, data_format, dilation_rate, fn,
             paddings=("valid", "same"), in_axis=-2):
    """Checked geometry and the channels-last input of a convolution ``fn``; the kernel's
    axis ``in_axis`` must match the input channels."""
    strides = normalize_tuple(strides, rank, "strides", fn)
    dilation = normalize_tuple(dilation_rate, rank, "dilation_rate", fn)
    padding = normalize_padding(padding, fn, paddings)
    data_format = normalize_data_format(data_format, fn)
    if max(strides) > 1 and max(dilation) > 1:
        raise ValueError(f"{fn} cannot use strides > 1 with dilation_rate > 1. Received: "
                         f"strides={strides}, dilation_rate={dilation}")
    x_shape, k_shape = _shape(x), _shape(kernel)
    if len(x_shape) != rank + 2 or len(k_shape) != rank + 2:
        raise ValueError(f"{fn} expects an input and a kernel of rank {rank + 2}. Received: "
                         f"x.shape={x_shape}, kernel.shape={k_shape}")
    x = to_channels_last(x, data_format)
    channels = _shape(x)[-1]
    if k_shape[in_axis] != channels:
        raise ValueError(f"{fn}: the kernel's input channels (kernel.shape[{in_axis}]="
                         f"{k_shape[in_axis]}) must match the input's {channels} channels. "
                         f"Received: x.shape={x_shape}, kernel.shape={k_shape}, "
                         f"data_format={data_format!r}")
    return x, strides, dilation, padding, data_format


def _conv(x, kernel, rank, strides, padding, data_format, dilation_rate, fn):
    paddings = ("valid", "same", "causal") if rank == 1 else ("valid", "same")
    x, strides, dilation, padding, data_format = _prepare(
        x, kernel, rank, strides, padding, data_format, dilation_rate, fn, paddings)
    ksize = _shape(kernel)[:-2]
    if padding == "causal":
        if data_format != "channels_last":
            raise ValueError(f"{fn} with padding='causal' needs data_format='channels_last'. "
                             f"Received: data_format={data_format!r}")
        x, padding = pad_axis(x, 1, (ksize[0] - 1) * dilation[0], 0), "valid"
    y = ops.conv(x, kernel, strides, padding, "channels_last", dilation)
    return from_channels_last(y, data_format)


def conv1d(x, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    """1D convolution; ``padding`` 'valid', 'same' or 'causal'; kernel ``(k, in, filters)``."""
    return _conv(x, kernel, 1, strides, padding, data_format, dilation_rate, "K.conv1d")


def conv2d(x, kernel, strides=(1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1)):
    """2D convolution; kernel ``(kh, kw, in, filters)``."""
    return _conv(x, kernel, 2, strides, padding, data_format, dilation_rate, "K.conv2d")


def conv3d(x, kernel, strides=(1, 1, 1), padding="valid", data_format=None,
           dilation_rate=(1, 1, 1)):
    """3D convolution; kernel ``(kd, kh, kw, in, filters)``."""
    return _conv(x, kernel, 3, strides, padding, data_format, dilation_rate, "K.conv3d")


def conv2d_transpose(x, kernel, output_shape, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """Transposed 2D convolution (the gradient of ``conv2d``) with kernel
    ``(kh, kw, filters, in)``.

    Args:
        output_shape: the output's full shape, in ``data_format`` order (its batch entry
            may be None); it fixes the output size that strided convolutions leave open.
    """
    fn = "K.conv2d_transpose"
    x, strides, dilation, padding, data_format = _prepare(
        x, kernel, 2, strides, padding, data_format, dilation_rate, fn, in_axis=-1)
    output_shape = tuple(output_shape)
    if len(output_shape) != 4:
        raise ValueError(f"Expected output_shape of 4 entries. Received: "
                         f"output_shape={output_shape!r}")
    if data_format == "channels_first":
        output_shape = (output_shape[0],) + output_shape[2:] + (output_shape[1],)
    filters = _shape(kernel)[2]
    if output_shape[-1] != filters:
        raise ValueError(f"{fn}: output_shape has {output_shape[-1]} channels but the kernel "
                         f"makes {filters} (kernel.shape[2]).")
    # The full transposed output ('valid', extended by output_padding where needed),
    # cropped where the forward convolution's 'same' padding started.
    starts, extra = [], []
    for n, size, k, s, d in zip(_shape(x)[1:-1], output_shape[1:-1], _shape(kernel)[:2],
                                strides, dilation):
        if output_length(size, k, s, d, padding) != n:
            raise ValueError(f"{fn}: an output of spatial size {output_shape[1:-1]} does not "
                             f"give back an input of size {_shape(x)[1:-1]} with strides "
                             f"{strides}, padding={padding!r} and kernel size "
                             f"{_shape(kernel)[:2]}. Received: output_shape={output_shape!r}")
        start = 0 if padding == "valid" else same_padding(size, k, s, d)[0]
        starts.append((start, size))
        extra.append(max(start + size - ((n - 1) * s + (k - 1) * d + 1), 0))
    y = ops.conv_transpose(x, kernel, strides, "valid", extra, "channels_last", dilation)
    y = y[(slice(None),) + tuple(slice(b, b + n) for b, n in starts)]
    return from_channels_last(y, data_format)


def _depthwise(x, depthwise_kernel, rank, strides, padding, data_format, dilation_rate, fn):
    x, strides, dilation, padding, data_format = _prepare(
        x, depthwise_kernel, rank, strides, padding, data_format, dilation_rate, fn)
    y = ops.depthwise_conv(x, depthwise_kernel, strides, padding, "channels_last", dilation)
    return y, data_format


def depthwise_conv2d(x, depthwise_kernel, strides=(1, 1), padding="valid", data_format=None,
                     dilation_rate=(1, 1)):
    """Depthwise 2D convolution; kernel ``(kh, kw, in, depth_multiplier)``, output channel
    ``c * depth_multiplier + m``."""
    y, data_format = _depthwise(x, depthwise_kernel, 2, strides, padding, data_format,
                                dilation_rate, "K.depthwise_conv2d")
    return from_channels_last(y, data_format)


def _separable(x, depthwise_kernel, pointwise_kernel, rank, strides, padding, data_format,
               dilation_rate, fn):
    y, data_format = _depthwise(x, depthwise_kernel, rank, strides, padding, data_format,
                                dilation_rate, fn)
    pointwise = _shape(pointwise_kernel)
    if pointwise[:-2] != (1,) * rank or pointwise[-2] != _shape(y)[-1]:
        raise ValueError(f"{fn}: expected a pointwise kernel of shape "
                         f"{(1,) * rank + (_shape(y)[-1], '<filters>')}. Received: "
                         f"pointwise_kernel.shape={pointwise}")
    y = ops.matmul(y, ops.reshape(pointwise_kernel, pointwise[-2:]))
    return from_channels_last(y, data_format)


def separable_conv1d(x, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                     data_format=None, dilation_rate=1):
    """Depthwise then pointwise 1D convolution (kernels ``(k, in, m)``, ``(1, in * m, f)``)."""
    return _separable(x, depthwise_kernel, pointwise_kernel, 1, strides, padding, data_format,
                      dilation_rate, "K.separable_conv1d")


def separable_conv2d(x, depthwise_kernel, pointwise_kernel, strides=(1, 1), padding="valid",
                     data_format=None, dilation_rate=(1, 1)):
    """Depthwise then pointwise 2D convolution."""
    return _separable(x, depthwise_kernel, pointwise_kernel, 2, strides, padding, data_format,
                      dilation_rate, "K.separable_conv2d")


def _pool(x, rank, pool_size, strides, padding, data_format, pool_mode, fn):
    pool_size = normalize_tuple(pool_size, rank, "pool_size", fn)
    strides = normalize_tuple(strides, rank, "strides", fn)
    padding = normalize_padding(padding, fn)
    data_format = normalize_data_format(data_format, fn)
    if pool_mode not in ("max", "avg"):
        raise ValueError(f"Expected pool_mode 'max' or 'avg'. Received: pool_mode={pool_mode!r}")
    if ops.ndim(x) != rank + 2:
        raise ValueError(f"{fn} expects an input of rank {rank + 2}. Received: "
                         f"x.shape={_shape(x)}")
    x = to_channels_last(x, data_format)
    pool = ops.max_pool if pool_mode == "max" else ops.average_pool
    return from_channels_last(pool(x, pool_size, strides, padding, "channels_last"),
                              data_format)


def pool2d(x, pool_size, strides=(1, 1), padding="valid", data_format=None, pool_mode="max"):
    """2D max ('max') or average ('avg') pooling; note Keras 2's default strides (1, 1)."""
    return _pool(x, 2, pool_size, strides, padding, data_format, pool_mode, "K.pool2d")


def pool3d(x, pool_size, strides=(1, 1, 1), padding="valid", data_format=None,
           pool_mode="max"):
    """3D max or average pooling."""
    return _pool(x, 3, pool_size, strides, padding, data_format, pool_mode, "K.pool3d")


def local_conv(inputs, kernel, kernel_size, strides, data_format=None):
    """Locally-connected ('valid', unshared weights) convolution over any number of
    spatial axes.

    Args:
        inputs: ``(batch, *spatial, in)`` ('channels_last') or ``(batch, in, *spatial)``.
        kernel: ``(prod(output_spatial), prod(kernel_size) * in, filters)``; the feature
            axis is ordered ``(*kernel_size, in)`` for 'channels_last' and
            ``(in, *kernel_size)`` for 'channels_first', as Keras lays it out.
        kernel_size, strides: one int per spatial axis (or one int for all).
        data_format: default ``config.image_data_format()``.

    Returns:
        ``(batch, *output_spatial, filters)`` (or channels first).
    """
    fn = "local_conv"
    data_format = normalize_data_format(data_format, fn)
    rank = ops.ndim(inputs) - 2
    if rank < 1:
        raise ValueError(f"{fn} expects an input of rank >= 3. Received: "
                         f"inputs.shape={_shape(inputs)}")
    kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", fn)
    strides = normalize_tuple(strides, rank, "strides", fn)
    x = to_channels_last(inputs, data_format)
    x_shape, k_shape = _shape(x), _shape(kernel)
    out = tuple(output_length(n, k, s, 1, "valid")
                for n, k, s in zip(x_shape[1:-1], kernel_size, strides))
    feature_dim = math.prod(kernel_size) * x_shape[-1]
    if len(k_shape) != 3 or k_shape[:2] != (math.prod(out), feature_dim):
        raise ValueError(f"{fn}: expected a kernel of shape ({math.prod(out)}, {feature_dim}, "
                         f"filters) for inputs of shape {_shape(inputs)}, kernel_size "
                         f"{kernel_size} and strides {strides} (output size {out}). "
                         f"Received: kernel.shape={k_shape}")
    return locally_connected.local_conv(inputs, kernel, kernel_size, strides, out,
                                        data_format)


def local_conv1d(inputs, kernel, kernel_size, strides, data_format=None):
    """Locally-connected 1D convolution of ``(batch, steps, input_dim)`` inputs, kernel
    ``(output_length, kernel_size * input_dim, filters)``.

    As in Keras 2, the input is always read steps-first; ``data_format`` is only checked.
    """
    normalize_data_format(data_format, "K.local_conv1d")
    return local_conv(inputs, kernel, kernel_size, strides, "channels_last")


def local_conv2d(inputs, kernel, kernel_size, strides, output_shape, data_format=None):
    """Locally-connected 2D convolution, kernel ``(rows * cols, kh * kw * in, filters)``.

    Args:
        output_shape: ``(output_rows, output_cols)``; checked against the geometry.
    """
    data_format = normalize_data_format(data_format, "K.local_conv2d")
    y = local_conv(inputs, kernel, kernel_size, strides, data_format)
    got = _shape(y)[1:3] if data_format == "channels_last" else _shape(y)[2:4]
    if tuple(output_shape) != got:
        raise ValueError(f"K.local_conv2d: inputs of shape {_shape(inputs)} give an output of "
                         f"size {got}. Received: output_shape={tuple(output_shape)!r}")
    return y
