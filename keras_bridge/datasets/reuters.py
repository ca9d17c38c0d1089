"""Reuters newswire topic classification dataset."""

import json

import numpy as np

from keras_bridge.datasets import _sequences
from keras_bridge.datasets._safe_load import load_npz
from keras_bridge.utils.data_utils import get_file

#: Where the files are downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: Checksums of the files, as in Keras (sha256 for the data, md5 for the word index).
FILE_HASHES = {
    "reuters.npz": "d6586e694ee56d7a4e65172e12b3e987c03096cb01eab99753921ef915959916",
    "reuters_word_index.json": "4d44cc38712099c9e383dc6e5f11a921",
}


def load_data(path="reuters.npz", num_words=None, skip_top=0, maxlen=None, test_split=0.2,
              seed=113, start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads the Reuters newswire classification dataset.

    11,228 newswires from Reuters, labeled over 46 topics, each a list of word indices
    (words indexed by overall frequency; 0 is kept for padding). See
    ``get_label_names()`` for the topics.

    Args:
        path: where to cache the file, relative to ``$KERAS_HOME/datasets``.
        num_words: keep the ``num_words`` most frequent words (indices below
            ``num_words`` after ``index_from`` is added); others become ``oov_char``.
            ``None`` keeps all words.
        skip_top: the indices below ``skip_top`` become ``oov_char`` too.
        maxlen: drop the sequences of ``maxlen`` or more items (counting
            ``start_char``), as Keras does; ``None`` keeps all.
        test_split: fraction of the newswires used as the test set, in ``[0, 1]``.
        seed: seed of the shuffle made before the split.
        start_char: the index marking the start of every sequence; ``None`` for none.
        oov_char: the index replacing cut words; ``None`` drops them instead.
        index_from: the offset added to every word index.
        nb_words: Keras 1's name of ``num_words`` (deprecated).

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``. ``x_*`` are
        1-d ``object`` arrays of lists of ints; ``y_*`` are ``int64`` topic labels 0-45.
    """
    num_words = _sequences.legacy_num_words(num_words, kwargs, "reuters.load_data")
    if not 0 <= test_split <= 1:
        raise ValueError(f"Expected test_split in [0, 1]. Received: test_split={test_split!r}")
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "reuters.npz",
                    file_hash=FILE_HASHES["reuters.npz"])
    f = load_npz(path)
    xs, labels = _sequences.shuffled(seed, f["x"], f["y"])
    xs = _sequences.mark_and_offset(xs, start_char, index_from)
    if maxlen:
        xs, labels = _sequences.remove_long_seq(maxlen, xs, labels)
    xs = _sequences.limit_vocabulary(xs, num_words, skip_top, oov_char)
    idx = int(len(xs) * (1 - test_split))
    return ((_sequences.object_array(xs[:idx]), np.array(labels[:idx], dtype="int64")),
            (_sequences.object_array(xs[idx:]), np.array(labels[idx:], dtype="int64")))


def get_word_index(path="reuters_word_index.json"):
    """Retrieves the dict mapping words to their index in the Reuters dataset.

    Indices are as stored, before ``index_from`` (3 by default) is added: "the" is 1
    here and 4 in ``load_data()``'s sequences.

    Args:
        path: where to cache the file, relative to ``$KERAS_HOME/datasets``.

    Returns:
        The word index: a dict of word strings to ints.
    """
    path = get_file(path, origin=ORIGIN_FOLDER + "reuters_word_index.json",
                    file_hash=FILE_HASHES["reuters_word_index.json"])
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def get_label_names():
    """The 46 topic names, in label order."""
    return ("cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
            "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton",
            "carcass", "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp",
            "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
            "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc",
            "orange", "pet-chem", "dlr", "gas", "silver", "wpi", "hog", "lead")
