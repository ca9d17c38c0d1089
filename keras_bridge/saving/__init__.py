"""Saving and loading: ``.keras`` model archives and ``.weights.h5`` weight files in
Keras 3's format (Keras 3 loads ours, we load Keras 3's), Keras 2's HDF5 ``.h5`` model
and weight files (``keras2_h5``), ``.weights.npz``, configs.

Files hold data only: JSON, HDF5 datasets and numpy arrays, never pickle or code. A file written on
one engine loads on the other (weights are stored in Keras layout). See README.md for
the formats. Saving sits above the models (it imports them); the serialization core it
re-exports (``register_keras_serializable``, ``serialize_keras_object``, ...) sits
below the layers, in ``keras_bridge.serialization``.

Example:
    model.save("model.keras")
    model = keras_bridge.saving.load_model("model.keras")
    model.save_weights("model.weights.h5")
    model.load_weights("model.weights.h5")
    model = keras_bridge.saving.load_model("trained_with_keras2.h5")
    model.load_weights("keras2_weights.h5", by_name=True)
"""

from keras_bridge.saving.archive import load_model, save_model
from keras_bridge.saving.functional import model_from_config, model_from_json
from keras_bridge.saving.npz import InvalidFileError
from keras_bridge.serialization.core import deserialize_keras_object, serialize_keras_object
from keras_bridge.serialization.registration import (
    CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
    get_registered_object, register_keras_serializable)


__all__ = [
    "save_model", "load_model", "model_from_json", "model_from_config",
    "register_keras_serializable", "get_registered_object", "get_registered_name",
    "get_custom_objects", "custom_object_scope", "CustomObjectScope",
    "serialize_keras_object", "deserialize_keras_object", "InvalidFileError",
]
