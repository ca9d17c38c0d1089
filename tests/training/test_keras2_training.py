"""Keras 2 training-API details on both engines: accuracy key spellings in callbacks,
per-output sample weights, nested multi-output models, predict_classes / predict_proba,
lower-case optimizer aliases."""

import os

import numpy as np
import pytest

from keras_bridge import callbacks, optimizers
from keras_bridge.layers import Dense, Input
from keras_bridge.models import Model, Sequential
from keras_bridge.utils import set_random_seed

RNG = np.random.default_rng(0)
X = RNG.normal(size=(32, 3)).astype(np.float32)
Y_BIN = (X[:, :1] > 0).astype(np.float32)


def scripted(key, values):
    """A callback (listed first) that sets ``logs[key]`` to the next scripted value."""
    values = list(values)
    return callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: logs.__setitem__(key, values[epoch]))


def _binary_model(metric="accuracy"):
    set_random_seed(1)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(optimizers.SGD(0.1), "binary_crossentropy", metrics=[metric])
    return model


# ---- callbacks: 'acc' and 'accuracy' ----------------------------------------------------
@pytest.mark.parametrize("metric,monitor", [("accuracy", "val_acc"), ("acc", "val_accuracy")])
def test_early_stopping_finds_either_accuracy_spelling(backend, metric, monitor):
    model = _binary_model(metric)
    key = "val_" + metric
    stop = callbacks.EarlyStopping(monitor=monitor, patience=1)
    # Higher is better ('auto' mode): 0.6 does not beat 0.7, so with patience 1 training
    # stops after epoch index 1; were the key not found, all 6 epochs would run.
    history = model.fit(X, Y_BIN, epochs=6, verbose=0, validation_data=(X, Y_BIN),
                        callbacks=[scripted(key, [0.7, 0.6, 0.5, 0.9, 0.9, 0.9]), stop])
    assert len(history.history["loss"]) == 2
    assert stop.stopped_epoch == 1
    assert key in history.history and monitor not in history.history  # logs unchanged


def test_reduce_lr_on_plateau_finds_val_acc(backend):
    model = _binary_model("accuracy")
    reduce = callbacks.ReduceLROnPlateau(monitor="val_acc", factor=0.5, patience=1,
                                         min_delta=0.0)
    model.fit(X, Y_BIN, epochs=3, verbose=0, validation_data=(X, Y_BIN),
              callbacks=[scripted("val_accuracy", [0.8, 0.7, 0.6]), reduce])
    # epoch 1 misses (wait 1 >= patience 1): lr halves; epoch 2 misses again: halves again.
    assert np.isclose(float(model.optimizer.learning_rate), 0.025)


@pytest.mark.parametrize("metric,field", [("accuracy", "val_acc"), ("acc", "val_accuracy")])
def test_model_checkpoint_path_fields_in_either_spelling(backend, tmp_path, metric, field):
    model = _binary_model(metric)
    pattern = str(tmp_path / ("w.{epoch:02d}-{" + field + ":.2f}.weights.npz"))
    check = callbacks.ModelCheckpoint(pattern, monitor=field, save_best_only=True,
                                      save_weights_only=True)
    model.fit(X, Y_BIN, epochs=2, verbose=0, validation_data=(X, Y_BIN),
              callbacks=[scripted("val_" + metric, [0.25, 0.5]), check])
    assert sorted(os.listdir(tmp_path)) == ["w.01-0.25.weights.npz", "w.02-0.50.weights.npz"]


def test_missing_monitor_still_warns_with_logged_keys(backend):
    model = _binary_model("accuracy")
    stop = callbacks.EarlyStopping(monitor="val_auc", patience=0)
    with pytest.warns(RuntimeWarning, match=r"'val_auc'.*available: .*'val_accuracy'"):
        model.fit(X, Y_BIN, epochs=1, verbose=0, validation_data=(X, Y_BIN),
                  callbacks=[stop])


# ---- per-output sample weights -----------------------------------------------------------
XS = RNG.normal(size=(10, 3)).astype(np.float32)
YA = RNG.normal(size=(10, 2)).astype(np.float32)
YB = RNG.normal(size=(10, 1)).astype(np.float32)
WA = RNG.uniform(0.0, 2.0, size=10).astype(np.float32)
WB = RNG.uniform(0.0, 2.0, size=10).astype(np.float32)


def _two_outputs():
    set_random_seed(3)
    i = Input((3,))
    model = Model(i, [Dense(2, name="a")(i), Dense(1, name="b")(i)])
    model.compile(optimizers.SGD(0.1), ["mse", "mae"], loss_weights=[1.0, 0.5])
    return model


def _weighted(per_sample, weights):
    """Keras's 'sum_over_batch_size': sum(loss * w) / batch size."""
    return float(np.sum(per_sample * weights) / per_sample.shape[0])


def _expected(model, wa, wb):
    pa, pb = model.predict(XS)
    la = _weighted(np.mean((pa - YA) ** 2, axis=-1), wa)
    lb = _weighted(np.mean(np.abs(pb - YB), axis=-1), wb)
    return [la + 0.5 * lb, la, lb]


@pytest.mark.parametrize("form", ["list", "dict"])
def test_per_output_sample_weights_in_evaluate(backend, form):
    model = _two_outputs()
    sw = [WA, WB] if form == "list" else {"a": WA, "b": WB}
    got = model.evaluate(XS, [YA, YB], sample_weight=sw, batch_size=4, verbose=0)
    np.testing.assert_allclose(got, _expected(model, WA, WB), rtol=1e-5, atol=1e-6)
    # An output left out of the dict (or None in the list) weighs each sample 1.
    sw = [None, WB] if form == "list" else {"b": WB}
    got = model.evaluate(XS, [YA, YB], sample_weight=sw, batch_size=10, verbose=0)
    np.testing.assert_allclose(got, _expected(model, np.ones(10), WB), rtol=1e-5, atol=1e-6)


def test_per_output_sample_weights_in_train_on_batch_and_fit(backend):
    model = _two_outputs()
    before = _expected(model, WA, WB)
    # train_on_batch reports the loss of the batch before the step.
    got = model.train_on_batch(XS, [YA, YB], sample_weight=[WA, WB])
    np.testing.assert_allclose(got, before, rtol=1e-5, atol=1e-6)
    # The step follows the weighted gradient: a zero weight for output b on every
    # sample leaves b's weights as they were.
    model = _two_outputs()
    kernel_b = model.get_layer("b").get_weights()[0]
    model.fit(XS, [YA, YB], sample_weight={"a": WA, "b": np.zeros(10, np.float32)},
              epochs=2, batch_size=5, verbose=0, validation_split=0.2)
    np.testing.assert_array_equal(model.get_layer("b").get_weights()[0], kernel_b)
    assert not np.allclose(model.get_layer("a").get_weights()[0],
                           _two_outputs().get_layer("a").get_weights()[0])


def test_per_output_sample_weight_errors(backend):
    model = _two_outputs()
    with pytest.raises(ValueError, match=r"one entry per output.*2 output\(s\).*3 entries"):
        model.evaluate(XS, [YA, YB], sample_weight=[WA, WB, WB], verbose=0)
    with pytest.raises(ValueError, match=r"Unknown entries in sample_weight.*\['c'\]"):
        model.evaluate(XS, [YA, YB], sample_weight={"c": WA}, verbose=0)
    with pytest.raises(ValueError, match=r"output 'b' must be a 1-D array.*\(10, 2\)"):
        model.evaluate(XS, [YA, YB], sample_weight=[WA, np.ones((10, 2))], verbose=0)
    with pytest.raises(ValueError, match="cardinality.*sample_weight sizes: \\[10, 9\\]"):
        model.evaluate(XS, [YA, YB], sample_weight=[WA, WB[:9]], verbose=0)


# ---- two outputs of one nested model --------------------------------------------------
def _nested():
    set_random_seed(4)
    i = Input((3,))
    inner = Model(i, [Dense(2, name="a")(i), Dense(1, name="b")(i)], name="inner")
    x = Input((3,))
    return Model(x, inner(x)), inner


def test_nested_model_outputs_get_unique_names(backend):
    outer, inner = _nested()
    # tf.keras 2's rule: the output layer's name, then name_1 (Keras 2.2 repeated the name).
    assert outer.output_names == ["inner", "inner_1"]
    outer.compile(optimizers.SGD(0.1), ["mse", "mae"], metrics=["mse"])
    assert outer.metrics_names == ["loss", "inner_loss", "inner_1_loss", "inner_mse",
                                   "inner_1_mse"]
    pa, pb = outer.predict(XS)
    la, lb = np.mean((pa - YA) ** 2), np.mean(np.abs(pb - YB))
    got = outer.evaluate(XS, [YA, YB], verbose=0)
    np.testing.assert_allclose(got, [la + lb, la, lb, la, np.mean((pb - YB) ** 2)],
                               rtol=1e-5, atol=1e-6)
    history = outer.fit(XS, {"inner": YA, "inner_1": YB}, epochs=1, verbose=0)
    assert sorted(history.history) == sorted(outer.metrics_names)


def test_nested_model_losses_by_output_name(backend):
    outer, _ = _nested()
    outer.compile(optimizers.SGD(0.1), {"inner_1": "mae", "inner": "mse"})
    pa, pb = outer.predict(XS)
    got = outer.evaluate(XS, [YA, YB], verbose=0)
    np.testing.assert_allclose(got[1:], [np.mean((pa - YA) ** 2), np.mean(np.abs(pb - YB))],
                               rtol=1e-5, atol=1e-6)


# ---- Sequential.predict_classes / predict_proba (Keras 2) -------------------------------
def test_predict_classes_multi_class_is_argmax(backend):
    set_random_seed(2)
    model = Sequential([Dense(4, activation="softmax", input_shape=(3,))])
    with pytest.warns(DeprecationWarning, match=r"np.argmax\(model.predict\(x\), axis=-1\)"):
        classes = model.predict_classes(XS)
    assert classes.shape == (10,)
    np.testing.assert_array_equal(classes, np.argmax(model.predict(XS), axis=-1))


def test_predict_classes_one_sigmoid_unit(backend):
    set_random_seed(2)
    model = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    with pytest.warns(DeprecationWarning, match=r"> 0.5\).astype\('int32'\)"):
        classes = model.predict_classes(XS, batch_size=4)
    p = model.predict(XS)
    assert classes.shape == (10, 1) and classes.dtype == np.int32
    np.testing.assert_array_equal(classes, (p > 0.5).astype(np.int32))
    assert 0 < classes.sum() < 10  # both classes occur, so the threshold is exercised


def test_predict_proba_warns_outside_unit_interval(backend):
    set_random_seed(2)
    model = Sequential([Dense(2, activation="softmax", input_shape=(3,))])
    with pytest.warns(DeprecationWarning, match=r"model.predict\(x\)"):
        proba = model.predict_proba(XS)
    np.testing.assert_array_equal(proba, model.predict(XS))
    linear = Sequential([Dense(2, input_shape=(3,))])
    linear.set_weights([np.full((3, 2), 5.0, np.float32), np.zeros(2, np.float32)])
    with pytest.warns(DeprecationWarning), \
            pytest.warns(UserWarning, match="invalid probability values"):
        linear.predict_proba(XS)


def test_sample_weight_of_shape_n_by_1_weighs_like_1d(backend):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = rng.normal(size=(12, 1)).astype("float32")
    sw = rng.uniform(0.1, 2.0, size=12).astype("float32")
    trained = []
    for weights in (sw, sw[:, None]):
        set_random_seed(1)
        model = Sequential([Dense(1, input_shape=(3,))])
        model.compile(optimizers.SGD(0.1), "mse")
        model.fit(x, y, sample_weight=weights, batch_size=4, epochs=2, shuffle=False,
                  verbose=0)
        trained.append(model.get_weights())
    for a, b in zip(*trained):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    with pytest.raises(ValueError, match=r"one weight per sample.*\(12, 2\)"):
        model.fit(x, y, sample_weight=np.ones((12, 2)), verbose=0)
