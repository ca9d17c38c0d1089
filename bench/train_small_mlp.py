"""Where per-step overhead dominates: a small MLP (784-64-10, relu, softmax, Adam,
categorical crossentropy, batch 32) on 8192 generated samples.

Configurations take turns on chunks of 1024 samples (32 steps; see ``timing.py``):
keras_bridge with default settings, with ``compile(steps_per_execution=8)``, with
``compile(jit_compile=True)`` (torch: ``torch.compile``; on JAX it is the default) and a
loop written by hand for the engine (a ``torch.optim`` loop; a jitted JAX + optax step).
Prints each one's median-chunk samples/s as a ratio to the hand-written loop (the
machine is shared: compare ratios, not absolute numbers), and the seconds of the
warm-up chunk (compilation included).

Run: python bench/train_small_mlp.py [--epochs 2] [--engines torch,jax]
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_mlp.py

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import Runner, measure  # noqa: E402

N, BATCH, CLASSES, CHUNK, HIDDEN = 8192, 32, 10, 1024, 64


def make_data():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, N)]
    return x, y


def keras_bridge_runner(engine, x, y, **compile_args):
    from keras_bridge import config
    from keras_bridge.layers import Dense
    from keras_bridge.models import Sequential
    config.set_backend(engine)
    model = Sequential([Dense(HIDDEN, activation="relu", input_shape=(784,)),
                        Dense(CLASSES, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"], **compile_args)
    return Runner(lambda lo, hi: model.fit(x[lo:hi], y[lo:hi], batch_size=BATCH, epochs=1,
                                           verbose=0))


def torch_by_hand_runner(x, y):
    import torch
    from torch import nn
    net = nn.Sequential(nn.Linear(784, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, CLASSES))
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    xt, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(1))

    def train(lo, hi):
        order = torch.randperm(hi - lo) + lo
        for i in range(0, hi - lo, BATCH):
            idx = order[i:i + BATCH]
            loss = nn.functional.cross_entropy(net(xt[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return Runner(train)


def jax_by_hand_runner(x, y):
    import jax
    import jax.numpy as jnp
    import optax
    from timing import jitted_step_runner
    rng = np.random.default_rng(1)
    params = [(jnp.asarray(rng.normal(0, 0.05, s), jnp.float32), jnp.zeros(s[1], jnp.float32))
              for s in [(784, HIDDEN), (HIDDEN, CLASSES)]]
    opt = optax.adam(0.001, eps=1e-7)

    def step(params, opt_state, xb, yb):
        def loss_fn(p):
            (w1, b1), (w2, b2) = p
            logits = jax.nn.relu(xb @ w1 + b1) @ w2 + b2
            return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), -1))
        grads = jax.grad(loss_fn)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    return jitted_step_runner(jax.jit(step, donate_argnums=(0, 1)), params,
                              opt.init(params), x, y, BATCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data()
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"MLP 784-{HIDDEN}-{CLASSES}, Adam, batch {BATCH}, {N} samples, {args.epochs} "
          f"epochs timed in chunks of {CHUNK} samples, configurations taking turns")
    configs = [("default", {}), ("steps_per_execution=8", {"steps_per_execution": 8}),
               ("jit_compile=True", {"jit_compile": True})]
    print(f"{'engine':7} {'configuration':24} {'x hand (median)':>16} {'x hand (best)':>14} "
          f"{'warm-up s':>10}")
    for engine in args.engines.split(","):
        names = [name for name, _ in configs] + ["hand-written loop"]
        runners = [keras_bridge_runner(engine, x, y, **kw) for _, kw in configs]
        runners.append(by_hand[engine](x, y))
        warmup = []
        for runner in runners:  # first chunk, compilation included
            start = time.perf_counter()
            runner.train(0, CHUNK)
            warmup.append(time.perf_counter() - start)
        results = measure(runners, N, args.epochs, CHUNK, CHUNK)
        hand = results[-1]
        for name, result, first in zip(names, results, warmup):
            print(f"{engine:7} {name:24} {result['median'] / hand['median']:16.2f} "
                  f"{result['best'] / hand['best']:14.2f} {first:10.2f}", flush=True)
        print(f"{engine:7} {'(hand, samples/s)':24} {hand['median']:16.0f}")


if __name__ == "__main__":
    main()
