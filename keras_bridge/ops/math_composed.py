"""Keras 3 ops of linear algebra, spectra and NaN-skipping statistics written once from
the engine ops (``keras/src/ops/{numpy,linalg,math}.py`` signatures): they run on every
engine, trace under jax.jit and record graph nodes on symbolic tensors, as
``composed.py``'s do. Cut-offs follow jax.numpy (Keras's JAX backend): pinv's default
rcond 10 * max(M, N) * eps, lstsq's eps * max(M, N), matrix_rank's max(M, N) * eps.
"""

import math

from keras_bridge import config
from keras_bridge.ops import composed as _c
from keras_bridge.ops import dispatch as _o
from keras_bridge.ops import nn_composed as _nn

_EPS = {"float16": 2.0 ** -10, "bfloat16": 2.0 ** -7, "float32": 2.0 ** -23,
        "float64": 2.0 ** -52}


def conjugate(x):
    return _o.conj(x)


def append(x1, x2, axis=None):
    x1, x2 = _c._tensors(x1, x2)
    if axis is None:
        return _o.concatenate([_c.ravel(x1), _c.ravel(x2)], axis=0)
    return _o.concatenate([x1, x2], axis=axis)


def argpartition(x, kth, axis=-1):
    """int32 indices that partition x around its kth entry: a stable full sort, which is
    one valid partition, and the same on every engine."""
    x = _o.convert_to_tensor(x)
    n = _c.size(x) if axis is None else _o.shape(x)[_c._axis(axis, _o.ndim(x))]
    if not -n <= kth < n:
        raise ValueError(f"Expected kth in [{-n}, {n}). Received: kth={kth}")
    return _o.argsort(x, axis=axis)


# ---------------------------------------------------------------- distances, correlation

def cdist(x, y):
    x, y = (_c._floating(v) for v in _c._tensors(x, y))
    if _o.ndim(x) < 2 or _o.ndim(y) < 2:
        raise ValueError(f"Expected inputs of rank >= 2. Received: x.shape={_o.shape(x)}, "
                         f"y.shape={_o.shape(y)}")
    if _o.shape(x)[-1] != _o.shape(y)[-1]:
        raise ValueError("Expected the same last dimension. Received: "
                         f"x.shape={_o.shape(x)}, y.shape={_o.shape(y)}")
    diff = _o.subtract(_o.expand_dims(x, -2), _o.expand_dims(y, -3))
    return _o.sqrt(_o.sum(_o.square(diff), axis=-1))


def correlate(x1, x2, mode="valid"):
    """numpy.correlate of two 1-D tensors: c[k] = sum_n x1[n + k] * x2[n]."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"Expected mode 'valid', 'same' or 'full'. Received: mode={mode!r}")
    x1, x2 = (_c._floating(v) for v in _c._tensors(x1, x2))
    if _o.ndim(x1) != 1 or _o.ndim(x2) != 1:
        raise ValueError("Expected 1-D inputs. Received: "
                         f"x1.shape={_o.shape(x1)}, x2.shape={_o.shape(x2)}")
    n, m = _o.shape(x1)[0], _o.shape(x2)[0]
    swap = m > n  # numpy slides the shorter one, then reverses the result
    a, v = (x2, x1) if swap else (x1, x2)
    n, m = max(n, m), min(n, m)
    left = {"valid": 0, "same": m // 2, "full": m - 1}[mode]
    right = {"valid": 0, "same": m - 1 - m // 2, "full": m - 1}[mode]
    a = _o.pad(a, [[left, right]])
    out = _o.conv(_o.reshape(a, (1, -1, 1)), _o.reshape(v, (m, 1, 1)),
                  data_format="channels_last")
    out = _o.reshape(out, (-1,))
    return _o.flip(out, axis=0) if swap else out


# ---------------------------------------------------------------- linear algebra

def cholesky_inverse(x, upper=False):
    """inv(A) from A's Cholesky factor x (lower: A = x @ x^T; upper: A = x^T @ x)."""
    x = _c._floating(x)
    eye = _o.broadcast_to(_c._maker(x).eye(_o.shape(x)[-1], dtype=_o.dtype(x)), _o.shape(x))
    inv = _o.solve_triangular(x, eye, lower=not upper)
    t = _c.swapaxes(inv, -1, -2)
    return _o.matmul(inv, t) if upper else _o.matmul(t, inv)


def _rows_cols(x):
    if _o.ndim(x) < 2:
        raise ValueError(f"Expected a tensor of rank >= 2 (a matrix or a batch of them). "
                         f"Received: shape={_o.shape(x)}")
    return _o.shape(x)[-2:]


def pinv(x, rcond=None):
    x = _c._floating(x)
    m, n = _rows_cols(x)
    if rcond is None:
        rcond = 10 * max(m, n) * _EPS[_o.dtype(x)]
    u, s, vh = _o.svd(x, full_matrices=False)
    cutoff = _o.multiply(rcond, _o.max(s, axis=-1, keepdims=True))
    keep = _o.greater(s, cutoff)
    inv_s = _o.where(keep, _o.divide(1.0, _o.where(keep, s, 1.0)), 0.0)
    return _o.matmul(_c.swapaxes(vh, -1, -2),
                     _o.multiply(_o.expand_dims(inv_s, -1), _c.swapaxes(u, -1, -2)))


def matrix_rank(x, tol=None):
    x = _c._floating(x)
    m, n = _rows_cols(x)
    s = _o.svd(x, compute_uv=False)
    if tol is None:
        tol = _o.multiply(_o.max(s, axis=-1, keepdims=True), max(m, n) * _EPS[_o.dtype(x)])
    else:  # a scalar, or one per matrix of the batch
        tol = _o.expand_dims(_o.cast(_c._tensors(tol, s)[0], _o.dtype(s)), -1)
    return _o.sum(_o.cast(_o.greater(s, tol), "int32"), axis=-1)


def lstsq(a, b, rcond=None):
    """The minimum-norm x minimising |a @ x - b| (a 2-D, b 1-D or 2-D), via the SVD."""
    a, b = (_c._floating(v) for v in _c._tensors(a, b))
    if _o.ndim(a) != 2:
        raise ValueError(f"Expected a to have rank 2. Received: a.shape={_o.shape(a)}")
    if _o.ndim(b) not in (1, 2) or _o.shape(b)[0] != _o.shape(a)[0]:
        raise ValueError("Expected b of rank 1 or 2 with b.shape[0] == a.shape[0]. "
                         f"Received: a.shape={_o.shape(a)}, b.shape={_o.shape(b)}")
    m, n = _o.shape(a)
    if rcond is None:
        rcond = max(m, n) * _EPS[_o.dtype(a)]
    u, s, vh = _o.svd(a, full_matrices=False)
    keep = _o.greater_equal(s, _o.multiply(rcond, _o.max(s)))
    inv_s = _o.where(keep, _o.divide(1.0, _o.where(keep, s, 1.0)), 0.0)
    vector = _o.ndim(b) == 1
    b = _o.expand_dims(b, -1) if vector else b
    ub = _o.multiply(_o.expand_dims(inv_s, -1), _o.matmul(_c.swapaxes(u, 0, 1), b))
    x = _o.matmul(_c.swapaxes(vh, 0, 1), ub)
    return _o.squeeze(x, axis=-1) if vector else x


# ---------------------------------------------------------------- windows and spectra

def kaiser(x, beta):
    m = int(x)
    if m <= 1:
        return _o.ones((max(m, 0),), config.floatx())
    t = _o.subtract(_o.divide(_o.multiply(_o.cast(_o.arange(0, m), config.floatx()), 2.0),
                              float(m - 1)), 1.0)
    arg = _o.multiply(float(beta), _o.sqrt(_o.maximum(_o.subtract(1.0, _o.square(t)), 0.0)))
    return _o.divide(_o.i0(arg), _o.i0(_o.convert_to_tensor(float(beta), config.floatx())))


def _stft_window(window, sequence_length, fft_length, dtype, like):
    """The window padded to fft_length (centred), as Keras's backends build it; string
    windows are SciPy's periodic 'hann' / 'hamming'."""
    if window is None:
        return _o.ones((fft_length,), dtype)
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError(f"Expected window 'hann', 'hamming', None or a tensor. "
                             f"Received: window={window!r}")
        a = 0.5 if window == "hann" else 0.54
        n = _o.cast(_c._maker(like).arange(0, sequence_length, 1, "int32"), dtype)
        win = _o.subtract(a, _o.multiply(1 - a, _o.cos(_o.multiply(n, 2 * math.pi
                                                                      / sequence_length))))
    else:
        win = _o.cast(_c._tensors(window, like)[0], dtype)
        if _o.shape(win) != (sequence_length,):
            raise ValueError(f"Expected a window of shape ({sequence_length},). Received: "
                             f"shape={_o.shape(win)}")
    left = (fft_length - sequence_length) // 2
    return _o.pad(win, [[left, fft_length - sequence_length - left]])


def _frame_starts(like, count, stride, fft_length):
    make = _c._maker(like)
    return _o.add(_o.reshape(_o.multiply(make.arange(0, count, 1, "int32"), stride), (-1, 1)),
                  _o.reshape(make.arange(0, fft_length, 1, "int32"), (1, -1)))


def _check_stft(sequence_length, sequence_stride, fft_length):
    if not isinstance(sequence_stride, int) or sequence_stride <= 0:
        raise ValueError(f"Expected a positive int sequence_stride. Received: "
                         f"sequence_stride={sequence_stride!r}")
    if fft_length < sequence_length:
        raise ValueError(f"Expected fft_length >= sequence_length. Received: "
                         f"sequence_length={sequence_length}, fft_length={fft_length}")


def stft(x, sequence_length, sequence_stride, fft_length, window="hann", center=True):
    """(real, imag) of the windowed frames' rfft, shape (..., frames, fft_length // 2 + 1)."""
    _check_stft(sequence_length, sequence_stride, fft_length)
    x = _o.convert_to_tensor(x)
    if _o.dtype(x) not in ("float32", "float64"):
        raise TypeError(f"Expected a float32 or float64 input. Received: dtype={_o.dtype(x)}")
    if center:
        half = fft_length // 2
        x = _o.pad(x, [[0, 0]] * (_o.ndim(x) - 1) + [[half, half]], mode="reflect")
    count = 1 + (_o.shape(x)[-1] - fft_length) // sequence_stride
    frames = _o.take(x, _frame_starts(x, count, sequence_stride, fft_length), axis=-1)
    win = _stft_window(window, sequence_length, fft_length, _o.dtype(x), x)
    return _o.rfft(_o.multiply(frames, win), fft_length=fft_length)


def istft(x, sequence_length, sequence_stride, fft_length, length=None, window="hann",
          center=True):
    """The signal whose stft is x = (real, imag): frames' irfft, windowed, overlap-added
    and divided by the overlap-added squared window (SciPy's istft, Keras's scaling)."""
    _check_stft(sequence_length, sequence_stride, fft_length)
    real = _o.convert_to_tensor(x[0]) if isinstance(x, (tuple, list)) else None
    if real is not None and _o.ndim(real) < 2:
        raise ValueError(f"Expected (real, imag) of rank >= 2. Received: "
                         f"shape={_o.shape(real)}")
    frames = _o.irfft(x, fft_length=fft_length)
    dtype, lead = _o.dtype(frames), _o.shape(frames)[:-2]
    count = _o.shape(frames)[-2]
    win = _stft_window(window, sequence_length, fft_length, dtype, frames)
    total = fft_length + sequence_stride * (count - 1)
    ids = _c.ravel(_frame_starts(frames, count, sequence_stride, fft_length))
    windowed = _o.reshape(_o.multiply(frames, win), lead + (count * fft_length,))
    moved = _c.moveaxis(windowed, -1, 0)
    added = _c.moveaxis(_o.segment_sum(moved, ids, num_segments=total), 0, -1)
    norm = _o.segment_sum(_o.reshape(_o.broadcast_to(_o.square(win), (count, fft_length)),
                                     (-1,)), ids, num_segments=total)
    out = _o.divide(added, _o.where(_o.greater(norm, 1e-10), norm, 1.0))
    if window is None:  # Keras's scaling without a window
        out = _o.multiply(out, fft_length / sequence_stride)
    start = fft_length // 2 if center else 0
    end = start + length if length is not None else (
        total - fft_length // 2 if center else total)
    return _o.take(out, _c._maker(out).arange(start, end, 1, "int32"), axis=-1)


def histogram(x, bins=10, range=None):
    """(counts, bin_edges) of 1-D x over bins equal bins of range (default x's min and
    max); the last bin includes its right edge, values outside range are not counted."""
    if not isinstance(bins, int) or bins < 0:
        raise ValueError(f"Expected a non-negative int bins. Received: bins={bins!r}")
    x = _c._floating(x)
    if _o.ndim(x) != 1:
        raise ValueError(f"Expected a 1-D input. Received: shape={_o.shape(x)}")
    if range is None:
        low, high = _o.min(x), _o.max(x)
    else:
        if len(range) != 2 or range[0] > range[1]:
            raise ValueError(f"Expected range (min, max) with min <= max. Received: "
                             f"range={range!r}")
        low, high = (_o.convert_to_tensor(float(v), _o.dtype(x)) for v in range)
    same = _o.equal(low, high)  # a zero-width range widens by 0.5 each side, as numpy
    low, high = _o.where(same, _o.subtract(low, 0.5), low), _o.where(same, _o.add(high, 0.5), high)
    edges = _c.linspace(low, high, bins + 1)
    index = _o.subtract(_c.searchsorted(edges, x, side="right"), 1)
    index = _o.where(_o.equal(x, high), bins - 1, index)
    inside = _o.logical_and(_o.greater_equal(x, low), _o.less_equal(x, high))
    hits = _o.multiply(_o.one_hot(_o.clip(index, 0, max(bins - 1, 0)), bins, dtype=_o.dtype(x)),
                       _o.expand_dims(_o.cast(inside, _o.dtype(x)), -1))
    return _o.sum(hits, axis=0), edges


# ---------------------------------------------------------------- NaN-skipping statistics

def _nan_filled(x, value):
    x = _o.convert_to_tensor(x)
    return (_o.where(_o.isnan(x), value, x), True) if _o.dtype(x) in _c._FLOATS else (x, False)


def _nan_arg(pick, fill, x, axis, keepdims):
    filled, floating = _nan_filled(x, fill)
    out = pick(filled, axis=axis)
    if floating:  # an all-NaN slice gives -1, as jax.numpy
        out = _o.where(_o.all(_o.isnan(x), axis=axis), -1, out)
    out = _o.cast(out, "int32")
    if keepdims:
        for a in (range(_o.ndim(x)) if axis is None else [_c._axis(axis, _o.ndim(x))]):
            out = _o.expand_dims(out, a)
    return out


def nanargmax(x, axis=None, keepdims=False):
    return _nan_arg(_o.argmax, float("-inf"), x, axis, keepdims)


def nanargmin(x, axis=None, keepdims=False):
    return _nan_arg(_o.argmin, float("inf"), x, axis, keepdims)


def nancumsum(x, axis=None, dtype=None):
    x = _nan_filled(x, 0.0)[0]
    return _o.cumsum(x if dtype is None else _o.cast(x, dtype), axis=axis)


def nancumprod(x, axis=None, dtype=None):
    x = _nan_filled(x, 1.0)[0]
    return _o.cumprod(x if dtype is None else _o.cast(x, dtype), axis=axis)


_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def nanquantile(x, q, axis=None, method="linear", keepdims=False):
    """numpy.nanquantile: the quantiles of the non-NaN entries (NaN for an all-NaN slice)."""
    if method not in _METHODS:
        raise ValueError(f"Expected method among {_METHODS}. Received: method={method!r}")
    x = _c._floating(x)
    ndim, dtype = _o.ndim(x), _o.dtype(x)
    axes = list(range(ndim)) if axis is None else sorted(
        _c._axis(a, ndim) for a in (axis if isinstance(axis, (list, tuple)) else [axis]))
    rest = [a for a in range(ndim) if a not in axes]
    shape = _o.shape(x)
    size = [shape[a] for a in axes]
    tail = -1 if None in size else math.prod(size)  # symbolic tensors: unknown sizes
    moved = _o.reshape(_o.transpose(x, rest + axes),
                       [-1 if shape[a] is None else shape[a] for a in rest] + [tail])
    ordered = _o.sort(moved, axis=-1)  # NaNs sort last on every engine
    valid = _o.sum(_o.cast(_o.logical_not(_o.isnan(moved)), dtype), axis=-1, keepdims=True)
    q = _o.cast(_c._tensors(q, x)[0], dtype)
    scalar_q = _o.ndim(q) == 0
    qs = _o.reshape(q, (-1,) + (1,) * len(rest) + (1,))
    pos = _o.multiply(qs, _o.maximum(_o.subtract(valid, 1.0), 0.0))
    low, high = _o.floor(pos), _o.ceil(pos)
    if method == "nearest":
        low = high = _o.round(pos)
    elif method == "lower":
        high = low
    elif method == "higher":
        low = high
    count = _o.shape(ordered)[-1]
    tiled = _o.expand_dims(ordered, 0)  # take_along_axis broadcasts it over the quantiles

    def at(p):
        return _o.take_along_axis(tiled, _o.cast(_o.clip(p, 0, count - 1), "int32"), axis=-1)

    lo, hi = at(low), at(high)
    frac = 0.5 if method == "midpoint" else _o.subtract(pos, low)
    out = _o.add(lo, _o.multiply(_o.subtract(hi, lo), frac))
    out = _o.where(_o.equal(valid, 0.0), float("nan"), out)
    out = _o.squeeze(out, axis=-1)
    if keepdims:  # out is (quantiles, *rest): the reduced axes come back as size 1
        for a in axes:
            out = _o.expand_dims(out, a + 1)
    return _o.squeeze(out, axis=0) if scalar_q else out


def nanpercentile(x, q, axis=None, method="linear", keepdims=False):
    return nanquantile(x, _o.divide(_c._tensors(q, x)[0], 100.0), axis=axis, method=method,
                       keepdims=keepdims)


def nanmedian(x, axis=None, keepdims=False):
    return nanquantile(x, 0.5, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- vectorize

def _parse_signature(signature):
    def dims(side):
        side = side.replace(" ", "")
        if not (side.startswith("(") and side.endswith(")")):
            raise ValueError(f"Expected a signature such as '(m,n),(n)->(m)'. Received: "
                             f"signature={signature!r}")
        return [tuple(d for d in part.split(",") if d) for part in side[1:-1].split("),(")]
    if "->" not in signature:
        raise ValueError(f"Expected a signature such as '(m,n),(n)->(m)'. Received: "
                         f"signature={signature!r}")
    ins, outs = signature.split("->")
    return dims(ins), dims(outs)


def vectorize(pyfunc, *, excluded=None, signature=None):
    """numpy.vectorize over engine tensors: pyfunc applied to each element (or, with a
    signature such as '(n),(n)->()', each core block) of the broadcast loop axes, one call
    per position (as ops.vectorized_map), results stacked. excluded: positional indices
    or keyword names passed through unchanged; keyword arguments are never vectorized."""
    excluded = set(excluded or ())
    cores, out_cores = _parse_signature(signature) if signature else (None, None)

    def wrapped(*args, **kwargs):
        slots = [i for i in range(len(args)) if i not in excluded]
        arrays = _c._tensors(*[args[i] for i in slots]) if slots else []
        core = cores or [()] * len(arrays)
        if len(core) != len(arrays):
            raise ValueError(f"Expected {len(core)} vectorized arguments for "
                             f"signature={signature!r}. Received: {len(arrays)}")
        loops = [_o.shape(a)[:_o.ndim(a) - len(c)] for a, c in zip(arrays, core)]
        loop = _broadcast(loops)
        n = math.prod(loop)
        flat = [_o.reshape(_o.broadcast_to(a, loop + _o.shape(a)[len(s):]),
                           (n,) + _o.shape(a)[len(s):]) for a, s in zip(arrays, loops)]

        def one(parts):
            call = list(args)
            for i, p in zip(slots, parts):
                call[i] = p
            return pyfunc(*call, **kwargs)

        out = _nn.map(one, tuple(flat))
        if isinstance(out, (tuple, list)):
            return type(out)(_o.reshape(o, loop + _o.shape(o)[1:]) for o in out)
        return _o.reshape(out, loop + _o.shape(out)[1:])

    del out_cores  # outputs keep whatever core shape pyfunc gives
    return wrapped


def _broadcast(shapes):
    rank = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(rank):
        sizes = {s[len(s) - rank + i] for s in shapes if len(s) - rank + i >= 0} - {1}
        if len(sizes) > 1:
            raise ValueError(f"Expected loop shapes that broadcast. Received: {shapes}")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


COMPOSED = sorted(n for n, v in dict(globals()).items()
                  if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__)
