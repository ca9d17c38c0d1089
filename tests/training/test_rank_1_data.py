"""1-D arrays for one-feature models, as Keras 2 and 3 take them: expanded to ``(n, 1)``
for a ``(batch, 1)`` input or output, in every entry point; losses and metrics see the
expanded targets. References are the same calls on ``(n, 1)`` arrays and numpy."""

import numpy as np
import pytest

from keras_bridge import Input, Model
from keras_bridge import backend as K
from keras_bridge import ops
from keras_bridge.layers import Dense
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed


def _one_feature_model(functional):
    set_random_seed(3)
    if functional:
        x = Input((1,), name="x")
        return Model(x, Dense(1, name="y")(x))
    return Sequential([Dense(1, input_dim=1)])


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_rank_1_inputs_and_targets_match_column_arrays(backend, functional):
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, 40).astype(np.float32)
    y = (0.5 * x + 2).astype(np.float32)
    flat, column = _one_feature_model(functional), _one_feature_model(functional)
    for model in (flat, column):
        model.compile(loss="mse", optimizer="sgd", metrics=["mae"])
    np.testing.assert_array_equal(flat.predict(x), column.predict(x[:, None]))
    assert flat.predict(x).shape == (40, 1)
    np.testing.assert_array_equal(flat.predict_on_batch(x[:5]),
                                  column.predict_on_batch(x[:5, None]))
    pred = column.predict(x[:, None])[:, 0]
    np.testing.assert_allclose(flat.evaluate(x, y, verbose=0),
                               [np.mean((pred - y) ** 2), np.mean(np.abs(pred - y))],
                               rtol=1e-5)
    np.testing.assert_allclose(flat.test_on_batch(x, y),
                               column.test_on_batch(x[:, None], y[:, None]), rtol=1e-6)
    assert flat.train_on_batch(x, y) == pytest.approx(
        column.train_on_batch(x[:, None], y[:, None]), rel=1e-6)
    flat.fit(x, y, batch_size=8, epochs=2, verbose=0, validation_data=(x[:8], y[:8]))
    column.fit(x[:, None], y[:, None], batch_size=8, epochs=2, verbose=0, shuffle=False)
    np.testing.assert_allclose(flat.get_weights()[0].shape, (1, 1))


def test_rank_1_batches_from_a_generator_are_expanded(backend):
    x = np.linspace(-1, 1, 16).astype(np.float32)
    model = _one_feature_model(functional=False)
    model.compile(loss="mse", optimizer="sgd")
    batches = [(x[i:i + 4], 2 * x[i:i + 4]) for i in range(0, 16, 4)]
    history = model.fit(iter(batches), steps_per_epoch=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_custom_metric_sees_column_targets(backend):
    """A Keras 2 accuracy written with K broadcast (batch,) against (batch, 1) before;
    the expected value is numpy's on the same predictions."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    labels = (rng.random(64) > 0.5).astype(np.float32)  # 1-D targets, as in a siamese net
    set_random_seed(0)
    model = Sequential([Dense(1, activation="sigmoid", input_dim=3)])

    def accuracy(y_true, y_pred):
        return K.mean(K.equal(y_true, K.cast(y_pred > 0.5, y_true.dtype)))

    model.compile(loss="binary_crossentropy", optimizer="sgd", metrics=[accuracy])
    loss, acc = model.evaluate(x, labels, batch_size=64, verbose=0)
    pred = model.predict(x)[:, 0].astype(np.float64)
    assert acc == pytest.approx(np.mean((pred > 0.5) == labels), abs=1e-6)
    clipped = np.clip(pred, 1e-7, 1 - 1e-7)
    want = -np.mean(labels * np.log(clipped) + (1 - labels) * np.log(1 - clipped))
    assert loss == pytest.approx(want, rel=1e-4)


def test_sparse_labels_stay_rank_1_for_a_wide_output(backend):
    rng = np.random.default_rng(2)
    x = rng.normal(size=(32, 4)).astype(np.float32)
    labels = rng.integers(0, 3, 32)
    set_random_seed(0)
    model = Sequential([Dense(3, activation="softmax", input_dim=4)])
    model.compile(loss="sparse_categorical_crossentropy", optimizer="sgd",
                  metrics=["accuracy"])
    loss, acc = model.evaluate(x, labels, batch_size=32, verbose=0)
    probs = model.predict(x).astype(np.float64)
    assert loss == pytest.approx(-np.mean(np.log(probs[np.arange(32), labels])), rel=1e-4)
    assert acc == pytest.approx(np.mean(probs.argmax(1) == labels))


def test_rank_1_input_for_a_wider_input_is_still_an_error(backend):
    model = Sequential([Dense(1, input_dim=3)])
    with pytest.raises(ValueError, match=r"expected shape \(None, 3\), received shape \(5,\)"):
        model.predict(np.zeros(5, np.float32))


def test_argmax_and_argmin_of_booleans(backend):
    x = np.array([[False, True, False], [True, False, False], [False, False, False]])
    tensor = ops.convert_to_tensor(x)
    for op, ref in ((ops.argmax, np.argmax), (ops.argmin, np.argmin)):
        for axis in (None, 0, -1):
            np.testing.assert_array_equal(ops.convert_to_numpy(op(tensor, axis=axis)),
                                          ref(x, axis=axis))


def test_accuracy_on_boolean_one_hot_targets(backend):
    rng = np.random.default_rng(3)
    x = rng.normal(size=(20, 4)).astype(np.float32)
    y = np.eye(3, dtype=bool)[rng.integers(0, 3, 20)]
    set_random_seed(0)
    model = Sequential([Dense(3, activation="softmax", input_dim=4)])
    model.compile(loss="categorical_crossentropy", optimizer="sgd", metrics=["accuracy"])
    _, acc = model.evaluate(x, y, verbose=0)
    assert acc == pytest.approx(np.mean(model.predict(x).argmax(1) == y.argmax(1)))
