"""IMDB movie review sentiment classification dataset."""

import json

import numpy as np

from keras_bridge.datasets import _sequences
from keras_bridge.datasets._safe_load import load_npz
from keras_bridge.utils.data_utils import get_file

#: Where the files are downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: Checksums of the files, as in Keras (sha256 for the data, md5 for the word index).
FILE_HASHES = {
    "imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
    "imdb_word_index.json": "bfafd718b763782e994055a2d397834f",
}


def load_data(path="imdb.npz", num_words=None, skip_top=0, maxlen=None, seed=113,
              start_char=1, oov_char=2, index_from=3, **kwargs):
    """Loads the [IMDB dataset](https://ai.stanford.edu/~amaas/data/sentiment/).

    25,000 movie reviews for training and 25,000 for testing, labeled by sentiment
    (1 positive, 0 negative). Each review is a list of word indices; words are indexed
    by overall frequency, so index 3 (before ``index_from``) is the 3rd most frequent
    word. 0 is not a word: it is kept for padding.

    Args:
        path: where to cache the file, relative to ``$KERAS_HOME/datasets``.
        num_words: keep the ``num_words`` most frequent words (indices below
            ``num_words`` after ``index_from`` is added); others become ``oov_char``.
            ``None`` keeps all words.
        skip_top: the indices below ``skip_top`` (the most frequent words) become
            ``oov_char`` too.
        maxlen: drop the sequences of ``maxlen`` or more items (counting
            ``start_char``), as Keras does; ``None`` keeps all.
        seed: seed of the shuffle of each set.
        start_char: the index marking the start of every sequence; ``None`` for none.
        oov_char: the index replacing the words cut by ``num_words`` / ``skip_top``;
            ``None`` drops those words instead.
        index_from: the offset added to every word index.
        nb_words: Keras 1's name of ``num_words`` (deprecated).

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``. ``x_*`` are
        1-d ``object`` arrays of lists of ints; ``y_*`` are ``int64`` arrays of 0/1.

    Raises:
        ValueError: when ``maxlen`` leaves no sequence in one of the sets.
    """
    num_words = _sequences.legacy_num_words(num_words, kwargs, "imdb.load_data")
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "imdb.npz",
                    file_hash=FILE_HASHES["imdb.npz"])
    f = load_npz(path)
    rng = np.random.RandomState(seed)
    sets = []
    for x, y in ((f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])):
        indices = np.arange(len(x))
        rng.shuffle(indices)  # one generator for both sets, as in Keras
        sets.append((_sequences.mark_and_offset(x[indices], start_char, index_from),
                     y[indices]))
    (x_train, labels_train), (x_test, labels_test) = sets
    if maxlen:
        x_train, labels_train = _sequences.remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = _sequences.remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, "
                             "no sequence was kept. Increase maxlen.")
    xs = _sequences.limit_vocabulary(x_train + x_test, num_words, skip_top, oov_char)
    labels = np.concatenate([labels_train, labels_test])
    idx = len(x_train)
    return ((_sequences.object_array(xs[:idx]), labels[:idx]),
            (_sequences.object_array(xs[idx:]), labels[idx:]))


def get_word_index(path="imdb_word_index.json"):
    """Retrieves the dict mapping words to their index in the IMDB dataset.

    Indices are as stored, before ``index_from`` is added: to decode a sequence from
    ``load_data()``, map ``index + index_from`` back to the word.

    Args:
        path: where to cache the file, relative to ``$KERAS_HOME/datasets``.

    Returns:
        The word index: a dict of word strings to ints.
    """
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "imdb_word_index.json",
                    file_hash=FILE_HASHES["imdb_word_index.json"])
    with open(path, encoding="utf-8") as f:
        return json.load(f)
