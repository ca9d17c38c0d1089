"""Keras 2 real-time image augmentation: a small CNN trained with
``fit_generator(ImageDataGenerator(...).flow(x, y))``.

The images are made here (no download): 16x16 grayscale pictures, uint8 values 0..255,
of horizontal (class 0) or vertical (class 1) stripes of a random width and phase, with
noise. The augmentations — small rotations, shifts, horizontal flips — change a picture
but not its stripes' direction, so the labels stay right; ``rescale=1/255.`` maps pixels
to [0, 1], and the test images get the same rescaling only.

Written as Keras 2 code; only the import lines differ (``keras`` -> ``keras_bridge``).

Run: python examples/keras2_image_augmentation.py [--epochs 5] [--samples 512]
"""

import argparse

import numpy as np

from keras_bridge.layers import Conv2D, Dense, Flatten, MaxPooling2D
from keras_bridge.models import Sequential
from keras_bridge.optimizers import Adam
from keras_bridge.preprocessing.image import ImageDataGenerator
from keras_bridge.utils import set_random_seed, to_categorical

SIZE = 16


def make_data(samples, seed=0):
    """``(samples, 16, 16, 1)`` uint8-valued float images and one-hot labels."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, samples)
    rows, cols = np.mgrid[:SIZE, :SIZE]
    coordinate = np.where(labels[:, None, None] == 0, rows, cols)
    width = rng.integers(2, 4, (samples, 1, 1))
    phase = rng.integers(0, 4, (samples, 1, 1))
    stripes = ((coordinate + phase) // width) % 2
    x = 170 * stripes + rng.integers(0, 85, (samples, SIZE, SIZE))
    return x[..., None].astype("float32"), to_categorical(labels, 2)


def build_model():
    model = Sequential()
    model.add(Conv2D(8, (3, 3), activation="relu", input_shape=(SIZE, SIZE, 1)))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Conv2D(8, (3, 3), activation="relu"))
    model.add(MaxPooling2D(pool_size=(2, 2)))
    model.add(Flatten())
    model.add(Dense(16, activation="relu"))
    model.add(Dense(2, activation="softmax"))
    return model


def main(epochs=5, samples=512, batch_size=32, steps_per_epoch=None, learning_rate=3e-3,
         verbose=1):
    """Trains on augmented batches; returns ``(history, [test loss, test accuracy])``."""
    set_random_seed(7)
    x_train, y_train = make_data(samples, seed=0)
    x_test, y_test = make_data(max(samples // 4, 32), seed=1)

    datagen = ImageDataGenerator(rotation_range=10, width_shift_range=0.1,
                                 height_shift_range=0.1, horizontal_flip=True,
                                 rescale=1 / 255.)
    model = build_model()
    model.compile(loss="categorical_crossentropy", optimizer=Adam(learning_rate=learning_rate),
                  metrics=["accuracy"])
    # Keras 2's recipe: one pass over the data per epoch, in augmented batches.
    history = model.fit_generator(datagen.flow(x_train, y_train, batch_size=batch_size),
                                  steps_per_epoch=steps_per_epoch or len(x_train) // batch_size,
                                  epochs=epochs, verbose=verbose)
    score = model.evaluate(x_test / 255., y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return history, score


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=512)
    args = parser.parse_args()
    main(args.epochs, args.samples)
