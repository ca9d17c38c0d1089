"""Models: functional ``Model``, ``Sequential``, and loading them from files."""

from keras_bridge.layers.core import Input, InputLayer
from keras_bridge.models.cloning import clone_model, model_from_yaml
from keras_bridge.models.model import Model
from keras_bridge.models.sequential import Sequential
from keras_bridge.saving import load_model, model_from_config, model_from_json, save_model

__all__ = ["Model", "Sequential", "load_model", "save_model", "model_from_json",
           "model_from_config", "model_from_yaml", "clone_model", "Input", "InputLayer"]
