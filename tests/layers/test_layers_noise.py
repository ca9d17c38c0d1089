"""Regularization layers (GaussianNoise, GaussianDropout, AlphaDropout,
ActivityRegularization) on both engines.

The noise layers are the identity in inference (checked exactly) and are checked by
their statistics in training: each statistical tolerance below is stated with the
standard error of the estimate it bounds, and is several of them wide, so the tests do
not flake; the draws are seeded anyway.
"""


import numpy as np
import pytest

from keras_bridge import Input, Model, Sequential, layers, ops, optimizers, saving
from keras_bridge.utils import set_random_seed
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager, saved_entry_roundtrip

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
N_ROWS, N_COLS = 400, 500  # 200,000 draws for the statistics


def _noise_layers():
    return [layers.GaussianNoise(0.5), layers.GaussianDropout(0.4),
            layers.AlphaDropout(0.3), layers.AlphaDropout(0.5, noise_shape=(None, 1))]


# ---- inference: the identity ----------------------------------------------------------------
@pytest.mark.parametrize("index", range(4), ids=["noise", "gdropout", "alpha", "alpha_shape"])
def test_identity_in_inference(backend, index):
    x = rand(6, 5, seed=1)
    layer = _noise_layers()[index]
    assert_close(run_eager(layer, x, backend), x, rtol=0, atol=0)
    assert_close(run_eager(layer, x, backend, training=False), x, rtol=0, atol=0)
    inputs = Input((5,))
    model = Model(inputs, _noise_layers()[index](inputs))
    assert_close(model.predict(x, verbose=0), x, rtol=0, atol=0)
    model.compile("sgd", "mse")
    assert model.test_on_batch(x, x) == 0.0


def test_symbolic_shapes():
    for layer in _noise_layers() + [layers.ActivityRegularization(l1=0.1)]:
        assert layer(Input((3, None))).shape == (None, 3, None)


# ---- training: statistics ------------------------------------------------------------------
def test_gaussian_noise_statistics(backend):
    """``out - x`` is N(0, stddev^2). Over n = 200,000 draws the sample std has a
    standard error of stddev / sqrt(2n) ~ 0.0008 (0.16% of stddev) and the sample mean
    stddev / sqrt(n) ~ 0.0011: the 2% and 0.01 bounds are over 8 standard errors."""
    set_random_seed(11)
    stddev = 0.5
    x = rand(N_ROWS, N_COLS, seed=2)
    noise = run_eager(layers.GaussianNoise(stddev), x, backend, training=True) - x
    assert abs(noise.std() / stddev - 1) < 0.02
    assert abs(noise.mean()) < 0.01
    # Independent of the input: uncorrelated with it (|r| has standard error 1/sqrt(n)).
    assert abs(np.corrcoef(noise.ravel(), x.ravel())[0, 1]) < 0.015


def test_gaussian_dropout_statistics(backend):
    """``out / x`` is N(1, rate / (1 - rate)). With rate 0.3 its std is 0.655; over
    200,000 draws the ratio's mean has a standard error of 0.0015 and its std 0.001
    (0.16%): the 0.01 and 2% bounds are over 6 standard errors. The output's mean equals
    the input's in expectation (inputs in [1, 2): standard error ~0.002, bound 0.015)."""
    set_random_seed(12)
    rate = 0.3
    x = rand(N_ROWS, N_COLS, seed=3, low=1.0, high=2.0)
    out = run_eager(layers.GaussianDropout(rate), x, backend, training=True)
    ratio = out / x
    assert abs(ratio.mean() - 1.0) < 0.01
    assert abs(ratio.std() / np.sqrt(rate / (1 - rate)) - 1) < 0.02
    assert abs(out.mean() - x.mean()) < 0.015


def _alpha_coefficients(rate):
    alpha_p = -SELU_ALPHA * SELU_SCALE
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    return alpha_p, a, -a * alpha_p * rate


@pytest.mark.parametrize("rate", [0.1, 0.4])
def test_alpha_dropout_keeps_mean_and_variance(backend, rate):
    """On standard normal input the output has mean 0 and variance 1 in expectation.
    Over 200,000 draws the sample mean's standard error is 1/sqrt(n) ~ 0.0022 and the
    sample variance's below 0.005 (the output's fourth moment is at most ~5 for these
    rates): the 0.015 and 0.03 bounds are 6 standard errors. The fraction dropped is a
    binomial proportion (standard error < 0.0012; bound 0.01)."""
    set_random_seed(13)
    x = rand(N_ROWS, N_COLS, seed=4)
    out = run_eager(layers.AlphaDropout(rate), x, backend, training=True)
    assert abs(out.mean()) < 0.015
    assert abs(out.var() - 1.0) < 0.03
    alpha_p, a, b = _alpha_coefficients(rate)
    dropped = np.isclose(out, a * alpha_p + b, rtol=0, atol=1e-5)
    assert abs(dropped.mean() - rate) < 0.01
    np.testing.assert_allclose(out[~dropped], a * x[~dropped] + b, rtol=1e-5, atol=1e-5)


def test_alpha_dropout_noise_shape(backend):
    """noise_shape (None, 1): one draw per row, so rows are dropped or kept whole."""
    set_random_seed(14)
    rate = 0.5
    x = rand(500, 40, seed=5, low=1.0, high=2.0)
    out = run_eager(layers.AlphaDropout(rate, noise_shape=(None, 1)), x, backend,
                    training=True)
    alpha_p, a, b = _alpha_coefficients(rate)
    dropped = np.isclose(out, a * alpha_p + b, rtol=0, atol=1e-5)
    assert (dropped.all(axis=1) | ~dropped.any(axis=1)).all()
    assert 0.4 < dropped.all(axis=1).mean() < 0.6  # 500 rows: standard error 0.022
    with pytest.raises(ValueError, match="noise_shape"):
        run_eager(layers.AlphaDropout(rate, noise_shape=(None,)), x, backend, training=True)


@pytest.mark.parametrize("index", range(3), ids=["noise", "gdropout", "alpha"])
def test_same_seed_same_noise(backend, index):
    x = rand(50, 40, seed=6)
    set_random_seed(5)
    first = run_eager(_noise_layers()[index], x, backend, training=True)
    set_random_seed(5)
    second = run_eager(_noise_layers()[index], x, backend, training=True)
    third = run_eager(_noise_layers()[index], x, backend, training=True)
    np.testing.assert_array_equal(first, second)
    assert not np.array_equal(second, third)
    assert not np.array_equal(first, x)


def test_rate_zero_is_identity_in_training(backend):
    x = rand(6, 5, seed=7)
    for layer in (layers.GaussianNoise(0.0), layers.GaussianDropout(0.0),
                  layers.AlphaDropout(0.0)):
        assert_close(run_eager(layer, x, backend, training=True), x, rtol=0, atol=0)


def test_noise_is_applied_in_training_steps(backend):
    """Through train_on_batch (the engines' train steps; jitted on JAX, drawing from the
    step's key): the mse of GaussianNoise(1.0)'s output against its input is the noise's
    variance, 1 in expectation (16,384 draws: standard error sqrt(2/n) ~ 0.011, bound
    0.1), fresh at every step; test_on_batch sees no noise."""
    set_random_seed(15)
    x = rand(256, 64, seed=8)
    # An identity Dense that SGD(0) leaves as it is: a model with no weights to train
    # would warn.
    model = Sequential([layers.Dense(64, kernel_initializer="identity", use_bias=False,
                                     input_shape=(64,)), layers.GaussianNoise(1.0)])
    model.compile(optimizers.SGD(0.0), "mse")
    first, second = model.train_on_batch(x, x), model.train_on_batch(x, x)
    assert abs(first - 1.0) < 0.1 and abs(second - 1.0) < 0.1 and first != second
    assert model.test_on_batch(x, x) == 0.0
    history = model.fit(x, x, batch_size=256, epochs=2, verbose=0).history["loss"]
    assert all(abs(v - 1.0) < 0.1 for v in history) and history[0] != history[1]


# ---- ActivityRegularization -------------------------------------------------------------------
W = np.array([[0.5, -1.0, 0.25], [1.5, 0.5, -0.5]], np.float32)
B = np.array([0.1, 0.0, -0.2], np.float32)
XS = np.array([[1.0, 2.0], [-1.0, 0.5], [0.0, 1.0], [2.0, -1.0]], np.float32)
YS = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.0], [-1.0, 0.0, 1.0], [2.0, 0.5, 0.0]],
              np.float32)


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_activity_regularization_adds_to_the_loss(backend, kind):
    """loss = mse + (l1 * sum|h| + l2 * sum(h^2)) / batch size, h the layer's input
    (= output), normalised by the batch size as any activity_regularizer is (Keras 3.15)."""
    dense = layers.Dense(3)
    if kind == "sequential":
        model = Sequential([layers.Input((2,)), dense,
                            layers.ActivityRegularization(l1=0.01, l2=0.02)])
    else:
        inputs = Input((2,))
        model = Model(inputs, layers.ActivityRegularization(l1=0.01, l2=0.02)(dense(inputs)))
    model.set_weights([W, B])
    model.compile(optimizers.SGD(0.1), "mse")
    h = XS @ W + B
    np.testing.assert_allclose(model.predict(XS, verbose=0), h, rtol=1e-6)
    expected = np.mean((h - YS) ** 2) + (0.01 * np.abs(h).sum()
                                         + 0.02 * np.square(h).sum()) / len(XS)
    np.testing.assert_allclose(model.test_on_batch(XS, YS), expected, rtol=1e-5)
    np.testing.assert_allclose(model.evaluate(XS, YS, verbose=0), expected, rtol=1e-5)
    np.testing.assert_allclose(model.train_on_batch(XS, YS), expected, rtol=1e-5)


def test_activity_regularization_gradient(backend):
    """One SGD step on mse + l2 * sum(h^2) against numpy's gradient."""
    model = Sequential([layers.Input((2,)), layers.Dense(3),
                        layers.ActivityRegularization(l2=0.5)])
    model.set_weights([W, B])
    model.compile(optimizers.SGD(0.1), "mse")
    model.train_on_batch(XS, YS)
    h = XS @ W + B
    d_h = 2 * (h - YS) / h.size + 2 * 0.5 * h / len(XS)
    new_w, new_b = model.get_weights()
    np.testing.assert_allclose(new_w, W - 0.1 * XS.T @ d_h, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(new_b, B - 0.1 * d_h.sum(0), rtol=1e-5, atol=1e-6)


def test_activity_regularization_is_identity(backend):
    x = rand(3, 4, seed=9)
    assert_close(run_eager(layers.ActivityRegularization(l1=1.0), x, backend), x, 0, 0)
    assert layers.ActivityRegularization().activity_regularizer.get_config() == \
        {"l1": 0.0, "l2": 0.0}


# ---- configs, saving, errors -------------------------------------------------------------------
CONFIGS = [
    (lambda: layers.GaussianNoise(0.2, seed=3), {"stddev": 0.2, "seed": 3}),
    (lambda: layers.GaussianNoise(1.5), {"stddev": 1.5, "seed": None}),
    (lambda: layers.GaussianDropout(0.25, seed=1), {"rate": 0.25, "seed": 1}),
    (lambda: layers.AlphaDropout(0.1, noise_shape=(None, 1), seed=2),
     {"rate": 0.1, "noise_shape": (None, 1), "seed": 2}),
    (lambda: layers.ActivityRegularization(l1=0.01, l2=0.5), {"l1": 0.01, "l2": 0.5}),
]


@pytest.mark.parametrize("make, expected", CONFIGS,
                         ids=["noise", "noise_wide", "gdropout", "alpha", "activity"])
def test_config_round_trip(make, expected):
    layer = make()
    config = layer.get_config()
    for key, value in expected.items():
        assert config[key] == value, key
    assert "activity_regularizer" not in config
    config_roundtrip(layer)
    saved_entry_roundtrip(layer)


def test_save_and_load_model(backend, tmp_path):
    set_random_seed(4)
    inputs = Input((5,))
    x = layers.GaussianNoise(0.3)(layers.Dense(6, activation="selu")(inputs))
    x = layers.AlphaDropout(0.2, noise_shape=(None, 6))(x)
    x = layers.ActivityRegularization(l1=0.01)(layers.GaussianDropout(0.2)(x))
    model = Model(inputs, layers.Dense(2)(x))
    data = rand(7, 5, seed=10)
    expected = model.predict(data, verbose=0)
    model.save(tmp_path / "noise.keras")
    loaded = saving.load_model(tmp_path / "noise.keras")
    assert loaded.get_config() == model.get_config()
    assert loaded.layers[-2].activity_regularizer.get_config() == {"l1": 0.01, "l2": 0.0}
    np.testing.assert_array_equal(loaded.predict(data, verbose=0), expected)
    loaded.compile("sgd", "mse")
    loaded.fit(data, np.zeros((7, 2), np.float32), verbose=0)


BAD = [
    (lambda: layers.GaussianNoise(-0.1), "stddev"),
    (lambda: layers.GaussianNoise(None), "stddev"),
    (lambda: layers.GaussianNoise("0.1"), "stddev"),
    (lambda: layers.GaussianNoise(float("inf")), "stddev"),
    (lambda: layers.GaussianDropout(-0.1), "rate"),
    (lambda: layers.GaussianDropout(1.0), "rate"),
    (lambda: layers.GaussianDropout(None), "rate"),
    (lambda: layers.AlphaDropout(1.5), "rate"),
    (lambda: layers.AlphaDropout(True), "rate"),
    (lambda: layers.ActivityRegularization(l1=-0.1), "l1"),
    (lambda: layers.ActivityRegularization(l2="big"), "l2"),
]


@pytest.mark.parametrize("make, argument", BAD, ids=[f"{i}-{b[1]}" for i, b in enumerate(BAD)])
def test_bad_arguments_name_the_argument(make, argument):
    with pytest.raises(ValueError, match=argument):
        make()


def test_noise_layers_keep_masks(backend):
    """Like Dropout, the noise layers pass an incoming mask through (supports_masking)."""
    inputs = Input((None,), dtype="int32")
    x = layers.Embedding(5, 4, mask_zero=True)(inputs)
    x = layers.GaussianNoise(0.1)(x)
    x = layers.AlphaDropout(0.1)(x)
    model = Model(inputs, layers.LSTM(2)(x))
    tokens = np.array([[1, 2, 0], [3, 0, 0]], np.int32)
    full = model.predict(tokens, verbose=0)
    shorter = model.predict(tokens[:, :2], verbose=0)
    np.testing.assert_allclose(full, shorter, rtol=1e-5, atol=1e-6)
    assert ops.convert_to_numpy(layers.GaussianNoise(0.1).compute_mask(None, True))


# ---- each random layer owns a SeedGenerator (Keras 3) ----------------------------------------
def _random_layers():
    return [layers.Dropout(0.5, seed=3), layers.SpatialDropout1D(0.5, seed=3),
            layers.GaussianNoise(0.5, seed=3), layers.GaussianDropout(0.4, seed=3),
            layers.AlphaDropout(0.3, seed=3)]


RANDOM_IDS = ["Dropout", "SpatialDropout1D", "GaussianNoise", "GaussianDropout", "AlphaDropout"]


@pytest.mark.parametrize("index", range(5), ids=RANDOM_IDS)
def test_seed_state_is_a_variable_not_a_weight_and_seed_repeats(backend, index):
    x = rand(4, 6, 8, seed=2)
    layer = _random_layers()[index]
    layer(x)
    assert layer.weights == [] and layer.get_weights() == []
    assert layer.non_trainable_variables == [layer.seed_generator.state]
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [3, 0])
    assert config_roundtrip(layer).seed == 3
    if backend == "torch":
        return  # torch's eager call and fit run the torch rule, on torch's generator
    first = run_eager(layer, x, backend, training=True)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [3, 1])
    again = run_eager(_random_layers()[index], x, backend, training=True)
    np.testing.assert_array_equal(first, again)  # the same seed= gives the same noise
    assert not np.array_equal(first, run_eager(layer, x, backend, training=True))


def test_rate_zero_makes_no_generator_as_keras():
    assert not hasattr(layers.Dropout(0.0), "seed_generator")
    assert not hasattr(layers.GaussianNoise(0.0), "seed_generator")
    assert layers.Dropout(0.0).non_trainable_variables == []


@pytest.mark.parametrize("index", range(5), ids=RANDOM_IDS)
def test_masks_advance_under_jax_jit_stateless_call(index):
    """Inside a user's jax.jit, the state passed in picks the noise and comes back
    advanced: consecutive calls differ, the same state repeats (before, the mask was
    baked into the trace and repeated)."""
    import jax
    from keras_bridge import config
    config.set_backend("jax")
    layer = _random_layers()[index]
    x = rand(4, 6, 8, seed=2, low=1.0, high=2.0)
    layer(x)
    fn = jax.jit(lambda ntv, x: layer.stateless_call([], ntv, x, training=True))
    start = [layer.seed_generator.state.numpy()]
    out1, state1 = fn(start, x)
    out2, state2 = fn(state1, x)
    again, _ = fn(start, x)
    np.testing.assert_array_equal(np.asarray(state2[0]), [3, 2])
    assert not np.array_equal(np.asarray(out1), np.asarray(out2))
    np.testing.assert_array_equal(np.asarray(out1), np.asarray(again))
    eager, _ = layer.stateless_call([], [np.array([3, 1], "int32")], x, training=True)
    # The same state eagerly: the same draws (XLA's fusion may round the arithmetic).
    np.testing.assert_allclose(np.asarray(out2), np.asarray(eager), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(layer.seed_generator.state.numpy(), [3, 0])  # untouched
