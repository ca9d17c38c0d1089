"""Keras 3's ``moments``, ``batch_normalization`` and ``scan`` as XLA ops.

``moments`` is ``jnp.mean`` / ``jnp.var`` (population variance), which XLA fuses into
the reductions a hand-written function gets; float16 / bfloat16 inputs are reduced in
float32 and the results clipped to the half type's range and cast back, as Keras does.
``batch_normalization`` is Keras's ``x * inv + (offset - mean * inv)`` with
``inv = scale * rsqrt(variance + epsilon)``. ``scan`` is ``lax.scan``: the step is traced
once and compiled as a loop (``unroll`` steps per iteration).
"""

import jax
import jax.numpy as jnp
from jax import lax

from keras_bridge.backends import nn_checks as checks
from keras_bridge.utils import tree


def _ops():
    from keras_bridge.backends.jax import ops
    return ops


def moments(x, axes, keepdims=False, synchronized=False):
    checks.no_synchronized(synchronized)
    x = _ops()._float(x)
    dims = checks.reduction_axes(axes, x.ndim)
    half = x.dtype if x.dtype.name in checks.HALF else None
    if half is not None:
        x = x.astype("float32")
    mean = jnp.mean(x, axis=dims, keepdims=keepdims)
    variance = jnp.var(x, axis=dims, keepdims=keepdims)
    if half is not None:
        info = jnp.finfo(half)
        mean = jnp.clip(mean, info.min, info.max).astype(half)
        variance = jnp.clip(variance, info.min, info.max).astype(half)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    t = _ops()._t
    x, mean, variance = _ops()._float(x), t(mean), t(variance)
    offset = None if offset is None else t(offset)
    scale = None if scale is None else t(scale)
    axis = checks.normalization_axis(axis, tuple(x.shape), {
        "mean": mean.shape, "variance": variance.shape,
        "offset": None if offset is None else offset.shape,
        "scale": None if scale is None else scale.shape})
    return checks.affine_normalize(x, mean, variance, offset, scale, epsilon, lax.rsqrt,
                                   axis)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    checks.scan_arguments(f, unroll)
    leaves = [] if xs is None else [v for v in tree.flatten(xs) if v is not None]
    n = checks.scan_length([tuple(jnp.shape(v)) for v in leaves], length, xs is not None)
    return lax.scan(f, init, xs, length=n, reverse=reverse, unroll=unroll)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """``jax.nn.dot_product_attention`` (XLA; cuDNN's fused kernel where XLA picks it),
    whose (B, T, N, H) layout, grouped heads and large-negative masking are Keras's.
    Its bias and mask must be 4-D, so lower ranks are broadcast from the left."""
    o = _ops()
    query, key, value = (o._float(x) for x in (query, key, value))
    dtype = jnp.result_type(query.dtype, key.dtype, value.dtype)
    query, key, value = (x.astype(dtype) for x in (query, key, value))
    checks.attention_heads(query.shape, key.shape, value.shape, flash_attention,
                           attn_logits_soft_cap)

    def four_d(x, as_dtype):
        x = o._t(x).astype(as_dtype)
        return x.reshape((1,) * (4 - x.ndim) + x.shape)

    return jax.nn.dot_product_attention(
        query, key, value, bias=None if bias is None else four_d(bias, dtype),
        mask=None if mask is None else four_d(mask, jnp.bool_), scale=scale,
        is_causal=bool(is_causal))
