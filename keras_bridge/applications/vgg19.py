"""Keras's ``keras.applications.vgg19`` module."""

from keras_bridge.applications.vgg import VGG19, decode_predictions, preprocess_input

__all__ = ["VGG19", "decode_predictions", "preprocess_input"]
