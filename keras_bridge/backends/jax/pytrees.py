"""Weights and optimizer variables as JAX pytrees whose one leaf is their value.

Keras 3's loop-from-scratch code passes ``model.trainable_variables`` and
``optimizer.variables`` straight into a ``jax.jit`` function (``state =
trainable_variables, non_trainable_variables, optimizer_variables``). JAX no longer
converts objects through ``__jax_array__`` there, so each is registered as a node
with its value as the only child; unflattening gives the (traced) value itself, not
a variable: inside the jitted function the state is plain arrays, as the loop expects.
Code that maps over weights as objects passes ``is_leaf=is_variable``.
"""

import jax

from keras_bridge.optimizers.variable_view import OptimizerVariable
from keras_bridge.variables import Weight


def is_variable(x):
    return isinstance(x, (Weight, OptimizerVariable))


def _flatten(variable):
    return (variable.value,), None


def _unflatten(_, children):
    return children[0]


for _cls in (Weight, OptimizerVariable):
    jax.tree_util.register_pytree_node(_cls, _flatten, _unflatten)
