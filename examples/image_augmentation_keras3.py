"""Keras 3 in-model augmentation: RandomFlip + RandomRotation + Rescaling in front of a
small CNN, so the model carries its own preprocessing (augmenting in ``fit`` only).

The images are made here (no download): 16x16 grayscale pictures, values 0..255, of
horizontal (class 0) or vertical (class 1) stripes of a random width and phase, with
noise. Flips and small rotations keep the stripes' direction, so the labels stay right.

Run: python examples/image_augmentation_keras3.py [--epochs 5]
"""

import argparse

import numpy as np

import keras_bridge as keras
from keras_bridge import layers

SIZE = 16


def make_data(samples, seed=0):
    """``(samples, 16, 16, 1)`` float images in [0, 255] and integer labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, samples)
    rows, cols = np.mgrid[:SIZE, :SIZE]
    coordinate = np.where(labels[:, None, None] == 0, rows, cols)
    width = rng.integers(2, 4, (samples, 1, 1))
    phase = rng.integers(0, 4, (samples, 1, 1))
    stripes = ((coordinate + phase) // width) % 2
    x = 170 * stripes + rng.integers(0, 85, (samples, SIZE, SIZE))
    return x[..., None].astype("float32"), labels.astype("int32")


def build_model(seed=7):
    return keras.Sequential([
        keras.Input((SIZE, SIZE, 1)),
        layers.RandomFlip("horizontal_and_vertical", seed=seed),
        layers.RandomRotation(0.05, fill_mode="constant", seed=seed),
        layers.Rescaling(1 / 255.0),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(8, 3, activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(16, activation="relu"),
        layers.Dense(2, activation="softmax"),
    ])


def main(epochs=5, samples=512, batch_size=32, learning_rate=3e-3, verbose=1):
    """Trains with in-model augmentation; returns ``(history, [test loss, accuracy])``."""
    keras.utils.set_random_seed(7)
    x_train, y_train = make_data(samples, seed=0)
    x_test, y_test = make_data(max(samples // 4, 32), seed=1)
    model = build_model()
    model.compile(keras.optimizers.Adam(learning_rate), "sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        verbose=verbose)
    score = model.evaluate(x_test, y_test, verbose=0)
    if verbose:
        print(f"Test loss: {score[0]:.4f}  Test accuracy: {score[1]:.4f}")
    return history, score


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=512)
    args = parser.parse_args()
    main(epochs=args.epochs, samples=args.samples)
