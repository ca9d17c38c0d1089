"""Keras 3's ``moments``, ``batch_normalization`` and ``scan`` on torch.

``moments`` is one ``torch.var_mean`` pass (population variance); float16 / bfloat16
inputs are reduced in float32 and the results clipped to the half type's range and cast
back, as Keras does. ``batch_normalization`` is torch's fused ``F.batch_norm`` (inference
form) when the features axis is 1 and the statistics need no gradient (that kernel has
none for them); otherwise Keras's ``x * inv + (offset - mean * inv)`` with
``inv = scale * rsqrt(variance + epsilon)``. ``scan`` is a Python loop over the leading
axis: torch runs eagerly, so there is nothing to compile; ``unroll`` has no effect.
Nested ``init`` / ``xs`` / outputs are lists, tuples or dicts; ``None`` stays ``None``.
"""

import torch
import torch.nn.functional as F

from keras_bridge.backends import nn_checks as checks
from keras_bridge.utils import tree

_HALF = (torch.float16, torch.bfloat16)
_FUSED = (torch.float32, torch.float64)


def _t(x):
    if isinstance(x, torch.Tensor):
        return x
    from keras_bridge.backends.torch.ops import convert_to_tensor
    return convert_to_tensor(x)


def _float(x):
    from keras_bridge.backends.torch.ops import _float as as_float
    return as_float(x)


def moments(x, axes, keepdims=False, synchronized=False):
    checks.no_synchronized(synchronized)
    x = _float(x)
    dims = checks.reduction_axes(axes, x.dim())
    half = x.dtype if x.dtype in _HALF else None
    if half is not None:
        x = x.float()
    if not dims:  # nothing to reduce: each entry is its own mean
        mean, variance = x, torch.zeros_like(x)
    else:
        variance, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=keepdims)
    if half is not None:
        info = torch.finfo(half)
        mean = mean.clamp(info.min, info.max).to(half)
        variance = variance.clamp(info.min, info.max).to(half)
    return mean, variance


def batch_normalization(x, mean, variance, axis, offset=None, scale=None, epsilon=1e-3):
    x, mean, variance = _float(x), _t(mean), _t(variance)
    offset = None if offset is None else _t(offset)
    scale = None if scale is None else _t(scale)
    axis = checks.normalization_axis(axis, tuple(x.shape), {
        "mean": mean.shape, "variance": variance.shape,
        "offset": None if offset is None else offset.shape,
        "scale": None if scale is None else scale.shape})
    if axis == 1 and x.dim() > 1 and x.dtype in _FUSED and \
            not (mean.requires_grad or variance.requires_grad) and \
            all(v is None or v.dtype == x.dtype for v in (mean, variance, offset, scale)):
        return F.batch_norm(x, mean, variance, scale, offset, training=False, eps=epsilon)
    return checks.affine_normalize(x, mean, variance, offset, scale, epsilon, torch.rsqrt,
                                   axis)


def _as_tensors(struct):
    return tree.map_structure(lambda v: v if v is None else _t(v), struct)


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    checks.scan_arguments(f, unroll)
    leaves = [v for v in tree.flatten(xs) if v is not None] if xs is not None else []
    leaves = [_t(v) for v in leaves]
    n = checks.scan_length([tuple(v.shape) for v in leaves], length, xs is not None)
    carry = _as_tensors(init)
    # Each leaf split into its steps once: indexing ``v[i]`` per step would make autograd
    # write every step's gradient into a zero tensor of the whole leaf (O(steps^2)).
    steps = [torch.unbind(v) for v in leaves]
    ys = []
    for i in (range(n - 1, -1, -1) if reverse else range(n)):
        if xs is None:
            x = None
        else:
            sliced = iter([v[i] for v in steps])
            x = tree.map_structure(lambda v: None if v is None else next(sliced), xs)
        carry, y = f(carry, x)
        ys.append(y)
    if reverse:
        ys.reverse()
    if not ys:
        return carry, None
    columns = zip(*(tree.flatten(y) for y in ys))
    stacked = [None if col[0] is None else torch.stack([_t(v) for v in col])
               for col in columns]
    return carry, tree.pack_like(ys[0], stacked)


def dot_product_attention(query, key, value, bias=None, mask=None, scale=None,
                          is_causal=False, flash_attention=None, attn_logits_soft_cap=None):
    """``torch.nn.functional.scaled_dot_product_attention`` (flash / memory-efficient
    kernels on CUDA) in Keras's (B, T, N, H) layout. A mask becomes an additive bias of
    Keras's large negative, folded with ``is_causal`` when both are given (SDPA takes one
    or the other)."""
    from keras_bridge.backends.torch.ops import _promoted
    query, key, value = _promoted(_float(query), _float(key), _float(value))
    heads, kv_heads = checks.attention_heads(query.shape, key.shape, value.shape,
                                             flash_attention, attn_logits_soft_cap)
    t, s = query.shape[1], key.shape[1]
    hidden = None if mask is None else ~_t(mask).to(torch.bool)
    if is_causal and (hidden is not None or bias is not None):
        causal = torch.ones((t, s), dtype=torch.bool, device=query.device).tril()
        hidden = ~causal if hidden is None else hidden | ~causal
        is_causal = False
    attn_bias = None
    if hidden is not None:
        negative = checks.large_negative(str(query.dtype).rsplit(".", 1)[-1])
        attn_bias = torch.zeros(hidden.shape, dtype=query.dtype,
                                device=query.device).masked_fill(hidden, negative)
    if bias is not None:
        bias = _t(bias).to(query.dtype)
        attn_bias = bias if attn_bias is None else attn_bias + bias
    if attn_bias is not None:
        while attn_bias.dim() < 4:
            attn_bias = attn_bias.unsqueeze(0)
    query = query.transpose(1, 2)
    if hidden is not None:
        # A fully hidden query row attends uniformly. Reach that with a zero query and
        # no bias on the row, so, as with JAX's where-masking, no gradient flows to the
        # query and keys through the hidden logits (an additive bias would pass one).
        while hidden.dim() < 4:
            hidden = hidden.unsqueeze(0)
        blind = hidden.all(-1, keepdim=True)
        query = query.masked_fill(blind, 0.0)
        attn_bias = attn_bias.masked_fill(blind, 0.0)
    out = F.scaled_dot_product_attention(
        query, key.transpose(1, 2), value.transpose(1, 2),
        attn_mask=attn_bias, is_causal=bool(is_causal), scale=scale,
        enable_gqa=heads != kv_heads)
    return out.transpose(1, 2)
