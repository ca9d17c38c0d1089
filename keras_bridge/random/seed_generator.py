"""``SeedGenerator``: Keras 3's random state, held as a non-trainable weight.

A generator's state is the int32 pair [seed, counter]; each draw reads it and adds one
to the counter, and the random ops turn each pair into its own samples. Because the
state is a weight of the layer that owns the generator, it is part of a model's
weights: a jitted JAX step reads it as an input and returns its advanced value (so the
noise changes from step to step and two runs from the same seeds match), while eager
code and torch advance it in place.
"""

import random as _py_random

import numpy as np

from keras_bridge import context
from keras_bridge.layers.base import Layer
from keras_bridge.variables import _substitution


def _check_int_seed(seed):
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r} "
                         f"(of type {type(seed).__name__})")
    return int(seed)


def _as_int32(value):
    """A seed's 32 bits as an int32 (seeds are conceptually uint32)."""
    return ((int(value) & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000


class SeedGenerator(Layer):
    """A stream of seeds for ``keras_bridge.random`` ops: each op given it draws new
    samples, and two generators made with the same seed give the same sequence.

    Make it an attribute of a layer (``self.seed_generator = SeedGenerator(1337)`` in
    ``__init__``); its state then travels with the layer's weights, which is what lets
    a jitted JAX step advance it. It is a weight-holding ``Layer`` here (Keras 3 has it
    outside the layer hierarchy), so it is listed among a subclassed model's layers.
    As in Keras 3 its state is among its owner's ``variables`` and
    ``non_trainable_variables``, not its ``weights`` (``get_weights``, saving).
    """

    _holds_random_state = True

    def __init__(self, seed=None, name=None, **kwargs):
        if kwargs:
            raise ValueError(f"Unrecognized keyword arguments: {kwargs}")
        self._initial_seed = None if seed is None else _check_int_seed(seed)
        super().__init__(name=name, trainable=False)
        if seed is None:  # Python's generator: reproducible after set_random_seed
            seed = _py_random.randint(1, int(1e9))
        initial = np.array([_as_int32(seed), 0], dtype="int32")
        self.state = self.add_weight(shape=(2,), dtype="int32", trainable=False,
                                     initializer=lambda shape, dtype=None: initial,
                                     name="seed_generator_state")
        self.built = True

    def next(self, ordered=True):
        """The current [seed, counter] state (an engine tensor), advancing the counter.
        ``ordered`` is accepted for Keras 3 compatibility; both kinds advance the
        counter."""
        from keras_bridge import ops
        scope = _substitution.get()
        if scope is not None and id(self.state) not in scope.values:
            if scope.trial:  # shape inference: any state will do, and none is kept
                return self.state.numpy()
            raise ValueError(
                f"SeedGenerator {self.name!r} is used by a program that does not hold its "
                "state: it is not an attribute of any layer of the model being run. "
                "Create it in a layer's __init__ (self.seed_generator = "
                "keras.random.SeedGenerator(seed)) and pass it as seed= in call.")
        if scope is None and self._backend_name is None:
            self.bind(context.active_backend().NAME)
        state = self.state.value
        self.state.assign(ops.add(state, np.array([0, 1], dtype="int32")))
        return state

    def call(self, inputs, *args, **kwargs):
        raise TypeError(f"SeedGenerator {self.name!r} is not called on inputs; pass it as "
                        "the seed= argument of a keras.random function.")

    def get_config(self):
        return {"seed": self._initial_seed, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def draw_seed(seed):
    """What an engine's random op takes for a ``keras.random`` seed argument: None (the
    engine's stream), an int, or a generator's current state (which advances)."""
    if isinstance(seed, SeedGenerator):
        return seed.next()
    if seed is None:
        return None
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return int(seed)
    raise ValueError("Argument `seed` must be either an integer or an instance of "
                     f"`SeedGenerator`. Received: seed={seed!r} (of type "
                     f"{type(seed).__name__})")
