"""JAX samplers behind Keras 3's ``keras.random`` (the ``random_*`` ops of the contract).

Each takes ``seed``: None (the stream, or the jitted step's key scope), an int (the
same samples every call) or a seed state (a ``SeedGenerator``'s [seed, counter], traced
inside a jitted step); ``random.key_for`` turns any of them into a key.
"""

import functools

import jax
import jax.numpy as jnp

from keras_bridge.backends.nn_checks import concrete_noise_shape
from keras_bridge.backends.jax.random import key_for

# ops.py imports this module, so the table's helpers are not imported back: callers
# (keras_bridge.random) pass engine tensors and resolved dtype names.
_t = jnp.asarray
_jax_dtype = jnp.dtype


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)


def _jitted(static):
    """The sampler jitted as one program per static arguments (shape, dtype, ...): run
    eagerly, JAX would otherwise compile each of its many small ops on first use."""
    return lambda fn: functools.partial(jax.jit, static_argnames=static)(fn)


@_jitted(("shape", "dtype"))
def _randint(key, minval, maxval, shape, dtype):
    return jax.random.randint(key, shape, minval, maxval, dtype=dtype)


def random_randint(shape, minval, maxval, dtype="int32", seed=None):
    return _randint(key_for(seed), minval, maxval, shape=_shape_tuple(shape),
                    dtype=_jax_dtype(dtype))


@_jitted(("num_samples", "dtype"))
def _categorical(key, logits, num_samples, dtype):
    # One draw per (row, sample): the row's logits broadcast over the sample axis.
    out = jax.random.categorical(key, logits[:, None, :], axis=-1,
                                 shape=(logits.shape[0], num_samples))
    return out.astype(dtype)


def random_categorical(logits, num_samples, dtype="int32", seed=None):
    return _categorical(key_for(seed), _t(logits), num_samples=int(num_samples),
                        dtype=_jax_dtype(dtype))


@_jitted(("axis",))
def _shuffle(key, x, axis):
    return jax.random.permutation(key, x, axis=axis, independent=False)


def random_shuffle(x, axis=0, seed=None):
    """One permutation of the slices along ``axis`` (as Keras's torch and TensorFlow
    backends; Keras's JAX backend shuffles each slice independently)."""
    return _shuffle(key_for(seed), _t(x), axis=int(axis))


@_jitted(("shape", "dtype"))
def _gamma(key, alpha, shape, dtype):
    return jax.random.gamma(key, jnp.asarray(alpha, dtype), shape, dtype=dtype)


def random_gamma(shape, alpha, dtype="float32", seed=None):
    return _gamma(key_for(seed), alpha, shape=_shape_tuple(shape), dtype=_jax_dtype(dtype))


@_jitted(("shape", "dtype"))
def _beta(key, alpha, beta, shape, dtype):
    return jax.random.beta(key, jnp.asarray(alpha, dtype), jnp.asarray(beta, dtype), shape,
                           dtype=dtype)


def random_beta(shape, alpha, beta, dtype="float32", seed=None):
    return _beta(key_for(seed), alpha, beta, shape=_shape_tuple(shape),
                 dtype=_jax_dtype(dtype))


@_jitted(("shape", "dtype"))
def _binomial(key, counts, probabilities, shape, dtype):
    return jax.random.binomial(key, jnp.asarray(counts, dtype),
                               jnp.asarray(probabilities, dtype), shape, dtype=dtype)


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    return _binomial(key_for(seed), counts, probabilities, shape=_shape_tuple(shape),
                     dtype=_jax_dtype(dtype))


@_jitted(("keep", "shape"))
def _dropout(key, x, keep, shape):
    mask = jnp.broadcast_to(jax.random.bernoulli(key, keep, shape), x.shape)
    return jnp.where(mask, x / jnp.asarray(keep, x.dtype), jnp.zeros((), x.dtype))


def random_dropout(x, rate, noise_shape=None, seed=None):
    """Inverted dropout with a seed; rate is a Python number checked by the caller
    (1.0 gives zeros, as Keras 3)."""
    x = _t(x)
    if rate == 0.0:
        return x
    if rate >= 1.0:
        return jnp.zeros_like(x)
    shape = concrete_noise_shape(x.shape, noise_shape)
    return _dropout(key_for(seed), x, keep=1.0 - float(rate), shape=tuple(shape))
