"""ReversibleEmbedding (Keras 3.15): an Embedding that can also project hidden states
back onto the vocabulary, ``layer(hidden, reverse=True)``, for language models whose
output logits share the input embedding (keras/src/layers/core/reversible_embedding.py).
"""

from keras_bridge import ops
from keras_bridge.layers.embedding import Embedding


class ReversibleEmbedding(Embedding):
    """An Embedding whose ``call(inputs, reverse=True)`` maps ``(..., output_dim)``
    hidden states to ``(..., input_dim)`` logits: ``inputs @ embeddings.T`` when the
    weights are tied, else ``inputs @ reverse_embeddings``, a second trainable
    ``(output_dim, input_dim)`` matrix. No bias.

    Args:
        input_dim, output_dim: as Embedding.
        tie_weights: reuse the embedding matrix (transposed) for the reverse projection.
        embeddings_initializer, embeddings_regularizer, embeddings_constraint,
            mask_zero: as Embedding (the untied reverse matrix uses the same
            initializer, as in Keras 3).
        reverse_dtype: the dtype the reverse projection computes in (default the
            layer's compute dtype).
        logit_soft_cap: if set, reverse logits become ``tanh(logits / cap) * cap``.

    Call arguments: ``inputs``, ``reverse`` (default False). A forward call carries
    Embedding's mask (``mask_zero``); a reverse call none.

    ``quantize`` is not supported for this layer (Keras 3 has int8 / int4 modes).

    Example:
        embedding = ReversibleEmbedding(100, 32)
        hidden = embedding(token_ids)              # (batch, length, 32)
        logits = embedding(hidden, reverse=True)   # (batch, length, 100)
    """

    _can_build_quantized = False

    def __init__(self, input_dim, output_dim, tie_weights=True,
                 embeddings_initializer="uniform", embeddings_regularizer=None,
                 embeddings_constraint=None, mask_zero=False, reverse_dtype=None,
                 logit_soft_cap=None, **kwargs):
        super().__init__(input_dim, output_dim,
                         embeddings_initializer=embeddings_initializer,
                         embeddings_regularizer=embeddings_regularizer,
                         embeddings_constraint=embeddings_constraint, mask_zero=mask_zero,
                         **kwargs)
        self.tie_weights = bool(tie_weights)
        self.reverse_dtype = reverse_dtype
        if logit_soft_cap is not None and (isinstance(logit_soft_cap, bool) or not isinstance(
                logit_soft_cap, (int, float)) or logit_soft_cap <= 0):
            raise ValueError("`logit_soft_cap` should be None or a positive number. "
                             f"Received: logit_soft_cap={logit_soft_cap!r}")
        self.logit_soft_cap = logit_soft_cap
        self.reverse_embeddings = None
        self._reversing = False  # the mode of the latest call (read by compute_mask)

    def build(self, input_shape=None):
        super().build(input_shape)
        if not self.tie_weights:
            self.reverse_embeddings = self.add_weight(
                shape=(self.output_dim, self.input_dim),
                initializer=self.embeddings_initializer, name="reverse_embeddings")
        self.built = True

    def __call__(self, inputs, *args, reverse=False, **kwargs):
        self._reversing = bool(reverse)  # for compute_output_shape / compute_mask
        return super().__call__(inputs, *args, reverse=reverse, **kwargs)

    def call(self, inputs, reverse=False):
        self._reversing = bool(reverse)
        if not reverse:
            return super().call(inputs)
        kernel = ops.transpose(self.embeddings) if self.tie_weights \
            else self.reverse_embeddings
        if self.reverse_dtype is not None:
            inputs = ops.cast(inputs, self.reverse_dtype)
            kernel = ops.cast(kernel, self.reverse_dtype)
        logits = ops.matmul(inputs, kernel)
        if self.logit_soft_cap is not None:
            cap = self.logit_soft_cap
            logits = ops.multiply(ops.tanh(ops.divide(logits, cap)), cap)
        return logits

    def compute_mask(self, inputs, mask=None):
        return None if self._reversing else super().compute_mask(inputs, mask)

    def compute_output_shape(self, input_shape, reverse=None):
        reverse = self._reversing if reverse is None else reverse
        if not reverse:
            return super().compute_output_shape(input_shape)
        if input_shape[-1] is not None and input_shape[-1] != self.output_dim:
            raise ValueError(f"ReversibleEmbedding {self.name!r} called with reverse=True "
                             f"expects inputs whose last axis is output_dim="
                             f"{self.output_dim}. Received: input_shape={tuple(input_shape)}")
        return tuple(input_shape[:-1]) + (self.input_dim,)

    def quantize(self, mode=None, type_check=True, config=None):
        raise NotImplementedError("ReversibleEmbedding.quantize is not supported by "
                                  "keras_bridge (Embedding, Dense and EinsumDense are).")

    def get_config(self):
        return {**super().get_config(), "tie_weights": self.tie_weights,
                "reverse_dtype": self.reverse_dtype, "logit_soft_cap": self.logit_soft_cap}
