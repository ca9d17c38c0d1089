"""Models: functional ``Model``, ``Sequential``, and loading them from files.

``load_model`` & co. are ``keras_bridge.saving``'s, reached lazily: saving sits above
models (it imports them), so models never import it at module level.
"""

from keras_bridge.layers.core import Input, InputLayer
from keras_bridge.layers.serialization import register_builtin_layers
from keras_bridge.models.cloning import clone_model, model_from_yaml
from keras_bridge.models.model import Model
from keras_bridge.models.sequential import Sequential

register_builtin_layers(Functional=Model, Model=Model, Sequential=Sequential)

_FROM_SAVING = ("load_model", "save_model", "model_from_json", "model_from_config")

__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_json",
           "model_from_config", "model_from_yaml", "clone_model", "Input", "InputLayer"]


def __getattr__(name):
    if name in _FROM_SAVING:
        from keras_bridge import saving
        return getattr(saving, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_FROM_SAVING))
