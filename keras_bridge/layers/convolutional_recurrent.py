"""Keras 2's ``keras.layers.convolutional_recurrent`` module path (the layers live in
``conv_lstm``)."""

from keras_bridge.layers.conv_lstm import ConvLSTM1D, ConvLSTM2D, ConvLSTM3D

__all__ = ["ConvLSTM1D", "ConvLSTM2D", "ConvLSTM3D"]
