"""Training throughput of a recurrent text classifier against hand-written loops.

``Embedding(10000, 64)`` + ``LSTM(32)`` + ``Dense(1, sigmoid)`` on generated integer
sequences of length 100 (6400 samples, batch 64), Adam, binary crossentropy, trained by
keras_bridge (``model.fit``: default settings, ``steps_per_execution=8``,
``jit_compile=True`` on torch, the ``mixed_bfloat16`` policy) and by a loop written by
hand for each engine, in float32 and in bfloat16 (torch ``torch.autocast``; JAX the
forward pass on bfloat16 copies): torch ``nn.Embedding`` + ``nn.LSTM`` + ``nn.Linear``
with ``torch.optim.Adam``; JAX an LSTM written with ``lax.scan`` and a jitted optax Adam
step. Same data. After a first epoch each (compilation, allocator), the configurations
take turns on chunks of 1600 samples (25 steps) for ``--epochs`` passes (see
``timing.py``); prints the best and the median chunk's samples/s and the median samples
per CPU-second, each over the float32 hand-written loop's (target >= 0.95 for the default
settings), and each one's first-epoch seconds (compilation included).

Run: python bench/train_lstm.py [--epochs 3] [--samples 6400] [--engines torch,jax]
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

VOCABULARY, EMBED, UNITS, LENGTH, BATCH, CHUNK = 10000, 64, 32, 100, 64, 1600
TORCH_COMPILE_NOTE = ("jit_compile=True on torch is left out (--torch-compile runs it): "
                      "torch.compile of this LSTM took 210 s in its first epoch and trained "
                      "at about 0.2x the hand loop on the development machine.")


def make_data(samples):
    """Label 1 where the sequence's mean token is above the middle of the vocabulary."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCABULARY, (samples, LENGTH)).astype(np.int32)
    y = (x.mean(axis=1) > VOCABULARY / 2).astype(np.float32)[:, None]
    return x, y


def keras_bridge_model(engine, policy=None, **compile_args):
    from keras_bridge import config
    from keras_bridge.layers import LSTM, Dense, Embedding
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import Adam
    config.set_backend(engine)
    with dtype_policy(policy):
        model = Sequential([Embedding(VOCABULARY, EMBED, input_shape=(LENGTH,)), LSTM(UNITS),
                            Dense(1, activation="sigmoid")])
        model.compile(loss="binary_crossentropy", optimizer=Adam(), metrics=["accuracy"],
                      **compile_args)
    return model


def keras_bridge_runner(engine, x, y, policy=None, **compile_args):
    return fit_runner(keras_bridge_model(engine, policy, **compile_args), x, y, BATCH)


def torch_by_hand_runner(x, y, bfloat16=False):
    import torch
    from torch import nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(VOCABULARY, EMBED)
            self.lstm = nn.LSTM(EMBED, UNITS, batch_first=True)
            self.out = nn.Linear(UNITS, 1)

        def forward(self, tokens):
            _, (h, _) = self.lstm(self.embedding(tokens))
            return self.out(h[-1])

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=0.001, eps=1e-7)
    return torch_loop_runner(net, opt, nn.functional.binary_cross_entropy_with_logits,
                             torch.from_numpy(x).long(), torch.from_numpy(y), BATCH,
                             autocast=torch.bfloat16 if bfloat16 else None)


def jax_by_hand_runner(x, y, bfloat16=False):
    import jax
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(1)

    def normal(*shape):
        return jnp.asarray(rng.normal(0, 0.05, shape), jnp.float32)

    params = {"embedding": normal(VOCABULARY, EMBED), "kernel": normal(EMBED, 4 * UNITS),
              "recurrent": normal(UNITS, 4 * UNITS), "bias": jnp.zeros(4 * UNITS),
              "w_out": normal(UNITS, 1), "b_out": jnp.zeros(1)}
    opt = optax.adam(0.001, eps=1e-7)

    def forward(p, tokens):
        xs = p["embedding"][tokens] @ p["kernel"] + p["bias"]      # (batch, time, 4u)
        batch = tokens.shape[0]

        def cell(carry, x_t):
            h, c = carry
            z = x_t + h @ p["recurrent"]
            i, f, g, o = jnp.split(z, 4, axis=-1)
            c = jax.nn.sigmoid(f) * c + jax.nn.sigmoid(i) * jnp.tanh(g)
            h = jax.nn.sigmoid(o) * jnp.tanh(c)
            return (h, c), None

        zeros = jnp.zeros((batch, UNITS), xs.dtype)
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(xs, 0, 1))
        return h @ p["w_out"] + p["b_out"]

    def loss(logits, yb):
        return jnp.mean(optax.sigmoid_binary_cross_entropy(logits, yb))

    return jitted_step_runner(jax_train_step(forward, loss, opt, bfloat16, donate=False),
                              params, opt.init(params), x, y, BATCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--engines", default=",".join(backends.available()))
    parser.add_argument("--torch-compile", action="store_true",
                        help="also run jit_compile=True on torch (see TORCH_COMPILE_NOTE)")
    args = parser.parse_args()
    x, y = make_data(args.samples)
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"Embedding({VOCABULARY}, {EMBED}) + LSTM({UNITS}) + Dense(1, sigmoid), Adam, "
          f"length {LENGTH}, batch {BATCH}, {args.samples} samples, a first epoch then "
          f"{args.epochs} epochs timed in chunks of {CHUNK} samples, configurations taking "
          f"turns; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print_header()
    for engine in args.engines.split(","):
        configs = [(label, keras_bridge_runner(engine, x, y, policy, **compile_args))
                   for label, compile_args, policy in keras_bridge_configs(engine)
                   if args.torch_compile or "jit_compile" not in compile_args]
        configs += [("hand-written, float32", by_hand[engine](x, y)),
                    ("hand-written, bfloat16", by_hand[engine](x, y, bfloat16=True))]
        results = measure([runner for _, runner in configs], args.samples, args.epochs, CHUNK)
        print_rows(engine, [(label, r) for (label, _), r in zip(configs, results)],
                   results[-2])
    print(LEGEND)
    if not args.torch_compile:
        print(TORCH_COMPILE_NOTE)


if __name__ == "__main__":
    main()
