"""Training throughput and one-sample predict latency against hand-written loops.

The tutorial MLP (784-512-512-10, relu, dropout 0.2, softmax, RMSprop, categorical
crossentropy, 'accuracy', batch 128) on 12000 generated samples, trained by keras_bridge
(``model.fit``: default settings, ``steps_per_execution=8``, ``jit_compile=True`` on
torch, the ``mixed_bfloat16`` policy) and by a loop written by hand for each engine (a
``torch.optim`` loop with ``F.cross_entropy``; a jitted JAX + optax step), in float32
and in bfloat16 (torch: ``torch.autocast``; JAX: the forward pass on bfloat16 copies),
and in float32 keeping the running loss and accuracy ``fit`` reports, on the same
data. They take turns on chunks of 1536 samples (12 steps) for ``--epochs`` passes
after a first epoch each (see ``timing.py``); prints the best and the median
chunk's samples/s, each over the float32 hand-written loop's (target >= 0.95 for the
default settings), and the first epoch's seconds. Then the latency of ``model.predict``
on one sample against the hand-written forward call (target <= 1.2x), the two taking
turns (``bench/predict_overhead.py`` has the detail).

Run: python bench/train_mlp.py [--epochs 3] [--engines torch,jax]
"""

import os

# torch's OpenMP threads spin while idle by default; on a 2-core machine that measures
# spinning, not code. Must be set before torch is imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from keras_bridge import backends  # noqa: E402
from timing import (LEGEND, dtype_policy, fit_runner, jax_correct,  # noqa: E402
                    jax_train_step, jitted_step_runner, keras_bridge_configs, latencies,
                    measure, print_header, print_rows, torch_correct, torch_loop_runner)

N, BATCH, CLASSES, CHUNK = 12000, 128, 10, 1536


def make_data():
    rng = np.random.default_rng(0)
    x = rng.random((N, 784), dtype=np.float32)
    y = np.eye(CLASSES, dtype=np.float32)[rng.integers(0, CLASSES, N)]
    return x, y


def keras_bridge_model(engine, policy=None, **compile_args):
    from keras_bridge import config
    from keras_bridge.layers import Dense, Dropout
    from keras_bridge.models import Sequential
    from keras_bridge.optimizers import RMSprop
    config.set_backend(engine)
    with dtype_policy(policy):
        model = Sequential([Dense(512, activation="relu", input_shape=(784,)), Dropout(0.2),
                            Dense(512, activation="relu"), Dropout(0.2),
                            Dense(10, activation="softmax")])
        model.compile(loss="categorical_crossentropy", optimizer=RMSprop(),
                      metrics=["accuracy"], **compile_args)
    return model


def keras_bridge_runner(engine, x, y, policy=None, **compile_args):
    """(training Runner, one-sample predict call)."""
    model = keras_bridge_model(engine, policy, **compile_args)
    one = x[:1]
    return fit_runner(model, x, y, BATCH), lambda: model.predict(one, verbose=0)


def torch_by_hand_runner(x, y, bfloat16=False, logs=False):
    import torch
    from torch import nn
    net = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 512),
                        nn.ReLU(), nn.Dropout(0.2), nn.Linear(512, 10))
    opt = torch.optim.RMSprop(net.parameters(), lr=0.001, alpha=0.9, eps=1e-7)
    runner = torch_loop_runner(net, opt, nn.functional.cross_entropy, torch.from_numpy(x),
                               torch.from_numpy(y.argmax(1)), BATCH,
                               autocast=torch.bfloat16 if bfloat16 else None,
                               logs=torch_correct if logs else None)
    one = x[:1]

    def forward():
        net.eval()
        with torch.inference_mode():
            return torch.softmax(net(torch.from_numpy(one)), -1).numpy()
    return runner, forward


def jax_by_hand_runner(x, y, bfloat16=False, logs=False):
    import jax
    import jax.numpy as jnp
    import optax
    rng = np.random.default_rng(1)
    sizes = [(784, 512), (512, 512), (512, 10)]
    params = [(jnp.asarray(rng.normal(0, 0.05, s), jnp.float32), jnp.zeros(s[1], jnp.float32))
              for s in sizes]
    opt = optax.rmsprop(0.001, decay=0.9, eps=1e-7)

    def forward(params, xb, key=None):
        h = xb
        for i, (w, b) in enumerate(params):
            h = h @ w + b
            if i < 2:
                h = jax.nn.relu(h)
                if key is not None:  # training: dropout
                    key, sub = jax.random.split(key)
                    h = jnp.where(jax.random.bernoulli(sub, 0.8, h.shape), h / 0.8, 0.0)
        return h

    def loss(logits, yb):
        return -jnp.mean(jnp.sum(yb * jax.nn.log_softmax(logits), -1))

    step = jax_train_step(forward, loss, opt, bfloat16, logs=jax_correct if logs else None)
    runner = jitted_step_runner(step, params, opt.init(params), x, y, BATCH,
                                key=jax.random.PRNGKey(0), logs=logs)
    predict = jax.jit(lambda p, xb: jax.nn.softmax(forward(p, xb)))
    one = x[:1]
    return runner, lambda: np.asarray(predict(runner.state[0], one))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--engines", default=",".join(backends.available()))
    args = parser.parse_args()
    x, y = make_data()
    by_hand = {"torch": torch_by_hand_runner, "jax": jax_by_hand_runner}
    print(f"MLP 784-512-512-10, RMSprop, batch {BATCH}, {N} samples, a first epoch then "
          f"{args.epochs} epochs timed in chunks of {CHUNK} samples, configurations taking "
          f"turns; OMP_WAIT_POLICY={os.environ['OMP_WAIT_POLICY']}")
    print_header()
    for engine in args.engines.split(","):
        labels, runners, predicts = [], [], []
        for label, compile_args, policy in keras_bridge_configs(engine):
            runner, predict = keras_bridge_runner(engine, x, y, policy, **compile_args)
            labels.append(label)
            runners.append(runner)
            predicts.append(predict)
        for label, bfloat16, logs in [
                ("hand-written, logging loss and accuracy", False, True),
                ("hand-written, float32", False, False),
                ("hand-written, bfloat16", True, False)]:
            runner, predict = by_hand[engine](x, y, bfloat16, logs)
            labels.append(label)
            runners.append(runner)
            predicts.append(predict)
        results = measure(runners, N, args.epochs, CHUNK)
        hand = len(labels) - 2
        print_rows(engine, list(zip(labels, results)), results[hand])
        kb_lat, hand_lat = latencies([predicts[0], predicts[hand]])
        print(f"{engine:7} predict(1 sample): keras_bridge {kb_lat * 1e6:.0f} us, "
              f"hand-written {hand_lat * 1e6:.0f} us, {kb_lat / hand_lat:.2f}x", flush=True)
    print(LEGEND)


if __name__ == "__main__":
    main()
