"""Training throughput of the tutorial CNN against hand-written loops.

The MNIST CNN tutorial's model on 28x28x1 inputs: Conv2D(32, 5x5, relu, 'same') ->
MaxPooling2D(2) -> Conv2D(64, 5x5, relu, 'same') -> MaxPooling2D(2) -> Flatten ->
Dense(1024, relu) -> Dense(10, softmax), Adam, categorical crossentropy, batch 64, on
6400 generated samples. Trained by keras_bridge (``model.fit``, inputs channels_last as
the tutorial's Keras default, and again channels_first for comparison) and by a loop
written by hand for each engine on the same data:

- torch: ``nn.Conv2d`` / ``nn.MaxPool2d`` / ``nn.Linear`` on NCHW batches (torch's
  default layout), ``torch.optim.Adam``, ``F.cross_entropy``; and, for comparison, the
  same loop on torch's channels_last memory format, which is what keras_bridge's
  channels_last rule hands torch's kernels (``x.movedim(-1, 1)`` of NHWC data);
- JAX: ``lax.conv_general_dilated`` on NHWC batches, ``lax.reduce_window`` max pooling,
  one jitted step with ``optax.adam``.

After a 10-step warm-up, ``--epochs`` passes over the data are timed in chunks of 1600
samples (25 steps), the configurations of an engine taking turns chunk by chunk (see
``timing.py``). Prints each configuration's best and median chunk in samples/s (wall
clock) and the median chunk in samples per CPU-second, each as a ratio to the engine's
first hand-written loop (the target for keras_bridge is at least 0.9), and the seconds of
the warm-up (compilation included: the wait a first epoch adds).

Run: python bench/train_cnn.py [--epochs 2] [--samples 6400] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import Runner, jitted_step_runner, measure  # noqa: E402

BATCH, CLASSES, WARMUP_STEPS, CHUNK = 64, 10, 10, 1600


def nchw(x):
    """NHWC -> NCHW in a fresh C-order array. Not ``np.ascontiguousarray``: with one
    channel it returns the transposed view (numpy ignores the strides of size-1 axes),
    whose channel stride torch reads as the channels_last memory format and then runs
    every later conv and pool on channels_last kernels."""
    return x.transpose(0, 3, 1, 2).copy()


def make_data(samples):
    """Images ``(samples, 28, 28, 1)`` (channels_last) and one-hot labels."""
    rng = np.random.default_rng(0)
    x = rng.random((samples, 28, 28, 1), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, samples)]
    return x, y


# keras_bridge ---------------------------------------------------------------------------

def keras_bridge_model(engine, data_format):
    from keras_bridge import config
    from keras_bridge.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import Adam
    from keras_bridge.utils import set_random_seed
    config.set_backend(engine)
    set_random_seed(0)
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    model = Sequential([
        Conv2D(32, (5, 5), activation="relu", padding="same", data_format=data_format,
               input_shape=shape),
        MaxPooling2D((2, 2), data_format=data_format),
        Conv2D(64, (5, 5), activation="relu", padding="same", data_format=data_format),
        MaxPooling2D((2, 2), data_format=data_format),
        Flatten(),
        Dense(1024, activation="relu"),
        Dense(CLASSES, activation="softmax"),
    ])
    model.compile(loss="categorical_crossentropy", optimizer=Adam(), metrics=["accuracy"])
    return model


def keras_bridge_runner(engine, x, y, data_format="channels_last"):
    if data_format == "channels_first":
        x = nchw(x)
    model = keras_bridge_model(engine, data_format)
    return Runner(lambda lo, hi: model.fit(x[lo:hi], y[lo:hi], batch_size=BATCH, epochs=1,
                                           verbose=0))


# hand-written torch ---------------------------------------------------------------------

def torch_by_hand_runner(x, y, channels_last=False):
    """``channels_last=True``: the same loop on torch's channels_last memory format
    (NHWC memory seen as NCHW, as keras_bridge's channels_last rule hands it to torch)."""
    import torch
    from torch import nn
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 1024), nn.ReLU(), nn.Linear(1024, CLASSES))
    if channels_last:
        net = net.to(memory_format=torch.channels_last)
        xt = torch.from_numpy(x)  # NHWC; each batch is viewed NCHW below
    else:
        xt = torch.from_numpy(nchw(x))
    opt = torch.optim.Adam(net.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-7)
    labels = torch.from_numpy(y.argmax(1))

    def train(lo, hi):
        net.train()
        order = torch.randperm(hi - lo) + lo
        for i in range(0, hi - lo, BATCH):
            idx = order[i:i + BATCH]
            xb = xt[idx].movedim(-1, 1) if channels_last else xt[idx]
            loss = nn.functional.cross_entropy(net(xb), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return Runner(train)


# hand-written JAX -----------------------------------------------------------------------

def jax_by_hand_runner(x, y):
    import jax
    import jax.numpy as jnp
    import optax
    from jax import lax
    rng = np.random.default_rng(1)

    def glorot(shape, fan_in, fan_out):
        limit = np.sqrt(6 / (fan_in + fan_out))
        return jnp.asarray(rng.uniform(-limit, limit, shape), jnp.float32)

    params = {
        "c1": (glorot((5, 5, 1, 32), 25, 800), jnp.zeros(32, jnp.float32)),
        "c2": (glorot((5, 5, 32, 64), 800, 1600), jnp.zeros(64, jnp.float32)),
        "d1": (glorot((3136, 1024), 3136, 1024), jnp.zeros(1024, jnp.float32)),
        "d2": (glorot((1024, CLASSES), 1024, CLASSES), jnp.zeros(CLASSES, jnp.float32)),
    }
    opt = optax.adam(0.001, b1=0.9, b2=0.999, eps=1e-7)
    opt_state = opt.init(params)

    def conv_relu_pool(h, w, b):
        h = lax.conv_general_dilated(h, w, (1, 1), "SAME",
                                     dimension_numbers=("NHWC", "HWIO", "NHWC"))
        h = jax.nn.relu(h + b)
        return lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")

    def forward(p, xb):
        h = conv_relu_pool(xb, *p["c1"])
        h = conv_relu_pool(h, *p["c2"])
        h = h.reshape(h.shape[0], -1)
        h = jax.nn.relu(h @ p["d1"][0] + p["d1"][1])
        return h @ p["d2"][0] + p["d2"][1]

    def step(p, opt_state, xb, yb):
        def loss_fn(p):
            return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(forward(p, xb)), -1))
        grads = jax.grad(loss_fn)(p)
        updates, opt_state = opt.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state

    step = jax.jit(step, donate_argnums=(0, 1))
    return jitted_step_runner(step, params, opt_state, x, y, BATCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data(args.samples)
    print(f"MNIST CNN (conv32-pool-conv64-pool-dense1024-dense10), Adam, batch {BATCH}, "
          f"{args.samples} samples, {args.epochs} epochs timed in chunks of {CHUNK} samples "
          f"after a {WARMUP_STEPS}-step warm-up, configurations taking turns; "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"{'engine':7} {'configuration':44} {'best/s':>7} {'/ hand':>6} {'median/s':>8} "
          f"{'/ hand':>6} {'per CPU-s':>9} {'/ hand':>6} {'warm-up s':>9}")
    for engine in args.engines.split(","):
        configs = [("keras_bridge fit, channels_last (NHWC)",
                    keras_bridge_runner(engine, x, y, "channels_last")),
                   ("keras_bridge fit, channels_first (NCHW)",
                    keras_bridge_runner(engine, x, y, "channels_first"))]
        if engine == "torch":
            configs += [("hand-written, NCHW", torch_by_hand_runner(x, y)),
                        ("hand-written, channels_last memory format",
                         torch_by_hand_runner(x, y, channels_last=True))]
        else:
            configs += [("hand-written, NHWC", jax_by_hand_runner(x, y))]
        results = measure([runner for _, runner in configs], args.samples, args.epochs,
                          CHUNK, BATCH * WARMUP_STEPS)
        hand = results[2]
        for (label, _), r in zip(configs, results):
            print(f"{engine:7} {label:44} {r['best']:7.0f} {r['best'] / hand['best']:6.2f} "
                  f"{r['median']:8.0f} {r['median'] / hand['median']:6.2f} "
                  f"{r['median_cpu']:9.0f} {r['median_cpu'] / hand['median_cpu']:6.2f} "
                  f"{r['warmup_s']:9.2f}", flush=True)
    print("best/s, median/s: best and median chunk, samples per second of wall clock; per "
          "CPU-s: median chunk, samples per second of this process's CPU time (all threads), "
          "steadier when other processes share the cores. / hand: over the engine's first "
          "hand-written loop (target >= 0.9 for keras_bridge). warm-up s: the "
          f"{WARMUP_STEPS}-step warm-up, compilation included (bench/first_epoch.py times "
          "whole first epochs, cold and warm JAX cache).")


if __name__ == "__main__":
    main()
