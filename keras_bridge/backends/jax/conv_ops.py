"""Keras 3's convolution and pooling primitives as XLA ops, shared with the lowering
rules (``conv_rules.py``).

``lax.conv_general_dilated`` reads a Keras-layout kernel as it is: the data format is
expressed in the dimension numbers (``NHWC`` / ``NCHW`` input, ``HWIO`` kernel), groups
and depthwise kernels in ``feature_group_count``, Keras's padding as explicit
``(before, after)`` pairs. A transposed convolution is the convolution of the
stride-dilated input (``lhs_dilation``) with the flipped kernel read as ``HWOI``.
On the CPU, ``ops.conv`` (groups 1) has its own gradient: the kernel's as a contraction
of the input's patches with the output gradient, the input's (stride 1) as a forward
convolution with the flipped kernel. XLA's CPU gradient convolutions are several times
slower inside a loop body: a ConvLSTM2D training step on (8, 5, 16, 16, 3) (the
recurrent convolution runs under ``lax.scan``) took 200 ms with them, 22 ms with these
(``bench/conv_ops.py``). (A custom gradient has no forward-mode derivative.)
Pooling is ``lax.reduce_window`` (padding with -inf for max, and the average divided by
the count of input entries per window, a constant).
"""

import functools

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

from keras_bridge.backends import conv_checks as checks
from keras_bridge.layers.convolutional import keras_pads, transpose_padding
from keras_bridge.layers.pooling import average_counts

_SPATIAL = {1: "W", 2: "HW", 3: "DHW"}


# ---- shared with the lowering rules ------------------------------------------------------
def dimension_numbers(rank, channels_last, kernel_spec="IO"):
    spatial = _SPATIAL[rank]
    lhs = f"N{spatial}C" if channels_last else f"NC{spatial}"
    return lhs, spatial + kernel_spec, lhs


def conv_general(x, kernel, strides, pads, dilation, channels_last, groups=1):
    return lax.conv_general_dilated(
        x, kernel, window_strides=strides, padding=pads, rhs_dilation=dilation,
        dimension_numbers=dimension_numbers(len(strides), channels_last),
        feature_group_count=groups)


@functools.partial(jax.custom_vjp, nondiff_argnums=(2, 3, 4, 5))
def _conv_patch_grad(x, kernel, strides, pads, dilation, channels_last):
    return conv_general(x, kernel, strides, pads, dilation, channels_last)


def _patch_grad_fwd(x, kernel, strides, pads, dilation, channels_last):
    return conv_general(x, kernel, strides, pads, dilation, channels_last), (x, kernel)


def _patch_grad_bwd(strides, pads, dilation, channels_last, residuals, dy):
    x, kernel = residuals
    rank = len(strides)
    if max(strides) == 1:  # the input gradient as a forward convolution (HWIO kernel)
        flipped = jnp.swapaxes(jnp.flip(kernel, axis=tuple(range(rank))), -1, -2)
        back = [((k - 1) * d - before, (k - 1) * d - after)
                for (before, after), k, d in zip(pads, kernel.shape[:rank], dilation)]
        dx = conv_general(dy, flipped, strides, back, dilation, channels_last)
    else:
        dx = jax.vjp(lambda v: conv_general(v, kernel, strides, pads, dilation,
                                            channels_last), x)[1](dy)[0]
    patches = lax.conv_general_dilated_patches(  # features ordered (in, *k)
        x, kernel.shape[:rank], strides, pads, rhs_dilation=dilation,
        dimension_numbers=dimension_numbers(rank, channels_last))
    axes = [0] + list(range(1, rank + 1) if channels_last else range(2, rank + 2))
    dk = jnp.tensordot(patches, dy, axes=(axes, axes))  # (in * prod(k), out)
    dk = dk.reshape((kernel.shape[rank],) + kernel.shape[:rank] + (kernel.shape[-1],))
    return dx, jnp.moveaxis(dk, 0, rank).astype(kernel.dtype)


_conv_patch_grad.defvjp(_patch_grad_fwd, _patch_grad_bwd)


def depthwise_general(x, kernel, strides, pads, dilation, channels_last):
    """(*k, in, multiplier) read as (*k, 1, in * multiplier): output channel c * m + j."""
    channels = kernel.shape[-2]
    return conv_general(x, kernel.reshape(kernel.shape[:-2] + (1, -1)), strides, pads,
                        dilation, channels_last, channels)


def conv_transpose_general(x, kernel, strides, pairs, dilation, channels_last):
    """``pairs``: the ``(before, after)`` padding of the stride-dilated input."""
    rank = len(strides)
    kernel = jnp.flip(kernel, axis=tuple(range(rank)))
    return lax.conv_general_dilated(
        x, kernel, window_strides=(1,) * rank, padding=pairs, lhs_dilation=strides,
        rhs_dilation=dilation, dimension_numbers=dimension_numbers(rank, channels_last, "OI"))


def pool_general(x, mode, pool_size, strides, pads, channels_last):
    """'max' or 'avg' pooling with per-axis ``pads``; padded entries never count."""
    def full(values, fill):
        return (fill,) + tuple(values) + (fill,) if channels_last \
            else (fill, fill) + tuple(values)

    padding = list(full(pads, (0, 0)))
    window, steps = full(pool_size, 1), full(strides, 1)
    if mode == "max":
        return lax.reduce_window(x, np.array(-np.inf, x.dtype), lax.max, window, steps,
                                 padding)
    total = lax.reduce_window(x, np.array(0, x.dtype), lax.add, window, steps, padding)
    spatial = x.shape[1:-1] if channels_last else x.shape[2:]
    counts = average_counts(spatial, pool_size, strides, pads)
    if not channels_last:
        counts = counts.reshape((1,) + counts.shape[:-1])
    return total / counts.astype(x.dtype)


# ---- the ops (Keras layout, either data format) ------------------------------------------
def _geometry(x, name, padding, data_format):
    """``(x, rank, padding, channels_last, channels, spatial)`` checked."""
    x = jnp.asarray(x)
    return (x, *checks.layout(tuple(x.shape), name, padding, data_format))


def _kernel(kernel, x, rank, channels, name, axis, what):
    kernel = jnp.asarray(kernel)
    checks.check_kernel(tuple(kernel.shape), rank, channels, name, axis, what)
    return kernel.astype(x.dtype) if kernel.dtype != x.dtype else kernel


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, rank, padding, last, channels, spatial = _geometry(inputs, "conv", padding,
                                                          data_format)
    kernel = _kernel(kernel, x, rank, channels, "conv", -2, "divide")
    strides = checks.positive_tuple(strides, rank, "strides", "conv")
    dilation = checks.positive_tuple(dilation_rate, rank, "dilation_rate", "conv")
    pads = tuple(keras_pads(padding, spatial, kernel.shape[:rank], strides, dilation))
    groups = channels // kernel.shape[-2]
    if groups == 1 and jax.default_backend() == "cpu":
        return _conv_patch_grad(x, kernel, strides, pads, dilation, last)
    return conv_general(x, kernel, strides, pads, dilation, last, groups)


def _depthwise(x, rank, padding, last, channels, spatial, kernel, strides, dilation_rate,
               name):
    kernel = _kernel(kernel, x, rank, channels, name, -2, "equal")
    strides = checks.positive_tuple(strides, rank, "strides", name)
    dilation = checks.positive_tuple(dilation_rate, rank, "dilation_rate", name)
    pads = keras_pads(padding, spatial, kernel.shape[:rank], strides, dilation)
    return depthwise_general(x, kernel, strides, pads, dilation, last)


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    geometry = _geometry(inputs, "depthwise_conv", padding, data_format)
    return _depthwise(*geometry, kernel, strides, dilation_rate, "depthwise_conv")


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    x, rank, padding, last, channels, spatial = _geometry(inputs, "separable_conv", padding,
                                                          data_format)
    y = _depthwise(x, rank, padding, last, channels, spatial, depthwise_kernel, strides,
                   dilation_rate, "separable_conv")
    mid = y.shape[-1] if last else y.shape[1]
    pointwise = _kernel(pointwise_kernel, y, rank, mid, "separable_conv", -2, "equal")
    ones = (1,) * rank
    return conv_general(y, pointwise, ones, [(0, 0)] * rank, ones, last)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    name = "conv_transpose"
    x, rank, padding, last, channels, _ = _geometry(inputs, name, padding, data_format)
    kernel = _kernel(kernel, x, rank, channels, name, -1, "equal")
    strides = checks.positive_tuple(strides, rank, "strides", name)
    dilation = checks.positive_tuple(dilation_rate, rank, "dilation_rate", name)
    extra = checks.output_paddings(output_padding, rank)
    pairs = [transpose_padding(k, s, d, padding, p)
             for k, s, d, p in zip(kernel.shape[:rank], strides, dilation, extra)]
    return conv_transpose_general(x, kernel, strides, pairs, dilation, last)


def _pool(inputs, pool_size, strides, padding, data_format, mode, name):
    x, rank, padding, last, _, spatial = _geometry(inputs, name, padding, data_format)
    pool_size = checks.positive_tuple(pool_size, rank, "pool_size", name)
    strides = pool_size if strides is None else \
        checks.positive_tuple(strides, rank, "strides", name)
    pads = keras_pads(padding, spatial, pool_size, strides, (1,) * rank)
    return pool_general(x, mode, pool_size, strides, pads, last)


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "max", "max_pool")


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    return _pool(inputs, pool_size, strides, padding, data_format, "avg", "average_pool")
