"""The regression tutorial: learn y = 0.5 x + 2 from noisy samples with one Dense unit.

Trained with ``train_on_batch`` in a loop, as the tutorial does, then evaluated on
held-out points. Runs on the configured backend (KERAS_BACKEND=torch or jax).

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
    x = np.linspace(-1, 1, 200, dtype=np.float32)
    rng.shuffle(x)
    y = (0.5 * x + 2 + rng.normal(0, 0.05, (200,))).astype(np.float32)
    x_train, y_train = x[:160, None], y[:160, None]
    x_test, y_test = x[160:, None], y[160:, None]

    model = Sequential([Dense(units=1, input_dim=1)])
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
