"""Keras 3's augmentation layers: pinned transformations against real Keras 3
(tests/support/keras3_preprocessing.npz) and numpy, training vs inference, seeds, and
in-model use on both engines."""

import os

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers
from support.layer_checks import assert_close, config_roundtrip, rand, run_eager
from support.layer_checks import saved_entry_roundtrip
from support.references import bilinear_resize

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support",
                                "keras3_preprocessing.npz"))
MODES = [(f, i) for f in ("reflect", "wrap", "constant", "nearest")
         for i in ("bilinear", "nearest")]


@pytest.mark.parametrize("fill_mode,interpolation", MODES)
def test_pinned_transformations_match_keras(backend, fill_mode, interpolation):
    """A factor range of one value pins the transformation, so outputs are Keras 3's."""
    images = FIXTURES["images"]
    common = dict(fill_mode=fill_mode, interpolation=interpolation, fill_value=0.5)
    for name, layer in (
            ("rotation", layers.RandomRotation((0.1, 0.1), **common)),
            ("zoom", layers.RandomZoom((-0.3, -0.3), (0.2, 0.2), **common)),
            ("translation", layers.RandomTranslation((0.3, 0.3), (-0.15, -0.15), **common))):
        want = FIXTURES[f"{name}_{fill_mode}_{interpolation}"]
        assert_close(run_eager(layer, images, backend), want, atol=2e-6)


def test_quarter_turn_and_whole_pixel_shift_against_numpy(backend):
    x = rand(2, 5, 5, 3, seed=1)
    turned = run_eager(layers.RandomRotation((0.25, 0.25), interpolation="nearest"), x,
                       backend)
    assert_close(turned, np.rot90(x, k=1, axes=(1, 2)), atol=1e-6)
    shifted = run_eager(layers.RandomTranslation((0.2, 0.2), (0.0, 0.0), fill_mode="constant",
                                                 fill_value=-1.0), x, backend)
    want = np.concatenate([np.full_like(x[:, :1], -1.0), x[:, :-1]], axis=1)  # down a row
    assert_close(shifted, want, atol=1e-6)


def test_flip(backend):
    x = rand(8, 3, 4, 2, seed=2)
    out = run_eager(layers.RandomFlip("horizontal", seed=3), x, backend)
    flipped = [np.array_equal(o, xi[:, ::-1]) for o, xi in zip(out, x)]
    kept = [np.array_equal(o, xi) for o, xi in zip(out, x)]
    assert all(f or k for f, k in zip(flipped, kept)) and any(flipped) and any(kept)
    both = run_eager(layers.RandomFlip(seed=3), x, backend)  # both axes, or neither
    assert all(np.array_equal(o, xi[::-1, ::-1]) or np.array_equal(o, xi)
               for o, xi in zip(both, x))
    one = run_eager(layers.RandomFlip("vertical", seed=4), x[0], backend)  # one image
    assert np.array_equal(one, x[0]) or np.array_equal(one, x[0, ::-1])


def test_color(backend):
    x = rand(6, 4, 4, 3, low=50, high=200, seed=5)
    out = run_eager(layers.RandomBrightness((0.1, 0.1)), x, backend)  # delta pinned
    assert_close(out, np.clip(x + 25.5, 0, 255), atol=1e-4)
    out = run_eager(layers.RandomContrast(0.5, seed=6), x, backend)
    mean = x.mean(axis=(1, 2), keepdims=True)
    scale = (out - mean) / (x - mean)  # no clipping at these values
    per_image = scale.reshape(6, -1)
    assert_close(per_image, np.repeat(per_image[:, :1], per_image.shape[1], 1), atol=1e-3)
    assert np.all((per_image >= 0.5 - 1e-4) & (per_image <= 1.5 + 1e-4))
    assert np.ptp(per_image[:, 0]) > 0.01  # a factor per image
    clipped = run_eager(layers.RandomBrightness((1.0, 1.0), value_range=(0, 1)),
                        rand(2, 2, 2, 1, low=0, high=1), backend)
    assert np.array_equal(clipped, np.ones_like(clipped))


def test_random_crop(backend):
    x = rand(3, 6, 7, 2, seed=7)
    out = run_eager(layers.RandomCrop(3, 4, seed=8), x, backend)
    windows = [(i, j) for i in range(4) for j in range(4)
               if np.array_equal(out, x[:, i:i + 3, j:j + 4])]
    assert len(windows) == 1  # one window for the whole batch
    inference = run_eager(layers.RandomCrop(3, 4), x, backend, training=False)
    # Inference: the centred box of the output's aspect ratio (5 x 7 here), resized.
    want = np.stack([bilinear_resize(im[0:5], 3, 4) for im in x])
    assert_close(inference, want, atol=1e-6)


def test_training_only_and_seeds(backend):
    x = rand(4, 5, 5, 1, seed=9)
    for make in (lambda s: layers.RandomFlip(seed=s), lambda s: layers.RandomRotation(0.2, seed=s),
                 lambda s: layers.RandomZoom(0.3, seed=s),
                 lambda s: layers.RandomTranslation(0.2, 0.2, seed=s),
                 lambda s: layers.RandomContrast(0.5, value_range=(-9, 9), seed=s),
                 lambda s: layers.RandomBrightness(0.2, value_range=(-9, 9), seed=s)):
        layer = make(11)
        assert np.array_equal(run_eager(layer, x, backend, training=False), x)
        first, second = run_eager(layer, x, backend), run_eager(layer, x, backend)
        assert not np.array_equal(first, second), type(layer).__name__  # new draws each call
        twin = make(11)
        assert np.array_equal(run_eager(twin, x, backend), first)  # same seed, same draws


def test_configs_round_trip_and_errors():
    for layer in (layers.RandomFlip("vertical", seed=1), layers.RandomRotation(0.1, seed=2),
                  layers.RandomZoom((-0.2, 0.1), 0.3, fill_mode="constant"),
                  layers.RandomTranslation(0.1, (-0.2, 0.2), interpolation="nearest"),
                  layers.RandomContrast(0.3), layers.RandomBrightness(0.2, (0, 1)),
                  layers.RandomCrop(3, 3, seed=4)):
        clone = config_roundtrip(layer)
        saved_entry_roundtrip(layer)
        assert clone.seed == layer.seed
    with pytest.raises(ValueError, match=r"`factor` argument should be.*factor=1.5"):
        layers.RandomRotation(1.5)
    with pytest.raises(ValueError, match="Unknown `fill_mode` 'mirrored'"):
        layers.RandomRotation(0.1, fill_mode="mirrored")
    with pytest.raises(ValueError, match="Unknown `interpolation` 'cubic'"):
        layers.RandomZoom(0.1, interpolation="cubic")
    with pytest.raises(ValueError, match=r"height_factor.*\(-1, 1\]"):
        layers.RandomZoom(-1.0)
    with pytest.raises(ValueError, match="Unknown `mode`"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match="`value_range` argument should be a list of two"):
        layers.RandomBrightness(0.1, value_range=5)
    with pytest.raises(ValueError, match="rank 3 .* or 4"):
        layers.RandomFlip()(np.zeros((2, 3), "float32"))


def _augmented(seed):
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((6, 6, 1)), layers.RandomFlip(seed=seed),
                              layers.RandomRotation(0.1, seed=seed), layers.Rescaling(0.5),
                              layers.Flatten(), layers.Dense(1)])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    return model


def test_in_model_training_only_and_reproducible(backend):
    x, y = rand(16, 6, 6, 1, seed=12), rand(16, 1, seed=13)
    model = _augmented(5)
    model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    again = _augmented(5)
    again.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    for w, v in zip(model.get_weights(), again.get_weights()):
        np.testing.assert_array_equal(w, v)
    other = _augmented(6)
    other.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert not np.allclose(other.layers[-1].get_weights()[0], model.layers[-1].get_weights()[0])
    kernel, bias = model.layers[-1].get_weights()
    plain = (x.reshape(16, -1) * 0.5) @ kernel + bias  # predict/evaluate: no augmentation
    assert_close(model.predict(x, verbose=0), plain, rtol=1e-5, atol=1e-5)
    assert model.evaluate(x, y, verbose=0) == pytest.approx(float(((plain - y) ** 2).mean()),
                                                             rel=1e-5)


@pytest.mark.parametrize("fill_mode,numpy_mode", [("mirror", "reflect"), ("reflect", "symmetric"),
                                                  ("wrap", "wrap"), ("nearest", "edge")])
def test_affine_transform_fill_modes_against_numpy(backend, fill_mode, numpy_mode):
    """A shift by whole pixels samples the input padded as numpy pads (scipy's 'mirror'
    is numpy's 'reflect', scipy's 'reflect' numpy's 'symmetric')."""
    from keras_bridge import backends, ops
    x = rand(2, 4, 5, 1, seed=14)
    shift = [1, 0, 3, 0, 1, -2, 0, 0]  # input x + 3, input y - 2
    out = ops.image.affine_transform(backends.get(backend).ops.convert_to_tensor(x), shift,
                                     "nearest", fill_mode)
    padded = np.pad(x, [(0, 0), (4, 4), (5, 5), (0, 0)], mode=numpy_mode)
    assert_close(ops.convert_to_numpy(out), padded[:, 2:6, 8:13], atol=0)
    with pytest.raises(ValueError, match="Invalid value for argument `fill_mode`"):
        ops.image.affine_transform(x, shift, fill_mode="edge")
    with pytest.raises(ValueError, match=r"Invalid transform: expected shape \(8,\)"):
        ops.image.affine_transform(x, [1, 0, 0])
