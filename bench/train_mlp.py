"""Training throughput and one-sample predict latency against hand-written loops.

The tutorial MLP (784-512-512-10, relu, dropout 0.2, softmax, RMSprop, categorical
crossentropy, 'accuracy', batch 128) on 12000 generated samples, trained by keras_bridge
(``model.fit``) and by a loop written by hand for each engine (a ``torch.optim`` loop
with ``F.cross_entropy``; a jitted JAX + optax step), on the same data. The two take
turns on chunks of 1536 samples (12 steps) for ``--epochs`` passes (see
``timing.py``); prints the best and the median chunk's samples/s and their ratio
keras_bridge / hand-written (target >= 0.9). On torch a third configuration takes its
turns: ``compile(jit_compile=True)`` (``torch.compile``; its line has no predict column).
Then the latency of ``model.predict`` on one sample against the hand-written forward call
(target <= 1.5x), the two taking turns.

Run: python bench/train_mlp.py [--epochs 3] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import Runner, latencies, measure  # noqa: E402

N, BATCH, CLASSES, CHUNK = 12000, 128, 10, 1536


def make_data():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, N)]
    return x, y


def keras_bridge_model(engine, **compile_args):
    from keras_bridge import config
    from keras_bridge.layers import Dense, Dropout
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import RMSprop
    config.set_backend(engine)
    model = Sequential([Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2),
                        Dense(512, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"],
                  **compile_args)
    return model


def keras_bridge_runner(engine, x, y, **compile_args):
    """(training Runner, one-sample predict call)."""
    model = keras_bridge_model(engine, **compile_args)
    train = Runner(lambda lo, hi: model.fit(x[lo:hi], y[lo:hi], batch_size=BATCH, epochs=1,
                                            verbose=0))
    one = x[:1]
    return train, lambda: model.predict(one, verbose=0)


def torch_by_hand_runner(x, y):
    import torch
    from torch import nn
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                        nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    xt, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(1))

    def train(lo, hi):
        net.train()
        order = torch.randperm(hi - lo) + lo
        for i in range(0, hi - lo, BATCH):
            idx = order[i:i + BATCH]
            loss = nn.functional.cross_entropy(net(xt[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    one = x[:1]

    def forward():
        net.eval()
        with torch.inference_mode():
            return torch.softmax(net(torch.from_numpy(one)), -1).numpy()
    return Runner(train), forward


def jax_by_hand_runner(x, y):
    import jax
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(1)
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = [(jnp.asarray(rng.normal(0, 0.05, s), jnp.float32), jnp.zeros(s[1], jnp.float32))
              for s in sizes]
    opt = optax.rmsprop(0.001, decay=0.9, eps=1e-7)

    def forward(params, xb, key, training):
        h = xb
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < 2:
                h = jax.nn.relu(h)
                if training:
                    key, sub = jax.random.split(key)
                    h = jnp.where(jax.random.bernoulli(sub, 0.8, h.shape), h / 0.8, 0.0)
        return h

    def step(params, opt_state, xb, yb, key):
        def loss_fn(p):
            logits = forward(p, xb, key, True)
            return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), -1))
        grads = jax.grad(loss_fn)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    step = jax.jit(step, donate_argnums=(0, 1))
    predict = jax.jit(lambda p, xb: jax.nn.softmax(forward(p, xb, None, False)))
    state = [params, opt.init(params), jax.random.PRNGKey(0)]

    def train(lo, hi):
        order = np.random.permutation(hi - lo) + lo
        p, s, key = state
        for i in range(0, hi - lo, BATCH):
            idx = order[i:i + BATCH]
            key, sub = jax.random.split(key)
            p, s = step(p, s, x[idx], y[idx], sub)
        jax.block_until_ready(p)
        state[:] = [p, s, key]

    one = x[:1]
    return Runner(train), lambda: np.asarray(predict(state[0], one))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data()
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"MLP 784-512-512-10, RMSprop, batch {BATCH}, {N} samples, {args.epochs} epochs "
          f"timed in chunks of {CHUNK} samples after a {CHUNK}-sample warm-up, keras_bridge "
          f"and hand-written taking turns; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"{'engine':7} {'samples/s: kb':>14} {'hand':>7} {'ratio':>6} {'median kb':>10} "
          f"{'hand':>7} {'ratio':>6} {'per CPU-s':>10} {'predict(1) kb':>14} {'hand':>7} "
          f"{'x':>5}")
    for engine in args.engines.split(","):
        kb_train, kb_predict = keras_bridge_runner(engine, x, y)
        hand_train, hand_predict = by_hand[engine](x, y)
        runners = [kb_train, hand_train]
        if engine == "torch":  # on JAX jit_compile=True is the default
            runners.append(keras_bridge_runner(engine, x, y, jit_compile=True)[0])
        kb, hand, *jit = measure(runners, N, args.epochs, CHUNK, CHUNK)
        kb_lat, hand_lat = latencies([kb_predict, hand_predict])
        print(f"{engine:7} {kb['best']:14.0f} {hand['best']:7.0f} "
              f"{kb['best'] / hand['best']:6.2f} {kb['median']:10.0f} {hand['median']:7.0f} "
              f"{kb['median'] / hand['median']:6.2f} "
              f"{kb['median_cpu'] / hand['median_cpu']:10.2f} "
              f"{kb_lat * 1e6:12.0f}us {hand_lat * 1e6:5.0f}us {kb_lat / hand_lat:5.2f}",
              flush=True)
        for j in jit:
            print(f"{'  jit':7} {j['best']:14.0f} {hand['best']:7.0f} "
                  f"{j['best'] / hand['best']:6.2f} {j['median']:10.0f} {hand['median']:7.0f} "
                  f"{j['median'] / hand['median']:6.2f} "
                  f"{j['median_cpu'] / hand['median_cpu']:10.2f}", flush=True)
    print("samples/s: best chunk, then median chunk (wall clock); per CPU-s: ratio of median "
          "samples per CPU-second; predict(1): median latency of one-sample predict; jit: "
          "torch with compile(jit_compile=True).")


if __name__ == "__main__":
    main()
