"""Keras 2's ``keras.layers.local`` module path: the locally connected layers, taken
from ``keras_bridge.layers`` on first access (keras_bridge/utils/lazy.py)."""

from keras_bridge.utils import lazy

__getattr__, __dir__ = lazy.reexports(__name__, {
    "LocallyConnected1D": "keras_bridge.layers",
    "LocallyConnected2D": "keras_bridge.layers",
})
