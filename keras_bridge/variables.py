"""Weights: the front end's handle on one array of a layer's state.

A weight is created in Keras layout as a numpy array (drawn from the seeded numpy
generator, so every engine starts from the same values). When its layer is bound to
an engine the engine takes ownership: the weight then holds a *slot* (see a
backend's ``lowering.py``) and the numpy copy is dropped. Reads and writes go
through the slot in Keras layout.

A pure engine (JAX) runs layer code with the values it is tracing instead of the
stored ones: ``substitute`` installs such a mapping, ``Weight.value`` reads from it
and ``Weight.assign`` records into it, so the same layer code is pure under jit.
"""

import contextlib

import numpy as np

from keras_bridge import autocast as _autocast, name_scope as _name_scope
from keras_bridge.arithmetic import TensorOperators
from keras_bridge.scopes import StepScope

_substitution = StepScope("keras_bridge_weight_substitution", default=None)


class Substitution:
    """Values to use instead of stored ones, and the assignments made meanwhile."""

    def __init__(self, values, trial=False, stateless=False):
        self.values = values  # id(weight) -> engine tensor
        self.updates = {}  # id(weight) -> engine tensor
        # A user's stateless scope (StatelessScope, stateless_call): assignments to
        # weights not in ``values`` are recorded too, and eager engines run layers'
        # reference calls (which read ``values``) instead of modules holding the stored
        # tensors.
        self.stateless = stateless
        self.record_all = stateless
        # A trial run (shape inference) on stand-in values, not a program's step.
        self.trial = trial


@contextlib.contextmanager
def substitute(values, trial=False, stateless=False):
    scope = Substitution(values, trial, stateless)
    token = _substitution.set(scope)
    try:
        yield scope
    finally:
        _substitution.reset(token)


def in_stateless_scope():
    """Whether the innermost substitution is a user's stateless scope."""
    scope = _substitution.get()
    return scope is not None and scope.stateless


def current_values():
    """id(weight) -> value of the innermost substitution (its assignments included),
    or an empty dict outside one."""
    scope = _substitution.get()
    return {} if scope is None else {**scope.values, **scope.updates}


def _as_value(x):
    return x.value if isinstance(x, Weight) else x


class Weight(TensorOperators):
    """One weight of a layer, in Keras layout whatever the engine holds.

    Attributes:
        name: short name ('kernel'); ``path`` adds the layer name ('dense/kernel').
        shape, dtype: as Keras (tuple of ints, dtype name).
        trainable: False for state such as moving statistics, or when the owning
            layer is frozen.
        kind: 'param' (trained) or 'state' (updated by the layer, never by gradients).
    """

    _kb_is_weight = True  # recognised by ops dispatch without an isinstance import

    # A stateful RNN's carried state is a variable of its layer but not a weight (Keras 3
    # keeps it out of ``weights``, ``get_weights`` and weight files).
    _is_state = False
    # The metric whose first read of this weight binds it (Metric._bind_like).
    _holder = None
    # keras.Variable's distribution attributes, at Keras 3's defaults for a layer's
    # weight (``keras.Variable`` sets its own), and whether a mixed layer's call reads
    # it in the compute dtype (add_weight(autocast=)).
    aggregation = "none"
    synchronization = "auto"
    autocast = True

    def __init__(self, name, shape, dtype, initial, trainable=True, owner=None,
                 regularizer=None, constraint=None):
        self.name = name
        self.shape = tuple(int(d) for d in shape)
        self.dtype = dtype
        self._trainable = bool(trainable)
        self.kind = "param" if trainable else "state"
        self.owner = owner
        self.regularizer = regularizer
        self.constraint = constraint
        # A private copy: the engine may later share this memory (torch.from_numpy).
        self._numpy = np.array(initial, dtype=dtype).reshape(self.shape)
        self.slot = None  # engine storage once bound
        # The name_scope open when the weight is made (a layer's: its own, opened by
        # add_weight), as Keras 3 fixes a variable's path.
        self._scope = _name_scope.current_path()

    @property
    def path(self):
        """'<scope>/<name>' (Keras 3): the scopes open when it was made, for a layer's
        weight ending in the layer's name ('sequential/dense/kernel')."""
        return _name_scope.join(self._scope, self.name)

    @property
    def trainable(self):
        return self._trainable and (self.owner is None or self.owner.trainable)

    @property
    def backend_name(self):
        return self.slot.backend_name if self.slot is not None else None

    @property
    def value(self):
        """The engine tensor in Keras layout (the traced value inside a pure program)."""
        scope = _substitution.get()
        if scope is not None:
            v = scope.updates.get(id(self))
            if v is None:
                v = scope.values.get(id(self))
            if v is not None:
                return _autocast.read_weight(self, v)
        if self.slot is None and self._holder is not None:
            # A metric's state is engine storage from its first use, as Keras 3's
            # variables are from creation: reading it binds its metric by the metric's
            # own rule (the running program's engine, else the default).
            self._holder._bind_like(())
        if self.slot is None:
            # Unbound (a layer built but not yet run): a tensor of the default engine
            # holding a copy, as Keras 3's ``.value`` is a tensor from creation on.
            value = _ops().convert_to_tensor(self._numpy.copy())
        else:
            value = self.slot.read()
        return _autocast.read_weight(self, value)

    def numpy(self):
        """A numpy copy in Keras layout."""
        if self.slot is None:
            return self._numpy.copy()
        return self.slot.read_numpy()

    def assign(self, value):
        """Set the value; inside a pure program the assignment is recorded, not stored."""
        scope = _substitution.get()
        if scope is not None and (id(self) in scope.values or scope.record_all):
            scope.updates[id(self)] = value
            return
        if self.slot is None:
            arr = np.asarray(value, dtype=self.dtype)
            if arr.shape != self.shape:
                raise ValueError(
                    f"Cannot assign a value of shape {arr.shape} to weight {self.path!r} "
                    f"of shape {self.shape}."
                )
            self._numpy = arr.copy()
        else:
            self.slot.write(value)

    def assign_add(self, delta):
        self.assign(_ops().add(self, delta))

    def assign_sub(self, delta):
        self.assign(_ops().subtract(self, delta))

    def bind(self, slot):
        """Hand the value to engine storage; from now on the slot is the only copy."""
        self.slot = slot
        self._numpy = None

    def unbound_numpy(self):
        return self._numpy

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr.astype(dtype) if dtype is not None else arr

    def __repr__(self):
        return f"<Weight path={self.path} shape={self.shape} dtype={self.dtype}>"

    # Operators (TensorOperators) read the current value, so weights work in layer code.
    def __getitem__(self, idx): return self.value[idx]


def _ops():
    from keras_bridge import ops
    return ops


def _by_slot_kind(weights):
    """``{slot type: [index, ...]}`` of the bound weights; None: the rest (unbound, or
    any weight while a substitution scope is active), handled one by one."""
    groups = {}
    bulk = _substitution.get() is None
    for i, w in enumerate(weights):
        kind = type(w.slot) if bulk and w.slot is not None else None
        groups.setdefault(kind, []).append(i)
    return groups


def numpy_many(weights):
    """``[w.numpy() for w in weights]``, with one transfer per engine where its slots can
    read several at once (a metric's state read back for the logs)."""
    out = [None] * len(weights)
    for kind, index in _by_slot_kind(weights).items():
        many = getattr(kind, "read_numpy_many", None)
        values = many([weights[i].slot for i in index]) if many is not None \
            else [weights[i].numpy() for i in index]
        for i, v in zip(index, values):
            out[i] = v
    return out


def assign_many(weights, values):
    """``w.assign(v)`` for each pair of host values, with one transfer per engine where
    its slots can write several at once (a metric reset)."""
    for kind, index in _by_slot_kind(weights).items():
        many = getattr(kind, "write_many", None)
        if many is not None:
            many([weights[i].slot for i in index], [values[i] for i in index])
        else:
            for i in index:
                weights[i].assign(values[i])
