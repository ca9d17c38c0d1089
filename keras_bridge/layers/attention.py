"""Attention layers of Keras 3: Attention (Luong), AdditiveAttention (Bahdanau),
MultiHeadAttention and GroupedQueryAttention (exported as GroupQueryAttention).

Masks follow Keras 3. Attention / AdditiveAttention take ``mask=[query_mask,
value_mask]`` (in a graph, the masks their inputs carry): hidden values get
``score - 1e9`` and hidden queries output zeros. The multi-head layers combine
``attention_mask`` (B, T, S), the query / value / key masks (given, or carried by the
inputs in a graph), ``use_causal_mask`` and ``sliding_window`` with a logical and.

The multi-head layers take Keras's two roads. Without dropout and without returned
scores they call ``ops.dot_product_attention``, which each engine maps to its fused
kernel (torch ``scaled_dot_product_attention``, ``jax.nn.dot_product_attention``); a
fully hidden query row then attends uniformly, as in Keras. Otherwise the scores are
computed here (masked softmax as Keras's Softmax layer: hidden entries get -1e9 and
come out zero) and dropout applies to them in training.

Weights are Keras 3's: each projection is an ``EinsumDense`` sub-layer named query,
key, (gate,) value and attention_output, created in that order, so the weight list and
the paths (``<layer>/query/kernel``) are Keras's.
"""

import math
import string

from keras_bridge import constraints, initializers, ops, regularizers
from keras_bridge.layers.base import Layer
from keras_bridge.layers.core import serialize_or_none
from keras_bridge.layers.einsum_dense import EinsumDense

_TENSOR_ARGS = ("query", "value", "key", "attention_mask", "query_mask", "value_mask",
                "key_mask")


def _large_negative(dtype):
    """Keras's stand-in for -inf in masked softmax (-1e9, -3e4 for float16)."""
    return -3e4 if "float16" in str(dtype) else -1e9


def causal_mask(q_len, s_len):
    """(1, T, S) boolean: query i sees keys j <= i (Keras's top-left alignment)."""
    return ops.expand_dims(ops.cast(ops.tril(ops.ones((q_len, s_len), "int32")), "bool"), 0)


def _band_mask(q_len, s_len, window):
    """(1, T, S) boolean: |i - j| < window."""
    rows = ops.reshape(ops.arange(q_len, dtype="int32"), (1, q_len, 1))
    cols = ops.reshape(ops.arange(s_len, dtype="int32"), (1, 1, s_len))
    return ops.less(ops.abs(ops.subtract(rows, cols)), window)


def masked_softmax(scores, mask, axis):
    """Keras 3's Softmax layer with a mask: hidden entries get -1e9 before the softmax
    and are zero after it (a fully hidden row is all zeros)."""
    if mask is None:
        return ops.softmax(scores, axis=axis)
    mask = ops.cast(mask, "bool")
    scores = ops.add(scores, ops.multiply(ops.subtract(1.0, ops.cast(mask, scores.dtype)),
                                          _large_negative(scores.dtype)))
    return ops.where(mask, ops.softmax(scores, axis=axis), 0.0)


def _and(a, b):
    return b if a is None else a if b is None else ops.logical_and(a, b)


# ---- Attention, AdditiveAttention --------------------------------------------------------
class Attention(Layer):
    """Dot-product (Luong) attention over ``[query, value]`` or ``[query, value, key]``.

    ``scores = query . key^T`` (times ``scale`` with ``use_scale``; with
    ``score_mode='concat'``, ``concat_score_weight * sum(tanh(q + k))``), softmax over
    the values, then the weighted sum of ``value``: (B, Tq, dim).

    Args:
        use_scale: learn a scalar ``scale`` for the scores.
        score_mode: 'dot' or 'concat'.
        dropout: fraction of the attention weights dropped in training.
        seed: accepted as Keras (the engine's random stream draws the dropout).

    Call arguments: ``inputs`` (list), ``mask`` ([query_mask, value_mask]),
    ``training``, ``return_attention_scores``, ``use_causal_mask``.
    """

    supports_masking = True
    _mask_source = False

    def __init__(self, use_scale=False, score_mode="dot", dropout=0.0, seed=None, **kwargs):
        super().__init__(**kwargs)
        if score_mode not in ("dot", "concat"):
            raise ValueError("Invalid value for argument score_mode. Expected one of "
                             f"{{'dot', 'concat'}}. Received: score_mode={score_mode}")
        self.use_scale = use_scale
        self.score_mode = score_mode
        self.dropout = dropout
        self.seed = seed
        self.scale = self.concat_score_weight = None

    def __call__(self, inputs, *args, return_attention_scores=False, **kwargs):
        with _OutputsWithScores(self, return_attention_scores):
            return super().__call__(inputs, *args,
                                    return_attention_scores=return_attention_scores, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(), initializer="ones")
        if self.score_mode == "concat":
            self.concat_score_weight = self.add_weight(name="concat_score_weight", shape=(),
                                                       initializer="ones")
        self.built = True

    def _calculate_scores(self, query, key):
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -2, -1))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        summed = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(summed), axis=-1))

    def _fused(self, value_mask, training, return_attention_scores):
        """Whether the engine's attention kernel computes exactly Keras's result: plain
        dot scores, no value mask (a fully hidden row would differ), nothing returned or
        dropped that the kernel hides."""
        return (self.score_mode == "dot" and self.scale is None and value_mask is None
                and not return_attention_scores and not (training and self.dropout > 0))

    def call(self, inputs, mask=None, training=False, return_attention_scores=False,
             use_causal_mask=False):
        self._validate_inputs(inputs, mask)
        q, v = inputs[0], inputs[1]
        k = inputs[2] if len(inputs) > 2 else v
        q_mask = mask[0] if mask else None
        v_mask = mask[1] if mask else None
        if self._fused(v_mask, training, return_attention_scores):
            out = ops.dot_product_attention(ops.expand_dims(q, 2), ops.expand_dims(k, 2),
                                            ops.expand_dims(v, 2), scale=1.0,
                                            is_causal=bool(use_causal_mask))
            out = ops.squeeze(out, 2)
            weights = None
        else:
            scores = self._calculate_scores(q, k)
            hide = None if v_mask is None else \
                ops.expand_dims(ops.logical_not(ops.cast(v_mask, "bool")), -2)
            if use_causal_mask:
                future = ops.logical_not(causal_mask(*ops.shape(scores)[-2:]))
                hide = future if hide is None else ops.logical_or(hide, future)
            if hide is not None:
                scores = ops.where(hide, ops.add(scores, _large_negative(scores.dtype)),
                                   scores)
            weights = ops.softmax(scores, axis=-1)
            dropped = ops.dropout(weights, self.dropout) if training and self.dropout > 0 \
                else weights
            out = ops.matmul(dropped, v)
        if q_mask is not None:
            out = ops.where(ops.expand_dims(ops.cast(q_mask, "bool"), -1), out, 0.0)
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs, mask=None):
        self._validate_inputs(inputs, mask)
        if mask is None or mask[0] is None:
            return None
        return mask[0]

    def compute_output_shape(self, input_shape):
        self._validate_inputs(input_shape)
        q, v = tuple(input_shape[0]), tuple(input_shape[1])
        out = (*q[:-1], v[-1])
        if _OutputsWithScores.wanted(self):
            k = tuple(input_shape[2]) if len(input_shape) > 2 else v
            return [out, (*q[:-1], k[-2])]
        return out

    def _validate_inputs(self, inputs, mask=None):
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"{name} layer must be called on a list of inputs, namely "
                             f"[query, value] or [query, value, key]. Received: "
                             f"inputs={inputs}.")
        if not 2 <= len(inputs) <= 3:
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely "
                             f"[query, value] or [query, value, key]. Received length: "
                             f"{len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, "
                                 f"value_mask]. Received: mask={mask}.")
            if not 2 <= len(mask) <= 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. "
                                 f"Received: mask={mask}.")

    def get_config(self):
        return {**super().get_config(), "use_scale": self.use_scale,
                "score_mode": self.score_mode, "dropout": self.dropout, "seed": self.seed}


class AdditiveAttention(Attention):
    """Additive (Bahdanau) attention: ``scores = sum(scale * tanh(query + key))`` with a
    learned ``scale`` of shape (dim,) (``use_scale=True``, the default); the rest is
    Attention's."""

    def __init__(self, use_scale=True, dropout=0.0, **kwargs):
        super().__init__(use_scale=use_scale, dropout=dropout, **kwargs)

    def build(self, input_shape):
        self._validate_inputs(input_shape)
        if self.use_scale:
            self.scale = self.add_weight(name="scale", shape=(input_shape[0][-1],),
                                         initializer="glorot_uniform")
        self.built = True

    def _calculate_scores(self, query, key):
        summed = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))
        if self.scale is not None:
            summed = ops.multiply(self.scale, summed)
        return ops.sum(summed, axis=-1)

    def _fused(self, value_mask, training, return_attention_scores):
        return False

    def get_config(self):
        config = super().get_config()
        del config["score_mode"]
        return config


class _OutputsWithScores:
    """While a call builds its graph node, whether it returns the attention scores too
    (its output shapes depend on it; ``compute_output_shape`` sees only shapes)."""

    def __init__(self, layer, wanted):
        self.layer, self.value = layer, bool(wanted)

    def __enter__(self):
        self.previous = self.layer.__dict__.get("_returns_scores", False)
        self.layer.__dict__["_returns_scores"] = self.value

    def __exit__(self, *exc):
        self.layer.__dict__["_returns_scores"] = self.previous

    @staticmethod
    def wanted(layer):
        return layer.__dict__.get("_returns_scores", False)


# ---- multi-head attention -------------------------------------------------------------
def _letters(n, start=0):
    return string.ascii_lowercase[start:start + n]


def projection_equation(free_dims, bound_dims, output_dims):
    """Keras's projection einsum: ``free`` letters pass through, ``bound`` ones are
    contracted, ``output`` ones are made (and carry the bias)."""
    free, bound = _letters(free_dims), _letters(bound_dims, free_dims)
    made = _letters(output_dims, free_dims + bound_dims)
    return f"{free}{bound},{bound}{made}->{free}{made}", made, free_dims + output_dims


def attention_equations(rank, attn_axes):
    """(key . query, scores . value) einsums for projected tensors of ``rank``
    (batch, <other>, <attention axes>, heads, channels): scores are (batch dims and
    heads, query attention axes, key attention axes)."""
    target = _letters(rank)
    batch = [i for i in range(rank) if i not in attn_axes and i != rank - 1]
    source, extra = list(target), iter(_letters(len(attn_axes), rank))
    for i in attn_axes:
        source[i] = next(extra)
    source = "".join(source)
    product = "".join([target[i] for i in batch] + [target[i] for i in attn_axes] +
                      [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


def _clone(init):
    """A fresh copy of an initializer for each projection, as Keras (a seeded one then
    gives each projection the same values, as in Keras)."""
    if hasattr(init, "get_config") and hasattr(type(init), "from_config"):
        return type(init).from_config(init.get_config())
    return init


class _HeadsAttention(Layer):
    """What MultiHeadAttention and GroupQueryAttention share: the Keras 3 call
    signature, masks, and the attention itself. Subclasses build the projections."""

    supports_masking = True
    _mask_source = False
    # Keras 3.15's MultiHeadAttention reads the query's mask only from the tensor (its
    # query_mask argument is overwritten); GroupedQueryAttention uses the argument.
    _takes_query_mask_argument = True

    def _init_common(self, dropout, use_bias, sliding_window, flash_attention,
                     kernel_initializer, bias_initializer, kernel_regularizer,
                     bias_regularizer, activity_regularizer, kernel_constraint,
                     bias_constraint, use_gate, seed):
        if sliding_window is not None and (isinstance(sliding_window, bool) or
                                           not isinstance(sliding_window, int) or
                                           sliding_window <= 0):
            raise ValueError("`sliding_window` must be `None` or a positive integer. "
                             f"Received: sliding_window={sliding_window}")
        if flash_attention:
            raise ValueError(f"{type(self).__name__}(flash_attention=True) is not supported: "
                             "the engine picks its fused attention kernel itself (torch "
                             "SDPA, jax.nn.dot_product_attention). Pass None or False.")
        self._sliding_window = sliding_window
        self._flash_attention = flash_attention
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._activity_regularizer = regularizers.get(activity_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        self._dropout = dropout
        self._use_bias = bool(use_bias)
        self._use_gate = bool(use_gate)
        self.seed = seed

    def _sublayer_kwargs(self):
        return dict(kernel_initializer=_clone(self._kernel_initializer),
                    bias_initializer=_clone(self._bias_initializer),
                    kernel_regularizer=self._kernel_regularizer,
                    bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer,
                    kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy)

    # Keras 3's signature; the tensors travel as one dict so the graph records them all.
    def __call__(self, query, value=None, key=None, query_mask=None, value_mask=None,
                 key_mask=None, attention_mask=None, return_attention_scores=False,
                 **kwargs):
        if isinstance(query, dict):  # the packed form (a saved graph's node)
            inputs = dict(query)
        else:
            given = dict(query=query, value=value, key=key, attention_mask=attention_mask,
                         query_mask=query_mask, value_mask=value_mask, key_mask=key_mask)
            inputs = {n: t for n, t in given.items() if t is not None}
        if "value" not in inputs:
            raise ValueError(f"{type(self).__name__} needs `query` and `value`. Call it as "
                             f"layer(query, value) or layer(query, value, key).")
        with _OutputsWithScores(self, return_attention_scores):
            return super().__call__(inputs, return_attention_scores=return_attention_scores,
                                    **kwargs)

    @staticmethod
    def _unpack_shapes(query_shape, value_shape, key_shape):
        if isinstance(query_shape, dict):
            shapes = query_shape
            query_shape, value_shape = shapes["query"], shapes["value"]
            key_shape = shapes.get("key")
        value_shape = tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        if value_shape[1:-1] != key_shape[1:-1]:
            raise ValueError("All dimensions of `value` and `key`, except the last one, must "
                             f"be equal. Received: value_shape={value_shape} and "
                             f"key_shape={key_shape}")
        return tuple(query_shape), value_shape, key_shape

    def call(self, inputs, mask=None, training=None, return_attention_scores=False,
             use_causal_mask=False):
        """``inputs``: the dict ``__call__`` packs; ``mask``: the masks its tensors carry
        in a graph (a mask passed by name wins)."""
        carried = mask if isinstance(mask, dict) else {}
        query, value = inputs["query"], inputs["value"]
        key = inputs.get("key", value)
        masks = {name: inputs.get(f"{name}_mask", carried.get(name))
                 for name in ("query", "value", "key")}
        if not self._takes_query_mask_argument:
            masks["query"] = carried.get("query")
        if "key" not in inputs:
            masks["key"] = None
        causal_only = bool(use_causal_mask) and self._sliding_window is None and \
            inputs.get("attention_mask") is None and all(m is None for m in masks.values())
        attention_mask = None if causal_only else self._attention_mask(
            query, value, masks, inputs.get("attention_mask"), use_causal_mask)
        gate = self._gate_dense(query) if self._use_gate else None
        q = self._query_dense(query)
        k = self._key_dense(key)
        v = self._value_dense(value)
        out, scores = self._attend(q, k, v, attention_mask, causal_only, training,
                                   return_attention_scores)
        if gate is not None:
            out = ops.multiply(out, gate)
        out = self._output_dense(out)
        return (out, scores) if return_attention_scores else out

    def _attention_mask(self, query, value, masks, attention_mask, use_causal_mask):
        """(B, T, S) boolean (or None): every mask source and-ed, as Keras 3."""
        auto = None
        if masks["query"] is not None:
            auto = ops.expand_dims(ops.cast(masks["query"], "bool"), -1)
        for name in ("value", "key"):
            if masks[name] is not None:
                auto = _and(auto, ops.expand_dims(ops.cast(masks[name], "bool"), -2))
        t, s = ops.shape(query)[1], ops.shape(value)[1]
        if use_causal_mask:
            auto = _and(auto, causal_mask(t, s))
        if self._sliding_window is not None:
            auto = _and(auto, _band_mask(t, s, self._sliding_window))
        if attention_mask is not None:
            attention_mask = ops.cast(attention_mask, "bool")
        return _and(attention_mask, auto)

    def _expand_mask(self, mask, rank):
        """A (B, T, S)-style mask with the heads axis (and any missing batch axes)
        inserted where Keras inserts them, up to the scores' rank."""
        axis = -len(self._attention_axes) * 2 - 1
        while len(ops.shape(mask)) < rank:
            mask = ops.expand_dims(mask, axis)
        return mask

    def _attend(self, q, k, v, mask, causal_only, training, return_scores):
        """(output (B, T, N, H), scores or None) from projected tensors."""
        rank = len(ops.shape(q))
        if self._dropout == 0 and not return_scores and rank == 4:
            if mask is not None:
                mask = self._expand_mask(mask, 4)
            return ops.dot_product_attention(q, k, v, mask=mask, scale=self._scale,
                                             is_causal=causal_only), None
        k, v = self._full_heads(k), self._full_heads(v)
        if causal_only:
            mask = causal_mask(ops.shape(q)[1], ops.shape(k)[1])
        q = ops.multiply(q, ops.cast(self._scale, q.dtype))
        scores = ops.einsum(self._dot_equation, k, q)
        n = len(self._attention_axes)
        axes = tuple(range(len(ops.shape(scores)) - n, len(ops.shape(scores))))
        if mask is not None:
            mask = self._expand_mask(mask, len(ops.shape(scores)))
        scores = masked_softmax(scores, mask, axes[0] if n == 1 else axes)
        dropped = ops.dropout(scores, self._dropout) if training and self._dropout > 0 \
            else scores
        return ops.einsum(self._combine_equation, dropped, v), scores

    def _full_heads(self, x):
        return x

    def compute_mask(self, inputs, mask=None):
        carried = mask if isinstance(mask, dict) else {}
        query_mask = carried.get("query")
        if self._takes_query_mask_argument and isinstance(inputs, dict):
            query_mask = inputs.get("query_mask", query_mask)
        if _OutputsWithScores.wanted(self):
            return [query_mask, None]
        return query_mask

    def _common_config(self):
        return {"kernel_initializer": initializers.serialize(self._kernel_initializer),
                "bias_initializer": initializers.serialize(self._bias_initializer),
                "kernel_regularizer": serialize_or_none(self._kernel_regularizer),
                "bias_regularizer": serialize_or_none(self._bias_regularizer),
                "activity_regularizer": serialize_or_none(self._activity_regularizer),
                "kernel_constraint": serialize_or_none(self._kernel_constraint),
                "bias_constraint": serialize_or_none(self._bias_constraint),
                "seed": self.seed}


def _positive_int(layer, name, value, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"Received an invalid value for argument `{name}`, expected a "
                         f"positive integer{' or `None`' if allow_none else ''}. Received: "
                         f"{name}={value}")
    return value


class MultiHeadAttention(_HeadsAttention):
    """Multi-head attention ("Attention is all you need"), Keras 3's layer.

    ``query`` (B, T, dim), ``value`` (B, S, dim) and ``key`` (default ``value``) are
    projected to ``num_heads`` heads of ``key_dim`` (``value_dim`` for values), attended
    with ``softmax(q k^T / sqrt(key_dim))``, and projected back to ``output_shape``
    (default the query's last size).

    Args:
        num_heads, key_dim, value_dim (default key_dim), dropout (on the attention
        weights), use_bias, output_shape (int or tuple), attention_axes (default all
        axes but batch, heads and features), sliding_window (attend within that
        distance), flash_attention (None or False: the engine chooses its kernel),
        kernel_*/bias_* initializers, regularizers, constraints, activity_regularizer,
        use_gate (a sigmoid gate from the query), seed: as Keras 3.

    Call: ``layer(query, value, key=None, query_mask=None, value_mask=None,
    key_mask=None, attention_mask=None, return_attention_scores=False, training=None,
    use_causal_mask=False)``; in a graph the query / value / key masks are those the
    tensors carry. As in Keras 3.15, the ``query_mask`` argument is ignored (only the
    query tensor's own mask counts); ``attention_mask`` hides query rows eagerly.

    Example:
        x = Input((10, 16))
        y = MultiHeadAttention(num_heads=2, key_dim=8)(x, x)   # (None, 10, 16)
    """

    _takes_query_mask_argument = False

    def __init__(self, num_heads, key_dim, value_dim=None, dropout=0.0, use_bias=True,
                 output_shape=None, attention_axes=None, sliding_window=None,
                 flash_attention=None, kernel_initializer="glorot_uniform",
                 bias_initializer="zeros", kernel_regularizer=None, bias_regularizer=None,
                 activity_regularizer=None, kernel_constraint=None, bias_constraint=None,
                 use_gate=False, seed=None, **kwargs):
        self._num_heads = _positive_int(self, "num_heads", num_heads)
        self._key_dim = _positive_int(self, "key_dim", key_dim)
        value_dim = _positive_int(self, "value_dim", value_dim, allow_none=True)
        super().__init__(**kwargs)
        self._value_dim = value_dim or key_dim
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, "
                                 "the `output_shape` should be of type tuple, list, or "
                                 "int.") from None
        self._output_shape = output_shape or None
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError("`attention_axes` must be an int, list, or tuple. Received: "
                             f"attention_axes={attention_axes}")
        self._attention_axes = attention_axes
        self._init_common(dropout, use_bias, sliding_window, flash_attention,
                          kernel_initializer, bias_initializer, kernel_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint,
                          bias_constraint, use_gate, seed)
        self._scale = 1.0 / math.sqrt(float(self._key_dim))

    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    def _projection(self, rank, name, heads_dim, activation=None):
        equation, bias_axes, out_rank = projection_equation(rank - 1, 1, 2)
        return EinsumDense(equation, output_shape=[None] * (out_rank - 3) +
                           [self._num_heads, heads_dim],
                           bias_axes=bias_axes if self._use_bias else None,
                           activation=activation, name=name, **self._sublayer_kwargs())

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._unpack_shapes(query_shape, value_shape,
                                                                  key_shape)
        # Built inside this layer's scope (Layer.__init_subclass__), the projections'
        # weights get Keras's paths: '<scope>/<name>/query/kernel'.
        self._query_dense = self._projection(len(query_shape), "query", self._key_dim)
        self._query_dense.build(query_shape)
        self._key_dense = self._projection(len(key_shape), "key", self._key_dim)
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection(len(query_shape), "gate",
                                                self._value_dim, activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection(len(value_shape), "value", self._value_dim)
        self._value_dense.build(value_shape)
        rank = len(value_shape) + 1  # of the projected tensors
        if self._attention_axes is None:
            self._attention_axes = tuple(range(1, rank - 2))
        else:
            self._attention_axes = tuple(a if a >= 0 else (rank - 1) + a
                                         for a in self._attention_axes)
        self._dot_equation, self._combine_equation, _ = attention_equations(
            rank, self._attention_axes)
        out_shape = self._output_shape or (query_shape[-1],)
        equation, bias_axes, out_rank = projection_equation(len(query_shape) - 1, 2,
                                                            len(out_shape))
        self._output_dense = EinsumDense(
            equation, output_shape=[None] * (out_rank - 1 - len(out_shape)) +
            list(out_shape), bias_axes=bias_axes if self._use_bias else None,
            name="attention_output", **self._sublayer_kwargs())
        projected = list(self._query_dense.compute_output_shape(query_shape))
        projected[-1] = self._value_dim
        self._output_dense.build(tuple(projected))
        self.built = True

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._unpack_shapes(query_shape, value_shape,
                                                                  key_shape)
        out = query_shape[:-1] + self._output_shape if self._output_shape else query_shape
        if _OutputsWithScores.wanted(self):
            n = len(query_shape) - 2  # attention over the axes between batch and features
            axes = self._attention_axes or tuple(range(1, 1 + n))
            batch = [query_shape[0]] + [query_shape[i] for i in range(1, 1 + n)
                                        if i not in axes]
            return [out, tuple(batch + [self._num_heads] + [query_shape[a] for a in axes] +
                               [key_shape[a] for a in axes])]
        return out

    def get_config(self):
        return {**super().get_config(), "num_heads": self._num_heads,
                "key_dim": self._key_dim, "value_dim": self._value_dim,
                "dropout": self._dropout, "use_bias": self._use_bias,
                "use_gate": self._use_gate, "output_shape": self._output_shape,
                "attention_axes": self._attention_axes,
                "sliding_window": self._sliding_window, **self._common_config()}


class GroupedQueryAttention(_HeadsAttention):
    """Grouped-query attention (Ainslie et al., 2023), exported as Keras 3 does as
    ``GroupQueryAttention`` (the class name, which saved files record, is Keras's): ``num_query_heads`` query heads share
    ``num_key_value_heads`` key / value heads (each serves a group of
    ``num_query_heads // num_key_value_heads``). Output: the query's shape.

    Args:
        head_dim, num_query_heads, num_key_value_heads, and the rest as
        MultiHeadAttention's.
    """

    def __init__(self, head_dim, num_query_heads, num_key_value_heads, dropout=0.0,
                 use_bias=True, sliding_window=None, flash_attention=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, use_gate=False, seed=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.head_dim = _positive_int(self, "head_dim", head_dim)
        self.num_query_heads = _positive_int(self, "num_query_heads", num_query_heads)
        self.num_key_value_heads = _positive_int(self, "num_key_value_heads",
                                                 num_key_value_heads)
        if num_query_heads % num_key_value_heads:
            raise ValueError("`num_query_heads` must be divisible by `num_key_value_heads`. "
                             f"Received: num_query_heads={num_query_heads}, "
                             f"num_key_value_heads={num_key_value_heads}")
        self.num_repeats = num_query_heads // num_key_value_heads
        self._init_common(dropout, use_bias, sliding_window, flash_attention,
                          kernel_initializer, bias_initializer, kernel_regularizer,
                          bias_regularizer, activity_regularizer, kernel_constraint,
                          bias_constraint, use_gate, seed)
        self._attention_axes = (1,)
        self._dot_equation, self._combine_equation, _ = attention_equations(4, (1,))
        self._scale = 1.0 / math.sqrt(float(self.head_dim))

    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    use_gate = property(lambda self: self._use_gate)
    sliding_window = property(lambda self: self._sliding_window)
    kernel_initializer = property(lambda self: self._kernel_initializer)
    bias_initializer = property(lambda self: self._bias_initializer)

    def _projection(self, equation, heads, bias_axes, name, activation=None):
        return EinsumDense(equation, output_shape=(None, heads, self.head_dim),
                           bias_axes=bias_axes if self._use_bias else None,
                           activation=activation, name=name, **self._sublayer_kwargs())

    def build(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._unpack_shapes(query_shape, value_shape,
                                                                  key_shape)
        self.feature_dim = query_shape[-1]
        self._query_dense = self._projection("bqm,muh->bquh", self.num_query_heads,
                                             "uh", "query")
        self._query_dense.build(query_shape)
        self._key_dense = self._projection("bkm,mvh->bkvh", self.num_key_value_heads,
                                           "vh", "key")
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._projection("bqm,muh->bquh", self.num_query_heads,
                                                "uh", "gate", activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._projection("bkm,mvh->bkvh", self.num_key_value_heads,
                                             "vh", "value")
        self._value_dense.build(value_shape)
        self._output_dense = EinsumDense(
            "bquh,uhm->bqm", output_shape=(None, self.feature_dim),
            bias_axes="m" if self._use_bias else None, name="attention_output",
            **self._sublayer_kwargs())
        self._output_dense.build((None, None, self.num_query_heads, self.head_dim))
        self.built = True

    def _full_heads(self, x):
        """Key / value heads repeated for their query group (the engine's fused kernel
        takes the grouped heads as they are)."""
        return ops.repeat(x, self.num_repeats, axis=2) if self.num_repeats > 1 else x

    def compute_output_shape(self, query_shape, value_shape=None, key_shape=None):
        query_shape, value_shape, key_shape = self._unpack_shapes(query_shape, value_shape,
                                                                  key_shape)
        if query_shape[-1] != value_shape[-1]:
            raise ValueError("The last dimension of `query_shape` and `value_shape` must be "
                             f"equal, but are {query_shape[-1]}, {value_shape[-1]}. "
                             f"Received: query_shape={query_shape}, "
                             f"value_shape={value_shape}")
        if _OutputsWithScores.wanted(self):
            return [query_shape, (query_shape[0], self.num_query_heads, query_shape[1],
                                  key_shape[1])]
        return query_shape

    def get_config(self):
        return {**super().get_config(), "head_dim": self.head_dim,
                "num_query_heads": self.num_query_heads,
                "num_key_value_heads": self.num_key_value_heads,
                "use_bias": self._use_bias, "use_gate": self._use_gate,
                "sliding_window": self._sliding_window, "dropout": self._dropout,
                **self._common_config()}


GroupQueryAttention = GroupedQueryAttention  # Keras 3's exported name
