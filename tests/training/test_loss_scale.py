"""LossScaleOptimizer (issue 18 part 3): skipped steps, scale updates, equality with the
inner optimizer, compile's automatic wrapping under mixed_float16, config and files."""

import os

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers, mixed_precision, optimizers
from keras_bridge.optimizers import LossScaleOptimizer
from keras_bridge.saving import keras3_optimizer

FIXTURES = os.path.join(os.path.dirname(__file__), os.pardir, "saving", "fixtures")


def _dense(seed=1):
    keras.utils.set_random_seed(seed)
    return keras.Sequential([keras.Input((3,)), layers.Dense(2)])


def _state(optimizer):
    return optimizer.state_for_saving()[1]


def test_a_step_with_inf_gradients_is_skipped_and_the_scale_adjusts(backend):
    model = _dense()
    opt = LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.9), initial_scale=8.0,
                             dynamic_growth_steps=2)
    model.compile(opt, "mse")
    x, y = np.ones((2, 3), "float32"), np.ones((2, 2), "float32")
    bad = y.copy()
    bad[0, 0] = np.inf
    before = model.get_weights()
    model.train_on_batch(x, bad)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    state = _state(opt)
    assert np.all(state["0/momentum"] == 0) and np.all(state["1/momentum"] == 0)
    assert (opt.iterations, opt.dynamic_scale, opt.step_counter) == (0, 4.0, 0)
    model.train_on_batch(x, y)
    assert (opt.iterations, opt.dynamic_scale, opt.step_counter) == (1, 4.0, 1)
    model.train_on_batch(x, y)  # the second finite step in a row doubles the scale
    assert (opt.iterations, opt.dynamic_scale, opt.step_counter) == (2, 8.0, 0)
    assert not np.allclose(before[0], model.get_weights()[0])


def test_finite_steps_are_the_inner_optimizers_steps(backend):
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 3)).astype("float32"), rng.normal(size=(8, 2)).astype("float32")
    results = []
    for wrap in (False, True):
        model = _dense()
        opt = optimizers.Adam(0.01)
        if wrap:
            opt = LossScaleOptimizer(opt, initial_scale=2.0 ** 12, dynamic_growth_steps=2)
        model.compile(opt, "mse")
        model.fit(x, y, batch_size=2, epochs=1, shuffle=False, verbose=0)
        results.append((model.get_weights(), _state(opt)))
    (plain, plain_state), (scaled, scaled_state) = results
    for a, b in zip(plain, scaled):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)
    for key, value in plain_state.items():
        np.testing.assert_allclose(scaled_state[key], value, rtol=1e-6, atol=1e-9)
    assert scaled_state["dynamic_scale"] == 2.0 ** 14  # doubled after steps 2 and 4
    assert scaled_state["iterations"] == 4


def test_apply_unscales_and_skips(backend):
    model = _dense()
    model(np.ones((1, 3), "float32"))
    opt = LossScaleOptimizer(optimizers.SGD(0.5), initial_scale=4.0)
    opt.build(model.trainable_variables)
    before = model.get_weights()
    grads = [np.full(w.shape, np.nan, "float32") for w in before]
    opt.apply(grads, model.trainable_variables)
    assert (opt.iterations, opt.dynamic_scale) == (0, 2.0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    grads = [np.full(w.shape, 2.0 * 3.0, "float32") for w in before]  # scale 2 times 3
    opt.apply(grads, model.trainable_variables)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_allclose(b, a - 0.5 * 3.0, rtol=1e-6)
    assert opt.iterations == 1 and opt.step_counter == 1
    assert float(keras.ops.convert_to_numpy(opt.scale_loss(keras.ops.ones(())))) == 2.0


def test_compile_under_mixed_float16_wraps_and_a_float16_overflow_is_skipped(backend):
    mixed_precision.set_global_policy("mixed_float16")
    model = _dense()
    assert model.layers[0].compute_dtype == "float16"
    inner = optimizers.SGD(0.01)
    model.compile(inner, "mse")
    opt = model.optimizer
    assert isinstance(opt, mixed_precision.LossScaleOptimizer)
    assert opt.name == "loss_scale_optimizer" and opt.inner_optimizer is inner
    assert opt.dynamic_scale == 32768.0 and opt.dynamic_growth_steps == 2000
    model.compile(opt, "mse")  # already wrapped: kept
    assert model.optimizer is opt
    # The float16 bias gradient is scale * 2 * 10 / 4 per output summed over the batch
    # of 2: 327680 at the initial scale, past float16's 65504 until the scale is 4096.
    x, y = np.zeros((2, 3), "float32"), np.full((2, 2), 10.0, "float32")
    before = model.get_weights()
    model.train_on_batch(x, y)
    assert (opt.iterations, opt.dynamic_scale) == (0, 16384.0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    for _ in range(3):  # the scale halves until the float16 gradients fit
        model.train_on_batch(x, y)
    assert (opt.iterations, opt.dynamic_scale) == (1, 4096.0)
    assert model.get_weights()[1].dtype == np.float32
    assert np.all(model.get_weights()[1] > before[1])  # the bias moved towards 10
    model.compile(optimizers.SGD(), "mse", auto_scale_loss=False)
    assert type(model.optimizer) is optimizers.SGD
    mixed_precision.set_global_policy("float32")
    plain = _dense()
    plain.compile("sgd", "mse")
    assert type(plain.optimizer) is optimizers.SGD


def test_config_round_trip_and_keras3_config():
    opt = LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.9), initial_scale=8.0,
                             dynamic_growth_steps=3, name="scaler")
    config = opt.get_config()
    assert set(config) == {"name", "inner_optimizer", "initial_scale", "dynamic_growth_steps"}
    assert config["inner_optimizer"]["class_name"] == "SGD"
    again = LossScaleOptimizer.from_config(config)
    assert again.get_config() == config
    assert optimizers.deserialize(optimizers.serialize(opt)).get_config() == config
    defaults = LossScaleOptimizer(optimizers.Adam())
    assert (defaults.initial_scale, defaults.dynamic_growth_steps, defaults.name) == \
        (32768.0, 2000, "loss_scale_optimizer")
    assert defaults.learning_rate == 0.001 and defaults.iterations == 0
    defaults.learning_rate = 0.5
    assert defaults.inner_optimizer.learning_rate == 0.5
    # Keras 3.15.1's config of the same optimizer (loss_scale.keras's compile_config),
    # with the base-optimizer keys its older versions wrote.
    keras3 = {"module": "keras.optimizers", "class_name": "LossScaleOptimizer",
              "registered_name": None, "config": {
                  "name": "loss_scale_optimizer", "initial_scale": 8.0,
                  "dynamic_growth_steps": 3, "clipnorm": None, "use_ema": False,
                  "inner_optimizer": {
                      "module": "keras.optimizers", "class_name": "SGD",
                      "registered_name": None, "config": {
                          "name": "sgd", "learning_rate": 0.10000000149011612,
                          "weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                          "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                          "ema_overwrite_frequency": None, "loss_scale_factor": None,
                          "gradient_accumulation_steps": None, "momentum": 0.9,
                          "nesterov": False}}}}
    loaded = optimizers.deserialize(keras3)
    assert isinstance(loaded, LossScaleOptimizer)
    assert isinstance(loaded.inner_optimizer, optimizers.SGD)
    assert loaded.inner_optimizer.momentum == 0.9 and loaded.dynamic_growth_steps == 3


@pytest.mark.parametrize("kwargs, error, match", [
    ({"initial_scale": 0.0}, ValueError, "initial_scale to be a positive finite"),
    ({"initial_scale": float("inf")}, ValueError, "initial_scale"),
    ({"initial_scale": "big"}, ValueError, "initial_scale"),
    ({"dynamic_growth_steps": 0}, ValueError, "dynamic_growth_steps to be a positive"),
    ({"dynamic_growth_steps": 1.5}, ValueError, "dynamic_growth_steps"),
    ({"dynamic": False}, ValueError, "dynamic=False"),
    ({"clipnorm": 1.0}, ValueError, "set it on the inner_optimizer"),
    ({"momentum": 0.9}, TypeError, "unexpected keyword"),
])
def test_bad_arguments_are_named(kwargs, error, match):
    with pytest.raises(error, match=match):
        LossScaleOptimizer(optimizers.SGD(), **kwargs)


def test_inner_optimizer_must_be_an_optimizer():
    with pytest.raises(TypeError, match="inner_optimizer to be a keras_bridge optimizer"):
        LossScaleOptimizer("adam")
    with pytest.raises(TypeError, match="not a LossScaleOptimizer"):
        LossScaleOptimizer(LossScaleOptimizer(optimizers.SGD()))


def test_save_and_load_resume_the_scale_and_inner_state(backend, tmp_path):
    model = _dense()
    model.compile(LossScaleOptimizer(optimizers.SGD(0.1, momentum=0.9), initial_scale=8.0,
                                     dynamic_growth_steps=3), "mse")
    x, y = np.ones((2, 3), "float32"), np.ones((2, 2), "float32")
    bad = y.copy()
    bad[1, 1] = np.inf
    for target in (bad, y):
        model.train_on_batch(x, target)
    names = [name for name, _ in keras3_optimizer.keras_named_variables(model)]
    assert names[:4] == ["loss_scale_optimizer/iteration", "loss_scale_optimizer/learning_rate",
                         "loss_scale_optimizer/step_counter",
                         "loss_scale_optimizer/dynamic_scale"]
    assert names[4:6] == ["SGD/iteration", "SGD/learning_rate"] and len(names) == 8
    path = str(tmp_path / "scaled.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    opt = loaded.optimizer
    assert isinstance(opt, LossScaleOptimizer)
    assert opt.get_config() == model.optimizer.get_config()
    for m in (model, loaded):
        m.train_on_batch(x, y)
        m.train_on_batch(x, y)  # the third finite step in a row: the scale doubles
    assert (opt.iterations, opt.dynamic_scale, opt.step_counter) == (3, 8.0, 0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(b, a, rtol=1e-6, atol=1e-7)


def test_a_keras3_file_loads_and_resumes_as_keras_does(backend):
    ref = np.load(os.path.join(FIXTURES, "loss_scale.npz"))
    model = keras.models.load_model(os.path.join(FIXTURES, "loss_scale.keras"))
    opt = model.optimizer
    assert isinstance(opt, LossScaleOptimizer) and opt.dynamic_growth_steps == 3
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, ref[f"saved_{i}"])
    model.train_on_batch(ref["x"], ref["y3"])
    for i, w in enumerate(model.get_weights()):
        np.testing.assert_allclose(w, ref[f"next_{i}"], rtol=1e-6, atol=1e-6)
    # Keras saved scale 4 and count 2 after the skipped and two finite steps; its
    # next finite step (the third in a row) doubled the scale.
    assert (int(ref["iterations"]), float(ref["dynamic_scale"]), int(ref["step_counter"])) \
        == (2, 4.0, 2)
    assert (opt.iterations, opt.dynamic_scale, opt.step_counter) == (3, 8.0, 0)
