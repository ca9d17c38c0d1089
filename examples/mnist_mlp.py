"""The MNIST MLP tutorial: MNIST through ``mnist.load_data()``, Dense-Dropout layers,
RMSprop, categorical crossentropy.

The first run downloads mnist.npz (11 MB) into $KERAS_HOME/datasets (default
~/.keras/datasets), or reuses the file Keras already cached there. Without network
access it says in one line where to place the file by hand.

Run: python examples/mnist_mlp.py [--epochs 20] [--limit N]
"""

import argparse
import sys

from keras_bridge.datasets import mnist
from keras_bridge.layers import Dense, Dropout
from keras_bridge.models import Sequential
from keras_bridge.optimizers import RMSprop
from keras_bridge.utils import DownloadError, to_categorical


def main(epochs=20, limit=None, batch_size=128):
    try:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except DownloadError as e:
        sys.exit(f"MNIST is not available: {e}")
    if limit:
        x_train, y_train, x_test, y_test = (a[:limit] for a in (x_train, y_train, x_test,
                                                                  y_test))
    x_train = x_train.reshape(len(x_train), 784).astype("float32") / 255
    x_test = x_test.reshape(len(x_test), 784).astype("float32") / 255
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)

    model = Sequential([Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2),
                        Dense(512, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs, verbose=1,
              validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print("Test loss:", score[0])
    print("Test accuracy:", score[1])
    return score


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    main(args.epochs, args.limit)
