"""JAX's side of ``layers.JaxLayer``: pytrees of weights, inputs for ``init_fn`` and
the keys ``call_fn`` gets (see keras_bridge/layers/native.py). A weight is a pytree
leaf; its ``value`` inside a jitted step is the step's traced value, and ``assign``
records the new state there, so a JaxLayer trains inside the one jitted train step
like any layer."""

import jax
import jax.numpy as jnp
import numpy as np

from keras_bridge.backends.jax.pytrees import is_variable
from keras_bridge.variables import Weight


def tree_map(fn, tree):
    return jax.tree_util.tree_map(fn, tree, is_leaf=is_variable)


def key(seed):
    """A JAX key (the raw uint32 pair ``jax.random.PRNGKey`` gives) for ``init_fn``."""
    return jax.random.PRNGKey(seed)


def ones(input_shape):
    """Ones of ``input_shape`` (one shape, or a list of them; None dims as 1)."""
    def make(shape):
        return jnp.ones(tuple(1 if d is None else d for d in shape))
    if isinstance(input_shape, list) and input_shape and \
            isinstance(input_shape[0], (tuple, list)):
        return [make(s) for s in input_shape]
    return make(input_shape)


def values(tree):
    """The pytree with each weight replaced by its (traced) value."""
    return jax.tree_util.tree_map(lambda w: w.value if isinstance(w, Weight) else w, tree,
                                  is_leaf=is_variable)


def next_key(state):
    """A key from the layer's [seed, counter] weight, advancing the counter."""
    current = state.value
    state.assign(current + jnp.array([0, 1], dtype=current.dtype))
    return jax.random.fold_in(jax.random.PRNGKey(current[0]), current[1])


def assign(weights, new_values):
    """Write ``call_fn``'s new state into the state weights (same structure)."""
    leaves, treedef = jax.tree_util.tree_flatten(weights, is_leaf=is_variable)
    new_leaves, new_def = jax.tree_util.tree_flatten(new_values)
    if treedef != new_def:
        raise ValueError(f"Structure mismatch: the state returned by `call_fn` has the "
                         f"structure {new_def}, the state at initialization {treedef}.")
    for w, value in zip(leaves, new_leaves):
        if isinstance(w, Weight):
            w.assign(value)
