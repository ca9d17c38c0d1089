"""Keras 2's ``keras.engine.saving`` module path."""

from keras_bridge.models import load_model, model_from_config, model_from_json
from keras_bridge.models import model_from_yaml, save_model

__all__ = ["save_model", "load_model", "model_from_config", "model_from_json",
           "model_from_yaml"]
