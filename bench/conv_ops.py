"""ConvLSTM2D training steps (forward + backward + update) on two source trees.

ConvLSTM has no convolution rule: its convolutions are its reference call's. This times
``train_on_batch`` of ConvLSTM2D(16, 3, padding='same') on (8, 5, 16, 16, 3) batches
(mean squared error against zeros, SGD) for each source tree given (e.g. the commit
before ``ops.conv``, whose reference math was window extraction + einsum, and this one)
on each engine. Every (tree, engine) configuration is a worker process (its tree first
on PYTHONPATH); the workers take turns, round after round (see ``timing.py`` for why),
each warming up and then timing ``--steps`` steps. Prints each configuration's best and
median step time over the rounds, in milliseconds.

Run: python bench/conv_ops.py --trees /path/to/old,/path/to/new [--engines torch,jax]
     [--rounds 3] [--steps 10]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

SHAPE, FILTERS = (8, 5, 16, 16, 3), 16


def worker(steps):
    import numpy as np

    import keras_bridge as keras
    x = np.random.default_rng(0).standard_normal(SHAPE).astype("float32")
    y = np.zeros((SHAPE[0],) + SHAPE[2:4] + (FILTERS,), "float32")
    model = keras.Sequential([keras.Input(SHAPE[1:]),
                              keras.layers.ConvLSTM2D(FILTERS, 3, padding="same")])
    model.compile("sgd", "mse")
    for _ in range(3):  # compilation, kernel selection
        model.train_on_batch(x, y)
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        model.train_on_batch(x, y)
        times.append(time.perf_counter() - start)
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--trees", required=True)
    parser.add_argument("--engines", default="torch,jax")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args.steps)
    configs = [(tree, engine) for engine in args.engines.split(",")
               for tree in args.trees.split(",")]
    times = {c: [] for c in configs}
    for _ in range(args.rounds):
        for tree, engine in configs:
            env = dict(os.environ, PYTHONPATH=tree, KERAS_BACKEND=engine,
                       OMP_WAIT_POLICY="PASSIVE")
            out = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker",
                                  "--steps", str(args.steps), "--trees", tree],
                                 env=env, cwd=tree, capture_output=True, text=True,
                                 check=True).stdout
            times[(tree, engine)] += json.loads(out.strip().splitlines()[-1])
    for (tree, engine), t in times.items():
        print(f"{engine:5s} {tree}: best {min(t) * 1e3:8.1f} ms  "
              f"median {statistics.median(t) * 1e3:8.1f} ms per step")


if __name__ == "__main__":
    main()
