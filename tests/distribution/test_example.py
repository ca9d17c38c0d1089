"""examples/distributed_mnist.py runs (one device here, synthetic data, a few steps)."""

import pathlib
import runpy

import numpy as np

from keras_bridge import distribution

ROOT = pathlib.Path(__file__).resolve().parents[2]


def test_distributed_mnist_example(backend):
    main = runpy.run_path(str(ROOT / "examples" / "distributed_mnist.py"))["main"]
    try:
        history = main(epochs=1, batch_size=32, limit=96, synthetic=True, verbose=0)
    finally:
        distribution.set_distribution(None)
    assert len(history.history["loss"]) == 1 and np.isfinite(history.history["loss"][0])
    assert history.params["steps"] == 3
