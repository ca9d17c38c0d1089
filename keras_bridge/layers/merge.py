"""Keras 2's ``keras.layers.merge`` module path (the layers live in ``merging``)."""

from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.merging import add, average, concatenate, dot, maximum, minimum
from keras_bridge.layers.merging import multiply, subtract

__all__ = ["Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate",
           "Dot", "add", "subtract", "multiply", "average", "maximum", "minimum",
           "concatenate", "dot"]
