"""Keras 2's ``keras.layers.cudnn_recurrent`` module path (the layers live in
``cudnn_layers``)."""

from keras_bridge.layers.cudnn_layers import CuDNNGRU, CuDNNLSTM

__all__ = ["CuDNNLSTM", "CuDNNGRU"]
