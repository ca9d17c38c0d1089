"""Symbolic gradients (``K.gradients``) on JAX: ``jax.grad`` of the graph as a function
of the inputs and of the weights' values.

Weights are read through the substitution a program installs (``variables.substitute``),
so a weight is differentiated by substituting its value with the argument of the
function ``jax.grad`` transforms; inside a jitted program this nests in the trace.
"""

import jax

from keras_bridge.variables import current_values, substitute


def gradients(fn, inputs, weights):
    outer = current_values()

    def total(xs, values):
        mapping = {**outer, **{id(w): v for w, v in zip(weights, values)}}
        with substitute(mapping):
            return fn(*xs).sum()

    values = [outer.get(id(w), None) for w in weights]
    values = [w.value if v is None else v for w, v in zip(weights, values)]
    for_inputs, for_weights = jax.grad(total, argnums=(0, 1))(list(inputs), values)
    return list(for_inputs), list(for_weights)
