"""Where per-step overhead dominates: a small MLP (784-64-10, relu, softmax, Adam,
categorical crossentropy, batch 32) on 8192 generated samples.

Configurations take turns on chunks of 1024 samples (32 steps; see ``timing.py``) after
a first epoch each: keras_bridge with default settings, with
``compile(steps_per_execution=8)``, with ``compile(jit_compile=True)`` (torch:
``torch.compile``; on JAX it is the default) and with the ``mixed_bfloat16`` policy, and a
loop written by hand for the engine (a ``torch.optim`` loop; a jitted JAX + optax step) in
float32 and in bfloat16, and in float32 keeping the running loss and accuracy that
``fit`` reports (summed on the device, read once per pass: the like-for-like loop).
Prints each one's best and median chunk in samples/s and as a ratio to the float32
hand-written loop (the machine is shared: compare ratios, not absolute numbers), and the
seconds of the first epoch (compilation included).

Run: python bench/train_small_mlp.py [--epochs 2] [--engines torch,jax]
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_mlp.py

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import (LEGEND, dtype_policy, fit_runner, jax_correct,  # noqa: E402
                    jax_train_step, jitted_step_runner, keras_bridge_configs, measure,
                    print_header, print_rows, torch_correct, torch_loop_runner)

N, BATCH, CLASSES, CHUNK, HIDDEN = 8192, 32, 10, 1024, 64


def make_data():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, N)]
    return x, y


def keras_bridge_runner(engine, x, y, policy=None, **compile_args):
    from keras_bridge import config
    from keras_bridge.layers import Dense
    from keras_bridge.models import Sequential
    config.set_backend(engine)
    with dtype_policy(policy):
        model = Sequential([Dense(HIDDEN, activation="relu", input_shape=(784,)),
                            Dense(CLASSES, activation="softmax")])
        model.compile("adam", "categorical_crossentropy", metrics=["accuracy"],
                      **compile_args)
    return fit_runner(model, x, y, BATCH)


def torch_by_hand_runner(x, y, bfloat16=False, logs=False):
    import torch
    from torch import nn
    net = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    return torch_loop_runner(net, opt, nn.functional.cross_entropy, torch.from_numpy(x),
                             torch.from_numpy(y.argmax(1)), BATCH,
                             autocast=torch.bfloat16 if bfloat16 else None,
                             logs=torch_correct if logs else None)


def jax_by_hand_runner(x, y, bfloat16=False, logs=False):
    import jax
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(1)
    params = [(jnp.asarray(rng.normal(0, 0.05, s), jnp.float32), jnp.zeros(s[1], jnp.float32))
              for s in [(784, HIDDEN), (HIDDEN, CLASSES)]]
    opt = optax.adam(0.001, eps=1e-7)

    def forward(p, xb):
        (w1, b1), (w2, b2) = p
        return jax.nn.relu(xb @ w1 + b1) @ w2 + b2

    def loss(logits, yb):
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), -1))

    return jitted_step_runner(
        jax_train_step(forward, loss, opt, bfloat16, logs=jax_correct if logs else None),
        params, opt.init(params), x, y, BATCH, logs=logs)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data()
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"MLP 784-{HIDDEN}-{CLASSES}, Adam, batch {BATCH}, {N} samples, a first epoch then "
          f"{args.epochs} epochs timed in chunks of {CHUNK} samples, configurations taking "
          f"turns; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print_header()
    for engine in args.engines.split(","):
        configs = [(label, keras_bridge_runner(engine, x, y, policy, **compile_args))
                   for label, compile_args, policy in keras_bridge_configs(engine)]
        configs += [("hand-written, logging loss and accuracy", by_hand[engine](x, y,
                                                                               logs=True)),
                    ("hand-written, float32", by_hand[engine](x, y)),
                    ("hand-written, bfloat16", by_hand[engine](x, y, bfloat16=True))]
        results = measure([runner for _, runner in configs], N, args.epochs, CHUNK)
        print_rows(engine, [(label, r) for (label, _), r in zip(configs, results)],
                   results[-2])
    print(LEGEND)


if __name__ == "__main__":
    main()
