"""Argument checks of ``moments``, ``batch_normalization`` and ``scan``, dropout's
``noise_shape``, and Keras's normalization formula, engine-free (the layers and ``K`` use
the noise shape too): both engines' ``nn_ops`` (and torch's norm rules) go
through these, so the rules, the messages and the math are stated once. Shapes are
tuples of ints."""

import operator

HALF = ("float16", "bfloat16")  # statistics of these are computed in float32, as Keras


def _int(value):
    if isinstance(value, bool):
        raise TypeError
    return operator.index(value)


def reduction_axes(axes, ndim, op="moments"):
    """``axes`` (an int or a sequence of ints) as distinct non-negative axes of a rank
    ``ndim`` input."""
    items = axes if isinstance(axes, (list, tuple)) else (axes,)
    try:
        items = tuple(_int(a) for a in items)
    except TypeError:
        raise TypeError(f"ops.{op} expects `axes` to be an int or a list of ints. "
                        f"Received: axes={axes!r}") from None
    for a in items:
        if not -ndim <= a < ndim:
            raise ValueError(f"ops.{op}: axis {a} is out of bounds for an input of rank "
                             f"{ndim}; expected axes in [{-ndim}, {ndim}). Received: "
                             f"axes={axes!r}")
    resolved = tuple(a % ndim for a in items)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"ops.{op} expects distinct axes. Received: axes={axes!r} for an "
                         f"input of rank {ndim}")
    return resolved


def no_synchronized(synchronized, op="moments"):
    if synchronized:
        raise NotImplementedError(f"ops.{op}(synchronized=True) is only supported by "
                                  "Keras's TensorFlow backend; keras_bridge runs torch and "
                                  "JAX. Use synchronized=False.")


def normalization_axis(axis, x_shape, vectors):
    """``axis`` as a non-negative axis of ``x_shape``; ``vectors`` maps each given
    argument name (mean, variance, offset, scale) to its shape, which must be
    ``(x_shape[axis],)``."""
    ndim = len(x_shape)
    try:
        a = _int(axis)
    except TypeError:
        raise TypeError(f"ops.batch_normalization expects `axis` to be an int. Received: "
                        f"axis={axis!r}") from None
    if not -ndim <= a < ndim:
        raise ValueError(f"ops.batch_normalization: axis {a} is out of bounds for an input "
                         f"of shape {tuple(x_shape)}; expected an axis in [{-ndim}, {ndim}). "
                         f"Received: axis={axis!r}")
    a %= ndim
    want = (x_shape[a],)
    for name, shape in vectors.items():
        if shape is not None and tuple(shape) != want:
            raise ValueError(f"ops.batch_normalization expects `{name}` to be a vector of "
                             f"length x.shape[axis]. Expected: {want}. Received: "
                             f"{name}.shape={tuple(shape)}")
    return a


def scan_arguments(f, unroll):
    if not callable(f):
        raise TypeError(f"ops.scan expects `f` to be a callable (carry, x) -> (carry, y). "
                        f"Received: f={f!r}")
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"ops.scan expects `unroll` to be a positive int or a bool. "
                         f"Received: unroll={unroll!r}")


def scan_length(xs_shapes, length, xs_given):
    """The number of steps: ``length``, or the leading size shared by every array in
    ``xs`` (``xs_shapes``, their shapes)."""
    if not xs_given and length is None:
        raise ValueError("ops.scan got no `xs` to scan over and no `length`. Pass xs, or "
                         "length=the number of steps.")
    if length is not None:
        try:
            length = _int(length)
        except TypeError:
            length = -1
        if length < 0:
            raise ValueError(f"ops.scan expects `length` to be a non-negative int. "
                             f"Received: length={length!r}")
    leading = set()
    for shape in xs_shapes:
        if not shape:
            raise ValueError("ops.scan scans over the leading axis of every array in `xs`; "
                             "a scalar has none. Received: an array of shape ()")
        leading.add(int(shape[0]))
    if len(leading) > 1 or (leading and length is not None and length not in leading):
        raise ValueError(f"ops.scan expects every array in `xs` to have the same leading "
                         f"size{' as length' if length is not None else ''}. Received: "
                         f"leading sizes {sorted(leading)}"
                         f"{f', length={length}' if length is not None else ''}")
    return length if length is not None else (leading.pop() if leading else 0)


def affine_normalize(x, mean, variance, offset, scale, epsilon, rsqrt, axis=-1):
    """Keras's normalization, ``x * inv + (offset - mean * inv)`` with ``inv = scale *
    rsqrt(variance + epsilon)``, stated once for the engines (their tensors share these
    operators; ``rsqrt`` is the engine's). Statistics are vectors along ``axis`` of x,
    or already broadcastable to x when ``axis`` is -1."""
    inv = rsqrt(variance + epsilon)
    if scale is not None:
        inv = inv * scale
    res = -mean * inv
    if offset is not None:
        res = res + offset
    ndim = len(x.shape)
    if axis % ndim != ndim - 1:
        shape = [1] * ndim
        shape[axis] = -1
        inv, res = inv.reshape(shape), res.reshape(shape)
    return x * inv + res


def concrete_noise_shape(input_shape, noise_shape):
    """``noise_shape`` (None, or one entry per input axis, None entries taken from
    ``input_shape``) as a tuple of ints: the mask shape of dropout and the noise layers."""
    if noise_shape is None:
        return tuple(input_shape)
    noise_shape = tuple(noise_shape)
    if len(noise_shape) != len(input_shape):
        raise ValueError(f"Expected noise_shape with {len(input_shape)} entries for inputs of "
                         f"shape {tuple(input_shape)}. Received: noise_shape={noise_shape}")
    return tuple(d if n is None else int(n) for d, n in zip(input_shape, noise_shape))


def attention_heads(query_shape, key_shape, value_shape, flash_attention,
                    attn_logits_soft_cap):
    """``(query heads, key heads)`` of ``dot_product_attention``'s 4-D (B, T, N, H) query
    and (B, S, K, H) key / value, checked: K must divide N. flash_attention=True (a kernel
    choice Keras makes on GPU) and attn_logits_soft_cap (TPU-only in Keras) are refused."""
    if flash_attention:
        raise ValueError("dot_product_attention(flash_attention=True) is not supported: "
                         "each engine picks its fused kernel itself. Pass None or False.")
    if attn_logits_soft_cap is not None:
        raise ValueError("attn_logits_soft_cap is only supported for JAX on TPU. "
                         "Set attn_logits_soft_cap=None.")
    shapes = {"query": tuple(query_shape), "key": tuple(key_shape),
              "value": tuple(value_shape)}
    if any(len(s) != 4 for s in shapes.values()):
        raise ValueError("Expected 4-D query, key and value (B, T, N, H) for "
                         "dot_product_attention. Received: " +
                         ", ".join(f"{k}.shape={v}" for k, v in shapes.items()))
    heads, kv_heads = shapes["query"][2], shapes["key"][2]
    if shapes["value"][2] != kv_heads or heads % kv_heads:
        raise ValueError(f"Expected the query heads ({heads}) to be a multiple of the key "
                         f"and value heads (key {kv_heads}, value {shapes['value'][2]}).")
    return heads, kv_heads


def large_negative(dtype_name):
    """The finite stand-in for -inf that hides attention logits (Keras's value): a fully
    hidden row then attends uniformly instead of giving NaN."""
    return -0.7 * (65504.0 if dtype_name == "float16" else 3.38953e38)
