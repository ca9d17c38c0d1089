"""Make the Keras Applications fixtures with real Keras 3 (3.15.1 when committed).

    KERAS_HOME=$(mktemp -d) KERAS_BACKEND=jax \
        python tests/support/make_keras3_applications.py [KEY ...]

(with keys, only those builds are recorded again; the others are kept).

Writes into tests/support/fixtures/:
- keras3_applications.json: Keras's version; for each build in ``BUILDS``, its model
  name, parameter count, output shape and layer names (input layer left out: Keras 3
  names it ``input_layer``, Keras 2 and keras_bridge ``input_1``); for each build in
  ``PREDICT``, Keras's predictions on ``seeded_weights`` (below) and a seeded input.
- keras3_mobilenet_v2_notop.h5: MobileNetV2(alpha=0.35, include_top=False) with seeded
  weights, written in Keras 2's HDF5 weights layout, the layout of Keras's ImageNet
  files (the download test serves it as one), with its predictions in the JSON.

Weights are generated from each layer's name and the weight's index (not from model
order), so both sides make them without a file: ``seeded_weights`` in
tests/support/applications_weights.py is the one rule, shared by this script and the
tests.
"""

import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", ".."))
from tests.support.applications_weights import (INPUT_SHAPE, seeded_images,  # noqa: E402
                                                seeded_weights)

HERE = os.path.join(os.path.dirname(__file__), "fixtures")
SMALL = {"weights": None, "input_shape": INPUT_SHAPE}

#: key -> (application function, keyword arguments).
BUILDS = {
    "resnet50": ("ResNet50", dict(SMALL, classes=10)),
    "resnet50_notop": ("ResNet50", dict(SMALL, include_top=False, pooling="avg")),
    "resnet101_notop": ("ResNet101", dict(SMALL, include_top=False)),
    "resnet152_notop": ("ResNet152", dict(SMALL, include_top=False, pooling="max")),
    "resnet50v2": ("ResNet50V2", dict(SMALL, classes=10)),
    "resnet101v2_notop": ("ResNet101V2", dict(SMALL, include_top=False)),
    "resnet152v2_notop": ("ResNet152V2", dict(SMALL, include_top=False, pooling="avg")),
    "vgg16": ("VGG16", dict(SMALL, classes=10)),
    "vgg16_notop": ("VGG16", dict(SMALL, include_top=False, pooling="avg")),
    "vgg19_notop": ("VGG19", dict(SMALL, include_top=False, pooling="max")),
    "mobilenet_v2_035": ("MobileNetV2", dict(SMALL, alpha=0.35, classes=10)),
    "mobilenet_v2_notop": ("MobileNetV2", dict(SMALL, alpha=0.35, include_top=False)),
    "mobilenet_v2_224": ("MobileNetV2", {"weights": None, "alpha": 1.4}),
    "efficientnetb0": ("EfficientNetB0", dict(SMALL, classes=10)),
    "efficientnetb0_notop": ("EfficientNetB0", dict(SMALL, include_top=False,
                                                    pooling="avg")),
    "efficientnetb1_notop": ("EfficientNetB1", dict(SMALL, include_top=False)),
    "efficientnetb3_notop": ("EfficientNetB3", dict(SMALL, include_top=False)),
    "mobilenet_025": ("MobileNet", dict(SMALL, alpha=0.25, classes=10)),
    "mobilenet_notop": ("MobileNet", dict(SMALL, include_top=False, pooling="max")),
    "densenet121": ("DenseNet121", dict(SMALL, classes=10)),
    "densenet169_notop": ("DenseNet169", dict(SMALL, include_top=False)),
    "densenet201_notop": ("DenseNet201", dict(SMALL, include_top=False, pooling="avg")),
    "xception_notop": ("Xception", {"weights": None, "include_top": False,
                                    "input_shape": (71, 71, 3)}),
    "xception": ("Xception", {"weights": None, "input_shape": (71, 71, 3), "classes": 10}),
    "inception_v3_notop": ("InceptionV3", {"weights": None, "include_top": False,
                                           "input_shape": (75, 75, 3), "pooling": "avg"}),
}

#: Builds whose predictions on seeded weights are recorded.
PREDICT = ["mobilenet_v2_035", "mobilenet_v2_notop", "efficientnetb0_notop",
           "resnet50_notop", "resnet50v2", "vgg16_notop", "mobilenet_025", "densenet121"]


def build(keras, key):
    keras.backend.clear_session()
    fn, kwargs = BUILDS[key]
    return getattr(keras.applications, fn)(**kwargs)


def main(keys):
    """Record ``keys`` (all builds when empty) into the JSON, keeping other entries."""
    import keras
    from keras.src.legacy.saving import legacy_h5_format
    import h5py

    path = os.path.join(HERE, "keras3_applications.json")
    out = {"builds": {}, "predictions": {}}
    if keys and os.path.exists(path):
        with open(path) as f:
            out = json.load(f)
    out["keras_version"] = keras.__version__
    images = seeded_images()
    for key in keys or BUILDS:
        model = build(keras, key)
        out["builds"][key] = {
            "name": model.name,
            "params": int(model.count_params()),
            "output_shape": list(model.output.shape[1:]),
            "layers": [layer.name for layer in model.layers[1:]],
        }
        if key in PREDICT:
            for layer in model.layers:
                if layer.weights:
                    layer.set_weights(seeded_weights(layer.name, layer.get_weights()))
            out["predictions"][key] = np.asarray(model(images, training=False)).tolist()
            if key == "mobilenet_v2_notop":
                with h5py.File(os.path.join(HERE, "keras3_mobilenet_v2_notop.h5"), "w") as f:
                    legacy_h5_format.save_weights_to_hdf5_group(f, model)
        print(key, out["builds"][key]["params"], flush=True)
    with open(path, "w") as f:
        json.dump(out, f, separators=(",", ":"))


if __name__ == "__main__":
    main(sys.argv[1:])
