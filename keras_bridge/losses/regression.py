"""Regression losses: ``mean_squared_error`` and its kin, ``huber``, ``log_cosh``,
``poisson`` and ``cosine_similarity`` (per-sample functions)."""

import math

from keras_bridge import backend as K
from keras_bridge import config, ops
from keras_bridge.losses.base import _on_engine_of, _tensors


# ---------------------------------------------------------------- regression losses

def mean_squared_error(y_true, y_pred):
    """``mean(square(y_pred - y_true), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_pred - y_true), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon())), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), config.epsilon())
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    eps = config.epsilon()
    first = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``0.5 * x ** 2`` where ``|x| <= delta``, else
    ``delta * |x| - 0.5 * delta ** 2``, for ``x = y_pred - y_true``, averaged over the
    last axis."""
    y_true, y_pred = _tensors(y_true, y_pred)
    delta = _on_engine_of(y_pred, delta, y_pred.dtype)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(0.5, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, abs_error), ops.multiply(0.5, ops.square(delta)))
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2x) - log(2)`` so that large errors do not overflow."""
    y_true, y_pred = _tensors(y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    value = ops.subtract(ops.add(x, ops.softplus(ops.multiply(-2.0, x))), math.log(2.0))
    return ops.mean(value, axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon()), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    log_pred = ops.log(ops.add(y_pred, config.epsilon()))
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, log_pred)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: ``-sum(l2_normalize(y_true) *
    l2_normalize(y_pred))``; -1 for the same direction, 0 when either is a zero vector."""
    y_true, y_pred = _tensors(y_true, y_pred)
    product = ops.multiply(K.l2_normalize(y_true, axis=axis), K.l2_normalize(y_pred, axis=axis))
    return ops.negative(ops.sum(product, axis=axis))
