"""Layers, by family. The public surface is listed here."""

from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.core import Activation, Dense, Dropout, Flatten, Input, InputLayer
from keras_bridge.layers.core import Lambda, Permute, RepeatVector, Reshape
from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.merging import add, average, concatenate, dot, maximum, minimum
from keras_bridge.layers.merging import multiply, subtract
from keras_bridge.layers.normalization import BatchNormalization, GroupNormalization
from keras_bridge.layers.normalization import LayerNormalization, UnitNormalization

__all__ = [
    "Layer", "InputSpec", "Input", "InputLayer",
    "Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector",
    "Lambda",
    "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum", "Concatenate", "Dot",
    "add", "subtract", "multiply", "average", "maximum", "minimum", "concatenate", "dot",
    "BatchNormalization", "LayerNormalization", "GroupNormalization", "UnitNormalization",
]

# Every built-in layer class, for the lowering conformance check.
BUILTIN_LAYERS = (InputLayer, Dense, Activation, Dropout, Flatten, Reshape, Permute,
                  RepeatVector, Lambda, Add, Subtract, Multiply, Average, Maximum, Minimum,
                  Concatenate, Dot, BatchNormalization, LayerNormalization,
                  GroupNormalization, UnitNormalization)
