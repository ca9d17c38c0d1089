"""The regression tutorial: learn y = 0.5 x + 2 from noisy samples with one Dense unit.

Written as the Keras 2 tutorial is (1-D arrays, ``Dense(output_dim=1, input_dim=1)``),
trained with ``train_on_batch`` in a loop, then evaluated on held-out points. Runs on the configured backend (KERAS_BACKEND=torch or jax).

Run: python examples/regression.py [--steps 1000]
"""

import argparse

import numpy as np

from keras_bridge.layers import Dense
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed


def main(steps=1000):
    set_random_seed(1337)
    rng = np.random.default_rng(1337)
    X = np.linspace(-1, 1, 200)  # 1-D, as in the tutorial: Keras makes it (200, 1)
    rng.shuffle(X)
    Y = 0.5 * X + 2 + rng.normal(0, 0.05, (200,))
    x_train, y_train = X[:160], Y[:160]
    x_test, y_test = X[160:], Y[160:]

    model = Sequential()
    model.add(Dense(output_dim=1, input_dim=1))  # Keras 2's spelling (DeprecationWarning)
    model.compile(loss="mse", optimizer="sgd")
    print(f"Training on {model.backend_name} -----------")
    for step in range(steps + 1):
        cost = model.train_on_batch(x_train, y_train)
        if step % max(steps // 4, 1) == 0:
            print(f"train cost: {cost:.6f}")
    print("Testing ------------")
    cost = model.evaluate(x_test, y_test, batch_size=40, verbose=0)
    print(f"test cost: {cost:.6f}")
    W, b = model.layers[0].get_weights()
    print(f"Weights={W[0, 0]:.4f}, biases={b[0]:.4f}")
    return float(W[0, 0]), float(b[0])


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=1000)
    main(parser.parse_args().steps)
