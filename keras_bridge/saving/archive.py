"""The ``.keras`` archive: ``save_model`` and ``load_model``.

A ``.keras`` file is a zip archive (members stored, not compressed) holding:

- ``metadata.json``: ``{"format": "keras_bridge.keras", "format_version": 1,
  "keras_bridge_version", "backend" (the engine that wrote it), "date_saved"}``;
- ``config.json``: the model as Keras-style JSON (``{"module", "class_name",
  "config", "registered_name"}``, a functional model with ``layers``,
  ``inbound_nodes``, ``input_layers``, ``output_layers``), plus ``compile_config``
  when the model was compiled;
- ``model.weights.npz``: the weights, exactly a ``.weights.npz`` file;
- ``optimizer.npz`` (when the model was compiled and trained): the optimizer state.

Everything is read and checked (zip CRCs, JSON, array headers and sizes, weights
against the architecture, optimizer state against the weights) before the model is
returned; a damaged file raises ``InvalidFileError`` naming the file and the problem.
"""

import datetime
import os

from keras_bridge.layers.serialization import deserialize_layer, serialize_layer
from keras_bridge.saving import npz
from keras_bridge.saving.atomic import atomic_write, check_overwrite
from keras_bridge.saving.compile_config import compile_arguments, compile_config
from keras_bridge.saving.npz import InvalidFileError
from keras_bridge.saving.optimizer_state import (
    check_payload, optimizer_payload, restore_payload)
from keras_bridge.saving.weights_file import (
    MANIFEST, assign, check_manifest, plan_assignment, read_weights, weights_payload)
from keras_bridge.serialization.registration import scope_for
from keras_bridge.serialization.safe_mode import in_safe_mode, refuse_lambda, safe_mode_scope
from keras_bridge.version import __version__

FORMAT = "keras_bridge.keras"
FORMAT_VERSION = 1
METADATA, CONFIG, WEIGHTS, OPTIMIZER = ("metadata.json", "config.json", "model.weights.npz",
                                        "optimizer.npz")


def _check_model_path(filepath, action):
    path = os.fspath(filepath)
    if path.endswith(".keras"):
        return path
    if path.endswith((".h5", ".hdf5")):
        detail = ("Keras 2's HDF5 format needs h5py, which keras_bridge does not use; "
                  "save as .keras instead")
    elif path.endswith(".weights.npz"):
        detail = ("that is a weights file; use model.save_weights / model.load_weights for "
                  "it")
    else:
        detail = "the native format is the .keras zip archive"
    raise ValueError(f"{action}() needs a path ending in '.keras'. Received: "
                     f"filepath='{path}' ({detail}).")


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save ``model`` (architecture, weights and, when compiled, its training
    configuration and optimizer state) to a ``.keras`` archive, atomically.

    Args:
        model: A Sequential or functional model.
        filepath: Path ending in ``.keras``.
        overwrite: If False, an existing file is an error (Keras asks interactively).
        include_optimizer: Whether to save the compile configuration and optimizer
            state.

    Example:
        model.save("model.keras")
        model = keras_bridge.saving.load_model("model.keras")
    """
    path = _check_model_path(filepath, "save")
    check_overwrite(path, overwrite)
    # Everything is gathered before the file is touched: an error leaves it as it was.
    config = serialize_layer(model)
    weights_manifest, arrays = weights_payload(model)
    nested = {WEIGHTS: ({MANIFEST: weights_manifest}, arrays)}
    if include_optimizer and getattr(model, "_compiled", None) is not None:
        config["compile_config"] = compile_config(model)
        state = optimizer_payload(model)
        if state is not None:
            nested[OPTIMIZER] = ({MANIFEST: state[0]}, state[1])
    metadata = {"format": FORMAT, "format_version": FORMAT_VERSION,
                "keras_bridge_version": __version__,
                "backend": model.backend_name,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    with atomic_write(path, overwrite) as f:
        npz.write_zip(f, {METADATA: metadata, CONFIG: config}, {}, nested)


def read_archive(path):
    """Every part of a ``.keras`` archive, parsed and checked: ``{"metadata", "config",
    "weights": (manifest, arrays), "optimizer": (manifest, arrays) or None}``."""
    where = f"'{path}'"
    npz.check_file(path, ".keras archive")
    members = npz.read_zip(path, where, ".keras archive", required=(METADATA, CONFIG))
    metadata = npz.parse_json(members[METADATA], f"member {METADATA!r} of {where}")
    if isinstance(metadata, dict) and "format" not in metadata and "keras_version" in metadata:
        raise InvalidFileError(
            f"{where} was written by Keras {metadata['keras_version']}, not keras_bridge: its "
            "weights are HDF5 (model.weights.h5), which keras_bridge does not read. Its "
            "architecture loads with keras_bridge.saving.model_from_json(<config.json>); "
            "copy the weights with set_weights.")
    check_manifest(metadata, FORMAT, where, FORMAT_VERSION)
    if WEIGHTS not in members:
        raise InvalidFileError(f"{where} is not a complete .keras archive: it has no member "
                               f"{WEIGHTS!r} (members: {sorted(members)}).")
    config = npz.parse_json(members[CONFIG], f"member {CONFIG!r} of {where}")
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise InvalidFileError(f"member {CONFIG!r} of {where} is not a model config.")
    weights = read_weights(members[WEIGHTS], f"member {WEIGHTS!r} of {where}")
    optimizer = None
    if OPTIMIZER in members:
        inner = f"member {OPTIMIZER!r} of {where}"
        json_members, arrays = npz.split_members(
            npz.read_zip(members[OPTIMIZER], inner, "optimizer state file",
                         required=(MANIFEST,)), inner)
        optimizer = (json_members[MANIFEST], arrays)
    return {"metadata": metadata, "config": config, "weights": weights,
            "optimizer": optimizer}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` / ``save_model``, on the current default
    backend (``keras_bridge.config.set_backend``), whichever engine wrote it.

    Args:
        filepath: Path of a ``.keras`` archive.
        custom_objects: Dict name -> class or function for user layers, losses,
            metrics and functions that are not registered.
        compile: Whether to restore the training configuration (optimizer with its
            state, loss, metrics) saved with the model.
        safe_mode: If True (default), refuse to load ``Lambda`` layers, whose loading
            calls Python functions named by the file.

    Returns:
        The model, with its weights; compiled when it was saved compiled and
        ``compile=True``. The optimizer state, if saved, is applied when training
        starts, on whichever engine.

    Raises:
        InvalidFileError: the file is truncated, corrupted or not a keras_bridge archive.
        ValueError: the config needs unknown custom objects, a Lambda is refused by
            safe_mode, or the parts of the file do not fit together.
    """
    path = _check_model_path(filepath, "load_model")
    where = f"'{path}'"
    parts = read_archive(path)
    config = parts["config"]
    with scope_for(custom_objects), safe_mode_scope(safe_mode):
        safe_mode = in_safe_mode()  # False once enable_unsafe_deserialization() ran
        if safe_mode:
            refuse_lambda(config)
        model = deserialize_layer(config, custom_objects, safe_mode)
        manifest, arrays = parts["weights"]
        assign(plan_assignment(model, manifest, arrays, f"member {WEIGHTS!r} of {where}"))
        compile_cfg = config.get("compile_config")
        if not compile or not compile_cfg:
            return model
        try:
            model.compile(**compile_arguments(compile_cfg, custom_objects))
        except Exception as e:
            raise ValueError(
                f"The model in {where} loaded, but its training configuration could not be "
                f"restored ({type(e).__name__}: {e}). Pass the custom losses / metrics in "
                "custom_objects, or load with compile=False.") from e
        if parts["optimizer"] is not None:
            state_manifest, state = parts["optimizer"]
            inner = f"member {OPTIMIZER!r} of {where}"
            check_payload(model, model.optimizer, state_manifest, state, inner)
            restore_payload(model, model.optimizer, state_manifest, state, inner)
    return model
