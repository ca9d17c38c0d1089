"""Normalization layers on JAX: their reference calls, traced as is.

Each layer's ``call`` (``keras_bridge/layers/normalization.py``) is a few
``jax.numpy`` reductions and elementwise ops that XLA fuses under ``jax.jit``, which
is what a hand-written JAX function would compile to, so no rule is needed.
BatchNormalization's ``self.moving_mean.assign(...)`` in training mode is recorded
by the weight substitution (``keras_bridge.variables``) and comes back from
``Program.apply`` as the new value of that state weight, so the train step stays pure.
"""

from keras_bridge.layers.normalization import BatchNormalization, GroupNormalization
from keras_bridge.layers.normalization import LayerNormalization, UnitNormalization

RULES = {}

OWN_CALL = frozenset({BatchNormalization, LayerNormalization, GroupNormalization,
                      UnitNormalization})
