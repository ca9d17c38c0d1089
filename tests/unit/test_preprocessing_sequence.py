"""skipgrams and make_sampling_table against hand-listed pairs and the word2vec / Zipf
formula written out here (pure Python: no engine)."""

import math
import random

import numpy as np

from keras_bridge.preprocessing import sequence
from keras_bridge.preprocessing.sequence import make_sampling_table, skipgrams


def test_make_sampling_table_is_the_zipf_word2vec_formula():
    def keep(rank, factor):
        rank = max(rank, 1)
        frequency = 1 / (rank * (math.log(rank) + 0.577) + 0.5 - 1 / (12 * rank))
        ratio = frequency / factor
        return min(1., math.sqrt(ratio) / ratio)

    for size, factor in ((10, 1e-5), (50, 1e-3)):
        table = make_sampling_table(size, sampling_factor=factor)
        assert table.shape == (size,)
        np.testing.assert_allclose(table, [keep(r, factor) for r in range(size)], rtol=1e-12)
    # The values in Keras's own test.
    np.testing.assert_allclose(make_sampling_table(3), [0.00315225, 0.00315225, 0.00547597],
                               rtol=1e-5)
    assert np.all(np.diff(make_sampling_table(100)[1:]) > 0)  # rarer words kept more
    assert make_sampling_table(10, sampling_factor=1.)[5] == 1.


def test_skipgrams_positive_pairs_skip_index_zero():
    couples, labels = skipgrams([1, 2, 3, 0, 4], vocabulary_size=5, window_size=1,
                                negative_samples=0., shuffle=False)
    assert couples == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert labels == [1, 1, 1, 1]
    couples, _ = skipgrams([1, 2, 3], 4, window_size=2, negative_samples=0, shuffle=False)
    assert couples == [[1, 2], [1, 3], [2, 1], [2, 3], [3, 1], [3, 2]]


def test_skipgrams_negative_samples_and_categorical_labels():
    random.seed(1)
    couples, labels = skipgrams([1, 2, 3], 10, window_size=1, negative_samples=1.5,
                                shuffle=False, categorical=True)
    positives = [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert couples[:4] == positives and labels[:4] == [[0, 1]] * 4
    negatives = couples[4:]
    assert len(negatives) == 6 and labels[4:] == [[1, 0]] * 6  # int(4 * 1.5)
    # First words cycle through the positives' centre words (shuffled), so the first
    # four are a permutation of them; the second words are random non-zero indices.
    assert sorted(w for w, _ in negatives[:4]) == [1, 2, 2, 3]
    assert all(1 <= c <= 9 for _, c in negatives)


def test_skipgrams_shuffle_keeps_pairs_aligned_and_follows_the_seed():
    random.seed(0)
    plain, plain_labels = skipgrams([1, 2, 3, 4], 6, window_size=1, shuffle=False)
    random.seed(0)
    couples, labels = skipgrams([1, 2, 3, 4], 6, window_size=1, shuffle=True, seed=5)
    expected = list(zip(map(tuple, plain), plain_labels))
    random.Random(5).shuffle(expected)  # Keras 2's permutation for seed 5
    assert list(zip(map(tuple, couples), labels)) == expected
    random.seed(0)
    again = skipgrams([1, 2, 3, 4], 6, window_size=1, shuffle=True, seed=5)
    assert again == (couples, labels)


def test_skipgrams_sampling_table_drops_or_keeps_centre_words():
    always, never = np.ones(5), np.zeros(5)
    kept, _ = skipgrams([1, 2, 3], 5, window_size=1, negative_samples=0, shuffle=False,
                        sampling_table=always)
    assert kept == [[1, 2], [2, 1], [2, 3], [3, 2]]
    assert skipgrams([1, 2, 3], 5, negative_samples=1., sampling_table=never) == ([], [])


def test_keras2_import_paths():
    import keras_bridge
    from keras_bridge.preprocessing import image, text
    from keras_bridge.preprocessing.image import ImageDataGenerator
    from keras_bridge.preprocessing.text import Tokenizer
    assert {"skipgrams", "make_sampling_table", "pad_sequences",
            "TimeseriesGenerator"} <= set(sequence.__all__)
    assert image.ImageDataGenerator is ImageDataGenerator and text.Tokenizer is Tokenizer
    assert keras_bridge.preprocessing.sequence is sequence
