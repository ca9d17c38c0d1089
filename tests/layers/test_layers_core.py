"""Core layers (Input, Dense, Activation, Dropout, Flatten, Reshape, Permute,
RepeatVector, Lambda) on both engines, against numpy references written here.

Every numeric reference below is numpy math on the input and the layer's
``get_weights()`` (Keras layout); nothing is computed by the code under test.
"""

import math

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, Sequential, activations, constraints, config
from keras_bridge import initializers, layers, ops, regularizers, testing
from keras_bridge.utils import set_random_seed
from support.layer_checks import rand as _rand, run_eager as _run, config_roundtrip as _roundtrip
from support.layer_checks import assert_close as _assert_close

RTOL, ATOL = 1e-5, 1e-6


def _close(got, want, rtol=RTOL, atol=ATOL):
    _assert_close(got, want, rtol, atol)


# ---- helpers -------------------------------------------------------------------------
def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _softplus(x):
    return np.log1p(np.exp(-np.abs(x))) + np.maximum(x, 0.0)


def _elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _softmax(x):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf)

# Keras 3 definitions (the project follows Keras 3 where Keras 2 differs: hard_sigmoid
# is relu6(x + 3) / 6, gelu is the exact erf form, leaky_relu's default slope is 0.2).
ACTIVATIONS = {
    "linear": lambda x: x,
    "relu": lambda x: np.maximum(x, 0.0),
    "sigmoid": _sigmoid,
    "softmax": _softmax,
    "tanh": np.tanh,
    "elu": _elu,
    "selu": lambda x: _SELU_SCALE * _elu(x, _SELU_ALPHA),
    "softplus": _softplus,
    "softsign": lambda x: x / (1.0 + np.abs(x)),
    "hard_sigmoid": lambda x: np.clip(x / 6.0 + 0.5, 0.0, 1.0),
    "exponential": np.exp,
    "gelu": lambda x: 0.5 * x * (1.0 + _erf(x / math.sqrt(2.0))),
    "silu": lambda x: x * _sigmoid(x),
    "swish": lambda x: x * _sigmoid(x),
    "leaky_relu": lambda x: np.where(x >= 0, x, 0.2 * x),
}
# Away from the kinks (0, +-3), where one-sided definitions may differ.
ACT_X = (np.linspace(-4.0, 4.0, 24) + 0.0123).astype("float32").reshape(4, 6)


# ---- Input / InputLayer --------------------------------------------------------------
def test_input_shapes_and_dtype():
    assert Input(shape=(3,)).shape == (None, 3)
    assert Input(shape=(2, 5)).shape == (None, 2, 5)
    assert Input(shape=(None, 4)).shape == (None, None, 4)
    assert Input(shape=3).shape == (None, 3)
    assert Input(shape=(3,), batch_size=8).shape == (8, 3)
    assert Input(batch_shape=(4, 5)).shape == (4, 5)
    assert Input(shape=(3,)).dtype == "float32"
    assert Input(shape=(3,), dtype="int32").dtype == "int32"


def test_input_names():
    first = Input(shape=(3,))
    assert first.node.layer.name == "input_1"
    assert Input(shape=(3,)).node.layer.name == "input_2"
    named = Input(shape=(3,), name="pixels")
    assert named.node.layer.name == "pixels"
    assert isinstance(named.node.layer, layers.InputLayer)
    assert named.node.layer.built


def test_input_without_shape_is_an_error():
    with pytest.raises(ValueError, match="shape"):
        Input()
    with pytest.raises(ValueError, match="shape"):
        layers.InputLayer()


@pytest.mark.parametrize("shape", [(-1,), (2.5,), ("3",), (True,)])
def test_input_bad_dimensions(shape):
    with pytest.raises(ValueError, match="non-negative ints or None"):
        Input(shape=shape)


@pytest.mark.parametrize("kwargs", [{"shape": (3,), "batch_size": 0},
                                    {"shape": (3,), "batch_size": -2},
                                    {"batch_shape": (0, 3)}])
def test_input_batch_size_must_be_positive(backend, kwargs):
    with pytest.raises(ValueError, match="batch_size to be a positive integer or None"):
        Input(**kwargs)
    with pytest.raises(ValueError, match="batch_size"):
        Sequential([layers.Dense(2, input_shape=(3,), batch_size=0)])
    assert Input(shape=(0,), batch_size=2).shape == (2, 0)  # an empty sample axis is fine
    model = Sequential([Input(shape=(3,), batch_size=1), layers.Dense(2)])
    assert model.predict(np.ones((1, 3), np.float32), verbose=0).shape == (1, 2)


def test_input_layer_config_roundtrip():
    layer = layers.InputLayer(input_shape=(3, 4), batch_size=2, name="inp")
    clone = _roundtrip(layer)
    assert clone.get_config()["batch_input_shape"] == (2, 3, 4)
    assert clone.output.shape == (2, 3, 4)
    assert clone.count_params() == 0


def test_input_layer_unknown_keyword():
    with pytest.raises(TypeError, match="sparse"):
        layers.InputLayer(input_shape=(3,), sparse=True)


def test_model_on_input_passes_values_through(backend):
    x = _rand(5, 3)
    inputs = Input(shape=(3,))
    _close(Model(inputs, inputs).predict(x), x, rtol=0, atol=0)
    model = Model(inputs, layers.Activation("linear")(inputs))
    _close(model.predict(x), x, rtol=0, atol=0)


# ---- Dense: shapes and weights -------------------------------------------------------
def test_dense_symbolic_shapes():
    assert layers.Dense(5)(Input(shape=(4,))).shape == (None, 5)
    assert layers.Dense(5)(Input(shape=(3, 4))).shape == (None, 3, 5)
    assert layers.Dense(5)(Input(shape=(None, 4))).shape == (None, None, 5)
    assert layers.Dense(2)(Input(shape=(4,), batch_size=7)).shape == (7, 2)


def test_dense_weights_in_keras_layout(backend):
    layer = layers.Dense(3)
    layer(Input(shape=(6,)))
    kernel, bias = layer.get_weights()
    assert kernel.shape == (6, 3) and bias.shape == (3,)
    assert kernel.dtype == np.float32 and bias.dtype == np.float32
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    assert layer.weights[0] is layer.kernel and layer.weights[1] is layer.bias
    np.testing.assert_array_equal(bias, 0.0)
    layer(_rand(4, 6))  # binds to the engine, which may hold another layout
    bound_kernel, bound_bias = layer.get_weights()
    np.testing.assert_array_equal(bound_kernel, kernel)
    np.testing.assert_array_equal(bound_bias, bias)


def test_dense_same_seed_same_weights():
    set_random_seed(7)
    a = layers.Dense(3)
    a(Input(shape=(4,)))
    set_random_seed(7)
    b = layers.Dense(3)
    b(Input(shape=(4,)))
    set_random_seed(8)
    c = layers.Dense(3)
    c(Input(shape=(4,)))
    np.testing.assert_array_equal(a.get_weights()[0], b.get_weights()[0])
    assert not np.array_equal(a.get_weights()[0], c.get_weights()[0])


def test_dense_glorot_uniform_default_range():
    layer = layers.Dense(30)
    layer(Input(shape=(20,)))
    limit = math.sqrt(6.0 / (20 + 30))
    kernel = layer.get_weights()[0]
    assert np.abs(kernel).max() <= limit
    assert kernel.std() > limit / 4  # not degenerate


# ---- Dense: numerics -----------------------------------------------------------------
def test_dense_forward_eager(backend):
    set_random_seed(1)
    layer = layers.Dense(3, activation="tanh", bias_initializer="random_normal")
    x = _rand(4, 6)
    got = _run(layer, x, backend)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (6, 3)
    assert np.abs(bias).max() > 0  # the bias takes part
    _close(got, np.tanh(x @ kernel + bias))


def test_dense_forward_in_model(backend):
    set_random_seed(2)
    inputs = Input(shape=(4,))
    hidden = layers.Dense(6, activation="relu", bias_initializer="ones")
    out = layers.Dense(2)
    model = Model(inputs, out(hidden(inputs)))
    x = _rand(7, 4)
    got = model.predict(x, batch_size=3)
    k1, b1 = hidden.get_weights()
    k2, b2 = out.get_weights()
    _close(got, np.maximum(x @ k1 + b1, 0.0) @ k2 + b2)


def test_dense_on_3d_input_acts_on_last_axis(backend):
    layer = layers.Dense(5, bias_initializer="ones")
    x = _rand(2, 3, 4)
    got = _run(layer, x, backend)
    kernel, bias = layer.get_weights()
    assert got.shape == (2, 3, 5)
    _close(got, np.einsum("bti,io->bto", x, kernel) + bias)


def test_dense_on_3d_input_in_model(backend):
    inputs = Input(shape=(3, 4))
    layer = layers.Dense(2)
    model = Model(inputs, layer(inputs))
    x = _rand(5, 3, 4)
    kernel, bias = layer.get_weights()
    _close(model.predict(x), x @ kernel + bias)


def test_dense_without_bias(backend):
    layer = layers.Dense(3, use_bias=False)
    x = _rand(4, 6)
    got = _run(layer, x, backend)
    weights = layer.get_weights()
    assert len(weights) == 1 and weights[0].shape == (6, 3)
    assert layer.bias is None
    _close(got, x @ weights[0])
    assert layer.count_params() == 18


def test_dense_initializers(backend):
    layer = layers.Dense(3, kernel_initializer="ones",
                         bias_initializer=initializers.Constant(0.5))
    x = _rand(4, 6)
    got = _run(layer, x, backend)
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, np.ones((6, 3), np.float32))
    np.testing.assert_array_equal(bias, np.full((3,), 0.5, np.float32))
    _close(got, np.repeat(x.sum(axis=1, keepdims=True), 3, axis=1) + 0.5)


def test_dense_initializer_instances_and_classes():
    layer = layers.Dense(4, kernel_initializer=initializers.Zeros,
                         bias_initializer=initializers.Constant(-2.0))
    layer(Input(shape=(3,)))
    kernel, bias = layer.get_weights()
    np.testing.assert_array_equal(kernel, 0.0)
    np.testing.assert_array_equal(bias, -2.0)


def test_dense_regularizers_and_constraints_are_stored():
    layer = layers.Dense(3, kernel_regularizer="l2", bias_regularizer=regularizers.L1(0.1),
                         activity_regularizer=regularizers.L1L2(l1=0.01, l2=0.02),
                         kernel_constraint="max_norm", bias_constraint=constraints.NonNeg())
    assert isinstance(layer.kernel_regularizer, regularizers.L2)
    assert isinstance(layer.bias_regularizer, regularizers.L1)
    assert isinstance(layer.activity_regularizer, regularizers.L1L2)
    assert isinstance(layer.kernel_constraint, constraints.MaxNorm)
    assert isinstance(layer.bias_constraint, constraints.NonNeg)
    layer(Input(shape=(2,)))
    assert layer.kernel.regularizer is layer.kernel_regularizer
    assert layer.bias.regularizer is layer.bias_regularizer
    assert layer.kernel.constraint is layer.kernel_constraint
    assert layer.bias.constraint is layer.bias_constraint
    cfg = layer.get_config()
    assert cfg["kernel_regularizer"]["class_name"] == "L2"
    assert cfg["bias_regularizer"]["class_name"] == "L1"
    assert cfg["activity_regularizer"]["class_name"] == "L1L2"
    assert cfg["kernel_constraint"]["class_name"] == "MaxNorm"
    assert cfg["bias_constraint"]["class_name"] == "NonNeg"
    clone = _roundtrip(layer)
    assert isinstance(clone.kernel_regularizer, regularizers.L2)
    assert isinstance(clone.bias_constraint, constraints.NonNeg)


def test_dense_input_dim(backend):
    layer = layers.Dense(3, input_dim=6)
    assert layer.get_config()["batch_input_shape"] == (None, 6)
    model = Sequential([layer])
    assert model.outputs[0].shape == (None, 3)
    x = _rand(4, 6)
    kernel, bias = layer.get_weights()
    _close(model.predict(x), x @ kernel + bias)


def test_dense_legacy_output_dim():
    with pytest.warns(DeprecationWarning, match="units"):
        layer = layers.Dense(output_dim=7)
    assert layer.units == 7
    assert layer(Input(shape=(2,))).shape == (None, 7)
    assert layer.get_config()["units"] == 7
    assert "output_dim" not in layer.get_config()


@pytest.mark.parametrize("units", [0, -3, 2.5, None, True, "4"])
def test_dense_bad_units(units):
    with pytest.raises(ValueError, match="units"):
        layers.Dense(units)


def test_dense_unknown_dim_is_an_error():
    with pytest.raises(ValueError, match="last dimension"):
        layers.Dense(3, name="late")(Input(shape=(4, None)))


# ---- Dense: wrong inputs -------------------------------------------------------------
def test_dense_symbolic_last_dim_mismatch():
    layer = layers.Dense(3, name="fc")
    layer(Input(shape=(4,)))
    with pytest.raises(ValueError) as info:
        layer(Input(shape=(5,)))
    msg = str(info.value)
    assert "'fc'" in msg and "value 4" in msg and "(None, 5)" in msg


def test_dense_symbolic_wrong_rank():
    """A rank-1 input breaks Dense's InputSpec (min_ndim=2); the error must say so, not
    complain that the (batch) axis it mistook for the feature axis is unknown."""
    layer = layers.Dense(3, name="fc1")
    with pytest.raises(ValueError) as info:
        layer(Input(shape=()))
    msg = str(info.value)
    assert "'fc1'" in msg and "min_ndim=2" in msg and "(None,)" in msg
    assert not layer.built


def test_dense_symbolic_wrong_rank_with_known_batch_leaves_layer_unbuilt():
    layer = layers.Dense(3, name="fc1b")
    with pytest.raises(ValueError, match=r"'fc1b'.*min_ndim=2"):
        layer(Input(batch_shape=(4,)))
    assert not layer.built and layer.weights == []
    # The failed call must not have fixed the input size: a good input still works.
    assert layer(Input(shape=(5,))).shape == (None, 3)
    assert layer.get_weights()[0].shape == (5, 3)


def test_dense_eager_last_dim_mismatch(backend):
    layer = layers.Dense(3, name="fc2")
    layer(_rand(4, 6))
    before = layer.get_weights()
    with pytest.raises(ValueError) as info:
        layer(_rand(4, 5))
    msg = str(info.value)
    assert "'fc2'" in msg and "value 6" in msg and "(4, 5)" in msg
    for a, b in zip(layer.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_dense_eager_wrong_rank(backend):
    layer = layers.Dense(3, name="fc3")
    with pytest.raises(ValueError) as info:
        layer(_rand(4))
    msg = str(info.value)
    assert "'fc3'" in msg and "min_ndim=2" in msg and "(4,)" in msg


def test_dense_eager_wrong_rank_leaves_layer_unbuilt(backend):
    """Bad input never leaves a layer half-changed: the rejected rank-1 call must not
    build a (4, 3) kernel that then rejects the first correct input."""
    layer = layers.Dense(3, name="fc4")
    with pytest.raises(ValueError, match="min_ndim=2"):
        layer(_rand(4))
    assert not layer.built and layer.weights == []
    x = _rand(4, 6)
    got = _run(layer, x, backend)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (6, 3)
    _close(got, x @ kernel + bias)


# ---- set_weights ---------------------------------------------------------------------
def _weights_unchanged(layer, before):
    after = layer.get_weights()
    assert len(after) == len(before)
    for a, b in zip(after, before):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound"])
def test_dense_set_weights_wrong_count_changes_nothing(backend, bound):
    layer = layers.Dense(3, name="fcw", bias_initializer="ones")
    if bound:
        layer(_rand(4, 6))
        assert layer.kernel.backend_name == backend
    else:
        layer(Input(shape=(6,)))
        assert layer.kernel.backend_name is None
    before = layer.get_weights()
    with pytest.raises(ValueError, match=r"'fcw' expects 2 weights.*received 1"):
        layer.set_weights([np.zeros((6, 3), np.float32)])
    _weights_unchanged(layer, before)
    with pytest.raises(ValueError, match=r"'fcw' expects 2 weights.*received 3"):
        layer.set_weights([np.zeros((6, 3)), np.zeros(3), np.zeros(3)])
    _weights_unchanged(layer, before)


@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound"])
def test_dense_set_weights_wrong_shape_changes_nothing(backend, bound):
    layer = layers.Dense(3, name="fcs", bias_initializer="ones")
    if bound:
        layer(_rand(4, 6))
    else:
        layer(Input(shape=(6,)))
    before = layer.get_weights()
    # The first array fits, the second does not: the first must not be written either.
    with pytest.raises(ValueError) as info:
        layer.set_weights([np.full((6, 3), 9.0, np.float32), np.zeros((4,), np.float32)])
    msg = str(info.value)
    assert "'fcs'" in msg and "(3,)" in msg and "(4,)" in msg
    _weights_unchanged(layer, before)
    # The torch layout (out, in) is not accepted for the kernel.
    with pytest.raises(ValueError, match=r"\(6, 3\).*\(3, 6\)"):
        layer.set_weights([np.zeros((3, 6), np.float32), np.zeros((3,), np.float32)])
    _weights_unchanged(layer, before)
    if bound:  # the engine's copy still computes with the old weights
        x = _rand(4, 6)
        _close(_run(layer, x, backend), x @ before[0] + before[1])


@pytest.mark.parametrize("bound", [False, True], ids=["unbound", "bound"])
def test_dense_set_weights_takes_effect(backend, bound):
    layer = layers.Dense(3)
    if bound:
        layer(_rand(4, 6))
    else:
        layer(Input(shape=(6,)))
    kernel = _rand(6, 3, seed=5)
    bias = _rand(3, seed=6)
    layer.set_weights([kernel, bias])
    got_k, got_b = layer.get_weights()
    np.testing.assert_array_equal(got_k, kernel)
    np.testing.assert_array_equal(got_b, bias)
    x = _rand(4, 6)
    _close(_run(layer, x, backend), x @ kernel + bias)


def test_dense_weights_argument_sets_initial_values(backend):
    kernel = _rand(6, 3, seed=3)
    bias = _rand(3, seed=4)
    layer = layers.Dense(3, weights=[kernel, bias])
    x = _rand(4, 6)
    _close(_run(layer, x, backend), x @ kernel + bias)


# ---- trainable / count_params --------------------------------------------------------
def test_dense_trainable_false_moves_weights():
    layer = layers.Dense(3)
    layer(Input(shape=(4,)))
    assert layer.count_params() == 4 * 3 + 3
    assert [w.name for w in layer.trainable_weights] == ["kernel", "bias"]
    assert layer.non_trainable_weights == []
    layer.trainable = False
    assert layer.trainable_weights == []
    assert [w.name for w in layer.non_trainable_weights] == ["kernel", "bias"]
    assert layer.count_params() == 15
    assert layer.get_config()["trainable"] is False
    layer.trainable = True
    assert len(layer.trainable_weights) == 2 and layer.non_trainable_weights == []


def test_dense_trainable_false_in_constructor_and_config():
    layer = layers.Dense(2, trainable=False, use_bias=False)
    layer(Input(shape=(5,)))
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 1
    assert layer.count_params() == 10
    clone = _roundtrip(layer)
    assert clone.trainable is False


def test_frozen_layer_weights_leave_model_trainable_weights():
    inputs = Input(shape=(4,))
    first, second = layers.Dense(3), layers.Dense(2)
    model = Model(inputs, second(first(inputs)))
    first.trainable = False
    assert [w.path for w in model.trainable_weights] == [
        f"{second.name}/kernel", f"{second.name}/bias"]
    assert [w.path for w in model.non_trainable_weights] == [
        f"{first.name}/kernel", f"{first.name}/bias"]
    assert model.count_params() == 15 + 8


def test_count_params_before_build_is_an_error():
    with pytest.raises(ValueError, match="not built"):
        layers.Dense(3, name="unbuilt").count_params()


@pytest.mark.parametrize("make", [
    lambda: layers.Activation("relu"), lambda: layers.Dropout(0.5), lambda: layers.Flatten(),
    lambda: layers.Reshape((2, 2)), lambda: layers.Permute((2, 1)),
    lambda: layers.RepeatVector(2),
], ids=["Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector"])
def test_weightless_layers_have_no_params(make):
    layer = make()
    shape = (2,) if isinstance(layer, layers.RepeatVector) else (2, 2)
    layer(Input(shape=shape))
    assert layer.weights == [] and layer.get_weights() == []
    assert layer.count_params() == 0
    layer.set_weights([])
    with pytest.raises(ValueError, match="expects 0 weights"):
        layer.set_weights([np.zeros(2)])


# ---- Activation ----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layer_by_name(backend, name):
    layer = layers.Activation(name)
    assert layer(Input(shape=(6,))).shape == (None, 6)
    _close(_run(layer, ACT_X, backend), ACTIVATIONS[name](ACT_X.astype(np.float64)))


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_layer_by_function(backend, name):
    layer = layers.Activation(getattr(activations, name))
    _close(_run(layer, ACT_X, backend), ACTIVATIONS[name](ACT_X.astype(np.float64)))
    assert layer.get_config()["activation"] == ("silu" if name == "swish" else name)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_dense_activation(backend, name):
    kernel = (_rand(6, 6, seed=11) * 0.5).astype("float32")
    bias = _rand(6, seed=12)
    layer = layers.Dense(6, activation=name, weights=[kernel, bias])
    z = ACT_X.astype(np.float64) @ kernel + bias
    _close(_run(layer, ACT_X, backend), ACTIVATIONS[name](z))


@pytest.mark.parametrize("name", ["relu", "softmax", "gelu", "exponential"])
def test_activation_in_model(backend, name):
    inputs = Input(shape=(6,))
    model = Model(inputs, layers.Activation(name)(inputs))
    _close(model.predict(ACT_X), ACTIVATIONS[name](ACT_X.astype(np.float64)))


def test_activation_none_is_linear(backend):
    layer = layers.Activation(None)
    _close(_run(layer, ACT_X, backend), ACT_X)
    assert layer.get_config()["activation"] == "linear"
    assert layers.Dense(2).get_config()["activation"] == "linear"


def test_custom_activation_function(backend):
    def doubled_tanh(x):
        return ops.multiply(ops.tanh(x), 2.0)

    layer = layers.Activation(doubled_tanh)
    _close(_run(layer, ACT_X, backend), 2.0 * np.tanh(ACT_X))
    assert layer.get_config()["activation"] == "doubled_tanh"
    dense = layers.Dense(6, activation=doubled_tanh, bias_initializer="ones")
    got = _run(dense, ACT_X, backend)
    kernel, bias = dense.get_weights()
    _close(got, 2.0 * np.tanh(ACT_X @ kernel + bias))


def test_user_function_named_like_a_builtin_runs_as_written(backend):
    """A user function named like a built-in must run as written, not as the built-in."""
    def relu(x):
        return ops.multiply(x, 3.0)

    _close(_run(layers.Activation(relu), ACT_X, backend), 3.0 * ACT_X)
    dense = layers.Dense(6, activation=relu, use_bias=False)
    got = _run(dense, ACT_X, backend)
    _close(got, 3.0 * (ACT_X @ dense.get_weights()[0]))


@pytest.mark.parametrize("make", [lambda: layers.Activation("nope"),
                                  lambda: layers.Dense(3, activation="nope")],
                         ids=["Activation", "Dense"])
def test_unknown_activation_lists_accepted_names(make):
    with pytest.raises(ValueError) as info:
        make()
    msg = str(info.value)
    assert "'nope'" in msg
    for name in ("relu", "sigmoid", "softmax", "tanh", "gelu", "swish"):
        assert f"'{name}'" in msg


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation_config_roundtrip(name):
    layer = layers.Activation(name)
    clone = _roundtrip(layer)
    assert clone.activation is activations.get(name)


# ---- Dropout -------------------------------------------------------------------------
def test_dropout_symbolic_shape():
    assert layers.Dropout(0.5)(Input(shape=(3, 4))).shape == (None, 3, 4)
    assert layers.Dropout(0.5)(Input(shape=(None,))).shape == (None, None)


def test_dropout_is_identity_at_inference(backend):
    x = _rand(6, 5)
    layer = layers.Dropout(0.5)
    _close(_run(layer, x, backend), x, rtol=0, atol=0)
    _close(_run(layer, x, backend, training=False), x, rtol=0, atol=0)
    inputs = Input(shape=(5,))
    model = Model(inputs, layers.Dropout(0.9)(inputs))
    _close(model.predict(x), x, rtol=0, atol=0)


def test_dropout_in_training(backend):
    rate = 0.3
    set_random_seed(123)
    x = _rand(200, 500, low=1.0, high=2.0)  # no zeros in the input
    tensor = ops.convert_to_tensor(x)
    got = _run(layers.Dropout(rate), tensor, backend, training=True)
    assert got.shape == x.shape
    dropped = got == 0
    # 100,000 Bernoulli draws: the standard error of the fraction is below 0.0015.
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(got[~dropped], x[~dropped] / (1.0 - rate), rtol=1e-6)


def test_dropout_rate_one_in_training_drops_everything(backend):
    """rate=1.0 passes the layer's own check (0 <= rate <= 1, as in Keras), so in
    training every unit is dropped, on every engine alike."""
    x = ops.convert_to_tensor(_rand(4, 6, low=1.0, high=2.0))
    _close(_run(layers.Dropout(1.0), x, backend, training=True), np.zeros((4, 6)),
           rtol=0, atol=0)


def test_dropout_rate_zero_in_training_is_identity(backend):
    x = _rand(4, 5)
    _close(_run(layers.Dropout(0.0), ops.convert_to_tensor(x), backend, training=True), x,
           rtol=0, atol=0)


def test_dropout_same_seed_same_mask(backend):
    x = ops.convert_to_tensor(_rand(200, 500, low=1.0, high=2.0))
    set_random_seed(5)
    first = _run(layers.Dropout(0.5), x, backend, training=True)
    set_random_seed(5)
    second = _run(layers.Dropout(0.5), x, backend, training=True)
    third = _run(layers.Dropout(0.5), x, backend, training=True)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second == 0, third == 0)


def test_dropout_noise_shape(backend):
    set_random_seed(9)
    x = _rand(500, 200, low=1.0, high=2.0)
    got = _run(layers.Dropout(0.5, noise_shape=(None, 1)), ops.convert_to_tensor(x),
               backend, training=True)
    dropped_rows = (got == 0).all(axis=1)
    kept_rows = (got != 0).all(axis=1)
    assert (dropped_rows | kept_rows).all()  # one draw per row
    assert 0.4 < dropped_rows.mean() < 0.6
    np.testing.assert_allclose(got[kept_rows], x[kept_rows] * 2.0, rtol=1e-6)


@pytest.mark.parametrize("rate", [-0.1, 1.5, "0.5", None, True])
def test_dropout_rate_validation(rate):
    with pytest.raises(ValueError, match="rate"):
        layers.Dropout(rate)


def test_dropout_config_roundtrip():
    clone = _roundtrip(layers.Dropout(0.25, noise_shape=(None, 1), seed=3, name="drop"))
    assert clone.rate == 0.25 and clone.noise_shape == (None, 1) and clone.seed == 3


# ---- Flatten -------------------------------------------------------------------------
def test_flatten_symbolic_shapes():
    assert layers.Flatten()(Input(shape=(2, 3, 4))).shape == (None, 24)
    assert layers.Flatten()(Input(shape=(5,))).shape == (None, 5)
    assert layers.Flatten()(Input(shape=(None, 3))).shape == (None, None)
    assert layers.Flatten(data_format="channels_first")(
        Input(shape=(3, 4, 5))).shape == (None, 60)


def test_flatten_rank_one_input(backend):
    assert layers.Flatten()(Input(shape=())).shape == (None, 1)
    x = _rand(4)
    _close(_run(layers.Flatten(), x, backend), x[:, None], rtol=0, atol=0)


def test_flatten_channels_last(backend):
    x = _rand(2, 3, 4, 5)
    _close(_run(layers.Flatten(), x, backend), x.reshape(2, 60), rtol=0, atol=0)


def test_flatten_channels_first_moves_channels_last(backend):
    x = _rand(2, 3, 4, 5)  # (batch, channels, height, width)
    got = _run(layers.Flatten(data_format="channels_first"), x, backend)
    want = np.transpose(x, (0, 2, 3, 1)).reshape(2, 60)
    assert not np.array_equal(want, x.reshape(2, 60))
    _close(got, want, rtol=0, atol=0)
    x3 = _rand(2, 3, 4)  # (batch, channels, steps)
    got3 = _run(layers.Flatten(data_format="channels_first"), x3, backend)
    _close(got3, np.transpose(x3, (0, 2, 1)).reshape(2, 12), rtol=0, atol=0)


def test_flatten_default_data_format_follows_config():
    config.set_image_data_format("channels_first")
    assert layers.Flatten().data_format == "channels_first"
    config.reset()
    assert layers.Flatten().data_format == "channels_last"


def test_flatten_then_dense_in_model(backend):
    inputs = Input(shape=(3, 2, 2))
    dense = layers.Dense(4)
    model = Model(inputs, dense(layers.Flatten(data_format="channels_first")(inputs)))
    x = _rand(5, 3, 2, 2)
    kernel, bias = dense.get_weights()
    want = np.transpose(x, (0, 2, 3, 1)).reshape(5, 12) @ kernel + bias
    _close(model.predict(x), want)


def test_flatten_bad_data_format():
    with pytest.raises(ValueError, match="channels_last"):
        layers.Flatten(data_format="NCHW")


def test_flatten_config_roundtrip():
    assert _roundtrip(layers.Flatten(data_format="channels_first")).data_format == \
        "channels_first"


# ---- Reshape -------------------------------------------------------------------------
def test_reshape_symbolic_shapes():
    assert layers.Reshape((3, 4))(Input(shape=(12,))).shape == (None, 3, 4)
    assert layers.Reshape((-1, 2))(Input(shape=(12,))).shape == (None, 6, 2)
    assert layers.Reshape((2, -1))(Input(shape=(3, 4))).shape == (None, 2, 6)
    assert layers.Reshape((-1,))(Input(shape=(None, 4))).shape == (None, None)
    assert layers.Reshape((2, 3))(Input(shape=(6,), batch_size=5)).shape == (5, 2, 3)


@pytest.mark.parametrize("target", [(3, 4), (-1, 2), (2, 3, -1), (12,)])
def test_reshape_values(backend, target):
    x = _rand(2, 12)
    got = _run(layers.Reshape(target), x, backend)
    _close(got, x.reshape((2,) + target), rtol=0, atol=0)


def test_reshape_in_model(backend):
    inputs = Input(shape=(2, 6))
    model = Model(inputs, layers.Reshape((-1, 3))(inputs))
    x = _rand(4, 2, 6)
    _close(model.predict(x), x.reshape(4, 4, 3), rtol=0, atol=0)


@pytest.mark.parametrize("target", [(-1, -1), (0, 3), (-2, 6)])
def test_reshape_bad_target(target):
    with pytest.raises(ValueError, match="target_shape"):
        layers.Reshape(target)


@pytest.mark.parametrize("target", [(5,), (5, -1), (2, 2, 2)])
def test_reshape_incompatible_size_names_layer(target):
    with pytest.raises(ValueError) as info:
        layers.Reshape(target, name="my_reshape")(Input(shape=(12,)))
    msg = str(info.value)
    assert "'my_reshape'" in msg and "(None, 12)" in msg


def test_reshape_incompatible_size_eager_names_layer(backend):
    """An eager call with a size that cannot fit is the same mistake as a symbolic one:
    it must raise the layer's ValueError, not an engine-specific error."""
    with pytest.raises(ValueError, match="'eager_reshape'"):
        layers.Reshape((4,), name="eager_reshape")(_rand(2, 3))


def test_reshape_config_roundtrip():
    assert _roundtrip(layers.Reshape((2, -1))).target_shape == (2, -1)


# ---- Permute -------------------------------------------------------------------------
def test_permute_symbolic_shapes():
    assert layers.Permute((2, 1))(Input(shape=(3, 4))).shape == (None, 4, 3)
    assert layers.Permute((3, 1, 2))(Input(shape=(2, 3, 4))).shape == (None, 4, 2, 3)
    assert layers.Permute((2, 1))(Input(shape=(None, 4))).shape == (None, 4, None)


@pytest.mark.parametrize("dims", [(2, 1), (1, 2)])
def test_permute_values_2d(backend, dims):
    x = _rand(2, 3, 4)
    got = _run(layers.Permute(dims), x, backend)
    _close(got, np.transpose(x, (0,) + dims), rtol=0, atol=0)


def test_permute_values_3d(backend):
    x = _rand(2, 3, 4, 5)
    _close(_run(layers.Permute((3, 1, 2)), x, backend), np.transpose(x, (0, 3, 1, 2)),
           rtol=0, atol=0)


@pytest.mark.parametrize("dims", [(0, 1), (1, 3), (1, 1), (2, 3)])
def test_permute_invalid_dims(dims):
    with pytest.raises(ValueError, match="dims"):
        layers.Permute(dims)


def test_permute_wrong_input_rank_names_layer():
    with pytest.raises(ValueError, match=r"'perm'.*ndim=3.*ndim=2"):
        layers.Permute((2, 1), name="perm")(Input(shape=(5,)))


def test_permute_config_roundtrip():
    assert _roundtrip(layers.Permute((3, 1, 2))).dims == (3, 1, 2)


# ---- RepeatVector --------------------------------------------------------------------
def test_repeat_vector_symbolic_shapes():
    assert layers.RepeatVector(4)(Input(shape=(3,))).shape == (None, 4, 3)
    assert layers.RepeatVector(1)(Input(shape=(3,), batch_size=2)).shape == (2, 1, 3)


def test_repeat_vector_values(backend):
    x = _rand(2, 3)
    got = _run(layers.RepeatVector(4), x, backend)
    _close(got, np.repeat(x[:, None, :], 4, axis=1), rtol=0, atol=0)


@pytest.mark.parametrize("n", [0, -1, 2.5, None])
def test_repeat_vector_bad_n(n):
    with pytest.raises(ValueError, match="n"):
        layers.RepeatVector(n)


def test_repeat_vector_wrong_rank_names_layer():
    with pytest.raises(ValueError, match=r"'rep'.*ndim=2.*ndim=3"):
        layers.RepeatVector(2, name="rep")(Input(shape=(3, 4)))


def test_repeat_vector_config_roundtrip():
    assert _roundtrip(layers.RepeatVector(5)).n == 5


# ---- Lambda --------------------------------------------------------------------------
def test_lambda_output_shape_given():
    layer = layers.Lambda(lambda x: ops.sum(x, axis=-1, keepdims=True), output_shape=(1,))
    assert layer(Input(shape=(4,))).shape == (None, 1)


def test_lambda_output_shape_inferred():
    doubled = layers.Lambda(lambda x: ops.concatenate([x, x], axis=-1))
    assert doubled(Input(shape=(3,))).shape == (None, 6)
    mean = layers.Lambda(lambda x: ops.mean(x, axis=1))
    assert mean(Input(shape=(None, 3))).shape == (None, 3)
    same = layers.Lambda(lambda x: ops.square(x))
    assert same(Input(shape=(None, 2))).shape == (None, None, 2)


def test_lambda_output_shape_function():
    layer = layers.Lambda(lambda x: ops.concatenate([x, x], axis=1),
                          output_shape=lambda s: (s[0], s[1] * 2))
    assert layer(Input(shape=(3,))).shape == (None, 6)


def test_lambda_on_a_list_of_inputs(backend):
    a, b = Input(shape=(3,)), Input(shape=(3,))
    layer = layers.Lambda(lambda xs: ops.multiply(xs[0], xs[1]))
    out = layer([a, b])
    assert out.shape == (None, 3)
    model = Model([a, b], out)
    x, y = _rand(4, 3, seed=1), _rand(4, 3, seed=2)
    _close(model.predict([x, y]), x * y)


def test_lambda_values(backend):
    layer = layers.Lambda(lambda x: ops.multiply(ops.square(x), 0.5))
    x = _rand(3, 4)
    _close(_run(layer, x, backend), 0.5 * x ** 2)


def test_lambda_arguments(backend):
    def scale_shift(x, scale, shift=0.0):
        return ops.add(ops.multiply(x, scale), shift)

    layer = layers.Lambda(scale_shift, arguments={"scale": 3.0, "shift": -1.0})
    x = _rand(3, 4)
    _close(_run(layer, x, backend), 3.0 * x - 1.0)
    assert layer(Input(shape=(4,))).shape == (None, 4)


def test_lambda_in_model(backend):
    inputs = Input(shape=(4,))
    dense = layers.Dense(3)
    out = layers.Lambda(lambda x: ops.sum(ops.square(x), axis=-1, keepdims=True))(
        dense(inputs))
    assert out.shape == (None, 1)
    model = Model(inputs, out)
    x = _rand(5, 4)
    kernel, bias = dense.get_weights()
    _close(model.predict(x), ((x @ kernel + bias) ** 2).sum(axis=-1, keepdims=True))


def test_lambda_needs_a_callable():
    with pytest.raises(TypeError, match="callable"):
        layers.Lambda(5)


def test_lambda_get_config_is_a_clear_error():
    layer = layers.Lambda(lambda x: x, name="lam")
    with pytest.raises(NotImplementedError, match=r"'lam'.*get_config"):
        layer.get_config()


# ---- unknown keyword arguments -------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda: layers.Dense(3, foo=1),
    lambda: layers.Activation("relu", foo=1),
    lambda: layers.Dropout(0.5, foo=1),
    lambda: layers.Flatten(foo=1),
    lambda: layers.Reshape((2,), foo=1),
    lambda: layers.Permute((1,), foo=1),
    lambda: layers.RepeatVector(2, foo=1),
    lambda: layers.Lambda(lambda x: x, foo=1),
], ids=["Dense", "Activation", "Dropout", "Flatten", "Reshape", "Permute", "RepeatVector",
        "Lambda"])
def test_unknown_keyword_is_a_type_error(make):
    with pytest.raises(TypeError, match="foo"):
        make()


# ---- config round trips --------------------------------------------------------------
def test_dense_config_roundtrip():
    layer = layers.Dense(4, activation="relu", use_bias=False, name="head",
                         kernel_initializer=initializers.RandomNormal(stddev=0.1, seed=3),
                         bias_initializer="ones", input_dim=3)
    cfg = layer.get_config()
    assert cfg["units"] == 4 and cfg["activation"] == "relu" and cfg["use_bias"] is False
    assert cfg["name"] == "head" and cfg["dtype"] == "float32"
    assert cfg["kernel_initializer"]["class_name"] == "RandomNormal"
    clone = _roundtrip(layer)
    assert clone.units == 4 and clone.activation is activations.relu
    # The same initializer config (with its seed) draws the same kernel.
    clone(Input(shape=(3,)))
    layer(Input(shape=(3,)))
    np.testing.assert_array_equal(clone.get_weights()[0], layer.get_weights()[0])


# ---- cross-engine parity -------------------------------------------------------------
# Default tolerances throughout (outputs rtol 1e-5 / atol 1e-6, gradients the same).
@both_backends()
def test_parity_dense():
    """Dense with and without bias, with activations, on 3-D input, and frozen."""
    set_random_seed(0)
    inputs = Input(shape=(3, 4))
    frozen = layers.Dense(5, activation="relu", bias_initializer="random_normal",
                          trainable=False)
    model = Model(inputs, layers.Dense(2, activation="tanh", use_bias=False)(frozen(inputs)))
    results = testing.assert_backends_agree(model, _rand(6, 3, 4))
    for _, grads in results.values():
        assert sorted(grads) == sorted(w.path for w in model.trainable_weights)
        assert len(grads) == 1
        assert not any(p.startswith(frozen.name + "/") for p in grads)


@both_backends()
def test_parity_activations():
    """Every activation, by name (one output each), after a Dense so gradients flow."""
    set_random_seed(0)
    inputs = Input(shape=(6,))
    hidden = layers.Dense(6, bias_initializer="random_normal")(inputs)
    outputs = [layers.Activation(name, name=f"act_{name}")(hidden)
               for name in sorted(ACTIVATIONS)]
    testing.assert_backends_agree(Model(inputs, outputs), ACT_X)


@both_backends()
def test_parity_shape_layers():
    """Flatten (both data formats), Reshape, Permute, RepeatVector after a Dense."""
    set_random_seed(0)
    inputs = Input(shape=(3, 2, 2))
    x = layers.Dense(3)(inputs)
    last = layers.Flatten()(x)
    first = layers.Flatten(data_format="channels_first")(x)
    y = layers.Reshape((2, -1))(first)
    y = layers.Permute((2, 1))(y)
    y = layers.RepeatVector(2)(layers.Flatten()(y))
    testing.assert_backends_agree(Model(inputs, [last, y]), _rand(4, 3, 2, 2))


@both_backends()
def test_parity_dropout_and_lambda():
    set_random_seed(0)
    inputs = Input(shape=(4,))
    x = layers.Dropout(0.5)(layers.Dense(5)(inputs))
    x = layers.Lambda(lambda t, power: ops.power(t, power), arguments={"power": 2.0})(x)
    testing.assert_backends_agree(Model(inputs, x), _rand(5, 4))
