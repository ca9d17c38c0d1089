"""K.switch, stop_gradient, scans, gather, padding, resizing, bias_add and random_* on
both engines, against numpy references written here."""

import math

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, layers, models, ops

RTOL, ATOL = 1e-5, 1e-6
rng = np.random.default_rng(0)
X = rng.standard_normal((2, 3, 4)).astype("float32")


def check(result, expected, backend, dtype=None):
    assert backends.backend_of_type(type(result)) == backend
    got = ops.convert_to_numpy(result)
    assert got.shape == np.shape(expected)
    if dtype is not None:
        assert got.dtype == np.dtype(dtype)
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- switch

def test_switch_elementwise(backend):
    a, b = X, -X
    check(K.switch(X > 0, a, b), np.where(X > 0, a, b), backend)
    check(K.switch(K.constant(X) > 0, lambda: K.constant(a), lambda: K.constant(b)),
          np.where(X > 0, a, b), backend)


def test_switch_lower_rank_condition_selects_leading_axes(backend):
    rows = np.array([True, False])
    check(K.switch(K.constant(rows, dtype="bool"), X, -X),
          np.where(rows[:, None, None], X, -X), backend)
    cond = X[:, :, 0] > 0  # rank 2 of rank 3 expressions
    check(K.switch(cond, X, np.zeros_like(X)), np.where(cond[:, :, None], X, 0), backend)


def test_switch_scalar_condition(backend):
    called = []

    def then():
        called.append("then")
        return K.constant(X)

    def other():
        called.append("else")
        return K.constant(-X)

    check(K.switch(True, then, other), X, backend)
    assert called == ["then"]  # a Python condition runs one branch only
    check(K.switch(K.constant(0, dtype="int32"), X, -X), -X, backend)  # a tensor scalar
    check(K.switch(np.float32(1.0), X, -X), X, backend)


def test_switch_rank_error(backend):
    with pytest.raises(ValueError, match="rank"):
        K.switch(np.ones((2, 3, 4, 1), bool), X, X)


# ---------------------------------------------------------------- gradients

def test_stop_gradient_blocks_the_engine_gradient(backend):
    w = np.array([1.0, 2.0, 3.0], "float32")

    def loss(v):  # d/dv [sum(v^2) + sum(stop(v)^3)] = 2 v
        return K.sum(K.square(v)) + K.sum(K.pow(K.stop_gradient(v), 3))

    if backend == "torch":
        import torch
        v = torch.tensor(w, requires_grad=True)
        loss(v).backward()
        grad = v.grad.numpy()
    else:
        import jax
        grad = np.asarray(jax.grad(loss)(w))
    np.testing.assert_allclose(grad, 2 * w)
    a, b = K.stop_gradient([K.constant(w), K.constant(-w)])
    check(b, -w, backend)


# ---------------------------------------------------------------- scans and indexing

def test_cumsum_cumprod_default_axis_0(backend):
    check(K.cumsum(X), np.cumsum(X, 0), backend)
    check(K.cumsum(X, axis=-1), np.cumsum(X, -1), backend)
    check(K.cumprod(X), np.cumprod(X, 0), backend)
    check(K.cumprod(X, axis=2), np.cumprod(X, 2), backend)
    check(K.cumsum(np.arange(5, dtype="int32")), np.cumsum(np.arange(5)), backend, "int32")


def test_gather_rows(backend):
    ref = rng.standard_normal((5, 3)).astype("float32")
    idx = np.array([[4, 0], [1, 1]])
    check(K.gather(ref, idx), ref[idx], backend)
    check(K.gather(K.variable(ref), K.constant([2, 3], dtype="int32")), ref[[2, 3]], backend)


def test_logsumexp(backend):
    big = X * 100.0
    expected = big.max(1) + np.log(np.exp(big - big.max(1, keepdims=True)).sum(1))
    check(K.logsumexp(big, axis=1), expected, backend)
    check(K.logsumexp(X, axis=-1, keepdims=True),
          np.log(np.exp(X).sum(-1, keepdims=True)), backend)


def test_arange(backend):
    check(K.arange(5), np.arange(5), backend, "int32")
    check(K.arange(1, 7, 2), np.arange(1, 7, 2), backend, "int32")
    check(K.arange(-3), np.arange(0), backend, "int32")
    check(K.arange(0, 2, 0.5, dtype="float32"), np.arange(0, 2, 0.5), backend, "float32")


def test_sin_cos(backend):
    check(K.sin(X), np.sin(X), backend)
    check(K.cos(X), np.cos(X), backend)


# ---------------------------------------------------------------- padding and resizing

def test_temporal_padding(backend):
    check(K.temporal_padding(X), np.pad(X, ((0, 0), (1, 1), (0, 0))), backend)
    check(K.temporal_padding(X, (2, 0)), np.pad(X, ((0, 0), (2, 0), (0, 0))), backend)
    with pytest.raises(ValueError, match="padding"):
        K.temporal_padding(X, (1, 2, 3))


def test_spatial_padding(backend):
    x4 = rng.standard_normal((2, 3, 4, 2)).astype("float32")
    check(K.spatial_2d_padding(x4, ((1, 0), (2, 1))),
          np.pad(x4, ((0, 0), (1, 0), (2, 1), (0, 0))), backend)
    check(K.spatial_2d_padding(x4, ((1, 0), (2, 1)), data_format="channels_first"),
          np.pad(x4, ((0, 0), (0, 0), (1, 0), (2, 1))), backend)
    config.set_image_data_format("channels_first")
    check(K.spatial_2d_padding(x4), np.pad(x4, ((0, 0), (0, 0), (1, 1), (1, 1))), backend)
    x5 = rng.standard_normal((1, 2, 2, 3, 2)).astype("float32")
    check(K.spatial_3d_padding(x5, ((1, 0), (0, 1), (1, 1)), "channels_last"),
          np.pad(x5, ((0, 0), (1, 0), (0, 1), (1, 1), (0, 0))), backend)
    with pytest.raises(ValueError, match="pairs"):
        K.spatial_2d_padding(x4, ((1, 1),))


def _bilinear_axis(x, axis, factor):
    """Half-pixel-centre linear upsampling of one axis, edges clamped."""
    n = x.shape[axis]
    out = []
    for i in range(n * factor):
        src = min(max((i + 0.5) / factor - 0.5, 0.0), n - 1)
        lo = int(math.floor(src))
        hi = min(lo + 1, n - 1)
        w = src - lo
        out.append((1 - w) * np.take(x, lo, axis) + w * np.take(x, hi, axis))
    return np.stack(out, axis)


def test_resize_images(backend):
    x = rng.standard_normal((2, 3, 4, 2)).astype("float32")
    check(K.resize_images(x, 2, 3, "channels_last"), x.repeat(2, 1).repeat(3, 2), backend)
    check(K.resize_images(x, 2, 1, "channels_first"), x.repeat(2, 2), backend)
    expected = _bilinear_axis(_bilinear_axis(x, 1, 2), 2, 2)
    check(K.resize_images(x, 2, 2, "channels_last", interpolation="bilinear"), expected,
          backend)
    with pytest.raises(ValueError, match="interpolation"):
        K.resize_images(x, 2, 2, "channels_last", interpolation="bicubic")


@pytest.mark.parametrize("shape,bias_shape,data_format,expected", [
    ((2, 3, 4), (4,), "channels_last", lambda x, b: x + b),
    ((2, 3, 4), (3,), "channels_first", lambda x, b: x + b[:, None]),
    ((2, 3, 4, 5), (5,), "channels_last", lambda x, b: x + b),
    ((2, 3, 4, 5), (3,), "channels_first", lambda x, b: x + b[:, None, None]),
    ((2, 3, 4, 5), (3, 4, 5), "channels_last", lambda x, b: x + b),
    # Keras 2 reshapes (not transposes) a full bias to (channels, rows, cols).
    ((2, 5, 3, 4), (3, 4, 5), "channels_first", lambda x, b: x + b.reshape(5, 3, 4)),
    ((2, 2, 3, 4, 5), (5,), "channels_last", lambda x, b: x + b),
    ((2, 5, 2, 3, 4), (5,), "channels_first", lambda x, b: x + b[:, None, None, None]),
    ((2, 6), (6,), "channels_first", lambda x, b: x + b),
])
def test_bias_add(backend, shape, bias_shape, data_format, expected):
    x = rng.standard_normal(shape).astype("float32")
    b = rng.standard_normal(bias_shape).astype("float32")
    check(K.bias_add(x, b, data_format=data_format), expected(x, b), backend)


def test_bias_add_errors(backend):
    with pytest.raises(ValueError, match="bias of rank 1 or 2"):
        K.bias_add(X, np.zeros((1, 1, 4)))
    with pytest.raises(ValueError, match="data_format"):
        K.bias_add(X, np.zeros(4), data_format="NHWC")


# ---------------------------------------------------------------- existing helpers, Keras 2 answers

def test_shape_helpers_and_normalisation(backend):
    t = K.constant(X)
    assert K.int_shape(t) == (2, 3, 4) and K.ndim(t) == 3 and K.dtype(t) == "float32"
    assert K.shape(t) == (2, 3, 4)
    check(K.batch_flatten(t), X.reshape(2, 12), backend)
    check(K.l2_normalize(X, axis=1), X / np.sqrt((X ** 2).sum(1, keepdims=True)), backend)
    check(K.l2_normalize(X), X / np.sqrt((X ** 2).sum()), backend)
    check(K.constant(2.0, shape=(2, 2)), np.full((2, 2), 2.0), backend, "float32")


# ---------------------------------------------------------------- randomness

@pytest.mark.parametrize("fn,kwargs,mean,std", [
    (K.random_normal, {"mean": 1.0, "stddev": 2.0}, 1.0, 2.0),
    (K.random_uniform, {"minval": -1.0, "maxval": 3.0}, 1.0, 4.0 / math.sqrt(12)),
    (K.random_binomial, {"p": 0.3}, 0.3, math.sqrt(0.3 * 0.7)),
    # normal truncated at 2 sigma: std = sqrt(1 - 4 phi(2) / (2 Phi(2) - 1)) = 0.8796
    (K.truncated_normal, {"mean": -1.0, "stddev": 0.5}, -1.0, 0.5 * 0.87962566),
])
def test_random_moments_shape_dtype(backend, fn, kwargs, mean, std):
    sample = fn((200, 100), **kwargs)
    assert backends.backend_of_type(type(sample)) == backend
    got = ops.convert_to_numpy(sample)
    assert got.shape == (200, 100) and got.dtype == np.float32
    assert abs(got.mean() - mean) < 4 * std / math.sqrt(got.size)
    assert abs(got.std() - std) < 0.02 * std
    if fn is K.truncated_normal:
        assert np.abs(got - mean).max() <= 2 * 0.5 + 1e-6
    if fn is K.random_uniform:
        assert got.min() >= -1.0 and got.max() < 3.0
    if fn is K.random_binomial:
        assert set(np.unique(got)) <= {0.0, 1.0}


@pytest.mark.parametrize("fn", [K.random_normal, K.random_uniform, K.random_binomial,
                                K.truncated_normal])
def test_random_seed_reproducible(backend, fn):
    kwargs = {"p": 0.5} if fn is K.random_binomial else {}
    a = ops.convert_to_numpy(fn((50,), seed=7, **kwargs))
    b = ops.convert_to_numpy(fn((50,), seed=7, **kwargs))
    c = ops.convert_to_numpy(fn((50,), seed=8, **kwargs))
    d = ops.convert_to_numpy(fn((50,), **kwargs))
    e = ops.convert_to_numpy(fn((50,), **kwargs))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c) and not np.array_equal(d, e)


def test_random_dtype_follows_argument_and_floatx(backend):
    assert K.dtype(K.random_normal((2,), dtype="float64" if backend == "torch"
                                   else "float16")) in ("float64", "float16")
    config.set_floatx("float16")
    assert K.dtype(K.random_uniform((3,))) == "float16"


def test_random_in_a_lambda_layer_trains(backend):
    """Fresh noise in every (jitted, on JAX) training step, from the engine's stream."""
    from keras_bridge.utils import set_random_seed
    set_random_seed(1)
    noise = layers.Lambda(lambda x: x + K.random_normal(K.shape(x), stddev=0.1)
                          * K.random_binomial(K.shape(x), p=0.5))
    model = models.Sequential([layers.Input((4,)), noise, layers.Dense(1)])
    model.compile("sgd", "mse")
    x, y = np.ones((8, 4), "float32"), np.zeros((8, 1), "float32")
    history = model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    a = ops.convert_to_numpy(noise(ops.convert_to_tensor(x)))
    b = ops.convert_to_numpy(noise(ops.convert_to_tensor(x)))
    assert not np.array_equal(a, b)


# ---------------------------------------------------------------- smaller Keras 2 helpers

def test_reverse(backend):
    check(K.reverse(X, 1), X[:, ::-1], backend)
    check(K.reverse(X, [0, 2]), X[::-1, :, ::-1], backend)


def test_cast_to_floatx_is_numpy():
    config.set_floatx("float16")
    out = K.cast_to_floatx([1, 2])
    assert isinstance(out, np.ndarray) and out.dtype == np.float16


def test_batch_normalization(backend):
    x = rng.standard_normal((2, 3, 4, 5)).astype("float32")
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3))
    beta, gamma = rng.standard_normal(3).astype("float32"), rng.random(3).astype("float32")
    b = (slice(None), None, None)
    expected = (x - mean[b]) / np.sqrt(var[b] + 1e-3) * gamma[b] + beta[b]
    check(K.batch_normalization(x, mean, var, beta, gamma, axis=1), expected, backend)
    m, v = x.mean(0, keepdims=True), x.var(0, keepdims=True)  # broadcast as given
    check(K.batch_normalization(x, m, v, None, None, epsilon=1e-5),
          (x - m) / np.sqrt(v + 1e-5), backend)


def test_dropout(backend):
    x = np.ones((200, 50), "float32")
    out = ops.convert_to_numpy(K.dropout(x, 0.4))
    assert set(np.unique(out)) <= {0.0, np.float32(1 / 0.6)}
    assert abs((out == 0).mean() - 0.4) < 0.03
    seeded = [ops.convert_to_numpy(K.dropout(x, 0.4, noise_shape=(200, 1), seed=5))
              for _ in range(2)]
    np.testing.assert_array_equal(seeded[0], seeded[1])
    np.testing.assert_array_equal(seeded[0], np.broadcast_to(seeded[0][:, :1], (200, 50)))
    with pytest.raises(ValueError, match="level"):
        K.dropout(x, 1.0, seed=1)


def test_random_variables(backend):
    v = K.random_normal_variable((100, 50), 2.0, 0.5, seed=3)
    assert K.is_variable(v) and v.backend_name == backend
    assert abs(K.eval(v).mean() - 2.0) < 0.05 and abs(K.eval(v).std() - 0.5) < 0.02
    u = K.random_uniform_variable((100, 50), -1.0, 1.0, name="u")
    assert str(u) == "u" and K.eval(u).min() >= -1.0 and K.eval(u).max() < 1.0
