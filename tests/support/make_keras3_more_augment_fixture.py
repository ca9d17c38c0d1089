"""Writes tests/support/fixtures/keras3_more_augment.npz and
tests/support/fixtures/keras3_reversible_embedding.keras: real Keras 3 outputs for the
layers of tests/layers/test_layers_preprocessing_augmentation_keras315.py and
test_layers_reversible_embedding.py (the version is stored under 'keras_version').

- ContrastLimitedAdaptiveHistogramEqualization on one image batch, several settings
  (deterministic, so the outputs are Keras's own);
- the eleven augmentations RandAugment and AugMix choose from, as Keras 3 builds them
  for factor=0 (each then a fixed transformation): a RandAugment / AugMix output is
  made of these;
- MaxNumBoundingBoxes padding and cropping a box dict;
- a model with a tied and an untied ReversibleEmbedding (forward and reverse calls),
  saved as .keras, and its predictions.

Run with the Keras 3.15.1 oracle, never in the test process:
    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax python \
        tests/support/make_keras3_more_augment_fixture.py
"""

import json
import os

import keras
import numpy as np
from keras import layers

HERE = os.path.join(os.path.dirname(__file__), "fixtures")

CLAHE = {  # name: (kwargs, input key)
    "clahe_default": (dict(tile_grid_size=(2, 3)), "images"),
    "clahe_padded": (dict(tile_grid_size=(4, 4), clip_limit=2.0), "images"),
    "clahe_no_clip": (dict(tile_grid_size=(3, 2), clip_limit=0.0), "images"),
    "clahe_unit": (dict(value_range=(0, 1), tile_grid_size=(2, 2)), "unit"),
    "clahe_cf": (dict(tile_grid_size=(2, 3), data_format="channels_first"), "images_cf"),
}
CANDIDATES = ("random_shear", "random_translation", "random_rotation", "random_brightness",
              "random_color_degeneration", "random_contrast", "random_sharpness",
              "random_posterization", "solarization", "auto_contrast", "equalization")


def main():
    rng = np.random.default_rng(14)
    images = rng.uniform(0, 255, (2, 6, 6, 3)).astype("float32")
    images[1, :3, :, 0] = 40.0  # a flat region
    data = {"images": images, "unit": images / 255.0,
            "images_cf": np.moveaxis(images, -1, 1)}
    out = dict(data, keras_version=np.array(keras.__version__),
               settings=np.array(json.dumps(CLAHE)))
    for name, (kwargs, key) in CLAHE.items():
        layer = layers.ContrastLimitedAdaptiveHistogramEqualization(**kwargs)
        out[name] = keras.ops.convert_to_numpy(layer(data[key]))
        out[name + "_inference"] = keras.ops.convert_to_numpy(layer(data[key], training=False))
    rand_augment = layers.RandAugment(factor=0.0, seed=1)
    for name in CANDIDATES:
        sub = getattr(rand_augment, name)
        out[f"candidate/{name}"] = keras.ops.convert_to_numpy(sub(images, training=True))
    boxes = {"boxes": rng.uniform(0, 6, (2, 3, 4)).astype("float32"),
             "labels": np.array([[1, 2, 3], [4, 5, 6]], "int32")}
    out["boxes"], out["box_labels"] = boxes["boxes"], boxes["labels"]
    for n in (2, 5):
        result = layers.MaxNumBoundingBoxes(n, fill_value=-2, bounding_box_format="xyxy")(
            {"images": images, "bounding_boxes": dict(boxes)})
        out[f"max_boxes_{n}/boxes"] = keras.ops.convert_to_numpy(
            result["bounding_boxes"]["boxes"])
        out[f"max_boxes_{n}/labels"] = keras.ops.convert_to_numpy(
            result["bounding_boxes"]["labels"])
    reversible(out, rng)
    np.savez_compressed(os.path.join(HERE, "keras3_more_augment.npz"),
                        **{k: np.asarray(v) for k, v in out.items()})


def reversible(out, rng):
    keras.utils.set_random_seed(0)
    ids = keras.Input((5,), dtype="int32", name="ids")
    tied = layers.ReversibleEmbedding(11, 4, mask_zero=True, name="tied")
    untied = layers.ReversibleEmbedding(11, 4, tie_weights=False, logit_soft_cap=0.5,
                                        embeddings_initializer="glorot_uniform",
                                        name="untied")
    hidden = layers.Dense(4, name="mix")(layers.Add()([tied(ids), untied(ids)]))
    logits = layers.Add()([tied(hidden, reverse=True), untied(hidden, reverse=True)])
    model = keras.Model(ids, logits)
    model.save(os.path.join(HERE, "keras3_reversible_embedding.keras"))
    tokens = rng.integers(0, 11, (3, 5)).astype("int32")
    out["re_tokens"] = tokens
    out["re_predictions"] = model.predict(tokens, verbose=0)
    for layer in (tied, untied):
        for w in layer.weights:
            out[f"re/{w.path}"] = keras.ops.convert_to_numpy(w)


if __name__ == "__main__":
    main()
