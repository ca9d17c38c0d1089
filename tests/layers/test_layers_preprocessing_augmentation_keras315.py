"""Keras 3.15's last image preprocessing layers: ContrastLimitedAdaptiveHistogramEqualization,
MaxNumBoundingBoxes, RandomElasticTransform, RandAugment and AugMix, against real Keras 3
(tests/support/fixtures/keras3_more_augment.npz, made by
tests/support/make_keras3_more_augment_fixture.py) and numpy: training vs inference, seeds,
configs and saving, on both engines. All images share one small shape (JAX compiles each
eager op per shape)."""

import json
import os

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers, ops, saving
from support.layer_checks import assert_close, config_roundtrip, run_eager
from support.layer_checks import TORCH_ONLY, engine_cases, saved_entry_roundtrip

FIXTURE = np.load(os.path.join(os.path.dirname(__file__), os.pardir, "support", "fixtures",
                               "keras3_more_augment.npz"))
IMAGES = FIXTURE["images"]  # (2, 6, 6, 3) in [0, 255]
CLAHE = layers.ContrastLimitedAdaptiveHistogramEqualization


def test_fixture_is_from_keras_3_15_1():
    assert str(FIXTURE["keras_version"]) == "3.15.1"


# ---- ContrastLimitedAdaptiveHistogramEqualization ------------------------------------------
@pytest.mark.parametrize("backend,name", engine_cases(
    sorted(json.loads(str(FIXTURE["settings"]))), on_jax=("clahe_cf", "clahe_padded")),
    indirect=["backend"])
def test_clahe_matches_keras(backend, name):
    kwargs, key = json.loads(str(FIXTURE["settings"]))[name]
    layer = CLAHE(**kwargs)
    if backend == "jax":  # jitted in a model (eager JAX compiles op by op: seconds)
        model = keras.Sequential([keras.Input(FIXTURE[key].shape[1:]), layer])
        assert_close(model.predict(FIXTURE[key], verbose=0), FIXTURE[name + "_inference"],
                     atol=3e-5)
        return
    assert_close(run_eager(layer, FIXTURE[key], backend), FIXTURE[name], atol=3e-5)
    # applied in inference too, as Keras 3
    assert_close(run_eager(layer, FIXTURE[key], backend, training=False),
                 FIXTURE[name + "_inference"], atol=3e-5)


def _clahe_one_tile_numpy(image):
    """One tile covering the image, no clipping: histogram equalization by the cdf."""
    out = np.empty_like(image)
    for c in range(image.shape[-1]):
        values = np.clip(image[..., c].astype("int32"), 0, 255)
        cdf = np.cumsum(np.bincount(values.ravel(), minlength=256)).astype("float64")
        span = values.size - cdf.min()
        out[..., c] = np.clip((cdf - cdf.min()) * 255.0 / (span or 1.0), 0, 255)[values]
    return out


@TORCH_ONLY  # the same ops as test_clahe_matches_keras
def test_clahe_single_tile_is_histogram_equalization(backend):
    got = run_eager(CLAHE(clip_limit=0, tile_grid_size=(1, 1)), IMAGES, backend)
    want = np.stack([_clahe_one_tile_numpy(image) for image in IMAGES])
    assert_close(got, want, atol=1e-3)


def test_clahe_config_and_errors():
    layer = CLAHE(value_range=(0, 1), clip_limit=2.5, tile_grid_size=(3, 4),
                  data_format="channels_first")
    clone = config_roundtrip(layer)
    assert (clone.clip_limit, clone.tile_grid_size) == (2.5, (3, 4))
    saved_entry_roundtrip(layer)
    assert set(layer.get_config()) >= {"value_range", "clip_limit", "tile_grid_size",
                                       "data_format"}
    with pytest.raises(ValueError, match="`tile_grid_size` should be a pair"):
        CLAHE(tile_grid_size=(0, 2))
    with pytest.raises(ValueError, match="`clip_limit` should be a number"):
        CLAHE(clip_limit="4")


# ---- MaxNumBoundingBoxes -----------------------------------------------------------------
def _boxes():
    return {"boxes": FIXTURE["boxes"], "labels": FIXTURE["box_labels"]}


@pytest.mark.parametrize("number", [2, 5])
def test_max_num_bounding_boxes_matches_keras(backend, number):
    layer = layers.MaxNumBoundingBoxes(number, fill_value=-2, bounding_box_format="xyxy")
    out = layer({"images": IMAGES, "bounding_boxes": _boxes(), "labels": np.arange(2)})
    boxes = ops.convert_to_numpy(out["bounding_boxes"]["boxes"])
    labels = ops.convert_to_numpy(out["bounding_boxes"]["labels"])
    np.testing.assert_array_equal(boxes, FIXTURE[f"max_boxes_{number}/boxes"])
    np.testing.assert_array_equal(labels, FIXTURE[f"max_boxes_{number}/labels"])
    assert np.array_equal(ops.convert_to_numpy(out["images"]), IMAGES)
    assert np.array_equal(ops.convert_to_numpy(out["labels"]), np.arange(2))
    one = layer({"images": IMAGES[0], "bounding_boxes": {"boxes": FIXTURE["boxes"][0],
                                                          "labels": FIXTURE["box_labels"][0]}})
    np.testing.assert_array_equal(ops.convert_to_numpy(one["bounding_boxes"]["boxes"]),
                                  FIXTURE[f"max_boxes_{number}/boxes"][0])
    assert np.array_equal(ops.convert_to_numpy(layer(IMAGES)), IMAGES)  # images only


def test_max_num_bounding_boxes_shapes_config_and_errors():
    layer = layers.MaxNumBoundingBoxes(4, bounding_box_format="xyxy")
    shapes = layer.compute_output_shape({"images": (None, 6, 6, 3), "bounding_boxes": {
        "boxes": (None, 9, 4), "labels": (None, 9)}})
    assert shapes["bounding_boxes"] == {"boxes": (None, 4, 4), "labels": (None, 4)}
    assert config_roundtrip(layer).max_number == 4
    saved_entry_roundtrip(layer)
    with pytest.raises(ValueError, match="didn't specify a bounding box format"):
        layers.MaxNumBoundingBoxes(4)({"images": IMAGES, "bounding_boxes": _boxes()})
    with pytest.raises(ValueError, match="dict with keys 'boxes' and 'labels'"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": FIXTURE["boxes"]}})
    with pytest.raises(ValueError, match=r"\(batch_size, num_boxes, 4\)"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": FIXTURE["boxes"][0],
                                                     "labels": FIXTURE["box_labels"]}})
    with pytest.raises(ValueError, match="`max_number` should be a positive integer"):
        layers.MaxNumBoundingBoxes(0)
    with pytest.raises(KeyError, match="unsupported keys"):
        layer.compute_output_shape({"images": (None, 6, 6, 3), "bounding_boxes": {
            "boxes": (None, 9, 4), "labels": (None, 9), "scores": (None, 9)}})


# ---- RandomElasticTransform --------------------------------------------------------------
def _blur_numpy(field, sigma):
    """Keras's gaussian_blur: int(6 sigma) | 1 normalised taps, zero 'same' padding."""
    k = int(6 * sigma) | 1
    taps = np.arange(k) - (k - 1) / 2
    g = np.exp(-0.5 * (taps / sigma) ** 2)
    g /= g.sum()
    pad = (k - 1) // 2
    padded = np.pad(field, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    height, width = field.shape[1:3]
    return sum(g[i] * g[j] * padded[:, i:i + height, j:j + width]
               for i in range(k) for j in range(k))


def _bilinear_nearest_numpy(image, rows, cols):
    """``image`` read at float positions, bilinear, edges extended (fill_mode='nearest')."""
    height, width = image.shape[:2]
    r0, c0 = np.floor(rows), np.floor(cols)
    wr, wc = (rows - r0)[..., None], (cols - c0)[..., None]

    def at(r, c):
        return image[np.clip(r, 0, height - 1).astype(int), np.clip(c, 0, width - 1).astype(int)]

    return (1 - wr) * ((1 - wc) * at(r0, c0) + wc * at(r0, c0 + 1)) + \
        wr * ((1 - wc) * at(r0 + 1, c0) + wc * at(r0 + 1, c0 + 1))


@pytest.mark.parametrize("backend,case", engine_cases([(16, 1.0), (16, 0.6), (6, 1.0)],
                                                    on_jax=[(6, 1.0)]), indirect=["backend"])
def test_elastic_transform_against_numpy(backend, case):
    size, strength = case
    """The strength pinned and the normal draws given: the field is blurred, scaled and
    sampled as Keras 3 defines it (16 x 16: sigma 0.8 and 0.48, 5 and 1 taps)."""
    rng = np.random.default_rng(size)
    x = rng.uniform(0, 255, (2, size, size, 3)).astype("float32")
    noise = rng.standard_normal((2, size, size, 2)).astype("float32")
    layer = layers.RandomElasticTransform((1.0, 1.0), (strength, strength),
                                          fill_mode="nearest")
    layer.noise = lambda shape: ops.convert_to_tensor(noise)  # the field's draws, fixed
    got = run_eager(layer, x, backend)
    alpha, sigma = 0.1 * strength * size, 0.05 * strength * size
    field = _blur_numpy(noise * sigma, sigma) * alpha
    rows, cols = np.meshgrid(np.arange(size, dtype="float64"), np.arange(size), indexing="ij")
    want = np.stack([_bilinear_nearest_numpy(x[b], rows + field[b, ..., 1],
                                             cols + field[b, ..., 0]) for b in range(2)])
    assert_close(got, np.clip(want, 0, 255).astype("float32"), rtol=1e-5, atol=2e-4)
    assert np.abs(got - x).max() > 1.0  # it moved


def test_elastic_blur_window_follows_the_drawn_sigma():
    """The window is sized for the largest sigma; a smaller drawn sigma gives Keras's
    int(6 sigma) | 1 taps (torch: the helper is engine-neutral ops)."""
    layer = layers.RandomElasticTransform(scale=(0.1, 1.0))
    field = np.random.default_rng(2).standard_normal((1, 9, 9, 2)).astype("float32")
    for sigma in (0.3, 0.7, 1.2):
        got = ops.convert_to_numpy(layer._blur(ops.convert_to_tensor(field, "float32"),
                                               ops.convert_to_tensor(sigma, "float32"), 1.25))
        assert_close(got, _blur_numpy(field, sigma).astype("float32"), atol=1e-5)


def test_elastic_training_only_seeds_and_config(backend):
    x = IMAGES
    layer = layers.RandomElasticTransform(scale=0.8, seed=4)
    assert layer.factor == (0.0, 1.0) and layer.scale == (0.0, 0.8)  # as Keras 3
    assert np.array_equal(run_eager(layer, x, backend, training=False), x)
    first, second = run_eager(layer, x, backend), run_eager(layer, x, backend)
    assert not np.array_equal(first, second)
    again = run_eager(layers.RandomElasticTransform(scale=0.8, seed=4), x, backend)
    assert np.array_equal(again, first)
    never = layers.RandomElasticTransform(factor=0.0, seed=4)
    assert np.array_equal(run_eager(never, x, backend), x)
    clone = config_roundtrip(layers.RandomElasticTransform(0.5, (0.2, 0.4), "nearest",
                                                           "constant", 3.0, (0, 1), seed=2))
    assert (clone.fill_mode, clone.scale, clone.seed) == ("constant", (0.2, 0.4), 2)
    saved_entry_roundtrip(clone)
    with pytest.raises(NotImplementedError, match="Unknown `interpolation`"):
        layers.RandomElasticTransform(interpolation="bicubic")
    with pytest.raises(NotImplementedError, match="Unknown `fill_mode`"):
        layers.RandomElasticTransform(fill_mode="edge")
    with pytest.raises(ValueError, match="`scale` argument should be"):
        layers.RandomElasticTransform(scale=2.0)


# ---- RandAugment and AugMix --------------------------------------------------------------
CANDIDATES = sorted(k for k in FIXTURE if k.startswith("candidate/"))


def _matching(out):
    """The names of Keras's factor-0 augmentations whose output ``out`` is."""
    return {k.split("/")[1] for k in CANDIDATES if np.allclose(out, FIXTURE[k], atol=2e-3)}


@TORCH_ONLY
def test_policy_augmentations_are_keras_3s(backend):
    """Each of the eleven augmentations, as built for factor=0, gives Keras 3's output."""
    policy = layers.RandAugment(factor=0.0)
    for key in CANDIDATES:
        sub = getattr(policy, key.split("/")[1])
        got = ops.convert_to_numpy(sub.transform(ops.convert_to_tensor(IMAGES)))
        assert_close(got, FIXTURE[key], rtol=1e-5, atol=5e-5), key
    assert policy.random_posterization.factor == (1, 1)  # max(1, int(8 * 0)) bits
    assert layers.RandAugment().random_posterization.factor == (1, 4)
    assert layers.AugMix().random_rotation.factor == (0.0, 0.3)


@TORCH_ONLY
def test_rand_augment_applies_one_drawn_augmentation(backend):
    layer = layers.RandAugment(num_ops=1, factor=0.0, seed=3)
    assert np.array_equal(run_eager(layer, IMAGES, backend, training=False), IMAGES)
    outs = [run_eager(layer, IMAGES, backend) for _ in range(6)]
    picked = [_matching(out) for out in outs]
    assert all(picked), picked  # each call is one of Keras's augmentations (batch-wide)
    assert len({frozenset(p) for p in picked}) > 1  # and the draw changes
    again = layers.RandAugment(num_ops=1, factor=0.0, seed=3)
    assert np.array_equal(run_eager(again, IMAGES, backend), outs[0])  # seeded
    none = layers.RandAugment(num_ops=0, seed=3)
    assert np.array_equal(run_eager(none, IMAGES, backend), IMAGES)


@TORCH_ONLY
def test_aug_mix_blends_the_image_with_its_chains(backend):
    """One chain of one step, factor 0: out = w x + (1 - w) a(x) for one of Keras's
    augmentations a (or none), w in [0, 1]."""
    layer = layers.AugMix(num_chains=1, chain_depth=1, factor=0.0, seed=5)
    assert np.array_equal(run_eager(layer, IMAGES, backend, training=False), IMAGES)
    kinds = set()
    for _ in range(8):
        out = run_eager(layer, IMAGES, backend)
        moved = out - IMAGES
        fits = []
        for key in CANDIDATES:
            step = FIXTURE[key] - IMAGES
            if np.abs(step).max() < 1e-3:
                continue  # an identity at factor 0
            w = float(np.sum(moved * step) / np.sum(step * step))
            if -1e-4 <= w <= 1 + 1e-4 and np.allclose(moved, w * step, atol=2e-3):
                fits.append(key)
        assert fits or np.abs(moved).max() < 2e-3, "not a blend of one augmentation"
        kinds.add(tuple(fits))
    assert len(kinds) > 1
    deep = layers.AugMix(value_range=(0, 255), seed=1)  # 3 chains of 3, clipped
    out = run_eager(deep, IMAGES, backend)
    assert out.min() >= 0 and out.max() <= 255 and not np.allclose(out, IMAGES)


def test_policies_train_in_a_model(backend):
    """In a compiled training step (jitted on JAX) the drawn augmentation changes."""
    model = keras.Sequential([keras.Input((6, 6, 3)), layers.RandAugment(num_ops=1, seed=2),
                              layers.Flatten(), layers.Dense(1)])
    model.compile("sgd", "mse")
    history = model.fit(IMAGES / 255.0, np.zeros((2, 1), "float32"), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert_close(model.predict(IMAGES, verbose=0),
                 IMAGES.reshape(2, -1) @ model.layers[-1].get_weights()[0]
                 + model.layers[-1].get_weights()[1], rtol=1e-4, atol=1e-3)  # inference: x


def test_policies_config_save_and_errors(tmp_path):
    for layer in (layers.RandAugment((0, 1), num_ops=3, factor=(0.1, 0.4), seed=2,
                                     interpolation="nearest"),
                  layers.AugMix((0, 1), num_chains=2, chain_depth=4, factor=0.2, alpha=0.5,
                                all_ops=False, seed=2)):
        clone = config_roundtrip(layer)
        assert clone.seed == 2 and clone.factor == layer.factor
        saved_entry_roundtrip(layer)
    assert layers.AugMix(all_ops=False)._augment_layers == (
        "random_shear", "random_translation", "random_rotation", "random_posterization",
        "solarization", "auto_contrast", "equalization")  # Keras 3's AUGMENT_LAYERS
    model = keras.Sequential([keras.Input((6, 6, 3)), layers.AugMix(seed=1),
                              layers.RandAugment(seed=2)])
    model.save(tmp_path / "policies.keras")
    loaded = saving.load_model(tmp_path / "policies.keras")
    assert [type(l).__name__ for l in loaded.layers] == ["AugMix", "RandAugment"]
    assert loaded.layers[1].get_config() == model.layers[1].get_config()
    with pytest.raises(ValueError, match="`num_ops` should be a non-negative integer"):
        layers.RandAugment(num_ops=-1)
    with pytest.raises(ValueError, match="`chain_depth` should be a positive integer"):
        layers.AugMix(chain_depth=0)
    with pytest.raises(ValueError, match="`factor` argument should be"):
        layers.RandAugment(factor=1.5)
    with pytest.raises(ValueError, match="Unknown `interpolation`"):
        layers.AugMix(interpolation="cubic")
