"""An MLP classifier in the style of the MNIST tutorial, on data it makes.

Ten classes of 784-feature points drawn around ten random centres stand in for MNIST
(loading MNIST itself comes with the datasets module). The model and the training
call are the tutorial's: Dense(512)-Dropout-Dense(512)-Dropout-Dense(10, softmax),
RMSprop, categorical crossentropy, accuracy.

Run: python examples/mlp_classifier.py [--epochs 5] [--samples 6000]
"""

import argparse

import numpy as np

from keras_bridge.layers import Dense, Dropout
from keras_bridge.models import Sequential
from keras_bridge.optimizers import RMSprop
from keras_bridge.utils import set_random_seed


def make_data(samples, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.random((10, 784), dtype=np.float32)
    labels = rng.integers(0, 10, samples)
    x = (centres[labels] + rng.normal(0, 0.35, (samples, 784))).astype(np.float32)
    return x, np.eye(10, dtype=np.float32)[labels]


def main(epochs=5, samples=6000, verbose=1):
    set_random_seed(0)
    x, y = make_data(samples)
    split = int(samples * 5 / 6)
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    model = Sequential([Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2),
                        Dense(512, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])
    model.summary()
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=128, epochs=epochs, verbose=verbose,
                        validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, verbose=0)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")
    return history, score


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=6000)
    args = parser.parse_args()
    main(args.epochs, args.samples)
