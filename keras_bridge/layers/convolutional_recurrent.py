"""Keras 2's ``keras.layers.convolutional_recurrent`` module path: the convolutional
LSTMs, taken from ``keras_bridge.layers`` on first access (keras_bridge/utils/lazy.py)."""

from keras_bridge.utils import lazy

__getattr__, __dir__ = lazy.reexports(__name__, {
    name: "keras_bridge.layers" for name in (
        "ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D", "ConvLSTM2DCell", "ConvRNN2D")})
