"""Writes tests/support/keras3_preprocessing.npz: outputs of real Keras 3's preprocessing
layers (the version is stored under 'keras_version') for the tests of
tests/layers/test_layers_preprocessing*.py. Transformations are pinned (a factor range
of one value) so the outputs do not depend on Keras's random numbers; where a layer
also draws a sign (RandomHue, RandomShear) or scales only one end of its range
(Solarization), its ``transform_images`` is given the transformation explicitly.

Run: KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax /work/k3/bin/python \
    tests/support/make_preprocessing_fixtures.py
"""

import os

import keras
import numpy as np

OUT = os.path.join(os.path.dirname(__file__), "keras3_preprocessing.npz")


def main():
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (2, 5, 6, 2)).astype("float32")
    out = {"keras_version": np.array(keras.__version__), "images": images}
    for fill in ("reflect", "wrap", "constant", "nearest"):
        for interp in ("bilinear", "nearest"):
            key = f"{fill}_{interp}"
            out[f"rotation_{key}"] = np.asarray(keras.layers.RandomRotation(
                (0.1, 0.1), fill_mode=fill, interpolation=interp, fill_value=0.5)(images))
            out[f"zoom_{key}"] = np.asarray(keras.layers.RandomZoom(
                (-0.3, -0.3), (0.2, 0.2), fill_mode=fill, interpolation=interp,
                fill_value=0.5)(images))
            out[f"translation_{key}"] = np.asarray(keras.layers.RandomTranslation(
                (0.3, 0.3), (-0.15, -0.15), fill_mode=fill, interpolation=interp,
                fill_value=0.5)(images))
    for kw in ("crop_to_aspect_ratio", "pad_to_aspect_ratio"):
        for size in ((4, 4), (3, 7)):
            out[f"resize_{kw}_{size[0]}x{size[1]}"] = np.asarray(keras.layers.Resizing(
                *size, **{kw: True}, fill_value=0.25)(images))
    values = rng.standard_normal(1000).astype("float32")
    out["discretization_data"] = values
    # Keras 3's Discretization.adapt() imports TensorFlow (for its tf.data check), so
    # its steps are called directly: update_state per batch, then finalize_state.
    layer = keras.layers.Discretization(num_bins=5)
    layer.update_state(values)
    layer.finalize_state()
    out["discretization_boundaries"] = np.array(layer.bin_boundaries, "float32")
    layer = keras.layers.Discretization(num_bins=4, epsilon=0.05)
    for batch in (values[:300], values[300:700], values[700:]):
        layer.update_state(batch)
    layer.finalize_state()
    out["discretization_batched_boundaries"] = np.array(layer.bin_boundaries, "float32")
    color(out, rng)
    np.savez_compressed(OUT, **out)


def color(out, rng):
    """Colour, tone, filter and shear layers on RGB images in [0, 1]."""
    L = keras.layers
    rgb = rng.uniform(0, 1, (2, 4, 5, 3)).astype("float32")
    rgb[1, :, :, 0] = 0.25  # a flat channel: AutoContrast and Equalization leave it
    out["rgb"] = rgb
    unit = dict(value_range=(0, 1))
    pinned = {
        "grayscale": L.RandomGrayscale(1.0),
        "invert": L.RandomInvert((1.0, 1.0), **unit),
        "autocontrast": L.AutoContrast(**unit),
        "posterization": L.RandomPosterization((3, 3), **unit),
        "degeneration": L.RandomColorDegeneration((0.6, 0.6), **unit),
        "saturation": L.RandomSaturation((0.3, 0.3), **unit),
        "sharpness": L.RandomSharpness((0.9, 0.9), **unit),
        "blur": L.RandomGaussianBlur((1.0, 1.0), (5, 3), (0.7, 0.7), **unit),
        "equalization": L.Equalization(**unit),
        "equalization_16": L.Equalization(bins=16, **unit),
        "jitter": L.RandomColorJitter(brightness_factor=(0.1, 0.1),
                                      saturation_factor=(0.7, 0.7), **unit),
    }
    for name, layer in pinned.items():
        out[name] = np.asarray(layer(rgb))
    out["grayscale_cf"] = np.asarray(L.RandomGrayscale(1.0, data_format="channels_first")(
        np.moveaxis(rgb, -1, 1)))
    byte = rgb * 255.0
    solarize = L.Solarization(value_range=(0, 255))
    out["solarization"] = np.asarray(solarize.transform_images(byte, {
        "additions": np.full((2, 1, 1, 1), 0.1 * 255, "float32"),
        "thresholds": np.full((2, 1, 1, 1), 0.5 * 255, "float32")}))
    hue = L.RandomHue(0.2, **unit)
    shear = L.RandomShear(0.2, 0.1, fill_mode="constant", fill_value=0.5)
    for sign, tag in ((1.0, "plus"), (-1.0, "minus")):
        out[f"hue_{tag}"] = np.asarray(hue.transform_images(rgb, {
            "factor": np.full((2,), sign * 0.1, "float32")}))
        out[f"shear_{tag}"] = np.asarray(shear.transform_images(rgb, {
            "shear_factor": np.tile(np.float32([[sign * 0.2, sign * 0.1]]), (2, 1)),
            "input_shape": rgb.shape}))


if __name__ == "__main__":
    main()
