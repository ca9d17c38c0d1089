"""``Gradients``: the gradients of a symbolic loss as a node of the graph
(``K.gradients``).

The layer holds the functional model from the inputs the loss depends on to the loss.
Its ``call`` runs that model again under the engine's autodiff
(``backend.gradients``: ``torch.autograd.grad`` / ``jax.grad``) and returns the
gradients of the loss's sum with respect to the requested weights (Keras layout) and
``Input`` / placeholder tensors, so gradients are symbolic tensors like any other:
ops apply to them, ``K.function`` and models output them, on either engine.
"""

from keras_bridge.graph import KerasTensor
from keras_bridge.layers.base import Layer
from keras_bridge.utils import naming


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


class Gradients(Layer):
    """Gradients of ``sum(loss)`` with respect to each of ``targets`` (weights, or the
    Input / placeholder tensors the loss is computed from), one output per target.

    Args:
        loss: a symbolic tensor.
        targets: list of weights and symbolic input tensors.
    """

    def __init__(self, loss, targets, **kwargs):
        from keras_bridge.models.model import Model
        if not isinstance(loss, KerasTensor):
            raise TypeError(f"Expected a symbolic loss (a tensor computed from Input or "
                            f"placeholder tensors). Received: loss={loss!r}")
        kwargs.setdefault("name", naming.uniquify("gradients"))
        super().__init__(**kwargs)
        sources = _input_sources(loss)
        for t in targets:
            if isinstance(t, KerasTensor):
                if not any(t is s for s in sources):
                    where = "an intermediate tensor" if t.node is not None and not getattr(
                        t.node.layer, "_is_input_layer", False) else "not an input of the loss"
                    raise ValueError(
                        f"K.gradients can differentiate with respect to weights and to the "
                        f"Input / placeholder tensors the loss is computed from. Received "
                        f"{t.name}, {where}.")
            elif not getattr(type(t), "_kb_is_weight", False):
                raise TypeError(f"Expected weights (layer.trainable_weights) or symbolic "
                                f"input tensors to differentiate with respect to. Received: "
                                f"{t!r}")
        self.model = Model(sources, loss, name=f"{self.name}_model")
        self.targets = list(targets)
        self._input_positions = [next(i for i, s in enumerate(sources) if s is t)
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
