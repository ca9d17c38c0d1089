"""Data-parallel MNIST MLP with keras_bridge.distribution: the Keras code is unchanged,
the engine's own runtime splits each batch over the devices.

JAX, one process, every local device (here 2 virtual CPU devices):
    XLA_FLAGS=--xla_force_host_platform_device_count=2 KERAS_BACKEND=jax \\
        python examples/distributed_mnist.py
torch, one process per device (gloo on CPU, NCCL on CUDA):
    KERAS_BACKEND=torch torchrun --nproc_per_node=2 examples/distributed_mnist.py

MNIST comes from mnist.load_data() when it is cached or downloadable; else (or with
--synthetic) random digits-shaped data stands in. The batch size is global: each of N
devices gets batch_size / N samples of every batch.
"""

import argparse

import numpy as np

import keras_bridge as keras
from keras_bridge import distribution


def load(synthetic, limit):
    if not synthetic:
        try:
            (x, y), _ = keras.datasets.mnist.load_data()
            x = x.reshape(len(x), 784).astype("float32") / 255
            return x[:limit], y[:limit]
        except Exception as error:  # no network and no cached file
            print(f"MNIST not available ({error}); using synthetic data.")
    rs = np.random.RandomState(0)
    return rs.rand(limit, 784).astype("float32"), rs.randint(0, 10, limit)


def main(epochs=2, batch_size=128, limit=4096, synthetic=False, verbose=2):
    distribution.initialize()  # torchrun's environment; nothing for one process
    distribution.set_distribution(distribution.DataParallel(devices=distribution.list_devices()))
    x, y = load(synthetic, limit)
    model = keras.Sequential([
        keras.Input((784,)),
        keras.layers.Dense(256, activation="relu"),
        keras.layers.BatchNormalization(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    history = model.fit(x, y, batch_size=batch_size, epochs=epochs, verbose=verbose)
    if distribution.is_chief():
        print(f"devices: {distribution.list_devices()}, final loss "
              f"{history.history['loss'][-1]:.4f}")
    return history


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--limit", type=int, default=4096)
    parser.add_argument("--synthetic", action="store_true")
    args = parser.parse_args()
    main(args.epochs, args.batch_size, args.limit, args.synthetic)
