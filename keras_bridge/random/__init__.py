"""Randomness: the project's seeded numpy generator, and Keras 3's ``keras.random``.

``generator`` / ``set_seed`` / ``current_seed`` (``keras_bridge.seeding``) drive weight initial
values and ``set_random_seed``. ``SeedGenerator`` and the samplers (``normal``,
``uniform``, ``randint``, ``dropout``, ...) are Keras 3's API; they import the layer
machinery, so they load on first use.
"""

from keras_bridge.seeding import _state, current_seed, generator, set_seed  # noqa: F401

_SAMPLERS = ("beta", "binomial", "categorical", "dropout", "gamma", "normal", "randint",
             "shuffle", "truncated_normal", "uniform")
_LAZY = {**{name: "keras_bridge.random.sampling" for name in _SAMPLERS},
         "SeedGenerator": "keras_bridge.random.seed_generator",
         "draw_seed": "keras_bridge.random.seed_generator"}

__all__ = ["SeedGenerator", *_SAMPLERS, "current_seed", "generator", "set_seed"]


def __getattr__(name):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'keras_bridge.random' has no attribute {name!r}")
    import importlib
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
