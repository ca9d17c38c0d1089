"""Regression metrics: ``mean_squared_error`` and its kin (per-sample functions, with
the aliases ``mse``, ``mae``, ``mape``, ``msle``) and the running-mean classes of each."""

from keras_bridge import config, ops
from keras_bridge.metrics.base import _FixedFunction, _check_broadcast, _convert, _same_rank


# ---------------------------------------------------------------- metric functions

def _regression_inputs(fn_name, y_true, y_pred):
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_broadcast(fn_name, y_true, y_pred)
    return y_true, y_pred


def mean_squared_error(y_true, y_pred):
    """``mean(square(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_squared_error", y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_true - y_pred), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_absolute_error", y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / max(abs(y_true), epsilon)), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_absolute_percentage_error", y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), config.epsilon())
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _regression_inputs("mean_squared_logarithmic_error", y_true, y_pred)
    eps = config.epsilon()
    first = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error


# ---------------------------------------------------------------- classes

class MeanSquaredError(_FixedFunction):
    """The running mean of ``mean_squared_error``."""

    _function = staticmethod(mean_squared_error)

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsoluteError(_FixedFunction):
    """The running mean of ``mean_absolute_error``."""

    _function = staticmethod(mean_absolute_error)

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanAbsolutePercentageError(_FixedFunction):
    """The running mean of ``mean_absolute_percentage_error``."""

    _function = staticmethod(mean_absolute_percentage_error)

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_FixedFunction):
    """The running mean of ``mean_squared_logarithmic_error``."""

    _function = staticmethod(mean_squared_logarithmic_error)

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
