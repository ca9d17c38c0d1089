"""A small functional CNN with an inception-style module and a residual block.

The inception module runs four branches side by side on the same input — a 1x1
convolution, 1x1 then 3x3, 1x1 then 5x5, and 3x3 max pooling then 1x1 — and joins them
with ``concatenate`` along the channels. The residual block is two 3x3 convolutions with
BatchNormalization whose output is added back to its input with ``add``. A
GlobalAveragePooling2D and a softmax Dense classify the result.

The data is made here: 16x16 RGB images of noise with horizontal, vertical or diagonal
stripes of a random phase; the class is the stripes' direction. After a few epochs the
script checks, when both engines are installed, that torch and JAX give the same outputs
and gradients for the trained model (same weights, same moving statistics).

Run: python examples/residual_inception.py [--epochs 3] [--samples 600]
"""

import argparse

import numpy as np

from keras_bridge import backends
from keras_bridge import testing
from keras_bridge.layers import Activation, BatchNormalization, Conv2D, Dense
from keras_bridge.layers import GlobalAveragePooling2D, Input, MaxPooling2D, add
from keras_bridge.layers import concatenate
from keras_bridge.models import Model
from keras_bridge.utils import set_random_seed, to_categorical

SIZE, CLASSES = 16, 3


def make_data(samples, seed=0):
    """Images ``(samples, 16, 16, 3)`` in [0, 1] and one-hot labels of the stripes'
    direction: 0 horizontal, 1 vertical, 2 diagonal."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, CLASSES, samples)
    rows, cols = np.mgrid[:SIZE, :SIZE]
    coordinate = np.stack([rows, cols, rows + cols])[labels]  # (samples, 16, 16)
    phase = rng.integers(0, 4, (samples, 1, 1))
    stripes = ((coordinate + phase) % 4 < 2).astype(np.float32)
    colour = rng.uniform(0.5, 1.0, (samples, 1, 1, 3))
    x = 0.6 * stripes[..., None] * colour + rng.uniform(0, 0.4, (samples, SIZE, SIZE, 3))
    return x.astype(np.float32), to_categorical(labels, CLASSES)


def inception_module(x, filters):
    """Four parallel branches joined along the channels: ``4 * filters`` channels."""
    branch1 = Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch3 = Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch3 = Conv2D(filters, 3, padding="same", activation="relu")(branch3)
    branch5 = Conv2D(filters, 1, padding="same", activation="relu")(x)
    branch5 = Conv2D(filters, 5, padding="same", activation="relu")(branch5)
    pool = MaxPooling2D(3, strides=1, padding="same")(x)
    pool = Conv2D(filters, 1, padding="same", activation="relu")(pool)
    return concatenate([branch1, branch3, branch5, pool], axis=-1)


def residual_block(x):
    """conv-BN-relu-conv-BN, added back to the block's input, then relu.

    BatchNormalization's momentum is 0.9 (Keras's default is 0.99) so that the moving
    statistics used at inference settle within the few dozen steps this example trains.
    """
    channels = x.shape[-1]
    y = Conv2D(channels, 3, padding="same")(x)
    y = BatchNormalization(momentum=0.9)(y)
    y = Activation("relu")(y)
    y = Conv2D(channels, 3, padding="same")(y)
    y = BatchNormalization(momentum=0.9)(y)
    return Activation("relu")(add([x, y]))


def build_model(filters=8):
    inputs = Input(shape=(SIZE, SIZE, 3), name="image")
    x = Conv2D(16, 3, padding="same", activation="relu", name="stem")(inputs)
    x = MaxPooling2D(2)(x)  # 8x8
    x = inception_module(x, filters)
    x = residual_block(x)
    x = GlobalAveragePooling2D()(x)
    outputs = Dense(CLASSES, activation="softmax", name="direction")(x)
    return Model(inputs, outputs, name="residual_inception")


def main(epochs=3, samples=600, batch_size=32, verbose=1, compare=True):
    """Trains the model; returns ``(history, [test loss, test accuracy])``."""
    set_random_seed(0)
    x, y = make_data(samples)
    split = int(samples * 0.8)
    x_train, y_train, x_test, y_test = x[:split], y[:split], x[split:], y[split:]

    model = build_model()
    model.summary()
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    history = model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
                        verbose=verbose, validation_data=(x_test, y_test))
    score = model.evaluate(x_test, y_test, batch_size=batch_size, verbose=0)
    print(f"Test loss: {score[0]:.4f}")
    print(f"Test accuracy: {score[1]:.4f}")

    if compare:
        compare_engines(model, x_test[:8])
    return history, score


def compare_engines(model, x):
    """The trained weights and BatchNormalization's moving statistics, copied to every
    installed engine: inference outputs and weight gradients must agree."""
    installed = backends.available()
    if len(installed) < 2:
        print(f"Only {installed} installed; install both engines to compare them.")
        return
    # A conv bias's gradient sums batch x height x width terms (thousands), which the
    # engines add in different orders: float32 round-off reaches ~3e-5 relative there.
    results = testing.assert_backends_agree(model, x, grad_rtol=1e-4)
    grads = len(next(iter(results.values()))[1])
    print(f"torch and JAX agree on outputs (rtol 1e-5, atol 1e-6) and {grads} weight "
          "gradients (rtol 1e-4).")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=600)
    args = parser.parse_args()
    main(args.epochs, args.samples)
