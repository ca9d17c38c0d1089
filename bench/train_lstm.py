"""Training throughput of a recurrent text classifier against hand-written loops.

``Embedding(10000, 64)`` + ``LSTM(32)`` + ``Dense(1, sigmoid)`` on generated integer
sequences of length 100 (6400 samples, batch 64), Adam, binary crossentropy, trained by
keras_bridge (``model.fit``) and by a loop written by hand for each engine: torch
``nn.Embedding`` + ``nn.LSTM`` + ``nn.Linear`` with ``torch.optim.Adam``; JAX an LSTM
written with ``lax.scan`` and a jitted optax Adam step. Same data; one warm-up epoch
(JIT compile, allocator) is excluded. Prints samples/s and the ratio keras_bridge /
hand-written per engine (target >= 0.9).

Run: python bench/train_lstm.py [--epochs 3] [--samples 6400] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import backends  # noqa: E402

VOCABULARY, EMBED, UNITS, LENGTH, BATCH = 10000, 64, 32, 100, 64


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


def time_keras_bridge(engine, x, y, epochs):
    model = keras_bridge_model(engine)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # warm-up (JIT compile)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    return len(x) * epochs / (time.perf_counter() - start)


def time_torch_by_hand(x, y, epochs):
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
    n = len(x)

    def epoch():
        net.train()
        order = torch.randperm(n)
        for i in range(0, n, BATCH):
            idx = order[i:i + BATCH]
            loss = nn.functional.binary_cross_entropy_with_logits(net(xt[idx]), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    epoch()
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    return n * epochs / (time.perf_counter() - start)


def time_jax_by_hand(x, y, epochs):
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

    n = len(x)

    def epoch(params, opt_state):
        order = np.random.permutation(n)
        for i in range(0, n, BATCH):
            idx = order[i:i + BATCH]
            params, opt_state = step(params, opt_state, x[idx], y[idx])
        return params, opt_state

    params, opt_state = epoch(params, opt_state)
    jax.block_until_ready(params)
    start = time.perf_counter()
    for _ in range(epochs):
        params, opt_state = epoch(params, opt_state)
    jax.block_until_ready(params)
    return n * epochs / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--samples", type=int, default=6400)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data(args.samples)
    by_hand = {"torch": time_torch_by_hand, "jax": time_jax_by_hand}
    print(f"Embedding({VOCABULARY}, {EMBED}) + LSTM({UNITS}) + Dense(1, sigmoid), Adam, "
          f"length {LENGTH}, batch {BATCH}, {args.samples} samples, {args.epochs} timed "
          f"epochs after one warm-up; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"{'engine':7} {'kb samples/s':>13} {'hand samples/s':>15} {'ratio':>6}")
    for engine in args.engines.split(","):
        kb = time_keras_bridge(engine, x, y, args.epochs)
        hand = by_hand[engine](x, y, args.epochs)
        print(f"{engine:7} {kb:13.0f} {hand:15.0f} {kb / hand:6.2f}", flush=True)


if __name__ == "__main__":
    main()
