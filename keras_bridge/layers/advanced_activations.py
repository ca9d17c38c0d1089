"""Keras 2's ``keras.layers.advanced_activations`` module path (the layers live in
``activation_layers``)."""

from keras_bridge.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from keras_bridge.layers.activation_layers import ThresholdedReLU

__all__ = ["LeakyReLU", "PReLU", "ELU", "ThresholdedReLU", "Softmax", "ReLU"]
