"""Activation layers (ReLU, LeakyReLU, PReLU, ELU, Softmax, ThresholdedReLU) on both
engines, against numpy formulas written here.

Every reference is numpy math on the input and the layer's ``get_weights()``; nothing is
computed by the code under test.
"""


import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, Sequential, constraints, initializers, optimizers
from keras_bridge import layers, ops, regularizers, saving, testing
from keras_bridge.utils import set_random_seed
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager, saved_entry_roundtrip

# Away from the kinks (0, the thresholds and caps used below), where one-sided
# derivatives and boundary conventions may differ.
X = (np.linspace(-8.0, 8.0, 48) + 0.0123).astype("float32").reshape(4, 12)


def np_relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Keras's relu: x above the threshold (capped at max_value), else
    negative_slope * (x - threshold)."""
    y = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        y = np.minimum(y, max_value)
    return np.where(x > threshold, y, negative_slope * (x - threshold)).astype("float32")


def np_elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_log_softmax(z):
    z = z - z.max(-1, keepdims=True)
    return z - np.log(np.exp(z).sum(-1, keepdims=True))


FORWARD = [
    ("relu", lambda: layers.ReLU(), lambda x: np.maximum(x, 0.0)),
    ("relu6", lambda: layers.ReLU(max_value=6.0), lambda x: np.clip(x, 0.0, 6.0)),
    ("relu_slope", lambda: layers.ReLU(negative_slope=0.1), lambda x: np_relu(x, 0.1)),
    ("relu_threshold", lambda: layers.ReLU(threshold=1.5), lambda x: np_relu(x, 0.0, None, 1.5)),
    ("relu_all", lambda: layers.ReLU(max_value=5.0, negative_slope=0.2, threshold=0.5),
     lambda x: np_relu(x, 0.2, 5.0, 0.5)),
    ("relu_cap_slope", lambda: layers.ReLU(max_value=3.0, negative_slope=0.5),
     lambda x: np_relu(x, 0.5, 3.0)),
    ("leaky_default", lambda: layers.LeakyReLU(), lambda x: np.where(x >= 0, x, 0.3 * x)),
    ("leaky_0.05", lambda: layers.LeakyReLU(negative_slope=0.05),
     lambda x: np.where(x >= 0, x, 0.05 * x)),
    ("elu", lambda: layers.ELU(), np_elu),
    ("elu_0.5", lambda: layers.ELU(alpha=0.5), lambda x: np_elu(x, 0.5)),
    ("thresholded", lambda: layers.ThresholdedReLU(), lambda x: np.where(x > 1.0, x, 0.0)),
    ("thresholded_2.5", lambda: layers.ThresholdedReLU(theta=2.5),
     lambda x: np.where(x > 2.5, x, 0.0)),
    ("softmax", lambda: layers.Softmax(), np_softmax),
    ("softmax_axis0", lambda: layers.Softmax(axis=0), lambda x: np_softmax(x, 0)),
]


@pytest.mark.parametrize("make, reference", [f[1:] for f in FORWARD],
                         ids=[f[0] for f in FORWARD])
def test_forward_matches_numpy(backend, make, reference):
    want = reference(X.astype("float64")).astype("float32")
    assert_close(run_eager(make(), X, backend), want, rtol=1e-5, atol=1e-6)
    inputs = Input((12,))
    model = Model(inputs, make()(inputs))
    assert_close(model.predict(X, verbose=0), want, rtol=1e-5, atol=1e-6)


def test_softmax_over_several_axes_and_rank3(backend):
    x = rand(3, 4, 5, seed=1, scale=3.0)
    want = np.exp(x - np.log(np.exp(x).sum(axis=(1, 2), keepdims=True)))
    assert_close(run_eager(layers.Softmax(axis=[1, 2]), x, backend), want, rtol=1e-5)
    assert_close(run_eager(layers.Softmax(axis=[1]), x, backend), np_softmax(x, 1), rtol=1e-5)
    assert_close(run_eager(layers.Softmax(axis=-1), x, backend), np_softmax(x), rtol=1e-5)


def test_softmax_mask(backend):
    """Masked entries get (about) zero probability; the rest share all of it. A mask of
    lower rank than the input applies to its leading axes: a fully masked row has every
    logit pushed to about -1e9, where float32 cannot tell them apart, so it comes out
    uniform, as in Keras."""
    x = rand(2, 5, seed=2)
    mask = np.array([[1, 1, 0, 1, 0], [0, 1, 1, 1, 1]], bool)
    got = ops.convert_to_numpy(layers.Softmax()(ops.convert_to_tensor(x),
                                                mask=ops.convert_to_tensor(mask)))
    want = np.where(mask, np.exp(x), 0.0)
    assert_close(got, want / want.sum(-1, keepdims=True), rtol=1e-5, atol=1e-7)
    x3 = rand(2, 3, 4, seed=3)
    rows = ops.convert_to_tensor(np.array([[1, 0, 1], [1, 1, 1]], bool))
    got = ops.convert_to_numpy(layers.Softmax()(ops.convert_to_tensor(x3), mask=rows))
    want = np_softmax(x3)
    want[0, 1] = 0.25
    assert_close(got, want, rtol=1e-5, atol=1e-6)


# ---- Softmax and the crossentropy-from-logits rule -------------------------------------
KERNEL = np.array([[30.0, 0.0, -30.0]] * 4, np.float32)
BIAS = np.array([0.0, 1.0, -1.0], np.float32)
XS = np.array([[1.0, 0.5, -0.5, 2.0], [0.2, -1.0, 1.5, 0.3]], np.float32)
ONE_HOT = np.array([[0, 0, 1], [0, 1, 0]], np.float32)


@pytest.mark.parametrize("axis", [-1, 1, [1]])
def test_softmax_layer_output_gives_loss_from_logits(backend, axis):
    """As for Activation('softmax') (tests/test_logits.py): the true classes'
    probabilities underflow, so only the logits formula gives this loss (clipped
    probabilities would cap it at -log(1e-7) ~ 16.1)."""
    inputs = Input((4,))
    model = Model(inputs, layers.Softmax(axis=axis)(layers.Dense(3)(inputs)))
    model.set_weights([KERNEL, BIAS])
    model.compile("sgd", "categorical_crossentropy")
    expected = -(ONE_HOT * np_log_softmax(XS @ KERNEL + BIAS)).sum(-1).mean()
    assert expected > 100
    np.testing.assert_allclose(model.test_on_batch(XS, ONE_HOT), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(XS, ONE_HOT, verbose=0), expected, rtol=1e-5)


# ---- PReLU -------------------------------------------------------------------------------
def test_prelu_weight_name_shape_and_default():
    layer = layers.PReLU()
    assert layer(Input((3, 4))).shape == (None, 3, 4)
    (alpha,) = layer.weights
    assert alpha.name == "alpha" and alpha.shape == (3, 4) and alpha.trainable
    np.testing.assert_array_equal(layer.get_weights()[0], np.zeros((3, 4)))
    assert layer.count_params() == 12


@pytest.mark.parametrize("shared_axes, shape", [
    (None, (4, 5, 3)), ([1, 2], (1, 1, 3)), ((1,), (1, 5, 3)), (3, (4, 5, 1)),
    ([1, 2, 3], (1, 1, 1))])
def test_prelu_shared_axes_shapes(shared_axes, shape):
    layer = layers.PReLU(shared_axes=shared_axes)
    layer(Input((4, 5, 3)))
    assert layer.weights[0].shape == shape


def test_prelu_unknown_axes_must_be_shared():
    with pytest.raises(ValueError, match="shared_axes"):
        layers.PReLU()(Input((None, 3)))
    assert layers.PReLU(shared_axes=[1])(Input((None, 3))).shape == (None, None, 3)


def test_prelu_input_spec_checks_unshared_axes(backend):
    layer = layers.PReLU(shared_axes=[1])
    layer(Input((5, 3)))
    run_eager(layer, rand(2, 7, 3), backend)  # axis 1 is shared: any length
    with pytest.raises(ValueError, match="p_re_lu"):
        layer(rand(2, 5, 4))


def test_prelu_forward(backend):
    alpha = rand(1, 3, seed=4, low=0.1, high=0.9)
    layer = layers.PReLU(shared_axes=[1])
    x = rand(2, 4, 3, seed=5)
    layer(Input((4, 3)))
    layer.set_weights([alpha])
    want = np.where(x >= 0, x, alpha * x)
    assert_close(run_eager(layer, x, backend), want)


def test_prelu_alpha_trains(backend):
    """One SGD step on mse moves alpha by lr * d(loss)/d(alpha), with
    d(out)/d(alpha) = min(x, 0), summed over the batch (and the shared axis)."""
    alpha0 = np.array([[0.25, 0.5, 0.0]], np.float32)
    model = Sequential([layers.PReLU(shared_axes=[1], input_shape=(2, 3),
                                     alpha_initializer=initializers.Constant(0.1))])
    np.testing.assert_allclose(model.get_weights()[0], np.full((1, 3), 0.1))
    model.set_weights([alpha0])
    model.compile(optimizers.SGD(learning_rate=0.5), "mse")
    x = rand(4, 2, 3, seed=6)
    x[:, 0] = -np.abs(x[:, 0])  # negative entries in every column: every slope has a gradient
    y = rand(4, 2, 3, seed=7)
    out = np.where(x >= 0, x, alpha0 * x)
    np.testing.assert_allclose(model.train_on_batch(x, y), np.mean((out - y) ** 2),
                               rtol=1e-5)
    d_out = 2 * (out - y) / out.size
    grad = (d_out * np.minimum(x, 0.0)).sum(axis=(0, 1), keepdims=True)[0]
    assert np.abs(grad).min() > 1e-3  # every slope really moves
    np.testing.assert_allclose(model.get_weights()[0], alpha0 - 0.5 * grad, rtol=1e-5,
                               atol=1e-6)


def test_prelu_regularizer_and_constraint(backend):
    """alpha_regularizer adds 0.01 * sum(alpha^2) to the loss; alpha_constraint
    (NonNeg) clips alpha after each step."""
    model = Sequential([layers.PReLU(input_shape=(3,), alpha_regularizer="l2",
                                     alpha_constraint="NonNeg")])
    alpha = np.array([0.5, -0.1, 2.0], np.float32)
    model.set_weights([alpha])
    model.compile(optimizers.SGD(learning_rate=1.0), "mse")
    x = np.array([[-1.0, 2.0, -3.0], [1.0, -2.0, 0.5]], np.float32)
    y = np.zeros((2, 3), np.float32)
    out = np.where(x >= 0, x, alpha * x)
    np.testing.assert_allclose(model.test_on_batch(x, y),
                               np.mean(out ** 2) + 0.01 * np.sum(alpha ** 2), rtol=1e-5)
    model.train_on_batch(x, y)
    assert (model.get_weights()[0] >= 0).all()
    assert isinstance(model.layers[0].alpha_constraint, constraints.NonNeg)


# ---- LeakyReLU's Keras 2 spelling ----------------------------------------------------------
def test_leaky_relu_alpha_is_deprecated(backend):
    with pytest.warns(DeprecationWarning, match="negative_slope"):
        layer = layers.LeakyReLU(alpha=0.1)
    assert layer.negative_slope == 0.1
    assert "alpha" not in layer.get_config()
    assert_close(run_eager(layer, X, backend), np.where(X >= 0, X, 0.1 * X))
    with pytest.warns(DeprecationWarning):  # a Keras 2 config
        old = layers.LeakyReLU.from_config({"name": "lr", "trainable": True, "alpha": 0.2})
    assert old.negative_slope == 0.2 and old.get_config()["negative_slope"] == 0.2
    with pytest.raises(TypeError, match="alpha"):
        layers.LeakyReLU(negative_slope=0.1, alpha=0.2)


# ---- configs, saving, errors ---------------------------------------------------------------
CONFIGS = [
    (lambda: layers.ReLU(max_value=6, negative_slope=0.1, threshold=0.5),
     {"max_value": 6.0, "negative_slope": 0.1, "threshold": 0.5}),
    (lambda: layers.ReLU(), {"max_value": None, "negative_slope": 0.0, "threshold": 0.0}),
    (lambda: layers.LeakyReLU(), {"negative_slope": 0.3}),
    (lambda: layers.ELU(alpha=0.7), {"alpha": 0.7}),
    (lambda: layers.ThresholdedReLU(theta=0.5), {"theta": 0.5}),
    (lambda: layers.Softmax(axis=[1, 2]), {"axis": [1, 2]}),
    (lambda: layers.Softmax(), {"axis": -1}),
    (lambda: layers.PReLU(shared_axes=(1, 2), alpha_regularizer="l2",
                          alpha_constraint="NonNeg"),
     {"shared_axes": [1, 2]}),
    (lambda: layers.PReLU(), {"shared_axes": None, "alpha_regularizer": None,
                              "alpha_constraint": None}),
]


@pytest.mark.parametrize("make, expected", CONFIGS,
                         ids=["relu", "relu_default", "leaky", "elu", "thresholded",
                              "softmax_axes", "softmax", "prelu", "prelu_default"])
def test_config_round_trip(make, expected):
    layer = make()
    config = layer.get_config()
    for key, value in expected.items():
        assert config[key] == value, key
    config_roundtrip(layer)
    saved_entry_roundtrip(layer)


def test_prelu_config_keeps_initializer_and_regularizer():
    layer = layers.PReLU(alpha_initializer=initializers.Constant(0.25),
                         alpha_regularizer=regularizers.L2(0.5), shared_axes=2)
    clone = config_roundtrip(layer)
    assert isinstance(clone.alpha_initializer, initializers.Constant)
    assert isinstance(clone.alpha_regularizer, regularizers.L2)
    assert clone.alpha_regularizer.l2 == 0.5 and clone.shared_axes == [2]


def _activation_model():
    set_random_seed(3)
    inputs = Input((6,))
    x = layers.Dense(8)(inputs)
    x = layers.PReLU(alpha_initializer=initializers.RandomUniform(0.1, 0.5))(x)
    x = layers.LeakyReLU(negative_slope=0.1)(x)
    x = layers.Dense(8)(x)
    x = layers.ELU(alpha=0.5)(x)
    x = layers.ReLU(max_value=1.5, negative_slope=0.05)(x)
    x = layers.ThresholdedReLU(theta=0.1)(layers.Dense(8)(x))
    return Model(inputs, layers.Softmax()(layers.Dense(4)(x)))


def test_save_and_load_model(backend, tmp_path):
    model = _activation_model()
    x = rand(5, 6, seed=8)
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "act.keras")
    loaded = saving.load_model(tmp_path / "act.keras")
    assert [type(l) for l in loaded.layers] == [type(l) for l in model.layers]
    assert loaded.get_config() == model.get_config()
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected, rtol=1e-6, atol=1e-7)


BAD = [
    (lambda: layers.ReLU(max_value=-1.0), "max_value"),
    (lambda: layers.ReLU(negative_slope=-0.1), "negative_slope"),
    (lambda: layers.ReLU(negative_slope=None), "negative_slope"),
    (lambda: layers.ReLU(threshold=-0.5), "threshold"),
    (lambda: layers.ReLU(max_value="6"), "max_value"),
    (lambda: layers.LeakyReLU(negative_slope=-0.3), "negative_slope"),
    (lambda: layers.LeakyReLU(negative_slope=None), "negative_slope"),
    (lambda: layers.ELU(alpha=None), "alpha"),
    (lambda: layers.ELU(alpha=float("nan")), "alpha"),
    (lambda: layers.ThresholdedReLU(theta=-1.0), "theta"),
    (lambda: layers.ThresholdedReLU(theta=None), "theta"),
    (lambda: layers.Softmax(axis="last"), "axis"),
    (lambda: layers.Softmax(axis=1.5), "axis"),
    (lambda: layers.Softmax(axis=[]), "axis"),
    (lambda: layers.PReLU(shared_axes=0), "shared_axes"),
    (lambda: layers.PReLU(shared_axes=["h"]), "shared_axes"),
    (lambda: layers.PReLU(shared_axes=[3])(Input((4, 5))), "shared_axes"),
]


@pytest.mark.parametrize("make, argument", BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_unknown_keyword_is_rejected():
    with pytest.raises(TypeError, match="foo"):
        layers.ReLU(foo=1)


# ---- parity --------------------------------------------------------------------------------
@both_backends()
def test_parity_activation_layers():
    testing.assert_backends_agree(_activation_model, rand(6, 6, seed=9))


@both_backends()
def test_parity_prelu_shared_axes_and_relu_threshold():
    set_random_seed(4)
    inputs = Input((4, 5))
    x = layers.PReLU(shared_axes=[1], alpha_initializer="glorot_uniform")(inputs)
    x = layers.ReLU(max_value=2.0, negative_slope=0.3, threshold=0.2)(layers.Dense(6)(x))
    testing.assert_backends_agree(Model(inputs, layers.Softmax(axis=1)(x)),
                                  rand(3, 4, 5, seed=10))
