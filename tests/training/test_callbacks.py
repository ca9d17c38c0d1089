"""Keras's training callbacks on both engines: EarlyStopping, ReduceLROnPlateau,
LearningRateScheduler, ModelCheckpoint, CSVLogger, TerminateOnNaN, and the hook protocol."""

import csv
import math

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge import callbacks, optimizers
from keras_bridge.layers import Dense
from keras_bridge.models import Sequential, load_model
from keras_bridge.utils import set_random_seed

RNG = np.random.default_rng(0)
X = RNG.normal(size=(40, 3)).astype(np.float32)
Y = (X @ np.array([[1.0], [-1.0], [0.5]], np.float32)).astype(np.float32)


def _model(optimizer=None):
    set_random_seed(5)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile(optimizer or optimizers.SGD(0.05), "mse")
    return model


def scripted(key, values):
    """A callback (listed before the one under test) that sets ``logs[key]`` to the
    next scripted value at each epoch end."""
    values = list(values)
    return callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: logs.__setitem__(key, values[epoch]))


class WeightLog(callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.weights = []

    def on_epoch_end(self, epoch, logs=None):
        self.weights.append(self.model.get_weights())


def test_early_stopping_patience_and_restore(backend, capsys):
    model, log = _model(), WeightLog()
    stop = callbacks.EarlyStopping(monitor="val_loss", patience=2, verbose=1,
                                   restore_best_weights=True)
    history = model.fit(X, Y, epochs=10, verbose=0, callbacks=[
        scripted("val_loss", [1.0, 0.5, 0.6, 0.7, 0.4, 0.3, 0.2, 0.1, 0.1, 0.1]), log, stop])
    # Epoch 2 and 3 do not beat 0.5: the second miss stops training after epoch index 3.
    assert len(history.history["loss"]) == 4 and stop.stopped_epoch == 3
    for a, b in zip(model.get_weights(), log.weights[1]):
        np.testing.assert_array_equal(a, b)
    out = capsys.readouterr().out
    assert "Epoch 4: early stopping" in out and "best epoch: 2." in out


def test_early_stopping_min_delta_baseline_mode_and_warmup(backend):
    def epochs_run(values, **kwargs):
        model = _model()
        h = model.fit(X, Y, epochs=len(values), verbose=0,
                      callbacks=[scripted(kwargs.get("monitor", "val_loss"), values),
                                 callbacks.EarlyStopping(**kwargs)])
        return len(h.history["loss"])

    assert epochs_run([1.0, 0.95, 0.9, 0.85], min_delta=0.1, patience=1) == 2
    assert epochs_run([1.0, 0.95, 0.9, 0.85], min_delta=0.01, patience=1) == 4
    # Improvements that do not beat the baseline use up patience.
    assert epochs_run([1.0, 0.9, 0.95, 0.7, 0.6], baseline=0.5, patience=2) == 3
    assert epochs_run([1.0, 0.9, 0.95, 0.7, 0.6], patience=2) == 5
    # 'val_acc' is watched upwards in 'auto' mode.
    assert epochs_run([0.5, 0.6, 0.55, 0.5, 0.7], monitor="val_acc", patience=1) == 3
    assert epochs_run([0.5, 0.6, 0.55, 0.5, 0.7], monitor="val_acc", patience=1,
                      mode="min") == 2
    assert epochs_run([1.0, 2.0, 3.0, 4.0, 5.0], patience=0, start_from_epoch=3) == 5
    with pytest.warns(RuntimeWarning, match="'val_loss'.*available: \\['loss'\\]"):
        history = _model().fit(X, Y, epochs=2, verbose=0,
                               callbacks=[callbacks.EarlyStopping(patience=0)])
    assert len(history.history["loss"]) == 2


def test_reduce_lr_on_plateau(backend, capsys):
    model = _model(optimizers.SGD(0.1))
    reduce = callbacks.ReduceLROnPlateau(patience=2, factor=0.5, cooldown=1, min_lr=0.02,
                                         verbose=1)
    history = model.fit(X, Y, epochs=9, verbose=0,
                        callbacks=[scripted("val_loss", [1.0] * 9), reduce])
    # Keras's counting: two misses reduce the rate (logged before the change); the
    # cooldown epoch already counts as a miss once its counter has run down, so later
    # reductions come every second epoch; the third stops at min_lr.
    np.testing.assert_allclose(history.history["lr"],
                               [0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02],
                               rtol=1e-6)
    np.testing.assert_allclose(float(model.optimizer.learning_rate), 0.02, rtol=1e-6)
    assert capsys.readouterr().out.count("ReduceLROnPlateau reducing learning rate") == 3
    with pytest.raises(ValueError, match="factor"):
        callbacks.ReduceLROnPlateau(factor=1.5)


def test_learning_rate_scheduler_drives_the_engine(backend):
    """Rates set by the schedule are the ones the optimizer uses: the same as setting
    them by hand between epochs."""
    schedule = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    model = _model(optimizers.SGD(0.2))
    history = model.fit(X, Y, batch_size=10, epochs=3, shuffle=False, verbose=0,
                        callbacks=[schedule])
    np.testing.assert_allclose(history.history["lr"], [0.2, 0.1, 0.05], rtol=1e-6)
    by_hand = _model(optimizers.SGD(0.2))
    for rate in (0.2, 0.1, 0.05):
        by_hand.optimizer.learning_rate = rate
        by_hand.fit(X, Y, batch_size=10, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), by_hand.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    # Keras 2's one-argument schedule; a rate of 0 freezes the weights.
    frozen = _model()
    before = frozen.get_weights()
    frozen.fit(X, Y, epochs=2, verbose=0,
               callbacks=[callbacks.LearningRateScheduler(lambda epoch: 0.0)])
    for a, b in zip(before, frozen.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="finite float"):
        _model().fit(X, Y, epochs=1, verbose=0,
                     callbacks=[callbacks.LearningRateScheduler(lambda epoch: "fast")])


def test_model_checkpoint(backend, tmp_path, capsys):
    model, log = _model(), WeightLog()
    pattern = str(tmp_path / "ckpt" / "e{epoch:02d}-{val_loss:.1f}.keras")
    best = callbacks.ModelCheckpoint(pattern, save_best_only=True, verbose=1)
    model.fit(X, Y, epochs=4, verbose=0,
              callbacks=[scripted("val_loss", [0.9, 0.5, 0.7, 0.2]), log, best])
    assert sorted(p.name for p in (tmp_path / "ckpt").iterdir()) == \
        ["e01-0.9.keras", "e02-0.5.keras", "e04-0.2.keras"]
    assert "val_loss did not improve from 0.50000" in capsys.readouterr().out
    restored = load_model(str(tmp_path / "ckpt" / "e02-0.5.keras"))
    for a, b in zip(restored.get_weights(), log.weights[1]):
        np.testing.assert_array_equal(a, b)

    weights_path = str(tmp_path / "last.weights.npz")
    model.fit(X, Y, epochs=2, verbose=0,
              callbacks=[callbacks.ModelCheckpoint(weights_path, save_weights_only=True)])
    fresh = _model()
    fresh.load_weights(weights_path)
    for a, b in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)

    per_batches = callbacks.ModelCheckpoint(str(tmp_path / "b{epoch}-{batch}.keras"),
                                            save_freq=2)
    model.fit(X, Y, batch_size=10, epochs=1, verbose=0, callbacks=[per_batches])
    assert sorted(p.name for p in tmp_path.glob("b*.keras")) == ["b1-2.keras", "b1-4.keras"]


def test_model_checkpoint_writes_keras_formats(backend, tmp_path):
    """Keras 3's checkpoint paths: .keras and legacy .h5 models, .weights.h5 weights."""
    model = _model()
    paths = [tmp_path / "m.keras", tmp_path / "m.h5", tmp_path / "w.weights.h5"]
    cbs = [callbacks.ModelCheckpoint(str(p), save_weights_only=p.name.startswith("w"),
                                     monitor="loss") for p in paths]
    model.fit(X, Y, epochs=1, verbose=0, callbacks=cbs)
    for path in paths[:2]:
        np.testing.assert_allclose(load_model(str(path)).predict(X), model.predict(X),
                                   rtol=1e-6)
    other = _model(optimizers.SGD(0.5))
    other.layers[0].set_weights([w + 1 for w in other.layers[0].get_weights()])
    other.load_weights(str(paths[2]))
    np.testing.assert_allclose(other.predict(X), model.predict(X), rtol=1e-6)


def test_model_checkpoint_errors(backend, tmp_path):
    with pytest.raises(ValueError, match=r"'.keras' or '.h5'.*best.hdf"):
        callbacks.ModelCheckpoint(str(tmp_path / "best.hdf"))
    with pytest.raises(ValueError, match=r"'.weights.h5' or '.weights.npz'"):
        callbacks.ModelCheckpoint(str(tmp_path / "w.keras"), save_weights_only=True)
    with pytest.raises(ValueError, match="save_freq"):
        callbacks.ModelCheckpoint(str(tmp_path / "m.keras"), save_freq=0)
    model = _model()
    with pytest.raises(KeyError, match="val_acc"):
        model.fit(X, Y, epochs=1, verbose=0, callbacks=[
            callbacks.ModelCheckpoint(str(tmp_path / "m-{val_acc}.keras"))])
    assert not list(tmp_path.iterdir())
    with pytest.warns(DeprecationWarning, match="period"):
        every_other = callbacks.ModelCheckpoint(str(tmp_path / "p{epoch}.keras"), period=2)
    model.fit(X, Y, epochs=4, verbose=0, callbacks=[every_other])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p2.keras", "p4.keras"]


def test_csv_logger(backend, tmp_path):
    path = tmp_path / "log.csv"
    model = _model()
    history = model.fit(X, Y, epochs=2, verbose=0, validation_data=(X, Y),
                        callbacks=[callbacks.CSVLogger(str(path))])
    model.fit(X, Y, epochs=1, verbose=0, validation_data=(X, Y),
              callbacks=[callbacks.CSVLogger(str(path), append=True)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["epoch", "loss", "val_loss"] and len(rows) == 4
    assert [r[0] for r in rows[1:]] == ["0", "1", "0"]
    np.testing.assert_allclose([float(r[1]) for r in rows[1:3]], history.history["loss"],
                               rtol=1e-6)


def test_terminate_on_nan_stops_mid_epoch(backend, capsys):
    def broken(y_true, y_pred):
        return K.log(K.mean(y_pred, axis=-1) * 0.0 - 1.0)  # log(-1): NaN

    set_random_seed(5)
    model = Sequential([Dense(1, input_shape=(3,))])
    model.compile("sgd", broken)
    batches = []
    history = model.fit(X, Y, batch_size=10, epochs=3, verbose=0, callbacks=[
        callbacks.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(logs)),
        callbacks.TerminateOnNaN()])
    assert len(batches) == 1 and math.isnan(batches[0]["loss"])
    assert len(history.history["loss"]) == 1
    assert "Batch 0: Invalid loss, terminating training" in capsys.readouterr().out


def test_hook_protocol(backend):
    calls = []

    class Recorder(callbacks.Callback):
        def on_test_begin(self, logs=None):
            calls.append("test_begin")

        def on_test_batch_end(self, batch, logs=None):
            calls.append(("test_batch", batch, sorted(logs)))

        def on_test_end(self, logs=None):
            calls.append(("test_end", sorted(logs)))

        def on_epoch_end(self, epoch, logs=None):
            logs["extra"] = 1.0  # History comes after user callbacks and records it

    model = _model()
    history = model.fit(X, Y, epochs=1, batch_size=20, verbose=0, validation_data=(X, Y),
                        callbacks=[Recorder()])
    assert history.history["extra"] == [1.0]
    assert calls == ["test_begin", ("test_batch", 0, ["loss"]), ("test_batch", 1, ["loss"]),
                     ("test_end", ["loss"])]
    calls.clear()
    model.evaluate(X, Y, batch_size=40, verbose=0, callbacks=[Recorder()])
    assert calls == ["test_begin", ("test_batch", 0, ["loss"]), ("test_end", ["loss"])]
    with pytest.raises(TypeError, match="Callback instances"):
        model.fit(X, Y, verbose=0, callbacks=[print])


class LogsRecorder(callbacks.Callback):
    """Records every hook call with the logs it got (Keras 3 always passes a dict)."""

    def __init__(self):
        super().__init__()
        self.calls = []
        for hook in ("on_train_begin", "on_train_end", "on_test_begin", "on_test_end",
                     "on_predict_begin", "on_predict_end"):
            setattr(self, hook, lambda logs=None, hook=hook: self.calls.append((hook, logs)))
        for hook in ("on_epoch_begin", "on_epoch_end", "on_train_batch_begin",
                     "on_train_batch_end", "on_predict_batch_begin", "on_predict_batch_end"):
            setattr(self, hook, lambda index, logs=None, hook=hook:
                    self.calls.append((hook, index, logs)))


def test_hooks_always_get_a_logs_dict(backend):
    rec = LogsRecorder()
    model = _model()
    model.fit(X, Y, epochs=1, batch_size=20, verbose=0, callbacks=[rec])
    model.evaluate(X, Y, batch_size=40, verbose=0, callbacks=[rec])
    assert rec.calls, "no hook was called"
    assert all(isinstance(call[-1], dict) for call in rec.calls), rec.calls
    assert [c[0] for c in rec.calls][:3] == ["on_train_begin", "on_epoch_begin",
                                            "on_train_batch_begin"]


def test_predict_runs_the_predict_hooks(backend):
    rec = LogsRecorder()
    model = _model()
    out = model.predict(X, batch_size=16, callbacks=[rec])
    names = [c[0] for c in rec.calls]
    assert names == (["on_predict_begin"] + ["on_predict_batch_begin",
                                             "on_predict_batch_end"] * 3
                     + ["on_predict_end"])
    ends = [c for c in rec.calls if c[0] == "on_predict_batch_end"]
    assert [c[1] for c in ends] == [0, 1, 2]
    got = np.concatenate([c[2]["outputs"] for c in ends])  # each batch's outputs, as Keras 3
    np.testing.assert_allclose(got, out, rtol=1e-6)
    assert ends[-1][2]["outputs"].shape == (8, 1)
    rec.calls.clear()
    model.predict(iter([X[:10], X[10:]]), callbacks=[rec])  # a source of batches too
    assert [c[1] for c in rec.calls if c[0] == "on_predict_batch_end"] == [0, 1]
