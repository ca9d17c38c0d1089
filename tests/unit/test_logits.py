"""Crossentropy of softmax / sigmoid outputs from their logits in training and test steps
(Keras 2's behaviour), on both engines, against numpy."""

import numpy as np
import pytest

from keras_bridge import activations, logits, ops
from keras_bridge import backend as K
from keras_bridge.layers import Activation, Dense, Input, Reshape
from keras_bridge.losses import BinaryCrossentropy, CategoricalCrossentropy
from keras_bridge.models import Model, Sequential

X = np.array([[1.0, 0.5, -0.5, 2.0], [0.2, -1.0, 1.5, 0.3]], np.float32)
ONE_HOT = np.array([[0, 0, 1], [0, 1, 0]], np.float32)
# Kernel making the first class overwhelmingly likely: probabilities of the true classes
# underflow, so the clipped-probability formula would give -log(1e-7) ~ 16.1 and no gradient.
KERNEL = np.array([[30.0, 0.0, -30.0]] * 4, np.float32)
BIAS = np.array([0.0, 1.0, -1.0], np.float32)


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


def np_softmax(z):
    return np.exp(np_log_softmax(z))


def np_bce_logits(t, z):
    return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))


def _dense_model(activation, units=3):
    model = Sequential([Dense(units, activation=activation, input_shape=(4,))])
    kernel = KERNEL[:, :units] if units > 1 else KERNEL[:, :1]
    model.set_weights([kernel, BIAS[:units]])
    return model


def test_saturated_softmax_loss_from_logits(backend):
    model = _dense_model("softmax")
    model.compile("sgd", "categorical_crossentropy")
    z = X @ KERNEL + BIAS
    expected = -(ONE_HOT * np_log_softmax(z)).sum(-1).mean()
    assert expected > 100  # far beyond what clipped probabilities can express
    np.testing.assert_allclose(model.test_on_batch(X, ONE_HOT), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(X, ONE_HOT, verbose=0), expected, rtol=1e-5)


def test_saturated_softmax_still_trains(backend):
    """One SGD step moves the kernel by lr * x^T (softmax(z) - y) / batch, the gradient of
    the logits formula (clipped probabilities would give zero for the saturated rows)."""
    model = _dense_model("softmax")
    model.compile("sgd", "categorical_crossentropy")
    model.train_on_batch(X, ONE_HOT)
    z = X @ KERNEL + BIAS
    grad_z = (np_softmax(z) - ONE_HOT) / len(X)
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(kernel, KERNEL - 0.01 * X.T @ grad_z, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias, BIAS - 0.01 * grad_z.sum(0), rtol=1e-5, atol=1e-6)


def test_sparse_crossentropy_of_softmax_layer(backend):
    """A separate Activation('softmax') layer counts too, as does the sparse loss."""
    inputs = Input((4,))
    outputs = Activation("softmax")(Dense(3)(inputs))
    model = Model(inputs, outputs)
    model.set_weights([KERNEL, BIAS])
    model.compile("sgd", "sparse_categorical_crossentropy")
    labels = ONE_HOT.argmax(-1)
    z = X @ KERNEL + BIAS
    expected = -np_log_softmax(z)[np.arange(2), labels].mean()
    np.testing.assert_allclose(model.test_on_batch(X, labels), expected, rtol=1e-5)


def test_binary_crossentropy_of_sigmoid(backend):
    model = _dense_model("sigmoid", units=1)
    model.compile("sgd", "binary_crossentropy")
    t = np.array([[0.0], [1.0]], np.float32)
    z = X @ KERNEL[:, :1] + BIAS[:1]
    expected = np_bce_logits(t, z).mean()
    assert expected > 20
    np.testing.assert_allclose(model.test_on_batch(X, t), expected, rtol=1e-5)


def test_other_losses_and_axes_use_probabilities(backend):
    """mse sees the probabilities; a softmax over another axis than the loss's is not
    taken as logits (the clipped-probability formula applies)."""
    model = _dense_model("softmax")
    model.compile("sgd", "mse")
    p = np_softmax(X @ KERNEL + BIAS)
    np.testing.assert_allclose(model.test_on_batch(X, ONE_HOT), ((p - ONE_HOT) ** 2).mean(),
                               rtol=1e-5)

    inputs = Input((6,))
    grid = Reshape((2, 3))(inputs)
    outputs = Activation(lambda v: activations.softmax(v, axis=1))(grid)
    model = Model(inputs, outputs)
    model.compile("sgd", "categorical_crossentropy")
    x = np.array([[40.0, 0, 0, -40.0, 0, 0], [0, 1, 2, 3, 4, 5]], np.float32)
    t = np.zeros((2, 2, 3), np.float32)
    t[:, :, 0] = 1
    grid_np = x.reshape(2, 2, 3)
    p = np_softmax(grid_np.transpose(0, 2, 1)).transpose(0, 2, 1)  # softmax over axis 1
    p = np.clip(p / p.sum(-1, keepdims=True), 1e-7, 1 - 1e-7)
    expected = -(t * np.log(p)).sum(-1).mean()
    np.testing.assert_allclose(model.test_on_batch(x, t), expected, rtol=1e-5)


def test_notes_only_inside_recording(backend):
    z = ops.convert_to_tensor(np.array([[40.0, 0.0, -40.0]], np.float32))
    t = np.array([[0.0, 0.0, 1.0]], np.float32)
    outside = activations.softmax(z)
    clipped = -np.log(1e-7)
    np.testing.assert_allclose(ops.convert_to_numpy(K.categorical_crossentropy(t, outside)),
                               [clipped], rtol=1e-5)
    with logits.recording():
        inside = activations.softmax(z)
        np.testing.assert_allclose(
            ops.convert_to_numpy(K.categorical_crossentropy(t, inside)), [80.0], rtol=1e-5)
        derived = ops.multiply(inside, 1.0)  # a new tensor: probabilities again
        np.testing.assert_allclose(
            ops.convert_to_numpy(K.categorical_crossentropy(t, derived)), [clipped], rtol=1e-5)
        assert logits.logits_of(inside, "sigmoid") is None
        assert logits.logits_of(inside, "softmax", axis=0) is None
        assert logits.logits_of(inside, "softmax", axis=1) is z
    assert logits.logits_of(inside, "softmax") is None  # the scope's notes are gone


@pytest.mark.parametrize("activation", ["softmax", "sigmoid"])
def test_from_logits_true_is_taken_as_given(backend, activation):
    """With from_logits=True the output is used as it is, probabilities or not."""
    if activation == "softmax":
        model, t, loss = _dense_model("softmax"), ONE_HOT, CategoricalCrossentropy
    else:
        model, t, loss = _dense_model("sigmoid", 1), ONE_HOT[:, 1:2], BinaryCrossentropy
    model.compile("sgd", loss(from_logits=True))
    p = model.predict(X, verbose=0)
    per_sample = (-(t * np_log_softmax(p)).sum(-1) if activation == "softmax"
                  else np_bce_logits(t, p).mean(-1))
    np.testing.assert_allclose(model.test_on_batch(X, t), per_sample.mean(), rtol=1e-5)
