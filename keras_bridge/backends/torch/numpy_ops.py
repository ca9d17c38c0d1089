"""More of numpy for the torch op table (Keras 3's keras.ops): trigonometry, sorting,
triangles and diagonals, padding, splitting, segments, slices and scatters, and the
control-flow ops. Imported into ``ops.py``; dtype rules are that module's."""

import builtins

import numpy as np
import torch
import torch.nn.functional as F


def _ops():
    from keras_bridge.backends.torch import ops  # imports this module: no cycle at import
    return ops


def _t(x):
    return x if isinstance(x, torch.Tensor) else _ops().convert_to_tensor(x)


def _float(x):
    from keras_bridge.backends.torch.ops import _float as helper
    return helper(x)


def _operands(*xs):
    from keras_bridge.backends.torch.ops import _operands as helper
    return helper(*xs)


def _axes(axis, ndim):
    from keras_bridge.backends.torch.ops import _axes as helper
    return helper(axis, ndim)


def _unary_float(fn, name):
    def op(x):
        return fn(_float(x))
    op.__name__ = op.__qualname__ = name
    return op


arccos = _unary_float(torch.arccos, "arccos")
arcsin = _unary_float(torch.arcsin, "arcsin")
arctan = _unary_float(torch.arctan, "arctan")
arccosh = _unary_float(torch.arccosh, "arccosh")
arcsinh = _unary_float(torch.arcsinh, "arcsinh")
arctanh = _unary_float(torch.arctanh, "arctanh")
tan = _unary_float(torch.tan, "tan")
sinh = _unary_float(torch.sinh, "sinh")
cosh = _unary_float(torch.cosh, "cosh")
erf = _unary_float(torch.erf, "erf")
erfinv = _unary_float(torch.erfinv, "erfinv")


def arctan2(x1, x2):
    a, b = _operands(x1, x2)
    return torch.atan2(_float(a), _float(b).to(_float(a).dtype))


def fmod(x1, x2):
    a, b = _operands(x1, x2)
    return torch.fmod(a, b)


def trunc(x):
    x = _t(x)
    return torch.trunc(x) if x.is_floating_point() else x


def isnan(x):
    return torch.isnan(_t(x))


def isinf(x):
    return torch.isinf(_t(x))


def isfinite(x):
    return torch.isfinite(_t(x))


def signbit(x):
    x = _t(x)
    return torch.signbit(x) if x.dtype != torch.bool else torch.zeros_like(x)


# ---------------------------------------------------------------- sorting

def _flat_or(x, axis):
    x = _t(x)
    if axis is None:
        return x.reshape(-1), 0
    return x, _axes(axis, x.dim())[0]


def sort(x, axis=-1):
    x, axis = _flat_or(x, axis)
    return torch.sort(x, dim=axis, stable=True).values


def argsort(x, axis=-1):
    x, axis = _flat_or(x, axis)
    if x.dtype == torch.bool:
        x = x.to(torch.uint8)
    return torch.argsort(x, dim=axis, stable=True).to(torch.int32)


def top_k(x, k, sorted=True, is_stable=True):
    x = _t(x)
    # A stable descending sort keeps equal values in index order, as JAX's top_k does.
    order = torch.sort(x, dim=-1, descending=True, stable=True)
    return order.values[..., :k], order.indices[..., :k].to(torch.int32)


def _index(indices, device):
    idx = indices if isinstance(indices, torch.Tensor) else torch.as_tensor(np.asarray(indices))
    return idx.to(device=device, dtype=torch.int64)


def take_along_axis(x, indices, axis=None):
    x = _t(x)
    idx = _index(indices, x.device)
    if axis is None:
        x, axis = x.reshape(-1), 0
    axis = _axes(axis, x.dim())[0]
    idx = torch.where(idx < 0, idx + x.shape[axis], idx)
    shape = [builtins.max(a, b) for a, b in zip(x.shape, idx.shape)]  # numpy broadcasts
    shape[axis] = x.shape[axis]
    x = x.expand(shape)
    ishape = list(shape)
    ishape[axis] = idx.shape[axis]
    return torch.gather(x, axis, idx.expand(ishape))


# ---------------------------------------------------------------- triangles, diagonals

def tril(x, k=0):
    return torch.tril(_t(x), diagonal=int(k))


def triu(x, k=0):
    return torch.triu(_t(x), diagonal=int(k))


def diagonal(x, offset=0, axis1=0, axis2=1):
    return torch.diagonal(_t(x), offset=int(offset), dim1=axis1, dim2=axis2)


def diag(x, k=0):
    x = _t(x)
    if x.dim() not in (1, 2):
        raise ValueError(f"Expected a 1-D or 2-D input to diag. Received: shape={tuple(x.shape)}")
    return torch.diag(x, diagonal=int(k))


def roll(x, shift, axis=None):
    x = _t(x)
    if axis is None:
        return torch.roll(x.reshape(-1), shift).reshape(x.shape)
    return torch.roll(x, shift, dims=axis)


_PAD_MODES = ("constant", "reflect", "symmetric")


def _pad_pairs(pad_width, ndim):
    pw = np.asarray(pad_width, dtype=np.int64)
    if pw.ndim < 2:
        pw = np.broadcast_to(pw.reshape(-1)[:2] if pw.size > 1 else pw.reshape(1), (2,)) \
            if pw.size <= 2 else pw
    return [tuple(int(v) for v in p) for p in np.broadcast_to(pw, (ndim, 2))]


def pad(x, pad_width, mode="constant", constant_values=None):
    x = _t(x)
    if mode not in _PAD_MODES:
        raise ValueError(f"Expected pad mode among {_PAD_MODES}. Received: mode={mode!r}")
    pairs = _pad_pairs(pad_width, x.dim())
    if mode == "constant":
        flat = [v for p in reversed(pairs) for v in p]
        value = 0 if constant_values is None else constant_values
        return F.pad(x, flat, mode="constant", value=value)
    if constant_values is not None:
        raise ValueError(f"constant_values is only allowed with mode 'constant'. "
                         f"Received: mode={mode!r}")
    for axis, (before, after) in enumerate(pairs):  # one axis at a time, by indexing
        n = x.shape[axis]
        if mode == "reflect":
            left = torch.arange(before, 0, -1)
            right = torch.arange(n - 2, n - 2 - after, -1)
        else:
            left = torch.arange(before - 1, -1, -1)
            right = torch.arange(n - 1, n - 1 - after, -1)
        idx = torch.cat([left, torch.arange(n), right]).to(x.device)
        x = torch.index_select(x, axis, idx)
    return x


def nonzero(x):
    return tuple(i.to(torch.int32) for i in torch.nonzero(_t(x), as_tuple=True))


def split(x, indices_or_sections, axis=0):
    x = _t(x)
    axis = _axes(axis, x.dim())[0]
    n = x.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        sections = int(indices_or_sections)
        if sections <= 0 or n % sections:
            raise ValueError(f"Expected sections that divide the axis length {n} equally. "
                             f"Received: indices_or_sections={sections}")
        return list(torch.split(x, n // sections, dim=axis))
    bounds = [0] + [builtins.min(builtins.max(int(i), 0), n) for i in indices_or_sections] + [n]
    return [x.narrow(axis, a, builtins.max(b - a, 0)) for a, b in zip(bounds, bounds[1:])]


def bincount(x, weights=None, minlength=0, sparse=False):
    if sparse:
        raise ValueError("sparse=True is not supported: keras_bridge has no sparse tensors.")
    x = _t(x)
    if x.dim() != 1:
        raise ValueError(f"Expected a 1-D input to bincount. Received: shape={tuple(x.shape)}")
    w = None if weights is None else _t(weights).to(x.device)
    out = torch.bincount(x.to(torch.int64), weights=w, minlength=int(minlength))
    return out.to(torch.int32) if w is None else out.to(w.dtype if w.is_floating_point() else torch.int32)


_QUANTILE_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x, q, axis=None, method="linear", keepdims=False):
    if method not in _QUANTILE_METHODS:
        raise ValueError(f"Expected method among {_QUANTILE_METHODS}. Received: method={method!r}")
    x = _float(x)
    q = _t(q).to(device=x.device, dtype=x.dtype)
    if axis is None:
        out = torch.quantile(x.reshape(-1), q, interpolation=method)
        return out.reshape(q.shape + (1,) * x.dim()) if keepdims else out
    axes = _axes(axis, x.dim())
    rest = [a for a in range(x.dim()) if a not in axes]
    moved = x.permute(rest + list(axes)).reshape([x.shape[a] for a in rest] + [-1])
    out = torch.quantile(moved, q, dim=-1, interpolation=method)
    if keepdims:
        out = out.reshape(tuple(q.shape) + tuple(1 if a in axes else x.shape[a] for a in range(x.dim())))
    return out


# ---------------------------------------------------------------- segments

def _num_segments(ids, num_segments):
    return int(ids.max().item()) + 1 if num_segments is None else int(num_segments)


def segment_sum(data, segment_ids, num_segments=None, sorted=False):
    data = _t(data)
    ids = _index(segment_ids, data.device)
    n = _num_segments(ids, num_segments)
    out = torch.zeros((n,) + tuple(data.shape[1:]), dtype=data.dtype, device=data.device)
    return out.index_add(0, ids, data)


def _reduce_rows(out, rows, src, how):
    """out with src's rows combined into rows ``rows`` (scatter_reduce, stable API)."""
    index = rows.reshape((-1,) + (1,) * (src.dim() - 1)).expand(src.shape)
    return out.scatter_reduce(0, index, src, reduce=how, include_self=True)


def segment_max(data, segment_ids, num_segments=None, sorted=False):
    data = _t(data)
    ids = _index(segment_ids, data.device)
    n = _num_segments(ids, num_segments)
    low = torch.finfo(data.dtype).min if data.is_floating_point() else torch.iinfo(data.dtype).min
    out = torch.full((n,) + tuple(data.shape[1:]), low, dtype=data.dtype, device=data.device)
    out = _reduce_rows(out, ids, data, "amax")
    if data.is_floating_point():  # empty segments: -inf, as JAX gives
        hit = torch.zeros(n, dtype=torch.bool, device=data.device).index_fill(0, ids, True)
        out = torch.where(hit.reshape((n,) + (1,) * (data.dim() - 1)), out,
                          torch.tensor(float("-inf"), dtype=data.dtype, device=data.device))
    return out


# ---------------------------------------------------------------- slices and scatters

def _starts(start_indices):
    if isinstance(start_indices, torch.Tensor):
        return [int(v) for v in start_indices.tolist()]
    return [int(v) for v in start_indices]


def slice(inputs, start_indices, shape):
    x = _t(inputs)
    index = tuple(builtins.slice(s, s + int(n)) for s, n in zip(_starts(start_indices), shape))
    return x[index]


def slice_update(inputs, start_indices, updates):
    x = _t(inputs)
    u = _t(updates).to(dtype=x.dtype, device=x.device)
    index = tuple(builtins.slice(s, s + n) for s, n in zip(_starts(start_indices), u.shape))
    out = x.clone()
    out[index] = u
    return out


def _scatter_index(indices, device):
    idx = _index(indices, device)
    if idx.dim() == 1:
        idx = idx[:, None]
    return tuple(idx[:, i] for i in range(idx.shape[-1]))


def scatter(indices, values, shape):
    v = _t(values)
    out = torch.zeros(tuple(int(s) for s in shape), dtype=v.dtype, device=v.device)
    return out.index_put(_scatter_index(indices, v.device), v, accumulate=True)


_REDUCTIONS = {"add": "sum", "mul": "prod", "max": "amax", "min": "amin"}


def scatter_update(inputs, indices, updates, reduction=None):
    x = _t(inputs)
    u = _t(updates).to(dtype=x.dtype, device=x.device)
    index = _scatter_index(indices, x.device)
    if reduction is None:
        return x.index_put(index, u)
    if reduction not in _REDUCTIONS:
        raise ValueError(f"Expected reduction None or among {sorted(_REDUCTIONS)}. "
                         f"Received: reduction={reduction!r}")
    if reduction == "add":
        return x.index_put(index, u, accumulate=True)
    # Other reductions on the flattened leading block, one row per index.
    k = len(index)
    lead = x.shape[:k]
    flat = x.reshape((-1,) + tuple(x.shape[k:]))
    strides = torch.tensor(np.cumprod((1,) + tuple(lead[::-1]))[:-1][::-1].copy(), device=x.device)
    rows = builtins.sum(i * s for i, s in zip(index, strides))
    out = _reduce_rows(flat, rows, u.reshape((-1,) + tuple(x.shape[k:])), _REDUCTIONS[reduction])
    return out.reshape(x.shape)


# ---------------------------------------------------------------- control flow (eager)

def _truth(pred):
    if isinstance(pred, torch.Tensor):
        return bool(pred.item())
    return bool(np.asarray(pred))


def cond(pred, true_fn, false_fn):
    return true_fn() if _truth(pred) else false_fn()


def switch(index, branches, *operands):
    i = int(index.item()) if isinstance(index, torch.Tensor) else int(index)
    i = builtins.min(builtins.max(i, 0), len(branches) - 1)
    return branches[i](*operands)


def while_loop(cond, body, loop_vars, maximum_iterations=None):
    packed = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if packed else (loop_vars,)
    steps = 0
    while (maximum_iterations is None or steps < maximum_iterations) and _truth(cond(*state)):
        state = body(*state)
        state = tuple(state) if isinstance(state, (list, tuple)) else (state,)
        steps += 1
    if not packed:
        return state[0]
    return type(loop_vars)(state)


def dtype(x):
    from keras_bridge.backends.torch.ops import _NAMES as names
    return names[_t(x).dtype]


# ---------------------------------------------------------------- linear algebra

def inv(x):
    return torch.linalg.inv(_float(x))


def det(x):
    return torch.linalg.det(_float(x))


def solve(a, b):
    a, b = (_float(v) for v in _operands(a, b))
    return torch.linalg.solve(a, b.to(a.dtype))


def cholesky(x, upper=False):
    return torch.linalg.cholesky(_float(x), upper=bool(upper))


# ---------------------------------------------------------------- integer bit operations

def segment_prod(data, segment_ids, num_segments=None, sorted=False):
    data = _t(data)
    ids = _index(segment_ids, data.device)
    out = torch.ones((_num_segments(ids, num_segments),) + tuple(data.shape[1:]),
                     dtype=data.dtype, device=data.device)
    return _reduce_rows(out, ids, data, "prod")


def bitwise_and(x, y):
    return torch.bitwise_and(*_operands(x, y))


def bitwise_or(x, y):
    return torch.bitwise_or(*_operands(x, y))


def bitwise_xor(x, y):
    return torch.bitwise_xor(*_operands(x, y))


def bitwise_not(x):
    return torch.bitwise_not(_t(x))


def bitwise_left_shift(x, y):
    return torch.bitwise_left_shift(*_operands(x, y))


def bitwise_right_shift(x, y):
    return torch.bitwise_right_shift(*_operands(x, y))


def gcd(x1, x2):
    return torch.gcd(*_operands(x1, x2))


def lcm(x1, x2):
    return torch.lcm(*_operands(x1, x2))


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "builtins", "np", "torch", "F")]
