"""``optimizer.variables``: Keras 3's list of an optimizer's variables, as views.

The state itself lives in the engine optimizer (torch.optim's tensors, the JAX update's
pytree); each ``OptimizerVariable`` reads and writes one entry of it by its state key
(``EngineOptimizer.read_state`` / ``write_state``), so there is one copy of the state
and the list never goes stale. Ops take a view as they take a weight (its ``value``);
on JAX a view passed into ``jax.jit`` is its value (see backends/jax/pytrees.py), so
Keras 3's ``optimizer_variables = optimizer.variables`` loop state works as written.
"""

import numpy as np

from keras_bridge import backends
from keras_bridge.arithmetic import TensorOperators


class OptimizerVariable(TensorOperators):
    """One optimizer variable (``adam/iteration``, ``adam/dense_kernel_momentum``...).

    Attributes:
        path, name: Keras's path and its last part.
        shape, dtype: as Keras: ``iteration`` int32, ``learning_rate`` float32, a slot
            its weight's shape and dtype.
        trainable: False, as for every optimizer variable in Keras.
    """

    _kb_is_weight = True  # ops read ``value``
    trainable = False

    def __init__(self, optimizer, key, path, shape, dtype, constant=None):
        self._optimizer = optimizer
        self._key = key
        self._constant = constant
        self.path = path
        self.name = path.rsplit("/", 1)[-1]
        self.shape = tuple(shape)
        self.dtype = dtype

    def numpy(self):
        if self._key is None:
            return np.asarray(self._constant, dtype=self.dtype)
        return np.asarray(self._optimizer._read_state(self._key), dtype=self.dtype)

    def __array__(self, dtype=None, copy=None):
        value = self.numpy()
        return value if dtype is None else value.astype(dtype)

    @property
    def backend_name(self):
        """The engine of the optimizer's state (None before it is built)."""
        return self._optimizer._backend_name

    @property
    def value(self):
        """The value as a tensor of the optimizer's engine: the state's own array where
        the engine keeps immutable arrays (JAX), else a copy."""
        from keras_bridge import config
        binding = self._optimizer._binding
        if self._key is not None and hasattr(binding, "state_entry"):
            return binding.state_entry(binding.current_state(), self._key).astype(self.dtype)
        engine = self._optimizer._backend_name or config.backend()
        return backends.get(engine).ops.convert_to_tensor(self.numpy())

    def __int__(self):
        return int(self.numpy())

    def __float__(self):
        return float(self.numpy())

    def __bool__(self):
        return bool(self.numpy())

    def assign(self, value):
        from keras_bridge import ops
        value = np.asarray(ops.convert_to_numpy(value), dtype=self.dtype)
        if value.shape != self.shape:
            raise ValueError(f"Cannot assign a value of shape {value.shape} to optimizer "
                             f"variable {self.path!r} of shape {self.shape}.")
        if self._key is not None:  # Keras keeps a LossScaleOptimizer's own two at 0
            self._optimizer._write_state(self._key, value)
        return self

    def assign_add(self, delta):
        return self.assign(self.numpy() + np.asarray(delta))

    def assign_sub(self, delta):
        return self.assign(self.numpy() - np.asarray(delta))

    def __repr__(self):
        return (f"<OptimizerVariable path={self.path}, shape={self.shape}, "
                f"dtype={self.dtype}, value={self.numpy()}>")


def views(optimizer, entries, weights):
    """Keras's ``optimizer.variables`` for ``optimizer``'s ``entries``
    (``keras_layout.named_entries`` over its trained ``weights``)."""
    out = []
    for key, path, constant in entries:
        if key is None:
            shape, dtype = (), np.asarray(constant).dtype.name
        elif key == "iterations" or key == "step_counter":
            shape, dtype = (), "int32"
        elif "/" in key:
            weight = weights[int(key.split("/", 1)[0])]
            shape, dtype = weight.shape, weight.dtype
        else:
            shape, dtype = (), "float32"
        out.append(OptimizerVariable(optimizer, key, path, shape, dtype, constant))
    return out
