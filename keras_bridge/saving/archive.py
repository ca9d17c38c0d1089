"""The ``.keras`` archive: ``save_model`` and ``load_model``.

A ``.keras`` file is written in Keras 3's layout, so Keras 3 loads it
(``keras.models.load_model``), as a zip archive holding:

- ``metadata.json``: ``{"keras_version", "keras_bridge_version", "backend" (the
  engine that wrote it), "date_saved"}``; ``keras_version`` is the Keras release whose
  format the file follows;
- ``config.json``: the model in Keras 3's serialization (``{"module", "class_name",
  "config", "registered_name", "build_config"}``, built-ins under Keras's names, see
  ``keras3_config``), plus ``compile_config`` when the model was compiled;
- ``model.weights.h5``: the weights, and the optimizer state once trained, exactly as
  in a ``.weights.h5`` file (``keras3_weights``);
- ``assets/...``: files layers write with ``save_assets`` (``assets``), such as a
  lookup layer's ``vocabulary.txt``.

Loading reads that layout whoever wrote it (Keras 3 on any backend, or keras_bridge),
and the earlier keras_bridge layout (``metadata.json`` with ``"format":
"keras_bridge.keras"``, ``model.weights.npz`` and ``optimizer.npz``). Everything is
read and checked (zip CRCs, JSON, HDF5 structure, weights against the architecture)
before the model is returned; a damaged file raises ``InvalidFileError`` naming the
file and the problem.
"""

import datetime
import io
import os

from keras_bridge.layers.serialization import deserialize_layer, serialize_layer
from keras_bridge.saving import (
    assets, h5_file, keras2_h5, keras3_config, keras3_weights, npz)
from keras_bridge.saving.atomic import atomic_write, check_overwrite
from keras_bridge.saving.compile_config import compile_config
from keras_bridge.saving.npz import InvalidFileError
from keras_bridge.saving.optimizer_state import check_payload, restore_payload
from keras_bridge.saving.weights_file import (
    assign, check_manifest, plan_assignment, read_weights)
from keras_bridge.serialization.core import serialize_keras_object
from keras_bridge.serialization.registration import scope_for
from keras_bridge.serialization.safe_mode import in_safe_mode, refuse_lambda, safe_mode_scope
from keras_bridge.version import __version__

KERAS_FORMAT_VERSION = "3.15.1"  # the Keras release whose .keras layout is written
LEGACY_FORMAT = "keras_bridge.keras"  # the layout of keras_bridge 0.1's files
METADATA, CONFIG, WEIGHTS_H5 = "metadata.json", "config.json", "model.weights.h5"
LEGACY_WEIGHTS, LEGACY_OPTIMIZER = "model.weights.npz", "optimizer.npz"


def _check_model_path(filepath, action):
    path = os.fspath(filepath)
    if path.endswith(".keras") or keras2_h5.is_keras2_path(path):
        return path
    if path.endswith((".weights.h5", ".weights.npz")):
        detail = ("that is a weights file; use model.save_weights / model.load_weights for "
                  "it")
    else:
        detail = "the native format is the .keras zip archive"
    raise ValueError(f"{action}() needs a path ending in '.keras' (or '.h5' for Keras 2's "
                     f"HDF5 format). Received: filepath='{path}' ({detail}).")


def save_model(model, filepath, overwrite=True, include_optimizer=True):
    """Save ``model`` (architecture, weights and, when compiled, its training
    configuration and optimizer state) to a ``.keras`` archive, atomically.

    Args:
        model: A Sequential or functional model.
        filepath: Path ending in ``.keras``, or ``.h5`` / ``.hdf5`` for Keras 2's HDF5
            format (``keras2_h5``).
        overwrite: If False, an existing file is an error (Keras asks interactively).
        include_optimizer: Whether to save the compile configuration and optimizer
            state.

    Example:
        model.save("model.keras")
        model = keras_bridge.saving.load_model("model.keras")
    """
    path = _check_model_path(filepath, "save")
    if keras2_h5.is_keras2_path(path):
        return keras2_h5.save_model(model, path, overwrite, include_optimizer)
    check_overwrite(path, overwrite)
    # Everything is gathered before the file is touched: an error leaves it as it was.
    compiled = include_optimizer and getattr(model, "_compiled", None) is not None
    custom_compile = compiled and _overrides_get_compile_config(model)
    config = keras3_config.model_entry(
        model, serialize_layer(model),
        compile_config(model) if compiled and not custom_compile else None)
    if custom_compile:
        # Keras 3: the class's own get_compile_config() (its values serialized one by
        # one) is what load_model hands to its compile_from_config().
        user = model.get_compile_config()
        if user is not None:
            if not isinstance(user, dict):
                raise TypeError(f"Expected {type(model).__name__}.get_compile_config() to "
                                f"return a dict. Received: {type(user).__name__}")
            config["compile_config"] = keras3_config.to_keras3(
                {k: serialize_keras_object(v) for k, v in user.items()})
    weights = io.BytesIO()
    keras3_weights.write(weights, model, include_optimizer=compiled)
    asset_files = assets.collect(model)
    metadata = {"keras_version": KERAS_FORMAT_VERSION, "keras_bridge_version": __version__,
                "backend": model.backend_name,
                "date_saved": datetime.datetime.now().strftime("%Y-%m-%d@%H:%M:%S")}
    with atomic_write(path, overwrite) as f:
        npz.write_zip(f, {METADATA: metadata, CONFIG: config}, {},
                      raw={WEIGHTS_H5: weights.getvalue(), **asset_files})


def _overrides_get_compile_config(model):
    from keras_bridge.models.model import Model
    method = getattr(type(model), "get_compile_config", None)
    return method is not None and method is not Model.get_compile_config


def read_archive(path):
    """Every part of a ``.keras`` archive, parsed and checked: ``{"layout": "keras3" or
    "legacy", "metadata", "config", "weights", "optimizer"}``; Keras 3's layout gives
    ``weights`` as ``h5_file.read``'s groups (the optimizer is among them), the legacy
    one ``(manifest, arrays)`` and ``optimizer`` ``(manifest, arrays)`` or None."""
    where = f"'{path}'"
    npz.check_file(path, ".keras archive")
    members = npz.read_zip(path, where, ".keras archive", required=(CONFIG,))
    metadata = {}
    if METADATA in members:
        metadata = npz.parse_json(members[METADATA], f"member {METADATA!r} of {where}")
    config = npz.parse_json(members[CONFIG], f"member {CONFIG!r} of {where}")
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise InvalidFileError(f"member {CONFIG!r} of {where} is not a model config.")
    parts = {"metadata": metadata, "config": config, "optimizer": None}
    if isinstance(metadata, dict) and metadata.get("format") == LEGACY_FORMAT:
        return {**parts, **_read_legacy(members, metadata, where)}
    if WEIGHTS_H5 not in members:
        found = [m for m in members if m not in (METADATA, CONFIG)]
        raise InvalidFileError(f"{where} is not a complete .keras archive: it has no member "
                               f"{WEIGHTS_H5!r} (members: {sorted(members)}"
                               f"{'; Keras npz weights are not read' if LEGACY_WEIGHTS in found else ''}).")
    weights = h5_file.read(members[WEIGHTS_H5], f"member {WEIGHTS_H5!r} of {where}")
    asset_files = {n: data for n, data in members.items()
                   if n.startswith(assets.ASSETS + "/")}
    return {**parts, "layout": "keras3", "weights": weights, "assets": asset_files}


def _read_legacy(members, metadata, where):
    check_manifest(metadata, LEGACY_FORMAT, where, 1)
    if LEGACY_WEIGHTS not in members:
        raise InvalidFileError(f"{where} is not a complete .keras archive: it has no member "
                               f"{LEGACY_WEIGHTS!r} (members: {sorted(members)}).")
    weights = read_weights(members[LEGACY_WEIGHTS], f"member {LEGACY_WEIGHTS!r} of {where}")
    optimizer = None
    if LEGACY_OPTIMIZER in members:
        inner = f"member {LEGACY_OPTIMIZER!r} of {where}"
        json_members, arrays = npz.split_members(
            npz.read_zip(members[LEGACY_OPTIMIZER], inner, "optimizer state file",
                         required=("manifest.json",)), inner)
        optimizer = (json_members["manifest.json"], arrays)
    return {"layout": "legacy", "weights": weights, "optimizer": optimizer}


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved with ``model.save`` / ``save_model``, on the current default
    backend (``keras_bridge.config.set_backend``), whichever engine wrote it.

    Args:
        filepath: Path of a ``.keras`` archive, or of a Keras 2 HDF5 model file
            (``.h5`` / ``.hdf5``).
        custom_objects: Dict name -> class or function for user layers, losses,
            metrics and functions that are not registered.
        compile: Whether to restore the training configuration (optimizer with its
            state, loss, metrics) saved with the model.
        safe_mode: If True (default), refuse ``Lambda`` layers whose function is a
            Python lambda saved as bytecode (loading it runs code from the file).

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
    if keras2_h5.is_keras2_path(path):
        return keras2_h5.load_model(path, custom_objects, compile, safe_mode)
    where = f"'{path}'"
    parts = read_archive(path)
    config = parts["config"]
    with scope_for(custom_objects), safe_mode_scope(safe_mode):
        safe_mode = in_safe_mode()  # False once enable_unsafe_deserialization() ran
        if safe_mode:
            refuse_lambda(config)
        model = deserialize_layer(config, custom_objects, safe_mode)
        if parts["layout"] == "keras3":
            inner = f"member {WEIGHTS_H5!r} of {where}"
            assign(keras3_weights.plan(model, parts["weights"], inner))
            assets.restore(model, parts["assets"], where)
        else:
            manifest, arrays = parts["weights"]
            inner = f"member {LEGACY_WEIGHTS!r} of {where}"
            assign(plan_assignment(model, manifest, arrays, inner))
        compile_cfg = config.get("compile_config")
        if not compile or not compile_cfg:
            return model
        try:
            model.compile_from_config(compile_cfg)
        except Exception as e:
            raise ValueError(
                f"The model in {where} loaded, but its training configuration could not be "
                f"restored ({type(e).__name__}: {e}). Pass the custom losses / metrics in "
                "custom_objects, or load with compile=False.") from e
        if parts["layout"] == "keras3":
            keras3_weights.restore_optimizer(model, parts["weights"], inner)
        elif parts["optimizer"] is not None:
            state_manifest, state = parts["optimizer"]
            inner = f"member {LEGACY_OPTIMIZER!r} of {where}"
            check_payload(model, model.optimizer, state_manifest, state, inner)
            restore_payload(model, model.optimizer, state_manifest, state, inner)
    return model
