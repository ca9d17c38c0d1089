"""The torch op table behind ``keras_bridge.ops`` (see ``keras_bridge.backends.contract.OPS``).

Semantics are numpy's, with Keras's dtype rules so that both engines agree: values
made from Python or numpy data default to floatx / int32, Python scalars combine
with tensors the way JAX's weakly typed scalars do (float32 tensor + 2.0 stays
float32), and integer sums keep their width instead of widening to int64.
"""

import builtins

import numpy as np
import torch
import torch.nn.functional as F

from keras_bridge.backends.nn_checks import concrete_noise_shape
from keras_bridge.backends.torch import small_tensors
from keras_bridge.backends.torch.conv_ops import average_pool, conv, conv_transpose  # noqa: F401
from keras_bridge.backends.torch.conv_ops import depthwise_conv, max_pool, separable_conv  # noqa: F401
from keras_bridge.backends.torch.nn_ops import batch_normalization, moments, scan  # noqa: F401
from keras_bridge.backends.torch.functional_ops import (  # noqa: F401
    adaptive_average_pool, adaptive_max_pool, custom_gradient_call, fold, jvp, unfold)
from keras_bridge.backends.torch.nn_ops import dot_product_attention  # noqa: F401
from keras_bridge.backends.torch.random import generator_for
from keras_bridge.backends.torch.tensors import current_device, host_to_device

_DTYPES = {
    "bool": torch.bool,
    "uint8": torch.uint8,
    "int8": torch.int8,
    "int16": torch.int16,
    "int32": torch.int32,
    "int64": torch.int64,
    "float16": torch.float16,
    "bfloat16": torch.bfloat16,
    "float32": torch.float32,
    "float64": torch.float64,
    "complex64": torch.complex64,
    "complex128": torch.complex128,
}
_NAMES = {v: k for k, v in _DTYPES.items()}
_SMALL_INTS = (torch.bool, torch.uint8, torch.int8, torch.int16)
_PY_SCALARS = (bool, int, float)


def _floatx():
    try:
        from keras_bridge import config
    except ImportError:  # the backend used on its own
        return "float32"
    return config.floatx()


def _dtype_name(dtype):
    if isinstance(dtype, torch.dtype):
        name = _NAMES.get(dtype)
    elif dtype is float or (isinstance(dtype, str) and dtype == "float"):
        name = _floatx()
    elif dtype is int or (isinstance(dtype, str) and dtype == "int"):
        name = "int32"
    elif dtype is bool:
        name = "bool"
    elif isinstance(dtype, str):
        name = dtype
    else:
        try:
            name = np.dtype(dtype).name  # numpy, jax and ml_dtypes dtypes
        except TypeError:
            name = None
    if name not in _DTYPES:
        raise ValueError(f"Expected a dtype name among {sorted(_DTYPES)}. Received: dtype={dtype!r}")
    return name


def _torch_dtype(dtype):
    if dtype is None or isinstance(dtype, torch.dtype):
        return dtype
    return _DTYPES[_dtype_name(dtype)]


def _default_dtype(np_dtype):
    """Keras's defaults for data with no requested dtype: float64 -> floatx, int64 -> int32."""
    if np_dtype == np.float64:
        return _DTYPES[_floatx()]
    if np_dtype == np.int64:
        return torch.int32
    if np_dtype.name == "bfloat16":
        return torch.bfloat16
    return None  # keep numpy's dtype


def _from_numpy(x, dtype, device):
    if dtype is None:
        dtype = _default_dtype(np.asarray(x).dtype)
    return host_to_device(x, device, dtype)


def convert_to_tensor(x, dtype=None):
    """Existing tensors keep their device; new ones go to ``current_device()``."""
    dtype = _torch_dtype(dtype)
    if isinstance(x, torch.Tensor):
        return x if dtype is None or x.dtype == dtype else x.to(dtype)
    if type(x) in _PY_SCALARS:
        if dtype is None:
            dtype = torch.bool if type(x) is bool else torch.int32 if type(x) is int else _DTYPES[_floatx()]
        return torch.tensor(x, dtype=dtype, device=current_device())
    if isinstance(x, (list, tuple)) and builtins.any(isinstance(e, torch.Tensor) for e in x):
        return stack([convert_to_tensor(e, dtype) for e in x])
    return _from_numpy(x, dtype, current_device())


def _t(x):
    return x if isinstance(x, torch.Tensor) else convert_to_tensor(x)


def _float(x):
    """x as a floating tensor (integers and booleans become floatx)."""
    x = _t(x)
    if x.is_floating_point() or x.is_complex():
        return x
    return x.to(_DTYPES[_floatx()])


def _scalar_like(v, ref):
    """A Python scalar as a tensor typed the way JAX types a weak scalar next to ``ref``."""
    if type(v) is bool:
        dtype = torch.bool
    elif type(v) is int:
        dtype = torch.int32 if ref.dtype == torch.bool else ref.dtype
    elif ref.is_floating_point() or ref.is_complex():
        dtype = ref.dtype
    else:
        dtype = _DTYPES[_floatx()]
    return torch.tensor(v, dtype=dtype, device=ref.device)


def _scalar_is_native(v, ref):
    """Whether torch's own scalar promotion already gives the JAX-like result."""
    if type(v) is float:
        return ref.is_floating_point() or ref.is_complex() or (
            ref.dtype != torch.bool and torch.get_default_dtype() == _DTYPES[_floatx()])
    return type(v) is bool or ref.dtype != torch.bool


def _operands(*xs, scalars=False):
    """Engine tensors for mixed operands, typed as Keras would.

    numpy floats next to a floating tensor take that tensor's dtype, so a float64
    array never upcasts a float32 model. With ``scalars`` Python scalars that torch
    already promotes correctly are passed through as they are (no device copy).
    """
    xs = list(xs)
    if builtins.all(type(x) is torch.Tensor for x in xs):  # the usual case: no conversion
        return xs
    if not builtins.any(isinstance(x, torch.Tensor) for x in xs):
        xs = [x if type(x) in _PY_SCALARS else convert_to_tensor(x) for x in xs]
        if not builtins.any(isinstance(x, torch.Tensor) for x in xs):
            return [convert_to_tensor(x) for x in xs]
    ref = None
    for x in xs:
        if isinstance(x, torch.Tensor):
            if x.is_floating_point():
                ref = x
                break
            if ref is None:
                ref = x
    out = []
    for x in xs:
        if isinstance(x, torch.Tensor):
            out.append(x)
        elif type(x) in _PY_SCALARS:
            out.append(x if scalars and _scalar_is_native(x, ref) else _scalar_like(x, ref))
        else:
            arr = np.asarray(x)
            floaty = arr.dtype.kind == "f" or arr.dtype.name == "bfloat16"
            dtype = ref.dtype if floaty and ref.is_floating_point() else None
            out.append(_from_numpy(arr, dtype, ref.device))
    return out


def _promoted(*xs):
    """Operands cast to one dtype, for kernels (matmul, einsum) that do not promote."""
    ts = _operands(*xs)
    dtype = ts[0].dtype
    for t in ts[1:]:
        dtype = torch.promote_types(dtype, t.dtype)
    return [t if t.dtype == dtype else t.to(dtype) for t in ts]


def _axes(axis, ndim):
    """Normalized non-negative axes; None means all of them."""
    if axis is None:
        return tuple(range(ndim))
    if not isinstance(axis, (list, tuple)):
        axis = (axis,)
    out = []
    for a in axis:
        a = int(a)
        if not -ndim <= a < ndim:
            raise np.exceptions.AxisError(a, ndim)
        out.append(a % ndim)
    return tuple(out)


def _sum_dtype(dtype):
    # JAX's rule (as Keras follows it): small integers accumulate in int32, others keep width.
    return torch.int32 if dtype in _SMALL_INTS else dtype


def _shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    # A symbolic size (torch.export's dynamic batch) stays symbolic: int() would fix it
    # to the sample's value.
    return tuple(s if isinstance(s, torch.SymInt) else int(s) for s in shape)


# ---------------------------------------------------------------- creation and conversion

def convert_to_numpy(x):
    if not isinstance(x, torch.Tensor):
        return np.asarray(x)
    x = x.detach()
    if x.dtype == torch.bfloat16:
        try:
            import ml_dtypes
        except ImportError:
            return x.to(torch.float32).cpu().numpy()
        return x.cpu().view(torch.int16).numpy().view(ml_dtypes.bfloat16)
    return x.cpu().numpy()


def cast(x, dtype):
    return convert_to_tensor(x, dtype)


def zeros(shape, dtype="float32"):
    return torch.zeros(_shape_tuple(shape), dtype=_torch_dtype(dtype), device=current_device())


def ones(shape, dtype="float32"):
    return torch.ones(_shape_tuple(shape), dtype=_torch_dtype(dtype), device=current_device())


def zeros_like(x, dtype=None):
    return torch.zeros_like(_t(x), dtype=_torch_dtype(dtype))


def ones_like(x, dtype=None):
    return torch.ones_like(_t(x), dtype=_torch_dtype(dtype))


def full(shape, fill_value, dtype=None):
    shape = _shape_tuple(shape)
    if type(fill_value) in _PY_SCALARS:
        value = convert_to_tensor(fill_value, dtype)
        return torch.full(shape, fill_value, dtype=value.dtype, device=value.device)
    value = convert_to_tensor(fill_value, dtype)
    return torch.broadcast_to(value, shape).clone()


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floaty = builtins.any(isinstance(v, (float, np.floating)) or (
            isinstance(v, torch.Tensor) and v.is_floating_point()) for v in (start, stop, step))
        dtype = _floatx() if floaty else "int32"
    return torch.arange(start, stop, step, dtype=_torch_dtype(dtype), device=current_device())


def eye(n, m=None, dtype="float32"):
    return torch.eye(n, n if m is None else m, dtype=_torch_dtype(dtype), device=current_device())


# ---------------------------------------------------------------- shape

def shape(x):
    if isinstance(x, torch.Tensor):
        return tuple(x.shape)
    return tuple(int(s) for s in np.shape(x))


def ndim(x):
    return x.dim() if isinstance(x, torch.Tensor) else np.ndim(x)


def reshape(x, newshape):
    return torch.reshape(_t(x), _shape_tuple(newshape))


def transpose(x, axes=None):
    x = _t(x)
    if axes is None:
        return x.permute(tuple(reversed(range(x.dim()))))
    return x.permute(tuple(int(a) for a in axes))


def expand_dims(x, axis):
    x = _t(x)
    if not isinstance(axis, (list, tuple)):
        return torch.unsqueeze(x, int(axis))
    for a in sorted(_axes(axis, x.dim() + len(axis))):
        x = torch.unsqueeze(x, a)
    return x


def squeeze(x, axis=None):
    x = _t(x)
    if axis is None:
        return torch.squeeze(x)
    dims = _axes(axis, x.dim())
    for a in dims:
        if x.shape[a] != 1:  # numpy refuses; torch would silently keep the axis
            raise ValueError(
                f"Cannot squeeze axis {a} of a tensor with shape {tuple(x.shape)}: its size is not 1."
            )
    return torch.squeeze(x, dims)


def concatenate(xs, axis=-1):
    ts = _operands(*xs)
    if axis is None:
        return torch.cat([t.reshape(-1) for t in ts])
    return torch.cat(ts, dim=axis)


def stack(xs, axis=0):
    return torch.stack(_promoted(*xs), dim=axis)


def tile(x, repeats):
    return torch.tile(_t(x), _shape_tuple(repeats))


def repeat(x, repeats, axis=None):
    x = _t(x)
    if not isinstance(repeats, (int, np.integer)):
        repeats = torch.as_tensor(np.asarray(repeats) if not isinstance(repeats, torch.Tensor)
                                  else repeats, dtype=torch.int64, device=x.device)
    return torch.repeat_interleave(x, repeats, dim=axis)


def broadcast_to(x, shape):
    return torch.broadcast_to(_t(x), _shape_tuple(shape))


def take(x, indices, axis=None):
    x = _t(x)
    if isinstance(indices, torch.Tensor):
        idx = indices.to(x.device)
    else:
        idx = torch.as_tensor(np.asarray(indices), device=x.device)
    if idx.is_floating_point():
        idx = idx.to(torch.int64)
    if axis is None:
        return x.reshape(-1)[idx]
    (axis,) = _axes(axis, x.dim())
    return x[(builtins.slice(None),) * axis + (idx,)]


def flip(x, axis=None):
    x = _t(x)
    return torch.flip(x, _axes(axis, x.dim()))


# ---------------------------------------------------------------- elementwise arithmetic

def add(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a + b


def subtract(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a - b


def multiply(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a * b


def divide(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    out = a / b
    # int / int gives torch's default float; Keras gives floatx.
    floatx = _DTYPES[_floatx()]
    if out.dtype != floatx and not builtins.any(
            isinstance(v, torch.Tensor) and (v.is_floating_point() or v.is_complex()) for v in (a, b)):
        out = out.to(floatx)
    return out


def floor_divide(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a // b


def mod(x1, x2):
    # torch.remainder takes the divisor's sign, as numpy's mod does (torch.fmod does not).
    a, b = _operands(x1, x2, scalars=True)
    return a % b


def power(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a ** b


def negative(x):
    return torch.negative(_t(x))


def abs(x):
    return torch.abs(_t(x))


def sign(x):
    return torch.sign(_t(x))


def square(x):
    return torch.square(_t(x))


def sqrt(x):
    return torch.sqrt(_float(x))


def exp(x):
    return torch.exp(_float(x))


def expm1(x):
    return torch.expm1(_float(x))


def log(x):
    return torch.log(_float(x))


def log1p(x):
    return torch.log1p(_float(x))


def sin(x):
    return torch.sin(_float(x))


def cos(x):
    return torch.cos(_float(x))


def tanh(x):
    return torch.tanh(_float(x))


def floor(x):
    return torch.floor(_float(x))  # integers give floats, as in numpy and Keras


def ceil(x):
    return torch.ceil(_float(x))  # integers give floats, as in numpy and Keras


def round(x):
    return torch.round(_t(x))  # torch rounds half to even, like numpy


def maximum(x1, x2):
    return torch.maximum(*_operands(x1, x2))


def minimum(x1, x2):
    return torch.minimum(*_operands(x1, x2))


def clip(x, x_min, x_max):
    if isinstance(x, torch.Tensor) and x.is_floating_point() and \
            type(x_min) in (float, int) and type(x_max) in (float, int):
        return torch.clamp(x, x_min, x_max)  # the common case, without 0-d bound tensors
    given = [b for b in (x_min, x_max) if b is not None]  # numpy allows one open side
    x, *bounds = _operands(x, *given)
    lo = bounds.pop(0) if x_min is not None else None
    hi = bounds[0] if bounds else None
    bounds = [b for b in (lo, hi) if b is not None]
    target = torch.broadcast_shapes(x.shape, *(b.shape for b in bounds))
    if target != x.shape:  # numpy broadcasts x against its bounds; clamp does not
        x = torch.broadcast_to(x, target)
    dtype = x.dtype
    for b in bounds:
        dtype = torch.promote_types(dtype, b.dtype)
    return torch.clamp(x.to(dtype), lo, hi)


def where(condition, x1, x2):
    a, b = _operands(x1, x2)
    if isinstance(condition, torch.Tensor):
        cond = condition
    else:  # next to the values, not on the default device
        cond = _from_numpy(condition, None, (a if a.dim() else b).device)
    if cond.dtype != torch.bool:
        cond = cond != 0
    return torch.where(cond, a, b)


# ---------------------------------------------------------------- comparison and logic

def equal(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return torch.eq(a, b) if isinstance(a, torch.Tensor) else torch.eq(b, a)


def not_equal(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return torch.ne(a, b) if isinstance(a, torch.Tensor) else torch.ne(b, a)


def greater(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a > b


def greater_equal(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a >= b


def less(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a < b


def less_equal(x1, x2):
    a, b = _operands(x1, x2, scalars=True)
    return a <= b


def logical_and(x1, x2):
    return torch.logical_and(*_operands(x1, x2))


def logical_or(x1, x2):
    return torch.logical_or(*_operands(x1, x2))


def logical_not(x):
    return torch.logical_not(_t(x))


# ---------------------------------------------------------------- reductions
# torch reads dim=() as "all axes"; numpy reads axis=() as "none", hence the checks on `dims`.

def sum(x, axis=None, keepdims=False):
    x = _t(x)
    dims = _axes(axis, x.dim())
    out = torch.sum(x, dim=dims, keepdim=keepdims) if dims else x
    dtype = _sum_dtype(x.dtype)
    return out if out.dtype == dtype else out.to(dtype)


def mean(x, axis=None, keepdims=False):
    x = _float(x)
    dims = _axes(axis, x.dim())
    return torch.mean(x, dim=dims, keepdim=keepdims) if dims else x


def max(x, axis=None, keepdims=False):
    x = _t(x)
    dims = _axes(axis, x.dim())
    return torch.amax(x, dim=dims, keepdim=keepdims) if dims else x


def min(x, axis=None, keepdims=False):
    x = _t(x)
    dims = _axes(axis, x.dim())
    return torch.amin(x, dim=dims, keepdim=keepdims) if dims else x


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    dtype = _sum_dtype(x.dtype)
    out = x
    for a in sorted(_axes(axis, x.dim()), reverse=True):  # torch.prod takes one dim at a time
        out = torch.prod(out, dim=a, keepdim=keepdims)
    return out if out.dtype == dtype else out.to(dtype)


def var(x, axis=None, keepdims=False):
    x = _float(x)
    dims = _axes(axis, x.dim())
    if not dims:
        return torch.zeros_like(x)
    return torch.var(x, dim=dims, correction=0, keepdim=keepdims)


def std(x, axis=None, keepdims=False):
    x = _float(x)
    dims = _axes(axis, x.dim())
    if not dims:
        return torch.zeros_like(x)
    return torch.std(x, dim=dims, correction=0, keepdim=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    x = _float(x)
    dims = _axes(axis, x.dim())
    return torch.logsumexp(x, dim=dims, keepdim=keepdims) if dims else x


def _arg_reduce(fn, x, axis):
    x = _t(x)
    if x.dtype == torch.bool:  # torch's argmax/argmin refuse booleans; numpy and JAX do not
        x = x.to(torch.uint8)
    dim = None if axis is None else _axes(axis, x.dim())[0]
    return fn(x, dim=dim).to(torch.int32)  # int32 like JAX and Keras


def argmax(x, axis=None):
    return _arg_reduce(torch.argmax, x, axis)


def argmin(x, axis=None):
    return _arg_reduce(torch.argmin, x, axis)


def any(x, axis=None, keepdims=False):
    x = _t(x)
    x = x if x.dtype == torch.bool else x != 0
    dims = _axes(axis, x.dim())
    return torch.any(x, dim=dims, keepdim=keepdims) if dims else x


def all(x, axis=None, keepdims=False):
    x = _t(x)
    x = x if x.dtype == torch.bool else x != 0
    dims = _axes(axis, x.dim())
    return torch.all(x, dim=dims, keepdim=keepdims) if dims else x


def cumsum(x, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    out = torch.cumsum(x, dim=_axes(axis, x.dim())[0])
    dtype = _sum_dtype(x.dtype)
    return out if out.dtype == dtype else out.to(dtype)


def cumprod(x, axis=None):
    x = _t(x)
    if axis is None:
        x, axis = x.reshape(-1), 0
    out = torch.cumprod(x, dim=_axes(axis, x.dim())[0])
    dtype = _sum_dtype(x.dtype)
    return out if out.dtype == dtype else out.to(dtype)


# ---------------------------------------------------------------- linear algebra

def matmul(x1, x2):
    return torch.matmul(*_promoted(x1, x2))


def dot(x1, x2):
    a, b = _promoted(x1, x2)
    if a.dim() == 0 or b.dim() == 0:
        return a * b
    # numpy.dot: contract a's last axis with b's second-to-last (its only, if 1-D).
    return torch.tensordot(a, b, dims=([a.dim() - 1], [builtins.max(b.dim() - 2, 0)]))


def tensordot(x1, x2, axes=2):
    a, b = _promoted(x1, x2)
    if isinstance(axes, (int, np.integer)):
        return torch.tensordot(a, b, dims=int(axes))
    axes_a, axes_b = axes
    return torch.tensordot(a, b, dims=(list(_axes(axes_a, a.dim())), list(_axes(axes_b, b.dim()))))


def einsum(subscripts, *operands):
    return torch.einsum(subscripts, *_promoted(*operands))


# ---------------------------------------------------------------- neural network functions

def relu(x):
    return torch.relu(_t(x))


def sigmoid(x):
    return torch.sigmoid(_float(x))


def softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, (int, np.integer)):
        if small_tensors.composes_faster(x, small_tensors.SOFTMAX, x.shape[int(axis)]):
            return small_tensors.softmax(x, int(axis))
        return torch.softmax(x, dim=int(axis))
    return torch.exp(x - torch.logsumexp(x, dim=_axes(axis, x.dim()), keepdim=True))


def log_softmax(x, axis=-1):
    x = _float(x)
    if isinstance(axis, (int, np.integer)):
        if small_tensors.composes_faster(x, small_tensors.SOFTMAX, x.shape[int(axis)]):
            return small_tensors.log_softmax(x, int(axis))
        return torch.log_softmax(x, dim=int(axis))
    return x - torch.logsumexp(x, dim=_axes(axis, x.dim()), keepdim=True)


def softplus(x):
    return F.softplus(_float(x))


def softsign(x):
    return F.softsign(_float(x))


def elu(x, alpha=1.0):
    return F.elu(_float(x), alpha=alpha)


def selu(x):
    return F.selu(_float(x))  # torch's constants are the SELU paper's, as Keras's are


def gelu(x, approximate=True):
    x = _float(x)
    if not approximate and small_tensors.composes_faster(x, small_tensors.GELU):
        return small_tensors.gelu(x)
    return F.gelu(x, approximate="tanh" if approximate else "none")


def silu(x):
    return F.silu(_float(x))


def leaky_relu(x, negative_slope=0.2):
    return F.leaky_relu(_float(x), negative_slope=negative_slope)


def hard_sigmoid(x):
    return F.hardsigmoid(_float(x))  # relu6(x + 3) / 6 == clip(x / 6 + 0.5, 0, 1)


def one_hot(x, num_classes, dtype="float32"):
    x = _t(x)
    if x.is_floating_point():
        x = x.to(torch.int64)
    # A comparison rather than F.one_hot: out-of-range labels give a zero row (as in
    # JAX and Keras) instead of an error.
    classes = torch.arange(num_classes, device=x.device, dtype=x.dtype)
    return (x.unsqueeze(-1) == classes).to(_torch_dtype(dtype))


def stop_gradient(variable):
    return _t(variable).detach()


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    # torch wants time-major log-probabilities; lengths and labels as int64 on the
    # logits' device.
    output = _float(output)
    log_probs = torch.log_softmax(output, dim=-1).transpose(0, 1)
    index = {"dtype": torch.int64, "device": output.device}
    loss = F.ctc_loss(log_probs, _t(target).to(**index), _t(output_length).to(**index),
                      _t(target_length).to(**index), blank=int(mask_index),
                      reduction="none", zero_infinity=False)
    return loss.to(output.dtype)


# ---------------------------------------------------------------- randomness

def _static_rate(rate):
    if isinstance(rate, torch.Tensor):
        rate = rate.item()
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"Expected dropout rate in [0, 1). Received: rate={rate}")
    return rate


def dropout(x, rate, noise_shape=None):
    rate = _static_rate(rate)
    x = _t(x)
    if rate == 0.0:
        return x
    x = _float(x)
    keep = 1.0 - rate
    mask = torch.rand(concrete_noise_shape(x.shape, noise_shape), device=x.device) < keep
    return torch.where(mask, x / keep, torch.zeros((), dtype=x.dtype, device=x.device))


def _generator(seed):
    """None (torch's global stream) or a fresh generator for an explicit seed, so that a
    seeded call gives the same samples every time without touching the global stream."""
    return generator_for(seed, current_device())


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    u = torch.rand(_shape_tuple(shape), dtype=_torch_dtype(dtype), device=current_device(),
                   generator=_generator(seed))
    return u * (maxval - minval) + minval


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    z = torch.randn(_shape_tuple(shape), dtype=_torch_dtype(dtype), device=current_device(),
                    generator=_generator(seed))
    return z * stddev + mean


def random_truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    z = torch.empty(_shape_tuple(shape), dtype=_torch_dtype(dtype), device=current_device())
    torch.nn.init.trunc_normal_(z, 0.0, 1.0, -2.0, 2.0, generator=_generator(seed))
    return z * stddev + mean


from keras_bridge.backends.torch.numpy_ops import *  # noqa: E402,F401,F403  (Keras 3 numpy ops)
from keras_bridge.backends.torch.math_ops import *  # noqa: E402,F401,F403  (complex, fft, linalg)
# Keras 3's keras.random samplers (random_ops.py); imported last, they use this table.
from keras_bridge.backends.torch.random_ops import (  # noqa: E402,F401
    random_beta, random_binomial, random_categorical, random_dropout, random_gamma,
    random_randint, random_shuffle)
