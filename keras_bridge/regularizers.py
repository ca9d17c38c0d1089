"""Weight regularizers: penalties added to the loss, computed with ``keras_bridge.ops``.

A regularizer is called on a weight (an engine tensor) and returns a scalar engine
tensor, so the penalty takes part in the engine's gradient.
"""

import inspect
import math
import numbers

from keras_bridge import ops
from keras_bridge.utils.naming import to_snake_case
from keras_bridge.utils.catalog import Catalog


def _factor(value, name, default):
    """A non-negative finite penalty factor as float (None means the default, as Keras)."""
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(
            f"Expected {name} to be a non-negative number. Received: {name}={value!r}"
        )
    return float(value)


class Regularizer:
    """Base class: a callable from a weight tensor to a scalar penalty.

    Subclasses implement ``__call__`` and ``get_config``.
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config().")

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x ** 2)``.

    Args:
        l1: Non-negative L1 factor.
        l2: Non-negative L2 factor.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = _factor(l1, "l1", 0.0)
        self.l2 = _factor(l2, "l2", 0.0)

    def __call__(self, x):
        terms = []
        if self.l1:
            terms.append(ops.multiply(self.l1, ops.sum(ops.abs(x))))
        if self.l2:
            terms.append(ops.multiply(self.l2, ops.sum(ops.square(x))))
        if not terms:  # a zero of x's engine and dtype, so callers can add it to a loss
            return ops.zeros_like(ops.sum(x))
        return terms[0] if len(terms) == 1 else ops.add(terms[0], terms[1])

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)``.

    Args:
        l1: Non-negative factor.
    """

    def __init__(self, l1=0.01):
        self.l1 = _factor(l1, "l1", 0.01)

    def __call__(self, x):
        return ops.multiply(self.l1, ops.sum(ops.abs(x)))

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x ** 2)``.

    Args:
        l2: Non-negative factor.
    """

    def __init__(self, l2=0.01):
        self.l2 = _factor(l2, "l2", 0.01)

    def __call__(self, x):
        return ops.multiply(self.l2, ops.sum(ops.square(x)))

    def get_config(self):
        return {"l2": self.l2}


# Lowercase spellings, as Keras: l1 and l2 are the classes themselves.
l1 = L1
l2 = L2


def l1_l2(l1=0.01, l2=0.01):
    """An L1L2 regularizer with Keras 2's defaults for this spelling (0.01 each).

    The class ``L1L2`` defaults to 0.0 for both factors; ``l1_l2()`` and the string
    'l1_l2' give 0.01 each, as in Keras 2, so that they regularize at all.

    Args:
        l1: Non-negative L1 factor.
        l2: Non-negative L2 factor.

    Returns:
        An ``L1L2`` instance.
    """
    return L1L2(l1=l1, l2=l2)


_CLASSES = (L1, L2, L1L2)
_BY_NAME = {cls.__name__: cls for cls in _CLASSES}
_BY_NAME.update({to_snake_case(cls.__name__): cls for cls in _CLASSES})
_BY_NAME.update({"l1_l2": l1_l2, "l1l2": l1_l2})


_CATALOG = Catalog("regularizer", Regularizer, _BY_NAME, "(weight) -> scalar")
_unknown = _CATALOG.unknown


def serialize(regularizer):
    """``{'class_name': ..., 'config': ...}`` for a Regularizer."""
    return _CATALOG.serialize(regularizer)


def deserialize(config):
    """A Regularizer from ``serialize``'s dict."""
    return _CATALOG.deserialize(config)


def get(identifier):
    """Resolve a regularizer from None, a name, a config dict, an instance or a callable.

    Args:
        identifier: None, a name ('l1', 'l2', 'l1_l2', 'L1L2', ...), a dict from
            ``serialize``, a Regularizer class or instance, or a callable.

    Returns:
        A regularizer, or None for None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        factory = _BY_NAME.get(identifier)
        if factory is None:
            raise _unknown(identifier)
        return factory()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Regularizer):
        return identifier()
    if callable(identifier):
        return identifier
    raise _unknown(identifier)


__all__ = ["Regularizer", "L1", "L2", "L1L2", "l1", "l2", "l1_l2",
           "get", "serialize", "deserialize"]
