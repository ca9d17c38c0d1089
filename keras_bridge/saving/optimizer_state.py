"""Optimizer state in a ``.keras`` archive, and resuming it on either engine.

Engine optimizers give their state as ``state_dict()``: ``iterations``,
``learning_rate``, ``<i>/<slot>`` per trainable weight in Keras layout (``0/momentum``,
``0/velocity``, ...) and algorithm-wide values (Nadam's ``u_product``), with the same
keys on torch and JAX. The archive's ``optimizer.npz`` holds those arrays plus
``manifest.json`` naming, for each index ``i``, the weight's structural key
(``layers/dense/vars/0``), so the state is matched to weights by structure.

The engine optimizer only exists once training starts, so a loaded state waits on
the model (``model._pending_optimizer_state``) until the trainer binds the optimizer
and calls ``apply_pending_optimizer_state(model)``.
"""

import numpy as np

from keras_bridge.saving.npz import InvalidFileError
from keras_bridge.saving.weights_file import check_manifest, weight_entries

FORMAT = "keras_bridge.optimizer"
FORMAT_VERSION = 1


class PendingOptimizerState:
    """A loaded state waiting for ``optimizer`` to be bound to an engine."""

    def __init__(self, optimizer, manifest, arrays, where):
        self.optimizer = optimizer
        self.manifest = manifest
        self.arrays = arrays
        self.where = where

    def values_for(self, model, weights):
        """``load_state_dict`` input for an engine optimizer over ``weights``."""
        key_of = {id(e.weight): e.key for e in weight_entries(model)}
        saved_index = {key: i for i, key in enumerate(self.manifest["weights"])}
        values = {k: v for k, v in self.arrays.items() if "/" not in k}
        slots = {}
        for key in self.arrays:
            if "/" in key:
                index, slot = key.split("/", 1)
                slots.setdefault(int(index), []).append(slot)
        for j, weight in enumerate(weights):
            i = saved_index.get(key_of.get(id(weight)))
            if i is None:
                raise ValueError(
                    f"The optimizer state loaded from {self.where} has no values for weight "
                    f"{weight.path!r}: it was not trained when the model was saved. Compile "
                    "with a new optimizer to start its state afresh.")
            for slot in slots.get(i, ()):
                values[f"{j}/{slot}"] = self.arrays[f"{i}/{slot}"]
        return values


def optimizer_payload(model):
    """(manifest, arrays) of the model's optimizer state, or None when it has none
    (never trained, and nothing loaded pending)."""
    compiled = getattr(model, "_compiled", None)
    if compiled is None:
        return None
    pending = getattr(model, "_pending_optimizer_state", None)
    if pending is not None and pending.optimizer is compiled.optimizer:
        return pending.manifest, pending.arrays
    engine = getattr(compiled.optimizer, "_binding", None)
    if engine is None:
        return None
    key_of = {id(e.weight): e.key for e in weight_entries(model)}
    keys = [key_of.get(id(w)) for w in engine.weights]
    if None in keys:
        outside = engine.weights[keys.index(None)]
        raise ValueError(f"The optimizer of model {model.name!r} also updates weight "
                         f"{outside.path!r}, which is not part of the model, so its state "
                         "cannot be saved with it. Save with include_optimizer=False.")
    arrays = {k: np.asarray(v) for k, v in engine.state_dict().items()}
    manifest = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "class_name": type(compiled.optimizer).__name__,
                "algorithm": compiled.optimizer.algorithm, "weights": keys}
    return manifest, arrays


def check_payload(model, optimizer, manifest, arrays, where):
    """Validate a loaded state against ``model`` (structure, shapes) before use."""
    check_manifest(manifest, FORMAT, where, FORMAT_VERSION)
    keys = manifest.get("weights")
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise InvalidFileError(f"{where}: its manifest has no valid 'weights' list.")
    if manifest.get("algorithm") != optimizer.algorithm:
        raise InvalidFileError(f"{where} holds {manifest.get('algorithm')!r} optimizer state, "
                               f"but the saved optimizer is {optimizer.algorithm!r}.")
    for name in ("iterations", "learning_rate"):
        if name not in arrays or np.shape(arrays[name]) != ():
            raise InvalidFileError(f"{where} has no scalar {name!r}.")
    shapes = {e.key: e.weight.shape for e in weight_entries(model)}
    for key, value in arrays.items():
        if "/" not in key:
            continue
        index, _ = key.split("/", 1)
        if not index.isdigit() or int(index) >= len(keys):
            raise InvalidFileError(f"{where} has state {key!r} for no listed weight.")
        weight_key = keys[int(index)]
        if weight_key not in shapes:
            raise ValueError(f"{where} holds optimizer state for weight {weight_key!r}, which "
                             "the model lacks.")
        if tuple(np.shape(value)) != shapes[weight_key]:
            raise ValueError(f"{where}: optimizer state {key!r} has shape {np.shape(value)}, "
                             f"but weight {weight_key!r} has shape {shapes[weight_key]}.")


def apply_pending_optimizer_state(model):
    """Load a state saved with the model into its engine optimizer, once bound.

    The trainer calls this right after binding the optimizer (in ``_get_trainer``);
    it does nothing when no state is pending, and drops the state when the model was
    compiled again with another optimizer (which starts afresh, as in Keras).

    Returns:
        True when a state was applied.
    """
    pending = getattr(model, "_pending_optimizer_state", None)
    compiled = getattr(model, "_compiled", None)
    if pending is None or compiled is None:
        return False
    if compiled.optimizer is not pending.optimizer:
        model._pending_optimizer_state = None
        return False
    engine = compiled.engine_optimizer or getattr(compiled.optimizer, "_binding", None)
    if engine is None:
        return False
    model._pending_optimizer_state = None
    engine.load_state_dict(pending.values_for(model, engine.weights))
    return True
