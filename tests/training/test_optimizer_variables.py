"""``optimizer.variables``: Keras 3's list (names and order from Keras 3.15.1), views of
the engine optimizer's state (values against numpy's SGD momentum, torch against JAX
for Adam), ``assign`` writing through, and Keras 3's JAX loop with
``optimizer.variables`` and the model's variables passed straight into ``jax.jit``."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import config, ops

RNG = np.random.RandomState(0)
X = RNG.randn(6, 3).astype("float32")
Y = RNG.randn(6, 1).astype("float32")
W1 = RNG.randn(3, 2).astype("float32")
B1 = RNG.randn(2).astype("float32")
W2 = RNG.randn(2, 1).astype("float32")


def _model():
    inputs = keras.Input((3,))
    h = keras.layers.Dense(2, name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, use_bias=False, name="out")(h))
    model.set_weights([W1, B1, W2])
    return model


def _grads(w1, b1, w2):
    """numpy gradients of the mean squared error of hidden -> out on (X, Y)."""
    h = X @ w1 + b1
    err = h @ w2 - Y
    d = 2 * err / err.size
    dh = d @ w2.T
    return [X.T @ dh, dh.sum(0), h.T @ d]


def test_paths_and_order_are_keras_3s(backend):
    # Lists printed by Keras 3.15.1 for this model (hidden: kernel, bias; out: kernel).
    rms = keras.optimizers.RMSprop(centered=True, momentum=0.5, name="rms")
    assert [v.path for v in rms.variables] == ["rms/iteration", "rms/learning_rate"]
    model = _model()
    rms.build(model.trainable_variables)
    assert [v.path for v in rms.variables] == [
        "rms/iteration", "rms/learning_rate", "rms/hidden_kernel_velocity",
        "rms/hidden_bias_velocity", "rms/out_kernel_velocity", "rms/hidden_kernel_momentum",
        "rms/hidden_bias_momentum", "rms/out_kernel_momentum",
        "rms/hidden_kernel_average_gradient", "rms/hidden_bias_average_gradient",
        "rms/out_kernel_average_gradient"]
    assert [(v.shape, v.dtype) for v in rms.variables[:3]] == [
        ((), "int32"), ((), "float32"), ((3, 2), "float32")]
    assert all(not v.trainable and isinstance(v, keras.Variable) for v in rms.variables)

    lso = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(name="inner"), name="lso")
    assert [v.path for v in lso.variables] == ["lso/iteration", "lso/learning_rate",
                                               "inner/iteration", "inner/learning_rate"]
    lso.build(model.trainable_variables)
    assert [v.path for v in lso.variables][:6] == [
        "lso/iteration", "lso/learning_rate", "lso/step_counter", "lso/dynamic_scale",
        "inner/iteration", "inner/learning_rate"]
    assert float(lso.variables[3].numpy()) == 2.0 ** 15

    scheduled = keras.optimizers.Adam(
        keras.optimizers.schedules.ExponentialDecay(0.1, 10, 0.5), name="sched")
    scheduled.build(model.trainable_variables)
    assert [v.path for v in scheduled.variables][:3] == [
        "sched/iteration", "sched/hidden_kernel_momentum", "sched/hidden_kernel_velocity"]


def test_values_follow_training_and_assign_writes_through(backend):
    lr, momentum = 0.1, 0.9
    model = _model()
    model.compile(keras.optimizers.SGD(lr, momentum=momentum), "mse")
    model.train_on_batch(X, Y)
    variables = model.optimizer.variables
    g = _grads(W1, B1, W2)
    # Keras's SGD: m = momentum * m - lr * g, w += m; after one step m = -lr * g.
    assert int(variables[0].numpy()) == 1 and variables[0].numpy().dtype == np.int32
    for v, grad in zip(variables[2:], g):
        np.testing.assert_allclose(v.numpy(), -lr * grad, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(variables[2].value), variables[2].numpy())

    # Set the velocities, then one more step uses them.
    set_to = [np.full(w.shape, 0.5, "float32") for w in model.trainable_weights]
    for v, value in zip(variables[2:], set_to):
        v.assign(value)
    before = [w.numpy() for w in model.trainable_weights]
    model.train_on_batch(X, Y)
    g = _grads(*before)
    for w, b, m, grad in zip(model.trainable_weights, before, set_to, g):
        np.testing.assert_allclose(w.numpy(), b + momentum * m - lr * grad,
                                   rtol=1e-5, atol=1e-6)
    assert int(model.optimizer.variables[0].numpy()) == 2

    variables[1].assign(0.25)
    assert model.optimizer.learning_rate == pytest.approx(0.25)


def test_bad_assigns_are_clear_errors_and_change_nothing(backend):
    model = _model()
    model.compile(keras.optimizers.Adam(), "mse")
    model.train_on_batch(X, Y)
    momentum = model.optimizer.variables[2]
    before = momentum.numpy()
    with pytest.raises(ValueError, match=r"shape \(2,\) to optimizer variable "
                                         r"'adam/hidden_kernel_momentum' of shape \(3, 2\)"):
        momentum.assign(np.zeros(2, "float32"))
    np.testing.assert_array_equal(momentum.numpy(), before)

    fresh = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="not built yet"):
        fresh.variables[0].assign(3)
    fresh.variables[1].assign(0.5)  # the learning rate exists before build, as in Keras
    assert fresh.learning_rate == 0.5


def test_adam_state_agrees_across_engines():
    seen = {}
    for name in ("torch", "jax"):
        config.set_backend(name)
        model = _model()
        model.compile(keras.optimizers.Adam(0.05), "mse")
        for _ in range(3):
            model.train_on_batch(X, Y)
        seen[name] = [v.numpy() for v in model.optimizer.variables]
    for t, j in zip(seen["torch"], seen["jax"]):
        np.testing.assert_allclose(t, j, rtol=1e-5, atol=1e-6)


def test_keras3_jax_loop_passes_variables_into_jit():
    """Keras 3's "training loop from scratch in JAX": the model's and the optimizer's
    variables go into jax.jit as they are; the loop equals train_on_batch."""
    jax = pytest.importorskip("jax")
    config.set_backend("jax")
    model, reference = _model(), _model()
    optimizer = keras.optimizers.SGD(0.1, momentum=0.9)
    reference.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    loss_fn = keras.losses.MeanSquaredError()
    optimizer.build(model.trainable_variables)

    def loss_and_updates(trainable, non_trainable, x, y):
        y_pred, non_trainable = model.stateless_call(trainable, non_trainable, x)
        return loss_fn(y, y_pred), non_trainable

    grad_fn = jax.value_and_grad(loss_and_updates, has_aux=True)

    @jax.jit
    def train_step(state, data):
        trainable, non_trainable, optimizer_variables = state
        (loss, non_trainable), grads = grad_fn(trainable, non_trainable, *data)
        trainable, optimizer_variables = optimizer.stateless_apply(
            optimizer_variables, grads, trainable)
        return loss, (trainable, non_trainable, optimizer_variables)

    state = (model.trainable_variables, model.non_trainable_variables, optimizer.variables)
    for _ in range(3):
        _, state = train_step(state, (X, Y))
        reference.train_on_batch(X, Y)
    trainable, _, optimizer_variables = state
    for variable, value in zip(model.trainable_variables, trainable):
        variable.assign(value)
    for w, r in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(w, r, rtol=1e-5, atol=1e-6)
    assert int(optimizer_variables[0]) == 3
    for mine, ref in zip(optimizer_variables, reference.optimizer.variables):
        np.testing.assert_allclose(np.asarray(mine), ref.numpy(), rtol=1e-5, atol=1e-6)
    assert int(optimizer.variables[0].numpy()) == 0  # stateless: the optimizer unchanged
    with pytest.raises(ValueError, match="hold the 5 values of optimizer.variables"):
        optimizer.stateless_apply(optimizer_variables[:2], [t * 0 for t in trainable],
                                  trainable)


def test_ops_and_python_numbers_take_optimizer_variables(backend):
    model = _model()
    model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
    model.train_on_batch(X, Y)
    iteration, learning_rate, kernel_momentum = model.optimizer.variables[:3]
    assert int(iteration) == 1 and float(learning_rate) == pytest.approx(0.1)
    assert iteration.backend_name == backend
    want = -0.1 * _grads(W1, B1, W2)[0]  # SGD's momentum after one step, as above
    np.testing.assert_allclose(ops.convert_to_numpy(ops.add(kernel_momentum, 1.0)),
                               want + 1.0, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(kernel_momentum * 2), 2 * want,
                               rtol=1e-5, atol=1e-6)
    assert ops.convert_to_numpy(ops.cast(iteration, "float32")) == 1.0
    fresh = keras.optimizers.Adam(0.5)  # before build too, on the default engine
    assert float(ops.convert_to_numpy(fresh.variables[1] * 2)) == 1.0


def test_a_loaded_state_is_listed_before_training(backend, tmp_path):
    """After load_model, before any training (Keras 3 lists a loaded optimizer's
    variables at once): the saved iteration and slots read back, an assign lands in the
    state training then starts from, and training continues the count."""
    model = _model()
    model.compile(keras.optimizers.Adam(0.01), "mse")
    model.fit(X, Y, batch_size=6, verbose=0)
    saved = {v.path: v.numpy() for v in model.optimizer.variables}
    model.save(tmp_path / "m.keras")
    loaded = keras.saving.load_model(tmp_path / "m.keras")
    assert int(loaded.optimizer.iterations) == 1
    views = loaded.optimizer.variables
    assert [v.path for v in views] == list(saved)
    for v in views:
        np.testing.assert_array_equal(v.numpy(), saved[v.path], err_msg=v.path)
    momentum = views[2]
    assert momentum.path == "adam/hidden_kernel_momentum"
    momentum.assign(np.zeros((3, 2), "float32"))
    np.testing.assert_array_equal(momentum.numpy(), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="shape"):
        momentum.assign(np.zeros((2, 3), "float32"))
    loaded.fit(X, Y, batch_size=6, verbose=0)
    assert int(loaded.optimizer.iterations) == 2
    # One Adam step from the assigned zero momentum: m = (1 - beta_1) * g.
    g = _grads(*[w.numpy() for w in model.weights])[0]  # at the weights it was saved with
    np.testing.assert_allclose(loaded.optimizer.variables[2].numpy(), 0.1 * g, rtol=1e-5,
                               atol=1e-7)
