"""Keras's ``keras.applications.resnet50`` module path."""

from keras_bridge.applications.resnet import ResNet50, decode_predictions, preprocess_input

__all__ = ["ResNet50", "decode_predictions", "preprocess_input"]
