"""Inference overhead: keras_bridge's predict paths against hand-written engine code.

Two measurements per installed engine, each against the same math written by hand for
the engine (numpy in, numpy out too: torch ``inference_mode`` forward of ``nn.Linear``
modules, one ``jax.jit`` function), holding the keras_bridge model's weights:

- one sample through the tutorial MLP (784-512-512-10, relu, dropout 0.2, softmax; the
  model of train_mlp.py): median latency of ``model.predict(x, verbose=0)``,
  ``model.predict_on_batch(x)`` and ``model(x)`` (eager layer calls, engine tensor out),
  as a multiple of the hand-written call (target for predict: at most 1.2x);
- ``predict_on_batch`` on a batch of ``--batch`` (default 256) through a small MLP
  (784-32-10): hand-written / keras_bridge (1.0 means no overhead; target >= 0.9).

The calls take turns in blocks of 50 (``timing.latencies``), so load from other processes
falls on all of them alike.

Run: python bench/predict_overhead.py [--batch 256] [--rounds 20] [--engines torch,jax]
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_mlp.py

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import latencies  # noqa: E402


def hand_written(engine, weights):
    """The forward pass of Dense layers with weights ``[W1, b1, W2, b2, ...]`` (relu
    between, softmax last), written for ``engine``: a function numpy -> numpy."""
    pairs = list(zip(weights[::2], weights[1::2]))
    if engine == "torch":
        import torch
        from torch import nn
        layers = []
        for i, (w, b) in enumerate(pairs):
            linear = nn.Linear(*w.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w.T))
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear] if i == len(pairs) - 1 else [linear, nn.ReLU()]
        net = nn.Sequential(*layers).eval()

        def run(x):
            with torch.inference_mode():
                return torch.softmax(net(torch.from_numpy(x)), -1).numpy()
        return run
    import jax
    import jax.numpy as jnp
    params = [(jnp.asarray(w), jnp.asarray(b)) for w, b in pairs]

    @jax.jit
    def f(p, x):
        for w, b in p[:-1]:
            x = jax.nn.relu(x @ w + b)
        return jax.nn.softmax(x @ p[-1][0] + p[-1][1], axis=-1)
    return lambda x: np.asarray(f(params, x))


def mlp(engine, hidden, dropout=0.0):
    from keras_bridge import config
    from keras_bridge.layers import Dense, Dropout, Input
    from keras_bridge.models import Sequential
    from keras_bridge.utils import set_random_seed
    config.set_backend(engine)
    set_random_seed(0)
    layers = [Input((784,))]
    for units in hidden:
        layers += [Dense(units, activation="relu")] + ([Dropout(dropout)] if dropout else [])
    return Sequential(layers + [Dense(10, activation="softmax")])


def one_sample(engine, rounds):
    """Median seconds of predict / predict_on_batch / model(x) / the hand-written call
    on one sample."""
    from keras_bridge import ops
    model = mlp(engine, [512, 512], dropout=0.2)
    x = np.random.default_rng(0).random((1, 784), dtype=np.float32)
    ref = hand_written(engine, model.get_weights())
    np.testing.assert_allclose(model.predict(x, verbose=0), ref(x), rtol=1e-5, atol=1e-6)
    calls = [lambda: model.predict(x, verbose=0), lambda: model.predict_on_batch(x),
             lambda: model(x), lambda: ref(x)]
    np.testing.assert_allclose(ops.convert_to_numpy(calls[2]()), ref(x), rtol=1e-5,
                               atol=1e-6)
    return latencies(calls, rounds=rounds)


def batch_throughput(engine, batch, rounds):
    model = mlp(engine, [32])
    x = np.random.default_rng(0).random((batch, 784), dtype=np.float32)
    ref = hand_written(engine, model.get_weights())
    np.testing.assert_allclose(model.predict_on_batch(x), ref(x), rtol=1e-5, atol=1e-6)
    return latencies([lambda: model.predict_on_batch(x), lambda: ref(x)], rounds=rounds)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    engines = args.engines.split(",")
    print("One sample, MLP 784-512-512-10: median latency (us) and x hand-written call")
    print(f"{'engine':7} {'predict':>14} {'predict_on_batch':>18} {'model(x)':>15} "
          f"{'hand-written':>13}")
    for engine in engines:
        *ours, hand = one_sample(engine, args.rounds)
        cells = [f"{t * 1e6:7.0f} {t / hand:5.2f}x" for t in ours]
        print(f"{engine:7} {cells[0]:>14} {cells[1]:>18} {cells[2]:>15} "
              f"{hand * 1e6:13.0f}", flush=True)
    print(f"\nMLP 784-32-10 predict_on_batch, batch {args.batch}: median latency")
    print(f"{'engine':7} {'keras_bridge':>14} {'hand-written':>14} {'hand/kb':>8}")
    for engine in engines:
        ours, theirs = batch_throughput(engine, args.batch, args.rounds)
        print(f"{engine:7} {ours * 1e6:12.1f}us {theirs * 1e6:12.1f}us {theirs / ours:8.2f}",
              flush=True)


if __name__ == "__main__":
    main()
