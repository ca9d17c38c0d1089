"""K.function, K.learning_phase, K.in_train_phase and K.placeholder, on both engines."""

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge.layers import BatchNormalization, Dense, Dropout, Input
from keras_bridge.models import Model, Sequential


def _x(n=6, d=3, seed=0):
    return np.random.default_rng(seed).random((n, d)).astype(np.float32)


def test_function_reads_an_intermediate_layer_of_a_sequential_model(backend):
    model = Sequential([Dense(4, activation="relu", input_shape=(3,)), Dropout(0.5),
                        Dense(2)])
    model.compile("sgd", "mse")
    x = _x()
    model.fit(x, np.ones((6, 2), np.float32), verbose=0)  # binds and changes the weights
    assert model.layers[0].input is model.input and model.layers[-1].output is model.output
    kernel, bias = model.layers[0].get_weights()
    hidden = np.maximum(x @ kernel + bias, 0)
    get_hidden = K.function([model.input], [model.layers[0].output])
    np.testing.assert_allclose(get_hidden([x])[0], hidden, rtol=1e-6, atol=1e-6)
    with_phase = K.function([model.input, K.learning_phase()], [model.layers[1].output])
    np.testing.assert_allclose(with_phase([x, 0])[0], hidden, rtol=1e-6, atol=1e-6)
    dropped = with_phase([np.repeat(x, 200, axis=0), 1])[0]
    many = np.repeat(hidden, 200, axis=0)
    assert (many > 0).sum() >= 400
    assert 0.4 < (dropped[many > 0] == 0).mean() < 0.6  # rate 0.5 of the activations
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], 2 * many[kept], rtol=1e-5)


def test_function_shares_the_models_weights_and_structure(backend):
    inputs = Input((3,))
    hidden = Dense(4, name="hidden")(inputs)
    model = Model(inputs, Dense(1)(hidden))
    assert model.layers[0].input is inputs  # an InputLayer's input is its tensor
    fn = K.function(model.input, [hidden, model.output])
    x = _x()
    first = fn([x])
    np.testing.assert_allclose(first[1], model.predict(x), rtol=1e-6)
    model.get_layer("hidden").set_weights([np.ones((3, 4), np.float32),
                                           np.zeros(4, np.float32)])
    np.testing.assert_allclose(fn([x])[0], np.repeat(x.sum(1, keepdims=True), 4, 1),
                               rtol=1e-6)
    single = K.function([inputs], hidden)
    assert single([x]).shape == (6, 4)  # one tensor out: one array


def test_training_phase_through_a_function_keeps_batchnorm_statistics(backend):
    model = Sequential([BatchNormalization(input_shape=(3,))])
    x = _x() * 4 + 1
    before = model.get_weights()
    fn = K.function([model.input, K.learning_phase()], [model.output])
    out = fn([x, 1])[0]
    np.testing.assert_allclose(out, (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-3), rtol=1e-4,
                               atol=1e-4)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_learning_phase_and_in_train_phase(backend):
    assert K.learning_phase() == 0 and not K.learning_phase()
    x = Input((2,))
    chosen = K.in_train_phase(K.square(x), x * 0 - 1)
    fn = K.function([x, K.learning_phase()], [chosen])
    xs = _x(d=2)
    np.testing.assert_allclose(fn([xs, 1])[0], xs ** 2, rtol=1e-6)
    np.testing.assert_allclose(fn([xs, 0])[0], -np.ones_like(xs))
    assert K.in_train_phase(lambda: "train", "test", training=1) == "train"
    assert K.in_train_phase("train", "test") == "test"
    dropped = Dropout(0.99)(x, training=K.learning_phase())  # follows the mode
    follow = K.function([x, K.learning_phase()], [dropped])
    np.testing.assert_allclose(follow([xs, 0])[0], xs)
    assert (follow([xs, 1])[0] == 0).mean() > 0.5


def test_placeholder_in_ops_and_functions(backend):
    a = K.placeholder(shape=(None, 3))
    b = K.placeholder(ndim=2, dtype="float32")
    assert a.shape == (None, 3) and b.shape == (None, None) and K.is_keras_tensor(a)
    fn = K.function([a, b], [K.sum(K.square(a), axis=1) + K.mean(b)])
    xa, xb = _x(), _x(d=5, seed=1)
    np.testing.assert_allclose(fn([xa, xb])[0], (xa ** 2).sum(1) + xb.mean(), rtol=1e-6)
    with pytest.raises(ValueError, match="needs shape="):
        K.placeholder()


def test_function_errors(backend):
    x = Input((3,))
    y = Dense(2)(x)
    with pytest.raises(ValueError, match="must be Input or K.placeholder tensors"):
        K.function([y], [y])
    with pytest.raises(ValueError, match="learning_phase\\(\\) must be the last"):
        K.function([K.learning_phase(), x], [y])
    with pytest.raises(ValueError, match="updates"):
        K.function([x], [y], updates=[(1, 2)])
    with pytest.raises(ValueError, match="Graph disconnected"):
        K.function([Input((3,))], [y])
    fn = K.function([x], [y])
    with pytest.raises(ValueError, match=r"takes 1 input value\(s\).*Received: 2"):
        fn([_x(), _x()])
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\), received shape"):
        fn([_x(d=4)])


def test_function_of_a_multi_input_model(backend):
    a, b = Input((2,)), Input((3,))
    merged = K.concatenate([a, K.square(b)])
    model = Model([a, b], Dense(1)(merged))
    fn = K.function([model.input, K.learning_phase()], [merged, model.output])
    xa, xb = _x(d=2), _x(d=3, seed=1)
    got_merged, got_out = fn([xa, xb, 0])
    np.testing.assert_allclose(got_merged, np.concatenate([xa, xb ** 2], axis=1), rtol=1e-6)
    np.testing.assert_allclose(got_out, model.predict([xa, xb]), rtol=1e-6)
