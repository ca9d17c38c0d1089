"""Keras 2's ``keras.engine.network`` module path; ``Network`` is ``Model`` here."""

from keras_bridge.graph import get_source_inputs
from keras_bridge.models.model import Model

Network = Model

__all__ = ["Network", "get_source_inputs"]
