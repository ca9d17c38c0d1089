"""Keras 2's ``keras.engine`` module paths: the same classes as ``keras_bridge.layers``
and ``keras_bridge.models`` under the names Keras 2 code imports
(``from keras.engine.topology import Layer``, ``from keras.engine import Model``).

``Network`` is ``Model``: Keras 2's base of ``Model`` without training, which here is
the same class.
"""

from keras_bridge.engine import base_layer, input_layer, network, saving, sequential
from keras_bridge.engine import topology, training
from keras_bridge.engine.base_layer import InputSpec, Layer
from keras_bridge.engine.input_layer import Input, InputLayer
from keras_bridge.engine.network import Network, get_source_inputs
from keras_bridge.engine.training import Model

__all__ = ["Input", "InputLayer", "InputSpec", "Layer", "get_source_inputs", "Model",
           "Network"]
