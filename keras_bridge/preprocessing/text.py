"""``keras.preprocessing.text`` (Keras 2 / keras-preprocessing 1.0.x): word splitting,
hashing, and the ``Tokenizer`` vocabulary, in plain Python and numpy.

Index 0 is never a word (it is the padding value of ``pad_sequences``). A fitted
Tokenizer numbers words by falling count, ties in order of first appearance;
``num_words=n`` keeps indices ``1 .. n-1`` when turning texts into sequences or
matrices; ``oov_token`` takes index 1 and stands in for unknown (or cut-off) words.
"""

import json
from collections import OrderedDict, defaultdict
from hashlib import md5

import numpy as np

__all__ = ["text_to_word_sequence", "one_hot", "hashing_trick", "Tokenizer",
           "tokenizer_from_json"]

DEFAULT_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n'
MATRIX_MODES = ("binary", "count", "tfidf", "freq")


def text_to_word_sequence(text, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """The words of ``text``: lower-cased (``lower``), each character of ``filters``
    replaced by ``split``, split on ``split``, empty pieces dropped."""
    if lower:
        text = text.lower()
    text = text.translate(str.maketrans({c: split for c in filters}))
    return [word for word in text.split(split) if word]


def hashing_trick(text, n, hash_function=None, filters=DEFAULT_FILTERS, lower=True,
                  split=" "):
    """Each word of ``text`` as ``hash(word) % (n - 1) + 1``, an index in ``1 .. n-1``
    (collisions possible). ``hash_function``: Python's ``hash`` (default; salted per
    process for strings), ``'md5'`` (stable across runs), or a function str -> int."""
    if hash_function is None:
        hash_function = hash
    elif hash_function == "md5":
        def hash_function(word):
            return int(md5(word.encode()).hexdigest(), 16)
    elif not callable(hash_function):
        raise ValueError("Expected hash_function None, 'md5' or a function. Received: "
                         f"hash_function={hash_function!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"Expected n to be an integer >= 2 (the size of the hashing space, "
                         f"index 0 reserved). Received: n={n!r}")
    words = text_to_word_sequence(text, filters=filters, lower=lower, split=split)
    return [hash_function(word) % (n - 1) + 1 for word in words]


def one_hot(text, n, filters=DEFAULT_FILTERS, lower=True, split=" "):
    """``hashing_trick`` with Python's ``hash``: word indices in ``1 .. n-1``."""
    return hashing_trick(text, n, hash_function=hash, filters=filters, lower=lower,
                         split=split)


class Tokenizer:
    """A vocabulary fitted on texts, turning texts into index sequences or matrices.

    Args:
        num_words: keep only the ``num_words - 1`` most frequent words when converting
            (None: all). Fitting always counts every word.
        filters: characters removed from texts (default: punctuation, tab, newline,
            but not ``'``).
        lower: lower-case texts first. split: the word separator.
        char_level: every character is a token.
        oov_token: a token given index 1, used for words not in the vocabulary.
        document_count: documents already counted (for a restored tokenizer).

    Attributes (after fitting): ``word_counts`` (OrderedDict word -> count, first
    appearance order), ``word_docs`` (word -> documents containing it), ``word_index``
    and ``index_word`` (word <-> index), ``index_docs`` (index -> documents),
    ``document_count``.
    """

    def __init__(self, num_words=None, filters=DEFAULT_FILTERS, lower=True, split=" ",
                 char_level=False, oov_token=None, document_count=0, **kwargs):
        if "nb_words" in kwargs:
            import warnings
            warnings.warn("Tokenizer(nb_words=) is deprecated; use num_words=.",
                          DeprecationWarning, stacklevel=2)
            num_words = kwargs.pop("nb_words")
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
        self.num_words = num_words
        self.filters = filters
        self.lower = lower
        self.split = split
        self.char_level = char_level
        self.oov_token = oov_token
        self.document_count = document_count
        self.word_counts = OrderedDict()
        self.word_docs = defaultdict(int)
        self.index_docs = defaultdict(int)
        self.word_index = {}
        self.index_word = {}

    def _tokens(self, text):
        """A text's tokens: a list is taken as tokens already (lower-cased if asked)."""
        if isinstance(text, list):
            return [t.lower() for t in text] if self.lower else text
        if self.char_level:
            return list(text.lower() if self.lower else text)
        return text_to_word_sequence(text, self.filters, self.lower, self.split)

    def fit_on_texts(self, texts):
        """Counts the words of ``texts`` (strings, lists of tokens, or a generator of
        either) and renumbers the vocabulary."""
        for text in texts:
            self.document_count += 1
            tokens = self._tokens(text)
            for token in tokens:
                self.word_counts[token] = self.word_counts.get(token, 0) + 1
            for token in set(tokens):
                self.word_docs[token] += 1
        # sorted() is stable: equal counts keep their first-appearance order.
        ranked = sorted(self.word_counts.items(), key=lambda item: item[1], reverse=True)
        vocabulary = ([] if self.oov_token is None else [self.oov_token]) + \
            [word for word, _ in ranked]
        self.word_index = {word: index for index, word in enumerate(vocabulary, 1)}
        self.index_word = {index: word for word, index in self.word_index.items()}
        for word, count in self.word_docs.items():
            self.index_docs[self.word_index[word]] = count

    def fit_on_sequences(self, sequences):
        """Counts documents per index from index sequences (for ``tfidf`` matrices of
        ``sequences_to_matrix`` without ``fit_on_texts``)."""
        self.document_count += len(sequences)
        for seq in sequences:
            for index in set(seq):
                self.index_docs[index] += 1

    def _keeps(self, index):
        return not self.num_words or index < self.num_words

    def texts_to_sequences_generator(self, texts):
        """Yields each text as a list of word indices: known words within
        ``num_words``; others become the ``oov_token``'s index, or are dropped."""
        oov = self.word_index.get(self.oov_token)
        for text in texts:
            seq = []
            for token in self._tokens(text):
                index = self.word_index.get(token)
                if index is not None and self._keeps(index):
                    seq.append(index)
                elif oov is not None:
                    seq.append(oov)
            yield seq

    def texts_to_sequences(self, texts):
        return list(self.texts_to_sequences_generator(texts))

    def sequences_to_texts_generator(self, sequences):
        """Yields each index sequence as a string of its words joined by spaces, with
        the same rules as ``texts_to_sequences``."""
        oov = self.word_index.get(self.oov_token)
        for seq in sequences:
            words = []
            for index in seq:
                word = self.index_word.get(index)
                if word is not None and self._keeps(index):
                    words.append(word)
                elif oov is not None:
                    words.append(self.index_word[oov])
            yield " ".join(words)

    def sequences_to_texts(self, sequences):
        return list(self.sequences_to_texts_generator(sequences))

    def texts_to_matrix(self, texts, mode="binary"):
        """``sequences_to_matrix(texts_to_sequences(texts), mode)``."""
        return self.sequences_to_matrix(self.texts_to_sequences(texts), mode=mode)

    def sequences_to_matrix(self, sequences, mode="binary"):
        """A ``(len(sequences), num_words)`` float matrix (``num_words`` defaults to the
        vocabulary size + 1); column ``j`` for index ``j`` holds, per ``mode``:
        ``'binary'`` 1 if present, ``'count'`` its count ``c``, ``'freq'``
        ``c / len(seq)``, ``'tfidf'`` ``(1 + log c) * log(1 + documents /
        (1 + documents with j))``. Indices ``>= num_words`` are ignored."""
        if mode not in MATRIX_MODES:
            raise ValueError(f"Expected mode one of {list(MATRIX_MODES)}. Received: "
                             f"mode={mode!r}")
        if self.num_words:
            width = self.num_words
        elif self.word_index:
            width = len(self.word_index) + 1
        else:
            raise ValueError("Specify a dimension (num_words argument), or fit on some "
                             "text data first.")
        if mode == "tfidf" and not self.document_count:
            raise ValueError("Fit the Tokenizer on some data before using tfidf mode.")
        matrix = np.zeros((len(sequences), width))
        for row, seq in enumerate(sequences):
            counts = defaultdict(int)
            for index in seq:
                if index < width:
                    counts[index] += 1
            for index, count in counts.items():
                if mode == "binary":
                    matrix[row, index] = 1
                elif mode == "count":
                    matrix[row, index] = count
                elif mode == "freq":
                    matrix[row, index] = count / len(seq)
                else:
                    idf = np.log(1 + self.document_count /
                                 (1 + self.index_docs.get(index, 0)))
                    matrix[row, index] = (1 + np.log(count)) * idf
        return matrix

    def get_config(self):
        """Arguments and fitted dictionaries, the dictionaries as JSON strings (Keras
        2's format)."""
        return {"num_words": self.num_words, "filters": self.filters, "lower": self.lower,
                "split": self.split, "char_level": self.char_level,
                "oov_token": self.oov_token, "document_count": self.document_count,
                "word_counts": json.dumps(self.word_counts),
                "word_docs": json.dumps(self.word_docs),
                "index_docs": json.dumps(self.index_docs),
                "index_word": json.dumps(self.index_word),
                "word_index": json.dumps(self.word_index)}

    def to_json(self, **kwargs):
        """``{'class_name': 'Tokenizer', 'config': get_config()}`` as JSON (kwargs go to
        ``json.dumps``); ``tokenizer_from_json`` reads it back."""
        return json.dumps({"class_name": type(self).__name__, "config": self.get_config()},
                          **kwargs)


def tokenizer_from_json(json_string):
    """The Tokenizer saved by ``Tokenizer.to_json`` (ours or Keras 2's)."""
    try:
        config = dict(json.loads(json_string)["config"])
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError("Expected the JSON of Tokenizer.to_json(), an object with a "
                         f"'config'. Received: {json_string[:80]!r}") from e
    tables = {key: json.loads(config.pop(key)) for key in
              ("word_counts", "word_docs", "index_docs", "index_word", "word_index")}
    tokenizer = Tokenizer(**config)
    tokenizer.word_counts = OrderedDict(tables["word_counts"])
    tokenizer.word_docs = defaultdict(int, tables["word_docs"])
    tokenizer.index_docs = defaultdict(int, {int(k): v for k, v in
                                             tables["index_docs"].items()})
    tokenizer.index_word = {int(k): v for k, v in tables["index_word"].items()}
    tokenizer.word_index = tables["word_index"]
    return tokenizer
