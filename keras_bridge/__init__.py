"""keras_bridge: the Keras model API on PyTorch and JAX.

Importing this package imports neither engine; an engine is imported when a model
first needs it.
"""

from keras_bridge.version import __version__

from keras_bridge import config
from keras_bridge import backend
from keras_bridge import ops
from keras_bridge import activations, initializers, regularizers, constraints
from keras_bridge import losses, metrics, optimizers, callbacks
from keras_bridge import layers
from keras_bridge import models
from keras_bridge import utils
from keras_bridge import datasets
from keras_bridge import saving
from keras_bridge import preprocessing
from keras_bridge import engine
from keras_bridge.context import device
from keras_bridge.layers import Input, Layer
from keras_bridge.models import Model, Sequential

__all__ = ["__version__", "config", "backend", "ops", "activations", "initializers",
           "regularizers", "constraints", "losses", "metrics", "optimizers", "callbacks",
           "layers", "models", "utils", "datasets", "saving", "preprocessing", "engine",
           "device", "Input", "Layer", "Model", "Sequential"]
