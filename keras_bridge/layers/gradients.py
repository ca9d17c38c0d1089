"""``Gradients``: the gradients of a symbolic loss as a node of the graph
(``K.gradients``).

The layer holds the functional model from the inputs the loss depends on to the loss.
Its ``call`` runs that model again under the engine's autodiff
(``backend.gradients``: ``torch.autograd.grad`` / ``jax.grad``) and returns the
gradients of the loss's sum with respect to the requested weights (Keras layout),
``Input`` / placeholder tensors and intermediate tensors, so gradients are symbolic
tensors like any other: ops apply to them, ``K.function`` and models output them, on
either engine. An intermediate tensor (a convolution's output, for Grad-CAM) becomes
an input of that model: the part of the graph after it is copied onto a new ``Input``
(nodes the layers do not list, so ``layer.output`` stays unambiguous), and the
Gradients node takes the tensor's value from the graph it is in.
"""

from keras_bridge.graph import KerasTensor, Node
from keras_bridge.layers.base import Layer
from keras_bridge.layers.core import Input
from keras_bridge.utils import naming, tree


def _input_sources(tensor):
    """The ``Input`` tensors ``tensor`` is computed from, in the order first met."""
    found, seen, stack = [], set(), [tensor]
    while stack:
        t = stack.pop()
        if id(t) in seen:
            continue
        seen.add(id(t))
        if t.node is None:
            raise ValueError(f"Cannot differentiate through {t.name}: it is not computed "
                             "from Input or placeholder tensors.")
        if getattr(t.node.layer, "_is_input_layer", False):
            found.append(t)
            continue
        stack.extend(reversed(t.node.input_tensors))
    return found


def is_intermediate(t):
    """Whether ``t`` is a symbolic tensor made by a layer (not an Input)."""
    return isinstance(t, KerasTensor) and t.node is not None and \
        not getattr(t.node.layer, "_is_input_layer", False)


def _cut_at(loss, tensors, prefix):
    """``loss`` recomputed from a new Input in place of each of ``tensors``: (the new
    loss, the new Inputs)."""
    placeholders = {id(t): Input(batch_shape=t.shape, dtype=t.dtype, name=f"{prefix}_{i}")
                    for i, t in enumerate(tensors)}
    memo = {}

    def rewire(t):
        if not isinstance(t, KerasTensor):
            return t
        if id(t) in placeholders:
            return placeholders[id(t)]
        if t.node is None or getattr(t.node.layer, "_is_input_layer", False):
            return t
        if id(t) not in memo:
            node = t.node
            inputs = tree.map_structure(rewire, node.inputs)
            if all(a is b for a, b in zip(tree.flatten(inputs), tree.flatten(node.inputs))):
                for out in node.output_tensors:
                    memo[id(out)] = out
            else:
                copy = Node(node.layer, inputs, node.args, node.kwargs)
                copy.set_outputs(tree.map_structure(
                    lambda o: KerasTensor(o.shape, o.dtype, copy, o.index), node.outputs))
                for old, new in zip(node.output_tensors, copy.output_tensors):
                    memo[id(old)] = new
        return memo[id(t)]

    return rewire(loss), [placeholders[id(t)] for t in tensors]


class Gradients(Layer):
    """Gradients of ``sum(loss)`` with respect to each of ``targets`` (weights, or
    tensors the loss is computed from), one output per target. Call it on ``feeds``.

    Args:
        loss: a symbolic tensor.
        targets: list of weights and symbolic tensors.
    """

    def __init__(self, loss, targets, **kwargs):
        from keras_bridge.models.model import Model
        if not isinstance(loss, KerasTensor):
            raise TypeError(f"Expected a symbolic loss (a tensor computed from Input or "
                            f"placeholder tensors). Received: loss={loss!r}")
        kwargs.setdefault("name", naming.uniquify("gradients"))
        super().__init__(**kwargs)
        for t in targets:
            if not isinstance(t, KerasTensor) and not getattr(type(t), "_kb_is_weight", False):
                raise TypeError(f"Expected weights (layer.trainable_weights) or symbolic "
                                f"tensors to differentiate with respect to. Received: {t!r}")
        cuts = list({id(t): t for t in targets if is_intermediate(t)}.values())
        cut_loss, placeholders = _cut_at(loss, cuts, f"{self.name}_at")
        reached = _input_sources(cut_loss)
        sources = [t for t in reached if not any(t is p for p in placeholders)]
        stand_in = {id(c): p for c, p in zip(cuts, placeholders)}
        reached_ids = {id(t) for t in reached}
        for t in targets:
            if isinstance(t, KerasTensor) and id(stand_in.get(id(t), t)) not in reached_ids:
                raise ValueError(f"K.gradients: the loss is not computed from {t.name}.")
        self.model = Model(sources + placeholders, cut_loss, name=f"{self.name}_model")
        self.feeds = sources + cuts  # the Gradients node's inputs, in model input order
        self.targets = list(targets)
        feeds = self.feeds
        self._input_positions = [next(i for i, s in enumerate(feeds) if s is t)
                                 for t in targets if isinstance(t, KerasTensor)]
        self.built = True

    def compute_output_shape(self, input_shape):  # one output per target
        shapes = [tuple(t.shape) for t in self.targets]
        return shapes if len(shapes) > 1 else shapes[0]

    def compute_output_dtype(self, input_dtype):
        return self.dtype

    def call(self, inputs, training=None):
        from keras_bridge import ops
        values = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        positions = self._input_positions
        in_graph = {id(w) for w in self.model.weights}
        weights = [t for t in self.targets if not isinstance(t, KerasTensor)
                   and id(t) in in_graph]  # any other weight's gradient is zeros

        def loss(*wrt):
            full = list(values)
            for i, v in zip(positions, wrt):
                full[i] = v
            return self.model(full if len(full) > 1 else full[0], training=training)

        backend = ops.backend_for(*values)
        for_inputs, for_weights = backend.gradients(loss, [values[i] for i in positions],
                                                    weights)
        for_inputs, for_weights = iter(for_inputs), iter(for_weights)
        grads = [next(for_inputs) if isinstance(t, KerasTensor) else next(for_weights)
                 if id(t) in in_graph else backend.ops.zeros(t.shape, t.dtype)
                 for t in self.targets]
        return grads if len(grads) > 1 else grads[0]

    def get_config(self):
        raise NotImplementedError(f"Layer {self.name!r} holds symbolic gradients, which a "
                                  "saved model config cannot hold.")
