"""Checks shared by the layer test modules: random inputs, eager runs that assert the
engine of the result, closeness, and config round trips."""

import json

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import ops


def rand(*shape, seed=0, loc=0.0, scale=1.0, low=None, high=None):
    """float32 samples: normal(loc, scale), or uniform in [low, high) when low is given."""
    rng = np.random.default_rng(seed)
    if low is not None:
        return rng.uniform(low, high, size=shape).astype("float32")
    return (loc + scale * rng.standard_normal(shape)).astype("float32")


def run_eager(layer, x, backend, **kwargs):
    """Eager call: numpy in, an engine tensor out (checked to be ``backend``'s), numpy back."""
    out = layer(x, **kwargs)
    assert backends.backend_of_type(type(out)) == backend
    return ops.convert_to_numpy(out)


def assert_close(got, want, rtol=1e-5, atol=1e-6):
    assert got.shape == want.shape, (got.shape, want.shape)
    np.testing.assert_allclose(got, want, rtol=rtol, atol=atol)


def assert_plain(value, where="config"):
    """Only plain Python values (what JSON can carry) in a config."""
    if isinstance(value, dict):
        for k, v in value.items():
            assert isinstance(k, str), f"{where}: non-string key {k!r}"
            assert_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            assert_plain(v, f"{where}[{i}]")
    else:
        assert value is None or type(value) in (str, int, float, bool), \
            f"{where}: {value!r} of type {type(value).__name__} is not a plain value"


def config_roundtrip(layer):
    """``from_config(get_config())`` gives the same class and the same config."""
    cfg = layer.get_config()
    assert_plain(cfg)
    json.dumps(cfg)
    clone = type(layer).from_config(cfg)
    assert type(clone) is type(layer)
    assert clone.get_config() == cfg
    return clone


def saved_entry_roundtrip(layer):
    """A built-in layer's saved entry (through JSON) names its public package and
    deserializes to the same class and the same entry."""
    from keras_bridge import saving
    entry = json.loads(json.dumps(saving.serialize_keras_object(layer)))
    assert entry["module"] == "keras_bridge.layers"
    clone = saving.deserialize_keras_object(entry)
    assert type(clone) is type(layer)
    assert saving.serialize_keras_object(clone) == entry


def engine_cases(values, on_jax=()):
    """``(engine, value)`` parameters for ``parametrize("backend,<name>", ...,
    indirect=["backend"])``: torch takes every value, JAX only those in ``on_jax`` (eager
    JAX compiles each op per shape, seconds per layer: JAX checks a few, torch all)."""
    return [("torch", v) for v in values] + [("jax", v) for v in values if v in on_jax]


# A test only torch runs (JAX covers the same ops in a sibling test).
TORCH_ONLY = pytest.mark.parametrize("backend", ["torch"], indirect=True)
