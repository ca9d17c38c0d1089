"""Learning-rate schedules: values against numpy formulas (on the host and as engine
scalars), training with them on both engines, config round trips and errors."""

import math

import numpy as np
import pytest

from keras_bridge import ops, optimizers
from keras_bridge.layers import Dense
from keras_bridge.models import Sequential, load_model
from keras_bridge.optimizers import schedules

STEPS = np.arange(0, 25)


def cosine(fraction, alpha):
    return (1 - alpha) * 0.5 * (1 + np.cos(np.pi * fraction)) + alpha


def restarts_reference(step, first, t_mul, m_mul, alpha):
    """SGDR by walking the periods one by one."""
    start, length, peak = 0.0, float(first), 1.0
    while step >= start + length:
        start, length, peak = start + length, length * t_mul, peak * m_mul
    return (1 - alpha) * peak * 0.5 * (1 + np.cos(np.pi * (step - start) / length)) + alpha


CASES = {
    "exponential": (schedules.ExponentialDecay(0.1, 4, 0.5),
                    lambda s: 0.1 * 0.5 ** (s / 4)),
    "exponential_staircase": (schedules.ExponentialDecay(0.1, 4, 0.5, staircase=True),
                              lambda s: 0.1 * 0.5 ** np.floor(s / 4)),
    "inverse_time": (schedules.InverseTimeDecay(0.2, 3, 0.5),
                     lambda s: 0.2 / (1 + 0.5 * s / 3)),
    "inverse_time_staircase": (schedules.InverseTimeDecay(0.2, 3, 0.5, staircase=True),
                               lambda s: 0.2 / (1 + 0.5 * np.floor(s / 3))),
    "piecewise": (schedules.PiecewiseConstantDecay([5, 10], [1.0, 0.5, 0.1]),
                  lambda s: 1.0 if s <= 5 else 0.5 if s <= 10 else 0.1),
    "polynomial": (schedules.PolynomialDecay(0.1, 10, 0.01, power=2.0),
                   lambda s: 0.09 * (1 - min(s, 10) / 10) ** 2 + 0.01),
    "polynomial_cycle": (schedules.PolynomialDecay(0.1, 10, 0.01, cycle=True),
                         lambda s: 0.09 * (1 - s / (10 * max(math.ceil(s / 10), 1))) + 0.01),
    "cosine": (schedules.CosineDecay(0.1, 20, alpha=0.1),
               lambda s: 0.1 * cosine(min(s, 20) / 20, 0.1)),
    "cosine_warmup": (schedules.CosineDecay(0.0, 10, warmup_target=0.2, warmup_steps=5),
                      lambda s: 0.2 * s / 5 if s < 5 else 0.2 * cosine(min(s - 5, 10) / 10, 0)),
    "cosine_restarts": (schedules.CosineDecayRestarts(0.1, 4, t_mul=2.0, m_mul=0.5, alpha=0.0),
                        lambda s: 0.1 * restarts_reference(s, 4, 2.0, 0.5, 0.0)),
    "cosine_restarts_t1": (schedules.CosineDecayRestarts(0.1, 5, t_mul=1.0, alpha=0.2),
                           lambda s: 0.1 * restarts_reference(s, 5, 1.0, 1.0, 0.2)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_schedule_values(backend, name):
    schedule, reference = CASES[name]
    want = np.array([reference(s) for s in STEPS], np.float32)
    host = np.array([schedule(int(s)) for s in STEPS], np.float32)
    np.testing.assert_allclose(host, want, rtol=1e-5, atol=1e-7)
    engine = [ops.convert_to_numpy(schedule(ops.convert_to_tensor(np.int32(s))))
              for s in STEPS]  # the path traced into JAX's step, here on each engine
    np.testing.assert_allclose(np.array(engine, np.float32), want, rtol=1e-5, atol=1e-7)


def _sgd_by_numpy(x, y, rates):
    w, b = np.zeros((3, 1), np.float32), np.zeros(1, np.float32)
    for lr in rates:
        err = x @ w + b - y
        w, b = w - lr * 2 * x.T @ err / len(x), b - lr * 2 * err.mean(0)
    return w, b


@pytest.mark.parametrize("name", ["exponential_staircase", "piecewise", "cosine_restarts"])
def test_training_follows_the_schedule(backend, name):
    schedule, reference = CASES[name]
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 3)).astype(np.float32)
    y = rng.normal(size=(8, 1)).astype(np.float32)
    model = Sequential([Dense(1, input_shape=(3,), kernel_initializer="zeros")])
    model.compile(optimizers.SGD(learning_rate=schedule), "mse")
    for _ in range(12):
        model.train_on_batch(x, y)
    w, b = _sgd_by_numpy(x, y, [reference(t) for t in range(12)])
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.optimizer.learning_rate, reference(12), rtol=1e-5)


class Halving(schedules.LearningRateSchedule):
    def __init__(self, rate):
        self.rate = rate

    def __call__(self, step):
        return self.rate * ops.power(0.5, ops.cast(step, "float32"))

    def get_config(self):
        return {"rate": self.rate}


def test_schedules_save_and_resume(backend, tmp_path):
    x = np.ones((4, 3), np.float32)
    y = np.zeros((4, 1), np.float32)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizers.Adam(schedules.PolynomialDecay(0.01, 10)), "mse")
    model.fit(x, y, epochs=3, batch_size=2, verbose=0)
    config = model.optimizer.get_config()
    assert config["learning_rate"]["class_name"] == "PolynomialDecay"
    path = str(tmp_path / "m.keras")
    model.save(path)
    restored = load_model(path)
    assert restored.optimizer.learning_rate_schedule.get_config() == \
        model.optimizer.learning_rate_schedule.get_config()
    restored.fit(x, y, epochs=1, batch_size=2, verbose=0)
    model.fit(x, y, epochs=1, batch_size=2, verbose=0)
    for a, b in zip(restored.get_weights(), model.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)

    custom = Sequential([Dense(1, input_shape=(3,))])
    custom.compile(optimizers.SGD(Halving(0.4)), "mse")
    custom.train_on_batch(x, y)
    np.testing.assert_allclose(custom.optimizer.learning_rate, 0.2, rtol=1e-6)
    custom.save(path)
    with pytest.raises(ValueError, match="Halving"):
        load_model(path)
    again = load_model(path, custom_objects={"Halving": Halving})
    assert isinstance(again.optimizer.learning_rate_schedule, Halving)


def test_schedule_errors():
    scheduled = optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.9))
    with pytest.raises(TypeError, match="cannot be set"):
        scheduled.learning_rate = 0.5
    with pytest.raises(TypeError, match="LearningRateSchedule"):
        optimizers.SGD(learning_rate=lambda step: 0.1)
    with pytest.warns(DeprecationWarning), pytest.raises(ValueError, match="cannot be combined"):
        optimizers.SGD(schedules.ExponentialDecay(0.1, 10, 0.9), decay=0.01)
    with pytest.raises(ValueError, match="one more value than boundaries"):
        schedules.PiecewiseConstantDecay([1, 2], [1.0, 0.5])
    with pytest.raises(ValueError, match="must increase"):
        schedules.PiecewiseConstantDecay([2, 1], [1.0, 0.5, 0.1])
    with pytest.raises(ValueError, match="decay_steps must be a positive number"):
        schedules.CosineDecay(0.1, 0)
