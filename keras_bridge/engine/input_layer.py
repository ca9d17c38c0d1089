"""Keras 2's ``keras.engine.input_layer`` module path."""

from keras_bridge.layers.core import Input, InputLayer

__all__ = ["Input", "InputLayer"]
