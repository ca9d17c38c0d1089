"""What an engine may read of the front end, beyond the public Keras API.

Engine packages (``keras_bridge/backends/<engine>/``) lower layers, bind weights and
run graphs; for that they need a few facts the front end keeps in private attributes
(a layer's own weights, its engine binding, whether its ``call`` takes ``training``).
They read them here, never the attributes themselves, so the front end may change its
internals without touching an engine; tests/engines/test_engine_boundary.py enforces
it. Everything else an engine uses is public Keras API (``layer.units``,
``model.layers``, ``layer.compute_mask``, ...). This module is front-end code.
"""

from keras_bridge.layers.sequence import call_parameters as _call_parameters

__all__ = ["own_weights", "sublayers", "binding", "set_binding", "device", "takes_training",
           "takes_mask", "call_parameters", "is_functional", "graph_plan", "gate_count"]


def own_weights(layer):
    """The weights ``layer`` itself created (``add_weight``), not its sub-layers'."""
    return layer._own_weights


def sublayers(layer):
    """The layers directly inside ``layer``: a functional model's graph layers, a
    subclass's or a wrapper's layer attributes."""
    return layer._layers()


def binding(layer):
    """The engine's object for a bound ``layer`` (what ``set_binding`` stored), or
    None while the layer is unbound."""
    return layer._binding


def set_binding(layer, obj):
    """Store the engine's object for ``layer`` (called from the engine's bind_layer)."""
    layer._binding = obj


def device(layer):
    """The device name ``layer`` was bound on (None while unbound)."""
    return layer._device


def takes_training(layer):
    """Whether ``layer.call`` accepts a ``training`` argument."""
    return layer._call_has_training


def takes_mask(layer):
    """Whether ``layer.call`` accepts a ``mask`` argument."""
    return layer._call_has_mask


def call_parameters(layer):
    """The parameter names of ``layer.call`` (a wrapper's inner layer: which of
    ``training``, ``mask``, ``initial_state`` to pass it)."""
    return _call_parameters(layer)


def is_functional(layer):
    """Whether ``layer`` is a model built as a graph of layers (functional, or a
    Sequential with known input), so it runs through ``graph_plan``."""
    from keras_bridge.models.model import Model
    return isinstance(layer, Model) and layer._functional


def graph_plan(model):
    """The ``ExecutionPlan`` (keras_bridge/models/plan.py) of a functional model: its
    steps, ``executor(callables, ...)`` to run them, ``flatten_inputs`` and
    ``pack_outputs``."""
    if not is_functional(model):
        raise ValueError(f"Expected a functional model (a graph of layers). Received: "
                         f"{type(model).__name__} {getattr(model, 'name', model)!r}.")
    return model._graph_plan()


def gate_count(layer):
    """How many ``units``-wide blocks a recurrent layer's (or cell's) kernels hold:
    SimpleRNN 1, GRU 3, LSTM 4."""
    return layer._gates
