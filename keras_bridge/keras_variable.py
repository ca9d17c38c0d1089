"""``keras.Variable``: Keras 3's free-standing variable, on the default engine.

It is a ``Weight`` of no layer (so every op, ``K`` function and optimizer takes it),
made with Keras 3's constructor: an initial value, or an initializer with a shape. Its
``path`` is its name under the enclosing ``keras.name_scope``. As ``K.variable``, it is
bound at once to the default engine (on the device of the enclosing
``keras_bridge.device`` scope).
"""

import numpy as np

from keras_bridge import config, context
from keras_bridge import initializers as _initializers
from keras_bridge.utils import naming
from keras_bridge.variables import Weight

__all__ = ["Variable"]

_AGGREGATIONS = ("none", "mean", "sum", "only_first_replica")
_SYNCHRONIZATIONS = ("none", "on_read", "on_write", "auto")


def _choice(value, allowed, what):
    value = "none" if value is None else value
    if value not in allowed:
        raise ValueError(f"Invalid value for argument `{what}`. Expected one of "
                         f"{(None,) + allowed}. Received: {what}={value!r}")
    return value


def _standard_shape(shape, name):
    try:
        shape = tuple(shape)
        if any(d is None for d in shape):
            raise TypeError
        return tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"Expected a fully defined shape (a tuple of ints) for variable "
                         f"{name!r}. Received: shape={shape!r}") from None


class _AnyWeight(type):
    """``isinstance(w, keras.Variable)`` holds for every weight, a layer's too, as in
    Keras 3 where ``add_weight`` returns a ``keras.Variable`` (and an optimizer's
    ``variables`` too): only the constructor is
    this class's own. Subclasses keep the usual check."""

    def __instancecheck__(cls, obj):
        if cls is Variable:
            from keras_bridge.optimizers.variable_view import OptimizerVariable
            return isinstance(obj, (Weight, OptimizerVariable))
        return super().__instancecheck__(obj)


class Variable(Weight, metaclass=_AnyWeight):
    """A variable holding a value that ops read and ``assign`` changes.

    Args:
        initializer: the initial value (numpy array, list, number, tensor), or an
            initializer (a name such as 'zeros', or a callable ``(shape, dtype)``),
            which then needs ``shape``.
        shape: the shape; required with an initializer, checked against a value.
        dtype: the dtype; default ``keras.config.floatx()``.
        trainable: whether optimizers update it (integer variables never are: the
            engines take gradients of floating values only).
        autocast, aggregation, synchronization: accepted and kept (Keras 3 uses them for
            mixed precision and distribution, neither of which applies here).
        name: its name (default 'variable', 'variable_1', ...); no '/'.

    Example:
        v = keras.Variable(np.ones((2, 2)), name="v")
        v.assign(v * 2); v.numpy()  # [[2., 2.], [2., 2.]]
    """

    def __init__(self, initializer, shape=None, dtype=None, trainable=True, autocast=True,
                 aggregation="none", synchronization="auto", name=None, **kwargs):
        if kwargs:
            raise TypeError(f"Variable() got unexpected arguments {sorted(kwargs)}")
        name = naming.uniquify("variable") if name is None else name
        if not isinstance(name, str) or "/" in name or not name:
            raise ValueError("Argument `name` must be a non-empty string and cannot contain "
                             f"character `/`. Received: name={name!r}")
        self.aggregation = _choice(aggregation, _AGGREGATIONS, "aggregation")
        self.synchronization = _choice(synchronization, _SYNCHRONIZATIONS, "synchronization")
        self.autocast = bool(autocast)
        dtype = config.floatx() if dtype is None else (
            dtype if isinstance(dtype, str) else np.dtype(dtype).name)
        if isinstance(initializer, str) or callable(initializer):
            if shape is None:
                raise ValueError(
                    f"When creating Variable {name!r} from an initializer, the `shape` "
                    f"argument should be specified. Received: initializer={initializer!r} "
                    "and shape=None")
            shape = _standard_shape(shape, name)
            value = _initializers.get(initializer)(shape, dtype=dtype)
        else:
            from keras_bridge.k_variables import _numpy_of
            value = _numpy_of(initializer)
            if shape is not None and _standard_shape(shape, name) != value.shape:
                raise ValueError(f"Expected an initial value of shape {tuple(shape)} for "
                                 f"variable {name!r}. Received: a value of shape "
                                 f"{value.shape}")
            shape = value.shape
        floating = dtype.startswith(("float", "bfloat", "complex"))
        super().__init__(name, shape, dtype, value, trainable=bool(trainable) and floating)
        backend = context.active_backend()
        backend.bind_weight(self, backend.resolve_device(context.requested_device()))

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={self.numpy()}>")
