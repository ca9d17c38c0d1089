"""Metrics by name: ``get``, ``serialize`` and ``deserialize``, and the tables of
built-in metric functions and classes they read."""

import inspect

from keras_bridge.metrics.accuracy_metrics import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy)
from keras_bridge.metrics.base import Mean, MeanMetricWrapper, Metric, Sum, _FixedFunction
from keras_bridge.metrics.base import _function_name
from keras_bridge.metrics.confusion import AUC, Precision, Recall
from keras_bridge.metrics.regression import (
    MeanAbsoluteError, MeanAbsolutePercentageError, MeanSquaredError,
    MeanSquaredLogarithmicError, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error)


_FUNCTIONS = {fn.__name__: fn for fn in (
    accuracy, binary_accuracy, categorical_accuracy, sparse_categorical_accuracy,
    top_k_categorical_accuracy, sparse_top_k_categorical_accuracy, mean_squared_error,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_logarithmic_error)}
_ALIASES = {"mse": mean_squared_error, "MSE": mean_squared_error,
            "mae": mean_absolute_error, "MAE": mean_absolute_error,
            "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
            "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error}
_CLASSES = {cls.__name__: cls for cls in (
    Mean, Sum, MeanMetricWrapper, Accuracy, BinaryAccuracy, CategoricalAccuracy,
    SparseCategoricalAccuracy, TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy,
    MeanSquaredError, MeanAbsoluteError, MeanAbsolutePercentageError,
    MeanSquaredLogarithmicError, Precision, Recall, AUC)}
_CLASS_OF_FUNCTION = {cls._function: cls for cls in _CLASSES.values()
                      if issubclass(cls, _FixedFunction)}
_NOT_LOSS_FUNCTIONS = {"get", "serialize", "deserialize"}


def _loss_functions():
    """Loss functions of ``keras_bridge.losses`` usable as metrics (imported lazily)."""
    try:
        from keras_bridge import losses
    except ImportError:
        return {}
    names = getattr(losses, "__all__", dir(losses))
    found = {}
    for name in names:
        obj = getattr(losses, name, None)
        if (callable(obj) and not inspect.isclass(obj) and not name.startswith("_")
                and name not in _NOT_LOSS_FUNCTIONS):
            found[name] = obj
    return found


def _resolve_function(name):
    fn = _FUNCTIONS.get(name) or _ALIASES.get(name) or _loss_functions().get(name)
    if fn is None:
        raise _unknown(name)
    return fn


def _accepted_names():
    return sorted(set(_CLASSES) | set(_FUNCTIONS) | set(_ALIASES) | set(_loss_functions()))


def _unknown(identifier):
    return ValueError(
        f"Could not interpret metric identifier: {identifier!r}. Expected one of "
        f"{_accepted_names()}, a Metric instance, a config dict, or a function "
        "(y_true, y_pred) -> per-sample values."
    )


def serialize(metric):
    """A metric as saved in a config: ``{'class_name', 'config'}``, or a function's name."""
    if isinstance(metric, Metric):
        return {"class_name": type(metric).__name__, "config": metric.get_config()}
    if callable(metric):
        name = _function_name(metric)
        if name == "lambda":
            raise ValueError(f"Cannot serialize metric {metric!r}: it has no name. Use a "
                             "function defined with `def`.")
        return name
    raise ValueError(f"Cannot serialize metric {metric!r}: expected a Metric or a function.")


def deserialize(config, custom_objects=None):
    """The metric saved as ``config`` by ``serialize`` (a name or a class/config dict)."""
    custom_objects = custom_objects or {}
    if isinstance(config, str):
        if config in custom_objects:
            return get(custom_objects[config])
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    cls = custom_objects.get(config["class_name"]) or _CLASSES.get(config["class_name"])
    if not (inspect.isclass(cls) and issubclass(cls, Metric)):
        raise _unknown(config["class_name"])
    inner = dict(config.get("config") or {})
    if isinstance(inner.get("fn"), str) and inner["fn"] in custom_objects:
        inner["fn"] = custom_objects[inner["fn"]]  # a user's function in a MeanMetricWrapper
    return cls.from_config(inner)


def get(identifier):
    """Resolve a metric to a ``Metric`` instance.

    Args:
        identifier: A name ('binary_accuracy', 'mse', 'AUC', a loss function of
            ``keras_bridge.losses`` ...), a ``Metric`` instance or class, a dict from
            ``serialize``, or a function ``(y_true, y_pred) -> values`` (wrapped in
            ``MeanMetricWrapper`` named after it). None gives None.

    Returns:
        A ``Metric``; a function name gives a metric named as the string given.

    Raises:
        ValueError: for an unknown name or value, listing the accepted names.
    """
    if identifier is None or isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier)
        if cls is not None and cls is not MeanMetricWrapper:
            return cls()
        fn = _resolve_function(identifier)
        cls = _CLASS_OF_FUNCTION.get(fn)
        return cls(name=identifier) if cls is not None else \
            MeanMetricWrapper(fn, name=identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier) and not inspect.isclass(identifier):
        return MeanMetricWrapper(identifier)
    raise _unknown(identifier)
