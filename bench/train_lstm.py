"""Training throughput of a recurrent text classifier against hand-written loops.

``Embedding(10000, 64)`` + ``LSTM(32)`` + ``Dense(1, sigmoid)`` on generated integer
sequences of length 100 (6400 samples, batch 64), Adam, binary crossentropy, trained by
keras_bridge (``model.fit``) and by a loop written by hand for each engine: torch
``nn.Embedding`` + ``nn.LSTM`` + ``nn.Linear`` with ``torch.optim.Adam``; JAX an LSTM
written with ``lax.scan`` and a jitted optax Adam step. Same data. After a one-chunk
warm-up (JIT compilation, allocator), the two take turns on chunks of 1600 samples (25
steps) for ``--epochs`` passes (see ``timing.py``); prints the best and the median
chunk's samples/s and their ratio keras_bridge / hand-written (target >= 0.9), the
ratio of median samples per CPU-second, and each one's warm-up seconds (compilation
included: the wait a first epoch adds).

Run: python bench/train_lstm.py [--epochs 3] [--samples 6400] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import Runner, jitted_step_runner, measure  # noqa: E402

VOCABULARY, EMBED, UNITS, LENGTH, BATCH, CHUNK = 10000, 64, 32, 100, 64, 1600


def make_data(samples):
    """Label 1 where the sequence's mean token is above the middle of the vocabulary."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, VOCABULARY, (samples, LENGTH)).astype(np.int32)
    y = (x.mean(axis=1) > VOCABULARY / 2).astype(np.float32)[:, None]
    return x, y


def keras_bridge_model(engine):
    from keras_bridge import config
    from keras_bridge.layers import LSTM, Dense, Embedding
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import Adam
    config.set_backend(engine)
    model = Sequential([Embedding(VOCABULARY, EMBED, input_shape=(LENGTH,)), LSTM(UNITS),
                        Dense(1, activation="sigmoid")])
    model.compile(loss="binary_crossentropy", optimizer=Adam(), metrics=["accuracy"])
    return model


def keras_bridge_runner(engine, x, y):
    model = keras_bridge_model(engine)
    return Runner(lambda lo, hi: model.fit(x[lo:hi], y[lo:hi], batch_size=BATCH, epochs=1,
                                           verbose=0))


def torch_by_hand_runner(x, y):
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
    xt, yt = torch.from_numpy(x).long(), torch.from_numpy(y)

    def train(lo, hi):
        net.train()
        order = torch.randperm(hi - lo) + lo
        for i in range(0, hi - lo, BATCH):
            idx = order[i:i + BATCH]
            loss = nn.functional.binary_cross_entropy_with_logits(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    return Runner(train)


def jax_by_hand_runner(x, y):
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
    opt_state = opt.init(params)

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

        zeros = jnp.zeros((batch, UNITS), jnp.float32)
        (h, _), _ = jax.lax.scan(cell, (zeros, zeros), jnp.swapaxes(xs, 0, 1))
        return h @ p["w_out"] + p["b_out"]

    @jax.jit
    def step(p, opt_state, xb, yb):
        def loss_fn(p):
            return jnp.mean(optax.sigmoid_binary_cross_entropy(forward(p, xb), yb))
        grads = jax.grad(loss_fn)(p)
        updates, opt_state = opt.update(grads, opt_state, p)
        return optax.apply_updates(p, updates), opt_state

    return jitted_step_runner(step, params, opt_state, x, y, BATCH)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data(args.samples)
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"Embedding({VOCABULARY}, {EMBED}) + LSTM({UNITS}) + Dense(1, sigmoid), Adam, "
          f"length {LENGTH}, batch {BATCH}, {args.samples} samples, {args.epochs} epochs "
          f"timed in chunks of {CHUNK} samples after a {CHUNK}-sample warm-up, keras_bridge "
          f"and hand-written taking turns; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"{'engine':7} {'samples/s: kb':>14} {'hand':>7} {'ratio':>6} {'median kb':>10} "
          f"{'hand':>7} {'ratio':>6} {'per CPU-s':>10} {'warm-up s: kb':>13} {'hand':>6}")
    for engine in args.engines.split(","):
        runners = [keras_bridge_runner(engine, x, y), by_hand[engine](x, y)]
        kb, hand = measure(runners, args.samples, args.epochs, CHUNK, CHUNK)
        print(f"{engine:7} {kb['best']:14.0f} {hand['best']:7.0f} "
              f"{kb['best'] / hand['best']:6.2f} {kb['median']:10.0f} {hand['median']:7.0f} "
              f"{kb['median'] / hand['median']:6.2f} "
              f"{kb['median_cpu'] / hand['median_cpu']:10.2f} {kb['warmup_s']:13.2f} "
              f"{hand['warmup_s']:6.2f}", flush=True)
    print("samples/s: best chunk, then median chunk (wall clock); per CPU-s: ratio of median "
          "samples per CPU-second; warm-up s: the first chunk, compilation included.")


if __name__ == "__main__":
    main()
