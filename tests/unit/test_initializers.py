"""Initializers are numpy only: shapes, dtypes, distributions, fans, seeding, lookup."""

import math

import numpy as np
import pytest

from keras_bridge import config
from keras_bridge import initializers
from keras_bridge import random as kb_random

# A conv kernel (kh, kw, in, out) big enough for tight statistics: receptive field
# 2 * 2 = 4, fan_in = 4 * 250 = 1000, fan_out = 4 * 500 = 2000, fan_avg = 1500.
KERNEL = (2, 2, 250, 500)
FANS = {"fan_in": 1000.0, "fan_out": 2000.0, "fan_avg": 1500.0}

RANDOM_CLASSES = [
    initializers.RandomNormal, initializers.RandomUniform, initializers.TruncatedNormal,
    initializers.VarianceScaling, initializers.GlorotUniform, initializers.GlorotNormal,
    initializers.HeUniform, initializers.HeNormal, initializers.LecunUniform,
    initializers.LecunNormal, initializers.Orthogonal,
]
ALL_CLASSES = RANDOM_CLASSES + [
    initializers.Zeros, initializers.Ones, initializers.Constant, initializers.Identity,
]


@pytest.mark.parametrize("cls", ALL_CLASSES, ids=lambda c: c.__name__)
def test_shape_and_default_dtype(cls):
    out = cls()((6, 4))
    assert isinstance(out, np.ndarray)
    assert out.shape == (6, 4)
    assert out.dtype == np.float32


@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda c: c.__name__)
def test_dtype_follows_argument_and_floatx(cls):
    assert cls()((3, 5), dtype="float64").dtype == np.float64
    assert cls()((3, 5), dtype="float16").dtype == np.float16
    config.set_floatx("float64")
    assert cls()((3, 5)).dtype == np.float64


@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda c: c.__name__)
def test_random_initializers_refuse_integer_dtypes(cls):
    with pytest.raises(ValueError, match="float dtype.*int32"):
        cls()((3, 3), dtype="int32")


def test_zeros_ones_constant():
    np.testing.assert_array_equal(initializers.Zeros()((2, 3)), np.zeros((2, 3)))
    np.testing.assert_array_equal(initializers.Ones()((2, 3), "int32"), np.ones((2, 3)))
    assert initializers.Ones()((2,), "int32").dtype == np.int32
    np.testing.assert_array_equal(initializers.Constant(2.5)((2, 2)), np.full((2, 2), 2.5))
    assert initializers.Constant()((3,)).sum() == 0.0
    # an array value broadcasts to the weight's shape
    row = initializers.Constant([1.0, 2.0, 3.0])((2, 3))
    np.testing.assert_array_equal(row, [[1, 2, 3], [1, 2, 3]])
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 4\)"):
        initializers.Constant([1.0, 2.0, 3.0])((2, 4))


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="shape"):
        initializers.Zeros()((2, -1))
    with pytest.raises(ValueError, match="shape"):
        initializers.RandomNormal()((2, None))
    assert initializers.Zeros()(4).shape == (4,)


def test_random_normal_statistics():
    x = initializers.RandomNormal(mean=1.5, stddev=0.3, seed=1)((1000, 500))
    assert abs(x.mean() - 1.5) < 5 * 0.3 / math.sqrt(x.size)
    assert abs(x.std() / 0.3 - 1.0) < 0.01


def test_random_uniform_statistics_and_bounds():
    x = initializers.RandomUniform(minval=-1.0, maxval=3.0, seed=2)((1000, 500))
    assert x.min() >= -1.0 and x.max() < 3.0
    assert x.min() < -0.99 and x.max() > 2.99
    assert abs(x.mean() - 1.0) < 0.01
    assert abs(x.std() / (4.0 / math.sqrt(12.0)) - 1.0) < 0.01


def test_truncated_normal_bounds_and_statistics():
    mean, stddev = 1.0, 0.5
    x = initializers.TruncatedNormal(mean=mean, stddev=stddev, seed=3)((1000, 500))
    assert x.min() >= mean - 2 * stddev and x.max() <= mean + 2 * stddev
    # values reach close to the bounds (resampled, not clipped: no pile-up at the edge)
    assert x.max() > mean + 1.99 * stddev
    # (clipping would put 4.6% of the values on the edges; the density there gives 0.11%)
    assert np.mean(np.abs(x - mean) > 1.99 * stddev) < 0.005
    # a unit normal truncated to [-2, 2] has standard deviation 0.8796...
    phi2 = math.exp(-2.0) / math.sqrt(2 * math.pi)
    truncated_std = math.sqrt(1 - 4 * phi2 / math.erf(2 / math.sqrt(2)))
    assert abs(x.std() / (stddev * truncated_std) - 1.0) < 0.01
    assert abs(x.mean() - mean) < 0.002


def _expected_fans(shape):
    """Keras's fans, written out independently of the module under test."""
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    receptive = int(np.prod(shape[:-2])) if len(shape) > 2 else 1
    return shape[-2] * receptive, shape[-1] * receptive


@pytest.mark.parametrize("shape", [(), (7,), (3, 5), (3, 4, 5), (3, 3, 16, 32), (2, 3, 4, 5, 6)])
def test_compute_fans(shape):
    assert initializers.compute_fans(shape) == _expected_fans(shape)


def test_fans_of_a_conv2d_kernel_written_out():
    assert initializers.compute_fans((3, 3, 16, 32)) == (3 * 3 * 16, 3 * 3 * 32)
    assert initializers.compute_fans((5, 8, 10)) == (5 * 8, 5 * 10)


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_has_the_requested_variance(mode, distribution):
    scale = 2.0
    x = initializers.VarianceScaling(scale, mode, distribution, seed=4)(KERNEL)
    target_std = math.sqrt(scale / FANS[mode])
    assert abs(x.std() / target_std - 1.0) < 0.01
    assert abs(x.mean()) < 5 * target_std / math.sqrt(x.size)
    if distribution == "uniform":
        limit = math.sqrt(3.0 * scale / FANS[mode])
        assert np.abs(x).max() <= limit and np.abs(x).max() > 0.999 * limit
    elif distribution == "truncated_normal":
        bound = 2.0 * target_std / 0.87962566103423978
        assert np.abs(x).max() <= bound and np.abs(x).max() > 0.99 * bound
    else:
        assert np.abs(x).max() > 4.0 * target_std  # untruncated: tails remain


def test_variance_scaling_rank_one_and_scalar():
    x = initializers.VarianceScaling(distribution="uniform", seed=5)((10000,))
    assert np.abs(x).max() <= math.sqrt(3.0 / 10000)
    y = initializers.VarianceScaling(distribution="uniform", seed=5)(())
    assert y.shape == () and abs(float(y)) <= math.sqrt(3.0)


def test_variance_scaling_keras2_normal_means_truncated():
    init = initializers.VarianceScaling(distribution="normal")
    assert init.distribution == "truncated_normal"
    assert initializers.VarianceScaling(distribution="Uniform").distribution == "uniform"


@pytest.mark.parametrize("cls, scale, mode, distribution", [
    (initializers.GlorotUniform, 1.0, "fan_avg", "uniform"),
    (initializers.GlorotNormal, 1.0, "fan_avg", "truncated_normal"),
    (initializers.HeUniform, 2.0, "fan_in", "uniform"),
    (initializers.HeNormal, 2.0, "fan_in", "truncated_normal"),
    (initializers.LecunUniform, 1.0, "fan_in", "uniform"),
    (initializers.LecunNormal, 1.0, "fan_in", "truncated_normal"),
])
def test_presets(cls, scale, mode, distribution):
    init = cls(seed=6)
    assert (init.scale, init.mode, init.distribution) == (scale, mode, distribution)
    assert init.get_config() == {"seed": 6}
    same = initializers.VarianceScaling(scale, mode, distribution, seed=6)
    np.testing.assert_array_equal(init((20, 30)), same((20, 30)))
    x = init(KERNEL)
    assert abs(x.std() / math.sqrt(scale / FANS[mode]) - 1.0) < 0.01


def test_variance_scaling_argument_errors():
    with pytest.raises(ValueError, match="mode.*fan_in.*Received: mode='fan_sum'"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match="distribution.*Received: distribution='cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")
    with pytest.raises(ValueError, match="scale.*positive.*-1"):
        initializers.VarianceScaling(scale=-1.0)
    with pytest.raises(ValueError, match="seed"):
        initializers.GlorotUniform(seed=-3)
    with pytest.raises(ValueError, match="seed"):
        initializers.RandomNormal(seed=1.5)


@pytest.mark.parametrize("shape", [(50, 30), (30, 50), (40, 40), (3, 3, 4, 8)])
def test_orthogonal(shape):
    gain = 2.0
    w = initializers.Orthogonal(gain=gain, seed=7)(shape, dtype="float64")
    assert w.shape == shape
    m = w.reshape(-1, shape[-1])
    rows, cols = m.shape
    gram = m.T @ m if rows >= cols else m @ m.T
    np.testing.assert_allclose(gram, gain**2 * np.eye(min(rows, cols)), atol=1e-10)


def test_orthogonal_needs_rank_two():
    with pytest.raises(ValueError, match="rank 2.*rank 1"):
        initializers.Orthogonal()((5,))


def test_identity():
    np.testing.assert_array_equal(initializers.Identity()((3, 3)), np.eye(3))
    np.testing.assert_array_equal(initializers.Identity(gain=0.5)((2, 4)), 0.5 * np.eye(2, 4))
    with pytest.raises(ValueError, match=r"2-D.*\(2, 2, 2\).*rank 3"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda c: c.__name__)
def test_seeded_initializer_repeats_itself(cls):
    kb_random.set_seed(0)
    a = cls(seed=11)((8, 6))
    kb_random.generator().standard_normal(100)  # the project's stream does not matter
    b = cls(seed=11)((8, 6))
    np.testing.assert_array_equal(a, b)
    init = cls(seed=11)
    np.testing.assert_array_equal(init((8, 6)), init((8, 6)))
    assert not np.array_equal(cls(seed=12)((8, 6)), a)


@pytest.mark.parametrize("cls", RANDOM_CLASSES, ids=lambda c: c.__name__)
def test_unseeded_draws_follow_set_seed(cls):
    kb_random.set_seed(123)
    first = cls()((8, 6))
    second = cls()((8, 6))
    assert not np.array_equal(first, second)
    kb_random.set_seed(123)
    np.testing.assert_array_equal(cls()((8, 6)), first)
    np.testing.assert_array_equal(cls()((8, 6)), second)


NAMES = {
    "zeros": initializers.Zeros, "zero": initializers.Zeros, "Zeros": initializers.Zeros,
    "ones": initializers.Ones, "one": initializers.Ones, "constant": initializers.Constant,
    "random_normal": initializers.RandomNormal, "normal": initializers.RandomNormal,
    "random_uniform": initializers.RandomUniform, "uniform": initializers.RandomUniform,
    "truncated_normal": initializers.TruncatedNormal,
    "variance_scaling": initializers.VarianceScaling,
    "glorot_uniform": initializers.GlorotUniform, "GlorotUniform": initializers.GlorotUniform,
    "glorot_normal": initializers.GlorotNormal, "he_uniform": initializers.HeUniform,
    "he_normal": initializers.HeNormal, "lecun_uniform": initializers.LecunUniform,
    "lecun_normal": initializers.LecunNormal, "orthogonal": initializers.Orthogonal,
    "Orthogonal": initializers.Orthogonal, "identity": initializers.Identity,
}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_get_by_name(name):
    init = initializers.get(name)
    assert type(init) is NAMES[name]


@pytest.mark.parametrize("init", [
    initializers.Zeros(), initializers.Constant(3.0), initializers.Constant([1.0, 2.0]),
    initializers.RandomNormal(0.5, 2.0, seed=1), initializers.RandomUniform(-1, 1),
    initializers.TruncatedNormal(stddev=0.1, seed=2),
    initializers.VarianceScaling(3.0, "fan_out", "uniform", seed=4),
    initializers.HeNormal(seed=5), initializers.GlorotUniform(),
    initializers.Orthogonal(gain=1.5, seed=6), initializers.Identity(gain=2.0),
], ids=repr)
def test_serialize_round_trip(init):
    data = initializers.serialize(init)
    assert data == {"class_name": type(init).__name__, "config": init.get_config()}
    back = initializers.get(data)
    assert type(back) is type(init) and back.get_config() == init.get_config()
    assert type(init).from_config(init.get_config()).get_config() == init.get_config()
    if "seed" in init.get_config() and init.get_config()["seed"] is not None:
        np.testing.assert_array_equal(back((4, 3)), init((4, 3)))


def test_get_accepts_keras3_saved_dicts_and_passes_through_callables():
    data = {"module": "keras.initializers", "class_name": "GlorotUniform",
            "config": {"seed": 3}, "registered_name": None}
    assert initializers.get(data).get_config() == {"seed": 3}
    assert initializers.get(None) is None
    init = initializers.HeUniform()
    assert initializers.get(init) is init

    def custom(shape, dtype=None):
        return np.full(shape, 7.0, dtype=dtype)

    assert initializers.get(custom) is custom
    assert type(initializers.get(initializers.LecunNormal)) is initializers.LecunNormal
    assert type(initializers.he_normal(seed=1)) is initializers.HeNormal


def test_unknown_identifiers_list_the_accepted_names():
    with pytest.raises(ValueError, match="'glorot_unifrom'") as info:
        initializers.get("glorot_unifrom")
    assert "glorot_uniform" in str(info.value) and "he_normal" in str(info.value)
    with pytest.raises(ValueError, match="Expected one of"):
        initializers.get({"class_name": "Xavier", "config": {}})
    with pytest.raises(ValueError, match="42"):
        initializers.get(42)
    with pytest.raises(ValueError, match="Initializer"):
        initializers.serialize(lambda shape, dtype=None: None)
