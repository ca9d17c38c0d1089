"""Draw a small two-branch model and train it with TensorBoard logging.

The picture comes from ``keras.utils.plot_model`` (pydot and Graphviz's ``dot``); without
the ``dot`` program the dot source from ``model_to_dot`` is written instead, which any
Graphviz viewer draws. Training writes ``logs/train`` and ``logs/validation`` event files;
view them with ``tensorboard --logdir <out>/logs``.

Needs the extras: pip install 'keras-bridge[plot,tensorboard]'
Run: python examples/plot_and_tensorboard.py [--out plot_and_tensorboard] [--epochs 5]
"""

import argparse
import os
import shutil

import numpy as np

import keras_bridge as keras
from keras_bridge import layers


def build_model():
    inputs = keras.Input((8,), name="features")
    wide = layers.Dense(16, activation="relu", name="wide")(inputs)
    narrow = layers.Dense(4, activation="relu", name="narrow")(inputs)
    joined = layers.Concatenate(name="join")([wide, narrow])
    outputs = layers.Dense(1, activation="sigmoid", name="score")(joined)
    model = keras.Model(inputs, outputs, name="two_branches")
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def main(out="plot_and_tensorboard", epochs=5):
    keras.utils.set_random_seed(7)
    os.makedirs(out, exist_ok=True)
    model = build_model()
    if shutil.which("dot"):
        picture = os.path.join(out, "model.png")
        keras.utils.plot_model(model, to_file=picture, show_shapes=True,
                               show_layer_names=True)
    else:  # no Graphviz: keep the dot source (render it later with `dot -Tpng`)
        picture = os.path.join(out, "model.dot")
        with open(picture, "w") as f:
            f.write(keras.utils.model_to_dot(model, show_shapes=True).to_string())
    print(f"Model drawn in {picture}")

    rng = np.random.default_rng(7)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, :4].sum(axis=1) > 0).astype("float32")
    logs = os.path.join(out, "logs")
    history = model.fit(x, y, batch_size=32, epochs=epochs, validation_split=0.25,
                        verbose=0, callbacks=[keras.callbacks.TensorBoard(
                            logs, histogram_freq=1, update_freq=4)])
    print(f"Final accuracy {history.history['accuracy'][-1]:.3f}, "
          f"val_accuracy {history.history['val_accuracy'][-1]:.3f}")
    print(f"TensorBoard logs in {logs}: tensorboard --logdir {logs}")
    return picture, logs, history


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="plot_and_tensorboard")
    parser.add_argument("--epochs", type=int, default=5)
    args = parser.parse_args()
    main(args.out, args.epochs)
