"""The serialization core: names of user objects (the registry, ``custom_objects``,
scopes), objects to Keras-style configs and back, and safe_mode.

It sits below the layers and imports none: ``keras_bridge.layers`` registers its layer
codec here at import. ``keras_bridge.saving`` (files, model configs) builds on it, and
re-exports its public names, which are Keras's ``keras.saving`` API.
"""

from keras_bridge.serialization.core import (
    deserialize_keras_object, register_layer_codec, serialize_keras_object)
from keras_bridge.serialization.registration import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable)
from keras_bridge.serialization.safe_mode import in_safe_mode, safe_mode_scope

__all__ = [
    "serialize_keras_object", "deserialize_keras_object", "register_layer_codec",
    "register_keras_serializable", "get_registered_object", "get_registered_name",
    "get_custom_objects", "custom_object_scope", "CustomObjectScope", "in_safe_mode",
    "safe_mode_scope",
]
