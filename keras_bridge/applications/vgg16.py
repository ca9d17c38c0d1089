"""Keras's ``keras.applications.vgg16`` module."""

from keras_bridge.applications.vgg import VGG16, decode_predictions, preprocess_input

__all__ = ["VGG16", "decode_predictions", "preprocess_input"]
