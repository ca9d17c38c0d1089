"""Keras 2's ``keras.layers.wrappers`` module path (the layers live in ``sequence``)."""

from keras_bridge.layers.sequence import Bidirectional, TimeDistributed, Wrapper

__all__ = ["Wrapper", "TimeDistributed", "Bidirectional"]
