"""Symbolic tensors and nodes: the graph recorded by calling layers on ``Input``s.

Nothing here touches an engine. A ``Node`` is one call of a layer; a
``KerasTensor`` is one of its outputs, with a shape whose batch axis may be None.
Arithmetic, comparisons (``<``, ``<=``, ``>``, ``>=``; ``==`` stays identity, as
tensors are used as keys) and slicing on a ``KerasTensor`` record op nodes through
``keras_bridge.ops`` (see ``keras_bridge.layers.op_layer``).
"""

from keras_bridge.arithmetic import TensorOperators
from keras_bridge.utils import tree


class KerasTensor(TensorOperators):
    """A symbolic tensor: shape and dtype, and the node that produced it."""

    __slots__ = ("shape", "dtype", "node", "index", "name", "_mask", "__weakref__")
    _kb_is_symbolic = True  # recognised by ops dispatch without an isinstance import
    __array_ufunc__ = None  # numpy defers to our reflected operators

    def __init__(self, shape, dtype, node=None, index=0, name=None):
        self.shape = tuple(None if d is None else int(d) for d in shape)
        self.dtype = dtype
        self.node = node
        self.index = index
        self.name = name or (f"{node.layer.name}/output_{index}" if node else "keras_tensor")
        self._mask = None

    @property
    def _keras_mask(self):
        """The symbolic mask of this tensor (Keras 3), or None: made by a layer such as
        ``Embedding(mask_zero=True)`` and passed on by layers that support masking."""
        return self._mask

    @_keras_mask.setter
    def _keras_mask(self, mask):
        self._mask = mask

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def _keras_history(self):
        layer = self.node.layer
        return layer, layer._inbound_nodes.index(self.node), self.index

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"

    def __bool__(self):
        raise TypeError("A symbolic tensor has no truth value: it holds no data yet. "
                        "Use keras_bridge.ops inside a layer's call instead.")

    __hash__ = object.__hash__

    def __iter__(self):
        raise TypeError(f"Symbolic tensor {self.name} cannot be iterated; slice it (x[0]) "
                        "or use ops such as K.sum.")

    def __getitem__(self, key):
        from keras_bridge.layers.op_layer import record
        return record("getitem", (self, key), {})


def is_symbolic(x):
    return isinstance(x, KerasTensor)


def symbolic_in_arguments(args, kwargs):
    """The symbolic tensors among a call's extra positional and keyword arguments."""
    if not args and not kwargs:
        return []
    return [t for t in tree.flatten([list(args), kwargs]) if isinstance(t, KerasTensor)]


class _LearningPhase(KerasTensor):
    """``K.learning_phase()``: a scalar placeholder for the mode, fed as the last input
    of ``K.function`` (0 inference, 1 training). It is not a value of the graph: an op
    given it reads the mode the graph runs in, and ``training=K.learning_phase()`` on a
    layer means the same as no ``training`` argument. Outside a function it reads as 0
    (False), which keeps code that compared it with 0 or passed it as ``training=``
    eagerly working."""

    __slots__ = ()

    def __bool__(self):
        return False

    def __int__(self):
        return 0

    __index__ = __int__

    def __eq__(self, other):
        if isinstance(other, (bool, int)):
            return other == 0
        return self is other

    __hash__ = KerasTensor.__hash__


LEARNING_PHASE = _LearningPhase((), "bool", name="keras_learning_phase")


def is_learning_phase(x):
    return isinstance(x, _LearningPhase)


class Node:
    """One call of ``layer`` on symbolic ``inputs`` (any nesting), with extra args."""

    def __init__(self, layer, inputs, args=(), kwargs=None):
        self.layer = layer
        self.inputs = inputs
        self.args = tuple(args)
        self.kwargs = dict(kwargs or {})
        if is_learning_phase(self.kwargs.get("training")):  # follow the running mode
            del self.kwargs["training"]
        self.outputs = None

    def set_outputs(self, outputs):
        self.outputs = outputs

    @property
    def input_tensors(self):
        """The symbolic tensors the call reads: in ``inputs``, then in the extra
        positional and keyword arguments (``Endpoint()(targets, logits)``)."""
        return [t for t in tree.flatten(self.inputs) if isinstance(t, KerasTensor)] + \
            symbolic_in_arguments(self.args, self.kwargs)

    @property
    def reads_tensors_in_arguments(self):
        """Whether symbolic tensors come in the extra arguments, not only ``inputs``."""
        return bool(symbolic_in_arguments(self.args, self.kwargs))

    @property
    def output_tensors(self):
        return tree.flatten(self.outputs)

    @property
    def parent_nodes(self):
        return [t.node for t in self.input_tensors if t.node is not None]


def topological_nodes(inputs, outputs):
    """Nodes between ``inputs`` and ``outputs`` in an order where each node comes after
    the nodes producing its inputs. Raises when an output needs an input not given."""
    input_ids = {id(t) for t in inputs}
    order, state = [], {}
    for root in outputs:
        stack = [(root, False)]
        while stack:
            tensor, expanded = stack.pop()
            if id(tensor) in input_ids:
                continue
            node = tensor.node
            if node is None or getattr(node.layer, "_is_input_layer", False):
                raise ValueError(
                    f"Graph disconnected: cannot obtain value for tensor {tensor.name} "
                    f"(shape {tensor.shape}). It comes from an input that is not among the "
                    f"model's inputs {[t.name for t in inputs]}.")
            key = id(node)
            if expanded:
                if state.get(key) != "done":
                    state[key] = "done"
                    order.append(node)
                continue
            if state.get(key) == "done":
                continue
            stack.append((tensor, True))
            for parent in reversed(node.input_tensors):  # first input visited first
                stack.append((parent, False))
    return order


def get_source_inputs(tensor):
    """The ``Input`` tensors that ``tensor`` (or a list of tensors) is computed from, in
    the order first reached (Keras 2's ``get_source_inputs``)."""
    if not all(isinstance(t, KerasTensor) for t in tree.flatten(tensor)):
        raise ValueError(f"get_source_inputs expects symbolic tensors (from Input() or a "
                         f"layer called on one). Received: {tensor!r}")
    found, seen, stack = [], set(), list(reversed(tree.flatten(tensor)))
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.node is None or getattr(t.node.layer, "_is_input_layer", False):
            found.append(t)
        else:
            stack.extend(reversed(t.node.input_tensors))
    return found
