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
