"""Symbolic tensors given to a layer beyond its first argument (Keras's endpoint-layer
pattern, ``Endpoint()(targets, logits)``, and tensors passed by keyword): the graph
records them as inputs of the node, shapes are inferred from all of them, and the model
runs, trains, summarizes and saves on both engines."""

import numpy as np
import pytest

from keras_bridge import Input, Model, layers, ops, saving
from keras_bridge.models import load_model
from keras_bridge.utils import set_random_seed


@saving.register_keras_serializable(package="tests")
class Endpoint(layers.Layer):
    """Adds the squared error between targets and logits as a loss; returns softmax."""

    def call(self, targets, logits, sample_weights=None):
        self.add_loss(ops.mean((targets - logits) ** 2))
        return ops.softmax(logits)


@saving.register_keras_serializable(package="tests")
class Gate(layers.Layer):
    """``x * sigmoid(gate)``, the gate given by keyword."""

    def call(self, x, gate=None):
        return x * ops.sigmoid(gate)


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _endpoint_model():
    set_random_seed(3)
    x, targets = Input((4,), name="x"), Input((3,), name="targets")
    logits = layers.Dense(3, name="logits")(x)
    probs = Endpoint(name="endpoint")(targets, logits)
    return Model([x, targets], probs)


def test_endpoint_layer_trains_on_its_own_loss(backend, tmp_path):
    model = _endpoint_model()
    assert model.output.shape == (None, 3)
    assert [n.layer.name for n in model._nodes][-1] == "endpoint"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 4)).astype("float32")
    t = rng.normal(size=(8, 3)).astype("float32")
    kernel, bias = model.get_layer("logits").get_weights()
    logits = x @ kernel + bias
    np.testing.assert_allclose(model.predict([x, t]), _softmax(logits), rtol=1e-5,
                               atol=1e-6)
    model.compile("sgd")  # no loss: the endpoint adds it
    loss = model.evaluate([x, t], verbose=0)
    np.testing.assert_allclose(loss, np.mean((t - logits) ** 2), rtol=1e-5)
    model.fit([x, t], epochs=3, batch_size=8, verbose=0)
    assert model.evaluate([x, t], verbose=0) < loss
    path = str(tmp_path / "endpoint.keras")
    model.save(path)
    loaded = load_model(path)
    np.testing.assert_allclose(loaded.predict([x, t]), model.predict([x, t]), rtol=1e-6)


def test_a_tensor_given_by_keyword_is_an_input_of_the_node(backend):
    x, g = Input((2,)), Input((2,))
    out = Gate()(layers.Dense(2, use_bias=False, kernel_initializer="ones")(x), gate=g)
    model = Model([x, g], out)
    xv = np.array([[1.0, 2.0]], "float32")
    gv = np.array([[0.0, 3.0]], "float32")
    want = (xv @ np.ones((2, 2))) / (1 + np.exp(-gv))
    np.testing.assert_allclose(model.predict([xv, gv]), want, rtol=1e-5)


def test_an_unconnected_tensor_argument_is_a_graph_error(backend):
    x, targets = Input((4,)), Input((3,))
    probs = Endpoint()(targets, layers.Dense(3)(x))
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(x, probs)
