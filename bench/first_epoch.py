"""The first epoch's wait: the tutorial CNN (train_cnn.py) and the LSTM (train_lstm.py)
trained by keras_bridge's ``fit`` in fresh processes sharing one new $KERAS_HOME.

Each run is its own process, as a user's script is: a first ``fit`` epoch (compilation
included) then a second one (compiled steps reused). On JAX the first process finds an
empty persistent compilation cache ($KERAS_HOME/jax_cache) and fills it; the second loads
the compiled steps from it; a third runs with the cache off
(KERAS_JAX_COMPILATION_CACHE=0) for comparison. torch compiles nothing by default and is
shown for reference. Prints seconds per epoch; first - second is the wait the first epoch
adds.

``--keras3`` adds real Keras 3 on JAX (vs_keras3.py's program), two fresh processes,
for the issue's target (the first epoch at least as fast as Keras 3's).

Run: python bench/first_epoch.py [--models cnn,lstm] [--samples 1280] [--engines jax,torch]
     [--keras3]
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

_HERE = os.path.dirname(os.path.abspath(__file__))


def child(model_name, engine, samples):
    """One user process: two one-epoch fits; prints their seconds as JSON. ``engine``
    "keras3": real Keras 3 on JAX, the same program (vs_keras3.py's). Also the seconds
    from the process's start (before the library is imported: Keras 3 imports JAX then,
    keras_bridge when the model first runs) to the end of the first epoch."""
    began = time.perf_counter()
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see train_cnn.py
    sys.path.insert(0, _HERE)
    if model_name == "cnn":
        import train_cnn as bench
    else:
        import train_lstm as bench
    if engine == "keras3":
        os.environ["KERAS_BACKEND"] = "jax"
        import keras
        import vs_keras3
        model = vs_keras3.compiled_model(keras, model_name)
    elif model_name == "cnn":
        model = bench.keras_bridge_model(engine, "channels_last")
    else:
        model = bench.keras_bridge_model(engine)
    x, y = bench.make_data(samples)
    times = []
    for _ in range(2):
        start = time.perf_counter()
        model.fit(x, y, batch_size=bench.BATCH, epochs=1, verbose=0)
        times.append(time.perf_counter() - start)
        if len(times) == 1:
            from_start = time.perf_counter() - began
    print(json.dumps(times + [from_start]))


def run(model_name, engine, samples, home, cache=True):
    env = {**os.environ, "KERAS_HOME": home,
           "KERAS_JAX_COMPILATION_CACHE": "1" if cache else "0"}
    out = subprocess.run([sys.executable, __file__, "--child", model_name, engine,
                          str(samples)], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--models", default="cnn,lstm")
    parser.add_argument("--samples", type=int, default=1280)
    parser.add_argument("--engines", default="jax,torch")
    parser.add_argument("--keras3", action="store_true",
                        help="also real Keras 3 on JAX, in fresh processes (its default: "
                             "no persistent compilation cache)")
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], int(args.child[2]))
        return
    print(f"fit, {args.samples} samples per epoch, each row a fresh process; seconds")
    print(f"{'model':6} {'engine':7} {'run':26} {'epoch 1':>8} {'epoch 2':>8} {'wait':>7} "
          f"{'from start':>10}")
    engines = args.engines.split(",") + (["keras3"] if args.keras3 else [])
    for model_name in args.models.split(","):
        for engine in engines:
            with tempfile.TemporaryDirectory() as home:
                runs = [("cold cache (fills it)", True), ("warm cache", True)]
                if engine == "jax":
                    runs.append(("cache off", False))
                elif engine == "keras3":
                    runs = [("Keras 3 fresh process", True), ("Keras 3 fresh process", True)]
                else:
                    runs = runs[:1]
                    runs[0] = ("(nothing compiled)", True)
                for label, cache in runs:
                    first, second, from_start = run(model_name, engine, args.samples, home,
                                                    cache)
                    print(f"{model_name:6} {engine:7} {label:26} {first:8.2f} {second:8.2f} "
                          f"{first - second:7.2f} {from_start:10.2f}", flush=True)
    print("wait: epoch 1 - epoch 2, the compilation (and first-use) time of the first epoch. "
          "from start: the process's start, library import included, to the end of epoch 1.")


if __name__ == "__main__":
    main()
