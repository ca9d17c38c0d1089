"""The step policy is the front end's (keras_bridge/training/step.py): engines only
differentiate and apply it, and cannot leave out a scope or a loss term."""

import ast
import pathlib

import numpy as np

import keras_bridge
from keras_bridge import constraints, ops, optimizers, regularizers
from keras_bridge.layers import Dense, Input, Layer
from keras_bridge.models import Model

BACKENDS = pathlib.Path(keras_bridge.__file__).parent / "backends"
POLICY_NAMES = {"logits", "layer_losses", "regularization_loss"}


def _names(tree):
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            yield node.id
        elif isinstance(node, ast.Attribute):
            yield node.attr
        elif isinstance(node, ast.alias):
            yield from node.name.split(".")
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield from node.module.split(".")


def test_engine_training_modules_leave_the_policy_to_the_front_end():
    files = sorted(BACKENDS.glob("*/training.py"))
    assert {f.parent.name for f in files} >= {"torch", "jax"}
    for path in files:
        used = POLICY_NAMES & set(_names(ast.parse(path.read_text())))
        assert not used, f"{path} uses {sorted(used)}; the step policy (StepPolicy) owns them"


def test_softmax_crossentropy_is_computed_from_logits(backend):
    """A saturated softmax: from the logits the loss is 60 for the first sample; from the
    clipped probabilities it would be -log(1e-7) ~ 16.1."""
    inputs = Input((2,))
    model = Model(inputs, Dense(3, activation="softmax", use_bias=False)(inputs))
    kernel = np.array([[30.0, 0.0, -30.0], [0.5, -0.2, 0.1]], np.float32)
    model.set_weights([kernel])
    model.compile(optimizers.SGD(0.01), "categorical_crossentropy")
    x = np.eye(2, dtype=np.float32)
    y = np.array([[0, 0, 1], [1, 0, 0]], np.float32)
    z = x.astype(np.float64) @ kernel
    log_softmax = z - z.max(1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(1, keepdims=True))
    expected = -(y * log_softmax).sum(1).mean()
    assert expected > 25  # far from the probability-space value
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)


class Penalized(Layer):
    """Passes its input through and adds 0.5 * sum(x) to the loss."""

    def call(self, inputs):
        self.add_loss(ops.multiply(0.5, ops.sum(inputs)))
        return inputs


def test_regularizers_and_added_losses_count_once(backend):
    """mse + kernel l2 + activity l1 + add_loss, each once, in test and train steps."""
    inputs = Input((3,))
    hidden = Dense(2, use_bias=False, kernel_regularizer=regularizers.l2(0.1),
                   activity_regularizer=regularizers.l1(0.01))(inputs)
    model = Model(inputs, Penalized()(hidden))
    kernel = np.array([[0.5, -1.0], [0.25, 2.0], [-1.5, 0.75]], np.float32)
    model.set_weights([kernel])
    model.compile(optimizers.SGD(0.1), "mse")
    x = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 1.0]], np.float32)
    y = np.array([[1.0, 0.0], [-1.0, 2.0]], np.float32)
    h = x.astype(np.float64) @ kernel
    expected = (np.mean((h - y) ** 2) + 0.1 * np.square(kernel).sum()
                + 0.01 * np.abs(h).sum() / len(x) + 0.5 * h.sum())
    np.testing.assert_allclose(model.test_on_batch(x, y), expected, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(x, y), expected, rtol=1e-5)


def test_constraint_applies_after_the_update(backend):
    """One SGD step on mse, then NonNeg clips the updated kernel (numpy gradient)."""
    inputs = Input((2,))
    model = Model(inputs, Dense(2, use_bias=False, kernel_constraint=constraints.NonNeg())(
        inputs))
    kernel = np.array([[0.1, 0.5], [0.2, 0.05]], np.float32)
    model.set_weights([kernel])
    model.compile(optimizers.SGD(1.0), "mse")
    x = np.array([[1.0, 0.0], [0.0, 1.0]], np.float32)
    y = np.array([[-1.0, 1.0], [1.0, -1.0]], np.float32)
    grad = 2.0 / y.size * x.T @ (x @ kernel - y)
    stepped = kernel - grad
    assert (stepped < 0).any() and (stepped > 0).any()
    model.train_on_batch(x, y)
    np.testing.assert_allclose(model.get_weights()[0], np.maximum(stepped, 0.0), rtol=1e-5,
                               atol=1e-6)
