"""Categorical preprocessing (Keras 3's): CategoryEncoding, Discretization.

Discretization's ``adapt()`` builds Keras 3's approximate quantile summary on the host
(numpy), so a layer adapted here gets the bin boundaries Keras 3 would; the boundaries
are kept in the config, as Keras 3 keeps them.
"""

import numpy as np

from keras_bridge import ops
from keras_bridge.layers.base import Layer
from keras_bridge.layers.preprocessing.adapt_data import batches

_ENCODINGS = ("one_hot", "multi_hot", "count")


def encode(indices, mode, depth, dtype, count_weights=None):
    """Integer indices as 'int' (cast), 'one_hot' (a trailing axis of 1 replaced),
    'multi_hot' or 'count' (summed over the last axis of rank-2 inputs)."""
    if mode == "int":
        return ops.cast(indices, dtype)
    if ops.ndim(indices) == 0:
        indices = ops.expand_dims(indices, -1)
    if mode == "multi_hot":
        return ops.multi_hot(indices, depth, dtype=dtype)
    if mode == "one_hot":
        shape = ops.shape(indices)
        if len(shape) > 1 and shape[-1] == 1:
            indices = ops.reshape(indices, shape[:-1])
        return ops.one_hot(indices, depth, dtype=dtype)
    hot = ops.one_hot(indices, depth, dtype=dtype if count_weights is None
                      else ops.dtype(count_weights))
    if count_weights is not None:
        hot = ops.multiply(hot, ops.expand_dims(count_weights, -1))
    return ops.sum(hot, axis=1 if ops.ndim(indices) > 1 else 0)


def _sparse(sparse):
    if sparse:
        raise ValueError("sparse=True is not supported: keras_bridge has no sparse tensors.")
    return False


class CategoryEncoding(Layer):
    """Encodes integer category indices in [0, num_tokens) as dense vectors.

    Args:
        num_tokens: the number of categories (the output's last size).
        output_mode: 'multi_hot' (alias 'binary'), 'one_hot' or 'count'.
        sparse: must be False (no sparse tensors).

    ``call(inputs, count_weights=None)``: in 'count' mode, ``count_weights`` (the
    inputs' shape) weight each occurrence.
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        output_mode = "multi_hot" if output_mode == "binary" else output_mode
        if output_mode not in _ENCODINGS:
            raise ValueError(f"Unknown arg for output_mode: {output_mode!r}. Expected one of "
                             f"{_ENCODINGS} (or 'binary').")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of "
                             "tokens is not known beforehand, use the IntegerLookup layer "
                             "instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        self.num_tokens, self.output_mode = int(num_tokens), output_mode
        self.sparse = _sparse(sparse)

    def call(self, inputs, count_weights=None):
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError("`count_weights` is not used when `output_mode` is not "
                                 f"'count'. Received `count_weights={count_weights}`.")
            count_weights = ops.cast(count_weights, self.compute_dtype)
        return encode(inputs, self.output_mode, self.num_tokens, self.compute_dtype,
                      count_weights)

    def compute_output_dtype(self, input_dtype):
        return self.compute_dtype

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if not shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and (shape[-1] != 1 or len(shape) == 1):
            return shape + (self.num_tokens,)
        return shape[:-1] + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode, "sparse": self.sparse}


# ---- Keras 3's approximate quantiles: a summary is a (2, n) array of sorted values and
# their weights, compressed to about 1 / epsilon buckets.
def _summarize(values, epsilon):
    values = np.sort(np.reshape(values, [-1]))
    step = max(values.size / (1.0 / epsilon), 1)  # Keras's arithmetic, to the bit
    kept = values[int(step - 1)::int(step)]
    return np.stack([kept, np.ones_like(kept) * step])


def _compress(summary, epsilon):
    if summary.shape[1] * epsilon < 1:
        return summary
    targets = epsilon + np.arange(0.0, 1.0, epsilon)
    cumulative = summary[1].cumsum()
    at = cumulative / cumulative[-1]
    values = np.interp(targets, at, summary[0])
    weights = np.diff(np.interp(targets, at, cumulative), prepend=0.0)
    return np.stack((values, weights)).astype("float32")


def _merge(a, b, epsilon):
    merged = np.concatenate((a, b), axis=1)
    return _compress(merged[:, np.argsort(merged[0])], epsilon)


class Discretization(Layer):
    """Buckets numbers by ``bin_boundaries``: bucket i holds
    ``bin_boundaries[i-1] <= x < bin_boundaries[i]``.

    Args:
        bin_boundaries: sorted boundaries (None: learn ``num_bins`` buckets in adapt()).
        num_bins: the number of buckets adapt() makes (quantiles of the data).
        epsilon: the error tolerance of adapt()'s quantile summary.
        output_mode: 'int' (bucket indices), 'one_hot', 'multi_hot' or 'count'.
        sparse: must be False.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        super().__init__(name=name, dtype=dtype)
        if output_mode not in ("int",) + _ENCODINGS:
            raise ValueError(f"Unknown value for `output_mode`: {output_mode!r}. Expected one "
                             f"of {('int',) + _ENCODINGS}.")
        if num_bins is not None and num_bins < 0:
            raise ValueError("`num_bins` must be greater than or equal to 0. Received: "
                             f"`num_bins={num_bins}`")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError("Both `num_bins` and `bin_boundaries` should not be set. "
                             f"Received: `num_bins={num_bins}` and "
                             f"`bin_boundaries={bin_boundaries}`")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("You need to set either `num_bins` or `bin_boundaries`.")
        self.bin_boundaries = None if bin_boundaries is None else list(bin_boundaries)
        self.num_bins, self.epsilon, self.output_mode = num_bins, epsilon, output_mode
        self.sparse = _sparse(sparse)
        self.summary = np.zeros((2, 0), "float32")

    def adapt(self, data, steps=None):
        """Learn ``num_bins`` buckets of equal frequency from ``data`` (an array or an
        iterable of batches; ``steps``: at most that many batches)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized "
                             "with `bin_boundaries`, use `num_bins` instead.")
        chunks = batches(data, self)
        summary = np.zeros((2, 0), "float32")
        for chunk in chunks[:steps] if steps is not None else chunks:
            summary = _merge(_summarize(chunk.astype("float32"), self.epsilon), summary,
                             self.epsilon)
        self.summary = summary
        self.bin_boundaries = _compress(summary, 1.0 / self.num_bins)[0, :-1].tolist()

    def _output_dtype(self):
        return "int32" if self.output_mode == "int" else self.compute_dtype

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at "
                             "construction time or call `adapt(dataset)` before you can "
                             "start using the `Discretization` layer.")
        indices = ops.digitize(inputs, np.asarray(self.bin_boundaries, "float32"))
        return encode(indices, self.output_mode, len(self.bin_boundaries) + 1,
                      self._output_dtype())

    def compute_output_dtype(self, input_dtype):
        return self._output_dtype()

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None \
            else self.num_bins
        if self.output_mode == "one_hot":
            return (shape[:-1] if shape and shape[-1] == 1 and len(shape) > 1 else shape) + \
                (depth,)
        return (shape[0],) + shape[2:] + (depth,) if len(shape) >= 2 else (depth,)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if boundaries is not None and config.get("num_bins") is not None:
            layer = cls(**config)  # an adapted layer: its learned boundaries restored
            layer.bin_boundaries = list(boundaries)
            return layer
        return cls(bin_boundaries=boundaries, **config)
