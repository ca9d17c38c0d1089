"""The optimizer's variables in Keras 3's files: ``optimizer/vars/<i>``.

Keras 3 numbers an optimizer's variables in creation order: ``iterations``, then
``learning_rate`` (absent with a schedule), then each ``add_optimizer_variables``
call's slots for every trainable variable of the model (several names in one call
are interleaved per variable: Adam's m0, v0, m1, v1, ...; separate calls are
separate blocks: RMSprop's velocities, then its momentums), then algorithm-wide
variables (Nadam's ``u_product``). A ``LossScaleOptimizer``'s list is its own
``iteration`` and ``learning_rate`` (Keras keeps them at 0), ``step_counter`` and
``dynamic_scale``, then its inner optimizer's list. The engine optimizers'
``state_dict`` uses keys ``<i>/<slot>`` instead; this module converts between the two.
"""

import warnings

import numpy as np

from keras_bridge.optimizers import keras_layout
from keras_bridge.saving.npz import InvalidFileError

def keras_variables(model):
    """The model's optimizer state as Keras's list of arrays, or None when there is
    none yet (never trained)."""
    named = keras_named_variables(model)
    return None if named is None else [array for _, array in named]


def keras_named_variables(model):
    """``[(Keras's variable path, array)]`` of the model's optimizer state, in Keras's
    order (``adam/iteration``, ``adam/learning_rate``, ``adam/dense_kernel_momentum``,
    ...), or None when there is none yet."""
    compiled = getattr(model, "_compiled", None)
    state = compiled.optimizer.state_for_saving() if compiled is not None else None
    if state is None:
        return None
    weights, arrays = state
    index = {id(w): i for i, w in enumerate(weights) if w is not None}
    trainable = model.trainable_weights
    missing = [w for w in trainable if id(w) not in index]
    if missing or len(trainable) != len(index):
        raise ValueError(f"The optimizer state of model {model.name!r} does not cover "
                         "exactly its trainable weights, so it cannot be saved in Keras's "
                         "layout. Save with include_optimizer=False.")
    out = []
    for key, path, constant in keras_layout.named_entries(compiled.optimizer, trainable):
        if key is None:
            out.append((path, constant))
            continue
        if "/" in key:  # the saved state numbers the weights in its own order
            i, slot = key.split("/", 1)
            key = f"{index[id(trainable[int(i)])]}/{slot}"
        out.append((path, np.asarray(arrays[key])))
    return out


def restore(model, variables, where):
    """Hand Keras's optimizer variables to the compiled model's optimizer (applied
    when training starts). A count that does not fit the optimizer is skipped with a
    warning, as Keras does; a shape that does not fit is an error."""
    optimizer = model.optimizer
    trainable = model.trainable_weights
    keys = [key for key, *_ in keras_layout.entries(optimizer, len(trainable))]
    if len(variables) != len(keys):
        warnings.warn(f"Skipping the optimizer state in {where}: it has {len(variables)} "
                      f"variables, but optimizer {optimizer.name!r} "
                      f"({type(optimizer).__name__}) of this model has {len(keys)}.",
                      stacklevel=3)
        return
    arrays = {}
    for key, value in zip(keys, variables):
        if key is None:  # a LossScaleOptimizer's constant
            continue
        if "/" in key:
            weight = trainable[int(key.split("/", 1)[0])]
            if tuple(np.shape(value)) != weight.shape:
                raise InvalidFileError(
                    f"{where}: optimizer variable {len(arrays)} ({key.split('/', 1)[1]} of "
                    f"weight {weight.path!r}) has shape {np.shape(value)}, the weight has "
                    f"{weight.shape}.")
        elif np.shape(value) != ():
            raise InvalidFileError(f"{where}: optimizer variable {key!r} should be a scalar; "
                                   f"it has shape {np.shape(value)}.")
        arrays[key] = value
    if "learning_rate" not in arrays:
        arrays["learning_rate"] = np.float32(optimizer.learning_rate)
    optimizer.restore_state(list(trainable), arrays, where)
