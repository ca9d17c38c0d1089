"""Keras 3's utility and normalization layers: Identity, RMSNormalization,
SpectralNormalization, AdaptiveAverage/MaxPooling1D-3D, on both engines.

Real Keras values come from tests/support/keras3_norm_fixture.npz, written by
tests/support/make_keras3_norm_fixture.py with Keras 3.15.1 (JAX backend); the pooling
references are numpy written here."""

import os

import numpy as np
import pytest

from keras_bridge import Input, Model, Sequential, layers, ops, saving, testing
from keras_bridge.utils import set_random_seed
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager
from support.layer_checks import saved_entry_roundtrip

from conftest import both_backends

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support",
                               "keras3_norm_fixture.npz"))


def test_fixture_is_from_keras_3_15_1():
    assert str(FIXTURE["keras_version"]) == "3.15.1"


# ---- Identity --------------------------------------------------------------------------
def test_identity_passes_inputs_and_shapes(backend):
    x = rand(3, 4)
    assert_close(run_eager(layers.Identity(), x, backend), x, rtol=0, atol=0)
    assert layers.Identity()(Input((5, 2))).shape == (None, 5, 2)
    assert layers.Identity().supports_masking
    clone = config_roundtrip(layers.Identity(name="same"))
    assert clone.name == "same"
    saved_entry_roundtrip(layers.Identity())


# ---- RMSNormalization ------------------------------------------------------------------
def _rms_numpy(x, scale, axes, epsilon):
    return x / np.sqrt(np.mean(x ** 2, axis=axes, keepdims=True) + epsilon) * scale


@pytest.mark.parametrize("tag", ["last", "axes"])
def test_rms_normalization_matches_keras_3(backend, tag):
    x, scale = FIXTURE[f"rms_{tag}_x"], FIXTURE[f"rms_{tag}_scale"]
    kwargs = {} if tag == "last" else {"axis": [-1, -2], "epsilon": 0.1}
    layer = layers.RMSNormalization(**kwargs)
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == ["scale"] and layer.scale.shape == scale.shape
    np.testing.assert_array_equal(layer.scale.numpy(), 1.0)  # ones, as Keras
    layer.set_weights([scale])
    got = run_eager(layer, x, backend)
    assert_close(got, FIXTURE[f"rms_{tag}_y"])
    axes = tuple(int(a) for a in FIXTURE[f"rms_{tag}_axis"])
    assert layer.get_config()["axis"] == list(axes)  # sorted list after build, as Keras
    assert_close(got, _rms_numpy(x, scale, axes, kwargs.get("epsilon", 1e-6)))


def test_rms_normalization_gradient_matches_keras_3():
    import jax
    from keras_bridge import config
    config.set_backend("jax")
    x, scale = FIXTURE["rms_axes_x"], FIXTURE["rms_axes_scale"]
    layer = layers.RMSNormalization(axis=[-2, -1], epsilon=0.1)
    layer.build(x.shape)
    layer.set_weights([scale])
    cot = FIXTURE["rms_axes_cot"]
    grad = jax.grad(lambda tv: (layer.stateless_call(tv, [], x)[0] * cot).sum())(
        [layer.scale.numpy()])
    assert_close(np.asarray(grad[0]), FIXTURE["rms_axes_grad_scale"], rtol=1e-5, atol=1e-5)


@both_backends()
def test_rms_normalization_parity():
    set_random_seed(1)
    inputs = Input((3, 4))
    model = Model(inputs, layers.RMSNormalization(axis=[1, 2])(layers.Dense(4)(inputs)))
    model.layers[-1].set_weights([rand(3, 4, seed=3)])
    testing.assert_backends_agree(model, rand(2, 3, 4, seed=2))


def test_rms_normalization_config_and_errors():
    clone = config_roundtrip(layers.RMSNormalization(axis=[1, 2], epsilon=1e-3))
    assert clone.axis == [1, 2] and clone.epsilon == 1e-3
    saved_entry_roundtrip(layers.RMSNormalization())
    with pytest.raises(ValueError, match="epsilon"):
        layers.RMSNormalization(epsilon=-1.0)
    with pytest.raises(TypeError, match="axis"):
        layers.RMSNormalization(axis="last")
    with pytest.raises(ValueError, match=r"Axis 3 is out of bounds.*\(None, 4\)"):
        layers.RMSNormalization(axis=3)(Input((4,)))


# ---- SpectralNormalization -------------------------------------------------------------
def _spectral(tag):
    inner = layers.Dense(3) if tag == "dense" else layers.Conv2D(2, 3)
    sn = layers.SpectralNormalization(inner, power_iterations=2)
    x = FIXTURE[f"sn_{tag}_x"]
    sn.build(x.shape)
    sn.set_weights([FIXTURE[f"sn_{tag}_w{i}"] for i in range(3)])
    return sn, x


@pytest.mark.parametrize("tag", ["dense", "conv"])
def test_spectral_normalization_weights_in_keras_order(tag):
    sn, _ = _spectral(tag)
    # Keras's paths nest the inner layer under the wrapper; the owner and name agree.
    want = [p.split("/")[-2:] for p in FIXTURE[f"sn_{tag}_paths"]]
    want[1][0] = sn.name  # Keras's fixture made two wrappers: spectral_normalization_1
    assert [w.path.split("/")[-2:] for w in sn.weights] == want
    assert [w.trainable for w in sn.weights] == list(FIXTURE[f"sn_{tag}_trainable"])
    assert sn.vector_u.shape == (1, sn.kernel.shape[-1])
    assert sn.non_trainable_weights == [sn.vector_u]


@pytest.mark.parametrize("tag", ["dense", "conv"])
def test_spectral_normalization_training_update_matches_keras_3(backend, tag):
    sn, x = _spectral(tag)
    assert_close(run_eager(sn, x, backend), FIXTURE[f"sn_{tag}_infer"], rtol=1e-5, atol=1e-5)
    for i, w in enumerate(sn.get_weights()):  # inference changes nothing
        np.testing.assert_array_equal(w, FIXTURE[f"sn_{tag}_w{i}"])
    for step, suffix in (("train", "after"), ("train2", "after2_")):
        got = run_eager(sn, x, backend, training=True)
        assert_close(got, FIXTURE[f"sn_{tag}_{step}"], rtol=1e-5, atol=1e-5)
        for i, w in enumerate(sn.get_weights()):
            assert_close(w, FIXTURE[f"sn_{tag}_{suffix}{i}"], rtol=1e-5, atol=1e-6)


def test_spectral_normalization_sigma_is_the_largest_singular_value(backend):
    """After many power iterations the normalized kernel's spectral norm is 1."""
    set_random_seed(3)
    sn = layers.SpectralNormalization(layers.Dense(4), power_iterations=50)
    x = rand(2, 6)
    sn(x)
    run_eager(sn, x, backend, training=True)
    assert np.linalg.svd(sn.kernel.numpy(), compute_uv=False)[0] == pytest.approx(1.0, 1e-4)


@pytest.mark.parametrize("tag", ["dense", "conv"])
def test_spectral_normalization_gradient_matches_keras_3(tag):
    import jax
    from keras_bridge import config
    config.set_backend("jax")
    sn, x = _spectral(tag)
    cot = FIXTURE[f"sn_{tag}_cot"]
    ntv = [v.numpy() for v in sn.non_trainable_variables]

    def loss(tv):
        return (sn.stateless_call(tv, ntv, x, training=True)[0] * cot).sum()
    grads = jax.grad(loss)([v.numpy() for v in sn.trainable_variables])
    for i, g in enumerate(grads):
        assert_close(np.asarray(g), FIXTURE[f"sn_{tag}_grad{i}"], rtol=1e-4, atol=1e-5)


@both_backends()
def test_spectral_normalization_parity_and_summary(capsys):
    set_random_seed(4)
    inputs = Input((5,))
    model = Model(inputs, layers.SpectralNormalization(layers.Dense(3))(inputs))
    testing.assert_backends_agree(model, rand(4, 5))
    model.summary()
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "spectral_normalization" in line)
    assert "(Spec" in row and row.split()[-1] == "21"  # 15 + 3 + vector_u's 3


def test_spectral_normalization_config_save_and_errors(tmp_path, backend):
    set_random_seed(5)
    model = Sequential([Input((5,)), layers.SpectralNormalization(layers.Dense(3),
                                                                  power_iterations=3)])
    x = rand(2, 5)
    model(x, training=True)
    path = str(tmp_path / "sn.keras")
    model.save(path)
    loaded = saving.load_model(path)
    sn = loaded.layers[0]
    assert type(sn) is layers.SpectralNormalization and sn.power_iterations == 3
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert_close(ops.convert_to_numpy(loaded(x)), ops.convert_to_numpy(model(x)))
    config_roundtrip(layers.SpectralNormalization(layers.Dense(2)))
    with pytest.raises(ValueError, match="power_iterations"):
        layers.SpectralNormalization(layers.Dense(2), power_iterations=0)
    with pytest.raises(ValueError, match="Flatten object has no attribute 'kernel' nor"):
        layers.SpectralNormalization(layers.Flatten())(Input((2, 3)))


# ---- adaptive pooling ------------------------------------------------------------------
def _adaptive_numpy(x, size, reduce):
    """channels_last numpy reference: bin i of n entries is [floor(i n/out), ceil((i+1) n/out))."""
    for axis, out in enumerate(size, start=1):
        n = x.shape[axis]
        bins = [np.take(x, range(i * n // out, -(-(i + 1) * n // out)), axis=axis)
                for i in range(out)]
        x = np.stack([reduce(b, axis=axis) for b in bins], axis=axis)
    return x


POOLS = [(layers.AdaptiveAveragePooling1D, np.mean, (7, 3), 3),
         (layers.AdaptiveMaxPooling1D, np.max, (7, 3), (4,)),
         (layers.AdaptiveAveragePooling2D, np.mean, (5, 7, 2), (2, 3)),
         (layers.AdaptiveMaxPooling2D, np.max, (5, 7, 2), 3),
         (layers.AdaptiveAveragePooling3D, np.mean, (4, 5, 3, 2), (3, 2, 2)),
         (layers.AdaptiveMaxPooling3D, np.max, (4, 5, 3, 2), 2)]
IDS = [p[0].__name__ for p in POOLS]


@pytest.mark.parametrize("index", range(len(POOLS)), ids=IDS)
def test_adaptive_pooling_against_numpy(backend, index):
    cls, reduce, shape, size = POOLS[index]
    rank = len(shape) - 1
    full = (size,) * rank if isinstance(size, int) else size
    x = rand(2, *shape, seed=index)
    want = _adaptive_numpy(x, full, reduce)
    assert_close(run_eager(cls(size), x, backend), want)
    first = np.moveaxis(x, -1, 1)
    got = run_eager(cls(size, data_format="channels_first"), first, backend)
    assert_close(got, np.moveaxis(want, -1, 1))
    assert cls(size)(Input(shape)).shape == (None, *full, shape[-1])
    assert cls(size, data_format="channels_first")(Input(shape)).shape == (None, shape[0], *full)
    clone = config_roundtrip(cls(size, name="pool"))
    assert clone.output_size == full
    saved_entry_roundtrip(cls(size))


@both_backends()
@pytest.mark.parametrize("index", [0, 3, 4], ids=[IDS[0], IDS[3], IDS[4]])
def test_adaptive_pooling_parity(index):
    cls, _, shape, size = POOLS[index]
    inputs = Input(shape)
    model = Model(inputs, cls(size)(layers.Dense(2)(inputs)))
    testing.assert_backends_agree(model, rand(2, *shape, seed=7))


def test_adaptive_pooling_errors():
    with pytest.raises(TypeError, match=r"output_size.*\(height, width\).*Received: \(1, 2, 3\)"):
        layers.AdaptiveAveragePooling2D((1, 2, 3))
    with pytest.raises(ValueError, match="positive integers"):
        layers.AdaptiveMaxPooling1D(0)
    with pytest.raises(ValueError, match="data_format"):
        layers.AdaptiveMaxPooling3D(2, data_format="NHWC")
    with pytest.raises(ValueError, match="ndim|rank"):
        layers.AdaptiveAveragePooling2D(2)(Input((4, 3)))


# ---- Wrapper, StackedRNNCells, ConvLSTM1D/3D (Keras 3 names) ----------------------------
def test_wrapper_and_stacked_cells_follow_keras_3():
    with pytest.raises(ValueError):
        layers.SpectralNormalization("dense")  # Wrapper checks its layer
    cells = layers.StackedRNNCells([layers.LSTMCell(3), layers.GRUCell(2)])
    clone = config_roundtrip(cells)
    assert [type(c) for c in clone.cells] == [layers.LSTMCell, layers.GRUCell]
    out = layers.RNN(cells)(Input((4, 5)))
    assert out.shape == (None, 2)
    assert layers.ConvLSTM1D(2, 3)(Input((3, 6, 1))).shape == (None, 4, 2)
    assert layers.ConvLSTM3D(2, 3, return_sequences=True)(Input((2, 4, 4, 4, 1))).shape == \
        (None, 2, 2, 2, 2, 2)
