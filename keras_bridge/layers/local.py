"""Keras 2's ``keras.layers.local`` module path (the layers live in
``locally_connected``)."""

from keras_bridge.layers.locally_connected import LocallyConnected1D, LocallyConnected2D

__all__ = ["LocallyConnected1D", "LocallyConnected2D"]
