"""Activations on both engines, against numpy references written here."""

import math

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import activations, ops

RTOL, ATOL = 1e-5, 1e-6
# Avoids the kinks' exact points (0, thresholds), where one-sided definitions differ.
X = (np.linspace(-8.0, 8.0, 97) + 0.0123).astype("float32")

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


REFERENCES = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "relu6": lambda x: np.clip(x, 0.0, 6.0),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
    "sigmoid": _sigmoid,
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "tanh": np.tanh,
    "elu": _elu,
    "selu": lambda x: SELU_SCALE * _elu(x, SELU_ALPHA),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "exponential": np.exp,
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "mish": lambda x: x * np.tanh(_softplus(x)),
}


def _np(x):
    return ops.convert_to_numpy(x)


def _check(result, expected, backend):
    assert backends.backend_of_type(type(result)) == backend
    np.testing.assert_allclose(_np(result), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(REFERENCES))
def test_elementwise_activation(backend, name):
    fn = activations.get(name)
    x = ops.convert_to_tensor(X)
    expected = REFERENCES[name](X.astype("float64"))
    result = fn(x)
    if name == "linear":
        assert result is x
        return
    _check(result, expected, backend)
    # numpy input gives the default engine's tensor
    _check(fn(X), expected, backend)


def test_gelu_approximate(backend):
    x64 = X.astype("float64")
    expected = 0.5 * x64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (x64 + 0.044715 * x64**3)))
    _check(activations.gelu(X, approximate=True), expected, backend)


def test_elu_alpha_and_leaky_relu_slope(backend):
    x64 = X.astype("float64")
    _check(activations.elu(X, alpha=0.5), _elu(x64, 0.5), backend)
    _check(activations.leaky_relu(X, negative_slope=0.01), np.where(x64 >= 0, x64, 0.01 * x64),
           backend)


def _softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@pytest.mark.parametrize("shape, axis", [((4, 7), -1), ((4, 7), 0), ((2, 3, 5), 1), ((6,), -1)])
def test_softmax_and_log_softmax(backend, shape, axis):
    x = np.random.default_rng(0).normal(size=shape).astype("float32") * 3.0
    expected = _softmax(x.astype("float64"), axis)
    _check(activations.softmax(x, axis=axis), expected, backend)
    _check(activations.log_softmax(x, axis=axis), np.log(expected), backend)
    if axis == -1:
        _check(activations.softmax(x), expected, backend)


def _keras_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's documented piecewise form (for threshold >= 0)."""
    top = np.inf if max_value is None else max_value
    return np.where(x >= top, top, np.where(x > threshold, x, negative_slope * (x - threshold)))


@pytest.mark.parametrize("kwargs", [
    {}, {"negative_slope": 0.1}, {"max_value": 6.0}, {"max_value": 2.5},
    {"threshold": 0.5}, {"negative_slope": 0.1, "max_value": 3.0},
    {"negative_slope": 0.2, "threshold": 1.0}, {"max_value": 4.0, "threshold": 1.5},
    {"negative_slope": 0.3, "max_value": 5.0, "threshold": 2.0},
], ids=repr)
def test_relu_options(backend, kwargs):
    _check(activations.relu(X, **kwargs), _keras_relu(X.astype("float64"), **kwargs), backend)


def test_relu_keras2_alpha_keyword(backend):
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        result = activations.relu(X, alpha=0.1)
    _check(result, _keras_relu(X.astype("float64"), negative_slope=0.1), backend)
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        result = activations.leaky_relu(X, alpha=0.3)
    _check(result, np.where(X >= 0, X, 0.3 * X), backend)
    with pytest.raises(TypeError, match="both"):
        activations.relu(X, negative_slope=0.2, alpha=0.1)
    with pytest.raises(TypeError, match="max_val"):
        activations.relu(X, max_val=3.0)


def test_get_and_serialize():
    assert activations.get(None) is activations.linear
    assert activations.get("relu") is activations.relu
    assert activations.get("swish") is activations.silu
    assert activations.get({"class_name": "function", "config": "tanh"}) is activations.tanh

    def my_activation(x):
        return x

    assert activations.get(my_activation) is my_activation
    assert activations.serialize(my_activation) == "my_activation"
    for name in REFERENCES:
        fn = activations.get(name)
        assert activations.get(activations.serialize(fn)) is fn
    assert activations.serialize(activations.swish) == "silu"


def test_errors_list_the_accepted_names():
    with pytest.raises(ValueError, match="'rleu'") as info:
        activations.get("rleu")
    assert "'relu'" in str(info.value) and "'softmax'" in str(info.value)
    with pytest.raises(ValueError, match="3"):
        activations.get(3)
    with pytest.raises(ValueError, match="no name"):
        activations.serialize(lambda x: x)


@pytest.mark.parametrize("rows, width", [(8, 10), (64, 100)])  # 80 and 6400 elements
def test_softmax_and_log_softmax_gradients(backend, rows, width):
    """Values and input gradients of ``sum(w * softmax(x))`` and of the log_softmax
    form against their closed forms in numpy. The two sizes fall on either side of the
    size below which torch computes softmax as elementwise ops on the CPU (its fused
    kernel's thread hand-off costs more there); both must give the same math."""
    from keras_bridge import backend as K
    from keras_bridge.layers import Input
    rng = np.random.default_rng(1)
    x = (rng.normal(size=(rows, width)) * 3.0).astype("float32")
    w = rng.normal(size=(width,)).astype("float32")  # a weight per column
    s = _softmax(x.astype("float64"), -1)
    inp = Input((width,))
    for op, value, grad in [
            (activations.softmax, (w * s).sum(), s * (w - (w * s).sum(-1, keepdims=True))),
            (activations.log_softmax, (w * np.log(s)).sum(),
             w - s * w.sum())]:
        loss = K.sum(ops.multiply(op(inp), w))
        got_value, got_grad = K.function([inp], [loss, K.gradients(loss, [inp])[0]])([x])
        np.testing.assert_allclose(got_value, value, rtol=1e-5)
        np.testing.assert_allclose(got_grad, grad, rtol=1e-4, atol=1e-5)


def test_exact_gelu_on_a_large_input(backend):
    """Above the size up to which torch composes the exact gelu on the CPU
    (backends/torch/small_tensors.py) its fused kernel runs: the same values."""
    x = np.tile(X, 100)  # 9700 elements
    _check(activations.gelu(x), REFERENCES["gelu"](x.astype("float64")), backend)
