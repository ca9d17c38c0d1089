"""A model's weights to and from Keras 3's HDF5 layout (``keras3_layout`` says where
each weight goes; ``h5_file`` reads and writes the file).

Loading checks every group of the file against the model before any weight changes:
the number of variables of each layer, each shape, and that the file holds no layer
the model lacks; a mismatch names the layer, its path and both sides.
"""

import warnings

import numpy as np

from keras_bridge.optimizers import keras_layout
from keras_bridge.saving import h5_file, keras3_optimizer
from keras_bridge.saving.keras3_layout import saveables
from keras_bridge.saving.npz import InvalidFileError

OPTIMIZER_GROUP = "optimizer/vars"
# Keras 3 also writes a LossScaleOptimizer's inner optimizer as its own group: a copy of
# the tail of OPTIMIZER_GROUP, written for Keras and not read back.
INNER_OPTIMIZER_GROUP = "optimizer/inner_optimizer/vars"


def groups_to_write(model, include_optimizer=True):
    """``[(group, name, [arrays])]`` of the model's weights (and, when it has trained,
    its optimizer state), for ``h5_file.write``."""
    groups = [(s.group, s.name, _saved_by_hook(s) if s.hooked("save_own_variables")
               else [w.numpy() for w in s.weights]) for s in saveables(model)]
    if include_optimizer and getattr(model, "_compiled", None) is not None:
        variables = keras3_optimizer.keras_variables(model)
        if variables is not None:
            groups.append((OPTIMIZER_GROUP, model.optimizer.name, variables))
            inner = getattr(model.optimizer, "inner_optimizer", None)
            if inner is not None:
                groups.append((INNER_OPTIMIZER_GROUP, inner.name,
                               variables[len(keras_layout.LOSS_SCALE_VARIABLES):]))
    return groups


def _saved_by_hook(s):
    """The group a layer's own ``save_own_variables`` fills: ``{key: array}``."""
    store = {}
    s.owner.save_own_variables(store)
    bad = [k for k in store if not isinstance(k, str) or not k or "/" in k]
    if bad:
        raise ValueError(f"{_describe(s)}: save_own_variables() stored keys {bad}; a "
                         "store's keys must be non-empty strings without '/'.")
    return {k: v.numpy() if hasattr(v, "numpy") else np.asarray(v) for k, v in store.items()}


class LoadPlan(list):
    """``[(Weight, array)]`` to assign, and ``hooks``: ``[(layer, store)]`` whose own
    ``load_own_variables`` reads its group (run by ``weights_file.assign``)."""

    def __init__(self, pairs=(), hooks=()):
        super().__init__(pairs)
        self.hooks = list(hooks)


def write(fileobj, model, include_optimizer=True):
    h5_file.write(fileobj, groups_to_write(model, include_optimizer))


def _describe(s):
    where = f"'{s.path}'" if s.path else "the model's root"
    return f"layer {s.owner.name!r} ({type(s.owner).__name__}) at {where}"


def plan(model, groups, where, skip_mismatch=False):
    """A ``LoadPlan`` from ``h5_file.read``'s groups; raises ValueError naming every
    mismatch (nothing changed) unless ``skip_mismatch``, which skips the layers that do
    not fit with a warning. A layer overriding ``load_own_variables`` checks its group
    itself when the plan is assigned."""
    problems, pairs, hooks = [], [], []
    mine = saveables(model)
    for s in mine:
        _, arrays = groups.get(s.group, (None, {}))
        if s.hooked("load_own_variables"):
            hooks.append((s.owner, dict(arrays)))  # an empty group when absent, as Keras
            continue
        if len(arrays) != len(s.weights):
            names = [w.name for w in s.weights]
            problems.append(f"{_describe(s)}: the file holds {len(arrays)} variables, the "
                            f"model has {len(s.weights)} {names}")
            continue
        fits = []
        for i, weight in enumerate(s.weights):
            array = arrays.get(str(i))
            if array is None:
                problems.append(f"{_describe(s)}: the file has no variable {i} "
                                f"({weight.name}); its keys are {sorted(arrays)}")
            elif tuple(array.shape) != weight.shape:
                problems.append(f"{_describe(s)}: variable {i} ({weight.name}) has shape "
                                f"{tuple(array.shape)} in the file, the model expects "
                                f"{weight.shape}")
            elif not np.can_cast(array.dtype, np.dtype(weight.dtype), casting="same_kind"):
                problems.append(f"{_describe(s)}: variable {i} ({weight.name}) has dtype "
                                f"{array.dtype} in the file, which does not convert to "
                                f"{weight.dtype}")
            else:
                fits.append((weight, array))
        if len(fits) == len(s.weights):
            pairs.extend(fits)
    known = {s.group for s in mine} | {OPTIMIZER_GROUP, INNER_OPTIMIZER_GROUP}
    for group, (name, arrays) in sorted(groups.items()):
        if group not in known and arrays:
            problems.append(f"the file has {len(arrays)} variables at '{group}' (saved from "
                            f"{name!r}), which the model lacks")
    if problems and not skip_mismatch:
        shown = "\n  - ".join(problems[:10]) + (
            f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise ValueError(f"Cannot load the weights in {where} into model {model.name!r}: "
                         f"they do not match. No weight was changed.\n  - {shown}")
    if problems:
        warnings.warn(f"load_weights(skip_mismatch=True) skipped what does not match "
                      f"{where}: {problems}", stacklevel=3)
    return LoadPlan([(w, np.array(a, dtype=w.dtype)) for w, a in pairs], hooks)


def optimizer_variables(groups, where):
    """The optimizer's variables from a file's groups (in Keras's order), or None."""
    found = groups.get(OPTIMIZER_GROUP)
    if found is None:
        return None
    arrays = found[1]
    keys = [str(i) for i in range(len(arrays))]
    if sorted(arrays) != sorted(keys):
        raise InvalidFileError(f"{where}: the optimizer's variables are not numbered "
                               f"0..{len(arrays) - 1} (keys {sorted(arrays)[:5]}...).")
    return [arrays[k] for k in keys]


def restore_optimizer(model, groups, where):
    """Resume the compiled model's optimizer from the file's ``optimizer/vars``."""
    variables = optimizer_variables(groups, where)
    if variables is None or getattr(model, "_compiled", None) is None:
        return
    if model.optimizer._binding is not None:
        warnings.warn(f"The optimizer state in {where} was not loaded: optimizer "
                      f"{model.optimizer.name!r} is already training.", stacklevel=3)
        return
    keras3_optimizer.restore(model, variables, where)
