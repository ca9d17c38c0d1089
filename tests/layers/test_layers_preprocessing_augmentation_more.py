"""Keras 3's colour, tone, filter, mixing, shear and perspective augmentations: pinned
transformations against real Keras 3 (tests/support/keras3_preprocessing.npz, made by
tests/support/make_preprocessing_fixtures.py) and numpy, training vs inference, seeds
and configs, on both engines."""

import os

import numpy as np
import pytest

from keras_bridge import layers
from support.layer_checks import assert_close, config_roundtrip, run_eager
from support.layer_checks import saved_entry_roundtrip

FIXTURES = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support",
                                "keras3_preprocessing.npz"))
UNIT = dict(value_range=(0, 1))

# JAX runs an eager layer op by op and compiles each op for each new shape, seconds per
# layer on this machine: JAX checks a few layers (the ops they share with the rest are
# checked on both engines by the ops tests), torch checks them all.
ON_JAX = {"grayscale", "posterization", "hue", "RandomInvert", "MixUp"}


def engine_cases(cases, backend, name=lambda case: case[0]):
    return [c for c in cases if backend != "jax" or name(c) in ON_JAX]


def test_pinned_colour_and_tone_match_keras(backend):
    rgb = FIXTURES["rgb"]
    for name, layer in engine_cases((
            ("grayscale", layers.RandomGrayscale(1.0)),
            ("invert", layers.RandomInvert((1.0, 1.0), **UNIT)),
            ("autocontrast", layers.AutoContrast(**UNIT)),
            ("posterization", layers.RandomPosterization((3, 3), **UNIT)),
            ("degeneration", layers.RandomColorDegeneration((0.6, 0.6), **UNIT)),
            ("saturation", layers.RandomSaturation((0.3, 0.3), **UNIT)),
            ("sharpness", layers.RandomSharpness((0.9, 0.9), **UNIT)),
            ("blur", layers.RandomGaussianBlur((1.0, 1.0), (5, 3), (0.7, 0.7), **UNIT)),
            ("equalization", layers.Equalization(**UNIT)),
            ("equalization_16", layers.Equalization(bins=16, **UNIT)),
            ("jitter", layers.RandomColorJitter(brightness_factor=(0.1, 0.1),
                                                saturation_factor=(0.7, 0.7), **UNIT))),
            backend):
        assert_close(run_eager(layer, rgb, backend), FIXTURES[name], atol=2e-6), name
    cf = layers.RandomGrayscale(1.0, data_format="channels_first")
    assert_close(run_eager(cf, np.moveaxis(rgb, -1, 1), backend), FIXTURES["grayscale_cf"])
    # Keras 3.15 draws the addition from [lower, upper * 255]; pinned as Keras's docs read.
    solarize = layers.Solarization((0.1, 0.1), (0.5, 0.5), value_range=(0, 255))
    assert_close(run_eager(solarize, rgb * 255.0, backend), FIXTURES["solarization"],
                 atol=2e-4)


def test_signed_draws_match_keras_either_way(backend):
    """RandomHue and RandomShear negate their draw at random: each image is Keras's
    output for one sign, and with a seed both signs occur."""
    rgb = np.concatenate([FIXTURES["rgb"]] * 4)
    for layer, name in engine_cases(
            ((layers.RandomHue((0.2, 0.2), **UNIT, seed=3), "hue"),
             (layers.RandomShear((0.2, 0.2), (0.1, 0.1), fill_mode="constant",
                                 fill_value=0.5, seed=3), "shear")), backend, lambda c: c[1]):
        out = run_eager(layer, rgb, backend)
        signs = []
        for i, image in enumerate(out):
            plus, minus = (FIXTURES[f"{name}_{t}"][i % 2] for t in ("plus", "minus"))
            close = [np.allclose(image, want, atol=2e-5) for want in (plus, minus)]
            assert any(close), (name, i)
            signs.append(close[0])
        assert any(signs) and not all(signs), name


def test_tone_against_numpy(backend):
    x = FIXTURES["rgb"] * 255.0
    posterized = run_eager(layers.RandomPosterization((2, 2)), x, backend)
    assert_close(posterized, np.floor(x / 64) * 64, atol=1e-4)
    solarized = run_eager(layers.Solarization(threshold_factor=(0.5, 0.5)), x, backend)
    assert_close(solarized, np.where(x < 127.5, x, 255 - x), atol=1e-4)
    assert_close(run_eager(layers.RandomInvert((1.0, 1.0)), x, backend), 255 - x, atol=1e-4)
    never = run_eager(layers.RandomInvert((0.0, 0.0)), x, backend)
    assert np.array_equal(never, x)
    dim = x * 0.5 + 10
    stretched = run_eager(layers.AutoContrast(), dim, backend, training=False)
    low, high = x.min(axis=(1, 2), keepdims=True), x.max(axis=(1, 2), keepdims=True)
    with np.errstate(invalid="ignore"):
        want = (x - low) / (high - low) * 255
    assert_close(stretched, np.where(np.isnan(want), dim, want), atol=1e-3)  # inference
    # too; the flat channel is kept


def test_erasing_fills_one_box(backend):
    x = FIXTURES["rgb"] * 0.5 + 0.2  # one shape for the whole module: fewer JAX compiles
    layer = layers.RandomErasing((1.0, 1.0), scale=(0.36, 0.36), fill_value=0.0, **UNIT,
                                 seed=4)
    out = run_eager(layer, x, backend)
    for image, source in zip(out, x):
        erased = np.all(image == 0.0, axis=-1)
        rows, cols = np.nonzero(erased)
        assert np.array_equal(image[~erased], source[~erased])
        box = erased[rows.min():rows.max() + 1, cols.min():cols.max() + 1]
        assert box.all() and 2 <= box.size <= 12  # sides 0.6 of 4 and 5, cut to grid
    per_channel = layers.RandomErasing((1.0, 1.0), fill_value=[0.1, 2.0, 0.3], **UNIT)
    out = run_eager(per_channel, x, backend)
    changed = np.any(out != x, axis=-1)
    assert changed.any()
    assert_close(out[changed], np.broadcast_to([0.1, 1.0, 0.3], out[changed].shape))


def test_mixup_and_cutmix_mix_labels_like_images(backend):
    x = np.concatenate([FIXTURES["rgb"] * (i + 1) for i in range(4)])
    labels = np.eye(8, dtype="float32")  # each label names its own image
    out = layers.MixUp(alpha=0.5, seed=5)({"images": x, "labels": labels})
    images, mixed = (np.asarray(out[k]) for k in ("images", "labels"))
    want = np.einsum("ij,jhwc->ihwc", mixed, x)  # the labels' weights mix the images
    assert_close(images, want, atol=1e-5)
    if backend == "jax":
        return  # CutMix's box ops: torch only (see ON_JAX)
    out = layers.CutMix(seed=6)({"images": x, "labels": labels})
    images, mixed = (np.asarray(out[k]) for k in ("images", "labels"))
    for i in range(8):
        other = int(np.argmax(mixed[i] - labels[i])) if mixed[i, i] < 1 else i
        from_other = (images[i] == x[other]) & (images[i] != x[i])
        assert np.all((images[i] == x[i]) | (images[i] == x[other]))
        assert mixed[i].sum() == pytest.approx(1.0, abs=1e-5)
        assert mixed[i, sorted({other, i})].sum() == pytest.approx(1.0, abs=1e-5)
        assert from_other.mean() <= mixed[i, other] + 0.35  # box edges are fractional
    assert not np.allclose(mixed, labels)
    single = run_eager(layers.CutMix(seed=1), x[0], backend)
    assert np.array_equal(single, x[0])  # nothing to mix with


def test_perspective(backend):
    x = FIXTURES["rgb"]
    off = run_eager(layers.RandomPerspective((0.0, 0.0), seed=1), x, backend)
    assert np.array_equal(off, x)
    if backend == "jax":
        return  # the warp's ops: torch only (see ON_JAX)
    still = run_eager(layers.RandomPerspective((1.0, 1.0), scale=0.0), x, backend)
    assert_close(still, x, atol=1e-5)
    warped = run_eager(layers.RandomPerspective((1.0, 1.0), scale=0.6, seed=1), x, backend)
    assert not np.allclose(warped, x)


ALL = (lambda s: layers.RandomGrayscale(0.5, seed=s),
       lambda s: layers.RandomInvert(**UNIT, seed=s),
       lambda s: layers.Solarization(0.5, 0.5, **UNIT, seed=s),
       lambda s: layers.RandomPosterization(6, **UNIT, seed=s),
       lambda s: layers.RandomColorDegeneration(0.8, **UNIT, seed=s),
       lambda s: layers.RandomSaturation(0.8, **UNIT, seed=s),
       lambda s: layers.RandomHue(0.8, **UNIT, seed=s),
       lambda s: layers.RandomSharpness(0.9, **UNIT, seed=s),
       lambda s: layers.RandomGaussianBlur(**UNIT, seed=s),
       lambda s: layers.RandomErasing(**UNIT, seed=s),
       lambda s: layers.MixUp(seed=s), lambda s: layers.CutMix(seed=s),
       lambda s: layers.RandomShear(0.3, 0.3, seed=s),
       lambda s: layers.RandomPerspective(seed=s),
       lambda s: layers.RandomColorJitter(**UNIT, brightness_factor=0.3, hue_factor=0.3,
                                          seed=s))


def test_training_only_and_seeds(backend):
    x = np.concatenate([FIXTURES["rgb"]] * 4)
    for make in engine_cases(ALL, backend, lambda make: type(make(0)).__name__):
        layer = make(11)
        name = type(layer).__name__
        assert np.array_equal(run_eager(layer, x, backend, training=False), x), name
        first, second = run_eager(layer, x, backend), run_eager(layer, x, backend)
        assert not np.array_equal(first, second), name  # new draws each call
        assert np.array_equal(run_eager(make(11), x, backend), first), name  # same seed
    eq = layers.Equalization(**UNIT)
    assert np.array_equal(run_eager(eq, x, backend, training=False), x)


def test_configs_round_trip_and_errors():
    for make in ALL:
        layer = make(3)
        clone = config_roundtrip(layer)
        saved_entry_roundtrip(layer)
        assert clone.seed == 3
    for layer in (layers.AutoContrast((0, 1)), layers.Equalization(bins=32)):
        config_roundtrip(layer)
    assert layers.RandomColorDegeneration(0.5).factor == (-0.5, 0.5)  # as Keras 3
    assert layers.RandomSharpness(0.5).factor == (0.0, 0.5)
    assert layers.Solarization(0.5).addition_factor == (0.0, 0.5)
    with pytest.raises(ValueError, match="`factor` should be between 0 and 1"):
        layers.RandomGrayscale(1.5)
    with pytest.raises(ValueError, match=r"`factor` argument should be.*\[1, 8\]"):
        layers.RandomPosterization(9)
    with pytest.raises(ValueError, match="whole numbers of bits"):
        layers.RandomPosterization(2.5)
    with pytest.raises(ValueError, match="`kernel_size` must be an odd"):
        layers.RandomGaussianBlur(kernel_size=4)
    with pytest.raises(ValueError, match="`fill_value` argument should be a number"):
        layers.RandomErasing(fill_value=[1, 2])
    with pytest.raises(ValueError, match=r"`x_factor` argument.*\[0, 1\]"):
        layers.RandomShear(-0.2)
    with pytest.raises(ValueError, match="`scale` argument should be a number"):
        layers.RandomPerspective(scale=2)
    with pytest.raises(ValueError, match="`value_range` argument should be a list of two"):
        layers.AutoContrast(value_range=1)
    with pytest.raises(ValueError, match="'images' entry"):
        layers.MixUp()({"pictures": np.zeros((2, 3, 3, 1), "float32")})
