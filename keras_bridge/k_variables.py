"""Keras 2 variables for the ``K`` helpers: ``K.variable``, ``K.eval``, ``K.update*``.

A ``K.variable`` is a ``Weight`` with no owning layer, bound at once to the default
engine (on the device of the enclosing ``keras_bridge.device`` scope, else the engine's
default). Being a weight, it goes wherever weights go: every op reads its current value,
``K.get_value`` / ``K.set_value`` / ``K.batch_set_value`` read and write it, and inside a
jitted JAX step its assignments are recorded like a layer's state updates.
"""

import numpy as np

from keras_bridge import backends
from keras_bridge import config, context, ops
from keras_bridge.graph import KerasTensor
from keras_bridge.variables import Weight

__all__ = ["variable", "is_variable", "update", "update_add", "update_sub",
           "random_normal_variable", "random_uniform_variable"]


class Variable(Weight):
    """A free-standing variable made by ``K.variable`` (a weight of no layer)."""

    def __repr__(self):
        return f"<Variable name={self.name} shape={self.shape} dtype={self.dtype}>"

    def __str__(self):
        return self.name  # Keras 2 prints a variable as its name


def _numpy_of(value):
    if isinstance(value, KerasTensor):
        raise TypeError(f"Expected a value (numpy array, tensor, number). Received the "
                        f"symbolic tensor {value.name}, which has no value until a model runs.")
    if getattr(type(value), "_kb_is_weight", False):
        return value.numpy()
    if isinstance(value, (np.ndarray, int, float, bool, list, tuple, np.generic)):
        return np.asarray(value)
    return ops.convert_to_numpy(value)


def variable(value, dtype=None, name=None, constraint=None):
    """A variable holding ``value`` on the default engine.

    Args:
        value: numpy array, nested list, number, engine tensor or weight.
        dtype: dtype name; default ``K.floatx()``.
        name: the variable's name (default 'variable').
        constraint: a function applied to the value after each optimizer update;
            stored as ``variable.constraint``.

    Returns:
        A variable usable in every ``K`` function and op; ``K.eval`` reads it.

    Example:
        v = K.variable(np.array([[1, 2], [3, 4]]), dtype="float64", name="example_var")
        K.eval(v)  # array([[1., 2.], [3., 4.]])
    """
    if constraint is not None and not callable(constraint):
        raise ValueError(f"Expected a callable constraint or None. Received: "
                         f"constraint={constraint!r}")
    arr = _numpy_of(value)
    if dtype is None:
        dtype = config.floatx()
    elif not isinstance(dtype, str):
        dtype = np.dtype(dtype).name
    # Only floating variables can take gradients (engines refuse integer parameters).
    floating = dtype.startswith(("float", "bfloat", "complex"))
    v = Variable(name or "variable", arr.shape, dtype, arr, trainable=floating,
                 constraint=constraint)
    backend = context.active_backend()
    backend.bind_weight(v, backend.resolve_device(context.requested_device()))
    return v


def random_normal_variable(shape, mean, scale, dtype=None, name=None, seed=None):
    """A variable of normal samples (standard deviation ``scale``)."""
    dtype = dtype or config.floatx()
    return variable(ops.random_normal(tuple(shape), mean, scale, dtype, seed=seed), dtype, name)


def random_uniform_variable(shape, low, high, dtype=None, name=None, seed=None):
    """A variable of uniform samples in ``[low, high)``."""
    dtype = dtype or config.floatx()
    return variable(ops.random_uniform(tuple(shape), low, high, dtype, seed=seed), dtype, name)


def is_variable(x):
    """Whether ``x`` is a variable: one made by ``K.variable``, or a layer's weight."""
    return getattr(type(x), "_kb_is_weight", False)


def _checked(x, value, what):
    """``value`` (a weight's value read out), after checking that ``x`` is a variable and
    that ``value`` has its shape or is a scalar."""
    if not is_variable(x):
        raise TypeError(f"Expected a variable (made by K.variable, or a layer's weight) to "
                        f"{what}. Received: {type(x).__name__}.")
    if is_variable(value):
        value = value.value
    got = tuple(int(d) for d in (value.shape if hasattr(value, "shape") else np.shape(value)))
    if got not in (x.shape, ()):
        raise ValueError(f"Cannot {what} variable {x.path!r} with a value of shape {got}. "
                         f"Expected shape {x.shape} (or a scalar).")
    return value


def _assign(x, value):
    """Store ``value`` in ``x`` as a tensor of ``x``'s engine, dtype and shape."""
    engine = backends.get(x.backend_name).ops
    x.assign(engine.broadcast_to(engine.cast(value, x.dtype), x.shape))
    return x


def update(x, new_x):
    """Set variable ``x`` to ``new_x`` (same shape, or a scalar); returns ``x``."""
    return _assign(x, _checked(x, new_x, "update"))


def update_add(x, increment):
    """Add ``increment`` to variable ``x``; returns ``x``."""
    return _assign(x, ops.add(x, _checked(x, increment, "update_add")))


def update_sub(x, decrement):
    """Subtract ``decrement`` from variable ``x``; returns ``x``."""
    return _assign(x, ops.subtract(x, _checked(x, decrement, "update_sub")))
