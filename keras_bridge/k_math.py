"""Keras 2 ``K`` helpers for control flow, scans, indexing, padding, resizing and
randomness, written with ``keras_bridge.ops`` (so they run on either engine, under jit,
and inside Lambda layers).

Random functions draw from the engine's random stream (seeded by
``keras_bridge.utils.set_random_seed``; inside a jitted JAX step, from the step's key) or,
given ``seed=``, from a generator made from that seed, so the same seed gives the same
values on every call.
"""

import numpy as np

from keras_bridge.backends.nn_checks import concrete_noise_shape
from keras_bridge import config, ops
from keras_bridge.layers.convolutional import normalize_data_format, pad_axis
from keras_bridge.layers.reshaping import _linear_axis, _repeat_axes

__all__ = [
    "switch", "stop_gradient", "cumsum", "cumprod", "gather", "logsumexp", "arange", "sin",
    "cos", "temporal_padding", "spatial_2d_padding", "spatial_3d_padding", "resize_images",
    "bias_add", "random_normal", "random_uniform", "random_binomial", "truncated_normal",
    "dropout", "reverse", "batch_normalization", "cast_to_floatx",
]


def _is_concrete(x):
    return isinstance(x, (bool, int, float, np.ndarray, np.generic))


def switch(condition, then_expression, else_expression):
    """``then_expression`` where ``condition`` holds, else ``else_expression``.

    Args:
        condition: a boolean (or int) scalar or tensor. A tensor condition of lower rank
            than the expressions selects along their leading axes (it is padded with
            trailing length-1 axes and broadcast), as Keras 2 does.
        then_expression, else_expression: tensors, or callables returning tensors.

    A Python or numpy scalar condition picks one branch (only that callable runs); a
    tensor condition is elementwise, which also works under jit.
    """
    if _is_concrete(condition) and np.ndim(condition) == 0:
        chosen = then_expression if bool(condition) else else_expression
        result = chosen() if callable(chosen) else chosen
        return ops.convert_to_tensor(result) if _is_concrete(result) else result
    if callable(then_expression):
        then_expression = then_expression()
    if callable(else_expression):
        else_expression = else_expression()
    condition = ops.cast(condition, "bool")
    cond_ndim, expr_ndim = ops.ndim(condition), ops.ndim(then_expression)
    if cond_ndim > expr_ndim:
        raise ValueError(f"Expected a condition of rank <= the rank of then_expression "
                         f"and else_expression. Received: ndim(condition)={cond_ndim}, "
                         f"ndim(then_expression)={expr_ndim}.")
    if 0 < cond_ndim < expr_ndim:
        shape = tuple(ops.shape(condition)) + (1,) * (expr_ndim - cond_ndim)
        condition = ops.reshape(condition, shape)
    return ops.where(condition, then_expression, else_expression)


def stop_gradient(variables):
    """``variables`` (a tensor or a list of them) with no gradient flowing back."""
    if isinstance(variables, (list, tuple)):
        return [ops.stop_gradient(v) for v in variables]
    return ops.stop_gradient(variables)


def cumsum(x, axis=0):
    """Cumulative sum along ``axis`` (Keras 2's default axis 0)."""
    return ops.cumsum(x, axis=axis)


def cumprod(x, axis=0):
    """Cumulative product along ``axis`` (Keras 2's default axis 0)."""
    return ops.cumprod(x, axis=axis)


def gather(reference, indices):
    """Rows ``indices`` of ``reference`` (an index tensor of any shape selects along
    axis 0, as an embedding lookup)."""
    return ops.take(reference, ops.cast(indices, "int32"), axis=0)


def logsumexp(x, axis=None, keepdims=False):
    """``log(sum(exp(x), axis))``, computed stably."""
    return ops.logsumexp(x, axis=axis, keepdims=keepdims)


def arange(start, stop=None, step=1, dtype="int32"):
    """``[start, stop)`` by ``step``; with one argument, ``[0, start)`` (a negative one
    gives an empty tensor). int32 by default, as Keras 2."""
    if stop is None and isinstance(start, (int, float, np.number)) and start < 0:
        start = 0
    return ops.arange(start, stop, step, dtype=dtype)


def sin(x):
    """Sine."""
    return ops.sin(x)


def cos(x):
    """Cosine."""
    return ops.cos(x)


def reverse(x, axes):
    """``x`` reversed along ``axes`` (an int or a list of ints)."""
    axes = (axes,) if isinstance(axes, (int, np.integer)) else tuple(axes)
    return ops.flip(x, axis=axes)


def cast_to_floatx(x):
    """``x`` as a numpy array of dtype floatx (Keras 2 returns numpy, not a tensor)."""
    return np.asarray(x, dtype=config.floatx())


def batch_normalization(x, mean, var, beta, gamma, axis=-1, epsilon=1e-3):
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta``.

    The statistics broadcast against ``x``; vectors are laid along ``axis`` (as Keras 2's
    fused path does). ``beta`` / ``gamma`` may be None (0 / 1).
    """
    rank = ops.ndim(x)
    axis = axis % rank

    def along_axis(v):
        if v is None or rank < 2 or ops.ndim(v) != 1 or axis == rank - 1:
            return v
        return ops.reshape(v, (-1,) + (1,) * (rank - 1 - axis))

    mean, var, beta, gamma = (along_axis(v) for v in (mean, var, beta, gamma))
    y = ops.divide(ops.subtract(x, mean), ops.sqrt(ops.add(var, epsilon)))
    if gamma is not None:
        y = ops.multiply(y, gamma)
    return y if beta is None else ops.add(y, beta)


def _pair(value, name):
    try:
        before, after = value
    except (TypeError, ValueError):
        raise ValueError(f"Expected {name} to be a pair of ints (before, after). "
                         f"Received: {name}={value!r}") from None
    return int(before), int(after)


def _pad(x, padding, spatial_axes, name):
    if len(padding) != len(spatial_axes):
        raise ValueError(f"Expected padding to hold {len(spatial_axes)} (before, after) pairs. "
                         f"Received: padding={padding!r}")
    for axis, pair in zip(spatial_axes, padding):
        x = pad_axis(x, axis, *_pair(pair, name))
    return x


def _spatial_axes(rank, data_format):
    data_format = normalize_data_format(data_format, "K")
    return tuple(range(1, rank + 1)) if data_format == "channels_last" else \
        tuple(range(2, rank + 2))


def temporal_padding(x, padding=(1, 1)):
    """Zeros added before and after axis 1 of a 3D tensor."""
    return _pad(x, [padding], (1,), "padding")


def spatial_2d_padding(x, padding=((1, 1), (1, 1)), data_format=None):
    """Zeros added around the two spatial axes of a 4D tensor."""
    return _pad(x, padding, _spatial_axes(2, data_format), "padding[i]")


def spatial_3d_padding(x, padding=((1, 1), (1, 1), (1, 1)), data_format=None):
    """Zeros added around the three spatial axes of a 5D tensor."""
    return _pad(x, padding, _spatial_axes(3, data_format), "padding[i]")


def resize_images(x, height_factor, width_factor, data_format, interpolation="nearest"):
    """The images of a 4D tensor enlarged by integer factors.

    Args:
        interpolation: 'nearest' (each pixel repeated) or 'bilinear' (half-pixel centres,
            as this project's ``UpSampling2D`` and Keras 3; Keras 2 on TF 1 sampled at
            ``i / factor`` without the half-pixel offset).
    """
    axes = _spatial_axes(2, data_format)
    factors = (int(height_factor), int(width_factor))
    if interpolation == "nearest":
        return _repeat_axes(x, axes, factors)
    if interpolation == "bilinear":
        for axis, size in zip(axes, factors):
            x = _linear_axis(x, axis, size) if size > 1 else x
        return x
    raise ValueError(f"Expected interpolation 'nearest' or 'bilinear'. Received: "
                     f"interpolation={interpolation!r}")


def bias_add(x, bias, data_format=None):
    """``x`` plus ``bias`` on its channel axis.

    A bias vector is added on the channel axis (last, or 1 with 'channels_first'); a bias
    of rank ``ndim(x) - 1`` is reshaped, as Keras 2 does, to the per-sample shape with
    its last axis moved to the channel position.
    """
    data_format = normalize_data_format(data_format, "K.bias_add")
    rank, bias_shape = ops.ndim(x), tuple(ops.shape(bias))
    if len(bias_shape) not in (1, rank - 1):
        raise ValueError(f"Expected a bias of rank 1 or {rank - 1} for an input of rank "
                         f"{rank}. Received: bias.shape={bias_shape}")
    shape = (1,) * (rank - 2) + bias_shape if len(bias_shape) == 1 else bias_shape
    if data_format == "channels_first" and rank in (3, 4, 5):  # others: last axis, as Keras 2
        shape = (shape[-1],) + shape[:-1]
    return ops.add(x, ops.reshape(bias, (1,) + shape))


def _float_dtype(dtype):
    return config.floatx() if dtype is None else dtype


def random_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples of ``shape``."""
    return ops.random_normal(tuple(shape), mean, stddev, _float_dtype(dtype), seed=seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Uniform samples in ``[minval, maxval)``."""
    return ops.random_uniform(tuple(shape), minval, maxval, _float_dtype(dtype), seed=seed)


def random_binomial(shape, p=0.0, dtype=None, seed=None):
    """1 with probability ``p``, else 0 (Keras 2: ``uniform <= p``)."""
    dtype = _float_dtype(dtype)
    u = ops.random_uniform(tuple(shape), 0.0, 1.0, dtype, seed=seed)
    return ops.cast(ops.less_equal(u, p), dtype)


def dropout(x, level, noise_shape=None, seed=None):
    """Inverted dropout: entries zeroed with probability ``level``, the rest scaled by
    ``1 / (1 - level)``; ``noise_shape`` (broadcastable to ``x``) shares the mask."""
    if seed is None:
        return ops.dropout(x, level, noise_shape=noise_shape)
    if not 0.0 <= float(level) < 1.0:
        raise ValueError(f"Expected dropout level in [0, 1). Received: level={level}")
    shape = concrete_noise_shape(ops.shape(x), noise_shape)
    keep = ops.greater_equal(ops.random_uniform(shape, 0.0, 1.0, seed=seed), level)
    return ops.where(keep, ops.divide(x, 1.0 - float(level)), 0.0)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples, redrawn until within two ``stddev`` of ``mean``."""
    return ops.random_truncated_normal(tuple(shape), mean, stddev, _float_dtype(dtype),
                                       seed=seed)
