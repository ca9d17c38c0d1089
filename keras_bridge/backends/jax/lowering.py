"""Layers on JAX: weights as device arrays, layers as pure functions under a
substitution of traced values.

JAX compiles the whole forward pass with ``jax.jit``, so a layer's reference
``call`` (written with ``keras_bridge.ops``, which here are ``jax.numpy``) traces to
the same XLA program a hand-written function would: the Python layer code runs at
trace time only. That is why the rule table is empty for now; a rule is added where
JAX offers a better primitive than the reference call's ops (e.g. convolutions).
"""

# Attention layers run their call: its einsums and ops.dot_product_attention are the
# engine's fused kernels already.
from keras_bridge.layers.attention import AdditiveAttention, Attention, GroupedQueryAttention
from keras_bridge.layers.attention import MultiHeadAttention
from keras_bridge.layers.einsum_dense import EinsumDense
from keras_bridge.layers.core import Activation, Dense, Dropout, Flatten, InputLayer
from keras_bridge.layers.core import Lambda, Permute, RepeatVector, Reshape
from keras_bridge.layers.merging import Add, Average, Concatenate, Dot, Maximum, Minimum
from keras_bridge.layers.merging import Multiply, Subtract
from keras_bridge.layers.gradients import Gradients
from keras_bridge.layers.op_layer import OpLayer
from keras_bridge.layers.preprocessing import PREPROCESSING_LAYERS
from keras_bridge.layers.core import Identity
from keras_bridge.layers.normalization import RMSNormalization
from keras_bridge.layers.spectral_normalization import SpectralNormalization
from keras_bridge.layers.reversible_embedding import ReversibleEmbedding
from keras_bridge.layers.pooling import ADAPTIVE_POOLING


LOWERING = {}

# Built-in layers whose reference call is traced as is (see the module docstring).
RUNS_OWN_CALL = frozenset({InputLayer, Dense, Activation, Dropout, Flatten, Reshape, Permute,
                           RepeatVector, Lambda, Add, Subtract, Multiply, Average, Maximum,
                           Minimum, Concatenate, Dot, OpLayer, Gradients, EinsumDense,
                           Attention, AdditiveAttention, MultiHeadAttention,
                           GroupedQueryAttention, Identity, RMSNormalization, SpectralNormalization,
                           ReversibleEmbedding}).union(
    PREPROCESSING_LAYERS, ADAPTIVE_POOLING)


# Rules of the other layer families live in their own modules.
from keras_bridge.backends.jax import activation_rules, conv_rules, norm_rules  # noqa: E402
from keras_bridge.backends.jax import regularization_rules, rnn_rules, seq_rules  # noqa: E402

for _family in (activation_rules, conv_rules, norm_rules, regularization_rules, rnn_rules,
                seq_rules):
    LOWERING.update(_family.RULES)
    RUNS_OWN_CALL = RUNS_OWN_CALL | _family.OWN_CALL
