"""Training throughput of the tutorial CNN against hand-written loops.

The MNIST CNN tutorial's model on 28x28x1 inputs: Conv2D(32, 5x5, relu, 'same') ->
MaxPooling2D(2) -> Conv2D(64, 5x5, relu, 'same') -> MaxPooling2D(2) -> Flatten ->
Dense(1024, relu) -> Dense(10, softmax), Adam, categorical crossentropy, batch 64, on
6400 generated samples. Trained by keras_bridge (``model.fit``, inputs channels_last as
the tutorial's Keras default: default settings, ``steps_per_execution=8`` (torch only,
see ``JAX_SCAN_NOTE``),
``jit_compile=True`` on torch, the ``mixed_bfloat16`` policy; and default settings on
channels_first inputs for comparison) and by a loop written by hand for each engine on
the same data, in float32 and in bfloat16 (torch: ``torch.autocast``; JAX: the forward
pass on bfloat16 copies):

- torch: ``nn.Conv2d`` / ``nn.MaxPool2d`` / ``nn.Linear`` on NCHW batches (torch's
  default layout), ``torch.optim.Adam``, ``F.cross_entropy``; and, for comparison, the
  same loop on torch's channels_last memory format, which is what keras_bridge's
  channels_last rule hands torch's kernels (``x.movedim(-1, 1)`` of NHWC data);
- JAX: ``lax.conv_general_dilated`` on NHWC batches, ``lax.reduce_window`` max pooling,
  one jitted step with ``optax.adam``.

After a first epoch each, ``--epochs`` passes over the data are timed in chunks of 1600
samples (25 steps), the configurations of an engine taking turns chunk by chunk (see
``timing.py``). Prints each configuration's best and median chunk in samples/s (wall
clock) and the median chunk in samples per CPU-second, each as a ratio to the engine's
first hand-written loop (the target for keras_bridge's default settings is at least
0.95), and the seconds of the first epoch (compilation included).

Run: python bench/train_cnn.py [--epochs 2] [--samples 6400] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import (LEGEND, dtype_policy, fit_runner, jax_train_step,  # noqa: E402
                    jitted_step_runner, keras_bridge_configs, measure, print_header,
                    print_rows, torch_loop_runner)

BATCH, CLASSES, CHUNK = 64, 10, 1600
JAX_SCAN_NOTE = ("steps_per_execution=8 is not run on JAX: XLA on CPU runs convolutions "
                 "inside a loop (the lax.scan of 8 steps) many times slower than outside "
                 "one (jax-ml/jax#12868); 8 scanned steps of this model took 18-49 s against "
                 "0.9 s as 8 single steps on the development machine.")


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

def keras_bridge_model(engine, data_format, policy=None, **compile_args):
    from keras_bridge import config
    from keras_bridge.layers import Conv2D, Dense, Flatten, MaxPooling2D
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import Adam
    from keras_bridge.utils import set_random_seed
    config.set_backend(engine)
    set_random_seed(0)
    shape = (28, 28, 1) if data_format == "channels_last" else (1, 28, 28)
    with dtype_policy(policy):
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
        model.compile(loss="categorical_crossentropy", optimizer=Adam(), metrics=["accuracy"],
                      **compile_args)
    return model


def keras_bridge_runner(engine, x, y, data_format="channels_last", policy=None,
                        **compile_args):
    if data_format == "channels_first":
        x = nchw(x)
    return fit_runner(keras_bridge_model(engine, data_format, policy, **compile_args), x, y,
                      BATCH)


# hand-written torch ---------------------------------------------------------------------

def torch_by_hand_runner(x, y, channels_last=False, bfloat16=False):
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
    return torch_loop_runner(net, opt, nn.functional.cross_entropy, xt,
                             torch.from_numpy(y.argmax(1)), BATCH,
                             view=(lambda xb: xb.movedim(-1, 1)) if channels_last else None,
                             autocast=torch.bfloat16 if bfloat16 else None)


# hand-written JAX -----------------------------------------------------------------------

def jax_by_hand_runner(x, y, bfloat16=False):
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

    def loss(logits, yb):
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), -1))

    return jitted_step_runner(jax_train_step(forward, loss, opt, bfloat16), params,
                              opt.init(params), x, y, BATCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data(args.samples)
    print(f"MNIST CNN (conv32-pool-conv64-pool-dense1024-dense10), Adam, batch {BATCH}, "
          f"{args.samples} samples, a first epoch then {args.epochs} epochs timed in chunks "
          f"of {CHUNK} samples, configurations taking turns; "
          f"OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print_header()
    for engine in args.engines.split(","):
        configs = [(label + ", NHWC", keras_bridge_runner(engine, x, y, "channels_last", policy,
                                                          **compile_args))
                   for label, compile_args, policy in keras_bridge_configs(engine)
                   if engine == "torch" or "steps_per_execution" not in compile_args]
        configs.append(("keras_bridge default, NCHW (channels_first)",
                        keras_bridge_runner(engine, x, y, "channels_first")))
        hand = len(configs)
        if engine == "torch":
            configs += [("hand-written, NCHW", torch_by_hand_runner(x, y)),
                        ("hand-written, channels_last memory format",
                         torch_by_hand_runner(x, y, channels_last=True)),
                        ("hand-written, NCHW, bfloat16 autocast",
                         torch_by_hand_runner(x, y, bfloat16=True))]
        else:
            configs += [("hand-written, NHWC", jax_by_hand_runner(x, y)),
                        ("hand-written, NHWC, bfloat16", jax_by_hand_runner(x, y, True))]
        results = measure([runner for _, runner in configs], args.samples, args.epochs, CHUNK)
        print_rows(engine, [(label, r) for (label, _), r in zip(configs, results)],
                   results[hand])
    print(LEGEND)
    print(f"NHWC: channels_last inputs (the tutorial's). {JAX_SCAN_NOTE}")


if __name__ == "__main__":
    main()
