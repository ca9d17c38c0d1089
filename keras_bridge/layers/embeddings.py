"""Keras 2's ``keras.layers.embeddings`` module path (the layer lives in ``embedding``)."""

from keras_bridge.layers.embedding import Embedding

__all__ = ["Embedding"]
