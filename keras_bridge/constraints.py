"""Weight constraints: projections applied to a weight after each optimizer step.

Written with ``keras_bridge.ops``, so they run on either engine's tensors. ``axis``
names the axes a norm is taken over: in Keras layout a Dense kernel is
``(input_dim, units)``, so ``axis=0`` constrains the vector of weights feeding each
unit; a Conv2D kernel ``(kh, kw, in, out)`` uses ``axis=[0, 1, 2]``.
"""

import inspect

from keras_bridge import config
from keras_bridge import ops
from keras_bridge.utils.naming import to_snake_case
from keras_bridge.utils.catalog import Catalog


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _norms(w, axis):
    return ops.sqrt(ops.sum(ops.square(w), axis=_axis(axis), keepdims=True))


class Constraint:
    """Base class: a callable from a weight tensor to its projected value (identity here)."""

    def __call__(self, w):
        return w

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class MaxNorm(Constraint):
    """Rescales each weight vector whose norm exceeds ``max_value`` down to it.

    Args:
        max_value: The largest norm allowed.
        axis: Axis or list of axes the norm is taken over.
    """

    def __init__(self, max_value=2, axis=0):
        self.max_value = max_value
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = ops.clip(norms, 0.0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(config.epsilon(), norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to zero."""

    def __call__(self, w):
        return ops.maximum(ops.convert_to_tensor(w), 0.0)


class UnitNorm(Constraint):
    """Divides each weight vector by its norm.

    Args:
        axis: Axis or list of axes the norm is taken over.
    """

    def __init__(self, axis=0):
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        return ops.divide(w, ops.add(config.epsilon(), _norms(w, self.axis)))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves each weight vector's norm toward ``[min_value, max_value]``.

    The norm becomes ``rate * clip(norm, min_value, max_value) + (1 - rate) * norm``:
    ``rate=1`` enforces the bounds at once, a smaller rate approaches them gradually.

    Args:
        min_value: The smallest norm allowed.
        max_value: The largest norm allowed.
        rate: How far to move toward the bounds at each application.
        axis: Axis or list of axes the norm is taken over.
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = axis

    def __call__(self, w):
        w = ops.convert_to_tensor(w)
        norms = _norms(w, self.axis)
        desired = ops.add(
            ops.multiply(self.rate, ops.clip(norms, self.min_value, self.max_value)),
            ops.multiply(1.0 - self.rate, norms),
        )
        return ops.multiply(w, ops.divide(desired, ops.add(config.epsilon(), norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value,
                "rate": self.rate, "axis": self.axis}


# Lowercase spellings, as Keras (the classes themselves).
max_norm = MaxNorm
non_neg = NonNeg
unit_norm = UnitNorm
min_max_norm = MinMaxNorm

_CLASSES = (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
# Keras 2's older aliases.
_BY_NAME.update({"maxnorm": MaxNorm, "nonneg": NonNeg, "unitnorm": UnitNorm})


_CATALOG = Catalog("constraint", Constraint, _BY_NAME, "(weight) -> weight")
_unknown = _CATALOG.unknown


def serialize(constraint):
    """``{'class_name': ..., 'config': ...}`` for a Constraint."""
    return _CATALOG.serialize(constraint)


def deserialize(config):
    """A Constraint from ``serialize``'s dict."""
    return _CATALOG.deserialize(config)


def get(identifier):
    """Resolve a constraint from None, a name, a config dict, an instance or a callable.

    Args:
        identifier: None, a name ('max_norm', 'NonNeg', ...), a dict from ``serialize``,
            a Constraint class or instance, or a callable.

    Returns:
        A constraint, or None for None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = _BY_NAME.get(identifier)
        if cls is None:
            raise _unknown(identifier)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Constraint):
        return identifier()
    if callable(identifier):
        return identifier
    raise _unknown(identifier)


__all__ = ["Constraint", "MaxNorm", "NonNeg", "UnitNorm", "MinMaxNorm", "max_norm",
           "non_neg", "unit_norm", "min_max_norm", "get", "serialize", "deserialize"]
