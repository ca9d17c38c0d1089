"""keras_bridge: the Keras model API on PyTorch and JAX.

Importing this package imports neither engine; an engine is imported when a model
first needs it.
"""

from keras_bridge.version import __version__, version

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
from keras_bridge import tree
from keras_bridge import dtype_policies, mixed_precision
from keras_bridge import random
from keras_bridge import wrappers
from keras_bridge import export
from keras_bridge import applications
from keras_bridge.context import device
from keras_bridge.dtype_policies import DTypePolicy, FloatDTypePolicy
from keras_bridge.graph import KerasTensor
from keras_bridge.initializers import Initializer
from keras_bridge.keras_variable import Variable
from keras_bridge.layers import Input, InputSpec, Layer
from keras_bridge.losses import Loss
from keras_bridge.metrics import Metric
from keras_bridge.models import Model, Sequential
from keras_bridge.name_scope import name_scope
from keras_bridge.optimizers import Optimizer
from keras_bridge.regularizers import Regularizer
from keras_bridge.stateless_scope import StatelessScope

__all__ = ["__version__", "config", "backend", "ops", "activations", "initializers",
           "regularizers", "constraints", "losses", "metrics", "optimizers", "callbacks",
           "layers", "models", "utils", "datasets", "saving", "preprocessing", "engine",
           "device", "Input", "Layer", "Model", "Sequential", "version", "tree",
           "dtype_policies", "mixed_precision", "DTypePolicy", "FloatDTypePolicy",
           "KerasTensor", "Initializer",
           "Variable", "InputSpec", "Loss", "Metric", "name_scope", "Optimizer",
           "Regularizer", "StatelessScope", "random", "wrappers", "export", "applications"]
