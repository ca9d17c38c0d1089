"""Complex numbers, Fourier transforms, special functions, matrix decompositions and
``unique`` for the torch op table (Keras 3's keras.ops, keras.ops.linalg). Imported into
``ops.py``; the argument checks shared with JAX are in ``backends/math_checks.py``."""

import torch

from keras_bridge.backends import math_checks as checks


def _ops():
    from keras_bridge.backends.torch import ops  # imports this module: no cycle at import
    return ops


def _t(x):
    return x if isinstance(x, torch.Tensor) else _ops().convert_to_tensor(x)


def _float(x):
    return _ops()._float(x)


# ---------------------------------------------------------------- complex numbers

def real(x):
    x = _t(x)
    return torch.real(x) if x.is_complex() else x


def imag(x):
    x = _t(x)
    return torch.imag(x) if x.is_complex() else torch.zeros_like(x)


def conj(x):
    x = _t(x)
    return torch.conj(x).resolve_conj() if x.is_complex() else x


def angle(x):
    return torch.angle(_float(x))


def isreal(x):
    x = _t(x)
    return torch.imag(x) == 0 if x.is_complex() else torch.ones_like(x, dtype=torch.bool)


def view(x, dtype=None):
    x = _t(x)
    return x if dtype is None else x.view(_ops()._torch_dtype(dtype))


def view_as_complex(x):
    x = _float(x)
    checks.complex_pairs(tuple(x.shape))
    return torch.view_as_complex(x.contiguous())


def view_as_real(x):
    x = _t(x)
    if not x.is_complex():
        raise ValueError(f"Expected a complex tensor. Received: dtype={_ops().dtype(x)}")
    return torch.view_as_real(x)


def polar(abs_, angle):
    a, t = (_float(v) for v in _ops()._operands(abs_, angle))
    return torch.polar(a, t.to(a.dtype))


# ---------------------------------------------------------------- Fourier transforms

def _complex(x):
    real, imag = checks.real_imag(x, _t)
    return torch.complex(real, imag.to(real.dtype))


def _parts(z):
    return torch.real(z), torch.imag(z)


def fft(x):
    return _parts(torch.fft.fft(_complex(x)))


def fft2(x):
    return _parts(torch.fft.fft2(_complex(x)))


def ifft2(x):
    return _parts(torch.fft.ifft2(_complex(x)))


def rfft(x, fft_length=None):
    return _parts(torch.fft.rfft(_float(x), n=fft_length, dim=-1))


def irfft(x, fft_length=None):
    return torch.fft.irfft(_complex(x), n=fft_length, dim=-1)


# ---------------------------------------------------------------- special functions

def i0(x):
    return torch.special.i0(_float(x))


def nextafter(x1, x2):
    a, b = (_float(v) for v in _ops()._operands(x1, x2))
    dtype = torch.promote_types(a.dtype, b.dtype)
    return torch.nextafter(a.to(dtype), b.to(dtype))


def gammainc(x1, x2):
    a, b = (_float(v) for v in _ops()._operands(x1, x2))
    dtype = torch.promote_types(a.dtype, b.dtype)
    return torch.special.gammainc(a.to(dtype), b.to(dtype))


# ---------------------------------------------------------------- decompositions

def eig(x):
    return tuple(torch.linalg.eig(_float(checks.square(_float(x)))))


def eigh(x):
    return tuple(torch.linalg.eigh(_float(checks.square(_float(x)))))


def qr(x, mode="reduced"):
    checks.qr_mode(mode)
    return tuple(torch.linalg.qr(checks.matrix(_float(x)), mode=mode))


def svd(x, full_matrices=True, compute_uv=True):
    x = checks.matrix(_float(x))
    if not compute_uv:
        return torch.linalg.svdvals(x)
    return tuple(torch.linalg.svd(x, full_matrices=bool(full_matrices)))


def slogdet(x):
    return tuple(torch.linalg.slogdet(checks.square(_float(x))))


def lu_factor(x):
    lu, pivots = torch.linalg.lu_factor(checks.square(_float(x)))
    return lu, (pivots - 1).to(torch.int32)  # LAPACK's 1-based pivots, 0-based as SciPy


def solve_triangular(a, b, lower=False):
    a, b = (_float(v) for v in _ops()._operands(a, b))
    checks.square(a)
    b = b.to(a.dtype)
    if b.dim() == a.dim() - 1:  # a vector right-hand side
        return torch.linalg.solve_triangular(a, b[..., None], upper=not lower)[..., 0]
    return torch.linalg.solve_triangular(a, b, upper=not lower)


# ---------------------------------------------------------------- unique

def unique(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,
           axis=None, size=None, fill_value=None):
    x = _t(x)
    dim = None if axis is None else checks.axis(axis, x.dim())
    values, inverse, counts = torch.unique(x, sorted=True, return_inverse=True,
                                           return_counts=True, dim=dim)
    along = 0 if dim is None else dim
    n = int(x.numel()) if dim is None else x.shape[dim]
    order = torch.arange(n, device=x.device)
    first = torch.full((values.shape[along],), n, dtype=torch.int64, device=x.device)
    first = first.scatter_reduce(0, inverse.reshape(-1), order, reduce="amin")
    if axis is None:
        inverse = inverse.reshape(x.shape)
    if size is not None:
        idx, pad = checks.unique_positions(values.shape[along], int(size))
        idx = torch.as_tensor(idx, device=x.device)
        values, first, counts = (torch.index_select(values, along, idx), first[idx],
                                 counts[idx].clone())
        if pad:
            counts[-pad:] = 0
            if fill_value is not None:
                values.narrow(along, int(size) - pad, pad).fill_(fill_value)
    out = [values]
    out += [first.to(torch.int32)] if return_index else []
    out += [inverse.to(torch.int32)] if return_inverse else []
    out += [counts.to(torch.int32)] if return_counts else []
    return out[0] if len(out) == 1 else tuple(out)


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("torch", "checks")]
