"""Activity regularization and Layer.add_loss take part in training and evaluation."""

import numpy as np
import pytest

from keras_bridge import ops, optimizers, regularizers
from keras_bridge.layers import LSTM, Conv1D, Dense, Flatten, Input, Layer, SimpleRNN
from keras_bridge.models import Model, Sequential
from keras_bridge.utils import set_random_seed

from conftest import both_backends

RNG = np.random.default_rng(0)
X = RNG.normal(size=(6, 5, 3)).astype(np.float32)
Y = RNG.normal(size=(6, 2)).astype(np.float32)

REGULARIZED = {
    "dense": lambda reg: Dense(4, activation="relu", activity_regularizer=reg),
    "conv1d": lambda reg: Conv1D(4, 2, activation="tanh", activity_regularizer=reg),
    "lstm": lambda reg: LSTM(4, return_sequences=True, activity_regularizer=reg),
    "simple_rnn": lambda reg: SimpleRNN(4, activity_regularizer=reg),
}


def _model(kind, reg):
    inputs = Input((5, 3))
    hidden = REGULARIZED[kind](reg)(inputs)
    outputs = Dense(2)(Flatten()(hidden) if len(hidden.shape) > 2 else hidden)
    return Model(inputs, outputs), Model(inputs, hidden)


@pytest.mark.parametrize("kind", sorted(REGULARIZED))
def test_activity_regularizer_adds_to_the_loss(backend, kind):
    """loss = mse + (l1 * sum|h| + l2 * sum(h^2)) / batch size, h the regularized layer's
    output (Keras 3.15 divides activity terms by the batch size), in test_on_batch,
    evaluate and fit (one batch of 6)."""
    set_random_seed(1)
    model, hidden = _model(kind, regularizers.l1_l2(l1=0.01, l2=0.02))
    model.compile("sgd", "mse")
    h = hidden.predict(X, verbose=0)
    mse = np.mean((model.predict(X, verbose=0) - Y) ** 2)
    expected = mse + (0.01 * np.abs(h).sum() + 0.02 * np.square(h).sum()) / len(X)
    np.testing.assert_allclose(model.test_on_batch(X, Y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(X, Y, batch_size=6, verbose=0), expected,
                               rtol=1e-5)
    np.testing.assert_allclose(model.predict(X, verbose=0) ** 0, 1.0)  # predict unaffected
    history = model.fit(X, Y, batch_size=6, epochs=1, verbose=0)
    np.testing.assert_allclose(history.history["loss"], [expected], rtol=1e-5)


def test_activity_regularizer_gradient(backend):
    """One SGD step on mse + l2 * sum(h^2) / batch against numpy's gradient."""
    model = Sequential([Dense(3, activity_regularizer=regularizers.l2(0.5), input_shape=(2,)),
                        Dense(1, use_bias=False)])
    w1 = np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]], np.float32)
    b1 = np.array([0.1, 0.0, -0.2], np.float32)
    w2 = np.array([[1.0], [-2.0], [0.5]], np.float32)
    model.set_weights([w1, b1, w2])
    model.compile(optimizers.SGD(0.1), "mse")
    x = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0], [2.0, -1.0]], np.float32)
    y = np.array([[1.0], [0.0], [-1.0], [2.0]], np.float32)
    model.train_on_batch(x, y)
    h = x @ w1 + b1
    d_out = 2 * (h @ w2 - y) / len(x)
    d_h = d_out @ w2.T + 2 * 0.5 * h / len(x)
    new = model.get_weights()
    np.testing.assert_allclose(new[0], w1 - 0.1 * x.T @ d_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new[1], b1 - 0.1 * d_h.sum(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new[2], w2 - 0.1 * h.T @ d_out, rtol=1e-5, atol=1e-6)


class Penalized(Layer):
    """Passes its input through and adds rate * mean(x^2) to the loss."""

    def __init__(self, rate, **kwargs):
        super().__init__(**kwargs)
        self.rate = rate

    def call(self, inputs):
        self.add_loss(ops.multiply(self.rate, ops.mean(ops.square(inputs))))
        return inputs


class TwoStep(Model):
    def __init__(self):
        super().__init__()
        self.first = Dense(3, activity_regularizer=regularizers.l1(0.1))
        self.penalty = Penalized(2.0)
        self.last = Dense(1)

    def call(self, inputs):
        return self.last(self.penalty(self.first(inputs)))


@pytest.mark.parametrize("style", ["functional", "subclassed"])
def test_add_loss_and_sublayer_regularizers(backend, style):
    x = X[:, 0, :]
    y = Y[:, :1]
    set_random_seed(2)
    if style == "functional":
        inputs = Input((3,))
        first = Dense(3, activity_regularizer=regularizers.l1(0.1))
        model = Model(inputs, Dense(1)(Penalized(2.0)(first(inputs))))
    else:
        model = TwoStep()
        model(x)  # build
        first = model.first
    model.compile("sgd", "mse")
    w = first.get_weights()
    h = x @ w[0] + w[1]
    mse = np.mean((model.predict(x, verbose=0) - y) ** 2)
    expected = mse + 0.1 * np.abs(h).sum() / len(x) + 2.0 * np.mean(h ** 2)
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    # Outside a step, add_loss and the regularizer are ignored: calls work as usual.
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), model.predict(x, verbose=0),
                               rtol=1e-6)


@both_backends()
def test_activity_regularized_training_agrees_across_engines():
    from keras_bridge import config
    config.set_backend("torch")
    set_random_seed(3)
    model, _ = _model("lstm", regularizers.l2(0.01))
    runs = {}
    for name in ("torch", "jax"):
        copy = model.to_backend(name)
        copy.compile(optimizers.Adam(0.01), "mse")
        history = copy.fit(X, Y, batch_size=3, epochs=2, shuffle=False, verbose=0)
        runs[name] = (copy.get_weights(), history.history["loss"])
    for wt, wj in zip(runs["torch"][0], runs["jax"][0]):
        np.testing.assert_allclose(wt, wj, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(runs["torch"][1], runs["jax"][1], rtol=1e-5)
