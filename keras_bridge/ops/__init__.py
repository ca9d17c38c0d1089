"""A numpy-like op namespace that works on every engine.

Each function finds its engine from the type of its array arguments (a torch tensor
goes to torch, a jax array to jax) through a table cached by type, without importing
an engine that is not already loaded. Weights are read as their current value. Calls
with no engine tensor at all (numpy arrays, Python numbers, creation functions) use
the engine of the program running now, else the configured default backend.

A call with a symbolic tensor (``KerasTensor``) among its arguments computes nothing:
it records the op as a node of the graph (``keras_bridge.layers.op_layer``) and returns
the symbolic result, so ops (and the K helpers and losses written with them) build
functional models. ``shape``, ``ndim`` and ``convert_to_tensor`` of a symbolic tensor
answer from its static shape instead; ``moments`` records one node per output, and
``scan`` (whose step is a Python function) only runs on engine tensors.

The op list and what each op must do live in ``keras_bridge.backends.contract.OPS``;
Keras 3 ops that are compositions of those are written once in ``composed.py``.
"""

from keras_bridge.backends.contract import OPS
from keras_bridge.ops import dispatch as _dispatch
from keras_bridge.ops.dispatch import SYMBOLIC, WHOLE_NODE, backend_for, engine_name_of  # noqa: F401

for _name in OPS:
    globals()[_name] = getattr(_dispatch, _name)

# Keras 3 ops written once from the ones above (composed.py: numpy, nn_composed.py: nn,
# core and linalg; functional.py: custom_gradient, associative_scan; layout.py: axis moves;
# math_composed.py: linalg, spectra, NaN statistics).
from keras_bridge.ops import composed as _composed, nn_composed as _nn_composed  # noqa: E402
from keras_bridge.ops import functional as _functional, layout as _layout  # noqa: E402
from keras_bridge.ops import math_composed as _math_composed  # noqa: E402

_MODULES = (_composed, _nn_composed, _functional, _layout, _math_composed)
COMPOSED = sorted(n for m in _MODULES for n in m.COMPOSED)
for _module in _MODULES:
    for _name in _module.COMPOSED:
        globals()[_name] = getattr(_module, _name)

from keras_bridge.ops import image  # noqa: E402  (keras.ops.image, part of it)

__all__ = sorted(OPS) + COMPOSED + ["backend_for", "engine_name_of", "SYMBOLIC", "image"]
