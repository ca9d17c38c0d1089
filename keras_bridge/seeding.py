"""The project's seeded numpy generator.

Weights are drawn here, in numpy and in Keras layout, before any engine sees them;
that is why one seed gives bit-identical initial weights on every backend.
"""

import random as _py_random

import numpy as np

from keras_bridge import backends

_state = {"generator": np.random.default_rng(), "seed": None}


def generator():
    """The generator initializers draw from."""
    return _state["generator"]


def set_seed(seed):
    """Seed Python, numpy, this project's generator and every engine (now or when loaded)."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"Expected a non-negative integer seed. Received: seed={seed!r}")
    seed = int(seed)
    _py_random.seed(seed)
    np.random.seed(seed % 2**32)
    _state["generator"] = np.random.default_rng(seed)
    _state["seed"] = seed
    for backend in backends.loaded().values():
        backend.seed(seed)


def current_seed():
    """The last seed set, applied to an engine when it is first loaded."""
    return _state["seed"]
