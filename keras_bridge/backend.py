"""The Keras 2 backend helpers, imported as ``K`` by Keras 2 code.

Everything here is a thin spelling of ``keras_bridge.ops`` or ``keras_bridge.config``
under the names, argument names and defaults Keras 2 code uses (``K.mean``,
``K.epsilon()``, ``K.batch_dot``). Functions take engine tensors, weights, numpy
arrays or Python numbers and return the engine's tensors (numpy input gives a tensor
of the running program's engine, else of the default backend).

Differences from Keras 2, where there is no graph to build: ``shape`` returns the
static shape (a tuple of ints, which is the real shape on both engines),
``zeros``/``ones``/``eye``/``constant`` return tensors rather than variables (their
``name=`` is accepted and unused; ``variable`` makes a variable), ``is_keras_tensor``
answers False rather than raising for non-symbolic values, and ``learning_phase`` reads
as 0 outside ``function``.

Example:
    from keras_bridge import backend as K
    loss = K.mean(K.square(y_pred - y_true), axis=-1)
"""

import builtins
import math

import numpy as np

from keras_bridge import config, logits, ops
from keras_bridge.graph import KerasTensor
from keras_bridge.utils import naming
# Keras 2 helpers kept in their own modules, re-exported here as K.*.
from keras_bridge.k_ctc import ctc_batch_cost, ctc_decode
from keras_bridge.k_math import (
    arange, batch_normalization, bias_add, cast_to_floatx, cos, cumprod, cumsum, dropout,
    gather, logsumexp, random_binomial, random_normal, random_uniform, resize_images, reverse,
    sin, spatial_2d_padding, spatial_3d_padding, stop_gradient, switch, temporal_padding,
    truncated_normal)
from keras_bridge.k_nn import (
    conv1d, conv2d, conv2d_transpose, conv3d, depthwise_conv2d, local_conv1d, local_conv2d,
    pool2d, pool3d, separable_conv1d, separable_conv2d)
from keras_bridge.k_variables import (
    is_variable, random_normal_variable, random_uniform_variable, update, update_add,
    update_sub, variable)

__all__ = [
    # session and config
    "backend", "clear_session", "learning_phase", "epsilon", "set_epsilon", "floatx",
    "set_floatx", "image_data_format", "set_image_data_format",
    # reductions
    "mean", "sum", "max", "min", "prod", "std", "var", "any", "all", "argmax", "argmin",
    # elementwise
    "square", "sqrt", "exp", "log", "abs", "pow", "clip", "maximum", "minimum", "equal",
    "not_equal", "greater", "greater_equal", "less", "less_equal", "sign", "round", "cast",
    # linear algebra and shapes
    "dot", "batch_dot", "transpose", "reshape", "permute_dimensions", "expand_dims",
    "squeeze", "concatenate", "stack", "flatten", "batch_flatten", "repeat_elements", "tile",
    "one_hot",
    # neural network functions and losses
    "softmax", "relu", "sigmoid", "hard_sigmoid", "tanh", "softplus", "softsign", "elu",
    "l2_normalize", "binary_crossentropy", "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    # creation
    "zeros", "ones", "zeros_like", "ones_like", "eye", "constant",
    # introspection and values
    "int_shape", "ndim", "shape", "dtype", "is_keras_tensor", "get_value", "set_value",
    "batch_get_value", "batch_set_value", "count_params",
    # variables (k_variables.py)
    "variable", "is_variable", "eval", "update", "update_add", "update_sub",
    "random_normal_variable", "random_uniform_variable",
    # control flow, scans, indexing, padding, randomness (k_math.py)
    "switch", "stop_gradient", "cumsum", "cumprod", "gather", "logsumexp", "arange", "sin",
    "cos", "temporal_padding", "spatial_2d_padding", "spatial_3d_padding", "resize_images",
    "bias_add", "random_normal", "random_uniform", "random_binomial", "truncated_normal",
    "dropout", "reverse", "batch_normalization", "cast_to_floatx",
    # convolution and pooling (k_nn.py)
    "conv1d", "conv2d", "conv3d", "conv2d_transpose", "depthwise_conv2d", "separable_conv1d",
    "separable_conv2d", "pool2d", "pool3d", "local_conv1d", "local_conv2d",
    # CTC (k_ctc.py)
    "ctc_batch_cost", "ctc_decode",
    # symbolic graphs: functions, gradients, placeholders, the learning phase
    "function", "gradients", "placeholder", "in_train_phase",
]


# ---------------------------------------------------------------- session and config

def backend():
    """Name of the default backend ('torch' or 'jax')."""
    return config.backend()


def clear_session():
    """Reset default layer names (the next Dense is 'dense' again)."""
    naming.reset()


def epsilon():
    """The fuzz factor used to avoid division by zero and log(0) (default 1e-7)."""
    return config.epsilon()


def set_epsilon(value):
    """Set the fuzz factor returned by ``epsilon()``."""
    config.set_epsilon(value)


def floatx():
    """The default float dtype name, such as 'float32'."""
    return config.floatx()


def set_floatx(value):
    """Set the default float dtype: 'float16', 'bfloat16', 'float32' or 'float64'."""
    config.set_floatx(value)


def image_data_format():
    """'channels_last' or 'channels_first'."""
    return config.image_data_format()


def set_image_data_format(data_format):
    """Set the default image data format: 'channels_last' or 'channels_first'."""
    config.set_image_data_format(data_format)


# ---------------------------------------------------------------- reductions

def _numeric(x):
    """Booleans become floatx before arithmetic reductions, as Keras 2 does."""
    return ops.cast(x, floatx()) if hasattr(x, "dtype") and dtype(x) == "bool" else x


def mean(x, axis=None, keepdims=False):
    """Mean of ``x`` over ``axis`` (an int, a list of ints, or None for all)."""
    return ops.mean(_numeric(x), axis=axis, keepdims=keepdims)


def sum(x, axis=None, keepdims=False):
    """Sum of ``x`` over ``axis``."""
    return ops.sum(x, axis=axis, keepdims=keepdims)


def max(x, axis=None, keepdims=False):
    """Maximum of ``x`` over ``axis``."""
    return ops.max(x, axis=axis, keepdims=keepdims)


def min(x, axis=None, keepdims=False):
    """Minimum of ``x`` over ``axis``."""
    return ops.min(x, axis=axis, keepdims=keepdims)


def prod(x, axis=None, keepdims=False):
    """Product of ``x`` over ``axis``."""
    return ops.prod(x, axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    """Population standard deviation of ``x`` over ``axis``."""
    return ops.std(_numeric(x), axis=axis, keepdims=keepdims)


def var(x, axis=None, keepdims=False):
    """Population variance of ``x`` over ``axis``."""
    return ops.var(_numeric(x), axis=axis, keepdims=keepdims)


def any(x, axis=None, keepdims=False):
    """Logical or over ``axis`` (``x`` is read as booleans)."""
    return ops.any(ops.cast(x, "bool"), axis=axis, keepdims=keepdims)


def all(x, axis=None, keepdims=False):
    """Logical and over ``axis`` (``x`` is read as booleans)."""
    return ops.all(ops.cast(x, "bool"), axis=axis, keepdims=keepdims)


def argmax(x, axis=-1):
    """Index of the maximum along ``axis``."""
    return ops.argmax(x, axis=axis)


def argmin(x, axis=-1):
    """Index of the minimum along ``axis``."""
    return ops.argmin(x, axis=axis)


# ---------------------------------------------------------------- elementwise

def square(x):
    """``x * x``."""
    return ops.square(x)


def sqrt(x):
    """Square root, with negative inputs clipped to 0 first (as Keras 2)."""
    return ops.sqrt(ops.maximum(x, 0.0))


def exp(x):
    """``e ** x``."""
    return ops.exp(x)


def log(x):
    """Natural logarithm."""
    return ops.log(x)


def abs(x):
    """Absolute value."""
    return ops.abs(x)


def pow(x, a):
    """``x ** a``."""
    return ops.power(x, a)


def clip(x, min_value, max_value):
    """``x`` limited to ``[min_value, max_value]``; None means unbounded on that side.

    As in Keras 2, a ``max_value`` below ``min_value`` is raised to ``min_value``.
    """
    if isinstance(min_value, (int, float)) and isinstance(max_value, (int, float)):
        max_value = builtins.max(min_value, max_value)
    min_value = -np.inf if min_value is None else min_value
    max_value = np.inf if max_value is None else max_value
    return ops.clip(x, min_value, max_value)


def maximum(x, y):
    """Elementwise maximum."""
    return ops.maximum(x, y)


def minimum(x, y):
    """Elementwise minimum."""
    return ops.minimum(x, y)


def equal(x, y):
    """Elementwise ``x == y`` (boolean)."""
    return ops.equal(x, y)


def not_equal(x, y):
    """Elementwise ``x != y`` (boolean)."""
    return ops.not_equal(x, y)


def greater(x, y):
    """Elementwise ``x > y`` (boolean)."""
    return ops.greater(x, y)


def greater_equal(x, y):
    """Elementwise ``x >= y`` (boolean)."""
    return ops.greater_equal(x, y)


def less(x, y):
    """Elementwise ``x < y`` (boolean)."""
    return ops.less(x, y)


def less_equal(x, y):
    """Elementwise ``x <= y`` (boolean)."""
    return ops.less_equal(x, y)


def sign(x):
    """-1, 0 or 1 with the sign of ``x``."""
    return ops.sign(x)


def round(x):
    """Round to the nearest integer, halves to even."""
    return ops.round(x)


def cast(x, dtype):
    """``x`` converted to ``dtype`` (a name such as 'float32')."""
    return ops.cast(x, dtype)


# ---------------------------------------------------------------- linear algebra and shapes

def dot(x, y):
    """Tensor product as numpy.dot: contracts the last axis of ``x`` with the
    second-to-last axis of ``y`` (its only axis when 1-D).

    Example:
        K.dot(x, y)  # x (2, 3, 4), y (7, 4, 5) -> (2, 3, 7, 5)
    """
    return ops.dot(x, y)


def _moved_to(x, source, destination):
    """``x`` with axis ``source`` moved to position ``destination``."""
    if source == destination:
        return x
    order = [a for a in range(ndim(x)) if a != source]
    order.insert(destination, source)
    return ops.transpose(x, order)


def batch_dot(x, y, axes=None):
    """Dot product of each sample of ``x`` with the same sample of ``y`` (Keras 2).

    Contracts axis ``axes[0]`` of ``x`` with axis ``axes[1]`` of ``y``, keeping the
    batch axis 0. The result has shape ``x.shape`` without the contracted axis,
    followed by ``y.shape[1:]`` without its contracted axis; when both inputs are 2-D
    the result is ``(batch, 1)``.

    Args:
        x, y: Tensors of rank >= 2 with the same batch size.
        axes: An int (the same axis for both), a pair of ints, or None: the last axis of
            ``x`` and the second-to-last of ``y`` (its last when ``y`` is 2-D).

    Example:
        K.batch_dot(x, y, axes=(1, 2))  # x (32, 20, 1), y (32, 30, 20) -> (32, 1, 30)
    """
    x, y = ops.convert_to_tensor(x), ops.convert_to_tensor(y)
    x_shape, y_shape = int_shape(x), int_shape(y)
    if len(x_shape) < 2 or len(y_shape) < 2:
        raise ValueError(f"batch_dot needs inputs of rank >= 2. Received: x.shape={x_shape}, "
                         f"y.shape={y_shape}.")
    if x_shape[0] != y_shape[0]:
        raise ValueError(f"batch_dot needs inputs with the same batch size. Received: "
                         f"x.shape={x_shape}, y.shape={y_shape}.")
    if axes is None:
        axes = (len(x_shape) - 1, len(y_shape) - 1 if len(y_shape) == 2 else len(y_shape) - 2)
    elif isinstance(axes, (int, np.integer)):
        axes = (axes, axes)
    if (not isinstance(axes, (list, tuple)) or len(axes) != 2
            or not builtins.all(isinstance(a, (int, np.integer)) for a in axes)):
        raise ValueError(f"Expected axes to be an int, a pair of ints or None. Received: "
                         f"axes={axes!r}")
    a0, a1 = int(axes[0]) % len(x_shape), int(axes[1]) % len(y_shape)
    if a0 == 0 or a1 == 0:
        raise ValueError(f"batch_dot cannot contract the batch axis 0. Received: axes={axes!r}")
    if x_shape[a0] != y_shape[a1]:
        raise ValueError(f"batch_dot: x.shape[{a0}] != y.shape[{a1}] ({x_shape[a0]} != "
                         f"{y_shape[a1]}) for x.shape={x_shape}, y.shape={y_shape}, "
                         f"axes={axes!r}.")
    x = _moved_to(x, a0, len(x_shape) - 1)  # (batch, x_rest..., k)
    y = _moved_to(y, a1, 1)  # (batch, k, y_rest...)
    x_rest = tuple(d for i, d in enumerate(x_shape[1:], 1) if i != a0)
    y_rest = tuple(d for i, d in enumerate(y_shape[1:], 1) if i != a1)
    batch, k = x_shape[0], x_shape[a0]
    out = ops.matmul(ops.reshape(x, (batch, int(math.prod(x_rest)), k)),
                     ops.reshape(y, (batch, k, int(math.prod(y_rest)))))
    # Two 2-D inputs give (batch, 1), as Keras 2 does.
    return ops.reshape(out, (batch,) + x_rest + y_rest if x_rest or y_rest else (batch, 1))


def transpose(x):
    """``x`` with its axes reversed."""
    return ops.transpose(x)


def reshape(x, shape):
    """``x`` with a new shape (one entry may be -1)."""
    return ops.reshape(x, tuple(shape))


def permute_dimensions(x, pattern):
    """``x`` with its axes reordered: ``pattern`` lists the old axis for each new one."""
    return ops.transpose(x, tuple(pattern))


def expand_dims(x, axis=-1):
    """``x`` with a length-1 axis inserted at ``axis``."""
    return ops.expand_dims(x, axis)


def squeeze(x, axis):
    """``x`` without its length-1 axis ``axis``."""
    return ops.squeeze(x, axis)


def concatenate(tensors, axis=-1):
    """``tensors`` joined along ``axis``."""
    return ops.concatenate(list(tensors), axis=axis)


def stack(x, axis=0):
    """The tensors of the list ``x`` stacked along a new axis ``axis``."""
    return ops.stack(list(x), axis=axis)


def flatten(x):
    """``x`` as a 1-D tensor."""
    return ops.reshape(x, (-1,))


def batch_flatten(x):
    """``x`` as a 2-D tensor ``(batch, everything else)``."""
    return ops.reshape(x, (-1, int(math.prod(int_shape(x)[1:]))))


def repeat_elements(x, rep, axis):
    """Each entry of ``x`` repeated ``rep`` times along ``axis`` (as numpy.repeat)."""
    return ops.repeat(x, rep, axis=axis)


def tile(x, n):
    """``x`` tiled ``n`` times (an int, or one count per axis)."""
    return ops.tile(x, n)


def one_hot(indices, num_classes):
    """float32 one-hot encoding of integer ``indices`` along a new last axis."""
    return ops.one_hot(indices, num_classes, dtype="float32")


# ---------------------------------------------------------------- neural network functions

def softmax(x, axis=-1):
    """``exp(x) / sum(exp(x))`` along ``axis``."""
    return ops.softmax(x, axis=axis)


def relu(x, alpha=0.0, max_value=None, threshold=0):
    """Rectified linear unit: ``x`` above ``threshold`` (capped at ``max_value``),
    ``alpha * (x - threshold)`` at or below it."""
    from keras_bridge import activations
    return activations.relu(x, negative_slope=alpha, max_value=max_value, threshold=threshold)


def sigmoid(x):
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(x)


def hard_sigmoid(x):
    """Keras 2's piecewise linear sigmoid ``clip(0.2 * x + 0.5, 0, 1)``.

    (Keras 3 and ``keras_bridge.activations.hard_sigmoid`` use ``x / 6 + 0.5``.)
    """
    return ops.clip(ops.add(ops.multiply(x, 0.2), 0.5), 0.0, 1.0)


def tanh(x):
    """Hyperbolic tangent."""
    return ops.tanh(x)


def softplus(x):
    """``log(1 + exp(x))``."""
    return ops.softplus(x)


def softsign(x):
    """``x / (1 + |x|)``."""
    return ops.softsign(x)


def elu(x, alpha=1.0):
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below."""
    return ops.elu(x, alpha=alpha)


def l2_normalize(x, axis=None):
    """``x / sqrt(max(sum(x ** 2, axis), 1e-12))``; ``axis=None`` normalizes over all."""
    squares = ops.sum(ops.square(x), axis=axis, keepdims=True)
    return ops.multiply(x, ops.divide(1.0, ops.sqrt(ops.maximum(squares, 1e-12))))


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy between ``target`` and ``output``.

    Args:
        target: Tensor of labels in [0, 1], shaped like ``output``.
        output: Probabilities, or logits when ``from_logits``.
        from_logits: Whether ``output`` holds logits. Probabilities are clipped to
            ``[epsilon(), 1 - epsilon()]`` and ``epsilon()`` is added inside each log,
            as Keras 2 does.

    Returns:
        A tensor shaped like ``output``.
    """
    if not from_logits:
        output, from_logits = _logits_or(output, "sigmoid")
    if from_logits:  # max(x, 0) - x * z + log(1 + exp(-|x|)), stable for any x
        return ops.add(ops.subtract(ops.relu(output), ops.multiply(output, target)),
                       ops.log1p(ops.exp(ops.negative(ops.abs(output)))))
    eps = epsilon()
    output = ops.clip(output, eps, 1.0 - eps)
    positive = ops.multiply(target, ops.log(ops.add(output, eps)))
    negative = ops.multiply(ops.subtract(1.0, target),
                            ops.log(ops.add(ops.subtract(1.0, output), eps)))
    return ops.negative(ops.add(positive, negative))


def _logits_or(output, kind, axis=-1):
    """(logits, True) when ``output`` is a noted softmax/sigmoid output (see
    ``keras_bridge.logits``), else (output, False)."""
    found = logits.logits_of(output, kind, axis)
    return (output, False) if found is None else (found, True)


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between one-hot (or soft) ``target`` and ``output`` along ``axis``.

    Args:
        target: Tensor shaped like ``output``.
        output: Probabilities, or logits when ``from_logits``. Probabilities are
            rescaled to sum to 1 along ``axis`` and clipped to
            ``[epsilon(), 1 - epsilon()]``, as Keras 2 does; a softmax output (along
            ``axis``) made in a training or test step is replaced by its logits.
        from_logits: Whether ``output`` holds logits.
        axis: The class axis.

    Returns:
        A tensor of ``output``'s shape without ``axis``.
    """
    if int_shape(target) != int_shape(output):
        raise ValueError(f"Expected target and output of the same shape. Received: "
                         f"target.shape={int_shape(target)}, output.shape={int_shape(output)}.")
    if not from_logits:
        output, from_logits = _logits_or(output, "softmax", axis)
    if from_logits:
        log_probs = ops.log_softmax(output, axis=axis)
    else:
        output = ops.divide(output, ops.sum(output, axis=axis, keepdims=True))
        eps = epsilon()
        log_probs = ops.log(ops.clip(output, eps, 1.0 - eps))
    return ops.negative(ops.sum(ops.multiply(target, log_probs), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer ``target`` classes and ``output`` along ``axis``.

    Args:
        target: Integer class indices, shaped like ``output`` without ``axis`` (a
            trailing length-1 axis is accepted).
        output: Probabilities, or logits when ``from_logits``. Probabilities are clipped
            to ``[epsilon(), 1 - epsilon()]`` and their logs treated as logits, as
            Keras 2 does; a softmax output (along ``axis``) made in a training or test
            step is replaced by its logits.
        from_logits: Whether ``output`` holds logits.
        axis: The class axis.

    Returns:
        A tensor of ``output``'s shape without ``axis``; NaN where a label is outside
        ``[0, classes)``.
    """
    if not from_logits:
        output, from_logits = _logits_or(output, "softmax", axis)
    output = ops.convert_to_tensor(output)
    rank = ndim(output)
    output = _moved_to(output, axis % rank, rank - 1)
    out_shape = int_shape(output)
    if not from_logits:
        eps = epsilon()
        output = ops.log(ops.clip(output, eps, 1.0 - eps))
    known = None not in int_shape(target) + out_shape[:-1]  # else symbolic, checked later
    if known and int(math.prod(int_shape(target))) != int(math.prod(out_shape[:-1])):
        raise ValueError(f"Expected target of shape {out_shape[:-1]} (one class index per "
                         f"sample). Received: target.shape={int_shape(target)}, "
                         f"output.shape={int_shape(output)}, axis={axis}.")
    target = ops.reshape(ops.cast(target, "int32"),
                         tuple(-1 if d is None else d for d in out_shape[:-1]))
    labels = ops.one_hot(target, out_shape[-1], dtype=dtype(output))
    losses = ops.negative(ops.sum(ops.multiply(labels, ops.log_softmax(output, axis=-1)),
                                  axis=-1))
    # A label outside [0, classes) would give a row of zeros and a loss of 0, trained on
    # silently: NaN instead, on both engines, where the data-entry check cannot see it
    # (custom steps; see training/targets.py). Its gradient is zero.
    valid = ops.logical_and(ops.greater_equal(target, 0), ops.less(target, out_shape[-1]))
    return ops.where(valid, losses, float("nan"))


# ---------------------------------------------------------------- creation

def zeros(shape, dtype=None, name=None):
    """Tensor of zeros (``dtype`` defaults to floatx; ``name`` is unused)."""
    return ops.zeros(tuple(shape), dtype=dtype or floatx())


def ones(shape, dtype=None, name=None):
    """Tensor of ones (``dtype`` defaults to floatx; ``name`` is unused)."""
    return ops.ones(tuple(shape), dtype=dtype or floatx())


def zeros_like(x, dtype=None, name=None):
    """Zeros shaped like ``x``, of ``x``'s dtype unless ``dtype`` is given."""
    return ops.zeros_like(x, dtype=dtype)


def ones_like(x, dtype=None, name=None):
    """Ones shaped like ``x``, of ``x``'s dtype unless ``dtype`` is given."""
    return ops.ones_like(x, dtype=dtype)


def eye(size, dtype=None, name=None):
    """Identity matrix; ``size`` is ``n`` or ``(n, m)``."""
    n, m = (size, size) if isinstance(size, (int, np.integer)) else tuple(size)
    return ops.eye(n, m, dtype=dtype or floatx())


def constant(value, dtype=None, shape=None, name=None):
    """Tensor of ``value``; a scalar fills ``shape``, an array is reshaped to it."""
    value = np.asarray(value)
    if shape is not None:
        shape = tuple(shape)
        if value.ndim == 0:
            value = np.full(shape, value)
        elif value.size == int(np.prod(shape)):
            value = value.reshape(shape)
        else:
            raise ValueError(f"Cannot make a constant of shape {shape} from a value of shape "
                             f"{value.shape}: give a scalar or {int(np.prod(shape))} values.")
    return ops.convert_to_tensor(value, dtype=dtype or floatx())


# ---------------------------------------------------------------- introspection and values

def int_shape(x):
    """Shape of a tensor, weight, numpy array or symbolic tensor, as a tuple of ints
    (None for unknown sizes, such as a symbolic batch axis)."""
    try:
        dims = x.shape
    except AttributeError:
        raise TypeError(f"Expected a tensor, a weight or an array. Received: "
                        f"{type(x).__name__}.") from None
    return tuple(None if d is None else int(d) for d in dims)


def ndim(x):
    """Number of axes of ``x``."""
    return len(int_shape(x))


def shape(x):
    """Shape of ``x`` as a tuple of ints: shapes are static on both engines, so this
    is the same as ``int_shape`` (Keras 2 returned a tensor)."""
    return int_shape(x)


def dtype(x):
    """dtype name of ``x``, such as 'float32'."""
    try:
        value = x.dtype
    except AttributeError:
        raise TypeError(f"Expected a tensor, a weight or an array. Received: "
                        f"{type(x).__name__}.") from None
    return value if isinstance(value, str) else str(value).rsplit(".", 1)[-1]


def is_keras_tensor(x):
    """Whether ``x`` is a symbolic tensor (an ``Input`` or a layer's output)."""
    return isinstance(x, KerasTensor)


def _is_weight(x):
    return getattr(type(x), "_kb_is_weight", False)


def get_value(x):
    """numpy value of a weight or a tensor (weights in Keras layout)."""
    if isinstance(x, KerasTensor):
        raise TypeError(f"{x.name} is a symbolic tensor: it has no value until a model runs. "
                        "Use model.predict, or call the layer on data.")
    if _is_weight(x):
        return x.numpy()
    if isinstance(x, np.ndarray):
        return x
    return ops.convert_to_numpy(x)


def _checked_value(weight, value):
    if not _is_weight(weight):
        raise TypeError(f"Expected a weight (such as layer.kernel). Received: "
                        f"{type(weight).__name__}.")
    value = np.asarray(get_value(value), dtype=weight.dtype)
    if value.shape != weight.shape:
        raise ValueError(f"Cannot set weight {weight.path!r} of shape {weight.shape} to a "
                         f"value of shape {value.shape}.")
    return value


def set_value(x, value):
    """Set weight ``x`` to ``value`` (same shape, in Keras layout)."""
    value = _checked_value(x, value)
    x.assign(value)


eval = get_value  # Keras 2's K.eval: the same numpy read


def batch_get_value(tensors):
    """``get_value`` of each item, as a list of numpy arrays."""
    return [get_value(x) for x in tensors]


def batch_set_value(tuples):
    """Set each ``(weight, value)`` pair; every pair is checked before any weight changes."""
    pairs = [(x, _checked_value(x, value)) for x, value in tuples]
    for x, value in pairs:
        x.assign(value)


def count_params(x):
    """Number of scalars in ``x`` (a weight or a tensor)."""
    return int(math.prod(int_shape(x)))


# ---------------------------------------------------------------- symbolic graphs

def learning_phase():
    """The learning-phase placeholder: pass it as the last input of ``function`` to
    choose inference (0) or training (1) per call. Outside a function it reads as 0,
    and layers called with ``training=learning_phase()`` follow the running mode."""
    from keras_bridge.graph import LEARNING_PHASE
    return LEARNING_PHASE


def in_train_phase(x, alt, training=None):
    """``x`` in training mode, else ``alt`` (either may be a callable returning it).

    With ``training`` None (or ``learning_phase()``) and a symbolic ``x`` or ``alt``,
    the choice is a graph node made when the graph runs, in the mode it runs in; an
    eager call with no ``training`` is in inference mode. Both should have one shape.
    """
    from keras_bridge.graph import is_learning_phase
    from keras_bridge.layers.op_layer import record
    if training is not None and not is_learning_phase(training):
        chosen = x if training else alt
        return chosen() if callable(chosen) else chosen
    x = x() if callable(x) else x
    alt = alt() if callable(alt) else alt
    if isinstance(x, KerasTensor) or isinstance(alt, KerasTensor):
        return record("in_train_phase", (x, alt), {})
    return alt


def placeholder(shape=None, ndim=None, dtype=None, sparse=False, name=None):
    """A symbolic input of ``shape`` (batch axis included; None for unknown sizes), or
    of ``ndim`` unknown sizes, usable in ops and as an input of ``function``."""
    from keras_bridge.layers.core import Input
    if sparse:
        raise ValueError("K.placeholder(sparse=True) is not supported: tensors are dense.")
    if shape is None:
        if ndim is None:
            raise ValueError("K.placeholder needs shape= (batch axis included, e.g. "
                             "(None, 784)) or ndim=.")
        shape = (None,) * int(ndim)
    return Input(batch_shape=tuple(shape), dtype=dtype or floatx(), name=name)


def function(inputs, outputs, updates=None, name=None, **kwargs):
    """A callable taking a list of numpy arrays (one per input; the learning phase last
    when ``learning_phase()`` is an input) and returning a list of numpy arrays (one
    per output; a single array when ``outputs`` is one tensor), run by the engine.

    Args:
        inputs: Input / placeholder tensors (``model.input``), optionally followed by
            ``learning_phase()``.
        outputs: symbolic tensors of the same graph: layer outputs, op results,
            ``gradients``.
        updates: not supported (weights change through ``fit`` or ``set_value``).

    Example:
        get_hidden = K.function([model.input], [model.layers[1].output])
        hidden = get_hidden([x])[0]
    """
    from keras_bridge.graph_function import GraphFunction
    if updates:
        raise ValueError("K.function(updates=...) is not supported: write the training "
                         "step with model.fit / train_on_batch, or assign weights with "
                         "K.set_value.")
    if kwargs:
        raise TypeError(f"K.function() got unexpected arguments {sorted(kwargs)}.")
    return GraphFunction(inputs, outputs, name=name)


def gradients(loss, variables):
    """Symbolic gradients of ``sum(loss)`` with respect to each of ``variables``
    (weights such as ``model.trainable_weights``, or tensors ``loss`` is computed
    from: inputs, a layer's output for Grad-CAM), as a list of symbolic tensors shaped
    like them;
    computed by the engine's autodiff when the graph runs (a ``function`` output).
    A weight the loss does not depend on gets zeros (Keras 2 gave None)."""
    from keras_bridge.layers.gradients import Gradients, is_intermediate
    targets = list(variables) if isinstance(variables, (list, tuple)) else [variables]
    # An intermediate tensor cuts the graph, so each gets its own node; weights and
    # inputs share one.
    groups = [[t] for t in targets if is_intermediate(t)]
    rest = [t for t in targets if not is_intermediate(t)]
    found = {}
    for group in groups + ([rest] if rest else []):
        layer = Gradients(loss, group)
        grads = layer(layer.feeds)
        for t, g in zip(group, grads if isinstance(grads, list) else [grads]):
            found[id(t)] = g
    return [found[id(t)] for t in targets]
