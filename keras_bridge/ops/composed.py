"""Keras 3 ops that are compositions of the engine ops, written once for every engine.

Each is numpy's (or Keras's) definition in terms of ``keras_bridge.ops``, so it runs on
any engine, traces under jax.jit and, given symbolic tensors, records its pieces as
graph nodes. Signatures are Keras 3's (``keras/src/ops/{numpy,nn,math,core}.py``).
"""

import math

from keras_bridge import backends, config
from keras_bridge import ops as _o

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
    index = _o.reshape(_o.cast(_o.arange(num), _o.dtype(ref)), (num,) + (1,) * len(tail))
    out = _o.add(start, _o.multiply(index, step))
    if endpoint and num > 1:  # the last point exactly, as numpy
        last = _o.reshape(_o.arange(num) == num - 1, (num,) + (1,) * len(tail))
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


# ---------------------------------------------------------------- neural network functions

def relu6(x):
    return _o.clip(_floating(x), 0.0, 6.0)


def hard_silu(x):
    x = _floating(x)
    return _o.multiply(x, _o.hard_sigmoid(x))


hard_swish = hard_silu


def log_sigmoid(x):
    return _o.negative(_o.softplus(_o.negative(_floating(x))))


def celu(x, alpha=1.0):
    x = _floating(x)
    return _o.add(_o.relu(x), _o.minimum(0.0, _o.multiply(alpha, _o.expm1(_o.divide(x, alpha)))))


def glu(x, axis=-1):
    if _o.shape(x)[axis] % 2:
        raise ValueError(f"Expected an even size of axis {axis} for glu. Received: "
                         f"shape={_o.shape(x)}")
    a, b = _o.split(x, 2, axis=axis)
    return _o.multiply(a, _o.sigmoid(b))


def hard_tanh(x):
    return _o.clip(_floating(x), -1.0, 1.0)


def hard_shrink(x, threshold=0.5):
    x = _floating(x)
    return _o.where(_o.greater(_o.abs(x), threshold), x, 0.0)


def soft_shrink(x, threshold=0.5):
    x = _floating(x)
    return _o.where(_o.greater(x, threshold), _o.subtract(x, threshold),
                    _o.where(_o.less(x, -threshold), _o.add(x, threshold), 0.0))


def tanh_shrink(x):
    x = _floating(x)
    return _o.subtract(x, _o.tanh(x))


def squareplus(x, b=4):
    x = _floating(x)
    return _o.divide(_o.add(x, _o.sqrt(_o.add(_o.square(x), float(b)))), 2.0)


def sparse_plus(x):
    x = _floating(x)
    middle = _o.divide(_o.square(_o.add(x, 1.0)), 4.0)
    return _o.where(_o.less_equal(x, -1.0), 0.0, _o.where(_o.greater_equal(x, 1.0), x, middle))


def sparse_sigmoid(x):
    x = _floating(x)
    middle = _o.multiply(_o.add(x, 1.0), 0.5)
    return _o.where(_o.less_equal(x, -1.0), 0.0, _o.where(_o.greater_equal(x, 1.0), 1.0, middle))


def threshold(x, threshold, default_value):
    return _o.where(_o.greater(x, threshold), x, default_value)


def normalize(x, axis=-1, order=2, epsilon=None):
    if not isinstance(order, int) or order < 1:
        raise ValueError(f"Expected an int order >= 1. Received: order={order!r}")
    x = _floating(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    if order == 2:
        squares = _o.sum(_o.square(x), axis=axis, keepdims=True)
        return _o.multiply(x, rsqrt(_o.maximum(squares, epsilon * epsilon)))
    norm = _o.power(_o.sum(_o.power(_o.abs(x), float(order)), axis=axis, keepdims=True),
                    1.0 / order)
    return _o.divide(x, _o.maximum(norm, epsilon))


def _same_shape(target, output):
    if tuple(_o.shape(target)) != tuple(_o.shape(output)):
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={_o.shape(target)}, output.shape={_o.shape(output)}")


def binary_crossentropy(target, output, from_logits=False):
    target, output = (_floating(v) for v in _tensors(target, output))
    _same_shape(target, output)
    if from_logits:
        return _o.add(_o.multiply(target, _o.softplus(_o.negative(output))),
                      _o.multiply(_o.subtract(1.0, target), _o.softplus(output)))
    eps = config.epsilon()
    output = _o.clip(output, eps, 1.0 - eps)
    return _o.negative(_o.add(_o.multiply(target, _o.log(output)),
                              _o.multiply(_o.subtract(1.0, target),
                                          _o.log(_o.subtract(1.0, output)))))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = (_floating(v) for v in _tensors(target, output))
    _same_shape(target, output)
    if _o.ndim(target) < 1:
        raise ValueError("Arguments `target` and `output` must be at least rank 1. Received: "
                         f"target.shape={_o.shape(target)}")
    if from_logits:
        log_prob = _o.log_softmax(output, axis=axis)
    else:
        eps = config.epsilon()
        output = _o.divide(output, _o.sum(output, axis=axis, keepdims=True))
        log_prob = _o.log(_o.clip(output, eps, 1.0 - eps))
    return _o.negative(_o.sum(_o.multiply(target, log_prob), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    target, output = _tensors(target, output)
    output = _floating(output)
    if _o.ndim(target) == _o.ndim(output) and _o.shape(target)[-1] == 1:
        target = _o.squeeze(target, axis=-1)
    if tuple(_o.shape(target)) != tuple(_o.shape(output)[:-1]):
        raise ValueError("Expected target.shape == output.shape[:-1]. Received: "
                         f"target.shape={_o.shape(target)}, output.shape={_o.shape(output)}")
    hot = _o.one_hot(_o.cast(target, "int32"), _o.shape(output)[axis], dtype=_o.dtype(output))
    return categorical_crossentropy(hot, output, from_logits=from_logits, axis=axis)


def in_top_k(targets, predictions, k):
    targets, predictions = _tensors(targets, predictions)
    predictions = _floating(predictions)
    at_label = _o.take_along_axis(predictions, _o.expand_dims(_o.cast(targets, "int32"), -1),
                                  axis=-1)
    at_label = _o.where(_o.isnan(at_label), float("-inf"), at_label)
    rank = _o.add(1, _o.sum(_o.cast(_o.greater(predictions, at_label), "int32"), axis=-1))
    return _o.less_equal(rank, k)


COMPOSED = sorted(n for n, v in dict(globals()).items()
                  if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__)
