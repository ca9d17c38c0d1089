"""Keras 2's ``keras.engine.training`` module path."""

from keras_bridge.models.model import Model

__all__ = ["Model"]
