"""fit / evaluate / predict on Sequences, generators and iterable datasets, and Keras 2's
fit_generator family, on both engines."""

import re

import numpy as np
import pytest

from keras_bridge import optimizers
from keras_bridge.layers import LSTM, Dense
from keras_bridge.models import Sequential
from keras_bridge.preprocessing.sequence import TimeseriesGenerator
from keras_bridge.utils import PyDataset, Sequence, set_random_seed
from keras_bridge.utils import timeseries_dataset_from_array

RNG = np.random.default_rng(0)
X = RNG.normal(size=(100, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-2.0], [0.5]], np.float32) + 0.3).astype(np.float32)
SW = RNG.uniform(0.5, 2.0, size=100).astype(np.float32)


class Batches(Sequence):
    """Batches of 25 in order; counts on_epoch_end calls."""

    def __init__(self, weighted=False):
        self.weighted = weighted
        self.epochs_ended = 0

    def __len__(self):
        return 4

    def __getitem__(self, index):
        part = slice(index * 25, (index + 1) * 25)
        return (X[part], Y[part], SW[part]) if self.weighted else (X[part], Y[part])

    def on_epoch_end(self):
        self.epochs_ended += 1


def endless(batch=20, weighted=False):
    while True:
        for i in range(0, 100, batch):
            part = slice(i, i + batch)
            yield (X[part], Y[part], SW[part]) if weighted else (X[part], Y[part])


def _model(seed=1):
    set_random_seed(seed)
    model = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(1)])
    model.compile(optimizers.SGD(0.05), "mse", metrics=["mae"])
    return model


def _same_run(source_fit, array_fit):
    a, b = _model(), _model()
    hist_a = source_fit(a)
    hist_b = array_fit(b)
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_allclose(wa, wb, rtol=1e-6, atol=1e-7)
    for key in hist_b.history:
        np.testing.assert_allclose(hist_a.history[key], hist_b.history[key], rtol=1e-6)
    return a


def test_sequence_trains_like_arrays(backend):
    seq = Batches()
    model = _same_run(
        lambda m: m.fit(seq, epochs=3, shuffle=False, verbose=0, validation_data=Batches()),
        lambda m: m.fit(X, Y, batch_size=25, epochs=3, shuffle=False, verbose=0,
                        validation_data=(X, Y)))
    assert seq.epochs_ended == 3
    np.testing.assert_allclose(model.evaluate(Batches(), verbose=0),
                               model.evaluate(X, Y, batch_size=25, verbose=0), rtol=1e-6)
    np.testing.assert_allclose(model.predict(Batches()), model.predict(X), rtol=1e-6)


def test_sequence_steps_beyond_its_length_start_another_pass(backend):
    """Keras 2 kept cycling a Sequence: 6 steps of a 4-batch Sequence are batches
    0, 1, 2, 3, 0, 1, with on_epoch_end after the full pass and at the epoch's end."""
    seq = Batches()
    again = np.concatenate([X, X[:50]]), np.concatenate([Y, Y[:50]])
    _same_run(lambda m: m.fit(seq, steps_per_epoch=6, epochs=1, shuffle=False, verbose=0),
              lambda m: m.fit(*again, batch_size=25, epochs=1, shuffle=False, verbose=0))
    assert seq.epochs_ended == 2


def test_fractional_steps_count_the_partial_step(backend):
    """Keras 2's own examples pass steps_per_epoch=len(x_train) / 32: 2.5 steps run 3."""
    _same_run(lambda m: m.fit(Batches(), steps_per_epoch=2.5, epochs=2, shuffle=False,
                              verbose=0),
              lambda m: m.fit(X[:75], Y[:75], batch_size=25, epochs=2, shuffle=False,
                              verbose=0))
    model = _model()
    for bad in (0, -1.5, float("nan"), "3", True):
        with pytest.raises(ValueError, match="positive number"):
            model.fit(Batches(), steps_per_epoch=bad, verbose=0)


def test_weighted_generator_trains_like_arrays(backend):
    _same_run(lambda m: m.fit(endless(weighted=True), steps_per_epoch=5, epochs=2, verbose=0),
              lambda m: m.fit(X, Y, sample_weight=SW, batch_size=20, epochs=2, shuffle=False,
                              verbose=0))


def test_shuffled_sequence_visits_every_batch(backend):
    seen = []

    class Logged(Batches):
        def __getitem__(self, index):
            seen.append(index)
            return super().__getitem__(index)

    model = _model()
    model.fit(Logged(), epochs=2, verbose=0)  # shuffle=True: batch order drawn per epoch
    epochs = [seen[1:5], seen[5:9]]  # seen[0]: the first batch read to build the step
    assert all(sorted(e) == [0, 1, 2, 3] for e in epochs)
    assert epochs != [[0, 1, 2, 3]] * 2  # (seeded: this draw is not the identity twice)


def test_generator_without_steps_and_running_out(backend):
    model = _model()
    finite = ((X[i:i + 50], Y[i:i + 50]) for i in (0, 50))
    with pytest.warns(UserWarning, match="ran out of data"):
        history = model.fit(finite, epochs=3, verbose=0)  # one pass, then nothing left
    assert len(history.history["loss"]) == 1
    with pytest.warns(UserWarning, match="ran out of data before 4 steps"):
        history = model.fit(iter([(X, Y)] * 6), steps_per_epoch=4, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2  # the second epoch got 2 of its 4 steps


def test_iterable_datasets_and_timeseries_generator(backend):
    series = np.sin(np.arange(120, dtype=np.float32) / 5)[:, None]
    set_random_seed(2)
    model = Sequential([LSTM(4, input_shape=(10, 1)), Dense(1)])
    model.compile("adam", "mse")
    gen = TimeseriesGenerator(series, series, length=10, batch_size=16)
    history = model.fit(gen, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2
    windows = np.stack([series[i:i + 10] for i in range(110)])
    np.testing.assert_allclose(model.evaluate(gen, verbose=0),
                               model.evaluate(windows, series[10:], verbose=0), rtol=1e-5)
    dataset = timeseries_dataset_from_array(series[:-10], series[10:], sequence_length=10,
                                            batch_size=16)
    model.fit(dataset, epochs=2, verbose=0)  # re-iterable: one pass per epoch
    # Windows of series[:-10] start at 0..100 (the last one ends at step 109).
    np.testing.assert_allclose(model.predict(dataset), model.predict(windows[:101]),
                               rtol=1e-5)


def test_progress_counts_steps(backend, capsys):
    model = _model()
    model.fit(Batches(), epochs=1, verbose=1)
    line = capsys.readouterr().out.strip().splitlines()[1]
    assert re.fullmatch(r"4/4 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: \S+ - mae: \S+",
                        line), line
    model.fit((b for b in [(X[:50], Y[:50]), (X[50:], Y[50:])]), epochs=1, verbose=2)
    line = capsys.readouterr().out.strip().splitlines()[1]
    assert re.fullmatch(r"2/Unknown - \d+s - loss: \S+ - mae: \S+", line), line


def test_keras2_generator_methods(backend):
    reference = _model()
    reference.fit(X, Y, batch_size=20, epochs=2, shuffle=False, verbose=0)
    model = _model()
    with pytest.warns(DeprecationWarning, match="fit_generator"):
        model.fit_generator(endless(), steps_per_epoch=5, epochs=2, verbose=0,
                            workers=4, use_multiprocessing=True)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    with pytest.warns(DeprecationWarning, match="evaluate_generator"):
        loss, mae = model.evaluate_generator(Batches())
    np.testing.assert_allclose([loss, mae], reference.evaluate(X, Y, verbose=0), rtol=1e-6)
    with pytest.warns(DeprecationWarning, match="predict_generator"):
        out = model.predict_generator(endless(batch=50), steps=2)
    np.testing.assert_allclose(out, reference.predict(X), rtol=1e-6)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="class_weight"):
        model.fit_generator(endless(), steps_per_epoch=1, class_weight=[1.0])


def test_bad_sources_are_clear_errors_and_change_nothing(backend):
    model = _model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="batch_size must not be given"):
        model.fit(Batches(), batch_size=10)
    with pytest.raises(ValueError, match="y must not be given"):
        model.fit(endless(), Y, steps_per_epoch=2)
    with pytest.raises(ValueError, match="validation_split must not be given"):
        model.fit(Batches(), validation_split=0.2)
    with pytest.raises(ValueError, match="needs batches \\(x, y\\)"):
        model.fit((X[i:i + 10] for i in range(0, 100, 10)), verbose=0)
    with pytest.raises(ValueError, match="positive number"):
        model.fit(endless(), steps_per_epoch=0)
    with pytest.raises(ValueError, match="yielded no batches"):
        model.fit(iter([]))

    class Empty(PyDataset):
        def __len__(self):
            return 0

    with pytest.raises(ValueError, match="has no batches"):
        model.evaluate(Empty())
    wrong = ((np.ones((5, 7), np.float32), np.ones((5, 1), np.float32)) for _ in range(3))
    with pytest.raises(ValueError, match="7"):
        model.fit(wrong, verbose=0)
    with pytest.raises(NotImplementedError, match="__len__"):
        len(Sequence())
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_class_weight(backend):
    """class_weight == the same weights given per sample, from one-hot, (n, 1) and (n,)
    labels, on arrays and on batches; validation data stays unweighted."""
    labels = (X[:, 0] > 0).astype(np.int64)
    weights = {0: 0.5, 1: 3.0}
    per_sample = np.where(labels == 1, 3.0, 0.5).astype(np.float32)

    def classifier():
        set_random_seed(4)
        model = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
        model.compile(optimizers.SGD(0.1), "sparse_categorical_crossentropy")
        return model

    reference = classifier()
    ref_hist = reference.fit(X, labels, sample_weight=per_sample, batch_size=20, epochs=2,
                             shuffle=False, verbose=0, validation_data=(X, labels))
    one_hot = np.eye(2, dtype=np.float32)[labels]
    for y in (labels, labels[:, None].astype(np.float32)):
        model = classifier()
        hist = model.fit(X, y, class_weight=weights, batch_size=20, epochs=2, shuffle=False,
                         verbose=0, validation_data=(X, labels))
        for a, b in zip(model.get_weights(), reference.get_weights()):
            np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
        np.testing.assert_allclose(hist.history["val_loss"], ref_hist.history["val_loss"],
                                   rtol=1e-6)
    set_random_seed(4)
    model = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    model.compile(optimizers.SGD(0.1), "categorical_crossentropy")
    batches = ((X[i:i + 20], one_hot[i:i + 20]) for i in list(range(0, 100, 20)) * 2)
    model.fit(batches, steps_per_epoch=5, epochs=2, class_weight=weights, verbose=0)
    for a, b in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="cannot be used together"):
        model.fit(X, one_hot, class_weight=weights, sample_weight=per_sample)
    weighted = ((X[i:i + 20], one_hot[i:i + 20], SW[i:i + 20]) for i in range(0, 100, 20))
    with pytest.raises(ValueError, match="cannot be used together"):
        model.fit(weighted, steps_per_epoch=1, class_weight=weights)
    with pytest.raises(ValueError, match="keys must be non-negative class ids"):
        model.fit(X, one_hot, class_weight={"a": 1.0})
    with pytest.raises(ValueError, match="must be a dict"):
        model.fit(X, one_hot, class_weight=[1.0, 2.0])
