"""Normalization layers on JAX: their reference calls, traced as is.

Each layer's ``call`` (``keras_bridge/layers/normalization.py``) is ``ops.moments``
and ``ops.batch_normalization`` (here ``jnp.mean`` / ``jnp.var`` and an rsqrt-scale-shift)
or the same formula broadcast per sample, which XLA fuses under ``jax.jit`` into what a
hand-written JAX function compiles to, so no rule is needed.
BatchNormalization's ``self.moving_mean.assign(...)`` in training mode is recorded
by the weight substitution (``keras_bridge.variables``) and comes back from
``Program.apply`` as the new value of that state weight, so the train step stays pure.
"""

from keras_bridge.layers.normalization import BatchNormalization, GroupNormalization
from keras_bridge.layers.normalization import LayerNormalization, UnitNormalization

RULES = {}

OWN_CALL = frozenset({BatchNormalization, LayerNormalization, GroupNormalization,
                      UnitNormalization})
