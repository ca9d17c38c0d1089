"""The MNIST CNN tutorial: MNIST through ``mnist.load_data()``, images in channels_first
layout, two Conv2D(5x5, 'same') + MaxPooling2D(2, 2, 'same') stages, Dense(1024),
Dense(10, softmax), Adam, categorical crossentropy.

The tutorial's model, unchanged but for the import lines (and Adam's ``learning_rate=``,
Keras 2's modern spelling of ``lr=``)::

    Conv2D(32, 5, padding='same', data_format='channels_first') -> relu
    MaxPooling2D(2, 2, 'same', data_format='channels_first')
    Conv2D(64, 5, padding='same', data_format='channels_first') -> relu
    MaxPooling2D(2, 2, 'same', data_format='channels_first')
    Flatten -> Dense(1024) -> relu -> Dense(10) -> softmax

The first run downloads mnist.npz (11 MB) into $KERAS_HOME/datasets (default
~/.keras/datasets), or reuses the file Keras already cached there. Without network
access it says in one line where to place the file by hand.

Run: python examples/mnist_cnn.py [--epochs 1] [--limit N] [--batch-size 64]
"""

import argparse
import sys

from keras_bridge.datasets import mnist
from keras_bridge.layers import Activation, Conv2D, Dense, Flatten, MaxPooling2D
from keras_bridge.models import Sequential
from keras_bridge.optimizers import Adam
from keras_bridge.utils import DownloadError, set_random_seed, to_categorical


def build_model():
    model = Sequential()
    # Conv layer 1: output shape (32, 28, 28)
    model.add(Conv2D(32, 5, strides=1, padding="same", data_format="channels_first",
                     input_shape=(1, 28, 28)))
    model.add(Activation("relu"))
    # Pooling layer 1 (max pooling): output shape (32, 14, 14)
    model.add(MaxPooling2D(2, 2, "same", data_format="channels_first"))
    # Conv layer 2: output shape (64, 14, 14)
    model.add(Conv2D(64, 5, strides=1, padding="same", data_format="channels_first"))
    model.add(Activation("relu"))
    # Pooling layer 2 (max pooling): output shape (64, 7, 7)
    model.add(MaxPooling2D(2, 2, "same", data_format="channels_first"))
    # Fully connected layer 1: input shape (64 * 7 * 7) = 3136, output shape 1024
    model.add(Flatten())
    model.add(Dense(1024))
    model.add(Activation("relu"))
    # Fully connected layer 2: 10 classes
    model.add(Dense(10))
    model.add(Activation("softmax"))
    return model


def main(epochs=1, limit=None, batch_size=64, learning_rate=1e-4, verbose=1,
         callbacks=None):
    """Trains on the first ``limit`` training images (all by default) and returns
    ``[test loss, test accuracy]``; ``callbacks`` go to ``fit``."""
    set_random_seed(1337)  # for reproducibility
    try:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except DownloadError as e:
        sys.exit(f"MNIST is not available: {e}")
    if limit:
        x_train, y_train, x_test, y_test = (a[:limit] for a in (x_train, y_train, x_test,
                                                                  y_test))
    # channels_first: (samples, channels, rows, cols)
    x_train = x_train.reshape(-1, 1, 28, 28).astype("float32") / 255
    x_test = x_test.reshape(-1, 1, 28, 28).astype("float32") / 255
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)

    model = build_model()
    model.summary()
    model.compile(optimizer=Adam(learning_rate=learning_rate),
                  loss="categorical_crossentropy", metrics=["accuracy"])
    print("Training ------------")
    model.fit(x_train, y_train, epochs=epochs, batch_size=batch_size, verbose=verbose,
              callbacks=callbacks)
    print("\nTesting ------------")
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None)
    parser.add_argument("--batch-size", type=int, default=64)
    args = parser.parse_args()
    main(args.epochs, args.limit, args.batch_size)
