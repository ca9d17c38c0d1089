"""TextVectorization (Keras 3's): text to token indices or bag-of-words vectors.

Standardizing, splitting, n-grams and the vocabulary lookup run on the host, on numpy
string arrays (host_stage.py); the engine gets int64 indices (padded with 0, the
empty-string mask, in 'int' mode) and, in the other modes, encodes them as
multi-hot / count / TF-IDF vectors. The vocabulary is an inner StringLookup with
``mask_token=''``, as in Keras 3, and is saved in the config (``vocabulary``).

Where this differs from Keras 3: ``lower`` lowercases ASCII letters only, as
``tf.strings.lower`` does; a callable ``standardize`` gets and returns a numpy array of
str, a callable ``split`` a numpy array of str and returns one list of tokens per
string; ``ragged=True`` and ``sparse=True`` are refused (no ragged or sparse tensors).
"""

import re

import numpy as np

from keras_bridge.layers.base import Layer
from keras_bridge.layers.preprocessing.adapt_data import batches
from keras_bridge.layers.preprocessing.host_stage import HostLayer, as_text
from keras_bridge.layers.preprocessing.index_lookup import DROPPED, StringLookup, check_mode

_STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
_SPLIT = ("whitespace", "character")
# The characters Keras 3 strips (its regex, a ',' to '.' range included).
_PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def _check_choice(value, allowed, arg):
    if value is None or callable(value) or value in allowed:
        return value
    raise ValueError(f"Invalid value for argument `{arg}` of TextVectorization: "
                     f"{value!r}. Expected one of {allowed}, None or a callable.")


def ngrams_of(tokens, widths):
    """The n-grams of each width in ``widths``, widths in order, joined by spaces."""
    return [" ".join(tokens[i:i + w]) for w in widths for i in range(len(tokens) - w + 1)]


class TextVectorization(HostLayer, Layer):
    """Turns strings into sequences of token indices, or into one vector per string.

    Args:
        max_tokens: the largest vocabulary adapt() keeps (padding and OOV included).
        standardize: 'lower_and_strip_punctuation' (default), 'lower',
            'strip_punctuation', None, or a callable.
        split: 'whitespace' (default), 'character', None (the whole string is one
            token), or a callable.
        ngrams: None, an int n (1..n-grams) or a tuple of widths.
        output_mode: 'int', 'multi_hot', 'count' or 'tf_idf' (and 'one_hot').
        output_sequence_length: in 'int' mode, pad or cut every sequence to this length
            (None: the longest of the batch).
        pad_to_max_tokens: vectors of size ``max_tokens`` whatever the vocabulary.
        vocabulary, idf_weights: given instead of adapt().
        encoding: of bytes inputs.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        if sparse or ragged:
            raise ValueError("`sparse=True` and `ragged=True` are not supported: "
                             "keras_bridge has no sparse or ragged tensors (Keras 3 allows "
                             "them on TensorFlow only).")
        self._standardize = _check_choice(standardize, _STANDARDIZE, "standardize")
        self._split = _check_choice(split, _SPLIT, "split")
        output_mode = check_mode(output_mode, "TextVectorization")
        if not (ngrams is None or isinstance(ngrams, int) or (
                isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
            raise ValueError(f"`ngrams` must be None, an integer, or a tuple of integers. "
                             f"Received: ngrams={ngrams}")
        if output_mode == "int" and not (output_sequence_length is None or
                                         isinstance(output_sequence_length, int)):
            raise ValueError(f"`output_sequence_length` must be either None or an integer "
                             f"when `output_mode` is 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}")
        if output_mode != "int" and output_sequence_length is not None:
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is "
                             f"not 'int'. Received output_sequence_length="
                             f"{output_sequence_length}.")
        kwargs.pop("vocabulary_size", None)
        kwargs.pop("has_input_vocabulary", None)
        kwargs.pop("dtype", None)
        super().__init__(name=name, **kwargs)
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode, self._output_sequence_length = output_mode, output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            encoding=encoding, name=f"{self.name}_lookup")

    # ---- the host half ----------------------------------------------------------------
    def _standardized(self, strings):
        if self._standardize in ("lower", "lower_and_strip_punctuation"):
            strings = np.vectorize(lambda s: s.translate(_ASCII_LOWER), otypes=[object])(strings)
        if self._standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
            strings = np.vectorize(lambda s: _PUNCTUATION.sub("", s), otypes=[object])(strings)
        if callable(self._standardize):
            strings = as_text(self._standardize(strings), self._encoding)
        return strings

    def _documents(self, inputs):
        """The token lists of the strings in ``inputs`` (rank 1, or ``(n, 1)``)."""
        strings = as_text(inputs, self._encoding)
        if strings.ndim == 0:
            strings = strings.reshape(1)
        if self._split is not None and strings.ndim > 1:
            if strings.ndim != 2 or strings.shape[-1] != 1:
                raise ValueError(f"When using `TextVectorization` to tokenize strings, the "
                                 f"input rank must be 1 or the last shape dimension must be "
                                 f"1. Received: inputs.shape={strings.shape} with "
                                 f"rank={strings.ndim}")
            strings = strings[:, 0]
        strings = self._standardized(strings)
        if self._split is None:
            docs = [[s] for s in strings.reshape(-1)]
        elif self._split == "whitespace":
            docs = [s.split() for s in strings]
        elif self._split == "character":
            docs = [list(s) for s in strings]
        else:
            docs = [list(as_text(d, self._encoding).reshape(-1))
                    for d in self._split(strings)]
        if self._ngrams is not None:
            docs = [ngrams_of(d, self._ngrams) for d in docs]
        return docs

    def host_encode(self, inputs):
        """Strings to an int64 ``(batch, length)`` array of vocabulary indices: 0-padded
        in 'int' mode; in the others padded with indices the encoding leaves out."""
        docs = self._documents(inputs)
        length = self._output_sequence_length
        if length is None:
            length = max((len(d) for d in docs), default=0)
        pad = 0 if self._output_mode == "int" else DROPPED
        out = np.full((len(docs), length), pad, "int64")
        for row, doc in zip(out, docs):
            doc = doc[:length]
            if doc:
                row[:len(doc)] = self._lookup_layer.host_encode(np.asarray(doc, object))
        return out

    def adapt(self, data, batch_size=None, steps=None):
        """Learn the vocabulary from strings: an array or list (each string one
        document) or an iterable of batches of strings."""
        if self._lookup_layer._static_vocabulary:
            raise ValueError(f"Cannot adapt layer '{self.name}' after setting a static "
                             "vocabulary via `vocabulary` argument or `set_vocabulary()` "
                             "method.")
        if isinstance(data, (list, tuple)) or hasattr(data, "shape"):
            chunks = [np.asarray(data, dtype=object) if isinstance(data, (list, tuple))
                      else batches(data, self)[0]]
        else:
            chunks = batches(data, self)
            chunks = chunks[:steps] if steps is not None else chunks
        self._lookup_layer._learn([d for c in chunks for d in self._documents(c)])

    # ---- the engine half ----------------------------------------------------------------
    def call(self, inputs):
        self._lookup_layer._require_vocabulary()
        return self._lookup_layer.encode_indices(inputs)

    def compute_output_dtype(self, input_dtype):
        return self._lookup_layer.compute_output_dtype(input_dtype)

    def compute_output_shape(self, input_shape):
        batch = tuple(input_shape)[:1] or (None,)
        if self._output_mode == "int":
            return batch + (self._output_sequence_length,)
        return self._lookup_layer.compute_output_shape(batch + (None,))

    # ---- vocabulary and config --------------------------------------------------------
    def get_vocabulary(self, include_special_tokens=True):
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights)

    @property
    def idf_weights(self):
        return self._lookup_layer.idf_weights

    def save_assets(self, dir_path):  # Keras 3 saves the vocabulary here and in the lookup
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    def get_config(self):
        inner = self._lookup_layer.get_config()
        return {**super().get_config(), "max_tokens": self._lookup_layer.max_tokens,
                "standardize": self._standardize, "split": self._split,
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": self._lookup_layer.pad_to_max_tokens, "sparse": False,
                "ragged": False, "vocabulary": inner["vocabulary"],
                "idf_weights": inner["idf_weights"], "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
