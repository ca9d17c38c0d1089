"""Models: functional ``Model``, ``Sequential``."""

from keras_bridge.models.model import Model
from keras_bridge.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
