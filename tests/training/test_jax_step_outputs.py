"""What a JAX step hands back: only the state it changed. A frozen layer's weights keep
their arrays (not copied or returned each step), the moving statistics of a
BatchNormalization and a dropout's seed advance in training, and inference (evaluate,
predict) leaves them alone. About the JAX engine only (each output of a jitted call
costs the host an array: see backends/jax/storage.py)."""

import numpy as np
import pytest

from keras_bridge import backends, config, layers, models

pytestmark = pytest.mark.skipif(not backends.is_available("jax"),
                                reason="jax is not installed")

X = np.random.default_rng(0).random((64, 6)).astype(np.float32)
Y = np.random.default_rng(1).random((64, 1)).astype(np.float32)


def _model():
    config.set_backend("jax")
    frozen = layers.Dense(8, name="frozen")
    model = models.Sequential([layers.Input((6,)), frozen, layers.BatchNormalization(),
                               layers.Dropout(0.5), layers.Dense(1)])
    frozen.trainable = False
    model.compile("sgd", "mse")
    return model, frozen


def _arrays(weights):
    return [w.slot.array for w in weights]


def test_frozen_weights_keep_their_arrays_and_the_rest_moves():
    model, frozen = _model()
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)  # binds and compiles
    norm, dropout = model.layers[1], model.layers[2]
    kept = _arrays(frozen.weights)
    frozen_values = [w.numpy() for w in frozen.weights]
    moving = [w.numpy() for w in norm.non_trainable_weights]
    seed = np.array(dropout.seed_generator.state.numpy())
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    assert all(a is b for a, b in zip(_arrays(frozen.weights), kept))
    for w, v in zip(frozen.weights, frozen_values):
        np.testing.assert_array_equal(w.numpy(), v)
    assert all(not np.array_equal(w.numpy(), v)
               for w, v in zip(norm.non_trainable_weights, moving))
    assert not np.array_equal(dropout.seed_generator.state.numpy(), seed)


def test_inference_changes_no_state():
    model, _ = _model()
    model.fit(X, Y, batch_size=16, epochs=1, verbose=0)
    others = [w for w in model.variables if not w.trainable]
    before = _arrays(others)
    model.evaluate(X, Y, batch_size=16, verbose=0)
    model.predict(X, batch_size=16, verbose=0)
    assert all(a is b for a, b in zip(_arrays(others), before))
