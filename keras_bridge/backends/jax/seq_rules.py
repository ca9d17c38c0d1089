"""Embedding, Masking and the sequence wrappers on JAX.

Embedding has a rule: a gather (``jnp.take``) whose out-of-range indices give NaN
rows. Concrete indices (eager calls) are checked first and an out-of-range one is a
ValueError naming the layer. Traced indices (inside ``jax.jit``) cannot raise without
``checkify`` or a host callback per step, so there the row is NaN, negative indices
included (``jnp.take`` would wrap them to the end of the table); the gradient of such
rows is zero. Data given to ``fit`` / ``predict`` is checked on the host before it
reaches the jitted step (``keras_bridge.layers.embedding.check_index_inputs``).

Masking, TimeDistributed and Bidirectional run their reference calls: elementwise ops,
reshapes and the inner layers' own JAX code, which XLA compiles as a hand-written
function would.
"""

import jax
import jax.numpy as jnp
import numpy as np

from keras_bridge.layers.embedding import Embedding, check_indices
from keras_bridge.layers.sequence import Bidirectional, Masking, TimeDistributed


def embedding_rule(layer, inputs):
    indices = inputs if jnp.issubdtype(inputs.dtype, jnp.integer) else inputs.astype("int32")
    if not isinstance(indices, jax.core.Tracer):
        check_indices(layer, np.asarray(inputs))
    # Negative indices would wrap; send them past the end, where the gather fills NaN.
    indices = jnp.where(indices < 0, layer.input_dim, indices)
    return jnp.take(layer.embeddings.value, indices, axis=0, mode="fill",
                    fill_value=jnp.nan)


RULES = {Embedding: embedding_rule}

OWN_CALL = frozenset({Masking, TimeDistributed, Bidirectional})
