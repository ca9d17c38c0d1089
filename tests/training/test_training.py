"""compile / fit / evaluate / train_on_batch on both engines."""

import io
import re

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge import callbacks, optimizers, regularizers, testing
from keras_bridge.layers import Dense, Dropout, Input, concatenate
from keras_bridge.models import Model, Sequential
from keras_bridge.training.progbar import Progbar
from keras_bridge.utils import set_random_seed

from conftest import both_backends


def _blobs(n=200, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 4)).astype(np.float32)
    labels = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x, np.eye(2, dtype=np.float32)[labels], labels


def test_regression_tutorial_train_on_batch(backend):
    """y = 0.5 x + 2 plus noise, Dense(1, input_dim=1), 'sgd', 'mse'."""
    set_random_seed(1)
    rng = np.random.default_rng(1)
    x = np.linspace(-1, 1, 200, dtype=np.float32)
    rng.shuffle(x)
    y = (0.5 * x + 2 + rng.normal(0, 0.05, (200,))).astype(np.float32)
    model = Sequential([Dense(units=1, input_dim=1)])
    model.compile(loss="mse", optimizer="sgd")
    for step in range(1000):
        cost = model.train_on_batch(x[:160, None], y[:160, None])
    assert isinstance(cost, float) and cost < 0.01
    W, b = model.layers[0].get_weights()
    assert abs(W[0, 0] - 0.5) < 0.05 and abs(b[0] - 2) < 0.05
    test_cost = model.evaluate(x[160:, None], y[160:, None], batch_size=40, verbose=0)
    pred = model.predict(x[160:, None])
    np.testing.assert_allclose(test_cost, np.mean((pred - y[160:, None]) ** 2), rtol=1e-4)


def test_fit_history_and_validation(backend):
    set_random_seed(2)
    x, y, _ = _blobs()
    model = Sequential([Dense(16, activation="relu", input_shape=(4,)), Dropout(0.1),
                        Dense(2, activation="softmax")])
    model.compile(optimizer=optimizers.Adam(0.02), loss="categorical_crossentropy",
                  metrics=["accuracy"])
    assert model.metrics_names == ["loss", "accuracy"]
    history = model.fit(x, y, batch_size=32, epochs=8, validation_split=0.25, verbose=0)
    assert set(history.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert all(len(v) == 8 for v in history.history.values()) and history.epoch == list(range(8))
    assert history.history["loss"][-1] < history.history["loss"][0]
    # The validation values are those of evaluate on the last 25% of the data.
    loss, acc = model.evaluate(x[150:], y[150:], verbose=0)
    assert loss == pytest.approx(history.history["val_loss"][-1], rel=1e-5)
    assert acc == pytest.approx(history.history["val_accuracy"][-1], rel=1e-6)
    pred = model.predict(x[150:])
    assert acc == pytest.approx(np.mean(pred.argmax(1) == y[150:].argmax(1)), abs=1e-6)
    expected = -np.mean(np.sum(y[150:] * np.log(np.clip(pred, 1e-7, 1 - 1e-7)), axis=1))
    assert loss == pytest.approx(expected, rel=1e-4)
    assert history.history["accuracy"][-1] > 0.8


def test_metric_resolution_and_names(backend):
    x, y, labels = _blobs(64)
    inp = Input(shape=(4,))
    model = Model(inp, Dense(2, activation="softmax")(inp))

    def mean_pred(y_true, y_pred):
        return K.mean(y_pred)

    model.compile("sgd", "sparse_categorical_crossentropy", metrics=["acc", mean_pred])
    assert model.metrics_names == ["loss", "acc", "mean_pred"]
    loss, acc, mp = model.evaluate(x, labels, verbose=0, batch_size=64)
    pred = model.predict(x)
    assert acc == pytest.approx(np.mean(pred.argmax(1) == labels), abs=1e-6)
    assert mp == pytest.approx(pred.mean(), rel=1e-5)
    assert loss == pytest.approx(-np.mean(np.log(pred[np.arange(64), labels])), rel=1e-4)
    binary = Sequential([Dense(1, activation="sigmoid", input_shape=(4,))])
    binary.compile("sgd", "binary_crossentropy", metrics=["accuracy"])
    _, bacc = binary.evaluate(x, labels[:, None].astype(np.float32), verbose=0)
    p = binary.predict(x)
    assert bacc == pytest.approx(np.mean((p > 0.5) == labels[:, None]), abs=1e-6)
    assert binary.evaluate(x, labels[:, None].astype(np.float32), verbose=0,
                           return_dict=True).keys() == {"loss", "accuracy"}


def test_multi_output_dict_losses_and_weights(backend):
    set_random_seed(3)
    inp = Input(shape=(5,), name="features")
    h = Dense(8, activation="relu")(inp)
    age = Dense(1, name="age")(h)
    income = Dense(1, activation="sigmoid", name="income")(h)
    model = Model(inp, [age, income])
    model.compile(optimizer="rmsprop", loss={"age": "mse", "income": "binary_crossentropy"},
                  loss_weights={"age": 0.5, "income": 2.0},
                  metrics={"age": ["mae"], "income": ["acc"]})
    assert model.metrics_names == ["loss", "age_loss", "income_loss", "age_mae", "income_acc"]
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 5)).astype(np.float32)
    ya = rng.normal(size=(40, 1)).astype(np.float32)
    yi = (rng.random((40, 1)) > 0.5).astype(np.float32)
    loss, age_loss, income_loss, age_mae, income_acc = model.evaluate(
        x, {"age": ya, "income": yi}, batch_size=40, verbose=0)
    pa, pi = model.predict(x)
    mse = np.mean((pa - ya) ** 2)
    p = np.clip(pi, 1e-7, 1 - 1e-7)
    bce = -np.mean(yi * np.log(p + 1e-7) + (1 - yi) * np.log(1 - p + 1e-7))
    assert age_loss == pytest.approx(mse, rel=1e-5)
    assert income_loss == pytest.approx(bce, rel=1e-4)
    assert loss == pytest.approx(0.5 * mse + 2.0 * bce, rel=1e-4)
    assert age_mae == pytest.approx(np.mean(np.abs(pa - ya)), rel=1e-5)
    assert income_acc == pytest.approx(np.mean((pi > 0.5) == yi), abs=1e-6)
    history = model.fit(x, [ya, yi], epochs=2, verbose=0)
    assert set(history.history) == set(model.metrics_names)


def test_loss_and_metric_pairing_errors(backend):
    a = Input(shape=(2,))
    model = Model(a, [Dense(1, name="o1")(a), Dense(1, name="o2")(a)])
    with pytest.raises(ValueError, match=r"Unknown entries in loss dictionary: \['o3'\]"):
        model.compile("sgd", loss={"o3": "mse"})
    with pytest.raises(ValueError, match="one entry per model output"):
        model.compile("sgd", loss=["mse"])
    with pytest.raises(ValueError, match=r"loss identifier: 'msee'.*mean_squared_error"):
        model.compile("sgd", loss="msee")
    with pytest.raises(ValueError, match="needs a loss"):
        model.compile("sgd")
    with pytest.raises(ValueError, match="adam"):
        model.compile("adamm", loss="mse")


def test_errors_before_and_on_bad_data(backend):
    model = Sequential([Dense(1, input_shape=(3,))])
    x, y = np.ones((10, 3), np.float32), np.ones((10, 1), np.float32)
    with pytest.raises(RuntimeError, match="compile your model before training"):
        model.fit(x, y)
    with pytest.raises(RuntimeError, match="compile"):
        model.evaluate(x, y)
    model.compile("sgd", "mse")
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"cardinality.*x sizes: \[10\].*y sizes: \[9\]"):
        model.fit(x, y[:9], verbose=0)
    with pytest.raises(ValueError, match="empty"):
        model.fit(x[:0], y[:0], verbose=0)
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\), received shape \(10, 4\)"):
        model.fit(np.ones((10, 4), np.float32), y, verbose=0)
    with pytest.raises(ValueError, match="needs targets"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match="batch_size"):
        model.fit(x, y, batch_size=-1, verbose=0)
    with pytest.raises(ValueError, match="verbose"):
        model.fit(x, y, verbose=3)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_progress_output(backend, capsys):
    x, y, _ = _blobs(100)
    model = Sequential([Dense(2, activation="softmax", input_shape=(4,))])
    model.compile("sgd", "categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=2, batch_size=32, verbose=1)
    out = capsys.readouterr().out  # not a terminal: one final line per epoch
    lines = out.strip().splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    assert re.fullmatch(r"100/100 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: \d\.\d{4} - "
                        r"accuracy: \d\.\d{4}", lines[1]), lines[1]
    model.fit(x, y, epochs=1, verbose=2, validation_data=(x, y))
    line = capsys.readouterr().out.strip().splitlines()[1]
    assert re.fullmatch(r"100/100 - \d+s - loss: \S+ - accuracy: \S+ - val_loss: \S+ - "
                        r"val_accuracy: \S+", line), line
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    assert capsys.readouterr().out == ""
    model.evaluate(x, y)
    assert re.fullmatch(r"100/100 \[=+\] - .*loss: \S+ - accuracy: \S+\n",
                        capsys.readouterr().out)


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_progbar_live_bar_on_a_terminal():
    stream = _Terminal()
    bar = Progbar(1000, verbose=1, interval=0.0, stream=stream)
    bar.update(96, {"loss": 0.69314, "accuracy": 0.5})
    # Keras's bar: int(30 * 96 / 1000) = 2 cells, the last one the '>' head.
    assert stream.getvalue() == ("\r  96/1000 [=>" + "." * 28 + "] - ETA: 0s - "
                                 "loss: 0.6931 - accuracy: 0.5000")
    bar.update(1000, {"loss": 1e-5}, finalize=True, steps=10)
    final = stream.getvalue().split("\r")[-1]
    assert re.fullmatch(r"1000/1000 \[={30}\] - 0s \d+us/step - loss: 1\.0000e-05 +\n", final)


def test_progbar_is_quiet_off_terminal():
    stream = io.StringIO()
    bar = Progbar(10, verbose=1, stream=stream)
    for i in range(1, 10):
        assert not bar.wants_values(i)
        bar.update(i, {"loss": 1.0})
    assert stream.getvalue() == ""
    bar.update(10, {"loss": 1.0}, steps=2)
    assert stream.getvalue().startswith("10/10 [====")


def test_regularizer_and_constraint_take_part(backend):
    set_random_seed(4)
    model = Sequential([Dense(3, input_shape=(4,), kernel_regularizer=regularizers.l2(0.1),
                              kernel_constraint="non_neg")])
    model.compile("sgd", "mse")
    x = np.random.default_rng(4).normal(size=(16, 4)).astype(np.float32)
    y = np.zeros((16, 3), np.float32)
    W, b = model.get_weights()
    expected = np.mean((x @ W + b) ** 2) + 0.1 * np.sum(W ** 2)
    assert model.evaluate(x, y, verbose=0, batch_size=16) == pytest.approx(expected, rel=1e-5)
    model.fit(x, -np.ones((16, 3), np.float32) * 5, epochs=3, verbose=0)
    assert (model.get_weights()[0] >= 0).all()


def test_learning_rate_is_settable(backend):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.compile(optimizers.SGD(learning_rate=0.1), "mse")
    x, y = np.ones((8, 3), np.float32), np.ones((8, 2), np.float32)
    model.fit(x, y, verbose=0)
    assert model.optimizer.learning_rate == pytest.approx(0.1)
    model.optimizer.learning_rate = 0.0
    before = model.get_weights()
    model.fit(x, y, epochs=2, verbose=0)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    assert model.optimizer.iterations == 3


def test_frozen_layer_is_not_trained(backend):
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    model.layers[0].trainable = False
    model.compile("sgd", "mse")
    frozen = model.layers[0].get_weights()
    model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=2, verbose=0)
    for a, b in zip(model.layers[0].get_weights(), frozen):
        np.testing.assert_array_equal(a, b)


def test_legacy_spellings_and_callbacks(backend):
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    seen = []
    cb = callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(
        (epoch, sorted(logs))))
    with pytest.warns(DeprecationWarning, match="epochs"):
        model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), nb_epoch=2,
                  verbose=0, callbacks=[cb])
    assert seen == [(0, ["loss"]), (1, ["loss"])]
    with pytest.raises(TypeError, match="Unknown callback hook"):
        callbacks.LambdaCallback(on_epoch_ended=print)
    with pytest.raises(TypeError, match="unexpected arguments"):
        model.fit(np.ones((4, 2)), np.ones((4, 1)), epoch=3)


def test_initial_epoch_and_shuffle_off(backend):
    set_random_seed(5)
    model = Sequential([Dense(1, input_shape=(2,))])
    model.compile("sgd", "mse")
    history = model.fit(np.ones((4, 2), np.float32), np.ones((4, 1), np.float32), epochs=3,
                        initial_epoch=1, shuffle=False, verbose=0)
    assert history.epoch == [1, 2]


@both_backends()
@pytest.mark.parametrize("optimizer", ["sgd", "adam", "rmsprop", "adagrad", "adadelta",
                                       "adamax", "nadam", "adamw"])
def test_training_agrees_across_engines(optimizer):
    """Same weights, same data, no shuffling: torch and JAX train to the same weights."""
    from keras_bridge import config
    config.set_backend("torch")
    set_random_seed(6)
    a, b = Input(shape=(4,)), Input(shape=(3,))
    h = concatenate([Dense(8, activation="tanh")(a), Dense(8, activation="relu")(b)])
    model = Model([a, b], Dense(2, activation="softmax")(h))
    rng = np.random.default_rng(6)
    x = [rng.normal(size=(64, 4)).astype(np.float32), rng.normal(size=(64, 3)).astype(np.float32)]
    y = np.eye(2, dtype=np.float32)[rng.integers(0, 2, 64)]
    copies = {}
    for name in ("torch", "jax"):
        copy = model.to_backend(name)
        copy.compile(optimizers.get(optimizer), "categorical_crossentropy", metrics=["acc"])
        hist = copy.fit(x, y, batch_size=16, epochs=3, shuffle=False, verbose=0)
        copies[name] = (copy, hist.history)
    (torch_model, torch_hist), (jax_model, jax_hist) = copies["torch"], copies["jax"]
    # Twelve optimizer steps of float32 arithmetic in different kernel orders: the
    # weights agree to a few float32 ulps of their size.
    for wt, wj in zip(torch_model.get_weights(), jax_model.get_weights()):
        np.testing.assert_allclose(wt, wj, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(torch_hist["loss"], jax_hist["loss"], rtol=1e-5)
    testing.assert_backends_agree(torch_model, x)


def test_predict_progress_bar(backend, capsys):
    model = Sequential([Dense(2, input_shape=(3,))])
    model.predict(np.ones((70, 3), np.float32))
    assert capsys.readouterr().out == ""  # Keras 2's default: no bar
    model.predict(np.ones((70, 3), np.float32), verbose=1)
    assert re.fullmatch(r"70/70 \[={30}\] - \d+s \d+(us|ms)/step\n", capsys.readouterr().out)


def test_fit_builds_deferred_and_subclassed_models(backend):
    class Tiny(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(1)

        def call(self, inputs):
            return self.dense(inputs)

    x, y = np.ones((8, 3), np.float32), np.zeros((8, 1), np.float32)
    for model in (Sequential([Dense(1)]), Tiny()):
        model.compile("sgd", "mse", metrics=["mae"])
        history = model.fit(x, y, epochs=2, verbose=0)
        assert history.history["loss"][1] < history.history["loss"][0]
        assert model.metrics_names == ["loss", "mae"]


@both_backends()
def test_to_backend_carries_optimizer_state_into_training():
    """Train on torch, copy to JAX mid-training: the copy continues the same run."""
    from keras_bridge import config
    config.set_backend("torch")
    set_random_seed(8)
    rng = np.random.default_rng(8)
    x, y = rng.normal(size=(32, 3)).astype(np.float32), rng.normal(size=(32, 2)).astype(np.float32)

    def make():
        m = Sequential([Dense(4, activation="tanh", input_shape=(3,)), Dense(2)])
        m.compile(optimizers.Adam(0.01), "mse")
        return m

    straight = make()
    start = straight.get_weights()
    straight.fit(x, y, batch_size=16, epochs=4, shuffle=False, verbose=0)
    half = make()
    half.set_weights(start)
    half.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    moved = half.to_backend("jax")
    moved.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)
    assert moved.optimizer.iterations == 8
    for a, b in zip(moved.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
    half.fit(x, y, batch_size=16, epochs=2, shuffle=False, verbose=0)  # the original goes on
    for a, b in zip(half.get_weights(), straight.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_model_without_trainable_weights(backend):
    """A frozen model compiles, evaluates and fits (with a warning) without changing."""
    set_random_seed(3)
    x, y, _ = _blobs(64)
    model = Sequential([Dense(2, activation="softmax", input_shape=(4,))])
    model.trainable = False
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["acc"])
    before = model.get_weights()
    loss, acc = model.evaluate(x, y, verbose=0)
    p = np.clip(model.predict(x, verbose=0), 1e-7, 1 - 1e-7)
    np.testing.assert_allclose(loss, -np.mean(np.sum(y * np.log(p), -1)), rtol=1e-5)
    with pytest.warns(UserWarning, match="no trainable weights"):
        history = model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [loss, loss], rtol=1e-5)
    with pytest.warns(UserWarning, match="no trainable weights"):
        model.train_on_batch(x, y)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
