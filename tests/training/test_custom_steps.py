"""Keras 3's overridable steps: train_step / test_step / predict_step overrides run by
fit / evaluate / predict, compute_loss, compute_metrics, self.metrics, and the native
path left as it was. References are numpy SGD written here."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import ops
from keras_bridge.training.custom_steps import CustomSteps

LR = 0.1


def _data(n=8):
    rng = np.random.RandomState(0)
    return rng.randn(n, 3).astype("float32"), rng.randn(n, 2).astype("float32")


def _sgd_reference(W, b, batches, epochs):
    """Weights after plain SGD on mse, and the mean batch loss of each epoch."""
    W, b = W.astype(np.float64), b.astype(np.float64)
    epoch_losses = []
    for _ in range(epochs):
        losses = []
        for x, y in batches:
            p = x @ W + b
            losses.append(np.mean((p - y) ** 2))
            g = 2 * (p - y) / p.size
            W, b = W - LR * x.T @ g, b - LR * g.sum(0)
        epoch_losses.append(np.mean(losses))
    return W, b, epoch_losses


def _dense_model(cls):
    inputs = keras.Input((3,))
    return cls(inputs, keras.layers.Dense(2)(inputs))


class TorchStyle(keras.Model):
    """Keras 3's guide 'custom_train_step_in_torch', as written there."""

    def train_step(self, data):
        import torch
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        with torch.no_grad():
            self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return {m.name: m.result() for m in self.metrics}


def test_torch_style_train_step_matches_numpy_sgd():
    keras.config.set_backend("torch")
    x, y = _data()
    model = _dense_model(TorchStyle)
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse", metrics=["mae"])
    W0, b0 = (w.numpy() for w in model.trainable_weights)
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    W, b, losses = _sgd_reference(W0, b0, [(x, y)], 3)
    np.testing.assert_allclose(model.trainable_weights[0].numpy(), W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.trainable_weights[1].numpy(), b, rtol=1e-5, atol=1e-6)
    assert sorted(history.history) == ["loss", "mae"]
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    assert isinstance(model._trainer, CustomSteps)


class OwnTrackers(keras.Model):
    """The guide's lower-level variant: no compiled loss, trackers as attributes, the
    loss written with keras_bridge.ops, apply_gradients."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")

    def train_step(self, data):
        import torch
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = ops.mean(ops.square(ops.subtract(y_pred, y)))
        loss.backward()
        weights = self.trainable_weights
        with torch.no_grad():
            self.optimizer.apply_gradients(zip([v.value.grad for v in weights], weights))
        self.loss_tracker.update_state(loss)
        self.mae_metric.update_state(y, y_pred)
        return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}


def test_attribute_trackers_are_metrics_reset_each_epoch_and_reported():
    keras.config.set_backend("torch")
    x, y = _data()
    model = _dense_model(OwnTrackers)
    model.compile(optimizer=keras.optimizers.SGD(LR))  # no loss: the step has its own
    assert [m.name for m in model.metrics] == ["loss", "mae"]
    W0, b0 = (w.numpy() for w in model.trainable_weights)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    W, b, losses = _sgd_reference(W0, b0, [(x[:4], y[:4]), (x[4:], y[4:])], 2)
    np.testing.assert_allclose(model.trainable_weights[0].numpy(), W, rtol=1e-5, atol=1e-6)
    # The tracker is reset at each epoch start: an epoch reports its own batches' mean.
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    model.reset_metrics()
    assert float(ops.convert_to_numpy(model.loss_tracker.result())) == 0.0


def test_train_step_must_return_a_dict():
    keras.config.set_backend("torch")

    class Bad(keras.Model):
        def train_step(self, data):
            return 1.0

    model = _dense_model(Bad)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(TypeError, match="Expected train_step to return a dict"):
        model.fit(*_data(), verbose=0)


def test_torch_style_train_step_on_jax_is_a_clear_error():
    keras.config.set_backend("jax")
    model = _dense_model(TorchStyle)
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    before = [w.numpy() for w in model.weights]
    with pytest.raises(NotImplementedError, match=r"overrides train_step\(self, data\).*JAX"):
        model.fit(*_data(), verbose=0)
    for w, v in zip(model.weights, before):
        np.testing.assert_array_equal(w.numpy(), v)


class JaxStyle(keras.Model):
    """Keras 3's guide 'custom_train_step_in_jax', as written there."""

    def compute_loss_and_updates(self, trainable_variables, non_trainable_variables, x, y,
                                 training=False):
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=training)
        loss = self.compute_loss(x, y, y_pred)
        return loss, (y_pred, non_trainable_variables)

    def train_step(self, state, data):
        import jax
        trainable_variables, non_trainable_variables, optimizer_variables, \
            metrics_variables = state
        x, y = data
        grad_fn = jax.value_and_grad(self.compute_loss_and_updates, has_aux=True)
        (loss, (y_pred, non_trainable_variables)), grads = grad_fn(
            trainable_variables, non_trainable_variables, x, y, training=True)
        trainable_variables, optimizer_variables = self.optimizer.stateless_apply(
            optimizer_variables, grads, trainable_variables)
        new_metrics_vars, logs = [], {}
        for metric in self.metrics:
            n = len(new_metrics_vars)
            this_metric_vars = metrics_variables[n:n + len(metric.variables)]
            if metric.name == "loss":
                this_metric_vars = metric.stateless_update_state(this_metric_vars, loss)
            else:
                this_metric_vars = metric.stateless_update_state(this_metric_vars, y, y_pred)
            logs[metric.name] = metric.stateless_result(this_metric_vars)
            new_metrics_vars += this_metric_vars
        state = (trainable_variables, non_trainable_variables, optimizer_variables,
                 new_metrics_vars)
        return logs, state


def test_jax_style_train_step_matches_numpy_sgd():
    keras.config.set_backend("jax")
    x, y = _data()
    model = _dense_model(JaxStyle)
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse", metrics=["mae"])
    W0, b0 = (w.numpy() for w in model.trainable_weights)
    history = model.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0)
    W, b, losses = _sgd_reference(W0, b0, [(x[:4], y[:4]), (x[4:], y[4:])], 2)
    np.testing.assert_allclose(model.trainable_weights[0].numpy(), W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.trainable_weights[1].numpy(), b, rtol=1e-5, atol=1e-6)
    assert sorted(history.history) == ["loss", "mae"]
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)
    assert model.optimizer.iterations == 4


def test_jax_style_train_step_on_torch_is_a_clear_error():
    keras.config.set_backend("torch")
    model = _dense_model(JaxStyle)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NotImplementedError, match=r"train_step\(self, state, data\).*JAX"):
        model.fit(*_data(), verbose=0)


def test_test_step_override_is_called_by_evaluate(backend):
    class MeanPrediction(keras.Model):
        def test_step(self, data):
            x, y, sample_weight = keras.utils.unpack_x_y_sample_weight(data)
            assert sample_weight is None
            y_pred = self(x, training=False)
            return {"mean_pred": ops.mean(y_pred), "mean_y": ops.mean(y)}

    x, y = _data()
    model = _dense_model(MeanPrediction)
    model.compile(optimizer="sgd", loss="mse")
    logs = model.evaluate(x, y, batch_size=8, verbose=0, return_dict=True)
    W, b = (w.numpy() for w in model.weights)
    assert sorted(logs) == ["mean_pred", "mean_y"]
    np.testing.assert_allclose(logs["mean_pred"], np.mean(x @ W + b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(logs["mean_y"], np.mean(y), rtol=1e-5)


def test_predict_step_override_is_called_by_predict(backend):
    class Doubled(keras.Model):
        def predict_step(self, data):
            x = data[0]
            return {"twice": ops.multiply(self(x, training=False), 2.0)}

    x, _ = _data(5)
    model = _dense_model(Doubled)
    out = model.predict(x, batch_size=2)
    W, b = (w.numpy() for w in model.weights)
    assert sorted(out) == ["twice"]
    np.testing.assert_allclose(out["twice"], 2 * (x @ W + b), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.predict_on_batch(x)["twice"], 2 * (x @ W + b),
                               rtol=1e-5, atol=1e-6)


def test_compute_loss_default_is_the_compiled_loss_plus_regularization(backend):
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.01))
    model = keras.Model(inputs, dense(inputs))
    model.compile(optimizer="sgd", loss="mse")
    x, y = _data()
    y_pred = model(x)
    loss = model.compute_loss(x=x, y=ops.convert_to_tensor(y), y_pred=y_pred)
    W, b = (w.numpy() for w in model.weights)
    expected = np.mean((x @ W + b - y) ** 2) + 0.01 * np.sum(W ** 2)
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), expected, rtol=1e-5)


def test_compute_metrics_updates_the_compiled_metrics(backend):
    model = _dense_model(keras.Model)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _data()
    y_pred = model(x)
    results = model.compute_metrics(x, ops.convert_to_tensor(y), y_pred)
    W, b = (w.numpy() for w in model.weights)
    np.testing.assert_allclose(float(ops.convert_to_numpy(results["mae"])),
                               np.mean(np.abs(x @ W + b - y)), rtol=1e-5)


def test_no_override_keeps_the_native_trainer(backend):
    model = _dense_model(keras.Model)
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    x, y = _data()
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert not isinstance(model._trainer, CustomSteps)
    if backend == "jax":
        assert model._trainer.traces == 1  # one jitted step, reused every epoch


def test_super_train_step_runs_the_native_step():
    keras.config.set_backend("torch")
    seen = []

    class Counting(keras.Model):
        def train_step(self, data):
            seen.append(len(data))
            return super().train_step(data)

    x, y = _data()
    model = _dense_model(Counting)
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    W0, b0 = (w.numpy() for w in model.trainable_weights)
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    W, b, losses = _sgd_reference(W0, b0, [(x, y)], 2)
    assert seen == [2, 2]
    np.testing.assert_allclose(model.trainable_weights[0].numpy(), W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history.history["loss"], losses, rtol=1e-5)


def test_override_logs_reach_callbacks_bar_and_validation(capsys):
    keras.config.set_backend("torch")
    seen_lengths, batch_logs = [], []

    class Recording(keras.Model):
        def train_step(self, data):
            seen_lengths.append(len(data))
            x, y, sw = data
            return {"mean_w": ops.mean(sw)}

        def test_step(self, data):
            x, y = data
            return {"score": ops.mean(y)}

    class Spy(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            batch_logs.append(dict(logs))

    x, y = _data()
    sw = np.arange(8, dtype="float32")
    model = _dense_model(Recording)
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, y, sample_weight=sw, batch_size=4, epochs=1, shuffle=False,
                        validation_data=(x, y), callbacks=[Spy()], verbose=1)
    assert seen_lengths == [3, 3]
    assert batch_logs == [{"mean_w": 1.5}, {"mean_w": 5.5}]
    assert history.history["mean_w"] == [5.5]
    np.testing.assert_allclose(history.history["val_score"], [np.mean(y[4:])], rtol=1e-6)
    assert "mean_w: 5.5" in capsys.readouterr().out


def test_jax_style_test_and_predict_steps_on_torch_are_a_clear_error():
    keras.config.set_backend("torch")

    class StatefulPredict(keras.Model):
        def predict_step(self, state, data):
            return data

    class StatefulTest(keras.Model):
        def test_step(self, state, data):
            return {}, state

    model = _dense_model(StatefulPredict)
    with pytest.raises(NotImplementedError, match=r"predict_step\(self, state, data\).*JAX"):
        model.predict(_data()[0])
    model = _dense_model(StatefulTest)
    model.compile(optimizer="sgd", loss="mse")
    with pytest.raises(NotImplementedError, match=r"test_step\(self, state, data\).*JAX"):
        model.evaluate(*_data(), verbose=0)


def test_compiled_metrics_are_one_compile_metrics_entry(backend):
    """Keras 3 lists ``[loss, compile_metrics]``: the second routes each output to its
    metrics and its result is a dict of them."""
    keras.config.set_backend(backend)
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(2, name="a")(inputs)
    model = keras.Model(inputs, [hidden, keras.layers.Dense(1, name="b")(hidden)])
    model.compile("sgd", loss="mse", metrics={"a": ["mae"], "b": ["mse"]})
    x, y = _data()
    model.evaluate(x, [y, y[:, :1]], verbose=0)
    names = [m.name for m in model.metrics]
    assert names == ["loss", "a_loss", "b_loss", "compile_metrics"]
    container = model.metrics[-1]
    container.reset_state()
    pa, pb = model.predict(x, verbose=0)
    container.update_state([y, y[:, :1]], [pa, pb])
    result = {k: float(ops.convert_to_numpy(v)) for k, v in container.result().items()}
    np.testing.assert_allclose(result["a_mae"], np.abs(y - pa).mean(), rtol=1e-5)
    np.testing.assert_allclose(result["b_mse"], ((y[:, :1] - pb) ** 2).mean(), rtol=1e-5)
    assert len(container.variables) == 4  # total and count of each member


class LastResultLogs(keras.Model):
    """Keras 3's JAX guide pattern: the logs are the last metric's stateless result."""

    def train_step(self, state, data):
        trainable, non_trainable, optimizer_variables, metrics_variables = state
        x, y = data
        y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x)
        loss = self.compute_loss(x, y, y_pred)
        new_vars, logs = [], []
        for metric in self.metrics:
            part = metrics_variables[len(new_vars):len(new_vars) + len(metric.variables)]
            part = metric.stateless_update_state(part, loss) if metric.name == "loss" \
                else metric.stateless_update_state(part, y, y_pred)
            logs = metric.stateless_result(part)
            new_vars += part
        return logs, (trainable, non_trainable, optimizer_variables, new_vars)


def test_jax_style_step_keeping_the_last_result_reports_the_compiled_metrics():
    keras.config.set_backend("jax")
    x, y = _data()
    model = _dense_model(LastResultLogs)
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    W, b = (w.numpy() for w in model.trainable_weights)  # unchanged: no update applied
    np.testing.assert_allclose(history.history["mae"], [np.abs(y - (x @ W + b)).mean()],
                               rtol=1e-5)


def test_stateless_compute_loss_reads_the_given_values_and_stores_nothing(backend):
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.01))
    model = keras.Model(inputs, dense(inputs))
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x, y = _data()
    model.evaluate(x, y, verbose=0)  # builds the metrics
    stored = [w.numpy() for w in model.weights]
    W = np.full((3, 2), 0.5, "float32")
    b = np.array([0.1, -0.2], "float32")
    y_pred = ops.convert_to_tensor(x @ W + b)
    metric_values = [v.value for v in model.metrics_variables]
    loss, (trainable, non_trainable, metrics_values) = model.stateless_compute_loss(
        [ops.convert_to_tensor(W), ops.convert_to_tensor(b)], [], metric_values,
        x=x, y=ops.convert_to_tensor(y), y_pred=y_pred)
    expected = np.mean((x @ W + b - y) ** 2) + 0.01 * np.sum(W ** 2)
    np.testing.assert_allclose(float(ops.convert_to_numpy(loss)), expected, rtol=1e-5)
    assert len(trainable) == 2 and non_trainable == []
    assert len(metrics_values) == len(model.metrics_variables)
    for w, before in zip(model.weights, stored):
        np.testing.assert_array_equal(w.numpy(), before)
    with pytest.raises(ValueError, match="trainable_variables.*length 1.*expected 2"):
        model.stateless_compute_loss([W], [], metric_values, x=x, y=y, y_pred=y_pred)


class StatelessLossStep(keras.Model):
    """Keras 3's guide 'custom_train_step_in_jax': the loss through
    stateless_compute_loss, so the regularization is differentiated too."""

    def loss_and_updates(self, trainable, non_trainable, metrics_vars, x, y):
        y_pred, non_trainable = self.stateless_call(trainable, non_trainable, x,
                                                    training=True)
        loss, (trainable, non_trainable, metrics_vars) = self.stateless_compute_loss(
            trainable, non_trainable, metrics_vars, x=x, y=y, y_pred=y_pred)
        return loss, (non_trainable, metrics_vars)

    def train_step(self, state, data):
        import jax
        trainable, non_trainable, optimizer_vars, metrics_vars = state
        x, y = data
        (loss, (non_trainable, metrics_vars)), grads = jax.value_and_grad(
            self.loss_and_updates, has_aux=True)(trainable, non_trainable, metrics_vars,
                                                 x, y)
        trainable, optimizer_vars = self.optimizer.stateless_apply(optimizer_vars, grads,
                                                                   trainable)
        return {"loss": loss}, (trainable, non_trainable, optimizer_vars, metrics_vars)


def test_jax_style_step_with_stateless_compute_loss_matches_numpy_sgd():
    keras.config.set_backend("jax")
    x, y = _data()
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.l2(0.05))
    model = StatelessLossStep(inputs, dense(inputs))
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    W, b = (w.numpy().astype(np.float64) for w in model.trainable_weights)
    model.fit(x, y, batch_size=4, epochs=1, shuffle=False, verbose=0)
    for xb, yb in [(x[:4], y[:4]), (x[4:], y[4:])]:
        g = 2 * (xb @ W + b - yb) / yb.size
        W, b = W - LR * (xb.T @ g + 2 * 0.05 * W), b - LR * g.sum(0)
    np.testing.assert_allclose(model.trainable_weights[0].numpy(), W, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.trainable_weights[1].numpy(), b, rtol=1e-5, atol=1e-6)
