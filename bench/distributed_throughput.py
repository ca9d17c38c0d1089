"""Data-parallel training throughput (samples/s) on 1 vs N devices or processes.

JAX: one process with N devices (on CPU, N virtual devices from
XLA_FLAGS=--xla_force_host_platform_device_count=N; on GPU, the first N GPUs).
torch: N processes under ``torch.distributed.run`` (gloo on CPU, NCCL on CUDA).
Each configuration trains the same MLP with the same global batch; the first epoch
(compilation, DDP setup) is not timed, the best of the timed epochs is reported.

Run: python bench/distributed_throughput.py [--backend jax|torch|both] [--devices 2]
     [--samples 16384] [--batch 512] [--width 1024] [--epochs 3]
"""

import argparse
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def worker(args):
    import numpy as np
    import keras_bridge as keras
    from keras_bridge import distribution
    distribution.initialize()
    devices = distribution.list_devices()[:args.devices]
    distribution.set_distribution(distribution.DataParallel(devices=devices))
    rs = np.random.RandomState(0)
    x = rs.randn(args.samples, 784).astype("float32")
    y = rs.randint(0, 10, args.samples)
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((784,))] + [
        keras.layers.Dense(args.width, activation="relu") for _ in range(3)] + [
        keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)  # compile, warm up
    rates = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        model.fit(x, y, batch_size=args.batch, epochs=1, verbose=0)
        distribution.barrier()
        rates.append(args.samples / (time.perf_counter() - start))
    if distribution.is_chief():
        print("RESULT " + json.dumps({"devices": len(devices), "best": max(rates),
                                      "device_names": devices}))


def launch(backend, n, args):
    env = dict(os.environ, KERAS_BACKEND=backend, PYTHONPATH=ROOT)
    rest = ["--worker", "--devices", str(n), "--samples", str(args.samples), "--batch",
            str(args.batch), "--width", str(args.width), "--epochs", str(args.epochs)]
    if backend == "jax":
        env.setdefault("JAX_PLATFORMS", "")
        if args.cpu:
            env["JAX_PLATFORMS"] = "cpu"
            env["XLA_FLAGS"] = f"--xla_force_host_platform_device_count={n}"
        command = [sys.executable, __file__] + rest
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={n}", __file__] + rest
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    lines = [l for l in done.stdout.splitlines() if l.startswith("RESULT ")]
    if done.returncode or not lines:
        raise SystemExit(f"{backend} x{n} failed:\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return json.loads(lines[-1][7:])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backend", default="both")
    parser.add_argument("--devices", type=int, default=2)
    parser.add_argument("--samples", type=int, default=16384)
    parser.add_argument("--batch", type=int, default=512)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="JAX on virtual CPU devices")
    parser.add_argument("--worker", action="store_true")
    args = parser.parse_args()
    if args.worker:
        return worker(args)
    engines = ["jax", "torch"] if args.backend == "both" else [args.backend]
    print(f"{'engine':8} {'devices':>7} {'samples/s':>12} {'scaling':>8}")
    for backend in engines:
        base = None
        for n in sorted({1, args.devices}):
            result = launch(backend, n, args)
            base = base or result["best"]
            print(f"{backend:8} {n:>7} {result['best']:>12.0f} {result['best'] / base:>8.2f}"
                  f"  {result['device_names']}")


if __name__ == "__main__":
    main()
