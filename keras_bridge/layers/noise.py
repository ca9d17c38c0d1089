"""Keras 2's ``keras.layers.noise`` module path (the layers live in ``regularization``)."""

from keras_bridge.layers.regularization import AlphaDropout, GaussianDropout, GaussianNoise

__all__ = ["GaussianNoise", "GaussianDropout", "AlphaDropout"]
