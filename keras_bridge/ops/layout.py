"""Keras 3's ops that move entries between axes, written once from the engine ops:
depth_to_space / space_to_depth (pixel shuffle), einops-style ``rearrange``,
``extract_sequences`` (frames of a signal) and ``unfold`` / ``fold`` (im2col / col2im,
NCHW, torch's definition; torch uses its own kernels, ``contract.NATIVE``). Given
symbolic tensors each records one graph node (``dispatch.whole_node``)."""

import math
import re

import numpy as np

from keras_bridge import config
from keras_bridge.ops import dispatch as _o
from keras_bridge.ops.composed import _maker

_whole = _o.whole_node


def _format(data_format):
    data_format = data_format or config.image_data_format()
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError("Expected data_format 'channels_last' or 'channels_first'. "
                         f"Received: data_format={data_format!r}")
    return data_format


def _rank4(x, what):
    if _o.ndim(x) != 4:
        raise ValueError(f"`{what}` requires a 4D input tensor. Received: x.shape={_o.shape(x)}")
    return _o.shape(x)


def _block(block_size):
    if not isinstance(block_size, int) or block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    return block_size


@_whole
def depth_to_space(x, block_size, data_format="channels_last"):
    """(N, H, W, C * r^2) -> (N, H * r, W * r, C); channels_last reads the depth as
    (r, r, C) (TensorFlow's order), channels_first as (C, r, r) (torch's pixel shuffle)."""
    r, data_format = _block(block_size), _format(data_format)
    x = _o.convert_to_tensor(x)
    shape = _rank4(x, "depth_to_space")
    if data_format == "channels_last":
        n, h, w, c = shape
    else:
        n, c, h, w = shape
    if c % (r * r):
        raise ValueError(f"The number of channels ({c}) must be divisible by "
                         f"block_size**2 ({r * r}).")
    if data_format == "channels_last":
        x = _o.transpose(_o.reshape(x, (n, h, w, r, r, c // (r * r))), (0, 1, 3, 2, 4, 5))
        return _o.reshape(x, (n, h * r, w * r, c // (r * r)))
    x = _o.transpose(_o.reshape(x, (n, c // (r * r), r, r, h, w)), (0, 1, 4, 2, 5, 3))
    return _o.reshape(x, (n, c // (r * r), h * r, w * r))


@_whole
def space_to_depth(x, block_size, data_format="channels_last"):
    """The inverse of depth_to_space: r x r blocks of the image into the depth."""
    r, data_format = _block(block_size), _format(data_format)
    x = _o.convert_to_tensor(x)
    shape = _rank4(x, "space_to_depth")
    if data_format == "channels_last":
        n, h, w, c = shape
    else:
        n, c, h, w = shape
    if h % r or w % r:
        raise ValueError(f"Height ({h}) and width ({w}) must be divisible by block_size ({r}).")
    if data_format == "channels_last":
        x = _o.transpose(_o.reshape(x, (n, h // r, r, w // r, r, c)), (0, 1, 3, 2, 4, 5))
        return _o.reshape(x, (n, h // r, w // r, c * r * r))
    x = _o.transpose(_o.reshape(x, (n, c, h // r, r, w // r, r)), (0, 1, 3, 5, 2, 4))
    return _o.reshape(x, (n, c * r * r, h // r, w // r))


_AXES = re.compile(r"\w+|\([\w\s]*\)")


def _groups(side):
    groups = [g.strip("()").split() if g.startswith("(") else [g] for g in _AXES.findall(side)]
    names = [a for g in groups for a in g]
    if len(set(names)) != len(names):
        raise ValueError(f"An axis name appears twice in {side.strip()!r}.")
    return groups


@_whole
def rearrange(tensor, pattern, **axes_lengths):
    """einops' rearrange: split the input's grouped axes ('(h1 h)', sizes from
    axes_lengths, at most one inferred per group), permute, merge the output's groups."""
    if pattern.count("->") != 1:
        raise ValueError(f"Expected a pattern 'inputs -> outputs'. Received: {pattern!r}")
    x = _o.convert_to_tensor(tensor)
    left, right = (_groups(side) for side in pattern.split("->"))
    shape = _o.shape(x)
    if len(left) != len(shape):
        raise ValueError(f"The pattern {pattern!r} names {len(left)} input axes; the tensor "
                         f"has shape {shape}.")
    sizes = {}
    for group, dim in zip(left, shape):
        unknown = [a for a in group if a not in axes_lengths]
        if len(unknown) > 1:
            raise ValueError(f"Axes {unknown} of group {group} need sizes: pass them as "
                             "keyword arguments.")
        known = math.prod(axes_lengths[a] for a in group if a in axes_lengths)
        if unknown:
            sizes[unknown[0]] = dim // known
        for a in group:
            sizes.setdefault(a, axes_lengths.get(a))
        if math.prod(sizes[a] for a in group) != dim:
            raise ValueError(f"Axis group {group} of sizes {[sizes[a] for a in group]} does "
                             f"not divide the input axis of size {dim}.")
    names = [a for g in left for a in g]
    out_names = [a for g in right for a in g]
    if sorted(names) != sorted(out_names):
        raise ValueError(f"The pattern {pattern!r} must name the same axes on both sides.")
    x = _o.reshape(x, [sizes[a] for a in names])
    x = _o.transpose(x, [names.index(a) for a in out_names])
    return _o.reshape(x, [math.prod(sizes[a] for a in g) for g in right])


@_whole
def extract_sequences(x, sequence_length, sequence_stride):
    """Frames (..., num_sequences, sequence_length) of the last axis, sequence_stride apart."""
    x = _o.convert_to_tensor(x)
    n = _o.shape(x)[-1]
    if sequence_length > n or sequence_length < 1 or sequence_stride < 1:
        raise ValueError(f"Expected 1 <= sequence_length <= {n} (the signal's length) and "
                         f"sequence_stride >= 1. Received: sequence_length={sequence_length}, "
                         f"sequence_stride={sequence_stride}")
    count = (n - sequence_length) // sequence_stride + 1
    index = (np.arange(count)[:, None] * sequence_stride + np.arange(sequence_length)[None])
    return _o.take(x, _maker(x).convert_to_tensor(index, "int32"), axis=-1)


def _pair(v, what):
    v = (v, v) if isinstance(v, int) else tuple(v)
    if len(v) != 2 or not all(isinstance(e, int) for e in v):
        raise ValueError(f"Expected an int or a pair of ints for {what}. Received: {what}={v}")
    return v


def _blocks(x, kernel_size, dilation, padding, stride, rank, what):
    if _o.ndim(x) != rank:
        raise ValueError(f"Input must be a {rank}D tensor. Received: input.shape={_o.shape(x)}")
    return [_pair(v, n) for v, n in ((kernel_size, "kernel_size"), (dilation, "dilation"),
                                     (padding, "padding"), (stride, "stride"))]


def _identity_kernel(x, channels, k):
    """(kh, kw, C, C * kh * kw) ones taking channel c at offset (i, j) to channel
    (c * kh + i) * kw + j: torch's order of unfold's blocks."""
    kh, kw = k
    eye = np.eye(channels * kh * kw, dtype=_o.dtype(x)).reshape(channels, kh, kw, -1)
    return _maker(x).convert_to_tensor(eye.transpose(1, 2, 0, 3))


@_whole
def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding kh x kw blocks of NCHW x, zero-padded: (N, C * kh * kw, L)."""
    x = _o.convert_to_tensor(x)
    k, d, p, s = _blocks(x, kernel_size, dilation, padding, stride, 4, "unfold")
    kernel = _o.native("unfold", x)
    if kernel is not None:
        return kernel(x, k, d, p, s)
    n, c = _o.shape(x)[:2]
    x = _o.pad(x, [[0, 0], [0, 0], [p[0], p[0]], [p[1], p[1]]])
    out = _o.conv(x, _identity_kernel(x, c, k), strides=s, dilation_rate=d,
                  data_format="channels_first")
    return _o.reshape(out, (n, c * k[0] * k[1], -1))


@_whole
def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The sum of unfold's blocks back into (N, C, *output_size) (unfold's adjoint)."""
    x = _o.convert_to_tensor(x)
    k, d, p, s = _blocks(x, kernel_size, dilation, padding, stride, 3, "fold")
    size = _pair(output_size, "output_size")
    n, ckk, length = _o.shape(x)
    if ckk % (k[0] * k[1]):
        raise ValueError(f"The second dimension of the input ({ckk}) must be divisible by "
                         f"kernel_size product ({k[0] * k[1]}).")
    blocks = [(size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in (0, 1)]
    if blocks[0] * blocks[1] != length:
        raise ValueError(f"Expected {blocks[0] * blocks[1]} blocks for output_size={size}, "
                         f"kernel_size={k}, dilation={d}, padding={p}, stride={s}. "
                         f"Received: {length} (x.shape={_o.shape(x)})")
    kernel = _o.native("fold", x)
    if kernel is not None:
        return kernel(x, size, k, d, p, s)
    c = ckk // (k[0] * k[1])
    x = _o.reshape(x, (n, ckk, *blocks))
    # conv_transpose is conv's gradient: each block's entries go back to their pixels.
    out = _o.conv_transpose(x, _identity_kernel(x, c, k), strides=s, dilation_rate=d,
                            data_format="channels_first")
    full = [size[i] + 2 * p[i] for i in (0, 1)]
    made = _o.shape(out)[2:]
    out = _o.pad(out, [[0, 0], [0, 0], [0, max(0, full[0] - made[0])],
                       [0, max(0, full[1] - made[1])]])
    return _o.slice(out, [0, 0, p[0], p[1]], [n, c, size[0], size[1]])


COMPOSED = ["depth_to_space", "extract_sequences", "fold", "rearrange", "space_to_depth",
            "unfold"]
