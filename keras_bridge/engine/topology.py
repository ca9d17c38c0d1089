"""Keras 2's ``keras.engine.topology`` module path (deprecated there already, and much
imported: ``from keras.engine.topology import Layer``)."""

from keras_bridge.engine.network import Network, get_source_inputs
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.core import Input, InputLayer

__all__ = ["Layer", "InputSpec", "Input", "InputLayer", "Network", "get_source_inputs"]
