"""Complex numbers, Fourier transforms, special functions, matrix decompositions and
``unique`` for the JAX op table (Keras 3's keras.ops, keras.ops.linalg). Imported into
``ops.py``; the argument checks shared with torch are in ``backends/math_checks.py``.
``unique`` without ``size`` and ``eig`` (CPU only in JAX) do not trace under jax.jit."""

import jax
import jax.numpy as jnp
import jax.scipy as jsp

from keras_bridge.backends import math_checks as checks


def _ops():
    from keras_bridge.backends.jax import ops  # imports this module: no cycle at import
    return ops


def _t(x):
    return x if isinstance(x, jax.Array) else _ops().convert_to_tensor(x)


def _float(x):
    return _ops()._float(x)


def _floats(*xs):
    a, b = (_float(v) for v in _ops()._operands(*xs))
    dtype = jnp.promote_types(a.dtype, b.dtype)
    return a.astype(dtype), b.astype(dtype)


# ---------------------------------------------------------------- complex numbers

def real(x):
    return jnp.real(_t(x))


def imag(x):
    return jnp.imag(_t(x))


def conj(x):
    return jnp.conjugate(_t(x))


def angle(x):
    return jnp.angle(_float(x))


def isreal(x):
    return jnp.isreal(_t(x))


def view(x, dtype=None):
    x = _t(x)
    return x if dtype is None else x.view(_ops()._jax_dtype(dtype))


def view_as_complex(x):
    x = _float(x)
    checks.complex_pairs(tuple(x.shape))
    return jax.lax.complex(x[..., 0], x[..., 1])


def view_as_real(x):
    x = _t(x)
    if not jnp.iscomplexobj(x):
        raise ValueError(f"Expected a complex tensor. Received: dtype={_ops().dtype(x)}")
    return jnp.stack([jnp.real(x), jnp.imag(x)], axis=-1)


def polar(abs_, angle):
    a, t = _floats(abs_, angle)
    return jax.lax.complex(a * jnp.cos(t), a * jnp.sin(t))


# ---------------------------------------------------------------- Fourier transforms

def _complex(x):
    real, imag = checks.real_imag(x, _t)
    return jax.lax.complex(real, imag.astype(real.dtype))


def _parts(z):
    return jnp.real(z), jnp.imag(z)


def fft(x):
    return _parts(jnp.fft.fft(_complex(x)))


def fft2(x):
    return _parts(jnp.fft.fft2(_complex(x)))


def ifft2(x):
    return _parts(jnp.fft.ifft2(_complex(x)))


def rfft(x, fft_length=None):
    return _parts(jnp.fft.rfft(_float(x), n=fft_length, axis=-1))


def irfft(x, fft_length=None):
    return jnp.fft.irfft(_complex(x), n=fft_length, axis=-1)


# ---------------------------------------------------------------- special functions

def i0(x):
    return jnp.i0(_float(x))


def nextafter(x1, x2):
    return jnp.nextafter(*_floats(x1, x2))


def gammainc(x1, x2):
    return jsp.special.gammainc(*_floats(x1, x2))


# ---------------------------------------------------------------- decompositions

def eig(x):
    return tuple(jnp.linalg.eig(checks.square(_float(x))))


def eigh(x):
    return tuple(jnp.linalg.eigh(checks.square(_float(x))))


def qr(x, mode="reduced"):
    checks.qr_mode(mode)
    return tuple(jnp.linalg.qr(checks.matrix(_float(x)), mode=mode))


def svd(x, full_matrices=True, compute_uv=True):
    x = checks.matrix(_float(x))
    if not compute_uv:
        return jnp.linalg.svd(x, compute_uv=False)
    return tuple(jnp.linalg.svd(x, full_matrices=bool(full_matrices)))


def slogdet(x):
    return tuple(jnp.linalg.slogdet(checks.square(_float(x))))


def lu_factor(x):
    x = checks.square(_float(x))
    fn = jsp.linalg.lu_factor
    for _ in range(x.ndim - 2):  # SciPy's factor is for one matrix
        fn = jax.vmap(fn)
    lu, pivots = fn(x)
    return lu, pivots.astype("int32")


def solve_triangular(a, b, lower=False):
    a, b = _floats(a, b)
    checks.square(a)
    if b.ndim == a.ndim - 1:  # a vector right-hand side
        return jsp.linalg.solve_triangular(a, b[..., None], lower=bool(lower))[..., 0]
    return jsp.linalg.solve_triangular(a, jnp.broadcast_to(b, a.shape[:-2] + b.shape[-2:]),
                                       lower=bool(lower))


# ---------------------------------------------------------------- unique

def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    x = _t(x)
    dim = None if axis is None else checks.axis(axis, x.ndim)
    # With ``size``, jnp's own fixed-size form (Keras 3's): it runs under ``jax.jit``.
    fixed = {} if size is None else {"size": int(size), "fill_value": fill_value}
    values, first, inverse, counts = jnp.unique(
        x, return_index=True, return_inverse=True, return_counts=True, axis=dim, **fixed)
    if axis is None:
        inverse = inverse.reshape(x.shape)
    out = [values]
    out += [first.astype("int32")] if return_index else []
    out += [inverse.astype("int32")] if return_inverse else []
    out += [counts.astype("int32")] if return_counts else []
    return out[0] if len(out) == 1 else tuple(out)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("jax", "jnp", "jsp", "checks")]
