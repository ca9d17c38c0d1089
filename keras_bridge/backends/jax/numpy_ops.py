"""More of numpy for the JAX op table (Keras 3's keras.ops): trigonometry, sorting,
triangles and diagonals, padding, splitting, segments, slices and scatters, and the
control-flow ops (lax.cond / switch / while_loop, so they trace under jax.jit).
Imported into ``ops.py``; dtype rules are that module's."""

import builtins

import jax
import jax.numpy as jnp
import numpy as np


def _ops():
    from keras_bridge.backends.jax import ops  # imports this module: no cycle at import
    return ops


def _t(x):
    return x if isinstance(x, jax.Array) else _ops().convert_to_tensor(x)


def _float(x):
    from keras_bridge.backends.jax.ops import _float as helper
    return helper(x)


def _operands(*xs):
    from keras_bridge.backends.jax.ops import _operands as helper
    return helper(*xs)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def _dtype_name(dtype):
    from keras_bridge.backends.jax.ops import _dtype_name as helper
    return helper(dtype)


def _unary_float(fn, name):
    def op(x):
        return fn(_float(x))
    op.__name__ = op.__qualname__ = name
    return op


arccos = _unary_float(jnp.arccos, "arccos")
arcsin = _unary_float(jnp.arcsin, "arcsin")
arctan = _unary_float(jnp.arctan, "arctan")
arccosh = _unary_float(jnp.arccosh, "arccosh")
arcsinh = _unary_float(jnp.arcsinh, "arcsinh")
arctanh = _unary_float(jnp.arctanh, "arctanh")
tan = _unary_float(jnp.tan, "tan")
sinh = _unary_float(jnp.sinh, "sinh")
cosh = _unary_float(jnp.cosh, "cosh")
erf = _unary_float(jax.scipy.special.erf, "erf")
erfinv = _unary_float(jax.scipy.special.erfinv, "erfinv")


def arctan2(x1, x2):
    a, b = _operands(x1, x2)
    a = _float(a)
    return jnp.arctan2(a, _float(b).astype(a.dtype))


def fmod(x1, x2):
    return jnp.fmod(*_operands(x1, x2))


def trunc(x):
    return jnp.trunc(_t(x))


def isnan(x):
    return jnp.isnan(_t(x))


def isinf(x):
    return jnp.isinf(_t(x))


def isfinite(x):
    return jnp.isfinite(_t(x))


def signbit(x):
    return jnp.signbit(_t(x))


# ---------------------------------------------------------------- sorting

def sort(x, axis=-1):
    return jnp.sort(_t(x), axis=axis, stable=True)


def argsort(x, axis=-1):
    return jnp.argsort(_t(x), axis=axis, stable=True).astype("int32")


def top_k(x, k, sorted=True, is_stable=True):
    values, indices = jax.lax.top_k(_t(x), int(k))
    return values, indices.astype("int32")


def take_along_axis(x, indices, axis=None):
    return jnp.take_along_axis(_t(x), _t(indices), axis=axis, mode="clip")


# ---------------------------------------------------------------- triangles, diagonals

def tril(x, k=0):
    return jnp.tril(_t(x), k=int(k))


def triu(x, k=0):
    return jnp.triu(_t(x), k=int(k))


def diagonal(x, offset=0, axis1=0, axis2=1):
    return jnp.diagonal(_t(x), offset=int(offset), axis1=axis1, axis2=axis2)


def diag(x, k=0):
    x = _t(x)
    if x.ndim not in (1, 2):
        raise ValueError(f"Expected a 1-D or 2-D input to diag. Received: shape={tuple(x.shape)}")
    return jnp.diag(x, k=int(k))


def roll(x, shift, axis=None):
    return jnp.roll(_t(x), shift, axis=_axis(axis))


_PAD_MODES = ("constant", "reflect", "symmetric")


def pad(x, pad_width, mode="constant", constant_values=None):
    x = _t(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"Expected pad mode among {_PAD_MODES}. Received: mode={mode!r}")
    pad_width = np.asarray(pad_width, dtype=np.int64).tolist()
    if mode == "constant":
        return jnp.pad(x, pad_width, mode="constant",
                       constant_values=0 if constant_values is None else constant_values)
    if constant_values is not None:
        raise ValueError(f"constant_values is only allowed with mode 'constant'. "
                         f"Received: mode={mode!r}")
    return jnp.pad(x, pad_width, mode=mode)


def nonzero(x):
    return tuple(i.astype("int32") for i in jnp.nonzero(_t(x)))


def split(x, indices_or_sections, axis=0):
    x = _t(x)
    if isinstance(indices_or_sections, (int, np.integer)):
        n, sections = x.shape[axis], int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"Expected sections that divide the axis length {n} equally. "
                             f"Received: indices_or_sections={sections}")
        return jnp.split(x, sections, axis=axis)
    return jnp.split(x, [int(i) for i in indices_or_sections], axis=axis)


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("sparse=True is not supported: keras_bridge has no sparse tensors.")
    x = _t(x)
    if x.ndim != 1:
        raise ValueError(f"Expected a 1-D input to bincount. Received: shape={tuple(x.shape)}")
    w = None if weights is None else _t(weights)
    out = jnp.bincount(x, weights=w, minlength=int(minlength),
                       length=builtins.max(int(jnp.max(x)) + 1 if x.size else 0, int(minlength)))
    return out.astype("int32") if w is None or not jnp.issubdtype(w.dtype, jnp.floating) \
        else out.astype(w.dtype)


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, axis=None, method="linear", keepdims=False):
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"Expected method among {_QUANTILE_METHODS}. Received: method={method!r}")
    x = _float(x)
    q = _t(q).astype(x.dtype)
    return jnp.quantile(x, q, axis=_axis(axis), method=method, keepdims=keepdims)


# ---------------------------------------------------------------- segments

def _num_segments(ids, num_segments):
    return int(jnp.max(ids)) + 1 if num_segments is None else int(num_segments)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    ids = _t(segment_ids)
    return jax.ops.segment_sum(_t(data), ids, _num_segments(ids, num_segments),
                               indices_are_sorted=sorted)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    ids = _t(segment_ids)
    return jax.ops.segment_max(_t(data), ids, _num_segments(ids, num_segments),
                               indices_are_sorted=sorted)


# ---------------------------------------------------------------- slices and scatters

def slice(inputs, start_indices, shape):
    return jax.lax.dynamic_slice(_t(inputs), [_t(s) if not isinstance(s, int) else s
                                              for s in start_indices], tuple(int(n) for n in shape))


def slice_update(inputs, start_indices, updates):
    x = _t(inputs)
    return jax.lax.dynamic_update_slice(x, _t(updates).astype(x.dtype),
                                        [_t(s) if not isinstance(s, int) else s
                                         for s in start_indices])


def _scatter_index(indices):
    idx = _t(indices)
    if idx.ndim == 1:
        idx = idx[:, None]
    return tuple(idx[:, i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape):
    v = _t(values)
    return jnp.zeros(tuple(int(s) for s in shape), v.dtype).at[_scatter_index(indices)].add(v)


_REDUCTIONS = ("add", "mul", "max", "min")


def scatter_update(inputs, indices, updates, reduction=None):
    x = _t(inputs)
    u = _t(updates).astype(x.dtype)
    at = x.at[_scatter_index(indices)]
    if reduction is None:
        return at.set(u)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Expected reduction None or among {sorted(_REDUCTIONS)}. "
                         f"Received: reduction={reduction!r}")
    return getattr(at, {"mul": "multiply"}.get(reduction, reduction))(u)


# ---------------------------------------------------------------- control flow

def _concrete(v):
    try:
        return np.asarray(v)
    except jax.errors.TracerArrayConversionError:
        return None


def cond(pred, true_fn, false_fn):
    value = _concrete(pred)
    if value is not None:  # a known predicate runs one branch, as Python would
        return true_fn() if bool(value) else false_fn()
    return jax.lax.cond(pred, true_fn, false_fn)


def switch(index, branches, *operands):
    value = _concrete(index)
    if value is not None:
        i = builtins.min(builtins.max(int(value), 0), len(branches) - 1)
        return branches[i](*operands)
    return jax.lax.switch(index, branches, *operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    packed = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if packed else (loop_vars,)

    def step(s):
        out = body(*s)
        return tuple(out) if isinstance(out, (list, tuple)) else (out,)

    if maximum_iterations is None:
        state = jax.lax.while_loop(lambda s: cond(*s), step, state)
    else:
        def counted(c):
            return jnp.logical_and(c[0] < maximum_iterations, cond(*c[1]))
        _, state = jax.lax.while_loop(counted, lambda c: (c[0] + 1, step(c[1])), (0, state))
    return type(loop_vars)(state) if packed else state[0]


def dtype(x):
    return _dtype_name(_t(x).dtype)


# ---------------------------------------------------------------- linear algebra

def inv(x):
    return jnp.linalg.inv(_float(x))


def det(x):
    return jnp.linalg.det(_float(x))


def solve(a, b):
    a, b = (_float(v) for v in _operands(a, b))
    if b.ndim == a.ndim - 1:  # a vector right-hand side, as numpy and torch read it
        return jnp.linalg.solve(a, b.astype(a.dtype)[..., None])[..., 0]
    return jnp.linalg.solve(a, b.astype(a.dtype))


def cholesky(x, upper=False):
    low = jnp.linalg.cholesky(_float(x))
    return jnp.swapaxes(low, -1, -2) if upper else low


# ---------------------------------------------------------------- integer bit operations

def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    ids = _t(segment_ids)
    return jax.ops.segment_prod(_t(data), ids, _num_segments(ids, num_segments),
                                indices_are_sorted=sorted)


def bitwise_and(x, y):
    return jnp.bitwise_and(*_operands(x, y))


def bitwise_or(x, y):
    return jnp.bitwise_or(*_operands(x, y))


def bitwise_xor(x, y):
    return jnp.bitwise_xor(*_operands(x, y))


def bitwise_not(x):
    return jnp.bitwise_not(_t(x))


def bitwise_left_shift(x, y):
    return jnp.left_shift(*_operands(x, y))


def bitwise_right_shift(x, y):
    return jnp.right_shift(*_operands(x, y))


def gcd(x1, x2):
    return jnp.gcd(*_operands(x1, x2))


def lcm(x1, x2):
    return jnp.lcm(*_operands(x1, x2))


__all__ = [n for n in dir() if not n.startswith("_") and n not in ("builtins", "jax", "jnp", "np")]
