"""Keras 3's stateless API: Layer.stateless_call on both engines (against the normal
call and numpy), gradients through it (torch autograd vs jax.grad vs numpy),
return_losses, JAX-style test_step / predict_step run by evaluate / predict,
SeedGenerator state under jit, and the error paths."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import ops
from keras_bridge import random as kr

MOMENTUM = 0.99  # BatchNormalization's default


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def _x(n=5, d=3, seed=0):
    return np.random.RandomState(seed).randn(n, d).astype("float32")


def _dense_bn_model():
    inputs = keras.Input((3,))
    h = keras.layers.Dense(4, name="d1")(inputs)
    h = keras.layers.BatchNormalization(name="bn")(h)
    return keras.Model(inputs, keras.layers.Dense(2, name="d2")(h))


def _values(variables):
    return [v.value for v in variables]


def test_stateless_call_matches_the_call_and_changes_nothing(backend):
    model = _dense_bn_model()
    x = _x()
    reference = _np(model(x))
    stored = [v.numpy() for v in model.variables]
    out, new = model.stateless_call(_values(model.trainable_variables),
                                    _values(model.non_trainable_variables), x)
    np.testing.assert_allclose(_np(out), reference, rtol=1e-5, atol=1e-6)
    assert len(new) == len(model.non_trainable_variables) == 2  # moving mean, variance
    # Training: the moving statistics come back updated (numpy BatchNorm update) ...
    out, new = model.stateless_call(_values(model.trainable_variables),
                                    _values(model.non_trainable_variables), x,
                                    training=True)
    W, b = model.get_layer("d1").get_weights()
    h = x @ W + b
    np.testing.assert_allclose(_np(new[0]), (1 - MOMENTUM) * h.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(new[1]), MOMENTUM + (1 - MOMENTUM) * h.var(0),
                               rtol=1e-5, atol=1e-6)
    # ... and no stored variable changed.
    for v, before in zip(model.variables, stored):
        np.testing.assert_array_equal(v.numpy(), before)


def test_stateless_call_uses_the_given_values_on_a_layer(backend):
    dense = keras.layers.Dense(2)
    x = _x()
    dense(x)
    W = np.arange(6, dtype="float32").reshape(3, 2) / 10
    b = np.array([1.0, -1.0], "float32")
    stored = dense.get_weights()
    out, new = dense.stateless_call([W, b], [], x)
    np.testing.assert_allclose(_np(out), x @ W + b, rtol=1e-5, atol=1e-6)
    assert new == []
    for w, before in zip(dense.get_weights(), stored):
        np.testing.assert_array_equal(w, before)


class _TwoDense(keras.Model):
    def __init__(self):
        super().__init__()
        self.a = keras.layers.Dense(3, activation="relu")
        self.b = keras.layers.Dense(1)

    def call(self, x, training=False):
        return self.b(self.a(x))


def test_stateless_call_on_a_subclassed_model(backend):
    model = _TwoDense()
    x = _x()
    model(x)
    given = [np.full(v.shape, 0.1 * (i + 1), "float32")
             for i, v in enumerate(model.trainable_variables)]
    out, _ = model.stateless_call(given, [], x)
    W1, b1, W2, b2 = given
    np.testing.assert_allclose(_np(out), np.maximum(x @ W1 + b1, 0) @ W2 + b2,
                               rtol=1e-5, atol=1e-6)


def _loss_grads(backend, W, b, x):
    """Gradients of sum(out ** 2) through stateless_call, by the engine's own autodiff."""
    keras.config.set_backend(backend)
    dense = keras.layers.Dense(2)
    dense(x)
    if backend == "jax":
        import jax

        def loss(tv):
            out, _ = dense.stateless_call(tv, [], x)
            return (out ** 2).sum()
        return [np.asarray(g) for g in jax.jit(jax.grad(loss))([W, b])]
    import torch
    tv = [torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)]
    out, _ = dense.stateless_call(tv, [], torch.tensor(x))
    (out ** 2).sum().backward()
    assert all(w.slot.tensor.grad is None for w in dense.weights)  # stored: no gradient
    return [t.grad.numpy() for t in tv]


def test_gradients_through_stateless_call_torch_vs_jax_vs_numpy():
    x = _x()
    W = np.random.RandomState(1).randn(3, 2).astype("float32")
    b = np.array([0.5, -0.5], "float32")
    p = x @ W + b
    want = [2 * x.T @ p, 2 * p.sum(0)]
    got = {name: _loss_grads(name, W, b, x) for name in ("torch", "jax")}
    for g_t, g_j, g in zip(got["torch"], got["jax"], want):
        np.testing.assert_allclose(g_t, g_j, rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g_t, g, rtol=1e-5, atol=1e-5)


def test_stateless_call_is_pure_under_jax_jit():
    import jax
    keras.config.set_backend("jax")
    model = _dense_bn_model()
    x = _x()
    model(x)
    fn = jax.jit(lambda tv, ntv, x: model.stateless_call(tv, ntv, x, training=True))
    tv, ntv = _values(model.trainable_variables), _values(model.non_trainable_variables)
    out, new = fn(tv, ntv, x)
    eager_out, eager_new = model.stateless_call(tv, ntv, x, training=True)
    np.testing.assert_allclose(np.asarray(out), _np(eager_out), rtol=1e-5, atol=1e-6)
    for a, e in zip(new, eager_new):
        np.testing.assert_allclose(np.asarray(a), _np(e), rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(model.get_layer("bn").get_weights()[2], np.zeros(4))


class _AddsLoss(keras.layers.Layer):
    def call(self, x):
        self.add_loss(ops.sum(ops.abs(x)))
        return x


def test_return_losses_holds_add_loss_activity_and_weight_regularization(backend):
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, activity_regularizer=keras.regularizers.l2(0.1),
                               kernel_regularizer=keras.regularizers.l1(0.01))
    model = keras.Model(inputs, _AddsLoss()(dense(inputs)))
    x = _x(4)
    model(x)
    W = np.random.RandomState(2).randn(3, 2).astype("float32")
    b = np.zeros(2, "float32")
    out, _, losses = model.stateless_call([W, b], [], x, return_losses=True)
    h = x @ W + b
    want = [0.1 * np.sum(h ** 2) / 4,  # activity: divided by the batch size (Keras 3)
            np.sum(np.abs(h)),  # add_loss
            0.01 * np.sum(np.abs(W))]  # kernel regularizer, on the given kernel
    np.testing.assert_allclose(sorted(float(_np(v)) for v in losses), sorted(want),
                               rtol=1e-5)
    # Without return_losses the call's losses are dropped (Keras 3), not kept anywhere.
    assert len(model.stateless_call([W, b], [], x)) == 2


def test_wrong_variable_counts_and_unbuilt_layers_are_clear_errors(backend):
    dense = keras.layers.Dense(2)
    with pytest.raises(ValueError, match="must be built"):
        dense.stateless_call([], [], _x())
    dense(_x())
    with pytest.raises(ValueError, match=r"trainable_variables.*Received list with length "
                                         r"1, but expected 2 variables"):
        dense.stateless_call([dense.kernel.value], [], _x())
    with pytest.raises(ValueError, match=r"non_trainable_variables.*length 1, but "
                                         r"expected 0 variables"):
        dense.stateless_call(_values(dense.trainable_variables), [np.zeros(2)], _x())


# ---- SeedGenerator state ---------------------------------------------------------------
class _SeededDropout(keras.layers.Layer):
    """Keras 3's pattern for a random layer: a SeedGenerator made in __init__."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate
        self.seed_generator = kr.SeedGenerator(42)

    def call(self, x, training=False):
        if training:
            return kr.dropout(x, self.rate, seed=self.seed_generator)
        return x


def test_seed_state_is_a_non_trainable_variable_not_a_weight(backend):
    layer = _SeededDropout(0.5)
    layer(_x())
    assert layer.weights == [] and layer.get_weights() == []
    assert layer.non_trainable_variables == [layer.seed_generator.state]
    assert layer.variables == [layer.seed_generator.state]
    assert layer.trainable_variables == []


def test_seed_state_advances_and_reproduces_through_stateless_call(backend):
    layer = _SeededDropout(0.5)
    x = np.ones((6, 8), "float32")
    layer(x)
    start = layer.seed_generator.state.value
    out1, (state1,) = layer.stateless_call([], [start], x, training=True)
    out2, (state2,) = layer.stateless_call([], [state1], x, training=True)
    again, (state_again,) = layer.stateless_call([], [start], x, training=True)
    np.testing.assert_array_equal(_np(state1), [42, 1])
    np.testing.assert_array_equal(_np(state2), [42, 2])
    np.testing.assert_array_equal(_np(again), _np(out1))  # same state, same mask
    np.testing.assert_array_equal(_np(state_again), _np(state1))
    assert not np.array_equal(_np(out1), _np(out2))  # the next state, a new mask
    assert set(np.unique(_np(out1))) <= {0.0, 2.0}
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [42, 0])


def test_seed_state_under_jit_matches_the_eager_stateless_call():
    import jax
    keras.config.set_backend("jax")
    layer = _SeededDropout(0.5)
    x = np.ones((6, 8), "float32")
    layer(x)
    fn = jax.jit(lambda ntv, x: layer.stateless_call([], ntv, x, training=True))
    state = [layer.seed_generator.state.value]
    outs = []
    for _ in range(3):
        out, state = fn(state, x)
        outs.append(np.asarray(out))
    np.testing.assert_array_equal(np.asarray(state[0]), [42, 3])
    assert not np.array_equal(outs[0], outs[1])
    eager, _ = layer.stateless_call([], [np.array([42, 1], "int32")], x, training=True)
    np.testing.assert_array_equal(outs[1], _np(eager))


# ---- JAX-style test_step / predict_step ------------------------------------------------
class _JaxSteps(keras.Model):
    """Keras 3's JAX contract for evaluate / predict."""

    def test_step(self, state, data):
        trainable_variables, non_trainable_variables, metrics_variables = state
        x, y = data
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, x, training=False)
        loss = ops.mean(ops.abs(y_pred - y))
        tracker = self.loss_tracker
        metrics_variables = tracker.stateless_update_state(metrics_variables, loss)
        logs = {"l1": tracker.stateless_result(metrics_variables)}
        return logs, (trainable_variables, non_trainable_variables, metrics_variables)

    def predict_step(self, state, data):
        trainable_variables, non_trainable_variables = state
        y_pred, non_trainable_variables = self.stateless_call(
            trainable_variables, non_trainable_variables, data[0], training=True)
        return {"noisy": y_pred}, non_trainable_variables


def _jax_steps_model():
    keras.config.set_backend("jax")
    inputs = keras.Input((3,))
    model = _JaxSteps(inputs, _SeededDropout(0.5)(keras.layers.Dense(2)(inputs)))
    model.loss_tracker = keras.metrics.Mean(name="l1")
    model.compile(optimizer="sgd")  # no compiled loss: the step tracks its own
    assert model.metrics == [model.loss_tracker]
    return model


def test_jax_style_test_step_is_run_by_evaluate():
    model = _jax_steps_model()
    x, y = _x(8), _x(8, 2, seed=1)
    logs = model.evaluate(x, y, batch_size=4, verbose=0, return_dict=True)
    W, b = model.get_weights()
    p = x @ W + b
    batch_l1 = [np.mean(np.abs(p[:4] - y[:4])), np.mean(np.abs(p[4:] - y[4:]))]
    assert sorted(logs) == ["l1"]
    np.testing.assert_allclose(logs["l1"], np.mean(batch_l1), rtol=1e-5)
    # The metric state the step returned was written back.
    np.testing.assert_allclose(float(_np(model.loss_tracker.result())), np.mean(batch_l1),
                               rtol=1e-5)


def test_jax_style_predict_step_is_run_by_predict_and_its_state_kept():
    model = _jax_steps_model()
    x = _x(6)
    seeds = [v for v in model.non_trainable_variables if "seed" in v.path]
    out = model.predict(x, batch_size=3)
    W, b = model.get_weights()
    kept = out["noisy"] != 0
    np.testing.assert_allclose(out["noisy"][kept], 2 * (x @ W + b)[kept], rtol=1e-5)
    np.testing.assert_array_equal(seeds[0].numpy(), [42, 2])  # one draw per batch
    again = model.predict(x, batch_size=3)
    assert not np.array_equal(again["noisy"], out["noisy"])  # the state moved on


def test_a_jax_style_step_returning_a_wrong_state_is_a_clear_error():
    model = _jax_steps_model()

    class Short(_JaxSteps):
        def test_step(self, state, data):
            logs, (tv, ntv, mv) = super().test_step(state, data)
            return logs, (tv, ntv, mv[:1])

    model.__class__ = Short
    before = [v.numpy() for v in model.variables]
    with pytest.raises(ValueError, match=r"test_step\(self, state, data\) to return one "
                                         r"value per variable: 2 values. Received: 1"):
        model.evaluate(_x(4), _x(4, 2), verbose=0)
    for v, b in zip(model.variables, before):
        np.testing.assert_array_equal(v.numpy(), b)


def test_a_hand_written_loop_starts_before_the_model_or_metric_is_used(backend):
    # Keras 3's loop-from-scratch guides build the optimizer on a functional model that
    # was never called and read a fresh metric's variables: both bind to the default engine.
    model = _dense_bn_model()
    optimizer = keras.optimizers.Adam(1e-3)
    optimizer.build(model.trainable_variables)
    assert {v.backend_name for v in model.variables} == {backend}
    if backend == "jax":  # the pure update's state, what a JAX loop carries
        assert optimizer.variables is not None
    metric = keras.metrics.CategoricalAccuracy()
    state = _values(metric.variables)
    y = np.eye(3, dtype="float32")[[0, 1, 2, 1]]
    y_pred = np.eye(3, dtype="float32")[[0, 1, 0, 0]]
    state = metric.stateless_update_state(state, y, y_pred)
    for variable, value in zip(metric.variables, state):
        variable.assign(value)
    assert float(_np(metric.result())) == pytest.approx(0.5)
