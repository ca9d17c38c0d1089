"""Keras 3 ops that are compositions of the engine ops, written once for every engine.

Each is numpy's (or Keras's) definition in terms of ``keras_bridge.ops``, so it runs on
any engine, traces under jax.jit and, given symbolic tensors, records its pieces as
graph nodes. Signatures are Keras 3's (``keras/src/ops/{numpy,nn,math,core}.py``).
"""

import math

from keras_bridge import backends, config
from keras_bridge.ops import dispatch as _o

_FLOATS = ("float16", "bfloat16", "float32", "float64")


def _floating(x):
    x = _o.convert_to_tensor(x)
    return x if _o.dtype(x) in _FLOATS else _o.cast(x, config.floatx())


def _tensors(*xs):
    """xs as tensors of one engine: numpy / Python values join the engine of the others
    (an op given a jax array and numpy data must not make a torch tensor of the data)."""
    engine = _o.engine_name_of(*xs)
    convert = (backends.get(engine).ops.convert_to_tensor
               if engine is not None and engine != _o.SYMBOLIC else _o.convert_to_tensor)
    return [x if _o.engine_name_of(x) is not None else convert(x) for x in xs]


def _maker(*xs):
    """The op table that makes new tensors (arange, eye, ...) on the engine of xs, so a
    constant built inside a composition joins its inputs' engine."""
    engine = _o.engine_name_of(*xs)
    return backends.get(engine).ops if engine is not None and engine != _o.SYMBOLIC else _o


def _axis(axis, ndim):
    if not -ndim <= axis < ndim:
        raise ValueError(f"Expected an axis in [{-ndim}, {ndim}). Received: axis={axis}")
    return axis % ndim


# ---------------------------------------------------------------- aliases

def absolute(x):
    return _o.abs(x)


def fabs(x):
    return _o.abs(_floating(x))


def true_divide(x1, x2):
    return _o.divide(x1, x2)


def amax(x, axis=None, keepdims=False):
    return _o.max(x, axis=axis, keepdims=keepdims)


def amin(x, axis=None, keepdims=False):
    return _o.min(x, axis=axis, keepdims=keepdims)


def swish(x):
    return _o.silu(x)


def is_tensor(x):
    """Whether x is an engine tensor (numpy arrays and Python values are not)."""
    name = _o.engine_name_of(x)
    return name is not None and name != _o.SYMBOLIC


# ---------------------------------------------------------------- shape

def swapaxes(x, axis1, axis2):
    n = _o.ndim(x)
    perm = list(range(n))
    a, b = _axis(axis1, n), _axis(axis2, n)
    perm[a], perm[b] = perm[b], perm[a]
    return _o.transpose(x, perm)


def moveaxis(x, source, destination):
    n = _o.ndim(x)
    source = [source] if isinstance(source, int) else list(source)
    destination = [destination] if isinstance(destination, int) else list(destination)
    if len(source) != len(destination):
        raise ValueError("Expected as many destination axes as source axes. Received: "
                         f"source={source}, destination={destination}")
    source = [_axis(a, n) for a in source]
    destination = [_axis(a, n) for a in destination]
    order = [a for a in range(n) if a not in source]
    for dst, src in sorted(zip(destination, source)):
        order.insert(dst, src)
    return _o.transpose(x, order)


def ravel(x):
    return _o.reshape(x, (-1,))


def size(x):
    return math.prod(_o.shape(x))


def hstack(xs):
    return _o.concatenate(xs, axis=0 if _o.ndim(xs[0]) == 1 else 1)


def vstack(xs):
    return _o.concatenate([_o.reshape(x, (1, -1)) if _o.ndim(x) < 2 else x for x in xs], axis=0)


def column_stack(xs):
    return _o.concatenate([_o.reshape(x, (-1, 1)) if _o.ndim(x) < 2 else x for x in xs], axis=1)


def fliplr(x):
    return _o.flip(x, axis=1)


def flipud(x):
    return _o.flip(x, axis=0)


def unstack(x, num=None, axis=0):
    n = _o.shape(x)[axis]
    if num is not None and num != n:
        raise ValueError(f"Expected num={n} (the length of axis {axis}). Received: num={num}")
    return [_o.squeeze(p, axis=axis) for p in _o.split(x, n, axis=axis)]


def diff(a, n=1, axis=-1):
    for _ in range(n):
        length = _o.shape(a)[axis]
        a = _o.subtract(_o.take(a, _o.arange(1, length), axis=axis),
                        _o.take(a, _o.arange(0, length - 1), axis=axis))
    return a


# ---------------------------------------------------------------- creation

def full_like(x, fill_value, dtype=None):
    return _o.full(_o.shape(x), fill_value, dtype=dtype or _o.dtype(x))


def identity(n, dtype=None):
    return _o.eye(n, dtype=dtype or config.floatx())


def tri(N, M=None, k=0, dtype=None):
    return _o.tril(_o.ones((N, N if M is None else M), dtype=dtype or config.floatx()), k=k)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    if num < 0:
        raise ValueError(f"Expected num >= 0. Received: num={num}")
    start, stop = (_floating(v) for v in _tensors(start, stop))
    ref = _o.add(start, stop)  # broadcast shape of the end points
    tail = _o.shape(ref)
    steps = max(num - 1, 1) if endpoint else max(num, 1)
    step = _o.divide(_o.subtract(stop, start), float(steps))
    make = _maker(ref)
    index = _o.reshape(make.arange(0, num, 1, _o.dtype(ref)), (num,) + (1,) * len(tail))
    out = _o.add(start, _o.multiply(index, step))
    if endpoint and num > 1:  # the last point exactly, as numpy
        last = _o.reshape(_o.equal(make.arange(0, num, 1, "int32"), num - 1),
                          (num,) + (1,) * len(tail))
        out = _o.where(last, _o.broadcast_to(stop, _o.shape(out)), out)
    if axis != 0:
        out = moveaxis(out, 0, axis)
    if dtype is not None:
        out = _o.cast(out, dtype)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    out = _o.power(float(base), linspace(start, stop, num, endpoint=endpoint, axis=axis))
    return out if dtype is None else _o.cast(out, dtype)


def meshgrid(*x, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Expected indexing 'xy' or 'ij'. Received: indexing={indexing!r}")
    xs = [ravel(v) for v in x]
    shape = [_o.shape(v)[0] for v in xs]
    if indexing == "xy" and len(xs) > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, v in enumerate(xs):
        where_ = i if indexing == "ij" or len(xs) < 2 or i > 1 else 1 - i
        view = [1] * len(xs)
        view[where_] = -1
        out.append(_o.broadcast_to(_o.reshape(v, view), shape))
    return out


# ---------------------------------------------------------------- elementwise math

def log2(x):
    return _o.divide(_o.log(x), math.log(2.0))


def log10(x):
    return _o.divide(_o.log(x), math.log(10.0))


def exp2(x):
    return _o.exp(_o.multiply(_floating(x), math.log(2.0)))


def reciprocal(x):
    return _o.divide(1.0, _floating(x))


def rsqrt(x):
    return _o.divide(1.0, _o.sqrt(x))


def cbrt(x):
    x = _floating(x)
    return _o.multiply(_o.sign(x), _o.power(_o.abs(x), 1.0 / 3.0))


def deg2rad(x):
    return _o.multiply(_floating(x), math.pi / 180.0)


def rad2deg(x):
    return _o.multiply(_floating(x), 180.0 / math.pi)


def hypot(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return _o.sqrt(_o.add(_o.square(_floating(x1)), _o.square(_floating(x2))))


def logaddexp(x1, x2):
    x1, x2 = (_floating(v) for v in _tensors(x1, x2))
    top = _o.maximum(x1, x2)
    return _o.add(top, _o.log1p(_o.exp(_o.negative(_o.abs(_o.subtract(x1, x2))))))


def logical_xor(x1, x2):
    return _o.not_equal(_o.cast(x1, "bool"), _o.cast(x2, "bool"))


def isclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    x1, x2 = (_floating(v) for v in _tensors(x1, x2))
    near = _o.less_equal(_o.abs(_o.subtract(x1, x2)), _o.add(atol, _o.multiply(rtol, _o.abs(x2))))
    out = _o.logical_or(near, _o.equal(x1, x2))  # equal infinities
    if equal_nan:
        out = _o.logical_or(out, _o.logical_and(_o.isnan(x1), _o.isnan(x2)))
    return out


def allclose(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return _o.all(isclose(x1, x2, rtol=rtol, atol=atol, equal_nan=equal_nan))


# ---------------------------------------------------------------- reductions and products

def ptp(x, axis=None, keepdims=False):
    return _o.subtract(_o.max(x, axis=axis, keepdims=keepdims),
                       _o.min(x, axis=axis, keepdims=keepdims))


def count_nonzero(x, axis=None):
    return _o.sum(_o.cast(_o.not_equal(x, 0), "int32"), axis=axis)


def average(x, axis=None, weights=None):
    if weights is None:
        return _o.mean(x, axis=axis)
    x, weights = (_floating(v) for v in _tensors(x, weights))
    if _o.ndim(weights) == 1 and _o.ndim(x) > 1:
        if axis is None:
            raise ValueError("Expected an axis for 1-D weights of an N-D input. Received: "
                             "axis=None")
        view = [1] * _o.ndim(x)
        view[_axis(axis, _o.ndim(x))] = -1
        weights = _o.reshape(weights, view)
    weights = _o.broadcast_to(weights, _o.shape(x))
    return _o.divide(_o.sum(_o.multiply(x, weights), axis=axis), _o.sum(weights, axis=axis))


def trace(x, offset=0, axis1=0, axis2=1):
    return _o.sum(_o.diagonal(x, offset=offset, axis1=axis1, axis2=axis2), axis=-1)


def outer(x1, x2):
    return _o.multiply(_o.reshape(x1, (-1, 1)), _o.reshape(x2, (1, -1)))


def vdot(x1, x2):
    return _o.sum(_o.multiply(ravel(x1), ravel(x2)))


def inner(x1, x2):
    if _o.ndim(x1) == 0 or _o.ndim(x2) == 0:
        return _o.multiply(x1, x2)
    return _o.tensordot(x1, x2, axes=([_o.ndim(x1) - 1], [_o.ndim(x2) - 1]))


def digitize(x, bins):
    """Index of the bin of each x (numpy.digitize for increasing bins, right=False)."""
    return _o.sum(_o.cast(_o.greater_equal(_o.expand_dims(x, -1), ravel(bins)), "int32"),
                  axis=-1)


def percentile(x, q, axis=None, method="linear", keepdims=False):
    return _o.quantile(x, _o.divide(q, 100.0), axis=axis, method=method, keepdims=keepdims)


def median(x, axis=None, keepdims=False):
    return _o.quantile(x, 0.5, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------- control flow

def fori_loop(lower, upper, body_fun, init_val):
    def body(i, value):
        return _o.add(i, 1), body_fun(i, value)
    return _o.while_loop(lambda i, value: _o.less(i, upper), body, (lower, init_val))[1]


# ---------------------------------------------------------------- more of numpy

def array(x, dtype=None):
    return _o.convert_to_tensor(x, dtype=dtype)


def copy(x):
    x = _o.convert_to_tensor(x)
    return _o.reshape(_o.take(ravel(x), _o.arange(size(x))), _o.shape(x))


def empty(shape, dtype=None):
    return _o.zeros(shape, dtype=dtype or config.floatx())


def empty_like(x, dtype=None):
    return _o.zeros_like(x, dtype=dtype)


def dstack(xs):
    def at_least_3d(x):
        n = _o.ndim(x)
        return _o.reshape(x, (1, -1, 1)) if n < 2 else _o.expand_dims(x, -1) if n == 2 else x
    return _o.concatenate([at_least_3d(x) for x in xs], axis=2)


def array_split(x, indices_or_sections, axis=0):
    if not isinstance(indices_or_sections, int):
        return _o.split(x, indices_or_sections, axis=axis)
    n, sections = _o.shape(x)[axis], indices_or_sections
    if sections <= 0:
        raise ValueError(f"Expected a positive number of sections. Received: "
                         f"indices_or_sections={sections}")
    size, extra = divmod(n, sections)  # the first `extra` pieces get one more, as numpy
    bounds, at = [], 0
    for i in range(sections - 1):
        at += size + (1 if i < extra else 0)
        bounds.append(at)
    return _o.split(x, bounds, axis=axis)


def hsplit(x, indices_or_sections):
    return _o.split(x, indices_or_sections, axis=0 if _o.ndim(x) == 1 else 1)


def vsplit(x, indices_or_sections):
    return _o.split(x, indices_or_sections, axis=0)


def dsplit(x, indices_or_sections):
    return _o.split(x, indices_or_sections, axis=2)


def divide_no_nan(x1, x2):
    x1, x2 = _tensors(x1, x2)
    zero = _o.equal(x2, 0)
    return _o.where(zero, 0.0, _o.divide(x1, _o.where(zero, 1, x2)))


def fmax(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return _o.where(_o.isnan(x1), x2, _o.where(_o.isnan(x2), x1, _o.maximum(x1, x2)))


def fmin(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return _o.where(_o.isnan(x1), x2, _o.where(_o.isnan(x2), x1, _o.minimum(x1, x2)))


def isneginf(x):
    return _o.logical_and(_o.isinf(x), _o.less(x, 0))


def isposinf(x):
    return _o.logical_and(_o.isinf(x), _o.greater(x, 0))


def erfc(x):
    return _o.subtract(1.0, _o.erf(x))


def sinc(x):
    x = _floating(x)
    px = _o.multiply(x, math.pi)
    zero = _o.equal(x, 0)
    return _o.where(zero, 1.0, _o.divide(_o.sin(px), _o.where(zero, 1.0, px)))


def heaviside(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return _o.where(_o.less(x1, 0), 0.0, _o.where(_o.greater(x1, 0), 1.0, _floating(x2)))


def kron(x1, x2):
    x1, x2 = _tensors(x1, x2)
    n = max(_o.ndim(x1), _o.ndim(x2))
    a = _o.reshape(x1, (1,) * (n - _o.ndim(x1)) + tuple(_o.shape(x1)))
    b = _o.reshape(x2, (1,) * (n - _o.ndim(x2)) + tuple(_o.shape(x2)))
    sa, sb = _o.shape(a), _o.shape(b)
    # a[i] * b[j] on interleaved axes (i0, j0, i1, j1, ...), then merged pairwise.
    a = _o.reshape(a, [d for s in sa for d in (s, 1)])
    b = _o.reshape(b, [d for s in sb for d in (1, s)])
    return _o.reshape(_o.multiply(a, b), [p * q for p, q in zip(sa, sb)])


def rot90(array, k=1, axes=(0, 1)):
    a0, a1 = axes
    if _axis(a0, _o.ndim(array)) == _axis(a1, _o.ndim(array)):
        raise ValueError(f"Expected two different axes. Received: axes={axes}")
    k %= 4
    if k == 0:
        return array
    if k == 2:
        return _o.flip(_o.flip(array, axis=a0), axis=a1)
    if k == 1:
        return swapaxes(_o.flip(array, axis=a1), a0, a1)
    return _o.flip(swapaxes(array, a0, a1), axis=a1)


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    x = _o.convert_to_tensor(x)
    if _o.dtype(x) not in _FLOATS:
        return x
    info = {"float16": 65504.0, "bfloat16": 3.3895313892515355e38,
            "float32": 3.4028234663852886e38, "float64": 1.7976931348623157e308}[_o.dtype(x)]
    x = _o.where(_o.isnan(x), nan, x)
    x = _o.where(isposinf(x), info if posinf is None else posinf, x)
    return _o.where(isneginf(x), -info if neginf is None else neginf, x)


def _nan_fill(x, value):
    x = _o.convert_to_tensor(x)
    return _o.where(_o.isnan(x), value, x) if _o.dtype(x) in _FLOATS else x


def nansum(x, axis=None, keepdims=False):
    return _o.sum(_nan_fill(x, 0.0), axis=axis, keepdims=keepdims)


def nanprod(x, axis=None, keepdims=False):
    return _o.prod(_nan_fill(x, 1.0), axis=axis, keepdims=keepdims)


def nanmax(x, axis=None, keepdims=False):
    return _o.max(_nan_fill(x, float("-inf")), axis=axis, keepdims=keepdims)


def nanmin(x, axis=None, keepdims=False):
    return _o.min(_nan_fill(x, float("inf")), axis=axis, keepdims=keepdims)


def nanmean(x, axis=None, keepdims=False):
    x = _floating(x)
    count = _o.sum(_o.cast(_o.logical_not(_o.isnan(x)), _o.dtype(x)), axis=axis, keepdims=keepdims)
    return _o.divide(nansum(x, axis=axis, keepdims=keepdims), count)


def nanvar(x, axis=None, keepdims=False):
    x = _floating(x)
    centred = _o.subtract(x, nanmean(x, axis=axis, keepdims=True))
    return nanmean(_o.square(centred), axis=axis, keepdims=keepdims)


def nanstd(x, axis=None, keepdims=False):
    return _o.sqrt(nanvar(x, axis=axis, keepdims=keepdims))


def logaddexp2(x1, x2):
    ln2 = math.log(2.0)
    return _o.divide(logaddexp(_o.multiply(_floating(x1), ln2), _o.multiply(_floating(x2), ln2)),
                     ln2)


def ldexp(x1, x2):
    x1, x2 = _tensors(x1, x2)
    return _o.multiply(_floating(x1), exp2(x2))


def select(condlist, choicelist, default=0):
    if len(condlist) != len(choicelist):
        raise ValueError("Expected as many conditions as choices. Received: "
                         f"{len(condlist)} conditions, {len(choicelist)} choices")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):  # the first match wins
        out = _o.where(cond, choice, out)
    return _o.convert_to_tensor(out)


def geomspace(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    start, stop = (_floating(v) for v in _tensors(start, stop))
    out = _o.exp(linspace(_o.log(start), _o.log(stop), num, endpoint=endpoint, axis=axis))
    return out if dtype is None else _o.cast(out, dtype)


def searchsorted(sorted_sequence, values, side="left"):
    if side not in ("left", "right"):
        raise ValueError(f"Expected side 'left' or 'right'. Received: side={side!r}")
    values, seq = _tensors(values, sorted_sequence)
    compare = _o.less if side == "left" else _o.less_equal
    return _o.sum(_o.cast(compare(seq, _o.expand_dims(values, -1)), "int32"), axis=-1)


def isin(x1, x2, assume_unique=False, invert=False):
    x1, x2 = _tensors(x1, x2)
    found = _o.any(_o.equal(_o.expand_dims(x1, -1), ravel(x2)), axis=-1)
    return _o.logical_not(found) if invert else found


def unravel_index(indices, shape):
    indices = _o.convert_to_tensor(indices)
    out = []
    for d in reversed(shape):
        out.append(_o.mod(indices, d))
        indices = _o.floor_divide(indices, d)
    return tuple(reversed(out))


def trapezoid(y, x=None, dx=1.0, axis=-1):
    y = _floating(y)
    n = _o.shape(y)[axis]
    left = _o.take(y, _o.arange(0, n - 1), axis=axis)
    right = _o.take(y, _o.arange(1, n), axis=axis)
    width = dx if x is None else diff(_floating(x), axis=axis if _o.ndim(x) > 1 else -1)
    if x is not None and _o.ndim(x) == 1 and _o.ndim(y) > 1:
        view = [1] * _o.ndim(y)
        view[_axis(axis, _o.ndim(y))] = -1
        width = _o.reshape(width, view)
    return _o.sum(_o.multiply(_o.multiply(_o.add(left, right), 0.5), width), axis=axis)


def cross(x1, x2, axisa=-1, axisb=-1, axisc=-1, axis=None):
    if axis is not None:
        axisa = axisb = axisc = axis
    x1, x2 = _tensors(x1, x2)
    a, b = moveaxis(x1, axisa, -1), moveaxis(x2, axisb, -1)
    if _o.shape(a)[-1] != 3 or _o.shape(b)[-1] != 3:
        raise ValueError("Expected vectors of length 3 along the cross-product axes. "
                         f"Received: shapes {_o.shape(x1)} and {_o.shape(x2)}")
    a0, a1, a2 = unstack(a, axis=-1)
    b0, b1, b2 = unstack(b, axis=-1)
    sub, mul = _o.subtract, _o.multiply
    out = _o.stack([sub(mul(a1, b2), mul(a2, b1)), sub(mul(a2, b0), mul(a0, b2)),
                    sub(mul(a0, b1), mul(a1, b0))], axis=-1)
    return moveaxis(out, -1, axisc)


def bitwise_invert(x):
    return _o.bitwise_not(x)


def left_shift(x, y):
    return _o.bitwise_left_shift(x, y)


def right_shift(x, y):
    return _o.bitwise_right_shift(x, y)


def get_item(x, key):
    """x[key] with numpy's basic indexing (ints, slices, None, Ellipsis)."""
    return _o.convert_to_tensor(x)[key]


def diagflat(x, k=0):
    return _o.diag(ravel(x), k=k)


def vander(x, N=None, increasing=False):
    x = _o.convert_to_tensor(x)
    if _o.ndim(x) != 1:
        raise ValueError(f"Expected a 1-D input to vander. Received: shape={_o.shape(x)}")
    n = _o.shape(x)[0] if N is None else N
    powers = _maker(x).arange(0, n, 1, "int32")
    if not increasing:
        powers = _o.flip(powers, axis=0)
    return _o.power(_o.expand_dims(x, -1), _o.cast(powers, _o.dtype(x)))


def corrcoef(x):
    """Pearson correlation of the rows of x (variables in rows, observations in columns)."""
    x = _floating(x)
    if _o.ndim(x) == 1:
        x = _o.reshape(x, (1, -1))
    centred = _o.subtract(x, _o.mean(x, axis=1, keepdims=True))
    cov = _o.matmul(centred, _o.transpose(centred))
    d = _o.sqrt(_o.diagonal(cov))
    out = _o.divide(_o.divide(cov, _o.expand_dims(d, 1)), _o.expand_dims(d, 0))
    return _o.clip(out, -1.0, 1.0)


def _window(x, fn):
    m = int(x)
    if m < 1:
        return _o.zeros((0,), config.floatx())
    if m == 1:
        return _o.ones((1,), config.floatx())
    n = _o.cast(_o.arange(0, m), config.floatx())
    return fn(_o.divide(n, float(m - 1)))


def hamming(x):
    return _window(x, lambda t: _o.subtract(0.54, _o.multiply(0.46, _o.cos(_o.multiply(t, 2 * math.pi)))))


def hanning(x):
    return _window(x, lambda t: _o.subtract(0.5, _o.multiply(0.5, _o.cos(_o.multiply(t, 2 * math.pi)))))


def blackman(x):
    return _window(x, lambda t: _o.add(
        _o.subtract(0.42, _o.multiply(0.5, _o.cos(_o.multiply(t, 2 * math.pi)))),
        _o.multiply(0.08, _o.cos(_o.multiply(t, 4 * math.pi)))))


def bartlett(x):
    return _window(x, lambda t: _o.subtract(1.0, _o.abs(_o.subtract(_o.multiply(t, 2.0), 1.0))))


COMPOSED = sorted(n for n, v in dict(globals()).items()
                  if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__)
