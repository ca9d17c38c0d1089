"""Keras 3's ``keras.random`` functions, on whichever engine runs them.

Every function takes ``seed``: an int gives the same samples on every call; a
``SeedGenerator`` gives new samples each call (reproducibly, also inside a jitted JAX
step); None draws from the engine's stream (seeded by ``set_random_seed``; inside a
jitted JAX step, from the step's key, where Keras 3 would raise). The engines implement
the ``random_*`` ops of ``keras_bridge.backends.contract.OPS``; this module checks the
arguments and resolves the seed.
"""

import numbers

from keras_bridge import config
from keras_bridge import ops
from keras_bridge.random.seed_generator import draw_seed


def _shape(shape):
    if isinstance(shape, numbers.Integral) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
        ok = all(isinstance(d, numbers.Integral) and not isinstance(d, bool) and d >= 0
                 for d in dims)
    except TypeError:
        ok = False
    if not ok:
        raise ValueError("Expected `shape` to be a tuple of non-negative integers. "
                         f"Received: shape={shape!r}")
    return tuple(int(d) for d in dims)


def _float_dtype(dtype):
    return dtype or config.floatx()


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Samples from a normal distribution."""
    return ops.random_normal(_shape(shape), mean, stddev, _float_dtype(dtype),
                             seed=draw_seed(seed))


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Samples uniform in [minval, maxval)."""
    return ops.random_uniform(_shape(shape), minval, maxval, _float_dtype(dtype),
                              seed=draw_seed(seed))


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal samples, redrawn when more than two standard deviations from the mean."""
    return ops.random_truncated_normal(_shape(shape), mean, stddev, _float_dtype(dtype),
                                       seed=draw_seed(seed))


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers uniform in [minval, maxval)."""
    if isinstance(minval, numbers.Integral) and isinstance(maxval, numbers.Integral) \
            and maxval <= minval:
        raise ValueError("Expected `minval` < `maxval`. Received: "
                         f"minval={minval}, maxval={maxval}")
    return ops.random_randint(_shape(shape), minval, maxval, dtype, seed=draw_seed(seed))


def categorical(logits, num_samples, dtype="int32", seed=None):
    """Class indices (batch_size, num_samples) drawn from the softmax of ``logits``
    (batch_size, num_classes), with replacement."""
    logits_shape = tuple(ops.shape(logits))
    if len(logits_shape) != 2:
        raise ValueError("`logits` should be a 2-D tensor with shape "
                         f"[batch_size, num_classes]. Received: logits.shape={logits_shape}")
    if isinstance(num_samples, bool) or not isinstance(num_samples, numbers.Integral) \
            or num_samples < 1:
        raise ValueError("Expected `num_samples` to be a positive integer. Received: "
                         f"num_samples={num_samples!r}")
    return ops.random_categorical(ops.convert_to_tensor(logits), int(num_samples), dtype, seed=draw_seed(seed))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zero each entry with probability ``rate`` and scale the rest by 1 / (1 - rate)."""
    if isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate <= 1:
        raise ValueError(f"Expected `rate` to be a number in [0, 1]. Received: rate={rate!r}")
    if noise_shape is not None:
        ndim = len(ops.shape(inputs))
        if len(tuple(noise_shape)) != ndim:
            raise ValueError(f"Expected `noise_shape` with {ndim} entries for inputs of "
                             f"shape {tuple(ops.shape(inputs))}. Received: "
                             f"noise_shape={tuple(noise_shape)}")
        noise_shape = tuple(noise_shape)
    return ops.random_dropout(ops.convert_to_tensor(inputs), float(rate), noise_shape, seed=draw_seed(seed))


def shuffle(x, axis=0, seed=None):
    """``x`` with its slices along ``axis`` in one random order."""
    ndim = len(ops.shape(x))
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral) \
            or not -max(ndim, 1) <= axis < max(ndim, 1):
        raise ValueError(f"Expected `axis` in [-{max(ndim, 1)}, {max(ndim, 1)}) for an input "
                         f"of rank {ndim}. Received: axis={axis!r}")
    return ops.random_shuffle(ops.convert_to_tensor(x), int(axis), seed=draw_seed(seed))


def gamma(shape, alpha, dtype=None, seed=None):
    """Gamma(alpha, scale 1) samples."""
    return ops.random_gamma(_shape(shape), alpha, _float_dtype(dtype), seed=draw_seed(seed))


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Beta(alpha, beta) samples."""
    return ops.random_beta(_shape(shape), alpha, beta, _float_dtype(dtype),
                           seed=draw_seed(seed))


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Binomial(counts, probabilities) samples: the number of successes, as floats."""
    return ops.random_binomial(_shape(shape), counts, probabilities, _float_dtype(dtype),
                               seed=draw_seed(seed))
