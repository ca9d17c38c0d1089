"""torch samplers behind Keras 3's ``keras.random`` (the ``random_*`` ops of the contract).

Each takes ``seed``: None (torch's global generator), an int (the same samples every
call) or a seed state (a ``SeedGenerator``'s [seed, counter]); a seeded call draws from
a fresh generator, so it never moves the global stream. torch's gamma sampler takes no
generator: seeded gamma / beta draws run in a forked global stream instead.
"""

import contextlib

import torch

from keras_bridge.backends.nn_checks import concrete_noise_shape
from keras_bridge.backends.torch.random import generator_for, seed_value
from keras_bridge.backends.torch.tensors import current_device


# ops.py imports this module, so the table's helpers are not imported back: callers
# (keras_bridge.random) pass engine tensors and resolved dtype names.
def _t(x):
    return x if isinstance(x, torch.Tensor) else torch.as_tensor(x, device=current_device())


def _float(x):
    x = _t(x)
    return x if x.is_floating_point() else x.to(torch.float32)


def _torch_dtype(dtype):
    return dtype if isinstance(dtype, torch.dtype) else getattr(torch, str(dtype))


def _shape_tuple(shape):
    return (int(shape),) if isinstance(shape, int) else tuple(int(d) for d in shape)


def random_randint(shape, minval, maxval, dtype="int32", seed=None):
    device = current_device()
    return torch.randint(int(minval), int(maxval), _shape_tuple(shape), device=device,
                         generator=generator_for(seed, device), dtype=_torch_dtype(dtype))


def random_categorical(logits, num_samples, dtype="int32", seed=None):
    logits = _float(logits)
    probs = torch.softmax(logits, dim=-1)
    out = torch.multinomial(probs, int(num_samples), replacement=True,
                            generator=generator_for(seed, logits.device))
    return out.to(_torch_dtype(dtype))


def random_shuffle(x, axis=0, seed=None):
    """One permutation of the slices along ``axis``."""
    x = _t(x)
    axis = axis % x.ndim if x.ndim else 0
    perm = torch.randperm(x.shape[axis], device=x.device,
                          generator=generator_for(seed, x.device))
    return torch.index_select(x, axis, perm)


@contextlib.contextmanager
def _seeded_stream(seed, device):
    """Draws inside run from ``seed`` (a forked global stream) or the global stream."""
    value = seed_value(seed)
    if value is None:
        yield
        return
    devices = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(value)
        yield


def _gamma(shape, alpha, dtype, seed):
    device = current_device()
    dtype = _torch_dtype(dtype)
    alpha = torch.as_tensor(alpha, dtype=dtype, device=device).expand(_shape_tuple(shape))
    with _seeded_stream(seed, torch.device(device)):
        return torch._standard_gamma(alpha.contiguous())


def random_gamma(shape, alpha, dtype="float32", seed=None):
    return _gamma(shape, alpha, dtype, seed)


def random_beta(shape, alpha, beta, dtype="float32", seed=None):
    # Beta(a, b) = X / (X + Y), X ~ Gamma(a), Y ~ Gamma(b), both drawn from one stream.
    shape = _shape_tuple(shape)
    device = current_device()
    dtype = _torch_dtype(dtype)
    both = torch.stack([torch.as_tensor(alpha, dtype=dtype, device=device).expand(shape),
                        torch.as_tensor(beta, dtype=dtype, device=device).expand(shape)])
    with _seeded_stream(seed, torch.device(device)):
        g = torch._standard_gamma(both.contiguous())
    return g[0] / (g[0] + g[1])


def random_binomial(shape, counts, probabilities, dtype="float32", seed=None):
    device = current_device()
    shape = _shape_tuple(shape)
    counts = torch.as_tensor(counts, dtype=torch.float32, device=device).expand(shape)
    probs = torch.as_tensor(probabilities, dtype=torch.float32, device=device).expand(shape)
    out = torch.binomial(counts.contiguous(), probs.contiguous(),
                         generator=generator_for(seed, device))
    return out.to(_torch_dtype(dtype))


def random_dropout(x, rate, noise_shape=None, seed=None):
    """Inverted dropout with a seed; rate is a Python number checked by the caller
    (1.0 gives zeros, as Keras 3)."""
    x = _t(x)
    if rate == 0.0:
        return x
    if rate >= 1.0:
        return torch.zeros_like(x)
    keep = 1.0 - rate
    shape = concrete_noise_shape(x.shape, noise_shape)
    mask = torch.rand(shape, device=x.device, generator=generator_for(seed, x.device)) < keep
    return torch.where(mask.expand(x.shape), x / keep, torch.zeros((), dtype=x.dtype,
                                                                   device=x.device))
