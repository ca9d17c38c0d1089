"""Saving's view of serialization: the core (``keras_bridge.serialization``) and the
layer codec (``keras_bridge.layers.serialization``) under one name, for code that
imported them from here."""

from keras_bridge.layers.serialization import (
    builtin_layers, deserialize_layer, lambda_config, lambda_from_config, resolve_layer_class,
    serialize_layer)
from keras_bridge.serialization.core import (
    deserialize_keras_object, from_json_value, function_reference, overrides,
    resolve_function, serialize_keras_object, to_json_value)

__all__ = ["serialize_keras_object", "deserialize_keras_object", "serialize_layer",
           "deserialize_layer", "builtin_layers", "resolve_layer_class", "to_json_value",
           "from_json_value", "function_reference", "resolve_function", "overrides",
           "lambda_config", "lambda_from_config"]
