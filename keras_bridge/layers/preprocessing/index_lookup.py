"""Vocabulary lookups (Keras 3's): IntegerLookup, StringLookup.

Indices follow Keras 3: in 'int' mode the mask token (if any) is 0, then
``num_oov_indices`` OOV indices, then the vocabulary; in the other modes the mask token
has no index and masked inputs are dropped. ``adapt()`` counts tokens on the host and
keeps the most frequent (ties: the larger token first, as Keras sorts).

IntegerLookup looks up on the engine (a sorted vocabulary and ``searchsorted``), so it
runs inside jitted programs; StringLookup looks up strings on the host (host_stage.py)
and encodes the integers on the engine.

Saving, as Keras 3: a vocabulary given to the constructor is kept in the config
(``vocabulary``, ``idf_weights``); one learnt by ``adapt()`` or set later is saved by
``save_assets`` as ``vocabulary.txt`` (one token a line, special tokens first) in the
``.keras`` archive's assets, and ``get_config`` holds None. In 'tf_idf' mode the config
keeps the vocabulary and IDF weights whatever their origin: Keras's assets hold no IDF
weights, so an adapted TF-IDF lookup would not survive its own save there.
"""

import collections
import os
import numpy as np

from keras_bridge import config, ops
from keras_bridge.graph import KerasTensor
from keras_bridge.layers.base import Layer
from keras_bridge.layers.preprocessing.adapt_data import batches
from keras_bridge.layers.preprocessing.categorical import encode
from keras_bridge.layers.preprocessing.host_stage import HostLayer, as_text

MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
DROPPED = -1  # an index encode() leaves out (a masked token, a text's padding)


def check_mode(output_mode, owner):
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in MODES:
        raise ValueError(f"Invalid value for argument `output_mode` of {owner}: "
                         f"{output_mode!r}. Expected one of {MODES}.")
    return output_mode


def inverse_document_frequency(document_counts, num_documents):
    """Keras's IDF: ``log(1 + documents / (1 + documents holding the token))``."""
    return np.log(1.0 + num_documents / (1.0 + np.asarray(document_counts, "float64")))


class IndexLookup(Layer):
    """What IntegerLookup and StringLookup share: the vocabulary, its special indices,
    adapt(), the encodings and the config."""

    _token_kind = None  # "int" or "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=None,
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 sparse=False, pad_to_max_tokens=False, name=None, **kwargs):
        kwargs.pop("vocabulary_size", None)  # Keras's config: recomputed here
        kwargs.pop("has_input_vocabulary", None)
        for ignored in ("trainable", "dtype"):
            kwargs.pop(ignored, None)
        if kwargs:
            raise ValueError(f"Unrecognized keyword argument(s): {kwargs}")
        name_ = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: "
                             f"max_tokens={max_tokens}")
        if pad_to_max_tokens and max_tokens is None:
            raise ValueError(f"If pad_to_max_tokens is True, must set `max_tokens`. "
                             f"Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. "
                             f"Received: num_oov_indices={num_oov_indices}")
        output_mode = check_mode(output_mode, name_)
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. "
                             f"Received: output_mode={output_mode}")
        if sparse:
            raise ValueError("`sparse=True` is not supported: keras_bridge has no sparse "
                             "tensors (Keras 3 allows it on TensorFlow only).")
        if idf_weights is not None and output_mode != "tf_idf":
            raise ValueError(f"`idf_weights` should only be set if `output_mode` is "
                             f"`'tf_idf'`. Received: idf_weights={idf_weights} and "
                             f"output_mode={output_mode}")
        if output_mode == "tf_idf" and vocabulary is not None and idf_weights is None:
            raise ValueError("When specifying the `vocabulary` argument, in TF-IDF output "
                             "mode, the `idf_weights` argument must also be provided.")
        super().__init__(name=name)
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.invert, self.output_mode = bool(invert), output_mode
        self.sparse, self.pad_to_max_tokens = False, bool(pad_to_max_tokens)
        self._tokens = []  # the vocabulary without special tokens
        self._idf = None  # one IDF weight per index (tf_idf), float32
        self._vocabulary_in_config = vocabulary is not None or output_mode == "tf_idf"
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        else:
            self._vocabulary_changed()  # the (empty) tables

    # ---- the vocabulary ----------------------------------------------------------
    def _oov_start(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start(self):
        return self._oov_start() + self.num_oov_indices

    def _as_tokens(self, values):
        return list(values)

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Set the vocabulary (special tokens at its front are recognised and skipped)
        and, in 'tf_idf' mode, one IDF weight per entry."""
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
        if isinstance(vocabulary, str):
            raise ValueError("A vocabulary file path is not supported; pass the vocabulary "
                             "as a list or array of its terms.")
        vocabulary = self._as_tokens(np.asarray(vocabulary).reshape(-1).tolist())
        if not vocabulary:
            raise ValueError(f"Cannot set an empty vocabulary. Received: "
                             f"vocabulary={vocabulary}")
        specials = [self.mask_token] * self._oov_start() + [self.oov_token] * \
            self.num_oov_indices
        found_specials = vocabulary[:len(specials)] == specials
        tokens = vocabulary[len(specials):] if found_specials else vocabulary
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please "
                             f"uniquify your dataset. The repeated terms are: {repeated}")
        for token, what in ((self.mask_token, "mask_token"),
                            (self.oov_token if self.invert else None, "oov_token")):
            if token is not None and token in tokens:
                raise ValueError(f"Found reserved {what} {token!r} at an unexpected "
                                 f"location in `vocabulary`. Either remove all mask and OOV "
                                 f"tokens, or include them only at the start of the "
                                 f"vocabulary in precisely this order: {specials}.")
        size = self._token_start() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"Attempted to set a vocabulary larger than the maximum vocab "
                             f"size. Received vocabulary size is {size}; `max_tokens` is "
                             f"{self.max_tokens}.")
        if self.output_mode == "tf_idf":
            idf = np.asarray(idf_weights, "float64").reshape(-1)
            if idf.size != len(vocabulary):
                raise ValueError(f"`idf_weights` must be the same length as vocabulary. "
                                 f"len(idf_weights) is {idf.size}; len(vocabulary) is "
                                 f"{len(vocabulary)}")
            if not found_specials:  # OOV (and mask) weigh the mean, as in Keras
                idf = np.concatenate([np.full(self._token_start(), idf.mean()), idf])
            self._set_idf(idf)
        self._tokens = tokens
        self._vocabulary_changed()

    def _set_idf(self, idf):
        if self.pad_to_max_tokens:
            idf = np.pad(idf, (0, self.max_tokens - idf.size))
        self._idf = idf.astype("float32")

    def _vocabulary_changed(self):
        """Hook: a subclass rebuilds its lookup tables here."""

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary; with the special tokens, a term's position is its index."""
        if not include_special_tokens:
            return list(self._tokens)
        specials = [self.mask_token] * self._oov_start() + \
            [self.oov_token] * self.num_oov_indices
        return specials + list(self._tokens)

    def vocabulary_size(self):
        """The number of indices, the mask and OOV indices included."""
        return self._token_start() + len(self._tokens)

    @property
    def idf_weights(self):
        """The IDF weight of each index ('tf_idf' mode), or None."""
        return None if self._idf is None else np.array(self._idf)

    # ---- adapt --------------------------------------------------------------------
    def _adapt_tokens(self, chunk):
        """A batch as the list of its documents (lists of tokens)."""
        chunk = np.asarray(chunk, dtype=object)
        if chunk.ndim == 0:
            chunk = chunk.reshape(1)
        if chunk.ndim == 1:
            chunk = chunk[None]  # a 1-D batch is one document, as in Keras
        return [self._as_tokens(row.reshape(-1).tolist()) for row in chunk]

    def adapt(self, data, steps=None):
        """Learn the vocabulary from ``data`` (an array, a list, or an iterable of
        batches; ``steps``: at most that many batches): the ``max_tokens`` most
        frequent tokens and, in 'tf_idf' mode, their document frequencies."""
        if getattr(self, "_static_vocabulary", False):
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             "method.")
        if isinstance(data, (list, tuple)) or hasattr(data, "shape"):
            array = np.asarray(data if isinstance(data, (list, tuple)) else
                               batches(data, self)[0], dtype=object)
            chunks = [array[:, None] if array.ndim == 1 else array]  # each value a document
        else:
            chunks = batches(data, self)
            chunks = chunks[:steps] if steps is not None else chunks
        self._learn([doc for chunk in chunks for doc in self._adapt_tokens(chunk)])

    def _learn(self, documents):
        counts, doc_counts = collections.Counter(), collections.Counter()
        for doc in documents:
            counts.update(doc)
            doc_counts.update(set(doc))
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        # Most frequent first, ties broken by the token, larger first (Keras's lexsort).
        ranked = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            ranked = ranked[:max(self.max_tokens - self._token_start(), 0)]
        self._tokens = ranked
        if self.output_mode == "tf_idf":
            idf = inverse_document_frequency([doc_counts[t] for t in ranked], len(documents))
            mean = idf.mean() if idf.size else 0.0
            self._set_idf(np.concatenate([np.full(self._token_start(), mean), idf]))
        self._vocabulary_changed()

    # ---- the engine half: indices to outputs ---------------------------------------
    def _depth(self):
        """The encodings' size (None before a vocabulary is set, as in Keras)."""
        if self.pad_to_max_tokens:
            return self.max_tokens
        return self.vocabulary_size() if self._tokens else None

    def _require_vocabulary(self):
        if self.output_mode != "int" and not self.pad_to_max_tokens and not self._tokens:
            raise RuntimeError(f"When using `output_mode={self.output_mode}` and "
                               "`pad_to_max_tokens=False`, you must set the layer's "
                               "vocabulary before calling it. Either pass a `vocabulary` "
                               "argument to the layer, or call `adapt` with some sample "
                               "data.")

    def encode_indices(self, indices):
        """Indices (DROPPED ones left out) in ``output_mode``: int64 indices, or float
        one-hot / multi-hot / count / TF-IDF vectors of the vocabulary's size."""
        if self.output_mode == "int":
            return ops.cast(indices, "int64")
        depth = self._depth()
        indices = ops.where(ops.less(indices, 0), depth, indices)  # a column cut off below
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode(indices, mode, depth + 1, config.floatx())[..., :depth]
        if self.output_mode == "tf_idf":
            out = ops.multiply(out, self._idf)
        return out

    def compute_output_dtype(self, input_dtype):
        if self.invert:
            return self._token_dtype()
        return "int64" if self.output_mode == "int" else config.floatx()

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        if self.output_mode == "int":
            return shape
        depth = self._depth()
        if self.output_mode == "one_hot":
            return (shape[:-1] if len(shape) > 1 and shape[-1] == 1 else shape) + (depth,)
        return shape[:-1] + (depth,)

    # ---- assets: Keras 3's vocabulary.txt ---------------------------------------------
    def save_assets(self, dir_path):
        if not self._vocabulary_in_config and self._tokens:
            with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path):
        path = None if dir_path is None else os.path.join(dir_path, "vocabulary.txt")
        if self._vocabulary_in_config or path is None or not os.path.exists(path):
            return
        with open(path, encoding="utf-8") as f:
            lines = f.read().splitlines()
        while lines and lines[-1] == "":
            lines.pop()
        if self._token_kind == "int":
            try:
                lines = [int(line) for line in lines]
            except ValueError as e:
                raise ValueError(f"Layer {self.name!r}: the saved vocabulary {path!r} holds "
                                 f"a line that is not an integer ({e}).") from e
        if len(lines) > len(self.get_vocabulary()):  # more than the special tokens
            self.set_vocabulary(lines)

    def get_config(self):
        tokens = (self._tokens or None) if self._vocabulary_in_config else None
        idf = None
        if self._idf is not None and tokens:
            idf = self._idf[self._token_start():self._token_start() + len(tokens)].tolist()
        return {"name": self.name, "trainable": self.trainable, "dtype": self.dtype,
                "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": idf, "vocabulary": None if tokens is None else list(tokens),
                "vocabulary_size": self.vocabulary_size()}


class IntegerLookup(IndexLookup):
    """Maps integers to indices of a vocabulary (``invert=True``: indices back to the
    integers). OOV inputs: index ``mask + (x mod num_oov_indices)``.

    Args:
        max_tokens: the largest vocabulary adapt() keeps, special indices included.
        num_oov_indices: indices for out-of-vocabulary inputs (0: OOV is an error).
        mask_token: a value mapped to 0 in 'int' mode, dropped in the others.
        oov_token: what ``invert=True`` returns for OOV indices (default -1).
        vocabulary: the vocabulary, instead of adapt().
        idf_weights: with 'tf_idf' and a vocabulary: one weight per term.
        invert: map indices back to integers.
        output_mode: 'int', 'one_hot', 'multi_hot', 'count' or 'tf_idf'.
        pad_to_max_tokens: encodings of size ``max_tokens`` whatever the vocabulary.
    """

    _token_kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"Only `vocabulary_dtype='int64'` is supported at this time. "
                             f"Received: vocabulary_dtype={vocabulary_dtype}")
        if oov_method != "floormod" or salt is not None:
            raise ValueError(f"IntegerLookup: oov_method={oov_method!r}, salt={salt!r} is "
                             "not supported: Keras 3 hashes with TensorFlow's FarmHash64 / "
                             "SipHash there. Use oov_method='floormod' (the default).")
        self._static_vocabulary = vocabulary is not None
        super().__init__(max_tokens, num_oov_indices, None if mask_token is None else
                         int(mask_token), None if oov_token is None else int(oov_token),
                         vocabulary, idf_weights, invert, output_mode, sparse,
                         pad_to_max_tokens, name, **kwargs)

    def _as_tokens(self, values):
        return [int(v) for v in values]

    def _token_dtype(self):
        return "int64"

    def _vocabulary_changed(self):
        tokens = np.asarray(self._tokens, "int64")
        order = np.argsort(tokens, kind="stable")
        self._sorted = tokens[order]
        self._sorted_index = (order + self._token_start()).astype("int64")
        fill = self.oov_token if self.oov_token is not None else -1
        table = [fill] * self._token_start() + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            table[0] = self.mask_token
        self._inverse_table = np.asarray(table, "int64")

    def _lookup(self, x):
        n = len(self._tokens)
        if self.num_oov_indices == 0:
            oov = -1
        elif self.num_oov_indices == 1:
            oov = self._oov_start()
        else:
            oov = ops.add(ops.mod(x, self.num_oov_indices), self._oov_start())
        if n:
            at = ops.clip(ops.searchsorted(self._sorted, x), 0, n - 1)
            found = ops.equal(ops.take(self._sorted, at), x)
            indices = ops.where(found, ops.take(self._sorted_index, at), oov)
        else:
            indices = ops.full_like(x, oov) if isinstance(oov, int) else oov
        if self.mask_token is not None:
            masked = 0 if self.output_mode == "int" else DROPPED
            indices = ops.where(ops.equal(x, self.mask_token), masked, indices)
        return indices

    def _invert(self, x):
        table = self._inverse_table
        inside = ops.logical_and(ops.greater_equal(x, 0), ops.less(x, table.shape[0]))
        out = ops.take(table, ops.clip(x, 0, table.shape[0] - 1))
        return ops.where(inside, out, -1 if self.oov_token is None else self.oov_token)

    def call(self, inputs):
        self._require_vocabulary()
        x = ops.cast(inputs, "int64")
        if self.invert:
            return self._invert(x)
        return self.encode_indices(self._lookup(x))

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": "int64",
                "oov_method": "floormod", "salt": None}


class StringLookup(HostLayer, IndexLookup):
    """Maps strings to indices of a vocabulary, on the host (``invert=True``: indices
    back to strings, eagerly: the result is a numpy array of str).

    Args as IntegerLookup's, with ``oov_token='[UNK]'`` and ``encoding`` (of bytes
    inputs). ``num_oov_indices > 1`` is refused: Keras 3 spreads string OOVs over them
    with TensorFlow's FarmHash64.
    """

    _token_kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None,
                 oov_token="[UNK]", vocabulary=None, idf_weights=None, invert=False,
                 output_mode="int", pad_to_max_tokens=False, sparse=False, encoding="utf-8",
                 name=None, salt=None, oov_method="floormod", **kwargs):
        # oov_method (in Keras 3.15's config) picks among several OOV indices: with at
        # most one, as here, every method gives the same index.
        del oov_method
        if num_oov_indices > 1:
            raise ValueError(f"StringLookup: num_oov_indices={num_oov_indices} is not "
                             "supported: Keras 3 hashes string OOVs into several indices "
                             "with TensorFlow's FarmHash64. Use num_oov_indices=1 (or 0).")
        if salt is not None:
            raise ValueError("StringLookup: `salt` (SipHash of OOV strings) is not "
                             "supported.")
        self.encoding = encoding
        self._static_vocabulary = vocabulary is not None
        super().__init__(max_tokens, num_oov_indices, mask_token, oov_token, vocabulary,
                         idf_weights, invert, output_mode, sparse, pad_to_max_tokens, name,
                         **kwargs)

    def _as_tokens(self, values):
        return [v.decode(self.encoding) if isinstance(v, bytes) else str(v) for v in values]

    def _token_dtype(self):
        return "string"

    def _vocabulary_changed(self):
        self._index = {t: i for i, t in enumerate(self._tokens, self._token_start())}

    def host_encode(self, strings):
        """Strings (any shape) to their int64 indices, on the host."""
        self._require_vocabulary()
        strings = as_text(strings, self.encoding)
        if self.num_oov_indices == 0:
            oov = [s for s in strings.reshape(-1) if s not in self._index
                   and s != self.mask_token]
            if oov:
                raise ValueError(f"When `num_oov_indices=0` all inputs should be in "
                                 f"vocabulary, found OOV values {oov[:10]}, consider setting "
                                 f"`num_oov_indices=1`.")
        index, oov, mask = self._index, self._oov_start(), self.mask_token
        masked = 0 if self.output_mode == "int" else DROPPED
        look = np.vectorize(lambda s: masked if mask is not None and s == mask
                            else index.get(s, oov), otypes=["int64"])
        return look(strings) if strings.size else np.zeros(strings.shape, "int64")

    def __call__(self, inputs, *args, **kwargs):
        if self.invert and not isinstance(inputs, KerasTensor):
            return self._invert(inputs)
        if self.invert:
            raise ValueError("StringLookup(invert=True) returns strings, which cannot flow "
                             "through a model on the engine (no string tensors). Apply it "
                             "to the model's integer outputs after predict().")
        return super().__call__(inputs, *args, **kwargs)

    def _invert(self, indices):
        indices = np.asarray(ops.convert_to_numpy(indices) if hasattr(indices, "shape") and
                             not isinstance(indices, np.ndarray) else indices)
        table = np.asarray(self.get_vocabulary(), dtype=object)
        if self.mask_token is None and self._oov_start():
            table[0] = self.oov_token
        inside = (indices >= 0) & (indices < table.size)
        out = np.where(inside, table[np.clip(indices, 0, table.size - 1)], self.oov_token)
        return out.astype(str)

    def call(self, inputs):
        self._require_vocabulary()
        return self.encode_indices(inputs)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}
