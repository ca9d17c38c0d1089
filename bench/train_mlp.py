"""Training throughput and one-sample predict latency against hand-written loops.

The tutorial MLP (784-512-512-10, relu, dropout 0.2, softmax, RMSprop, categorical
crossentropy, batch 128) on 12000 generated samples, trained by keras_bridge
(``model.fit``) and by a loop written by hand for each engine (a ``torch.optim`` loop;
a jitted JAX + optax step), on the same data. Prints samples/s and the ratio
keras_bridge / hand-written (target >= 0.9), and the latency of ``model.predict`` on
one sample against the hand-written forward call (target <= 1.5x).

Run: python bench/train_mlp.py [--epochs 3] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

import backends  # noqa: E402

N, BATCH, CLASSES = 12000, 128, 10


def make_data():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, N)]
    return x, y


def keras_bridge_model(engine):
    from keras_bridge import config
    from keras_bridge.layers import Dense, Dropout
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import RMSprop
    config.set_backend(engine)
    model = Sequential([Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2),
                        Dense(512, activation="relu"), Dropout(0.2),
                        Dense(10, activation="softmax")])
    model.compile(loss="categorical_crossentropy", optimizer=RMSprop(), metrics=["accuracy"])
    return model


def time_keras_bridge(engine, x, y, epochs):
    model = keras_bridge_model(engine)
    model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0)  # warm-up (JIT compile)
    start = time.perf_counter()
    model.fit(x, y, batch_size=BATCH, epochs=epochs, verbose=0)
    train = N * epochs / (time.perf_counter() - start)
    one = x[:1]
    latency = best_of(lambda: model.predict(one, verbose=0))
    return train, latency


def best_of(fn, repeats=200):
    for _ in range(20):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_torch_by_hand(x, y, epochs):
    import torch
    from torch import nn
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                        nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    xt, labels = torch.from_numpy(x), torch.from_numpy(y.argmax(1))

    def epoch():
        net.train()
        order = torch.randperm(N)
        for i in range(0, N, BATCH):
            idx = order[i:i + BATCH]
            loss = nn.functional.cross_entropy(net(xt[idx]), labels[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()

    epoch()
    start = time.perf_counter()
    for _ in range(epochs):
        epoch()
    train = N * epochs / (time.perf_counter() - start)
    net.eval()

    def forward():
        with torch.inference_mode():
            return torch.softmax(net(torch.from_numpy(x[:1])), -1).numpy()
    return train, best_of(forward)


def time_jax_by_hand(x, y, epochs):
    import jax
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(1)
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = [(jnp.asarray(rng.normal(0, 0.05, s), jnp.float32), jnp.zeros(s[1], jnp.float32))
              for s in sizes]
    opt = optax.rmsprop(0.001, decay=0.9, eps=1e-7)
    opt_state = opt.init(params)

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

    @jax.jit
    def step(params, opt_state, xb, yb, key):
        def loss_fn(p):
            logits = forward(p, xb, key, True)
            return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), -1))
        grads = jax.grad(loss_fn)(params)
        updates, opt_state = opt.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state

    predict = jax.jit(lambda p, xb: jax.nn.softmax(forward(p, xb, None, False)))
    key = jax.random.PRNGKey(0)

    def epoch(params, opt_state, key):
        order = np.random.permutation(N)
        for i in range(0, N, BATCH):
            idx = order[i:i + BATCH]
            key, sub = jax.random.split(key)
            params, opt_state = step(params, opt_state, x[idx], y[idx], sub)
        return params, opt_state, key

    params, opt_state, key = epoch(params, opt_state, key)
    jax.block_until_ready(params)
    start = time.perf_counter()
    for _ in range(epochs):
        params, opt_state, key = epoch(params, opt_state, key)
    jax.block_until_ready(params)
    train = N * epochs / (time.perf_counter() - start)
    return train, best_of(lambda: np.asarray(predict(params, x[:1])))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data()
    by_hand = {"torch": time_torch_by_hand, "jax": time_jax_by_hand}
    print(f"MLP 784-512-512-10, RMSprop, batch {BATCH}, {N} samples, {args.epochs} timed "
          f"epochs after one warm-up; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print(f"{'engine':7} {'kb samples/s':>13} {'hand samples/s':>15} {'ratio':>6} "
          f"{'kb predict(1)':>14} {'hand forward':>13} {'x':>6}")
    for engine in args.engines.split(","):
        kb_train, kb_lat = time_keras_bridge(engine, x, y, args.epochs)
        hand_train, hand_lat = by_hand[engine](x, y, args.epochs)
        print(f"{engine:7} {kb_train:13.0f} {hand_train:15.0f} {kb_train / hand_train:6.2f} "
              f"{kb_lat * 1e6:12.0f}us {hand_lat * 1e6:11.0f}us {kb_lat / hand_lat:6.2f}")


if __name__ == "__main__":
    main()
