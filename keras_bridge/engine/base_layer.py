"""Keras 2's ``keras.engine.base_layer`` module path."""

from keras_bridge.layers.base import InputSpec, Layer

__all__ = ["Layer", "InputSpec"]
