"""K.gradients: symbolic gradients computed by each engine's autodiff, checked against
numpy and across engines."""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge.layers import Dense, Input
from keras_bridge.models import Model, Sequential
from tests.conftest import both_backends


def _x(n=4, d=3, seed=0):
    return np.random.default_rng(seed).random((n, d)).astype(np.float32)


def _known_dense(units=2):
    model = Sequential([Dense(units, input_shape=(3,))])
    kernel = np.arange(3 * units, dtype=np.float32).reshape(3, units) / 10 - 0.2
    bias = np.linspace(-1, 1, units).astype(np.float32)
    model.set_weights([kernel, bias])
    return model, kernel, bias


def test_gradients_of_a_dense_sum_match_numpy(backend):
    model, kernel, bias = _known_dense()
    loss = K.sum(model.output)
    grads = K.gradients(loss, [model.input] + model.trainable_weights)
    assert [g.shape for g in grads] == [(None, 3), (3, 2), (2,)]
    fn = K.function([model.input], [loss] + grads)
    x = _x()
    value, d_x, d_kernel, d_bias = fn([x])
    np.testing.assert_allclose(value, (x @ kernel + bias).sum(), rtol=1e-5)
    np.testing.assert_allclose(d_x, np.tile(kernel.sum(1), (4, 1)), rtol=1e-6)
    np.testing.assert_allclose(d_kernel, np.tile(x.sum(0)[:, None], (1, 2)), rtol=1e-6)
    np.testing.assert_allclose(d_bias, np.full(2, 4.0), rtol=1e-6)


def test_gradients_through_a_nonlinear_loss_and_ops_on_them(backend):
    inputs = Input((3,))
    dense = Dense(2, activation="tanh")
    model = Model(inputs, dense(inputs))
    kernel, bias = model.get_weights()
    loss = K.mean(K.square(model.output - 0.5))
    d_x, = K.gradients(loss, inputs)
    normalized = d_x / (K.sqrt(K.mean(K.square(d_x))) + 1e-5)  # filter-visualization step
    fn = K.function([inputs], [d_x, normalized] + K.gradients(loss, dense.kernel))
    x = _x()
    z = np.tanh(x @ kernel + bias)
    upstream = 2 * (z - 0.5) / z.size * (1 - z ** 2)  # d loss / d pre-activation
    want_x = upstream @ kernel.T
    got_x, got_normalized, got_kernel = fn([x])
    np.testing.assert_allclose(got_x, want_x, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(got_normalized,
                               want_x / (np.sqrt((want_x ** 2).mean()) + 1e-5), rtol=1e-4)
    np.testing.assert_allclose(got_kernel, x.T @ upstream, rtol=1e-5, atol=1e-7)


def test_saliency_model_and_frozen_or_unused_weights(backend):
    model, kernel, _ = _known_dense()
    model.layers[0].trainable = False
    unused = Dense(1)
    unused.build((None, 3))
    grads = K.gradients(K.sum(model.output), [model.input, model.layers[0].kernel,
                                               unused.kernel])
    saliency = Model(model.input, grads)
    x = _x()
    d_x, d_kernel, d_unused = saliency.predict(x)
    np.testing.assert_allclose(d_x, np.tile(kernel.sum(1), (4, 1)), rtol=1e-6)
    np.testing.assert_allclose(d_kernel, np.tile(x.sum(0)[:, None], (1, 2)), rtol=1e-6)
    np.testing.assert_array_equal(d_unused, np.zeros((3, 1)))


def test_gradient_errors(backend):
    inputs = Input((3,))
    hidden = Dense(2)(inputs)
    loss = K.sum(Dense(1)(hidden))
    with pytest.raises(ValueError, match="the loss is not computed from"):
        K.gradients(loss, Input((3,)))
    with pytest.raises(ValueError, match="the loss is not computed from"):
        K.gradients(K.sum(hidden), Dense(2)(hidden))
    with pytest.raises(TypeError, match="Expected a symbolic loss"):
        K.gradients(np.float32(1.0), [inputs])
    with pytest.raises(TypeError, match="Expected weights"):
        K.gradients(loss, ["kernel"])


def test_gradients_with_respect_to_an_intermediate_tensor(backend):
    """Grad-CAM's step: d(class score) / d(a hidden layer's output)."""
    inputs = Input((3,))
    hidden_layer, head = Dense(4, activation="relu"), Dense(2)
    hidden = hidden_layer(inputs)
    model = Model(inputs, head(hidden))
    score = model.output[:, 1]
    d_hidden, d_x = K.gradients(score, [hidden, inputs])
    fn = K.function([model.input], [hidden, d_hidden, d_x, K.mean(d_hidden, axis=0)])
    x = _x()
    w1, b1 = hidden_layer.get_weights()
    w2, _ = head.get_weights()
    pre = x @ w1 + b1
    got_hidden, got_d_hidden, got_d_x, pooled = fn([x])
    np.testing.assert_allclose(got_hidden, np.maximum(pre, 0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got_d_hidden, np.tile(w2[:, 1], (4, 1)), rtol=1e-6)
    np.testing.assert_allclose(got_d_x, (w2[:, 1] * (pre > 0)) @ w1.T, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(pooled, w2[:, 1], rtol=1e-6)
    assert hidden_layer.output is hidden  # the copied graph adds no node to the layers
    assert len(head._inbound_nodes) == 1


@both_backends()
def test_gradients_agree_across_engines():
    from keras_bridge import config
    results = {}
    weights = None
    for name in backends.names():
        config.set_backend(name)
        inputs = Input((3,))
        hidden = Dense(5, activation="relu")(inputs)
        model = Model(inputs, Dense(2, activation="sigmoid")(hidden))
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        loss = K.mean(K.square(model.output))
        fn = K.function([inputs], [loss] + K.gradients(loss, [inputs] +
                                                       model.trainable_weights))
        results[name] = fn([_x(8, seed=3)])
        assert model.layers[1]._backend_name == name
    for a, b in zip(*results.values()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


@both_backends()
def test_a_gradient_penalty_trains_the_same_on_both_engines():
    """add_loss of a loss made of input gradients: second-order autodiff on each engine."""
    from keras_bridge import config
    x = _x(8, seed=5)
    results, weights = {}, None
    for name in backends.names():
        config.set_backend(name)
        inputs = Input((3,))
        model = Model(inputs, Dense(1, activation="tanh")(Dense(4, activation="tanh")(inputs)))
        if weights is None:
            weights = model.get_weights()
        model.set_weights(weights)
        d_x, = K.gradients(K.sum(model.output), inputs)
        model.add_loss(K.mean(K.sum(K.square(d_x), axis=-1)))
        model.compile("sgd")
        first = model.train_on_batch(x)
        results[name] = [first, model.train_on_batch(x)] + model.get_weights()
        assert results[name][1] < first
        assert not np.allclose(model.get_weights()[0], weights[0])
    for a, b in zip(*results.values()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
