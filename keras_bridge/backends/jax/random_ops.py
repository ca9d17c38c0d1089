"""JAX samplers behind Keras 3's ``keras.random`` (the ``random_*`` ops of the contract).

Each takes ``seed``: None (the stream, or the jitted step's key scope), an int (the
same samples every call) or a seed state (a ``SeedGenerator``'s [seed, counter], traced
inside a jitted step); ``random.key_for`` turns any of them into a key.
"""

import jax
import jax.numpy as jnp

from keras_bridge.backends.jax.ops import _jax_dtype, _shape_tuple, _t
from keras_bridge.backends.jax.random import key_for


def random_randint(shape, minval, maxval, dtype="int32", seed=None):
    return jax.random.randint(key_for(seed), _shape_tuple(shape), minval, maxval,
                              dtype=_jax_dtype(dtype))


def random_categorical(logits, num_samples, dtype="int32", seed=None):
    logits = _t(logits)
    # One draw per (row, sample): the row's logits broadcast over the sample axis.
    out = jax.random.categorical(key_for(seed), logits[:, None, :], axis=-1,
                                 shape=(logits.shape[0], int(num_samples)))
    return out.astype(_jax_dtype(dtype))


def random_shuffle(x, axis=0, seed=None):
    """One permutation of the slices along ``axis`` (as Keras's torch and TensorFlow
    backends; Keras's JAX backend shuffles each slice independently)."""
    return jax.random.permutation(key_for(seed), _t(x), axis=axis, independent=False)


def random_gamma(shape, alpha, dtype="float32", seed=None):
    dtype = _jax_dtype(dtype)
    return jax.random.gamma(key_for(seed), jnp.asarray(alpha, dtype), _shape_tuple(shape),
                            dtype=dtype)


def random_beta(shape, alpha, beta, dtype="float32", seed=None):
    dtype = _jax_dtype(dtype)
    return jax.random.beta(key_for(seed), jnp.asarray(alpha, dtype), jnp.asarray(beta, dtype),
                           _shape_tuple(shape), dtype=dtype)


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    dtype = _jax_dtype(dtype)
    return jax.random.binomial(key_for(seed), jnp.asarray(counts, dtype),
                               jnp.asarray(probabilities, dtype), _shape_tuple(shape),
                               dtype=dtype)


def random_dropout(x, rate, noise_shape=None, seed=None):
    """Inverted dropout with a seed; rate is a Python number checked by the caller
    (1.0 gives zeros, as Keras 3)."""
    x = _t(x)
    if rate == 0.0:
        return x
    if rate >= 1.0:
        return jnp.zeros_like(x)
    keep = 1.0 - rate
    shape = x.shape if noise_shape is None else tuple(
        d if n is None else int(n) for n, d in zip(noise_shape, x.shape))
    mask = jnp.broadcast_to(jax.random.bernoulli(key_for(seed), keep, shape), x.shape)
    return jnp.where(mask, x / jnp.asarray(keep, x.dtype), jnp.zeros((), x.dtype))
