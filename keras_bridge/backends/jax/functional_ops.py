"""Keras 3's ops of Python functions on JAX (``custom_gradient_call``, ``jvp``) and its
native kernel for ``associative_scan`` (``contract.NATIVE``): each is JAX's own
transformation, as Keras's JAX backend uses."""

import jax


def custom_gradient_call(f, args):
    # jax.custom_gradient calls grad_fn(upstream), Keras 3's JAX convention.
    return jax.custom_gradient(f)(*args)


def jvp(fun, primals, tangents, has_aux=False):
    return jax.jvp(fun, tuple(primals), tuple(tangents), has_aux=has_aux)


def associative_scan(f, elems, reverse, axis):
    return jax.lax.associative_scan(f, elems, reverse=reverse, axis=axis)
