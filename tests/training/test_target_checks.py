"""Targets checked against the outputs where data enters fit / evaluate / *_on_batch
(keras_bridge/training/targets.py): sparse labels in range, shapes that fit the loss."""

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge import losses, metrics, ops
from keras_bridge.layers import Dense, Flatten, Input
from keras_bridge.models import Model, Sequential
from keras_bridge.utils import Sequence

X = np.linspace(-1, 1, 16, dtype=np.float32).reshape(4, 4)


def _classifier(loss="sparse_categorical_crossentropy", metrics=None, units=3):
    model = Sequential([Input((4,)), Dense(units, activation="softmax", name="probs")])
    model.compile("sgd", loss, metrics=metrics)
    return model


class _Batches(Sequence):
    def __init__(self, ys):
        self.ys = ys

    def __len__(self):
        return len(self.ys)

    def __getitem__(self, i):
        return X, self.ys[i]


def _refused(call, *fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), str(info.value)
    return str(info.value)


def _softmax_of_dense(model, x):
    """The numpy forward pass of a softmax Dense: the reference for the losses."""
    kernel, bias = model.get_weights()[-2:]
    z = x @ kernel + bias
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---- 1. sparse labels out of range -------------------------------------------------------------
def test_every_entry_point_checks_labels(backend):
    """fit (arrays, validation data, each batch of a Sequence), evaluate and the
    *_on_batch methods refuse out-of-range labels before any step: the weights and the
    optimizer are untouched, and the model trains afterwards."""
    model = _classifier(metrics=["accuracy"])
    good, bad = np.array([0, 1, 2, 1]), np.array([0, 5, 1, 5])
    before = model.get_weights()
    calls = [lambda: model.fit(X, bad, verbose=0), lambda: model.evaluate(X, bad, verbose=0),
             lambda: model.train_on_batch(X, bad), lambda: model.test_on_batch(X, bad),
             lambda: model.fit(X, good, validation_data=(X, bad), verbose=0),
             lambda: model.fit(_Batches([bad, good]), verbose=0)]
    for call in calls:
        _refused(call, "output 'probs'", ": 5 (2 of 4 labels", "[0, 3)", "3 classes",
                 "'sparse_categorical_crossentropy'")
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    # A later batch of a Sequence is checked when it arrives; the good one before it ran.
    _refused(lambda: model.fit(_Batches([good, bad]), shuffle=False, verbose=0), ": 5 ")
    assert not np.array_equal(model.get_weights()[0], before[0])
    assert np.isfinite(model.fit(X, good, verbose=0).history["loss"][0])


@pytest.mark.parametrize("y, shown", [(np.array([5, 5, 5, 5]), ": 5 (4 of 4"),
                                      (np.array([-1, 0, 1, 2]), ": -1 (1 of 4"),
                                      (np.array([[0], [3], [7], [1]]), ": 3, 7 (2 of 4"),
                                      (np.array([0.0, 1.0, np.nan, 2.0]), ": nan (1 of 4")])
def test_out_of_range_labels_are_named(backend, y, shown):
    model = _classifier()
    message = _refused(lambda: model.evaluate(X, y, verbose=0), shown, "[0, 3)")
    assert "\n" not in message
    _refused(lambda: model.train_on_batch(X, y), shown)


@pytest.mark.parametrize("metric, name", [
    (metrics.SparseCategoricalAccuracy(), "sparse_categorical_accuracy"),
    (metrics.SparseTopKCategoricalAccuracy(k=2), "sparse_top_k_categorical_accuracy"),
    ("sparse_categorical_accuracy", "sparse_categorical_accuracy"),
    ("sparse_categorical_crossentropy", "sparse_categorical_crossentropy"),
])
def test_sparse_metrics_check_labels(backend, metric, name):
    def own_loss(y_true, y_pred):  # a user loss: its targets are its own business
        return ops.mean(y_pred, axis=-1)
    model = _classifier(loss=own_loss, metrics=[metric])
    with pytest.raises(ValueError, match=f"the metric '{name}' reads"):
        model.evaluate(X, np.array([0, 1, 2, 3]), verbose=0)
    with pytest.raises(ValueError, match="'probs'.*: 3 "):
        model.train_on_batch(X, np.array([0, 1, 2, 3]))


def test_ignore_class_is_exempt(backend):
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model = _classifier(loss=loss)
    y = np.array([-1, 0, 2, -1])
    probs = _softmax_of_dense(model, X)
    expected = -np.mean(np.log(probs[[1, 2], [0, 2]]))  # the mean over kept labels
    np.testing.assert_allclose(model.evaluate(X, y, verbose=0), expected, rtol=1e-5)
    with pytest.raises(ValueError, match=r"labels outside \[0, 3\).*: 5 .*ignore_class=-1"):
        model.evaluate(X, np.array([-1, 5, 0, 1]), verbose=0)


def test_labels_unchecked_inside_a_step_give_nan(backend):
    """Where no check can run (a subclassed model's outputs are unknown until called;
    a custom step), an out-of-range label gives NaN, not a silent 0, and no NaN reaches
    the weights (its gradient is zero)."""
    y_pred = ops.convert_to_tensor(np.full((4, 3), 1 / 3, np.float32))
    values = ops.convert_to_numpy(K.sparse_categorical_crossentropy(
        np.array([0, 5, -1, 2]), y_pred))
    np.testing.assert_allclose(values[[0, 3]], np.log(3.0), rtol=1e-6)
    assert np.isnan(values[[1, 2]]).all()

    class Subclassed(Model):
        def __init__(self):
            super().__init__()
            self.dense = Dense(3)

        def call(self, x):
            return self.dense(x)

    model = Subclassed()
    model.compile("sgd", "sparse_categorical_crossentropy")
    history = model.fit(X, np.array([0, 5, 1, 2]), epochs=1, verbose=0)
    assert np.isnan(history.history["loss"][0])
    assert all(np.isfinite(w).all() for w in model.get_weights())


# ---- 5. target shapes that do not fit the loss ---------------------------------------------------
def test_regression_targets_of_another_width(backend):
    model = Sequential([Input((4,)), Dense(3, name="out")])
    model.compile("sgd", "mse")
    y = np.ones((4, 5), np.float32)
    before = model.get_weights()
    for call in (lambda: model.fit(X, y, verbose=0), lambda: model.evaluate(X, y, verbose=0),
                 lambda: model.train_on_batch(X, y), lambda: model.test_on_batch(X, y)):
        message = _refused(call, "output 'out'", "'mean_squared_error'", "(4, 5)",
                           "(None, 3)")
        assert "to_categorical" not in message  # not labels: no hint
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
    model.compile("sgd", "binary_crossentropy")
    _refused(lambda: model.evaluate(X, np.ones((4, 1), np.float32), verbose=0),
             "'binary_crossentropy'", "(4, 1)", "(None, 3)")  # Keras 3 refuses it too


@pytest.mark.parametrize("loss, y", [
    ("categorical_crossentropy", np.array([0, 2, 1, 1])),
    ("categorical_crossentropy", np.array([[0], [2], [1], [1]])),
    ("categorical_crossentropy", np.array([0.0, 2.0, 1.0, 1.0])),
    ("mse", np.array([0, 2, 1, 1])),
    ("categorical_hinge", np.array([0, 2, 1, 1])),
])
def test_integer_labels_on_a_categorical_loss_suggest_the_fix(backend, loss, y):
    model = _classifier(loss=loss)
    _refused(lambda: model.fit(X, y, verbose=0), "to_categorical(y, num_classes=3)",
             "loss='sparse_categorical_crossentropy'")


def test_one_hot_targets_on_the_sparse_loss_suggest_the_fix(backend):
    model = _classifier()
    with pytest.raises(ValueError, match="look one-hot.*'categorical_crossentropy'"):
        model.evaluate(X, np.eye(3, dtype=np.float32)[[0, 1, 2, 1]], verbose=0)


def test_each_output_is_checked_by_name(backend):
    inp = Input((4,))
    model = Model(inp, {"age": Dense(2, name="age")(inp),
                        "kind": Dense(3, activation="softmax", name="kind")(inp)})
    model.compile("sgd", {"age": "mse", "kind": "sparse_categorical_crossentropy"})
    good = {"age": np.ones((4, 2), np.float32), "kind": np.array([0, 1, 2, 0])}
    with pytest.raises(ValueError, match="output 'kind'.*: 9"):
        model.evaluate(X, {**good, "kind": np.array([0, 9, 2, 0])}, verbose=0)
    with pytest.raises(ValueError, match=r"output 'age'.*\(4, 3\)"):
        model.evaluate(X, {**good, "age": np.ones((4, 3), np.float32)}, verbose=0)


def test_shapes_keras_accepts_still_train(backend):
    """Keras's alignment and broadcasting still pass: (N, T) targets for (N, T, 1)
    outputs, (N, 1) broadcast over (N, 3) by mse, sparse labels with a time axis (and
    (N,) for (N, 1), expanded as data enters). Losses from numpy."""
    inp = Input((2, 4))
    flat = Flatten()(inp)
    model = Model(inp, [Dense(1, name="per_step")(inp), Dense(3, name="wide")(flat),
                        Dense(3, activation="softmax", name="tags")(inp),
                        Dense(1, name="single")(flat)])
    model.compile("sgd", ["mse", "mse", "sparse_categorical_crossentropy", "mse"])
    x = X.reshape(2, 2, 4)
    ys = [np.ones((2, 2), np.float32), np.array([[1.0], [2.0]], np.float32),
          np.array([[0, 2], [1, 1]]), np.array([0.5, -0.5], np.float32)]
    w = model.get_weights()
    step, wide, single = x @ w[0] + w[1], x.reshape(2, 8) @ w[2] + w[3], \
        x.reshape(2, 8) @ w[6] + w[7]
    z = x @ w[4] + w[5]
    probs = np.exp(z - z.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    expected = {
        "per_step_loss": np.mean((ys[0] - step[..., 0]) ** 2),
        "wide_loss": np.mean((ys[1] - wide) ** 2),
        "tags_loss": -np.mean(np.log(np.take_along_axis(probs, ys[2][..., None], -1))),
        "single_loss": np.mean((ys[3] - single[:, 0]) ** 2)}
    logs = model.evaluate(x, ys, verbose=0, return_dict=True)
    for name, value in expected.items():
        np.testing.assert_allclose(logs[name], value, rtol=1e-5)


# ---- 'accuracy' on a subclassed model ----------------------------------------------------------
class _SoftmaxHead(Model):
    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.head = Dense(units, activation="softmax")

    def call(self, inputs):
        return self.head(inputs)


def _squared(y_true, y_pred):
    return ops.mean(ops.square(y_pred - ops.expand_dims(ops.cast(y_true, "float32"), -1)),
                    axis=-1)


def test_accuracy_of_a_subclassed_model_follows_its_output_shape(backend):
    """Keras 3 picks 'accuracy' from the predictions' shape, also for a model without a
    graph: integer labels of rank 1 against (N, 3) probabilities are sparse (the loss,
    as in Keras 3's saving guide, names no accuracy)."""
    y = np.array([0, 2, 1, 2])
    model = _SoftmaxHead(3)
    model.compile("sgd", _squared, metrics=["accuracy"])
    logs = model.evaluate(X, y, verbose=0, return_dict=True)
    reference = np.mean(np.argmax(_softmax_of_dense(model, X), -1) == y)
    np.testing.assert_allclose(logs["accuracy"], reference, rtol=1e-6)


def test_checks_hold_after_calls_that_passed(backend):
    """What depends only on the targets' shapes is worked out once per signature: the
    labels are still read every call, a new shape is checked anew, and a recompile
    checks against its own loss."""
    model = _classifier(metrics=["accuracy"])
    good, bad = np.array([0, 1, 2, 1]), np.array([0, 5, 1, 5])
    model.fit(X, good, verbose=0)
    model.fit(X, good, verbose=0)
    _refused(lambda: model.fit(X, bad, verbose=0), "labels outside [0, 3)")
    _refused(lambda: model.fit(X, np.eye(3)[good], verbose=0), "one-hot")
    model.compile("sgd", "categorical_crossentropy")
    model.fit(X, np.eye(3, dtype="float32")[good], verbose=0)
    _refused(lambda: model.fit(X, good, verbose=0), "look like integer class labels")
