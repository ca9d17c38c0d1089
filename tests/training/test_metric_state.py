"""A model's metric state during and after fit: the variables a callback reads in the
middle of training hold the running values the logs report, a value assigned to them
mid-training is what the next step adds to, and an epoch starts from zeros again. On
JAX the steps carry this state packed (backends/jax/storage.py); the tests say what a
user sees on either engine."""

import numpy as np

from keras_bridge import callbacks, layers, models

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
