"""Keras 3's ``keras.random`` (keras_bridge.random) on both engines: shapes and dtypes,
statistics against the distributions' known moments, seeding (int seeds repeat, a
SeedGenerator advances), reproducible training with a seeded layer, and error paths.

Statistical tolerances are several standard errors of the estimate wide (stated with
each check); the draws are seeded, so the tests do not flake.
"""

import math

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import backends, layers, ops, optimizers
from keras_bridge import random as kr
from keras_bridge.utils import set_random_seed

N = 100_000  # draws for the statistics: standard error of a mean = sd / 316


def _np(x, backend):
    assert backends.backend_of_type(type(x)) == backend
    return ops.convert_to_numpy(x)


# ---- shapes, dtypes, ranges ---------------------------------------------------------------
def test_shapes_and_dtypes(backend):
    # gamma, beta, binomial and categorical are checked with their statistics below (on
    # JAX each new shape compiles them again, a few seconds for the gamma family).
    cases = {
        "normal": (kr.normal((2, 3), seed=1), (2, 3), "float32"),
        "uniform": (kr.uniform((4,), dtype="float64", seed=1), (4,), ("float64", "float32")),
        "truncated_normal": (kr.truncated_normal((2, 2), seed=1), (2, 2), "float32"),
        "randint": (kr.randint((5, 1), 0, 3, seed=1), (5, 1), "int32"),
        "dropout": (kr.dropout(np.ones((2, 5), "float32"), 0.5, seed=1), (2, 5), "float32"),
        "shuffle": (kr.shuffle(np.arange(6, dtype="int32"), seed=1), (6,), "int32"),
    }
    for name, (out, shape, dtype) in cases.items():
        arr = _np(out, backend)
        assert arr.shape == shape, name
        assert str(arr.dtype) in ((dtype,) if isinstance(dtype, str) else dtype), name
    assert _np(kr.normal((0, 3), seed=1), backend).shape == (0, 3)
    assert _np(kr.uniform(4, seed=1), backend).shape == (4,)  # an int shape is one axis
    assert keras.random.normal is kr.normal and keras.random.SeedGenerator is kr.SeedGenerator


def test_normal_uniform_truncated_statistics(backend):
    z = _np(kr.normal((N,), mean=1.0, stddev=2.0, seed=3), backend)
    assert abs(z.mean() - 1.0) < 0.03  # se 0.006
    assert abs(z.std() - 2.0) < 0.03  # se ~0.0045
    u = _np(kr.uniform((N,), minval=-1.0, maxval=3.0, seed=4), backend)
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.03  # sd 4/sqrt(12) = 1.15, se 0.0037
    t = _np(kr.truncated_normal((N,), mean=0.5, stddev=2.0, seed=5), backend)
    assert np.abs(t - 0.5).max() <= 4.0 + 1e-5
    # Variance of a unit normal truncated to [-2, 2]: 1 - 2 * 2 * phi(2) / (Phi(2) - Phi(-2)).
    phi = math.exp(-2.0) / math.sqrt(2 * math.pi)
    mass = math.erf(2 / math.sqrt(2))
    assert abs(t.std() - 2.0 * math.sqrt(1 - 4 * phi / mass)) < 0.03
    assert abs(t.mean() - 0.5) < 0.03


def test_randint_and_categorical_frequencies(backend):
    r = _np(kr.randint((N,), 2, 6, seed=6), backend)
    assert set(np.unique(r)) == {2, 3, 4, 5}
    np.testing.assert_allclose(np.bincount(r - 2) / N, 0.25, atol=0.01)  # se 0.0014
    probs = np.array([[0.1, 0.2, 0.7], [0.5, 0.25, 0.25]])
    c = _np(kr.categorical(np.log(probs).astype("float32"), 20_000, seed=7), backend)
    assert c.shape == (2, 20_000) and c.dtype == np.int32
    for row in range(2):
        freq = np.bincount(c[row], minlength=3) / c.shape[1]
        np.testing.assert_allclose(freq, probs[row], atol=0.02)  # se <= 0.0036


def test_gamma_beta_binomial_moments(backend):
    g = _np(kr.gamma((N,), 3.0, seed=8), backend)
    assert g.shape == (N,) and g.dtype == np.float32 and g.min() > 0
    assert abs(g.mean() - 3.0) < 0.04 and abs(g.var() - 3.0) < 0.15  # se 0.0055, ~0.03
    b = _np(kr.beta((N,), 2.0, 6.0, seed=9), backend)
    assert b.shape == (N,) and b.dtype == np.float32 and 0 <= b.min() and b.max() <= 1
    assert abs(b.mean() - 0.25) < 0.005  # sd 0.144, se 0.00046
    k = _np(kr.binomial((N,), 10, 0.3, seed=11), backend)
    assert k.shape == (N,) and k.dtype == np.float32 and np.array_equal(k, np.round(k)) and k.min() >= 0 and k.max() <= 10
    assert abs(k.mean() - 3.0) < 0.03 and abs(k.var() - 2.1) < 0.1  # se 0.0046, ~0.01


def test_dropout_and_shuffle(backend):
    x = np.ones((400, 250), "float32")
    d = _np(kr.dropout(x, 0.3, seed=12), backend)
    assert set(np.unique(d)) <= {0.0, np.float32(1 / 0.7)}
    assert abs((d == 0).mean() - 0.3) < 0.01  # se 0.001
    np.testing.assert_array_equal(_np(kr.dropout(ops.convert_to_tensor(x), 0.0), backend), x)
    assert not _np(kr.dropout(ops.convert_to_tensor(x), 1.0, seed=1), backend).any()
    cols = _np(kr.dropout(x, 0.5, noise_shape=(1, None), seed=13), backend)
    assert (cols == cols[:1]).all()  # one mask row, broadcast over the batch
    m = np.arange(12, dtype="float32").reshape(6, 2)
    s = _np(kr.shuffle(m, seed=14), backend)
    assert sorted(map(tuple, s)) == sorted(map(tuple, m))  # rows kept whole
    assert not np.array_equal(s, m)
    s1 = _np(kr.shuffle(m.T, axis=1, seed=14), backend)
    np.testing.assert_array_equal(np.sort(s1, axis=1), m.T)


# ---- seeds ---------------------------------------------------------------------------------
def test_int_seed_repeats_and_none_draws_the_stream(backend):
    # The gamma and categorical shapes of the statistics tests: no new JAX compile.
    for fn in (lambda s: kr.normal((5,), seed=s), lambda s: kr.gamma((N,), 2.0, seed=s),
               lambda s: kr.categorical(np.zeros((2, 3), "float32"), 20_000, seed=s),
               lambda s: kr.shuffle(np.arange(10), seed=s)):
        first = _np(fn(42), backend)
        np.testing.assert_array_equal(_np(fn(42), backend), first)
        assert not np.array_equal(_np(fn(43), backend), first)
        assert not np.array_equal(_np(fn(None), backend), _np(fn(None), backend))
    set_random_seed(5)
    a = _np(kr.uniform((4,)), backend)
    set_random_seed(5)
    np.testing.assert_array_equal(_np(kr.uniform((4,)), backend), a)


def test_seed_generator_advances(backend):
    gen = kr.SeedGenerator(123)
    np.testing.assert_array_equal(gen.state.numpy(), [123, 0])
    draws = [_np(kr.normal((4,), seed=gen), backend) for _ in range(3)]
    np.testing.assert_array_equal(gen.state.numpy(), [123, 3])
    assert not np.array_equal(draws[0], draws[1]) and not np.array_equal(draws[1], draws[2])
    twin = kr.SeedGenerator(123)
    np.testing.assert_array_equal(_np(kr.normal((4,), seed=twin), backend), draws[0])
    other = kr.SeedGenerator(124)
    assert not np.array_equal(_np(kr.normal((4,), seed=other), backend), draws[0])
    assert kr.SeedGenerator.from_config(gen.get_config()).get_config() == gen.get_config()
    # An engine op takes a [seed, counter] state directly: each state its own samples.
    state = np.array([9, 1], "int32")
    once = _np(ops.random_uniform((3,), seed=state), backend)
    np.testing.assert_array_equal(_np(ops.random_uniform((3,), seed=state), backend), once)
    assert not np.array_equal(_np(ops.random_uniform((3,), seed=state + [0, 1]), backend), once)


class _Noisy(layers.Layer):
    """Keras 3's pattern: a generator made in __init__, drawn from in call."""

    def __init__(self, seed, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = kr.SeedGenerator(seed)

    def call(self, x, training=False):
        if training:
            return x + kr.normal(ops.shape(x), stddev=0.5, seed=self.seed_generator)
        return x


def _trained(seed, steps=3):
    set_random_seed(1)
    inputs = keras.Input((3,))
    noisy = _Noisy(seed)
    model = keras.Model(inputs, layers.Dense(1)(noisy(inputs)))
    model.compile(optimizers.SGD(0.1), "mse")
    x, y = np.ones((4 * steps, 3), "float32"), np.zeros((4 * steps, 1), "float32")
    model.fit(x, y, batch_size=4, epochs=1, verbose=0, shuffle=False)
    return model, noisy


def test_fit_with_a_seeded_layer_is_reproducible(backend):
    model, noisy = _trained(7)
    again, _ = _trained(7)
    for w, v in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(w, v)
    np.testing.assert_array_equal(noisy.seed_generator.state.numpy(), [7, 3])  # one per step
    # Keras 3: seed state is a (non-trainable) variable of its owner, not a weight.
    path = "seed_generator/seed_generator_state"
    assert path in [v.path for v in model.non_trainable_variables]
    assert path not in [w.path for w in model.weights + model.non_trainable_weights]
    assert len(model.get_weights()) == len(model.weights)
    other, _ = _trained(8)
    assert not np.allclose(other.get_weights()[-1], model.get_weights()[-1])
    x = np.ones((2, 3), "float32")  # inference: no noise, and the state stays
    np.testing.assert_allclose(model.predict(x, verbose=0), x @ model.get_weights()[0]
                               + model.get_weights()[1], rtol=1e-5, atol=1e-6)


class _StreamNoisy(layers.Layer):
    """seed=None in call: the engine's stream (inside a jitted JAX step, its key)."""

    def call(self, x, training=False):
        return x + kr.uniform(ops.shape(x), seed=None) if training else x


def test_noise_changes_between_steps(backend):
    inputs = keras.Input((3,))
    noisy = _Noisy(3)
    model = keras.Model(inputs, _StreamNoisy()(noisy(inputs)))
    model.compile(optimizers.SGD(0.0), "mse")
    x = np.zeros((4, 3), "float32")
    with pytest.warns(UserWarning, match="no trainable weights"):
        losses = [model.train_on_batch(x, x) for _ in range(3)]
    assert len(set(losses)) == 3  # mean squared noise: a new draw every step
    np.testing.assert_array_equal(noisy.seed_generator.state.numpy(), [3, 3])


class _AlwaysNoisy(layers.Layer):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = kr.SeedGenerator(11)

    def call(self, x):
        return x + kr.uniform(ops.shape(x), seed=self.seed_generator)


def test_predict_draws_from_the_layer_generator(backend):
    inputs = keras.Input((2,))
    layer = _AlwaysNoisy()
    model = keras.Model(inputs, layer(inputs))
    x = np.zeros((3, 2), "float32")
    first, second = model.predict(x, verbose=0), model.predict(x, verbose=0)
    assert first.min() >= 0 and first.max() < 1 and not np.array_equal(first, second)
    twin = keras.Model(inputs2 := keras.Input((2,)), _AlwaysNoisy()(inputs2))
    np.testing.assert_array_equal(twin.predict(x, verbose=0), first)


# ---- errors --------------------------------------------------------------------------------
def test_bad_arguments_raise(backend):
    with pytest.raises(ValueError, match=r"`seed` must be either an integer.*Received: seed='a'"):
        kr.normal((2,), seed="a")
    with pytest.raises(ValueError, match="`seed` must be either an integer"):
        kr.uniform((2,), seed=1.5)
    with pytest.raises(ValueError, match=r"`seed` must be an integer. Received: seed=2.0"):
        kr.SeedGenerator(2.0)
    with pytest.raises(ValueError, match="Unrecognized keyword arguments"):
        kr.SeedGenerator(1, sed=2)
    for shape in ((2, -1), (2.5,), "ab", None):
        with pytest.raises(ValueError, match="tuple of non-negative integers"):
            kr.normal(shape, seed=1)
    with pytest.raises(ValueError, match="2-D tensor.*Received: logits.shape=\\(4,\\)"):
        kr.categorical(np.zeros(4, "float32"), 2)
    with pytest.raises(ValueError, match="positive integer"):
        kr.categorical(np.zeros((1, 4), "float32"), 0)
    with pytest.raises(ValueError, match=r"`rate` to be a number in \[0, 1\]"):
        kr.dropout(np.ones(3, "float32"), 1.5)
    with pytest.raises(ValueError, match="noise_shape"):
        kr.dropout(np.ones((2, 3), "float32"), 0.5, noise_shape=(1,))
    with pytest.raises(ValueError, match="minval. < .maxval"):
        kr.randint((2,), 3, 3)
    with pytest.raises(ValueError, match="axis"):
        kr.shuffle(np.ones((2, 3)), axis=2)
    with pytest.raises(TypeError, match="not called on inputs"):
        kr.SeedGenerator(1)(np.ones(2, "float32"))


def test_generator_outside_the_model(backend):
    """A generator no layer of the model holds: torch runs eagerly and advances it in
    place; a jitted JAX step cannot hold its state, so it is refused with a clear error."""
    loose = kr.SeedGenerator(1)

    class Loose(layers.Layer):
        def call(self, x):
            return x + kr.normal(ops.shape(x), seed=loose)

    inputs = keras.Input((2,))
    model = keras.Model(inputs, Loose()(inputs))  # shape inference does not advance it
    np.testing.assert_array_equal(loose.state.numpy(), [1, 0])
    x = np.zeros((2, 2), "float32")
    if backend == "jax":
        with pytest.raises(ValueError, match="not an attribute of any layer"):
            model.predict(x, verbose=0)
    else:
        assert not np.array_equal(model.predict(x, verbose=0), model.predict(x, verbose=0))
        np.testing.assert_array_equal(loose.state.numpy(), [1, 2])
