"""The Keras 2 ``K`` helpers on both engines, against numpy references written here."""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, layers, ops
from keras_bridge.layers import Input

RTOL, ATOL = 1e-5, 1e-6
EPS = 1e-7
rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype("float32")
Y = rng.standard_normal((2, 3, 4)).astype("float32")
POS = (np.abs(X) + 0.1).astype("float32")
ROUNDABLE = np.array([-2.5, -1.5, -0.4, 0.5, 1.5, 2.6], "float32")


def check(result, expected, backend, dtype=None):
    assert backends.backend_of_type(type(result)) == backend
    got = ops.convert_to_numpy(result)
    assert got.shape == np.shape(expected)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# name -> (K call, numpy reference)
CASES = {
    "mean": (lambda: K.mean(X), X.mean()),
    "mean_axis_keepdims": (lambda: K.mean(X, axis=1, keepdims=True), X.mean(1, keepdims=True)),
    "mean_axes": (lambda: K.mean(X, axis=[0, 2]), X.mean((0, 2))),
    "mean_bool": (lambda: K.mean(X > 0), (X > 0).mean()),
    "sum": (lambda: K.sum(X, axis=-1), X.sum(-1)),
    "max": (lambda: K.max(X, axis=0), X.max(0)),
    "min": (lambda: K.min(X, axis=1, keepdims=True), X.min(1, keepdims=True)),
    "prod": (lambda: K.prod(X, axis=2), X.prod(2)),
    "std": (lambda: K.std(X, axis=1), X.std(1)),
    "var": (lambda: K.var(X), X.var()),
    "any": (lambda: K.any(X > 1.0, axis=-1), (X > 1.0).any(-1)),
    "all": (lambda: K.all(X > -1.0, axis=0, keepdims=True), (X > -1.0).all(0, keepdims=True)),
    "any_float": (lambda: K.any(np.array([0.0, 0.5]), axis=0), True),
    "argmax": (lambda: K.argmax(X), X.argmax(-1)),
    "argmin": (lambda: K.argmin(X, axis=1), X.argmin(1)),
    "square": (lambda: K.square(X), X * X),
    "sqrt": (lambda: K.sqrt(X), np.sqrt(np.maximum(X, 0))),
    "exp": (lambda: K.exp(X), np.exp(X)),
    "log": (lambda: K.log(POS), np.log(POS)),
    "abs": (lambda: K.abs(X), np.abs(X)),
    "pow": (lambda: K.pow(POS, 1.5), POS ** 1.5),
    "clip": (lambda: K.clip(X, -0.5, 0.5), np.clip(X, -0.5, 0.5)),
    "clip_max_below_min": (lambda: K.clip(X, 0.5, -0.5), np.full(X.shape, 0.5)),
    "clip_none": (lambda: K.clip(X, None, 0.1), np.minimum(X, 0.1)),
    "maximum": (lambda: K.maximum(X, Y), np.maximum(X, Y)),
    "minimum": (lambda: K.minimum(X, Y), np.minimum(X, Y)),
    "equal": (lambda: K.equal(X, X[:, :1]), X == X[:, :1]),
    "not_equal": (lambda: K.not_equal(X, X[:, :1]), X != X[:, :1]),
    "greater": (lambda: K.greater(X, Y), X > Y),
    "greater_equal": (lambda: K.greater_equal(X, 0.0), X >= 0),
    "less": (lambda: K.less(X, Y), X < Y),
    "less_equal": (lambda: K.less_equal(X, Y), X <= Y),
    "sign": (lambda: K.sign(X), np.sign(X)),
    "round": (lambda: K.round(ROUNDABLE), np.round(ROUNDABLE)),
    "transpose": (lambda: K.transpose(X), X.T),
    "reshape": (lambda: K.reshape(X, (4, -1)), X.reshape(4, -1)),
    "permute_dimensions": (lambda: K.permute_dimensions(X, (2, 0, 1)), X.transpose(2, 0, 1)),
    "expand_dims": (lambda: K.expand_dims(X), X[..., None]),
    "expand_dims_axis": (lambda: K.expand_dims(X, 1), X[:, None]),
    "squeeze": (lambda: K.squeeze(X[:, :1], 1), X[:, 0]),
    "concatenate": (lambda: K.concatenate([X, Y]), np.concatenate([X, Y], -1)),
    "concatenate_axis": (lambda: K.concatenate([X, Y], axis=0), np.concatenate([X, Y], 0)),
    "stack": (lambda: K.stack([X, Y]), np.stack([X, Y])),
    "stack_axis": (lambda: K.stack([X, Y], axis=-1), np.stack([X, Y], -1)),
    "flatten": (lambda: K.flatten(X), X.reshape(-1)),
    "batch_flatten": (lambda: K.batch_flatten(X), X.reshape(2, -1)),
    "repeat_elements": (lambda: K.repeat_elements(X, 2, axis=1), np.repeat(X, 2, axis=1)),
    "tile": (lambda: K.tile(X, (1, 2, 1)), np.tile(X, (1, 2, 1))),
    "one_hot": (lambda: K.one_hot(np.array([[0, 2], [1, 3]]), 4),
                np.eye(4, dtype="float32")[[[0, 2], [1, 3]]]),
    "softmax": (lambda: K.softmax(X), _softmax(X)),
    "softmax_axis": (lambda: K.softmax(X, axis=1), _softmax(X, 1)),
    "relu": (lambda: K.relu(X), np.maximum(X, 0)),
    "relu_alpha": (lambda: K.relu(X, alpha=0.1), np.where(X > 0, X, 0.1 * X)),
    "relu_max_value": (lambda: K.relu(X, max_value=0.5), np.clip(X, 0, 0.5)),
    "relu_threshold": (lambda: K.relu(X, threshold=0.3), np.where(X > 0.3, X, 0)),
    "relu_all": (lambda: K.relu(X, alpha=0.1, max_value=1.0, threshold=0.3),
                 np.where(X > 0.3, np.minimum(X, 1.0), 0.1 * (X - 0.3))),
    "sigmoid": (lambda: K.sigmoid(X), _sigmoid(X)),
    "hard_sigmoid": (lambda: K.hard_sigmoid(4 * X), np.clip(0.2 * 4 * X + 0.5, 0, 1)),
    "tanh": (lambda: K.tanh(X), np.tanh(X)),
    "softplus": (lambda: K.softplus(X), np.log1p(np.exp(X))),
    "softsign": (lambda: K.softsign(X), X / (1 + np.abs(X))),
    "elu": (lambda: K.elu(X), np.where(X > 0, X, np.expm1(X))),
    "elu_alpha": (lambda: K.elu(X, 0.5), np.where(X > 0, X, 0.5 * np.expm1(X))),
    "l2_normalize": (lambda: K.l2_normalize(X), X / np.sqrt((X ** 2).sum())),
    "l2_normalize_axis": (lambda: K.l2_normalize(X, axis=-1),
                          X / np.sqrt((X ** 2).sum(-1, keepdims=True))),
    "l2_normalize_zero": (lambda: K.l2_normalize(np.zeros((2, 3), "float32"), axis=1),
                          np.zeros((2, 3))),
    "zeros": (lambda: K.zeros((2, 3)), np.zeros((2, 3))),
    "ones": (lambda: K.ones((2,), dtype="int32"), np.ones(2)),
    "zeros_like": (lambda: K.zeros_like(X), np.zeros_like(X)),
    "ones_like": (lambda: K.ones_like(X), np.ones_like(X)),
    "eye": (lambda: K.eye(3), np.eye(3)),
    "eye_rect": (lambda: K.eye((2, 3)), np.eye(2, 3)),
    "constant": (lambda: K.constant([[1, 2], [3, 4]]), np.array([[1.0, 2], [3, 4]])),
    "constant_fill": (lambda: K.constant(1.5, shape=(2, 2)), np.full((2, 2), 1.5)),
    "constant_reshape": (lambda: K.constant([1, 2, 3, 4], shape=(2, 2)),
                         np.array([[1.0, 2], [3, 4]])),
    "cast": (lambda: K.cast(X * 3, "int32"), (X * 3).astype("int32")),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_helper(backend, name):
    fn, expected = CASES[name]
    check(fn(), expected, backend)


@pytest.mark.parametrize("fn, dtype", [
    (lambda: K.mean(X), "float32"),
    (lambda: K.mean(X > 0), "float32"),
    (lambda: K.zeros((2,)), "float32"),
    (lambda: K.ones((2,), dtype="int32"), "int32"),
    (lambda: K.eye(2), "float32"),
    (lambda: K.constant(1), "float32"),
    (lambda: K.constant(1, dtype="int32"), "int32"),
    (lambda: K.one_hot(np.array([1]), 2), "float32"),
    (lambda: K.cast(X, "float16"), "float16"),
    (lambda: K.equal(X, Y), "bool"),
])
def test_dtypes(backend, fn, dtype):
    result = fn()
    assert ops.convert_to_numpy(result).dtype == np.dtype(dtype)
    assert K.dtype(result) == dtype


# ---------------------------------------------------------------- dot and batch_dot

def test_dot_2d(backend):
    a, b = X[0], Y[0].T
    check(K.dot(a, b), a @ b, backend)


def test_dot_nd_is_numpy_dot(backend):
    a = rng.standard_normal((2, 3, 4)).astype("float32")
    b = rng.standard_normal((7, 4, 5)).astype("float32")
    check(K.dot(a, b), np.dot(a, b), backend)  # (2, 3, 7, 5)
    check(K.dot(a, b[0]), np.dot(a, b[0]), backend)  # (2, 3, 5)


def _batch_dot(x, y, a0, a1):
    """Keras 2's batch_dot, by its definition: per sample, tensordot over (a0, a1)."""
    out = np.stack([np.tensordot(x[i], y[i], axes=(a0 - 1, a1 - 1)) for i in range(len(x))])
    return out.reshape(len(x), 1) if out.ndim == 1 else out


@pytest.mark.parametrize("x_shape, y_shape, axes, out_shape", [
    ((32, 20), (32, 20), None, (32, 1)),
    ((32, 20), (32, 20), 1, (32, 1)),
    ((32, 20, 1), (32, 30, 20), (1, 2), (32, 1, 30)),
    ((4, 3, 5), (4, 5, 6), None, (4, 3, 6)),
    ((4, 3, 5), (4, 3, 6), 1, (4, 5, 6)),
    ((4, 3, 5), (4, 5), None, (4, 3)),
    ((4, 5), (4, 5, 6), None, (4, 6)),
    ((4, 3, 5, 2), (4, 2, 6, 7), (-1, 1), (4, 3, 5, 6, 7)),
    ((4, 3, 5), (4, 6, 5), (2, 2), (4, 3, 6)),
])
def test_batch_dot(backend, x_shape, y_shape, axes, out_shape):
    x = rng.standard_normal(x_shape).astype("float32")
    y = rng.standard_normal(y_shape).astype("float32")
    if axes is None:
        a0, a1 = len(x_shape) - 1, len(y_shape) - (1 if len(y_shape) == 2 else 2)
    elif isinstance(axes, int):
        a0 = a1 = axes
    else:
        a0, a1 = axes[0] % len(x_shape), axes[1] % len(y_shape)
    expected = _batch_dot(x, y, a0, a1)
    assert expected.shape == out_shape
    check(K.batch_dot(x, y, axes=axes), expected, backend)


@pytest.mark.parametrize("x_shape, y_shape, axes, match", [
    ((4,), (4, 3), None, "rank >= 2"),
    ((4, 3), (5, 3), None, "same batch size"),
    ((4, 3), (4, 3), 0, "batch axis"),
    ((4, 3), (4, 5), None, "3 != 5"),
    ((4, 3), (4, 3), (1, 1, 1), "axes"),
])
def test_batch_dot_errors(backend, x_shape, y_shape, axes, match):
    with pytest.raises(ValueError, match=match):
        K.batch_dot(np.ones(x_shape, "float32"), np.ones(y_shape, "float32"), axes=axes)


# ---------------------------------------------------------------- crossentropies

# Probabilities with exact 0s and 1s, to exercise the epsilon clipping.
P = np.array([[0.0, 0.3, 0.7], [1.0, 0.0, 0.0], [0.2, 0.2, 0.6]], "float32")
T = np.array([[0.0, 1.0, 0.0], [0.0, 1.0, 0.0], [1.0, 0.0, 0.0]], "float32")
LOGITS = np.array([[-3.0, 0.5, 40.0], [2.0, -50.0, 0.1], [0.0, 1.0, -1.0]], "float32")


def _bce(t, p, eps=EPS):
    p = np.clip(p, eps, 1 - eps)
    return -(t * np.log(p + eps) + (1 - t) * np.log(1 - p + eps))


def _bce_logits(t, z):
    return np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))


def _cce(t, p, axis=-1, eps=EPS):
    p = np.clip(p / p.sum(axis, keepdims=True), eps, 1 - eps)
    return -(t * np.log(p)).sum(axis)


def _log_softmax(z, axis=-1):
    z = z - z.max(axis, keepdims=True)
    return z - np.log(np.exp(z).sum(axis, keepdims=True))


def _scce(labels, p, from_logits=False):
    z = p if from_logits else np.log(np.clip(p, EPS, 1 - EPS))
    return -np.take_along_axis(_log_softmax(z), labels[:, None], -1)[:, 0]


def test_binary_crossentropy(backend):
    check(K.binary_crossentropy(T, P), _bce(T, P), backend)
    check(K.binary_crossentropy(T, LOGITS, from_logits=True), _bce_logits(T, LOGITS), backend)


def test_binary_crossentropy_clipping_is_finite(backend):
    result = K.binary_crossentropy(1 - T, T)  # certain and wrong everywhere
    assert np.isfinite(ops.convert_to_numpy(result)).all()
    check(result, _bce(1 - T, T), backend)  # about -log(2 * epsilon) in float32


def test_categorical_crossentropy(backend):
    check(K.categorical_crossentropy(T, P), _cce(T, P), backend)
    unnormalized = P * 3.0  # rescaled to sum to 1 first
    check(K.categorical_crossentropy(T, unnormalized), _cce(T, P), backend)
    check(K.categorical_crossentropy(T.T, P.T, axis=0), _cce(T.T, P.T, 0), backend)
    check(K.categorical_crossentropy(T, LOGITS, from_logits=True),
          -(T * _log_softmax(LOGITS)).sum(-1), backend)


def test_categorical_crossentropy_shape_mismatch(backend):
    with pytest.raises(ValueError, match="same shape"):
        K.categorical_crossentropy(T[:, :2], P)


def test_sparse_categorical_crossentropy(backend):
    labels = T.argmax(-1)
    check(K.sparse_categorical_crossentropy(labels, P), _scce(labels, P), backend)
    check(K.sparse_categorical_crossentropy(labels[:, None], P), _scce(labels, P), backend)
    check(K.sparse_categorical_crossentropy(labels, LOGITS, from_logits=True),
          _scce(labels, LOGITS, from_logits=True), backend)
    check(K.sparse_categorical_crossentropy(labels, P.T, axis=0), _scce(labels, P), backend)


def test_sparse_categorical_crossentropy_3d(backend):
    probs = _softmax(rng.standard_normal((2, 5, 4)).astype("float32"))
    labels = rng.integers(0, 4, (2, 5))
    expected = _scce(labels.reshape(-1), probs.reshape(-1, 4)).reshape(2, 5)
    check(K.sparse_categorical_crossentropy(labels, probs), expected, backend)


def test_sparse_categorical_crossentropy_bad_target(backend):
    with pytest.raises(ValueError, match="target"):
        K.sparse_categorical_crossentropy(np.zeros((2,), "int32"), P)


def test_crossentropy_uses_configured_epsilon(backend):
    K.set_epsilon(1e-3)
    check(K.binary_crossentropy(T, P), _bce(T, P, eps=1e-3), backend)
    check(K.categorical_crossentropy(T, P), _cce(T, P, eps=1e-3), backend)


# ---------------------------------------------------------------- config wrappers

def test_config_wrappers(backend):
    assert K.backend() == backend
    assert (K.floatx(), K.epsilon(), K.image_data_format()) == (
        "float32", 1e-7, "channels_last")
    K.set_floatx("float64")
    K.set_epsilon(1e-4)
    K.set_image_data_format("channels_first")
    assert (K.floatx(), K.epsilon(), K.image_data_format()) == (
        "float64", 1e-4, "channels_first")
    assert config.floatx() == "float64"
    with pytest.raises(ValueError, match="floatx"):
        K.set_floatx("float8")
    assert K.learning_phase() == 0


def test_clear_session_resets_names(backend):
    assert layers.Dense(2).name == "dense"
    assert layers.Dense(2).name == "dense_1"
    K.clear_session()
    assert layers.Dense(2).name == "dense"


# ---------------------------------------------------------------- shapes, dtypes and values

def _bound_dense():
    layer = layers.Dense(3)
    layer(np.ones((2, 4), "float32"))
    return layer


def test_int_shape_ndim_shape(backend):
    tensor = ops.convert_to_tensor(X)
    assert K.int_shape(tensor) == (2, 3, 4) and K.ndim(tensor) == 3
    assert K.shape(tensor) == (2, 3, 4)
    assert K.int_shape(X) == (2, 3, 4)
    symbolic = Input((5, 6))
    assert K.int_shape(symbolic) == (None, 5, 6) and K.ndim(symbolic) == 3
    assert K.int_shape(_bound_dense().kernel) == (4, 3)
    with pytest.raises(TypeError, match="Expected a tensor"):
        K.int_shape([1, 2])


def test_dtype(backend):
    assert K.dtype(ops.convert_to_tensor(X)) == "float32"
    assert K.dtype(ops.convert_to_tensor(np.array([1, 2], "int32"))) == "int32"
    assert K.dtype(X) == "float32"
    assert K.dtype(Input((3,))) == "float32"
    assert K.dtype(_bound_dense().kernel) == "float32"


def test_is_keras_tensor(backend):
    symbolic = Input((3,))
    assert K.is_keras_tensor(symbolic)
    assert K.is_keras_tensor(layers.Dense(2)(symbolic))
    assert not K.is_keras_tensor(ops.convert_to_tensor(X))
    assert not K.is_keras_tensor(X)


def test_get_and_set_value(backend):
    layer = _bound_dense()
    kernel, bias = layer.kernel, layer.bias
    np.testing.assert_array_equal(K.get_value(kernel), layer.get_weights()[0])
    new = np.arange(12, dtype="float32").reshape(4, 3)
    K.set_value(kernel, new)
    np.testing.assert_array_equal(K.get_value(kernel), new)
    K.set_value(bias, ops.convert_to_tensor(np.ones(3, "float32")))  # an engine tensor
    np.testing.assert_array_equal(K.get_value(bias), np.ones(3))
    check(layer(np.ones((1, 4), "float32")), np.ones((1, 4)) @ new + 1, backend)
    np.testing.assert_array_equal(K.get_value(ops.convert_to_tensor(X)), X)
    assert K.count_params(kernel) == 12 and K.count_params(X) == 24


def test_set_value_errors(backend):
    layer = _bound_dense()
    before = K.get_value(layer.kernel)
    with pytest.raises(ValueError, match=r"shape \(4, 3\).*shape \(3, 4\)"):
        K.set_value(layer.kernel, np.zeros((3, 4)))
    with pytest.raises(TypeError, match="Expected a weight"):
        K.set_value(np.zeros(3), np.zeros(3))
    with pytest.raises(TypeError, match="symbolic"):
        K.get_value(Input((3,)))
    np.testing.assert_array_equal(K.get_value(layer.kernel), before)


def test_batch_get_and_set_value(backend):
    layer = _bound_dense()
    kernel, bias = layer.kernel, layer.bias
    before = K.batch_get_value([kernel, bias])
    with pytest.raises(ValueError, match="bias"):  # the second pair is wrong: nothing changes
        K.batch_set_value([(kernel, np.zeros((4, 3))), (bias, np.zeros(4))])
    for value, old in zip(K.batch_get_value([kernel, bias]), before):
        np.testing.assert_array_equal(value, old)
    K.batch_set_value([(kernel, np.zeros((4, 3))), (bias, np.full(3, 2.0))])
    values = K.batch_get_value([kernel, bias])
    np.testing.assert_array_equal(values[0], np.zeros((4, 3)))
    np.testing.assert_array_equal(values[1], np.full(3, 2.0))


def test_helpers_accept_weights(backend):
    layer = _bound_dense()
    kernel = K.get_value(layer.kernel)
    check(K.sum(layer.kernel, axis=0), kernel.sum(0), backend)
    check(K.dot(np.ones((2, 4), "float32"), layer.kernel), np.ones((2, 4)) @ kernel, backend)


def test_all_is_listed():
    public = {n for n in dir(K) if not n.startswith("_") and callable(getattr(K, n))}
    public -= {"config", "ops", "naming", "np", "builtins", "KerasTensor"}
    assert public == set(K.__all__)
