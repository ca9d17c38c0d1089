"""Argument checks and shape rules that the torch and JAX math tables (``math_ops.py``)
share, engine-free, so both engines reject the same bad input with the same words."""


def real_imag(x, to_tensor):
    """The (real, imag) pair a Fourier op takes, as tensors of one shape, floating."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError("Expected x to be a tuple of two tensors, (real, imag). "
                         f"Received: x={x!r}")
    real, imag = (to_tensor(v) for v in x)
    if tuple(real.shape) != tuple(imag.shape):
        raise ValueError("Expected the real and imaginary parts to have the same shape. "
                         f"Received: x[0].shape={tuple(real.shape)}, "
                         f"x[1].shape={tuple(imag.shape)}")
    for part in (real, imag):
        if "float" not in str(part.dtype):
            raise ValueError("Expected floating real and imaginary parts. Received: "
                             f"dtypes {real.dtype} and {imag.dtype}")
    return real, imag


def complex_pairs(shape):
    if not shape or shape[-1] != 2:
        raise ValueError("Expected a last axis of size 2 (real, imaginary). Received: "
                         f"shape={shape}")


def matrix(x):
    if len(x.shape) < 2:
        raise ValueError(f"Expected a tensor of rank >= 2 (a matrix or a batch of them). "
                         f"Received: shape={tuple(x.shape)}")
    return x


def square(x):
    matrix(x)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"Expected square matrices in the last two axes. Received: "
                         f"shape={tuple(x.shape)}")
    return x


def qr_mode(mode):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"Expected mode 'reduced' or 'complete'. Received: mode={mode!r}")


def axis(axis, ndim):
    if not -ndim <= int(axis) < max(ndim, 1):
        raise ValueError(f"Expected an axis in [{-ndim}, {ndim}). Received: axis={axis}")
    return int(axis) % max(ndim, 1)


def unique_positions(found, size):
    """Which of the ``found`` unique entries fill ``size`` slots (the first ``size``; the
    padding repeats entry 0, as jax.numpy.unique does) and how many slots are padding."""
    if found == 0 and size:
        raise ValueError("unique with size= needs a non-empty input.")
    keep = min(found, size)
    return list(range(keep)) + [0] * (size - keep), size - keep
