"""A model's metric state during and after fit: the variables a callback reads in the
middle of training hold the running values the logs report, a value assigned to them
mid-training is what the next step adds to, and an epoch starts from zeros again. On
JAX the steps carry this state packed (backends/jax/storage.py); the tests say what a
user sees on either engine."""

import numpy as np
import pytest

from keras_bridge import backends, callbacks, layers, models

X = np.random.default_rng(0).random((96, 4)).astype(np.float32)
Y = X @ np.array([[1.0], [-2.0], [0.5], [0.0]], np.float32)


def _model():
    model = models.Sequential([layers.Dense(1, input_shape=(4,))])
    model.compile("sgd", "mse", metrics=["mae"])
    return model


def _state(metric):
    return [float(v.numpy()) for v in metric.variables]


def test_a_callback_reads_the_running_state_the_logs_report(backend):
    model = _model()
    seen = []

    class Read(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            loss_total, loss_count = _state(self.model.metrics[0])
            # The value as an engine tensor too (JAX: unpacked from the step's state).
            value = np.asarray(self.model.metrics[0].variables[0].value)
            seen.append((batch, loss_total, loss_count, float(value), logs["loss"]))

    model.fit(X, Y, batch_size=32, epochs=2, shuffle=False, verbose=0, callbacks=[Read()])
    assert [s[0] for s in seen] == [0, 1, 2, 0, 1, 2]
    for batch, total, count, value, loss in seen:
        assert count == 32.0 * (batch + 1)  # the epoch's samples so far: reset each epoch
        assert value == total
        np.testing.assert_allclose(total / count, loss, rtol=1e-6)


def test_a_value_assigned_mid_fit_is_what_the_next_step_adds_to(backend):
    model = _model()
    totals = []

    class Assign(callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            tracker = self.model.metrics[0]
            totals.append(_state(tracker))
            if batch == 0:
                tracker.variables[1].assign(1000.0)  # the count

    model.fit(X, Y, batch_size=32, epochs=1, shuffle=False, verbose=0,
              callbacks=[Assign()])
    assert totals[0][1] == 32.0
    assert totals[1][1] == 1032.0 and totals[2][1] == 1064.0


def test_evaluate_after_fit_starts_from_zeros_and_matches_numpy(backend):
    model = _model()
    model.fit(X, Y, batch_size=32, epochs=1, verbose=0)
    loss, mae = model.evaluate(X, Y, batch_size=32, verbose=0)
    pred = model.predict(X, batch_size=32, verbose=0)
    np.testing.assert_allclose(loss, np.mean((pred - Y) ** 2), rtol=1e-5)
    np.testing.assert_allclose(mae, np.mean(np.abs(pred - Y)), rtol=1e-5)
    model.reset_metrics()
    assert all(v == 0.0 for m in model.metrics for v in _state_all(m))


def _state_all(metric):
    return [float(x) for v in metric.variables for x in np.ravel(v.numpy())]


def test_train_on_batch_reports_each_batch_alone(backend):
    """``train_on_batch`` resets the metrics every call (the default): its logs are the
    batch's own loss and mae, at the weights before the step, counted over that batch
    only; ``reset_metrics=False`` adds to what was there, an assigned value included."""
    model = _model()
    for i in range(3):
        xb, yb = X[i * 32:(i + 1) * 32], Y[i * 32:(i + 1) * 32]
        kernel, bias = (w.numpy() for w in model.weights)
        pred = xb @ kernel + bias
        loss, mae = model.train_on_batch(xb, yb)
        np.testing.assert_allclose(loss, np.mean((pred - yb) ** 2), rtol=1e-5)
        np.testing.assert_allclose(mae, np.mean(np.abs(pred - yb)), rtol=1e-5)
        assert _state(model.metrics[0])[1] == 32.0
    model.metrics[0].variables[1].assign(5.0)  # the loss tracker's count
    model.train_on_batch(X[:32], Y[:32], reset_metrics=False)
    assert _state(model.metrics[0])[1] == 37.0
    model.train_on_batch(X[:32], Y[:32])
    assert _state(model.metrics[0])[1] == 32.0


@pytest.mark.skipif(not backends.is_available("jax"), reason="jax is not installed")
def test_jax_reset_packs_the_initial_state_once():
    """On JAX a reset puts the same device arrays back each time, so their pack is made
    once and reused: repeated ``train_on_batch`` runs no packing call of its own."""
    from keras_bridge import config
    config.set_backend("jax")
    model = _model()
    model.train_on_batch(X[:32], Y[:32])
    packed = model._trainer.metric_state
    calls = []
    join = packed.layout.join_jitted
    packed.layout.join_jitted = lambda arrays: calls.append(1) or join(arrays)
    for _ in range(3):
        model.train_on_batch(X[:32], Y[:32])
    assert calls == []
    model.metrics[0].variables[1].assign(5.0)  # a new array: packed anew
    model.train_on_batch(X[:32], Y[:32], reset_metrics=False)
    assert calls == [1] and _state(model.metrics[0])[1] == 37.0
