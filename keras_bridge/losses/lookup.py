"""Losses by name: the aliases (``mse``, ``bce``, ...), the tables of built-in loss
functions and classes, and ``get``, ``serialize`` and ``deserialize``, which read them."""

import inspect
import warnings

from keras_bridge.losses.base import Loss
from keras_bridge.losses.classes import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    Huber, KLDivergence, LogCosh, LossFunctionWrapper, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge)
from keras_bridge.losses.probabilistic import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
    sparse_categorical_crossentropy, squared_hinge)
from keras_bridge.losses.regression import (
    cosine_similarity, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson)


# ---------------------------------------------------------------- aliases and tables

# Aliases, as Keras 2 (Keras 3 keeps all but huber_loss, logcosh and
# kullback_leibler_divergence).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
bce = BCE = binary_crossentropy
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber

_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, hinge, squared_hinge, categorical_hinge, kl_divergence,
    poisson, log_cosh, huber, cosine_similarity,
)
_ALIASES = {
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh, "huber_loss": huber,
}
# Older spellings, accepted by ``get`` with a DeprecationWarning naming the modern one.
_LEGACY = {"cosine_proximity": "cosine_similarity", "cosine": "cosine_similarity"}


# ---------------------------------------------------------------- lookup and serialization

_CLASSES = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, LogCosh, Huber, CosineSimilarity,
)
_CLASS_BY_NAME = {cls.__name__: cls for cls in _CLASSES[2:]}
_SERIALIZABLE = {LossFunctionWrapper.__name__: LossFunctionWrapper, **_CLASS_BY_NAME}
_FUNCTION_BY_NAME = {fn.__name__: fn for fn in _FUNCTIONS}
_FUNCTION_BY_NAME.update(_ALIASES)
_ACCEPTED = sorted(set(_FUNCTION_BY_NAME) | set(_CLASS_BY_NAME))


def _unknown(identifier):
    return ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Expected one of "
        f"{_ACCEPTED}, a dict {{'class_name': ..., 'config': ...}}, a Loss instance, or a "
        "callable (y_true, y_pred) -> per-sample losses.")


def _function(name, custom_objects=None):
    """The loss function saved as ``name`` in a LossFunctionWrapper config."""
    if callable(name):
        return name
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _FUNCTION_BY_NAME:
        return _FUNCTION_BY_NAME[name]
    raise ValueError(
        f"Unknown loss function {name!r} in a LossFunctionWrapper config. Expected one of "
        f"{sorted(_FUNCTION_BY_NAME)}; pass a custom function as "
        f"deserialize(config, custom_objects={{{name!r}: fn}}).")


def serialize(loss):
    """``{'class_name': ..., 'config': ...}`` for a ``Loss``; a built-in function's name.

    Args:
        loss: A ``Loss`` instance, a built-in loss function, or None.
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if any(loss is fn for fn in _FUNCTIONS):
        return loss.__name__
    raise ValueError(f"Cannot serialize loss {loss!r}. Expected a Loss instance or a "
                     "built-in loss function; wrap a custom function in LossFunctionWrapper.")


def deserialize(config, custom_objects=None):
    """A ``Loss`` from ``serialize``'s output (a dict, or a name).

    Args:
        config: A dict ``{'class_name': ..., 'config': ...}`` or a name.
        custom_objects: Optional dict of user classes and functions by name.
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _SERIALIZABLE.get(name)
    if not (inspect.isclass(cls) and issubclass(cls, Loss)):
        raise _unknown(name)
    inner = dict(config.get("config") or {})
    if cls is LossFunctionWrapper:
        inner["fn"] = _function(inner.get("fn"), custom_objects)
    return cls.from_config(inner)


def get(identifier):
    """Resolve a loss for ``compile(loss=...)``.

    Args:
        identifier: None; a function name or alias ('mse', 'categorical_crossentropy',
            ...), giving a ``LossFunctionWrapper`` named after the function's Keras 2
            name ('mse' -> 'mean_squared_error'); a class name ('MeanSquaredError');
            a dict from ``serialize``; a ``Loss`` instance (returned as it is) or class;
            or a callable ``(y_true, y_pred) -> per-sample losses`` (wrapped).

    Returns:
        A ``Loss`` instance, or None for None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in _LEGACY:
            modern = _LEGACY[identifier]
            warnings.warn(f"Loss {identifier!r} is the old name of {modern!r}; use "
                          f"{modern!r} instead.", DeprecationWarning, stacklevel=2)
            identifier = modern
        if identifier in _CLASS_BY_NAME:
            return _CLASS_BY_NAME[identifier]()
        fn = _FUNCTION_BY_NAME.get(identifier)
        if fn is None:
            raise _unknown(identifier)
        return LossFunctionWrapper(fn, name=fn.__name__)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise _unknown(identifier)
