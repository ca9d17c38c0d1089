"""Keras 2 style: read a hidden layer's activations with ``K.function`` and compute
input gradients (a saliency map) with ``K.gradients``.

A small Sequential classifier is trained briefly on synthetic data (the class is
whether the first two features sum past 1), then:

- ``K.function([model.input, K.learning_phase()], [model.layers[0].output])`` reads
  the first layer's activations (phase 0: inference, Dropout off);
- ``K.gradients(loss, [model.input])`` gives d(loss)/d(input) per sample, the classic
  saliency map, here largest on the two features the label depends on.

Runs on the configured backend (KERAS_BACKEND=torch or jax).

Run: python examples/keras2_intermediate_activations.py [--epochs 20]
"""

import argparse

import numpy as np

from keras_bridge import backend as K
from keras_bridge.layers import Dense, Dropout
from keras_bridge.models import Sequential
from keras_bridge.optimizers import Adam
from keras_bridge.utils import set_random_seed


def main(epochs=20, samples=512):
    set_random_seed(7)
    rng = np.random.default_rng(7)
    x = rng.random((samples, 6)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 1).astype(np.float32)[:, None]

    model = Sequential([Dense(16, activation="relu", input_shape=(6,)), Dropout(0.2),
                        Dense(1, activation="sigmoid")])
    model.compile(optimizer=Adam(learning_rate=0.01), loss="binary_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, epochs=epochs, batch_size=32, verbose=0)
    print(f"Trained on {model.backend_name}: loss {history.history['loss'][-1]:.4f}, "
          f"accuracy {history.history['accuracy'][-1]:.3f}")

    get_hidden = K.function([model.input, K.learning_phase()], [model.layers[0].output])
    hidden = get_hidden([x[:8], 0])[0]
    print(f"Hidden activations of 8 samples: shape {hidden.shape}, "
          f"{(hidden > 0).mean():.0%} active")

    target = K.placeholder(shape=(None, 1))
    losses = K.binary_crossentropy(target, model.output)  # one per sample
    saliency = K.function([model.input, target],
                          [K.mean(losses)] + K.gradients(losses, [model.input]))
    value, d_input = saliency([x, y])  # d_input[i]: gradient of sample i's loss
    importance = np.abs(d_input).mean(axis=0)
    print(f"Loss {value:.4f}; mean |d loss / d feature| per sample: "
          + " ".join(f"{v:.4f}" for v in importance))
    return model, hidden, value, importance


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=20)
    main(parser.parse_args().epochs)
