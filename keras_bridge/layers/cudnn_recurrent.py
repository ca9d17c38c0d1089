"""Keras 2's ``keras.layers.cudnn_recurrent`` module path: ``CuDNNLSTM`` and
``CuDNNGRU``, taken from ``keras_bridge.layers`` on first access
(keras_bridge/utils/lazy.py)."""

from keras_bridge.utils import lazy

__getattr__, __dir__ = lazy.reexports(__name__, {
    "CuDNNLSTM": "keras_bridge.layers",
    "CuDNNGRU": "keras_bridge.layers",
})
