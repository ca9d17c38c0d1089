"""Every op in ``keras_bridge.backends.contract.OPS``, on every engine, against numpy.

Each case runs twice: on numpy inputs (the op uses the default backend) and on
engine tensors, and must return the engine's tensor with numpy's values.
"""

import inspect
import math

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge.backends.contract import OPS
from keras_bridge import ops

from conftest import both_backends
from test_ops_keras3 import ENGINE_OPS as KERAS3_ENGINE_OPS  # Keras 3's numpy ops, tested there
from test_ops_keras3_math import MATH_OPS  # complex, fft, linalg: tested there

R = np.random.default_rng(0)
X = R.standard_normal((2, 3, 4)).astype(np.float32)
Y = R.standard_normal((3, 4)).astype(np.float32)  # broadcasts against X
P = (R.random((2, 3, 4)) + 0.5).astype(np.float32)  # positive
I = R.integers(-5, 6, (2, 3, 4)).astype(np.int32)
J = np.where(I == 0, 3, I).astype(np.int32)  # nonzero divisors
B = X > 0
C = Y < 0.3
M = R.standard_normal((4, 5)).astype(np.float32)
N = R.standard_normal((5, 2)).astype(np.float32)
V = R.standard_normal((4,)).astype(np.float32)
L = np.array([[0, 2, -1], [3, 1, 7]], dtype=np.int32)  # labels, two out of range
HALF = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49, 3.7], dtype=np.float32)


def f64(a):
    return np.asarray(a, dtype=np.float64)


def np_softmax(x, axis):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def np_logsumexp(x, axis=None, keepdims=False):
    m = np.max(x, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True)) + m
    return out if keepdims else np.squeeze(out, axis=axis)


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(x))


def np_gelu(x, approximate):
    if approximate:
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

# (op name, call(c) with c converting each array argument, numpy reference)
CASES = [
    # creation and conversion
    ("convert_to_tensor", lambda c: ops.convert_to_tensor(c(X)), lambda: X),
    ("convert_to_tensor", lambda c: ops.convert_to_tensor(c(I), dtype="float32"), lambda: f64(I)),
    ("convert_to_numpy", lambda c: ops.convert_to_tensor(ops.convert_to_numpy(c(X))), lambda: X),
    ("cast", lambda c: ops.cast(c(X * 3), "int32"), lambda: (X * 3).astype(np.int32)),
    ("cast", lambda c: ops.cast(c(I), "bool"), lambda: I != 0),
    ("zeros", lambda c: ops.zeros((2, 3)), lambda: np.zeros((2, 3))),
    ("ones", lambda c: ops.ones(4, dtype="int32"), lambda: np.ones(4)),
    ("zeros_like", lambda c: ops.zeros_like(c(X)), lambda: np.zeros_like(X)),
    ("ones_like", lambda c: ops.ones_like(c(X), dtype="int32"), lambda: np.ones_like(X)),
    ("full", lambda c: ops.full((2, 2), 7.5), lambda: np.full((2, 2), 7.5)),
    ("full", lambda c: ops.full(3, 2, dtype="float32"), lambda: np.full(3, 2.0)),
    ("arange", lambda c: ops.arange(5), lambda: np.arange(5)),
    ("arange", lambda c: ops.arange(1, 10, 3), lambda: np.arange(1, 10, 3)),
    ("arange", lambda c: ops.arange(0.0, 1.0, 0.25), lambda: np.arange(0.0, 1.0, 0.25)),
    ("eye", lambda c: ops.eye(3), lambda: np.eye(3)),
    ("eye", lambda c: ops.eye(2, 4), lambda: np.eye(2, 4)),
    # shape
    ("reshape", lambda c: ops.reshape(c(X), (4, -1)), lambda: X.reshape(4, -1)),
    ("reshape", lambda c: ops.reshape(c(X), 24), lambda: X.reshape(24)),
    ("transpose", lambda c: ops.transpose(c(X)), lambda: X.T),
    ("transpose", lambda c: ops.transpose(c(X), (1, 0, 2)), lambda: X.transpose(1, 0, 2)),
    ("transpose", lambda c: ops.transpose(c(X), (-1, 0, 1)), lambda: X.transpose(-1, 0, 1)),
    ("expand_dims", lambda c: ops.expand_dims(c(X), 0), lambda: X[None]),
    ("expand_dims", lambda c: ops.expand_dims(c(X), -1), lambda: X[..., None]),
    ("expand_dims", lambda c: ops.expand_dims(c(X), (0, -1)), lambda: np.expand_dims(X, (0, -1))),
    ("squeeze", lambda c: ops.squeeze(c(X[:1, :, :1])), lambda: X[0, :, 0]),
    ("squeeze", lambda c: ops.squeeze(c(X[:1, :, :1]), -1), lambda: X[:1, :, 0]),
    ("squeeze", lambda c: ops.squeeze(c(X[:1, :, :1]), (0, 2)), lambda: X[0, :, 0]),
    ("concatenate", lambda c: ops.concatenate([c(X), c(X[:, :, :2])]),
     lambda: np.concatenate([X, X[:, :, :2]], axis=-1)),
    ("concatenate", lambda c: ops.concatenate([c(X), c(P)], axis=0), lambda: np.concatenate([X, P])),
    ("stack", lambda c: ops.stack([c(X), c(P)]), lambda: np.stack([X, P])),
    ("stack", lambda c: ops.stack([c(X), c(P)], axis=-1), lambda: np.stack([X, P], axis=-1)),
    ("tile", lambda c: ops.tile(c(Y), (2, 1, 2)), lambda: np.tile(Y, (2, 1, 2))),
    ("tile", lambda c: ops.tile(c(X), 2), lambda: np.tile(X, 2)),
    ("repeat", lambda c: ops.repeat(c(Y), 2), lambda: np.repeat(Y, 2)),
    ("repeat", lambda c: ops.repeat(c(Y), 3, axis=-1), lambda: np.repeat(Y, 3, axis=-1)),
    ("repeat", lambda c: ops.repeat(c(Y), [1, 0, 2], axis=0), lambda: np.repeat(Y, [1, 0, 2], axis=0)),
    ("broadcast_to", lambda c: ops.broadcast_to(c(Y), (2, 3, 4)), lambda: np.broadcast_to(Y, (2, 3, 4))),
    ("take", lambda c: ops.take(c(X), np.array([0, 5, -1])), lambda: np.take(X, [0, 5, -1])),
    ("take", lambda c: ops.take(c(X), np.array([[2, 0], [1, -1]]), axis=1),
     lambda: np.take(X, [[2, 0], [1, -1]], axis=1)),
    ("take", lambda c: ops.take(c(X), 3, axis=-1), lambda: np.take(X, 3, axis=-1)),
    ("flip", lambda c: ops.flip(c(X)), lambda: np.flip(X)),
    ("flip", lambda c: ops.flip(c(X), 1), lambda: np.flip(X, 1)),
    ("flip", lambda c: ops.flip(c(X), (0, -1)), lambda: np.flip(X, (0, -1))),
    # elementwise arithmetic
    ("add", lambda c: ops.add(c(X), c(Y)), lambda: f64(X) + Y),
    ("add", lambda c: ops.add(c(X), 2.0), lambda: f64(X) + 2),
    ("add", lambda c: ops.add(3, c(I)), lambda: 3 + I),
    ("subtract", lambda c: ops.subtract(c(X), c(Y)), lambda: f64(X) - Y),
    ("subtract", lambda c: ops.subtract(1.5, c(X)), lambda: 1.5 - f64(X)),
    ("multiply", lambda c: ops.multiply(c(X), c(Y)), lambda: f64(X) * Y),
    ("multiply", lambda c: ops.multiply(c(I), 2), lambda: I * 2),
    ("divide", lambda c: ops.divide(c(X), c(P)), lambda: f64(X) / P),
    ("divide", lambda c: ops.divide(c(I), c(J)), lambda: f64(I) / J),
    ("divide", lambda c: ops.divide(2.0, c(P)), lambda: 2.0 / f64(P)),
    ("floor_divide", lambda c: ops.floor_divide(c(I), c(J)), lambda: I // J),
    ("floor_divide", lambda c: ops.floor_divide(c(I), -2), lambda: I // -2),
    ("floor_divide", lambda c: ops.floor_divide(c(X), 0.3), lambda: np.floor_divide(X, np.float32(0.3))),
    ("mod", lambda c: ops.mod(c(I), c(J)), lambda: I % J),
    ("mod", lambda c: ops.mod(c(I), -3), lambda: I % -3),
    ("mod", lambda c: ops.mod(c(X), c(-P)), lambda: np.mod(X, -P)),
    ("mod", lambda c: ops.mod(c(X), 0.7), lambda: np.mod(X, np.float32(0.7))),
    ("power", lambda c: ops.power(c(P), c(X)), lambda: f64(P) ** X),
    ("power", lambda c: ops.power(c(X), 2), lambda: f64(X) ** 2),
    ("power", lambda c: ops.power(2.0, c(X)), lambda: 2.0 ** f64(X)),
    ("power", lambda c: ops.power(c(I), 2), lambda: I ** 2),
    ("negative", lambda c: ops.negative(c(X)), lambda: -X),
    ("negative", lambda c: ops.negative(c(I)), lambda: -I),
    ("abs", lambda c: ops.abs(c(X)), lambda: np.abs(X)),
    ("abs", lambda c: ops.abs(c(I)), lambda: np.abs(I)),
    ("sign", lambda c: ops.sign(c(I)), lambda: np.sign(I)),
    ("sign", lambda c: ops.sign(c(X)), lambda: np.sign(X)),
    ("square", lambda c: ops.square(c(X)), lambda: f64(X) ** 2),
    ("sqrt", lambda c: ops.sqrt(c(P)), lambda: np.sqrt(f64(P))),
    ("exp", lambda c: ops.exp(c(X)), lambda: np.exp(f64(X))),
    ("expm1", lambda c: ops.expm1(c(X * 1e-4)), lambda: np.expm1(f64(X * 1e-4))),
    ("log", lambda c: ops.log(c(P)), lambda: np.log(f64(P))),
    ("log1p", lambda c: ops.log1p(c(X * 1e-4)), lambda: np.log1p(f64(X * 1e-4))),
    ("sin", lambda c: ops.sin(c(X)), lambda: np.sin(f64(X))),
    ("cos", lambda c: ops.cos(c(X)), lambda: np.cos(f64(X))),
    ("tanh", lambda c: ops.tanh(c(X)), lambda: np.tanh(f64(X))),
    ("floor", lambda c: ops.floor(c(X * 3)), lambda: np.floor(X * 3)),
    ("ceil", lambda c: ops.ceil(c(X * 3)), lambda: np.ceil(X * 3)),
    ("round", lambda c: ops.round(c(HALF)), lambda: np.round(HALF)),
    ("round", lambda c: ops.round(c(X * 3)), lambda: np.round(X * 3)),
    ("maximum", lambda c: ops.maximum(c(X), c(Y)), lambda: np.maximum(X, Y)),
    ("maximum", lambda c: ops.maximum(c(X), 0.0), lambda: np.maximum(X, 0)),
    ("minimum", lambda c: ops.minimum(c(X), c(Y)), lambda: np.minimum(X, Y)),
    ("minimum", lambda c: ops.minimum(c(I), 1), lambda: np.minimum(I, 1)),
    ("clip", lambda c: ops.clip(c(X), -0.5, 0.5), lambda: np.clip(X, -0.5, 0.5)),
    ("clip", lambda c: ops.clip(c(I), -2, 3), lambda: np.clip(I, -2, 3)),
    ("clip", lambda c: ops.clip(c(X), None, 0.1), lambda: np.minimum(X, np.float32(0.1))),
    ("where", lambda c: ops.where(c(B), c(X), c(Y)), lambda: np.where(B, X, Y)),
    ("where", lambda c: ops.where(c(B), c(X), 0.0), lambda: np.where(B, X, 0)),
    ("where", lambda c: ops.where(c(I), 1.0, -1.0), lambda: np.where(I, 1.0, -1.0)),
    # comparison and logic
    ("equal", lambda c: ops.equal(c(I), c(J)), lambda: I == J),
    ("equal", lambda c: ops.equal(c(I), 3), lambda: I == 3),
    ("not_equal", lambda c: ops.not_equal(c(I), c(J)), lambda: I != J),
    ("greater", lambda c: ops.greater(c(X), c(Y)), lambda: X > Y),
    ("greater", lambda c: ops.greater(c(I), 2.5), lambda: I > 2.5),
    ("greater_equal", lambda c: ops.greater_equal(c(I), c(J)), lambda: I >= J),
    ("less", lambda c: ops.less(c(X), 0.0), lambda: X < 0),
    ("less", lambda c: ops.less(0.0, c(X)), lambda: 0 < X),
    ("less_equal", lambda c: ops.less_equal(c(I), c(J)), lambda: I <= J),
    ("logical_and", lambda c: ops.logical_and(c(B), c(C)), lambda: B & C),
    ("logical_and", lambda c: ops.logical_and(c(I), c(X)), lambda: np.logical_and(I, X)),
    ("logical_or", lambda c: ops.logical_or(c(B), c(C)), lambda: B | C),
    ("logical_not", lambda c: ops.logical_not(c(B)), lambda: ~B),
    # linear algebra
    ("matmul", lambda c: ops.matmul(c(M), c(N)), lambda: f64(M) @ N),
    ("matmul", lambda c: ops.matmul(c(X), c(M)), lambda: f64(X) @ M),
    ("matmul", lambda c: ops.matmul(c(X), c(V)), lambda: f64(X) @ V),
    ("matmul", lambda c: ops.matmul(c(V), c(M)), lambda: f64(V) @ M),
    ("dot", lambda c: ops.dot(c(V), c(V)), lambda: np.dot(f64(V), V)),
    ("dot", lambda c: ops.dot(c(M.T), c(V)), lambda: np.dot(f64(M.T), V)),
    ("dot", lambda c: ops.dot(c(X), c(M)), lambda: np.dot(f64(X), M)),
    ("dot", lambda c: ops.dot(c(X), c(np.stack([M, M]))), lambda: np.dot(f64(X), np.stack([M, M]))),
    ("dot", lambda c: ops.dot(2.0, c(V)), lambda: 2 * f64(V)),
    ("tensordot", lambda c: ops.tensordot(c(X), c(Y)), lambda: np.tensordot(f64(X), Y)),
    ("tensordot", lambda c: ops.tensordot(c(X), c(M), axes=1), lambda: np.tensordot(f64(X), M, axes=1)),
    ("tensordot", lambda c: ops.tensordot(c(X), c(Y), axes=([1, -1], [0, 1])),
     lambda: np.tensordot(f64(X), Y, axes=([1, 2], [0, 1]))),
    ("tensordot", lambda c: ops.tensordot(c(X), c(M), axes=(-1, 0)),
     lambda: np.tensordot(f64(X), M, axes=(2, 0))),
    ("einsum", lambda c: ops.einsum("ij,jk->ik", c(M), c(N)), lambda: np.einsum("ij,jk->ik", f64(M), N)),
    ("einsum", lambda c: ops.einsum("bij->bji", c(X)), lambda: np.einsum("bij->bji", X)),
    ("einsum", lambda c: ops.einsum("...j,j", c(X), c(V)), lambda: np.einsum("...j,j", f64(X), V)),
    # neural network functions
    ("relu", lambda c: ops.relu(c(X)), lambda: np.maximum(X, 0)),
    ("sigmoid", lambda c: ops.sigmoid(c(X)), lambda: np_sigmoid(f64(X))),
    ("softmax", lambda c: ops.softmax(c(X)), lambda: np_softmax(f64(X), -1)),
    ("softmax", lambda c: ops.softmax(c(X), axis=0), lambda: np_softmax(f64(X), 0)),
    ("softmax", lambda c: ops.softmax(c(X), axis=(1, 2)), lambda: np_softmax(f64(X), (1, 2))),
    ("log_softmax", lambda c: ops.log_softmax(c(X)), lambda: np.log(np_softmax(f64(X), -1))),
    ("log_softmax", lambda c: ops.log_softmax(c(X), axis=1), lambda: np.log(np_softmax(f64(X), 1))),
    ("softplus", lambda c: ops.softplus(c(X * 5)), lambda: np.logaddexp(0, f64(X * 5))),
    ("softsign", lambda c: ops.softsign(c(X)), lambda: f64(X) / (1 + np.abs(f64(X)))),
    ("elu", lambda c: ops.elu(c(X)), lambda: np_elu(f64(X))),
    ("elu", lambda c: ops.elu(c(X), alpha=0.5), lambda: np_elu(f64(X), 0.5)),
    ("selu", lambda c: ops.selu(c(X)), lambda: SELU_SCALE * np_elu(f64(X), SELU_ALPHA)),
    ("gelu", lambda c: ops.gelu(c(X)), lambda: np_gelu(f64(X), True)),
    ("gelu", lambda c: ops.gelu(c(X), approximate=False), lambda: np_gelu(f64(X), False)),
    ("silu", lambda c: ops.silu(c(X)), lambda: f64(X) * np_sigmoid(f64(X))),
    ("leaky_relu", lambda c: ops.leaky_relu(c(X)), lambda: np.where(X >= 0, X, 0.2 * f64(X))),
    ("leaky_relu", lambda c: ops.leaky_relu(c(X), negative_slope=0.1),
     lambda: np.where(X >= 0, X, 0.1 * f64(X))),
    ("hard_sigmoid", lambda c: ops.hard_sigmoid(c(X * 4)), lambda: np.clip(f64(X * 4) / 6 + 0.5, 0, 1)),
    ("one_hot", lambda c: ops.one_hot(c(L), 4), lambda: (L[..., None] == np.arange(4)).astype(np.float32)),
    ("one_hot", lambda c: ops.one_hot(c(L), 3, dtype="int32"), lambda: (L[..., None] == np.arange(3)).astype(np.int32)),
]

# Reductions over every kind of axis (None, int, negative, tuple), with and without keepdims.
AXES = [(None, False), (None, True), (-1, False), ((0, 2), False), ((-1, -2), True)]
REDUCTIONS = {
    "sum": np.sum, "mean": np.mean, "max": np.max, "min": np.min, "prod": np.prod,
    "std": np.std, "var": np.var, "logsumexp": np_logsumexp,
}
for _name, _ref in REDUCTIONS.items():
    for _axis, _keep in AXES:
        CASES.append((
            _name,
            lambda c, n=_name, a=_axis, k=_keep: getattr(ops, n)(c(X), axis=a, keepdims=k),
            lambda r=_ref, a=_axis, k=_keep: r(f64(X), axis=a, keepdims=k),
        ))
for _name, _ref in (("any", np.any), ("all", np.all)):
    for _axis, _keep in AXES[1:]:
        CASES.append((
            _name,
            lambda c, n=_name, a=_axis, k=_keep: getattr(ops, n)(c(B), axis=a, keepdims=k),
            lambda r=_ref, a=_axis, k=_keep: r(B, axis=a, keepdims=k),
        ))
CASES += [
    ("any", lambda c: ops.any(c(I), axis=1), lambda: np.any(I, axis=1)),
    ("sum", lambda c: ops.sum(c(I), axis=(0, 1)), lambda: np.sum(I, axis=(0, 1))),
    ("sum", lambda c: ops.sum(c(X), axis=()), lambda: X),  # numpy: no axis, no reduction
    ("max", lambda c: ops.max(c(X), axis=()), lambda: X),
    ("prod", lambda c: ops.prod(c(J), axis=-1), lambda: np.prod(J, axis=-1)),
    ("mean", lambda c: ops.mean(c(I), axis=0), lambda: np.mean(I, axis=0)),
    ("argmax", lambda c: ops.argmax(c(X)), lambda: np.argmax(X)),
    ("argmax", lambda c: ops.argmax(c(X), axis=0), lambda: np.argmax(X, axis=0)),
    ("argmax", lambda c: ops.argmax(c(X), axis=-1), lambda: np.argmax(X, axis=-1)),
    ("argmin", lambda c: ops.argmin(c(X)), lambda: np.argmin(X)),
    ("argmin", lambda c: ops.argmin(c(X), axis=1), lambda: np.argmin(X, axis=1)),
    ("cumsum", lambda c: ops.cumsum(c(X)), lambda: np.cumsum(f64(X))),
    ("cumsum", lambda c: ops.cumsum(c(X), axis=0), lambda: np.cumsum(f64(X), axis=0)),
    ("cumsum", lambda c: ops.cumsum(c(I), axis=-1), lambda: np.cumsum(I, axis=-1)),
    ("cumprod", lambda c: ops.cumprod(c(X), axis=1), lambda: np.cumprod(f64(X), axis=1)),
    ("cumprod", lambda c: ops.cumprod(c(J), axis=-1), lambda: np.cumprod(J, axis=-1)),
    ("cumprod", lambda c: ops.cumprod(c(P)), lambda: np.cumprod(f64(P))),
    ("stop_gradient", lambda c: ops.stop_gradient(c(X)), lambda: X),
]

# Ops answering with Python values rather than tensors.
PLAIN = {
    "shape": [(lambda c: ops.shape(c(X)), (2, 3, 4)), (lambda c: ops.shape(c(np.float32(1))), ())],
    "ndim": [(lambda c: ops.ndim(c(X)), 3), (lambda c: ops.ndim(c(V)), 1)],
}

_counts = {}


def _case_id(case):
    name = case[0]
    _counts[name] = _counts.get(name, -1) + 1
    return f"{name}-{_counts[name]}"


CONVERTERS = {"numpy": np.asarray, "tensor": lambda a: ops.convert_to_tensor(a)}


def is_engine_tensor(backend, x):
    return backends.get(backend).is_tensor(x)


def test_every_contract_op_is_tested_and_has_the_contract_signature(backend):
    tested = {case[0] for case in CASES} | set(PLAIN) | {
        "dropout", "random_uniform", "random_normal", "random_truncated_normal", "ctc_loss",
        # convolution, pooling, normalization and scan: tests/unit/test_ops_nn.py
        "conv", "depthwise_conv", "separable_conv", "conv_transpose", "max_pool",
        "average_pool", "moments", "batch_normalization", "scan",
        # Keras 3's keras.random samplers: tests/unit/test_random.py
        "random_randint", "random_categorical", "random_shuffle", "random_gamma",
        "random_beta", "random_binomial", "random_dropout",
        # ops of Python functions: tests/unit/test_ops_keras3_nn.py
        "custom_gradient_call", "jvp",
        # tests/unit/test_ops_keras3.py and tests/layers/test_layers_attention.py
        "dot_product_attention"} | KERAS3_ENGINE_OPS | MATH_OPS
    assert set(OPS) <= tested, sorted(set(OPS) - tested)
    table = backends.get(backend).ops
    for name, (signature, _) in OPS.items():
        assert str(inspect.signature(getattr(table, name))) == signature, name


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_op_matches_numpy(backend, case):
    name, call, reference = case
    want = np.asarray(reference())
    for kind, convert in CONVERTERS.items():
        got = call(convert)
        assert is_engine_tensor(backend, got), (name, kind, type(got))
        got = ops.convert_to_numpy(got)
        assert got.shape == want.shape, (name, kind, got.shape, want.shape)
        if want.dtype == bool:
            assert got.dtype == bool, (name, kind, got.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=f"{name} ({kind})")


@pytest.mark.parametrize("name", sorted(PLAIN))
def test_shape_queries_give_python_ints(backend, name):
    for call, want in PLAIN[name]:
        for convert in CONVERTERS.values():
            got = call(convert)
            assert got == want
            assert all(type(d) is int for d in got) if isinstance(got, tuple) else type(got) is int


def dtype_of(x):
    return str(ops.convert_to_numpy(x).dtype)


def test_default_dtypes_follow_keras(backend):
    assert dtype_of(ops.convert_to_tensor(np.ones(3))) == "float32"  # numpy float64 -> floatx
    assert dtype_of(ops.convert_to_tensor(np.arange(3))) == "int32"  # numpy int64 -> int32
    assert dtype_of(ops.convert_to_tensor(1.5)) == "float32"
    assert dtype_of(ops.convert_to_tensor(3)) == "int32"
    assert dtype_of(ops.convert_to_tensor(True)) == "bool"
    assert dtype_of(ops.convert_to_tensor([1.0, 2.0])) == "float32"
    assert dtype_of(ops.convert_to_tensor(np.ones(3), dtype="float16")) == "float16"
    assert dtype_of(ops.convert_to_tensor(np.ones(3, np.float16))) == "float16"
    assert dtype_of(ops.full((2,), 3)) == "int32"
    assert dtype_of(ops.full((2,), 3.0)) == "float32"
    assert dtype_of(ops.arange(3)) == "int32"
    assert dtype_of(ops.arange(0.0, 1.0, 0.5)) == "float32"
    assert dtype_of(ops.cast(np.ones(2), "bfloat16")) == "bfloat16"


def test_scalars_and_numpy_do_not_upcast_tensors(backend):
    x = ops.convert_to_tensor(X)
    for result in (ops.add(x, 2.0), ops.multiply(2.0, x), ops.add(x, X.astype(np.float64)),
                   ops.where(B, x, 0.0), ops.maximum(x, 0), ops.power(x, 2)):
        assert is_engine_tensor(backend, result)
        assert dtype_of(result) == "float32"
    h = ops.convert_to_tensor(X, dtype="float16")
    assert dtype_of(ops.add(h, 2.0)) == "float16"
    assert dtype_of(ops.add(h, X.astype(np.float64))) == "float16"
    i = ops.convert_to_tensor(I)
    assert dtype_of(ops.add(i, 2)) == "int32"
    assert dtype_of(ops.add(i, 2.0)) == "float32"
    assert dtype_of(ops.divide(i, i)) == "float32"
    assert dtype_of(ops.sum(i)) == "int32"
    assert dtype_of(ops.cumsum(i)) == "int32"
    assert dtype_of(ops.sum(ops.convert_to_tensor(B))) == "int32"
    assert dtype_of(ops.argmax(x)) == "int32"
    assert dtype_of(ops.mean(i)) == "float32"


def test_squeeze_of_a_non_unit_axis_is_an_error(backend):
    with pytest.raises(ValueError):
        ops.squeeze(ops.convert_to_tensor(X), axis=1)


@both_backends()
def test_engines_agree_on_dtypes_and_values():
    """Parity: the same call gives the same dtype (and values) on torch and JAX."""
    from keras_bridge import config
    results = {}
    for name in ("torch", "jax"):
        config.set_backend(name)
        results[name] = [ops.convert_to_numpy(case[1](np.asarray)) for case in CASES]
    for case, t, j in zip(CASES, results["torch"], results["jax"]):
        assert t.dtype == j.dtype, (case[0], t.dtype, j.dtype)
        np.testing.assert_allclose(t, j, rtol=1e-5, atol=1e-6, err_msg=case[0])


# ---------------------------------------------------------------- randomness

def test_dropout_statistics(backend):
    x = ops.convert_to_tensor(np.ones(10000, np.float32))
    out = ops.dropout(x, 0.5)
    assert is_engine_tensor(backend, out)
    values = ops.convert_to_numpy(out)
    assert values.shape == (10000,) and values.dtype == np.float32
    assert abs(values.mean() - 1.0) < 0.1
    assert 0.45 < np.mean(values == 0) < 0.55
    np.testing.assert_array_equal(values[values != 0], 2.0)


def test_dropout_rate_zero_returns_input(backend):
    x = ops.convert_to_tensor(X)
    assert ops.dropout(x, 0.0) is x


def test_dropout_noise_shape_shares_the_mask(backend):
    x = np.ones((8, 50), np.float32)
    values = ops.convert_to_numpy(ops.dropout(x, 0.5, noise_shape=(1, None)))
    np.testing.assert_array_equal(values, np.broadcast_to(values[:1], values.shape))
    assert 0 < np.mean(values[0] == 0) < 1


def test_dropout_rejects_bad_rates(backend):
    with pytest.raises(ValueError):
        ops.dropout(X, 1.0)
    with pytest.raises(ValueError):
        ops.dropout(X, -0.1)


def test_random_uniform_range_and_shape(backend):
    out = ops.random_uniform((50, 40), minval=-2.0, maxval=3.0)
    assert is_engine_tensor(backend, out)
    values = ops.convert_to_numpy(out)
    assert values.shape == (50, 40) and values.dtype == np.float32
    assert values.min() >= -2.0 and values.max() < 3.0
    assert abs(values.mean() - 0.5) < 0.2
    assert len(np.unique(values)) > 1900


def test_random_normal_moments(backend):
    values = ops.convert_to_numpy(ops.random_normal((100, 100), mean=1.0, stddev=2.0))
    assert values.shape == (100, 100) and values.dtype == np.float32
    assert abs(values.mean() - 1.0) < 0.1
    assert abs(values.std() - 2.0) < 0.1


def test_random_truncated_normal_moments_and_bounds(backend):
    values = ops.convert_to_numpy(ops.random_truncated_normal((100, 100), mean=1.0,
                                                              stddev=2.0))
    assert values.shape == (100, 100) and values.dtype == np.float32
    assert np.abs(values - 1.0).max() <= 4.0 + 1e-6  # within two stddev
    assert abs(values.mean() - 1.0) < 0.1
    assert abs(values.std() - 2.0 * 0.8796) < 0.05  # std of N(0, 1) cut at +-2


def test_random_seed_argument_repeats_without_touching_the_stream(backend):
    for op in (ops.random_uniform, ops.random_normal, ops.random_truncated_normal):
        a = ops.convert_to_numpy(op((6,), seed=3))
        np.testing.assert_array_equal(a, ops.convert_to_numpy(op((6,), seed=3)))
        assert not np.array_equal(a, ops.convert_to_numpy(op((6,), seed=4)))
    engine = backends.get(backend)
    engine.seed(7)
    first = ops.convert_to_numpy(ops.random_uniform((5,)))
    engine.seed(7)
    ops.random_uniform((5,), seed=11)
    np.testing.assert_array_equal(first, ops.convert_to_numpy(ops.random_uniform((5,))))


def np_ctc_loss(labels, logits, blank):
    """-log p(labels | logits) by the CTC forward (alpha) recursion, in float64."""
    logits = f64(logits)
    probs = np.exp(logits - logits.max(-1, keepdims=True))
    probs /= probs.sum(-1, keepdims=True)
    ext = [blank]
    for label in labels:
        ext += [label, blank]
    alpha = np.zeros(len(ext))
    alpha[0], alpha[1] = probs[0, blank], probs[0, ext[1]] if len(ext) > 1 else 0.0
    for t in range(1, len(probs)):
        new = np.zeros_like(alpha)
        for s, c in enumerate(ext):
            total = alpha[s] + (alpha[s - 1] if s >= 1 else 0.0)
            if s >= 2 and c != blank and c != ext[s - 2]:
                total += alpha[s - 2]
            new[s] = total * probs[t, c]
        alpha = new
    return -np.log(alpha[-1] + (alpha[-2] if len(ext) > 1 else 0.0))


def test_ctc_loss_matches_the_forward_recursion(backend):
    logits = R.standard_normal((3, 6, 4)).astype(np.float32)
    target = np.array([[1, 2, 2], [3, 1, 0], [2, 0, 0]], np.int32)
    target_length, output_length = np.array([3, 2, 1]), np.array([6, 5, 3])
    loss = ops.ctc_loss(target, logits, target_length, output_length, mask_index=0)
    assert is_engine_tensor(backend, loss)
    expected = [np_ctc_loss(target[i, :target_length[i]], logits[i, :output_length[i]], 0)
                for i in range(3)]
    np.testing.assert_allclose(ops.convert_to_numpy(loss), expected, rtol=1e-5, atol=1e-5)
    # Reversing the classes maps class c to 3 - c: the same loss with blank 3.
    flipped = ops.ctc_loss(3 - target, logits[..., ::-1].copy(), target_length,
                           output_length, mask_index=3)
    np.testing.assert_allclose(ops.convert_to_numpy(flipped), expected, rtol=1e-5, atol=1e-5)


def test_seed_repeats_the_stream(backend):
    engine = backends.get(backend)
    engine.seed(7)
    first = ops.convert_to_numpy(ops.random_uniform((5,)))
    engine.seed(7)
    again = ops.convert_to_numpy(ops.random_uniform((5,)))
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(again, ops.convert_to_numpy(ops.random_uniform((5,))))


def test_jax_dropout_under_jit_with_key_scope():
    jax = pytest.importorskip("jax")
    from keras_bridge.backends.jax import random as jax_random

    from keras_bridge import context

    @jax.jit
    def step(x, key):
        # With no array argument, random_uniform follows the running program's engine.
        with jax_random.key_scope(key), context.running("jax"):
            return ops.dropout(x, 0.5), ops.random_uniform((3,))

    x = jax.numpy.ones((1000,))
    a, ua = step(x, jax.random.PRNGKey(1))
    b, ub = step(x, jax.random.PRNGKey(2))
    a_again, _ = step(x, jax.random.PRNGKey(1))
    assert not np.array_equal(np.asarray(a), np.asarray(b))
    assert not np.array_equal(np.asarray(ua), np.asarray(ub))
    np.testing.assert_array_equal(np.asarray(a), np.asarray(a_again))
    assert set(np.unique(np.asarray(a))) == {0.0, 2.0}
    assert jax_random._scope.get() is None  # the scope (and its traced key) did not leak


def test_jax_ops_trace_under_jit():
    """Every JAX op compiles inside one jax.jit (static shapes, no value-dependent branches)."""
    jax = pytest.importorskip("jax")
    from keras_bridge import context
    cases = [case for case in CASES if case[0] != "convert_to_numpy"]  # host copy: eager only

    def traced(a):  # an array computed inside the trace, hence a tracer
        a = jax.numpy.asarray(a)
        return a + jax.numpy.zeros((), a.dtype)

    with context.running("jax"):
        outputs = jax.jit(lambda: [case[1](traced) for case in cases])()
    for (name, _, reference), got in zip(cases, outputs):
        np.testing.assert_allclose(np.asarray(got), np.asarray(reference()), rtol=1e-5, atol=1e-6,
                                   err_msg=name)


def test_jax_random_op_under_jit_without_key_scope_is_an_error():
    jax = pytest.importorskip("jax")
    with pytest.raises(RuntimeError, match="key_scope"):
        jax.jit(lambda x: ops.dropout(x, 0.5))(jax.numpy.ones((4,)))


def test_torch_tensors_go_to_the_scoped_device():
    torch = pytest.importorskip("torch")
    from keras_bridge.backends.torch import ops as torch_ops
    from keras_bridge.backends.torch.tensors import current_device, using_device

    with using_device("cpu"):
        assert current_device() == torch.device("cpu")
        assert torch_ops.convert_to_tensor(X).device.type == "cpu"
        assert torch_ops.zeros((2,)).device.type == "cpu"
    with pytest.raises(ValueError):
        with using_device(""):
            pass
