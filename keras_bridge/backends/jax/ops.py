"""The JAX op table behind ``keras_bridge.ops`` (see ``keras_bridge.backends.contract.OPS``).

Every function is traceable under ``jax.jit``: shapes and axes are static Python
values and no branch depends on array values. Dtype rules match the torch table
(floatx / int32 defaults, numpy floats take a floating tensor's dtype) so that the
two engines give the same dtypes for the same call.
"""

import builtins
import functools

import jax
import jax.export
import jax.numpy as jnp
import numpy as np

from keras_bridge.backends.nn_checks import concrete_noise_shape
from keras_bridge.backends.jax.conv_ops import average_pool, conv, conv_transpose  # noqa: F401
from keras_bridge.backends.jax.conv_ops import depthwise_conv, max_pool, separable_conv  # noqa: F401
from keras_bridge.backends.jax.nn_ops import batch_normalization, moments, scan  # noqa: F401
from keras_bridge.backends.jax.functional_ops import (  # noqa: F401
    associative_scan, custom_gradient_call, jvp)
from keras_bridge.backends.jax.nn_ops import dot_product_attention  # noqa: F401
from keras_bridge.backends.jax.precision import enable_x64_for
from keras_bridge.backends.jax.random import key_for, next_key

_DTYPE_NAMES = ("bool", "uint8", "int8", "int16", "int32", "int64", "float16", "bfloat16",
                "float32", "float64", "complex64", "complex128")
_SMALL_INTS = ("bool", "uint8", "int8", "int16")
_PY_SCALARS = (bool, int, float)


def _floatx():
    try:
        from keras_bridge import config
    except ImportError:  # the backend used on its own
        return "float32"
    name = config.floatx()
    enable_x64_for(name)
    return name


def _dtype_name(dtype):
    if dtype is float or (isinstance(dtype, str) and dtype == "float"):
        name = _floatx()
    elif dtype is int or (isinstance(dtype, str) and dtype == "int"):
        name = "int32"
    elif dtype is bool:
        name = "bool"
    elif isinstance(dtype, str):
        name = dtype
    elif type(dtype).__module__.split(".", 1)[0] == "torch":
        name = str(dtype).rsplit(".", 1)[-1]
    else:
        try:
            name = jnp.dtype(dtype).name
        except TypeError:
            name = None
    if name not in _DTYPE_NAMES:
        raise ValueError(f"Expected a dtype name among {sorted(_DTYPE_NAMES)}. Received: dtype={dtype!r}")
    return name


def _jax_dtype(dtype):
    """The dtype JAX will really use. Without x64, 64-bit requests are narrowed here,
    silently, as JAX would do anyway (JAX's own warning would fail warning-strict runs)."""
    if dtype is None:
        return None
    return jax.dtypes.canonicalize_dtype(jnp.dtype(_dtype_name(dtype)))


def _default_dtype(np_dtype):
    """Keras's defaults for data with no requested dtype: float64 -> floatx, int64 -> int32."""
    if np_dtype == np.float64:
        return _jax_dtype(_floatx())
    if np_dtype == np.int64:
        return jnp.dtype("int32")
    return jax.dtypes.canonicalize_dtype(np_dtype)


def _is_torch(x):
    # By module name, so that torch is never imported here.
    return type(x).__module__.split(".", 1)[0] == "torch" and hasattr(x, "detach")


def _torch_to_numpy(x):
    x = x.detach().cpu()
    if str(x.dtype) == "torch.bfloat16":
        return x.float().numpy().astype(jnp.bfloat16)
    return x.numpy()


def _has_array(x):
    if isinstance(x, (list, tuple)):
        return builtins.any(_has_array(e) for e in x)
    return isinstance(x, jax.Array) or _is_torch(x)


def convert_to_tensor(x, dtype=None):
    dtype = _jax_dtype(dtype)
    if isinstance(x, jax.Array):  # tracers included
        return x if dtype is None or x.dtype == dtype else x.astype(dtype)
    if _is_torch(x):
        x = _torch_to_numpy(x)
    if type(x) in _PY_SCALARS:
        if dtype is None:
            dtype = "bool" if type(x) is bool else "int32" if type(x) is int else _floatx()
        return jnp.asarray(x, dtype=_jax_dtype(dtype))
    if isinstance(x, (list, tuple)) and _has_array(x):
        # numpy cannot hold tracers; stack element-wise instead.
        return jnp.stack([convert_to_tensor(e, dtype) for e in x])
    arr = np.asarray(x)
    if not arr.dtype.isnative:  # e.g. big-endian data read from a file
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return jnp.asarray(arr, dtype=dtype if dtype is not None else _default_dtype(arr.dtype))


def _t(x):
    return x if isinstance(x, jax.Array) else convert_to_tensor(x)


def _is_floating(x):
    return jnp.issubdtype(x.dtype, jnp.inexact)


def _float(x):
    """x as a floating array (integers and booleans become floatx)."""
    x = _t(x)
    return x if _is_floating(x) else x.astype(_jax_dtype(_floatx()))


def _operands(*xs):
    """Arrays for mixed operands, typed as Keras would.

    Python scalars stay as they are (JAX's weak typing already keeps float32 + 2.0 in
    float32); numpy floats next to a floating array take that array's dtype.
    """
    xs = [x if type(x) in _PY_SCALARS or isinstance(x, jax.Array) else _np_operand(x)
          for x in xs]
    if not builtins.any(isinstance(x, jax.Array) for x in xs):
        # No engine array to take a dtype from: numpy data follows convert_to_tensor.
        xs = [convert_to_tensor(x) if isinstance(x, np.ndarray) else x for x in xs]
    ref = None
    for x in xs:
        if isinstance(x, jax.Array):
            if _is_floating(x):
                ref = x
                break
            if ref is None:
                ref = x
    out = []
    for x in xs:
        if isinstance(x, np.ndarray):
            floaty = x.dtype.kind == "f" or x.dtype.name == "bfloat16"
            if ref is not None and floaty and _is_floating(ref):
                out.append(jnp.asarray(x, dtype=ref.dtype))
            else:
                out.append(convert_to_tensor(x))
        elif type(x) in _PY_SCALARS and ref is None:
            out.append(convert_to_tensor(x))
        else:
            out.append(x)
    return out


def _np_operand(x):
    if _is_torch(x):
        return _torch_to_numpy(x)
    if isinstance(x, (list, tuple)) and _has_array(x):
        return convert_to_tensor(x)
    return np.asarray(x)


def _axis(axis):
    """jnp accepts int, tuple or None (not lists)."""
    return tuple(axis) if isinstance(axis, list) else axis


def _sum_dtype(dtype):
    # Small integers accumulate in int32, others keep their width (JAX's rule, Keras's too).
    return jnp.dtype("int32") if dtype.name in _SMALL_INTS else dtype


def _shape_tuple(shape):
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    # A symbolic size (jax.export's dynamic batch) stays symbolic; jnp takes it.
    return tuple(s if jax.export.is_symbolic_dim(s) else int(s) for s in shape)


# ---------------------------------------------------------------- creation and conversion

def convert_to_numpy(x):
    if _is_torch(x):
        return _torch_to_numpy(x)
    return np.asarray(x)


def cast(x, dtype):
    return convert_to_tensor(x, dtype)


def zeros(shape, dtype="float32"):
    return jnp.zeros(_shape_tuple(shape), dtype=_jax_dtype(dtype))


def ones(shape, dtype="float32"):
    return jnp.ones(_shape_tuple(shape), dtype=_jax_dtype(dtype))


def zeros_like(x, dtype=None):
    return jnp.zeros_like(_t(x), dtype=_jax_dtype(dtype))


def ones_like(x, dtype=None):
    return jnp.ones_like(_t(x), dtype=_jax_dtype(dtype))


def full(shape, fill_value, dtype=None):
    value = convert_to_tensor(fill_value, dtype)
    return jnp.full(_shape_tuple(shape), value, dtype=value.dtype)


def arange(start, stop=None, step=1, dtype=None):
    if stop is None:
        start, stop = 0, start
    if dtype is None:
        floaty = builtins.any(isinstance(v, (float, np.floating)) or (
            isinstance(v, jax.Array) and _is_floating(v)) for v in (start, stop, step))
        dtype = _floatx() if floaty else "int32"
    return jnp.arange(start, stop, step, dtype=_jax_dtype(dtype))


def eye(n, m=None, dtype="float32"):
    return jnp.eye(n, m, dtype=_jax_dtype(dtype))


# ---------------------------------------------------------------- shape

def shape(x):
    return tuple(int(s) for s in np.shape(x)) if not hasattr(x, "shape") else tuple(x.shape)


def ndim(x):
    return len(shape(x))


def reshape(x, newshape):
    return jnp.reshape(_t(x), _shape_tuple(newshape))


def transpose(x, axes=None):
    return jnp.transpose(_t(x), None if axes is None else tuple(axes))


def expand_dims(x, axis):
    return jnp.expand_dims(_t(x), _axis(axis))


def squeeze(x, axis=None):
    return jnp.squeeze(_t(x), _axis(axis))


def concatenate(xs, axis=-1):
    return jnp.concatenate(_operands(*xs), axis=axis)


def stack(xs, axis=0):
    return jnp.stack(_operands(*xs), axis=axis)


def tile(x, repeats):
    return jnp.tile(_t(x), _shape_tuple(repeats))


def repeat(x, repeats, axis=None):
    if not isinstance(repeats, (int, np.integer, jax.Array)):
        repeats = np.asarray(repeats)
    return jnp.repeat(_t(x), repeats, axis=axis)


def broadcast_to(x, shape):
    return jnp.broadcast_to(_t(x), _shape_tuple(shape))


def take(x, indices, axis=None):
    # Negative indices wrap as in numpy. Out-of-range ones cannot raise under jit;
    # jnp fills them (NaN for floats).
    indices = _t(indices)
    if _is_floating(indices):
        indices = indices.astype("int32")
    return jnp.take(_t(x), indices, axis=axis)


def flip(x, axis=None):
    return jnp.flip(_t(x), _axis(axis))


# ---------------------------------------------------------------- elementwise arithmetic

def add(x1, x2):
    return jnp.add(*_operands(x1, x2))


def subtract(x1, x2):
    return jnp.subtract(*_operands(x1, x2))


def multiply(x1, x2):
    return jnp.multiply(*_operands(x1, x2))


def divide(x1, x2):
    a, b = _operands(x1, x2)
    out = jnp.true_divide(a, b)
    floatx = _jax_dtype(_floatx())
    if out.dtype != floatx and not builtins.any(
            (isinstance(v, jax.Array) and _is_floating(v)) or type(v) is float for v in (a, b)):
        out = out.astype(floatx)  # int / int is floatx in Keras
    return out


def floor_divide(x1, x2):
    return jnp.floor_divide(*_operands(x1, x2))


def mod(x1, x2):
    return jnp.mod(*_operands(x1, x2))


def power(x1, x2):
    return jnp.power(*_operands(x1, x2))


def negative(x):
    return jnp.negative(_t(x))


def abs(x):
    return jnp.abs(_t(x))


def sign(x):
    return jnp.sign(_t(x))


def square(x):
    return jnp.square(_t(x))


def sqrt(x):
    return jnp.sqrt(_float(x))


def exp(x):
    return jnp.exp(_float(x))


def expm1(x):
    return jnp.expm1(_float(x))


def log(x):
    return jnp.log(_float(x))


def log1p(x):
    return jnp.log1p(_float(x))


def sin(x):
    return jnp.sin(_float(x))


def cos(x):
    return jnp.cos(_float(x))


def tanh(x):
    return jnp.tanh(_float(x))


def floor(x):
    return jnp.floor(_float(x))  # integers give floats, as in numpy and Keras


def ceil(x):
    return jnp.ceil(_float(x))  # integers give floats, as in numpy and Keras


def round(x):
    return jnp.round(_t(x))  # half to even, like numpy


def maximum(x1, x2):
    return jnp.maximum(*_operands(x1, x2))


def minimum(x1, x2):
    return jnp.minimum(*_operands(x1, x2))


def clip(x, x_min, x_max):
    given = [b for b in (x_min, x_max) if b is not None]  # numpy allows one open side
    x, *bounds = _operands(x, *given)
    lo = bounds.pop(0) if x_min is not None else None
    hi = bounds[0] if bounds else None
    return jnp.clip(x, lo, hi)


def where(condition, x1, x2):
    cond = _t(condition)
    if cond.dtype != jnp.bool_:
        cond = cond != 0
    return jnp.where(cond, *_operands(x1, x2))


# ---------------------------------------------------------------- comparison and logic

def equal(x1, x2):
    return jnp.equal(*_operands(x1, x2))


def not_equal(x1, x2):
    return jnp.not_equal(*_operands(x1, x2))


def greater(x1, x2):
    return jnp.greater(*_operands(x1, x2))


def greater_equal(x1, x2):
    return jnp.greater_equal(*_operands(x1, x2))


def less(x1, x2):
    return jnp.less(*_operands(x1, x2))


def less_equal(x1, x2):
    return jnp.less_equal(*_operands(x1, x2))


def logical_and(x1, x2):
    return jnp.logical_and(*_operands(x1, x2))


def logical_or(x1, x2):
    return jnp.logical_or(*_operands(x1, x2))


def logical_not(x):
    return jnp.logical_not(_t(x))


# ---------------------------------------------------------------- reductions

def sum(x, axis=None, keepdims=False):
    x = _t(x)
    return jnp.sum(x, axis=_axis(axis), keepdims=keepdims, dtype=_sum_dtype(x.dtype))


def mean(x, axis=None, keepdims=False):
    return jnp.mean(_float(x), axis=_axis(axis), keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    return jnp.max(_t(x), axis=_axis(axis), keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    return jnp.min(_t(x), axis=_axis(axis), keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    x = _t(x)
    return jnp.prod(x, axis=_axis(axis), keepdims=keepdims, dtype=_sum_dtype(x.dtype))


def var(x, axis=None, keepdims=False):
    return jnp.var(_float(x), axis=_axis(axis), keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    return jnp.std(_float(x), axis=_axis(axis), keepdims=keepdims)


@functools.partial(jax.jit, static_argnames=("axis", "keepdims"))
def _logsumexp(x, axis, keepdims):
    return jax.nn.logsumexp(x, axis=axis, keepdims=keepdims)


def logsumexp(x, axis=None, keepdims=False):
    # Jitted: eager jax.nn.logsumexp dispatches many small ops (~0.7 s on first use per
    # axis); one compiled call is both faster to build and to run.
    return _logsumexp(_float(x), _axis(axis), bool(keepdims))


def argmax(x, axis=None):
    return jnp.argmax(_t(x), axis=axis).astype("int32")


def argmin(x, axis=None):
    return jnp.argmin(_t(x), axis=axis).astype("int32")


def any(x, axis=None, keepdims=False):
    return jnp.any(_t(x), axis=_axis(axis), keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    return jnp.all(_t(x), axis=_axis(axis), keepdims=keepdims)


def cumsum(x, axis=None):
    x = _t(x)
    return jnp.cumsum(x, axis=axis, dtype=_sum_dtype(x.dtype))


def cumprod(x, axis=None):
    x = _t(x)
    return jnp.cumprod(x, axis=axis, dtype=_sum_dtype(x.dtype))


# ---------------------------------------------------------------- linear algebra

def matmul(x1, x2):
    return jnp.matmul(*_operands(x1, x2))


def dot(x1, x2):
    return jnp.dot(*_operands(x1, x2))


def tensordot(x1, x2, axes=2):
    if not isinstance(axes, (int, np.integer)):
        axes = tuple(tuple(a) if isinstance(a, (list, tuple)) else a for a in axes)
    return jnp.tensordot(*_operands(x1, x2), axes=axes)


def einsum(subscripts, *operands):
    return jnp.einsum(subscripts, *_operands(*operands))


# ---------------------------------------------------------------- neural network functions

def relu(x):
    return jax.nn.relu(_t(x))


def sigmoid(x):
    return jax.nn.sigmoid(_float(x))


def softmax(x, axis=-1):
    return jax.nn.softmax(_float(x), axis=_axis(axis))


def log_softmax(x, axis=-1):
    return jax.nn.log_softmax(_float(x), axis=_axis(axis))


def softplus(x):
    return jax.nn.softplus(_float(x))


def softsign(x):
    return jax.nn.soft_sign(_float(x))


def elu(x, alpha=1.0):
    return jax.nn.elu(_float(x), alpha=alpha)


def selu(x):
    return jax.nn.selu(_float(x))  # same constants as the SELU paper and Keras


def gelu(x, approximate=True):
    return jax.nn.gelu(_float(x), approximate=approximate)


def silu(x):
    return jax.nn.silu(_float(x))


def leaky_relu(x, negative_slope=0.2):
    return jax.nn.leaky_relu(_float(x), negative_slope=negative_slope)


def hard_sigmoid(x):
    return jax.nn.hard_sigmoid(_float(x))  # relu6(x + 3) / 6 == clip(x / 6 + 0.5, 0, 1)


def one_hot(x, num_classes, dtype="float32"):
    x = _t(x)
    if _is_floating(x):
        x = x.astype("int32")  # truncated like the torch table, so both agree
    return jax.nn.one_hot(x, num_classes, dtype=_jax_dtype(dtype))


def stop_gradient(variable):
    return jax.lax.stop_gradient(_t(variable))


@functools.partial(jax.jit, static_argnames=("blank_id",))
def _ctc_loss(logits, labels, label_lengths, logit_lengths, blank_id):
    import optax  # only needed here; imported on first use

    # optax marks padding with 1.0 per (batch, position) instead of taking lengths.
    logit_paddings = jnp.arange(logits.shape[1])[None, :] >= logit_lengths[:, None]
    label_paddings = jnp.arange(labels.shape[1])[None, :] >= label_lengths[:, None]
    return optax.ctc_loss(logits, logit_paddings.astype(logits.dtype), labels,
                          label_paddings.astype(logits.dtype), blank_id=blank_id)


def ctc_loss(target, output, target_length, output_length, mask_index=0):
    # Jitted: optax's scan, run eagerly, dispatches one small op per step.
    return _ctc_loss(_float(output), _t(target).astype("int32"),
                     _t(target_length).astype("int32"), _t(output_length).astype("int32"),
                     int(mask_index))


# ---------------------------------------------------------------- randomness

def _static_rate(rate):
    """The rate as a Python float when it is known at trace time, else None."""
    if isinstance(rate, jax.core.Tracer):
        return None
    rate = float(rate)
    if not 0.0 <= rate < 1.0:
        raise ValueError(f"Expected dropout rate in [0, 1). Received: rate={rate}")
    return rate


def dropout(x, rate, noise_shape=None):
    static = _static_rate(rate)
    x = _t(x)
    if static == 0.0:
        return x
    x = _float(x)
    keep = 1.0 - (static if static is not None else rate)
    mask = jax.random.bernoulli(next_key(), keep, concrete_noise_shape(x.shape, noise_shape))
    return jnp.where(mask, x / keep, jnp.zeros((), x.dtype))


def _key(seed):
    """The next key of the stream (or of the enclosing key scope), or a key made from an
    explicit seed, which gives the same samples every call (also under jit)."""
    return key_for(seed)


def random_uniform(shape, minval=0.0, maxval=1.0, dtype="float32", seed=None):
    return jax.random.uniform(_key(seed), _shape_tuple(shape), dtype=_jax_dtype(dtype),
                              minval=minval, maxval=maxval)


def random_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    z = jax.random.normal(_key(seed), _shape_tuple(shape), dtype=_jax_dtype(dtype))
    return z * stddev + mean


def random_truncated_normal(shape, mean=0.0, stddev=1.0, dtype="float32", seed=None):
    z = jax.random.truncated_normal(_key(seed), -2.0, 2.0, _shape_tuple(shape),
                                    dtype=_jax_dtype(dtype))
    return z * stddev + mean


from keras_bridge.backends.jax.numpy_ops import *  # noqa: E402,F401,F403  (Keras 3 numpy ops)
from keras_bridge.backends.jax.math_ops import *  # noqa: E402,F401,F403  (complex, fft, linalg)
# Keras 3's keras.random samplers (random_ops.py); imported last, they use this table.
from keras_bridge.backends.jax.random_ops import (  # noqa: E402,F401
    random_beta, random_binomial, random_categorical, random_dropout, random_gamma,
    random_randint, random_shuffle)
