"""Keras 3's preprocessing layers: numerical, categorical, image sizing.

References: numpy written here, and real Keras 3 outputs in
tests/support/keras3_preprocessing.npz (made by tests/support/make_preprocessing_fixtures.py).
"""

import os

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers, ops
from keras_bridge.testing import assert_backends_agree
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager
from support.layer_checks import saved_entry_roundtrip
from support.references import bilinear_resize

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support",
                                "keras3_preprocessing.npz"))


# ---- Normalization --------------------------------------------------------------------
def test_normalization_adapt_on_an_array(backend):
    data = rand(20, 3, seed=1, loc=2.0, scale=3.0)
    layer = layers.Normalization()
    layer.adapt(data)
    x = rand(4, 3, seed=2)
    want = (x - data.mean(0)) / np.sqrt(data.var(0))
    assert_close(run_eager(layer, x, backend), want, rtol=1e-5, atol=1e-5)
    assert [w.path for w in layer.weights] == ["normalization/mean", "normalization/variance",
                                                "normalization/count"]
    assert layer.count.numpy().dtype == np.int32 and not layer.trainable_weights


def test_normalization_axes_and_invert(backend):
    data = rand(6, 4, 5, seed=3)
    layer = layers.Normalization(axis=None)  # one scalar mean and variance
    layer.adapt(data)
    x = rand(2, 4, 5, seed=4)
    assert_close(run_eager(layer, x, backend), (x - data.mean()) / data.std(), atol=1e-5)
    layer = layers.Normalization(axis=(1, 2), invert=True)
    layer.adapt(data)
    assert_close(run_eager(layer, x, backend), x * data.std(0) + data.mean(0), atol=1e-5)
    # Keras's docstring example: adapt, then the inverse.
    adapt = np.array([[0., 7., 4.], [2., 9., 6.], [0., 7., 4.], [2., 9., 6.]], "float32")
    layer = layers.Normalization(axis=-1, invert=True)
    layer.adapt(adapt)
    assert_close(run_eager(layer, np.array([[1., 2., 3.]], "float32"), backend),
                 np.array([[2., 10., 8.]], "float32"))


def test_normalization_given_statistics(backend):
    layer = layers.Normalization(mean=3.0, variance=2.0)
    x = np.array([[1.], [2.], [3.]], "float32")
    assert_close(run_eager(layer, x, backend), (x - 3) / np.sqrt(2.0))
    layer = layers.Normalization(axis=-1, mean=[1.0, 2.0], variance=[4.0, 9.0])
    x = rand(3, 5, 2, seed=5)
    assert_close(run_eager(layer, x, backend), (x - [1, 2]) / np.array([2.0, 3.0]))
    assert layer.weights == []


def test_normalization_adapt_on_batches(backend):
    data = rand(30, 2, 3, seed=6, loc=1.0, scale=2.0)
    whole = layers.Normalization(axis=-1)
    whole.adapt(data)
    listed = layers.Normalization(axis=-1)
    listed.adapt([data[:7], data[7:20], data[20:]])
    generated = layers.Normalization(axis=-1)
    generated.adapt((data[i:i + 8], np.zeros(8)) for i in range(0, 30, 8))  # (x, y) batches
    for layer in (listed, generated):
        assert_close(layer.adapt_mean.numpy(), data.mean((0, 1)), atol=1e-6)
        assert_close(layer.adapt_variance.numpy(), data.var((0, 1)), atol=1e-5)
    x = rand(2, 2, 3, seed=7)
    assert_close(run_eager(listed, x, backend), run_eager(whole, x, backend), atol=1e-5)


def test_normalization_errors(backend):
    layer = layers.Normalization(axis=-1)
    layer.adapt(rand(4, 3))
    with pytest.raises(ValueError, match=r"built for inputs of shape \(4, 3\).*\(4, 3, 1\)"):
        layer.adapt(rand(4, 3, 1))  # wrong rank
    with pytest.raises(ValueError, match="received data of shape"):
        layers.Normalization().adapt([rand(4, 3), rand(4, 2)])
    with pytest.raises(ValueError, match=r"`axis` values must be in the range"):
        layers.Normalization(axis=2).adapt(rand(4, 3))
    with pytest.raises(ValueError, match="both `mean` and `variance` must be set"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="empty iterable"):
        layers.Normalization().adapt([])
    with pytest.raises(TypeError, match="numpy array, a tensor or an iterable"):
        layers.Normalization().adapt(3.0)


# ---- Rescaling --------------------------------------------------------------------------
def test_rescaling(backend):
    x = rand(2, 3, 3, 2, low=0, high=255)
    assert_close(run_eager(layers.Rescaling(1 / 255.0), x, backend), x / 255.0)
    per_channel = layers.Rescaling([1.0, 2.0], offset=-1.0)
    assert_close(run_eager(per_channel, x, backend), x * [1.0, 2.0] - 1.0, rtol=1e-6)
    ints = np.arange(6, dtype="uint8").reshape(2, 3)
    out = run_eager(layers.Rescaling(0.5), ints, backend)
    assert out.dtype == np.float32 and np.array_equal(out, ints / 2.0)


# ---- Resizing, CenterCrop -------------------------------------------------------------
def test_resizing_against_numpy_and_keras(backend):
    images = FIXTURES["images"]
    want = np.stack([bilinear_resize(im, 3, 4) for im in images])
    assert_close(run_eager(layers.Resizing(3, 4), images, backend), want, atol=1e-6)
    nearest = run_eager(layers.Resizing(10, 12, interpolation="nearest"), images, backend)
    assert np.array_equal(nearest, images.repeat(2, axis=1).repeat(2, axis=2))
    for kw in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
        for size in ((4, 4), (3, 7)):
            got = run_eager(layers.Resizing(*size, **{kw: True}, fill_value=0.25), images,
                            backend)
            assert_close(got, FIXTURES[f"resize_{kw}_{size[0]}x{size[1]}"], atol=1e-6)
    ints = (images * 255).astype("uint8")
    out = run_eager(layers.Resizing(3, 4), ints, backend)
    assert out.dtype == np.uint8
    exact = np.stack([bilinear_resize(im.astype("float64"), 3, 4) for im in ints])
    assert np.abs(out - exact).max() <= 0.5 + 1e-4  # rounded (float32 math near halves)


def test_resizing_errors():
    with pytest.raises(ValueError, match=r"`interpolation`.*Received: interpolation='cubic'"):
        layers.Resizing(2, 2, interpolation="cubic")
    with pytest.raises(NotImplementedError, match="'bicubic'.*not implemented yet"):
        layers.Resizing(2, 2, interpolation="bicubic")
    with pytest.raises(ValueError, match="Only one of"):
        layers.Resizing(2, 2, crop_to_aspect_ratio=True, pad_to_aspect_ratio=True)
    with pytest.raises(ValueError, match="positive integer `height`"):
        layers.Resizing(0, 2)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.Resizing(2, 2)(np.zeros((2, 3), "float32"))


def test_center_crop(backend):
    x = rand(2, 6, 7, 3, seed=8)
    assert_close(run_eager(layers.CenterCrop(4, 3), x, backend), x[:, 1:5, 2:5])
    assert_close(run_eager(layers.CenterCrop(4, 3), x[0], backend), x[0, 1:5, 2:5])
    # Too small: the centred box of the output's aspect ratio (6 x 3 of 6 x 7), resized.
    small = run_eager(layers.CenterCrop(8, 4), x, backend)
    want = np.stack([bilinear_resize(im[:, 2:5], 8, 4) for im in x])
    assert_close(small, want, atol=1e-6)


def test_channels_first(backend):
    x = rand(2, 3, 6, 7, seed=9)
    out = run_eager(layers.CenterCrop(4, 3, data_format="channels_first"), x, backend)
    assert_close(out, x[:, :, 1:5, 2:5])
    out = run_eager(layers.Resizing(3, 4, data_format="channels_first"), x, backend)
    want = np.stack([bilinear_resize(im.transpose(1, 2, 0), 3, 4) for im in x])
    assert_close(out, want.transpose(0, 3, 1, 2), atol=1e-6)


# ---- Discretization, CategoryEncoding --------------------------------------------------
def test_discretization(backend):
    x = np.array([[-1.5, 1.0, 3.4, 0.5], [0.0, 3.0, 1.3, 0.0]], "float32")
    layer = layers.Discretization(bin_boundaries=[0.0, 1.0, 2.0])
    out = run_eager(layer, x, backend)
    assert out.dtype == np.int32 and np.array_equal(out, np.digitize(x, [0.0, 1.0, 2.0]))
    hot = run_eager(layers.Discretization([0.0, 1.0, 2.0], output_mode="one_hot"),
                    x[:, :1], backend)
    assert_close(hot, np.eye(4, dtype="float32")[np.digitize(x[:, 0], [0.0, 1.0, 2.0])])
    counts = run_eager(layers.Discretization([0.0, 1.0, 2.0], output_mode="count"), x,
                       backend)
    want = np.stack([np.bincount(np.digitize(r, [0.0, 1.0, 2.0]), minlength=4) for r in x])
    assert_close(counts, want.astype("float32"))


def test_discretization_adapt_matches_keras(backend):
    values = FIXTURES["discretization_data"]
    layer = layers.Discretization(num_bins=5)
    layer.adapt(values)
    np.testing.assert_array_equal(np.float32(layer.bin_boundaries),
                                  FIXTURES["discretization_boundaries"])
    batched = layers.Discretization(num_bins=4, epsilon=0.05)
    batched.adapt([values[:300], values[300:700], values[700:]])
    np.testing.assert_array_equal(np.float32(batched.bin_boundaries),
                                  FIXTURES["discretization_batched_boundaries"])
    clone = layers.Discretization.from_config(batched.get_config())  # adapted state kept
    assert clone.bin_boundaries == batched.bin_boundaries and clone.num_bins == 4
    out = run_eager(clone, values[:10], backend)
    assert np.array_equal(out, np.digitize(values[:10], np.float32(batched.bin_boundaries)))
    with pytest.raises(ValueError, match="initialized with `bin_boundaries`"):
        layers.Discretization([0.0]).adapt(values)
    with pytest.raises(ValueError, match="either `num_bins` or `bin_boundaries`"):
        layers.Discretization()
    with pytest.raises(ValueError, match="call `adapt"):
        layers.Discretization(num_bins=3)(values)


def test_category_encoding(backend):
    x = np.array([[0, 1], [0, 0], [1, 2], [3, 1]], "int32")
    multi = run_eager(layers.CategoryEncoding(4), x, backend)
    want = np.zeros((4, 4), "float32")
    for i, row in enumerate(x):
        want[i, row] = 1
    assert_close(multi, want)
    one = run_eager(layers.CategoryEncoding(4, output_mode="one_hot"), x[:, :1], backend)
    assert_close(one, np.eye(4, dtype="float32")[x[:, 0]])
    weights = rand(4, 2, seed=10)
    count = run_eager(layers.CategoryEncoding(4, output_mode="count"), x, backend,
                      count_weights=weights)
    want = np.zeros((4, 4), "float32")
    for i, (row, w) in enumerate(zip(x, weights)):
        np.add.at(want[i], row, w)
    assert_close(count, want)
    assert layers.CategoryEncoding(3, output_mode="binary").output_mode == "multi_hot"
    with pytest.raises(ValueError, match="num_tokens must be set"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="Unknown arg for output_mode"):
        layers.CategoryEncoding(3, output_mode="tf_idf")
    with pytest.raises(ValueError, match="`count_weights` is not used"):
        layers.CategoryEncoding(4)(x, count_weights=weights)


# ---- configs, saving, both engines ------------------------------------------------------
def _deterministic_layers():
    adapted = layers.Normalization(axis=-1)
    adapted.adapt(rand(10, 4, seed=11, loc=1.0))
    return [adapted, layers.Normalization(mean=[0.5] * 4, variance=[2.0] * 4),
            layers.Rescaling(0.5, offset=0.1), layers.Resizing(3, 5),
            layers.Resizing(2, 2, crop_to_aspect_ratio=True), layers.CenterCrop(2, 3),
            layers.Discretization([0.0, 1.0]), layers.CategoryEncoding(5, "one_hot")]


def test_configs_round_trip():
    for layer in _deterministic_layers():
        config_roundtrip(layer)
        saved_entry_roundtrip(layer)


def test_engines_agree_forward_and_gradients():
    def model():
        inputs = keras.Input((6, 5, 4))
        x = layers.Normalization(mean=[0.5] * 4, variance=[2.0] * 4)(inputs)
        x = layers.Rescaling(2.0, offset=-0.5)(layers.Conv2D(4, 3, padding="same")(x))
        x = layers.Resizing(4, 7)(x)
        x = layers.Resizing(3, 3, crop_to_aspect_ratio=True, interpolation="nearest")(x)
        return keras.Model(inputs, layers.Dense(2)(layers.Flatten()(x)))
    assert_backends_agree(model, rand(2, 6, 5, 4, seed=12), atol=1e-5, grad_atol=1e-5)


def test_adapted_normalization_is_saved_with_the_model(backend, tmp_path):
    norm = layers.Normalization(axis=-1)
    norm.adapt(rand(12, 3, seed=13, loc=4.0, scale=2.0))
    model = keras.Sequential([keras.Input((3,)), norm, layers.Dense(1)])
    model.compile("sgd", "mse")
    x = rand(5, 3, seed=14, loc=4.0)
    want = model.predict(x, verbose=0)
    path = str(tmp_path / "normalized.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert_close(loaded.predict(x, verbose=0), want)
    assert_close(loaded.layers[0].adapt_mean.numpy(), norm.adapt_mean.numpy())
