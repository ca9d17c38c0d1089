"""Keras 2's ``keras.engine.sequential`` module path."""

from keras_bridge.models.sequential import Sequential

__all__ = ["Sequential"]
