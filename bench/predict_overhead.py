"""Inference overhead: keras_bridge's predict path against hand-written engine code.

The model is the README's MLP (784-32-10, relu, softmax). For each installed engine
it times ``model.predict_on_batch(x)`` (numpy in, numpy out: the path a user takes)
against the same math written by hand for the engine, numpy in and out too, and
prints the ratio hand-written / keras_bridge (1.0 means no overhead; the project's
target is at least 0.9 at batch 256).

Run: python bench/predict_overhead.py [--batch 256] [--repeats 200]
"""

import argparse
import time

import numpy as np

from keras_bridge import backends
from keras_bridge.layers import Activation, Dense
from keras_bridge.models import Sequential
from keras_bridge.utils import set_random_seed


def best_time(fn, repeats):
    for _ in range(10):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def hand_written(name, weights):
    W1, b1, W2, b2 = weights
    if name == "torch":
        import torch
        params = [torch.from_numpy(w) for w in (W1, b1, W2, b2)]

        def run(x):
            with torch.inference_mode():
                h = torch.relu(torch.from_numpy(x) @ params[0] + params[1])
                return torch.softmax(h @ params[2] + params[3], dim=-1).numpy()
        return run
    import jax
    import jax.numpy as jnp
    params = [jnp.asarray(w) for w in (W1, b1, W2, b2)]

    @jax.jit
    def f(p, x):
        h = jax.nn.relu(x @ p[0] + p[1])
        return jax.nn.softmax(h @ p[2] + p[3], axis=-1)
    return lambda x: np.asarray(f(params, x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    x = np.random.default_rng(0).random((args.batch, 784), dtype=np.float32)
    print(f"MLP 784-32-10 predict_on_batch, batch {args.batch}, median of {args.repeats}")
    print(f"{'engine':8} {'keras_bridge':>14} {'hand-written':>14} {'ratio':>7}")
    for name in backends.available():
        from keras_bridge import config
        config.set_backend(name)
        set_random_seed(0)
        model = Sequential([Dense(32, input_shape=(784,)), Activation("relu"), Dense(10),
                            Activation("softmax")])
        ref = hand_written(name, model.get_weights())
        np.testing.assert_allclose(model.predict_on_batch(x), ref(x), rtol=1e-5, atol=1e-6)
        ours = best_time(lambda: model.predict_on_batch(x), args.repeats)
        theirs = best_time(lambda: ref(x), args.repeats)
        print(f"{name:8} {ours * 1e6:12.1f}us {theirs * 1e6:12.1f}us {theirs / ours:7.2f}")


if __name__ == "__main__":
    main()
