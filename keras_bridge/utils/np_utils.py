"""Keras 2's ``keras.utils.np_utils`` module, kept so Keras 2 tutorials run.

``from keras_bridge.utils import np_utils; np_utils.to_categorical(y, 10)`` works as
in Keras 2, with a ``DeprecationWarning`` naming the modern spelling
(``keras_bridge.utils.to_categorical``); the result is the same.
"""

import warnings

from keras_bridge.utils import numerical_utils


def _deprecated(name):
    warnings.warn(
        f"np_utils.{name} is Keras 2's spelling; use keras_bridge.utils.{name} "
        f"(from keras_bridge.utils import {name}).", DeprecationWarning, stacklevel=3)


def to_categorical(y, num_classes=None, dtype="float32"):
    """Deprecated alias of ``keras_bridge.utils.to_categorical``."""
    _deprecated("to_categorical")
    return numerical_utils.to_categorical(y, num_classes=num_classes, dtype=dtype)


def normalize(x, axis=-1, order=2):
    """Deprecated alias of ``keras_bridge.utils.normalize``."""
    _deprecated("normalize")
    return numerical_utils.normalize(x, axis=axis, order=order)


__all__ = ["to_categorical", "normalize"]
