"""keras_bridge on JAX against real Keras 3 on JAX, in one process, taking turns.

The same Keras program built twice, once with ``keras_bridge`` and once with ``keras``
(Keras 3, ``KERAS_BACKEND=jax``, set here before it is imported): the tutorial CNN of
train_cnn.py (channels_last) and the Embedding + LSTM of train_lstm.py, each compiled with
Adam, its crossentropy and 'accuracy', trained with ``fit(batch_size=64, epochs=1,
verbose=0)`` on chunks of the same generated data. After a first epoch each (a fresh
model, compilation included), they take turns on chunks (``timing.measure``). Prints
the best and median chunk's samples/s and the median samples per CPU-second as ratios to
Keras 3's (the issue's target: at least 1.0 on every benchmark, first epoch included),
and the first-epoch seconds.

Keras 3 runs with its default settings (``jit_compile="auto"``: jitted on JAX). Run with
a fresh ``KERAS_HOME`` (both read it; keras_bridge keeps its JAX compilation cache there,
which JAX then applies to the whole process, Keras 3's compilations included).

Run: KERAS_HOME=$(mktemp -d) python bench/vs_keras3.py [--models cnn,lstm] [--epochs 2]
     [--samples 3200]
"""

import os

os.environ["KERAS_BACKEND"] = "jax"  # for Keras 3; keras_bridge is told its engine below
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_mlp.py

import argparse  # noqa: E402

from timing import fit_runner, measure, print_header, print_rows  # noqa: E402

BATCH, CHUNK = 64, 640


def cnn(keras):
    layers = keras.layers
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(32, (5, 5), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Conv2D(64, (5, 5), activation="relu", padding="same"),
        layers.MaxPooling2D((2, 2)),
        layers.Flatten(),
        layers.Dense(1024, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ]), "categorical_crossentropy"


def lstm(keras):
    import train_lstm
    layers = keras.layers
    return keras.Sequential([
        keras.Input((train_lstm.LENGTH,)),
        layers.Embedding(train_lstm.VOCABULARY, train_lstm.EMBED),
        layers.LSTM(train_lstm.UNITS),
        layers.Dense(1, activation="sigmoid"),
    ]), "binary_crossentropy"


def data(model_name, samples):
    if model_name == "cnn":
        import train_cnn
        return train_cnn.make_data(samples)
    import train_lstm
    return train_lstm.make_data(samples)


def compiled_model(keras, model_name):
    """The benchmark's program written with ``keras`` (either library)."""
    keras.utils.set_random_seed(0)
    model, loss = {"cnn": cnn, "lstm": lstm}[model_name](keras)
    model.compile(optimizer=keras.optimizers.Adam(), loss=loss, metrics=["accuracy"])
    return model


def runner(keras, model_name, x, y):
    return fit_runner(compiled_model(keras, model_name), x, y, BATCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="cnn,lstm")
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=3200)
    args = parser.parse_args()
    import keras
    import keras_bridge
    keras_bridge.config.set_backend("jax")
    print(f"JAX, keras_bridge {keras_bridge.__version__} against Keras {keras.__version__} "
          f"(backend {keras.backend.backend()}); batch {BATCH}, {args.samples} samples, a "
          f"first epoch then {args.epochs} epochs timed in chunks of {CHUNK} samples, "
          f"taking turns; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print_header(over="K3")
    for model_name in args.models.split(","):
        x, y = data(model_name, args.samples)
        configs = [(f"{model_name}: keras_bridge", runner(keras_bridge, model_name, x, y)),
                   (f"{model_name}: Keras 3", runner(keras, model_name, x, y))]
        results = measure([r for _, r in configs], args.samples, args.epochs, CHUNK)
        print_rows("jax", [(label, r) for (label, _), r in zip(configs, results)],
                   results[1])
    print("/ K3: over Keras 3's. Columns otherwise as in timing.LEGEND.")


if __name__ == "__main__":
    main()
