"""A saved optimizer state waiting for its engine optimizer.

An engine optimizer exists only once training binds the optimizer to its weights, so
a state loaded with a model (or carried over by ``to_backend``) waits on the
``Optimizer`` itself, which loads it into the engine optimizer it makes in ``bind``.
The state is matched to the bound weights by identity, so a model's weight order may
differ from the one it was saved in.
"""

import numpy as np


class SavedState:
    """Engine optimizer state (``state_dict()`` form) for known weights.

    Args:
        weights: The weight each saved index ``i`` of ``'<i>/<slot>'`` belongs to.
        arrays: ``iterations``, ``learning_rate``, algorithm-wide values and
            ``'<i>/<slot>'`` arrays.
        where: What the state came from, for error messages.
    """

    def __init__(self, weights, arrays, where):
        self.weights = list(weights)
        self.arrays = dict(arrays)  # assigns before training change this copy only
        self.where = where

    def write(self, key, value):
        """Set entry ``key`` (an assign before training), in its dtype and shape."""
        old = np.asarray(self.arrays[key])
        new = np.asarray(value, dtype=old.dtype)
        if new.shape != old.shape:
            raise ValueError(f"Cannot assign a value of shape {new.shape} to optimizer "
                             f"variable {key!r} of shape {old.shape}.")
        self.arrays[key] = new

    def values_for(self, weights):
        """``load_state_dict`` input for an engine optimizer over ``weights``."""
        saved_index = {id(w): i for i, w in enumerate(self.weights) if w is not None}
        values = {k: v for k, v in self.arrays.items() if "/" not in k}
        slots = {}
        for key in self.arrays:
            if "/" in key:
                index, slot = key.split("/", 1)
                slots.setdefault(int(index), []).append(slot)
        for j, weight in enumerate(weights):
            i = saved_index.get(id(weight))
            if i is None:
                raise ValueError(
                    f"The optimizer state loaded from {self.where} has no values for weight "
                    f"{weight.path!r}: it was not trained when the model was saved. Compile "
                    "with a new optimizer to start its state afresh.")
            for slot in slots.get(i, ()):
                values[f"{j}/{slot}"] = self.arrays[f"{i}/{slot}"]
        return values
