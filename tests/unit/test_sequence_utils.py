"""pad_sequences, TimeseriesGenerator and timeseries_dataset_from_array against the
examples in Keras's documentation and hand-computed windows. Pure numpy: no engine."""

import json

import numpy as np
import pytest

import keras_bridge
from keras_bridge.preprocessing import sequence
from keras_bridge.preprocessing.sequence import TimeseriesGenerator
from keras_bridge.utils import pad_sequences, timeseries_dataset_from_array

SEQS = [[1], [2, 3], [4, 5, 6]]


# ---- pad_sequences -----------------------------------------------------------------------
def test_pad_sequences_keras_doc_examples():
    out = pad_sequences(SEQS)
    assert out.dtype == np.int32
    np.testing.assert_array_equal(out, [[0, 0, 1], [0, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, value=-1),
                                  [[-1, -1, 1], [-1, 2, 3], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, padding="post"),
                                  [[1, 0, 0], [2, 3, 0], [4, 5, 6]])
    np.testing.assert_array_equal(pad_sequences(SEQS, maxlen=2), [[0, 1], [2, 3], [5, 6]])


@pytest.mark.parametrize("padding,truncating,expected", [
    ("pre", "pre", [[0, 0, 7], [2, 3, 4], [5, 6, 7]]),
    ("pre", "post", [[0, 0, 7], [1, 2, 3], [1, 2, 3]]),
    ("post", "pre", [[7, 0, 0], [2, 3, 4], [5, 6, 7]]),
    ("post", "post", [[7, 0, 0], [1, 2, 3], [1, 2, 3]]),
])
def test_pad_sequences_padding_and_truncating_sides(padding, truncating, expected):
    seqs = [[7], [1, 2, 3, 4], [1, 2, 3, 4, 5, 6, 7]]
    np.testing.assert_array_equal(
        pad_sequences(seqs, maxlen=3, padding=padding, truncating=truncating), expected)


def test_pad_sequences_dtype_value_maxlen_and_empty_sequences():
    out = pad_sequences([[0.5, 1.5], [], [2.5]], maxlen=4, dtype="float32", value=-1.0)
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, [[-1, -1, 0.5, 1.5], [-1, -1, -1, -1],
                                        [-1, -1, -1, 2.5]])
    np.testing.assert_array_equal(pad_sequences([[1.7, 2.2]]), [[1, 2]])  # int32 cast
    assert pad_sequences([[1, 2], [3]], maxlen=0).shape == (2, 0)
    assert pad_sequences([]).shape == (0, 0)
    words = pad_sequences([["a", "b"], ["c"]], dtype=object, value="<pad>")
    assert words.tolist() == [["a", "b"], ["<pad>", "c"]]


def test_pad_sequences_of_vectors_keeps_the_element_shape():
    seqs = [np.ones((1, 2)), np.full((3, 2), 2.0)]
    out = pad_sequences(seqs, dtype="float32", padding="post")
    assert out.shape == (2, 3, 2)
    np.testing.assert_array_equal(out[0], [[1, 1], [0, 0], [0, 0]])
    with pytest.raises(ValueError, match="Shape of sample \\(3,\\) of sequence at position 1"):
        pad_sequences([np.ones((1, 2)), np.ones((2, 3))], dtype="float32")


def test_pad_sequences_errors():
    with pytest.raises(ValueError, match='Padding type "middle" not understood'):
        pad_sequences(SEQS, padding="middle")
    with pytest.raises(ValueError, match='Truncating type "both" not understood'):
        pad_sequences(SEQS, truncating="both")
    with pytest.raises(ValueError, match="must be a list of iterables"):
        pad_sequences([1, 2])
    with pytest.raises(ValueError, match="dtype=object"):
        pad_sequences([["a"]], value="x")
    with pytest.raises(ValueError, match="non-negative integer"):
        pad_sequences(SEQS, maxlen=-1)


def test_pad_sequences_is_exported_where_keras_has_it():
    assert sequence.pad_sequences is pad_sequences
    assert keras_bridge.utils.pad_sequences is pad_sequences
    assert keras_bridge.preprocessing.timeseries_dataset_from_array is \
        timeseries_dataset_from_array


# ---- TimeseriesGenerator (Keras 2) -------------------------------------------------------
def test_timeseries_generator_keras_doc_example():
    data = np.array([[i] for i in range(50)])
    gen = TimeseriesGenerator(data, data, length=10, sampling_rate=2, batch_size=2)
    assert len(gen) == 20
    x, y = gen[0]
    np.testing.assert_array_equal(x, [[[0], [2], [4], [6], [8]], [[1], [3], [5], [7], [9]]])
    np.testing.assert_array_equal(y, [[10], [11]])
    x, y = gen[-1]  # rows 48, 49
    np.testing.assert_array_equal(y, [[48], [49]])
    np.testing.assert_array_equal(x[1, :, 0], [39, 41, 43, 45, 47])


def test_timeseries_generator_tutorial_call():
    """``TimeseriesGenerator(y, y, length=3, sampling_rate=1)`` on a 1-D series: one
    batch (batch_size 128) of every window of 3 steps, each with the next step as target."""
    y = np.arange(10.0) * 10
    gen = TimeseriesGenerator(y, y, length=3, sampling_rate=1)
    assert len(gen) == 1
    x, t = gen[0]
    np.testing.assert_array_equal(x, [y[i:i + 3] for i in range(7)])
    np.testing.assert_array_equal(t, y[3:])
    batches = list(gen)
    assert len(batches) == 1 and np.array_equal(batches[0][0], x)
    with pytest.raises(IndexError, match="out of range"):
        gen[1]


def test_timeseries_generator_options():
    data = np.arange(20)
    targets = data * 100
    gen = TimeseriesGenerator(data, targets, length=4, stride=3, start_index=2,
                              end_index=15, batch_size=2, reverse=True)
    # rows 6, 9, 12, 15 (up to end_index inclusive), two per batch
    assert len(gen) == 2
    x, y = gen[1]
    np.testing.assert_array_equal(y, [1200, 1500])
    np.testing.assert_array_equal(x, [[11, 10, 9, 8], [14, 13, 12, 11]])
    np.random.seed(0)
    shuffled = TimeseriesGenerator(data, targets, length=4, shuffle=True, batch_size=5)
    x, y = shuffled[0]
    assert x.shape == (5, 4) and set(y // 100) <= set(range(4, 20))
    np.testing.assert_array_equal(x[:, -1] + 1, y // 100)  # window ends before its target
    cfg = gen.get_config()
    assert json.loads(cfg["data"]) == list(range(20)) and cfg["start_index"] == 2
    assert json.loads(gen.to_json())["class_name"] == "TimeseriesGenerator"


def test_timeseries_generator_errors():
    with pytest.raises(ValueError, match="same length"):
        TimeseriesGenerator(np.arange(5), np.arange(4), length=2)
    with pytest.raises(ValueError, match="start_index\\+length=6 > end_index=4"):
        TimeseriesGenerator(np.arange(5), np.arange(5), length=6)
    with pytest.raises(ValueError, match="`length` must be a positive integer"):
        TimeseriesGenerator(np.arange(5), np.arange(5), length=0)


# ---- timeseries_dataset_from_array -------------------------------------------------------
def test_timeseries_dataset_keras_example_1():
    """Indices 0..98, sequence_length=10, sampling_rate=2, sequence_stride=3."""
    ds = timeseries_dataset_from_array(np.arange(99), None, sequence_length=10,
                                       sampling_rate=2, sequence_stride=3, batch_size=8)
    windows = np.concatenate(list(ds))
    np.testing.assert_array_equal(windows[0], np.arange(0, 20, 2))
    np.testing.assert_array_equal(windows[1], np.arange(3, 23, 2))
    np.testing.assert_array_equal(windows[2], np.arange(6, 26, 2))
    np.testing.assert_array_equal(windows[-1], np.arange(78, 98, 2))
    assert len(windows) == 27 and len(ds) == 4  # batches of 8, 8, 8, 3
    assert [len(b) for b in ds] == [8, 8, 8, 3]


def test_timeseries_dataset_keras_example_2_temporal_regression():
    data = np.arange(100, dtype="float32") * 0.5
    ds = timeseries_dataset_from_array(data[:-10], data[10:], sequence_length=10)
    inputs, targets = next(iter(ds))
    np.testing.assert_array_equal(inputs[0], data[:10])
    assert targets[0] == data[10]
    assert inputs.shape == (81, 10) and targets.shape == (81,)
    np.testing.assert_array_equal(targets, data[10:91])


def test_timeseries_dataset_keras_example_3_many_to_many():
    X = np.arange(100)
    Y = X * 2
    xs = timeseries_dataset_from_array(X, None, sequence_length=20, sequence_stride=20)
    ys = timeseries_dataset_from_array(Y, None, sequence_length=20, sequence_stride=20)
    for inputs, targets in zip(xs, ys):
        np.testing.assert_array_equal(inputs[0], X[:20])
        np.testing.assert_array_equal(targets[1], Y[20:40])
        assert inputs.shape == (5, 20)


def test_timeseries_dataset_indices_unbatched_and_multivariate():
    data = np.arange(40).reshape(20, 2)
    targets = np.arange(20) * 10
    ds = timeseries_dataset_from_array(data, targets, sequence_length=3, start_index=4,
                                       end_index=12, batch_size=None)
    items = list(ds)
    assert len(items) == len(ds) == 6  # windows start at 4 ... 9 and end by step 11
    x, y = items[0]
    np.testing.assert_array_equal(x, data[4:7])
    assert y == 40
    np.testing.assert_array_equal(items[-1][0], data[9:12])


def test_timeseries_dataset_shuffle_is_seeded_and_keeps_every_window():
    data = np.arange(30)
    make = lambda: timeseries_dataset_from_array(data, data, sequence_length=4,  # noqa: E731
                                                 batch_size=5, shuffle=True, seed=7)
    first = [b for b in make()]
    again = [b for b in make()]
    for (x1, y1), (x2, y2) in zip(first, again):
        np.testing.assert_array_equal(x1, x2)
    starts = np.concatenate([y for _, y in first])
    assert sorted(starts) == list(range(27)) and list(starts) != list(range(27))
    for x, y in first:
        np.testing.assert_array_equal(x[:, 0], y)  # each target is its window's first step
    ds = make()
    epoch_1 = np.concatenate([y for _, y in ds])
    epoch_2 = np.concatenate([y for _, y in ds])
    assert sorted(epoch_2) == sorted(epoch_1) and list(epoch_2) != list(epoch_1)


def test_timeseries_dataset_errors():
    data = np.arange(10)
    for kwargs, message in [({"start_index": -1}, "`start_index` must be 0 or greater"),
                            ({"start_index": 10}, "`start_index` must be lower"),
                            ({"start_index": 5, "end_index": 4}, "`end_index` must be higher"),
                            ({"end_index": 10}, "`end_index` must be lower"),
                            ({"sampling_rate": 0}, "`sampling_rate` must be higher than 0"),
                            ({"sequence_stride": 10}, "`sequence_stride` must be lower")]:
        with pytest.raises(ValueError, match=message):
            timeseries_dataset_from_array(data, None, sequence_length=3, **kwargs)
