"""compile(weighted_metrics=...) as Keras 3 (and Keras 2) read it: ``metrics`` ignore
sample_weight, ``weighted_metrics`` use it, a weighted metric named like a plain one is
reported as ``weighted_<name>``, and the saved training configuration keeps them.

Reference values are numpy arithmetic; Keras 3.15.1 (JAX) printed the same numbers for
these models and data."""

import numpy as np
import pytest

from keras_bridge.layers import Dense, Input
from keras_bridge.models import Model, Sequential
from keras_bridge.saving import load_model

X = np.array([[0.0], [1.0], [2.0], [3.0]], np.float32)
Y = np.array([[1.0], [1.0], [0.0], [0.0]], np.float32)
SW = np.array([1.0, 0.0, 3.0, 0.5], np.float32)
ERR = (X - Y)[:, 0]  # the identity model's errors: -1, 0, 2, 3


def _identity(bias="zeros", name=None):
    return Dense(1, kernel_initializer="ones", bias_initializer=bias, name=name)


def _weighted_mean(values, weights):
    return float(np.sum(values * weights) / np.sum(weights))


def _model(**compile_args):
    model = Sequential([Input((1,)), _identity()])
    model.compile(loss="mse", **compile_args)
    return model


def test_plain_metrics_ignore_sample_weight_weighted_ones_use_it(backend):
    model = _model(metrics=["mae"], weighted_metrics=["mse", "mae"])
    logs = model.evaluate(X, Y, sample_weight=SW, return_dict=True, verbose=0)
    assert list(logs) == ["loss", "mae", "mse", "weighted_mae"]
    np.testing.assert_allclose(logs["loss"], np.mean(ERR ** 2 * SW), rtol=1e-6)  # 4.375
    np.testing.assert_allclose(logs["mae"], np.mean(np.abs(ERR)), rtol=1e-6)  # 1.5
    np.testing.assert_allclose(logs["mse"], _weighted_mean(ERR ** 2, SW), rtol=1e-6)
    np.testing.assert_allclose(logs["weighted_mae"], _weighted_mean(np.abs(ERR), SW),
                               rtol=1e-6)
    # Without weights every metric is the plain mean.
    logs = model.evaluate(X, Y, return_dict=True, verbose=0)
    np.testing.assert_allclose([logs["mae"], logs["weighted_mae"]], [1.5, 1.5], rtol=1e-6)


def test_metrics_alone_ignore_sample_weight(backend):
    model = _model(metrics=["mae"])
    logs = model.evaluate(X, Y, sample_weight=SW, return_dict=True, verbose=0)
    assert logs["mae"] == pytest.approx(1.5)
    assert logs["loss"] == pytest.approx(4.375)


def test_weighted_metrics_per_output_names(backend):
    inp = Input((1,))
    model = Model(inp, [_identity(name="a")(inp), _identity("ones", name="b")(inp)])
    model.compile(loss="mse", metrics={"a": ["mae"]},
                  weighted_metrics={"a": ["mae"], "b": ["mae"]})
    logs = model.evaluate(X, [Y, Y], sample_weight=SW, return_dict=True, verbose=0)
    expected = {"a_loss": 4.375, "b_loss": np.mean((ERR + 1) ** 2 * SW), "a_mae": 1.5,
                "a_weighted_mae": _weighted_mean(np.abs(ERR), SW),
                "b_mae": _weighted_mean(np.abs(ERR + 1), SW)}
    for key, value in expected.items():
        assert logs[key] == pytest.approx(value, rel=1e-6), key


def test_weighted_metrics_are_saved_and_restored(backend, tmp_path):
    model = _model(metrics=["mae"], weighted_metrics=["mae"])
    assert model.get_compile_config()["weighted_metrics"] == ["mae"]
    before = model.evaluate(X, Y, sample_weight=SW, return_dict=True, verbose=0)
    for name in ("m.keras", "m.h5"):
        model.save(tmp_path / name)
        loaded = load_model(tmp_path / name)
        assert loaded.get_compile_config()["weighted_metrics"] == ["mae"]
        after = loaded.evaluate(X, Y, sample_weight=SW, return_dict=True, verbose=0)
        assert after == pytest.approx(before, rel=1e-6), name


def test_bad_weighted_metrics_are_named():
    with pytest.raises(ValueError, match=r"weighted_metrics dictionary: \['c'\]"):
        _model(weighted_metrics={"c": ["mae"]})
    with pytest.raises(TypeError, match="weighted_metrics="):
        _model(weighted_metrics="mae")
