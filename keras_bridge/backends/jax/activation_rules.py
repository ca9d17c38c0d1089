"""Activation layers on JAX: their reference calls, traced as is.

Each layer's ``call`` (``keras_bridge/layers/activation_layers.py``) is one or a few
elementwise ``jax.numpy`` ops (``jax.nn.relu``, ``leaky_relu``, ``elu``, ``softmax``)
that XLA fuses with their neighbours under ``jax.jit``, which is what a hand-written
function would compile to, so no rule is needed. PReLU's ``alpha`` is an ordinary
parameter of the pure function; Softmax goes through
``keras_bridge.activations.softmax``, which notes the logits for the crossentropy losses.
"""

from keras_bridge.layers.activation_layers import ELU, LeakyReLU, PReLU, ReLU, Softmax
from keras_bridge.layers.activation_layers import ThresholdedReLU

RULES = {}

OWN_CALL = frozenset({ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU})
