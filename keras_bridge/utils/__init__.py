"""Utilities with Keras's names."""

from keras_bridge.random import set_seed as set_random_seed

__all__ = ["set_random_seed"]
