"""Regularization layers on JAX: their reference calls, traced as is.

The noise layers draw with ``keras_bridge.ops.random_normal`` / ``random_uniform``,
which take a key from ``keras_bridge.backends.jax.random.next_key()``: inside the jitted train step
that is the step's own key (``key_scope``), split per draw, so every step gets fresh
noise and nothing escapes the trace; in eager calls it is the seeded module key. In
inference the calls return their input and draw nothing. ActivityRegularization is the
identity; its ``activity_regularizer`` adds the loss term when the layer is called.
"""

from keras_bridge.layers.regularization import ActivityRegularization, AlphaDropout
from keras_bridge.layers.regularization import GaussianDropout, GaussianNoise

RULES = {}

OWN_CALL = frozenset({GaussianNoise, GaussianDropout, AlphaDropout, ActivityRegularization})
