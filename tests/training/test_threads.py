"""Two threads using a fresh model together bind and compile it once
(guards.engine_lock), and concurrent predict on a bound model is correct."""

import threading

import numpy as np

from keras_bridge.layers import BatchNormalization, Dense, Input
from keras_bridge.models import Sequential


def _run_together(count, work):
    """``work(i)`` in ``count`` threads released together; the results, errors raised."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(i):
        barrier.wait()
        try:
            results[i] = work(i)
        except Exception as e:  # reported by the test
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results, errors


def _reference(model, x):
    """The model's outputs by numpy (inference BatchNormalization on its statistics)."""
    (k1, b1), (gamma, beta, mean, var), (k2, b2) = (l.get_weights() for l in model.layers)
    h = np.tanh(x @ k1 + b1)
    h = (h - mean) / np.sqrt(var + 1e-3) * gamma + beta
    return h @ k2 + b2


def test_first_predict_from_two_threads(backend):
    """Each trial starts two threads on a fresh model (bound and compiled on first use);
    before engine_lock about half the trials failed and a JAX model stayed broken."""
    rng = np.random.default_rng(0)
    for trial in range(8):
        model = Sequential([Input((4,)), Dense(3, activation="tanh"), BatchNormalization(),
                            Dense(2)])
        xs = [rng.random((5 + i, 4)).astype(np.float32) for i in range(2)]
        results, errors = _run_together(2, lambda i: model.predict(xs[i], verbose=0))
        assert not errors, errors
        assert model.backend_name == backend
        for x, got in zip(xs, results):
            np.testing.assert_allclose(got, _reference(model, x), rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(model.predict(x, verbose=0), got, rtol=1e-6)


def test_concurrent_predict_on_a_bound_model(backend):
    rng = np.random.default_rng(1)
    model = Sequential([Dense(3, activation="tanh"), BatchNormalization(), Dense(2)])
    model.predict(np.zeros((4, 4), np.float32), verbose=0)  # bound and compiled
    xs = [rng.random((8, 4)).astype(np.float32) for _ in range(4)]

    def work(i):
        return [model.predict(xs[i], batch_size=4, verbose=0) for _ in range(3)]

    results, errors = _run_together(4, work)
    assert not errors, errors
    for x, runs in zip(xs, results):
        for got in runs:
            np.testing.assert_allclose(got, _reference(model, x), rtol=1e-5, atol=1e-6)
