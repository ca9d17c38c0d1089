"""Writes tests/support/keras3_preprocessing.npz: outputs of real Keras 3's preprocessing
layers (the version is stored under 'keras_version') for the tests of
tests/layers/test_layers_preprocessing.py. Transformations are pinned (a factor range
of one value) so the outputs do not depend on Keras's random numbers.

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
    np.savez_compressed(OUT, **out)


if __name__ == "__main__":
    main()
