"""``K.function``: a callable from symbolic inputs to symbolic outputs, run by the engine.

The outputs (any tensors of a graph: a layer's output, op results, ``K.gradients``)
are gathered into an internal functional ``Model`` over the given inputs, bound to the
engine (and device) its layers already live on, so the function shares their weights
and runs the model's native program (a torch module, a jitted JAX function), one batch
per call. ``K.learning_phase()`` as the last input selects the mode from its value.
"""

from keras_bridge import config
from keras_bridge.graph import KerasTensor, is_learning_phase
from keras_bridge.utils import tree


class GraphFunction:
    """``f(values) -> outputs``: numpy arrays for ``inputs`` in, numpy arrays out.

    Args:
        inputs: list of Input / placeholder tensors, optionally ending with
            ``K.learning_phase()``.
        outputs: a symbolic tensor or a list of them.
    """

    def __init__(self, inputs, outputs, name=None):
        from keras_bridge.models.model import Model
        inputs = tree.flatten(inputs)  # a multi-input model.input may be nested
        self._single = not isinstance(outputs, (list, tuple))
        outputs = [outputs] if self._single else list(outputs)
        phase = [i for i, t in enumerate(inputs) if is_learning_phase(t)]
        if phase and phase != [len(inputs) - 1]:
            raise ValueError("K.function: K.learning_phase() must be the last of the inputs, "
                             "once.")
        feed = inputs[:-1] if phase else inputs
        for t in feed:
            if not isinstance(t, KerasTensor) or t.node is None or \
                    not getattr(t.node.layer, "_is_input_layer", False):
                raise ValueError(f"K.function inputs must be Input or K.placeholder tensors "
                                 f"(e.g. model.input), plus K.learning_phase() last. "
                                 f"Received: {t!r}")
        for t in outputs:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"K.function outputs must be symbolic tensors (layer "
                                 f"outputs, ops on them, K.gradients). Received: {t!r}")
        self._n_inputs = len(inputs)
        self._uses_phase = bool(phase)
        self._model = Model(feed, outputs, name=name or "function")
        self._program = None

    def _get_program(self):
        """Bind on the engine and device of the graph's already bound layers."""
        if self._program is None:
            model = self._model
            bound = [l for l in model.layers if l._backend_name is not None]
            if bound:
                model._target_backend = bound[0]._backend_name
                model.bind(bound[0]._backend_name, bound[0]._device)
            else:
                model._target_backend = config.backend()
            self._program = model._get_program()
        return self._program

    def __call__(self, values):
        values = list(values) if isinstance(values, (list, tuple)) else [values]
        if len(values) != self._n_inputs:
            phase = " (the learning phase last)" if self._uses_phase else ""
            raise ValueError(f"This function takes {self._n_inputs} input value(s), one per "
                             f"input tensor{phase}. Received: {len(values)}.")
        training = bool(values.pop()) if self._uses_phase else False
        arrays = self._model._standardize(values)
        outputs = self._get_program().run_batch(arrays, training)
        return outputs[0] if self._single else outputs
