"""The word-index processing shared by the IMDB and Reuters loaders (Keras's rules)."""

import warnings

import numpy as np


def legacy_num_words(num_words, kwargs, loader):
    """Accept Keras 1's ``nb_words=`` with a DeprecationWarning; refuse other names."""
    if "nb_words" in kwargs:
        warnings.warn(f"{loader}(nb_words=...) is Keras 1's spelling; use num_words=.",
                      DeprecationWarning, stacklevel=3)
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"{loader}() got unexpected keyword arguments: {sorted(kwargs)}")
    return num_words


def shuffled(seed, *arrays):
    """The arrays in one random order drawn from ``np.random.RandomState(seed)``."""
    indices = np.arange(len(arrays[0]))
    np.random.RandomState(seed).shuffle(indices)
    return [a[indices] for a in arrays]


def mark_and_offset(xs, start_char, index_from):
    """Prefix each sequence with ``start_char`` (unless None) and add ``index_from``."""
    if start_char is not None:
        return [[start_char] + [w + index_from for w in x] for x in xs]
    return [[w + index_from for w in x] for x in xs]


def remove_long_seq(maxlen, seqs, labels):
    """Keep the sequences shorter than ``maxlen`` (Keras drops, it does not truncate)."""
    kept = [(x, y) for x, y in zip(seqs, labels) if len(x) < maxlen]
    return [x for x, _ in kept], [y for _, y in kept]


def limit_vocabulary(xs, num_words, skip_top, oov_char):
    """Words outside ``[skip_top, num_words)`` become ``oov_char`` (or are dropped when
    it is None). ``num_words=None`` keeps every word (see the loaders' docstrings)."""
    if not num_words:
        num_words = max((max(x) for x in xs if len(x)), default=0) + 1
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    return [[w for w in x if skip_top <= w < num_words] for x in xs]


def object_array(seqs):
    """A 1-d object array of lists (even when all lists have the same length)."""
    out = np.empty(len(seqs), dtype=object)
    for i, x in enumerate(seqs):
        out[i] = x
    return out
