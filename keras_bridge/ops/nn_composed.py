"""Keras 3's neural-network ops (keras.ops.nn) that are compositions of the engine ops,
written once for every engine (see ``composed.py`` for the numpy ones)."""

import math

from keras_bridge import config
from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _axis, _floating, _maker, _tensors, rsqrt


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



def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """One row per sample with a 1 at each of its labels (labels along the last axis)."""
    if sparse:
        raise ValueError("sparse=True is not supported: keras_bridge has no sparse tensors.")
    num_classes = kwargs.pop("num_tokens", num_classes)  # Keras's older name
    if kwargs or num_classes is None:
        raise ValueError(f"Expected num_classes (and no other keyword). Received: "
                         f"num_classes={num_classes}, {kwargs}")
    hot = _o.one_hot(inputs, num_classes, dtype=dtype or config.floatx())
    out = _o.max(hot, axis=-2) if _o.ndim(inputs) > 1 else _o.max(hot, axis=0)
    return out if axis == -1 else _o.transpose(out, _move_last(_o.ndim(out), axis))


def _move_last(n, axis):
    order = list(range(n - 1))
    order.insert(_axis(axis, n), n - 1)
    return order


def _at_least_float32(x):
    x = _floating(x)
    name = _o.dtype(x)
    return (x, name) if name in ("float32", "float64") else (_o.cast(x, "float32"), name)


def rms_normalization(x, scale=None, axis=-1, epsilon=None):
    x, original = _at_least_float32(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    out = _o.multiply(x, rsqrt(_o.add(_o.mean(_o.square(x), axis=axis, keepdims=True), epsilon)))
    if scale is not None:
        out = _o.multiply(out, _o.cast(scale, _o.dtype(x)))
    return _o.cast(out, original)


def _broadcast_params(v, x, axis):
    n = _o.ndim(x)
    axes = sorted(_axis(a, n) for a in ([axis] if isinstance(axis, int) else axis))
    if v is None or _o.ndim(v) == n or axes == [n - 1]:
        return v
    shape = [1] * n
    for a in axes:
        shape[a] = _o.shape(x)[a]
    return _o.reshape(v, shape)


def layer_normalization(x, gamma=None, beta=None, axis=-1, epsilon=None, **kwargs):
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise ValueError(f"Unexpected keyword arguments: {sorted(kwargs)}")
    x, original = _at_least_float32(x)
    epsilon = config.epsilon() if epsilon is None else epsilon
    axes = axis if isinstance(axis, int) else tuple(axis)
    gamma = None if gamma is None else _o.cast(_broadcast_params(gamma, x, axis), _o.dtype(x))
    beta = None if beta is None else _o.cast(_broadcast_params(beta, x, axis), _o.dtype(x))
    if rms_scaling:
        out = _o.multiply(x, rsqrt(_o.add(_o.var(x, axis=axes, keepdims=True), epsilon)))
        out = out if gamma is None else _o.multiply(out, gamma)
    else:
        mean = _o.mean(x, axis=axes, keepdims=True)
        var = _o.var(x, axis=axes, keepdims=True)
        out = _o.multiply(_o.subtract(x, mean), rsqrt(_o.add(var, epsilon)))
        out = out if gamma is None else _o.multiply(out, gamma)
        out = out if beta is None else _o.add(out, beta)
    return _o.cast(out, original)


def psnr(x1, x2, max_val):
    x1, x2 = (_floating(v) for v in _tensors(x1, x2))
    if tuple(_o.shape(x1)) != tuple(_o.shape(x2)):
        raise ValueError("Expected x1 and x2 of the same shape. Received: "
                         f"x1.shape={_o.shape(x1)}, x2.shape={_o.shape(x2)}")
    mse = _o.mean(_o.square(_o.subtract(x1, x2)))
    return _o.subtract(20.0 * math.log10(max_val), _o.multiply(10.0, _o.divide(_o.log(mse),
                                                                            math.log(10.0))))


def map(f, xs):
    """f applied to each slice of xs along its leading axis, stacked (nested outputs too)."""
    return _stack_tree([f(x) for x in _unstack_tree(xs)])


def vectorized_map(function, elements):
    return map(function, elements)


def _unstack_tree(xs):
    if isinstance(xs, dict):
        keys = list(xs)
        parts = [_unstack_tree(xs[k]) for k in keys]
        return [dict(zip(keys, row)) for row in zip(*parts)]
    if isinstance(xs, (list, tuple)):
        parts = [_unstack_tree(x) for x in xs]
        return [type(xs)(row) for row in zip(*parts)]
    return [_o.take(xs, i, axis=0) for i in range(_o.shape(xs)[0])]


def _stack_tree(ys):
    first = ys[0]
    if isinstance(first, dict):
        return {k: _stack_tree([y[k] for y in ys]) for k in first}
    if isinstance(first, (list, tuple)):
        return type(first)(_stack_tree([y[i] for y in ys]) for i in range(len(first)))
    return _o.stack(ys, axis=0)


_RANGES = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-32768, 32767),
           "int32": (-2147483648, 2147483647), "int64": (-2 ** 63, 2 ** 63 - 1),
           "bool": (0, 1)}


def saturate_cast(x, dtype):
    """x cast to dtype with values clipped to its range first (no integer wrap-around)."""
    name = _o.dtype(_o.zeros((), dtype=dtype))
    x = _o.convert_to_tensor(x)
    if name in _RANGES and _o.dtype(x) != "bool":
        lo, hi = _RANGES[name]
        if _o.dtype(x).startswith("float") or _o.dtype(x) == "bfloat16":
            x = _o.clip(x, float(lo), float(hi))
        else:
            x = _o.clip(x, lo, hi)
    return _o.cast(x, name)


def segment_min(data, segment_ids, num_segments=None, sorted=False):
    """-segment_max(-data): an empty segment gives +inf for floats."""
    return _o.negative(_o.segment_max(_o.negative(data), segment_ids, num_segments=num_segments,
                                      sorted=sorted))


def norm(x, ord=None, axis=None, keepdims=False):
    """Vector norms (axis an int, or None on a 1-D x) and matrix norms ('fro', 1, -1, inf,
    -inf over two axes); numpy.linalg.norm's conventions."""
    x = _floating(x)
    n = _o.ndim(x)
    if axis is None:
        if ord is None:
            return _o.sqrt(_o.sum(_o.square(x), axis=None, keepdims=keepdims))
        axis = tuple(range(n))
    axis = (axis,) if isinstance(axis, int) else tuple(axis)
    if len(axis) == 1:
        if ord is None or ord == 2:
            return _o.sqrt(_o.sum(_o.square(x), axis=axis, keepdims=keepdims))
        if ord == float("inf"):
            return _o.max(_o.abs(x), axis=axis, keepdims=keepdims)
        if ord == float("-inf"):
            return _o.min(_o.abs(x), axis=axis, keepdims=keepdims)
        if ord == 0:
            return _o.sum(_o.cast(_o.not_equal(x, 0), _o.dtype(x)), axis=axis, keepdims=keepdims)
        if isinstance(ord, str):
            raise ValueError(f"Expected a numeric ord for a vector norm. Received: ord={ord!r}")
        return _o.power(_o.sum(_o.power(_o.abs(x), float(ord)), axis=axis, keepdims=keepdims),
                        1.0 / ord)
    if len(axis) != 2:
        raise ValueError(f"Expected one or two axes. Received: axis={axis}")
    r, c = (_axis(a, n) for a in axis)
    if ord in (None, "fro"):
        return _o.sqrt(_o.sum(_o.square(x), axis=axis, keepdims=keepdims))
    if ord in (1, -1, float("inf"), float("-inf")):
        over, along = (r, c) if ord in (1, -1) else (c, r)
        sums = _o.sum(_o.abs(x), axis=over, keepdims=True)
        pick = _o.max if ord in (1, float("inf")) else _o.min
        out = pick(sums, axis=along, keepdims=True)
        return out if keepdims else _o.squeeze(out, axis=(r, c))
    raise ValueError(f"Expected a matrix ord among None, 'fro', 1, -1, inf, -inf. "
                     f"Received: ord={ord!r}")


def matrix_power(x, n):
    if not isinstance(n, int):
        raise ValueError(f"Expected an int power. Received: n={n!r}")
    x = _o.convert_to_tensor(x)
    if n < 0:
        x, n = _o.inv(x), -n
    shape = _o.shape(x)
    result = _o.broadcast_to(_maker(x).eye(shape[-1], None, _o.dtype(x)), shape)
    while n:  # square and multiply
        if n & 1:
            result = _o.matmul(result, x)
        x, n = _o.matmul(x, x), n >> 1
    return result


def logdet(x):
    return _o.log(_o.det(x))


def sparsemax(x, axis=-1):
    """max(x - tau, 0), tau making the entries sum to 1 (Martins & Astudillo 2016): with x
    sorted descending, tau = (sum of the top k - 1) / k for the largest k whose k-th entry
    exceeds it. Keras 3.15 sums every supported prefix instead of the k-th one, so its
    rows do not sum to 1 when k > 1; this follows the definition its docstring states."""
    x = _floating(x)
    n = _o.ndim(x)
    axis = _axis(axis, n)
    ranked = _o.negative(_o.sort(_o.negative(x), axis=axis))
    prefix = _o.cumsum(ranked, axis=axis)
    view = [1] * n
    view[axis] = -1
    r = _o.reshape(_maker(x).arange(1, _o.shape(x)[axis] + 1, 1, _o.dtype(x)), view)
    support = _o.greater(_o.multiply(ranked, r), _o.subtract(prefix, 1.0))
    k = _o.sum(_o.cast(support, "int32"), axis=axis, keepdims=True)
    top = _o.take_along_axis(prefix, _o.subtract(k, 1), axis=axis)
    tau = _o.divide(_o.subtract(top, 1.0), _o.cast(k, _o.dtype(x)))
    return _o.maximum(_o.subtract(x, tau), 0.0)


def _adaptive_arguments(inputs, output_size, data_format, what):
    inputs = _floating(inputs)
    rank = _o.ndim(inputs) - 2
    if rank not in (1, 2, 3):
        raise ValueError(f"{what} expects inputs of rank 3, 4 or 5 (batch, spatial axes, "
                         f"channels). Received: inputs.shape={_o.shape(inputs)}")
    size = (output_size,) * rank if isinstance(output_size, int) else tuple(output_size)
    if len(size) != rank or not all(isinstance(v, int) and v > 0 for v in size):
        raise ValueError(f"Expected output_size a positive int or {rank} positive ints. "
                         f"Received: output_size={output_size}")
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return inputs, size, data_format


def _adaptive_pool(name, pool, inputs, output_size, data_format):
    """Bins [floor(i n / out), ceil((i + 1) n / out)) of each spatial axis, one axis at a
    time (both reductions are separable): a stride-1 pool for each bin width, then each
    bin's window picked from them."""
    x, size, data_format = _adaptive_arguments(inputs, output_size, data_format, name)
    kernel = _o.native(name, x)
    if kernel is not None:
        return kernel(x, size, data_format)
    first = 1 if data_format == "channels_last" else 2
    for i, out in enumerate(size):
        axis, n = first + i, _o.shape(x)[first + i]
        starts = [j * n // out for j in range(out)]
        widths = [-(-(j + 1) * n // out) - s for j, s in enumerate(starts)]
        pooled, offset = [], {}
        for w in sorted(set(widths)):
            window = [1] * len(size)
            window[i] = w
            offset[w] = sum(_o.shape(p)[axis] for p in pooled)
            pooled.append(pool(x, window, strides=1, padding="valid", data_format=data_format))
        index = [offset[w] + s for s, w in zip(starts, widths)]
        x = _o.take(_o.concatenate(pooled, axis=axis),
                    _maker(x).convert_to_tensor(index, "int32"), axis=axis)
    return x


@_o.whole_node
def adaptive_average_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("adaptive_average_pool", _o.average_pool, inputs, output_size,
                          data_format)


@_o.whole_node
def adaptive_max_pool(inputs, output_size, data_format=None):
    return _adaptive_pool("adaptive_max_pool", _o.max_pool, inputs, output_size, data_format)


def ctc_decode(inputs, sequence_lengths, strategy="greedy", beam_width=100, top_paths=1,
               merge_repeated=True, mask_index=0):
    """Greedy CTC decoding as Keras 3: the best class per step (steps past a sequence's
    length count as mask_index), repeats merged, blanks dropped and the labels moved to
    the front, -1 after them; (labels (1, batch, max_length), -sum of the best logits
    (batch, 1)). strategy='beam_search' is not implemented yet."""
    if strategy == "beam_search":
        raise NotImplementedError("ctc_decode(strategy='beam_search') is not implemented yet; "
                                  "use strategy='greedy'.")
    if strategy != "greedy":
        raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and "
                         "'beam_search'.")
    inputs, lengths = _tensors(inputs, sequence_lengths)
    inputs = _at_least_float32(inputs)[0]
    if _o.ndim(inputs) != 3:
        raise ValueError("Expected inputs of shape (batch_size, max_length, num_classes). "
                         f"Received: inputs.shape={_o.shape(inputs)}")
    steps = _o.shape(inputs)[1]
    make = _maker(inputs)
    past = _o.greater_equal(_o.expand_dims(make.arange(0, steps, 1, "int32"), 0),
                            _o.expand_dims(_o.cast(lengths, "int32"), 1))
    labels = _o.where(past, mask_index, _o.cast(_o.argmax(inputs, axis=-1), "int32"))
    scores = _o.where(past, 0.0, _o.max(inputs, axis=-1))
    if merge_repeated:
        same = _o.equal(labels[:, 1:], labels[:, :-1])
        same = _o.concatenate([_o.zeros_like(same[:, :1]), same], axis=1)
        labels = _o.where(same, mask_index, labels)
    blank = _o.equal(labels, mask_index)
    labels = _o.where(blank, -1, labels)
    # a stable order putting the kept labels first: blanks get key `steps`
    key = _o.where(blank, steps, _o.expand_dims(make.arange(0, steps, 1, "int32"), 0))
    labels = _o.take_along_axis(labels, _o.argsort(key, axis=-1), axis=-1)
    return (_o.expand_dims(labels, 0),
            _o.negative(_o.sum(scores, axis=1, keepdims=True)))


COMPOSED = sorted(n for n, v in dict(globals()).items()
                  if callable(v) and not n.startswith("_") and getattr(v, "__module__", None) == __name__)
