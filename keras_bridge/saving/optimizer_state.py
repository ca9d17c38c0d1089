"""Optimizer state in the ``.keras`` archives of keras_bridge 0.1 (``optimizer.npz``;
files now hold it in Keras 3's layout, see ``keras3_optimizer``), and resuming it on
either engine.

Engine optimizers give their state as ``state_dict()``: ``iterations``,
``learning_rate``, ``<i>/<slot>`` per trainable weight in Keras layout (``0/momentum``,
``0/velocity``, ...) and algorithm-wide values (Nadam's ``u_product``), with the same
keys on torch and JAX. The archive's ``optimizer.npz`` holds those arrays plus
``manifest.json`` naming, for each index ``i``, the weight's structural key
(``layers/dense/vars/0``), so the state is matched to weights by structure.

The engine optimizer only exists once training starts, so a loaded state is handed
to the ``Optimizer`` (``restore_state``), which loads it when it is bound.
"""

import numpy as np

from keras_bridge.saving.npz import InvalidFileError
from keras_bridge.saving.weights_file import check_manifest, weight_entries

FORMAT = "keras_bridge.optimizer"
FORMAT_VERSION = 1


def optimizer_payload(model):
    """(manifest, arrays) of the model's optimizer state, or None when it has none
    (never trained, and no restored state waiting)."""
    compiled = getattr(model, "_compiled", None)
    state = compiled.optimizer.state_for_saving() if compiled is not None else None
    if state is None:
        return None
    weights, arrays = state
    key_of = {id(e.weight): e.key for e in weight_entries(model)}
    keys = [key_of.get(id(w)) for w in weights]
    if None in keys:
        outside = weights[keys.index(None)]
        raise ValueError(f"The optimizer of model {model.name!r} also updates weight "
                         f"{outside.path!r}, which is not part of the model, so its state "
                         "cannot be saved with it. Save with include_optimizer=False.")
    arrays = {k: np.asarray(v) for k, v in arrays.items()}
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


def restore_payload(model, optimizer, manifest, arrays, where):
    """Hand a checked state to ``optimizer``, which loads it once training binds it."""
    by_key = {e.key: e.weight for e in weight_entries(model)}
    optimizer.restore_state([by_key.get(k) for k in manifest["weights"]], arrays, where)
