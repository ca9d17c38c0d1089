"""The stateful RNN regressor tutorial: read sin(t) and predict cos(t) at every step.

A long sine wave is cut into 50 parallel streams; each batch holds the next 20 steps of
every stream, so row ``i`` of batch ``k + 1`` continues row ``i`` of batch ``k``. The
SimpleRNN is stateful: its state at the end of a batch is the initial state of the next,
so it sees each stream as one long sequence. ``model.reset_states()`` starts the streams
again at the beginning of every epoch. TimeDistributed(Dense(1)) reads out each step.

The tutorial builds the recurrent layer with Keras 1/2 spellings::

    SimpleRNN(batch_input_shape=(50, 20, 1), output_dim=20, return_sequences=True,
              stateful=True)

keras_bridge accepts them with a DeprecationWarning (modern form: ``units=20,
input_shape=(20, 1), batch_size=50``); the example keeps the tutorial's line and silences
only those warnings.

Run: python examples/stateful_rnn.py [--epochs 10] [--batches 25] [--plot]
(--plot needs matplotlib and draws the last epoch's predictions.)
"""

import argparse
import warnings

import numpy as np

from keras_bridge.layers import Dense, SimpleRNN, TimeDistributed
from keras_bridge.models import Sequential
from keras_bridge.optimizers import Adam
from keras_bridge.utils import set_random_seed

BATCH_SIZE = 50
TIME_STEPS = 20
INPUT_SIZE = 1
OUTPUT_SIZE = 1
CELL_SIZE = 20
LR = 0.006


def get_batch(start):
    """Batch number ``start // TIME_STEPS``: (sin, cos, t), each (50, 20[, 1])."""
    xs = np.arange(start, start + TIME_STEPS * BATCH_SIZE).reshape(
        (BATCH_SIZE, TIME_STEPS)) / (10 * np.pi)
    seq, res = np.sin(xs), np.cos(xs)
    return (seq[:, :, None].astype("float32"), res[:, :, None].astype("float32"), xs)


def build_model():
    with warnings.catch_warnings():
        # The tutorial's legacy spellings; modern form:
        # SimpleRNN(units=20, input_shape=(20, 1), batch_size=50, return_sequences=True,
        #           stateful=True)
        warnings.simplefilter("ignore", DeprecationWarning)
        rnn = SimpleRNN(batch_input_shape=(BATCH_SIZE, TIME_STEPS, INPUT_SIZE),
                        output_dim=CELL_SIZE, return_sequences=True, stateful=True)
    model = Sequential([rnn, TimeDistributed(Dense(OUTPUT_SIZE))])
    model.compile(optimizer=Adam(LR), loss="mse")
    return model


def main(epochs=10, batches=25, plot=False, seed=1337):
    """Train ``epochs`` passes over ``batches`` consecutive batches; returns
    ``(epoch_losses, model)`` where ``epoch_losses`` is the mean training loss of each
    epoch."""
    set_random_seed(seed)
    model = build_model()
    model.summary()
    print(f"Training on {model.backend_name} -----------")
    epoch_losses = []
    for epoch in range(epochs):
        model.reset_states()           # every stream starts again at t = 0
        costs = []
        for k in range(batches):       # the state carries from batch k to batch k + 1
            x_batch, y_batch, _ = get_batch(k * TIME_STEPS)
            costs.append(float(model.train_on_batch(x_batch, y_batch)))
        epoch_losses.append(float(np.mean(costs)))
        print(f"epoch {epoch + 1}/{epochs}: train cost {epoch_losses[-1]:.5f} "
              f"(first batch {costs[0]:.5f}, last batch {costs[-1]:.5f})")
    if plot:
        _plot(model, batches)
    return epoch_losses, model


def _plot(model, batches):
    import matplotlib.pyplot as plt
    model.reset_states()
    plt.ion()
    for k in range(batches):
        x_batch, y_batch, xs = get_batch(k * TIME_STEPS)
        pred = model.predict(x_batch, batch_size=BATCH_SIZE, verbose=0)
        plt.plot(xs[0, :], y_batch[0].flatten(), "r", xs[0, :], pred.flatten()[:TIME_STEPS],
                 "b--")
        plt.ylim((-1.2, 1.2))
        plt.draw()
        plt.pause(0.1)
    plt.ioff()
    plt.show()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batches", type=int, default=25)
    parser.add_argument("--plot", action="store_true")
    args = parser.parse_args()
    main(args.epochs, args.batches, args.plot)
