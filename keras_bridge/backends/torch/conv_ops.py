"""Keras 3's convolution and pooling primitives on torch, and the kernels' calls that
the lowering rules (``conv_rules.py``) share with them.

The ``*_cf`` functions take channels-first tensors and torch-layout weights; the ops
(``conv``, ``depthwise_conv``, ``separable_conv``, ``conv_transpose``, ``max_pool``,
``average_pool``) take Keras-layout kernels and either data format. A Keras kernel is
permuted to torch's layout as a view, and a channels-last input is viewed channels-first
with ``movedim`` (torch's convolution and pooling kernels take that memory format as it
is). Keras's 'same' puts the odd padding after; a symmetric one goes to torch's own
``padding`` argument, an asymmetric one is an ``F.pad`` (-inf for max pooling), and an
average then rescales by the count of input entries per window, so padded entries never
count.
"""

import functools
import math

import torch
import torch.nn.functional as F

from keras_bridge.backends import conv_checks as checks
from keras_bridge.layers.convolutional import keras_pads, transpose_padding
from keras_bridge.layers.pooling import average_counts

CONV = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}
CONV_T = {1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d}
MAX_POOL = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
AVG_POOL = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}


# ---- shared with the lowering rules (channels-first, torch layout) -----------------------
def pad_argument(pads):
    """``F.pad``'s argument (last axis first) for per-axis ``(before, after)`` pads."""
    return tuple(v for before, after in reversed(pads) for v in (before, after))


def pad_plan(pads):
    """``(F.pad argument or None, torch padding)`` for per-axis ``(before, after)`` pads."""
    if all(before == after for before, after in pads):
        return None, tuple(before for before, _ in pads)
    return pad_argument(pads), 0


def conv_cf(x, weight, bias, strides, plan, dilation, groups=1):
    pad, padding = plan
    if pad is not None:
        x = F.pad(x, pad)
    return CONV[x.dim() - 2](x, weight, bias, strides, padding, dilation, groups)


def transpose_plan(pairs, kernel, strides, dilation):
    """torch's ``(padding, output_padding, end pad, slice)`` for a transposed convolution
    whose stride-dilated input Keras pads by ``pairs``: Keras crops ``extent - 1 -
    before`` at the start of the full transposed output and ``extent - 1 - after`` at the
    end (negative: extends it, with the bias only). torch crops both sides alike and adds
    ``output_padding`` (< stride or dilation) at the end; a slice or an end pad does the
    rest."""
    padding, output_padding, extra, index, sliced = [], [], [], [slice(None)] * 2, False
    for (before, after), k, s, d in zip(pairs, kernel, strides, dilation):
        start, end = (k - 1) * d - before, (k - 1) * d - after
        both = min(start, max(end, 0))
        grow = max(both - end, 0)
        padding.append(both)
        output_padding.append(min(grow, max(s, d) - 1))
        extra.append((0, grow - output_padding[-1]))
        trim = max(end, 0) - both
        index.append(slice(start - both, -trim if trim else None))
        sliced = sliced or start > both or trim > 0
    end_pad = pad_argument(extra) if any(e for _, e in extra) else None
    return tuple(padding), tuple(output_padding), end_pad, tuple(index) if sliced else None


def conv_transpose_cf(x, weight, bias, strides, plan, dilation):
    padding, output_padding, end_pad, index = plan
    op = CONV_T[x.dim() - 2]
    if end_pad is None:
        y = op(x, weight, bias, strides, padding, output_padding, 1, dilation)
    else:
        y = F.pad(op(x, weight, None, strides, padding, output_padding, 1, dilation), end_pad)
        if bias is not None:
            y = y + bias.view((-1,) + (1,) * (x.dim() - 2))
    return y if index is None else y[index]


def max_pool_cf(x, pool_size, strides, plan):
    pad, padding = plan
    if pad is not None:
        x = F.pad(x, pad, value=-math.inf)
    return MAX_POOL[x.dim() - 2](x, pool_size, strides, padding)


def average_pool_cf(x, pool_size, strides, pads, plan):
    if x.dim() == 5 and x.dtype == torch.bfloat16 and x.device.type == "cpu":
        # torch has no bfloat16 avg_pool3d on the CPU: averaged in float32, rounded back
        return average_pool_cf(x.float(), pool_size, strides, pads, plan).to(x.dtype)
    pad, padding = plan
    op = AVG_POOL[x.dim() - 2]
    if pad is None:
        return op(x, pool_size, strides, padding, count_include_pad=False)
    scale = _average_scale(tuple(x.shape[2:]), tuple(pool_size), tuple(strides),
                           tuple(map(tuple, pads)), x.device, x.dtype)
    return op(F.pad(x, pad), pool_size, strides) * scale


@functools.lru_cache(maxsize=64)
def _average_scale(spatial, pool_size, strides, pads, device, dtype):
    """``prod(pool_size) / entries counted`` per output position."""
    counts = average_counts(spatial, pool_size, strides, pads)[..., 0]
    with torch.inference_mode(False):  # also usable by autograd after a predict
        return torch.as_tensor(math.prod(pool_size) / counts, dtype=dtype, device=device)


# ---- the ops (Keras layout, either data format) ------------------------------------------
def _tensor(x):
    from keras_bridge.backends.torch.ops import convert_to_tensor
    return x if isinstance(x, torch.Tensor) else convert_to_tensor(x)


def _geometry(x, name, padding, data_format):
    """``(channels-first x, rank, padding, channels_last)`` checked."""
    rank, padding, last, _, _ = checks.layout(tuple(x.shape), name, padding, data_format)
    return (x.movedim(-1, 1) if last else x), rank, padding, last


def _kernel(kernel, x, rank, name, axis, what):
    kernel = _tensor(kernel)
    checks.check_kernel(tuple(kernel.shape), rank, x.shape[1], name, axis, what)
    return kernel if kernel.dtype == x.dtype else kernel.to(x.dtype)


def _out(y, last):
    return y.movedim(1, -1) if last else y


def _torch_weight(kernel, rank):
    """(*k, in, out) -> (out, in, *k), a view."""
    return kernel.permute((rank + 1, rank) + tuple(range(rank)))


def _depthwise_weight(kernel, rank):
    """(*k, in, m) -> (in * m, 1, *k), output channel c * m + j as Keras."""
    return kernel.reshape(tuple(kernel.shape[:rank]) + (-1,)).movedim(-1, 0).unsqueeze(1)


def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1):
    x, rank, padding, last = _geometry(_tensor(inputs), "conv", padding, data_format)
    kernel = _kernel(kernel, x, rank, "conv", -2, "divide")
    strides = checks.positive_tuple(strides, rank, "strides", "conv")
    dilation = checks.positive_tuple(dilation_rate, rank, "dilation_rate", "conv")
    ksize = tuple(kernel.shape[:rank])
    pads = keras_pads(padding, x.shape[2:], ksize, strides, dilation)
    y = conv_cf(x, _torch_weight(kernel, rank), None, strides, pad_plan(pads), dilation,
                x.shape[1] // kernel.shape[-2])
    return _out(y, last)


def _depthwise_cf(x, rank, padding, kernel, strides, dilation_rate, name):
    kernel = _kernel(kernel, x, rank, name, -2, "equal")
    strides = checks.positive_tuple(strides, rank, "strides", name)
    dilation = checks.positive_tuple(dilation_rate, rank, "dilation_rate", name)
    pads = keras_pads(padding, x.shape[2:], tuple(kernel.shape[:rank]), strides, dilation)
    return conv_cf(x, _depthwise_weight(kernel, rank), None, strides, pad_plan(pads),
                   dilation, x.shape[1])


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1):
    x, rank, padding, last = _geometry(_tensor(inputs), "depthwise_conv", padding,
                                       data_format)
    return _out(_depthwise_cf(x, rank, padding, kernel, strides, dilation_rate,
                              "depthwise_conv"), last)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1):
    x, rank, padding, last = _geometry(_tensor(inputs), "separable_conv", padding,
                                       data_format)
    y = _depthwise_cf(x, rank, padding, depthwise_kernel, strides, dilation_rate,
                      "separable_conv")
    pointwise = _kernel(pointwise_kernel, y, rank, "separable_conv", -2, "equal")
    ones = (1,) * rank
    return _out(conv_cf(y, _torch_weight(pointwise, rank), None, ones, (None, 0), ones),
                last)


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1):
    name = "conv_transpose"
    x, rank, padding, last = _geometry(_tensor(inputs), name, padding, data_format)
    kernel = _kernel(kernel, x, rank, name, -1, "equal")
    strides = checks.positive_tuple(strides, rank, "strides", name)
    dilation = checks.positive_tuple(dilation_rate, rank, "dilation_rate", name)
    extra = checks.output_paddings(output_padding, rank)
    ksize = tuple(kernel.shape[:rank])
    pairs = [transpose_padding(k, s, d, padding, p)
             for k, s, d, p in zip(ksize, strides, dilation, extra)]
    plan = transpose_plan(pairs, ksize, strides, dilation)
    return _out(conv_transpose_cf(x, _torch_weight(kernel, rank), None, strides, plan,
                                  dilation), last)


def _pool(inputs, pool_size, strides, padding, data_format, name):
    x, rank, padding, last = _geometry(_tensor(inputs), name, padding, data_format)
    pool_size = checks.positive_tuple(pool_size, rank, "pool_size", name)
    strides = pool_size if strides is None else \
        checks.positive_tuple(strides, rank, "strides", name)
    pads = keras_pads(padding, x.shape[2:], pool_size, strides, (1,) * rank)
    return x, pool_size, strides, pads, last


def max_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x, pool_size, strides, pads, last = _pool(inputs, pool_size, strides, padding,
                                              data_format, "max_pool")
    return _out(max_pool_cf(x, pool_size, strides, pad_plan(pads)), last)


def average_pool(inputs, pool_size, strides=None, padding="valid", data_format=None):
    x, pool_size, strides, pads, last = _pool(inputs, pool_size, strides, padding,
                                              data_format, "average_pool")
    return _out(average_pool_cf(x, pool_size, strides, pads, pad_plan(pads)), last)
