"""The RNN classifier tutorial: MNIST read row by row (28 steps of 28 pixels) by a
SimpleRNN of 50 units, then Dense(10) + softmax, trained with ``train_on_batch`` on
batches of 50 and Adam(0.001), evaluated on the test set every ``steps // 8`` steps.

The tutorial builds the recurrent layer with Keras 1/2 spellings::

    SimpleRNN(batch_input_shape=(None, 28, 28), output_dim=50, unroll=True)

keras_bridge accepts them with a DeprecationWarning (``output_dim`` is ``units`` now, and
``batch_input_shape`` is ``input_shape`` plus ``batch_size``); the example keeps the
tutorial's line and silences only those warnings.

The first run downloads mnist.npz (11 MB) into $KERAS_HOME/datasets (default
~/.keras/datasets), or reuses the file Keras already cached there. Without network
access it says in one line where to place the file by hand.

Run: python examples/rnn_mnist.py [--steps 4000] [--limit N]
"""

import argparse
import sys
import warnings

from keras_bridge.datasets import mnist
from keras_bridge.layers import Activation, Dense, SimpleRNN
from keras_bridge.models import Sequential
from keras_bridge.optimizers import Adam
from keras_bridge.utils import DownloadError, set_random_seed, to_categorical

TIME_STEPS = 28     # one step per image row
INPUT_SIZE = 28     # the pixels of a row
OUTPUT_SIZE = 10
CELL_SIZE = 50
LR = 0.001


def build_model():
    with warnings.catch_warnings():
        # The tutorial's legacy spellings; modern form:
        # SimpleRNN(units=50, input_shape=(28, 28), unroll=True)
        warnings.simplefilter("ignore", DeprecationWarning)
        rnn = SimpleRNN(batch_input_shape=(None, TIME_STEPS, INPUT_SIZE),
                        output_dim=CELL_SIZE, unroll=True)
    model = Sequential([rnn, Dense(OUTPUT_SIZE), Activation("softmax")])
    model.compile(optimizer=Adam(LR), loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def main(steps=4000, limit=None, batch_size=50, seed=1337):
    """Train for ``steps`` batches; returns ``(costs, (test_loss, test_accuracy))`` where
    ``costs`` are the training losses of every step."""
    try:
        (x_train, y_train), (x_test, y_test) = mnist.load_data()
    except DownloadError as e:
        sys.exit(f"MNIST is not available: {e}")
    if limit:
        x_train, y_train, x_test, y_test = (a[:limit] for a in (x_train, y_train, x_test,
                                                                  y_test))
    x_train = x_train.reshape(-1, TIME_STEPS, INPUT_SIZE).astype("float32") / 255
    x_test = x_test.reshape(-1, TIME_STEPS, INPUT_SIZE).astype("float32") / 255
    y_train, y_test = to_categorical(y_train, 10), to_categorical(y_test, 10)
    print(x_train.shape[0], "train samples")
    print(x_test.shape[0], "test samples")

    set_random_seed(seed)
    model = build_model()
    model.summary()
    print(f"Training on {model.backend_name} -----------")
    costs, index = [], 0
    report_every = max(steps // 8, 1)
    for step in range(steps + 1):
        x_batch = x_train[index:index + batch_size]
        y_batch = y_train[index:index + batch_size]
        cost, _ = model.train_on_batch(x_batch, y_batch)
        costs.append(float(cost))
        index += batch_size
        index = 0 if index >= x_train.shape[0] else index
        if step % report_every == 0:
            loss, accuracy = model.evaluate(x_test, y_test, batch_size=len(y_test),
                                            verbose=0)
            print(f"step {step}: train cost {cost:.4f}, test cost {loss:.4f}, "
                  f"test accuracy {accuracy:.4f}")
    loss, accuracy = model.evaluate(x_test, y_test, batch_size=len(y_test), verbose=0)
    print("Test loss:", loss)
    print("Test accuracy:", accuracy)
    return costs, (loss, accuracy)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=4000)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    main(args.steps, args.limit)
