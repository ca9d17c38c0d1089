"""``save_weights`` / ``load_weights``: Keras 3's ``.weights.h5`` (see
``keras3_weights``) and keras_bridge's ``.weights.npz``, described here.

A ``.weights.npz`` file is a zip archive in numpy's npz layout (members stored, not
compressed), readable with ``numpy.load(path, allow_pickle=False)``:

- ``manifest.json``: ``{"format": "keras_bridge.weights", "format_version": 1,
  "keras_bridge_version", "backend", "model": {"name", "class_name"}, "weights":
  [{"key", "layer", "class_name", "name", "shape", "dtype"}, ...]}``, one entry per
  weight in the model's weight order;
- ``<key>.npy`` per weight, in Keras layout (Dense kernel ``(in, out)``) whatever the
  engine that wrote it.

Keys follow Keras 3's ``.weights.h5`` paths: ``layers/<name>/vars/<i>`` where
``<name>`` is the layer's class in snake case, numbered among the layers of its
model in order (``dense``, ``dense_1``, ...; a nested model adds
``layers/<model>/layers/...``). Weights therefore match by structure (layer order
and weight order), not by layer names, which change between sessions; the names
are recorded for error messages.
"""

import os
import warnings

import numpy as np

from keras_bridge.models.model import Model
from keras_bridge.saving import h5_file, keras2_h5, keras3_weights, npz
from keras_bridge.saving.atomic import atomic_write
from keras_bridge.saving.keras3_layout import class_path_name
from keras_bridge.saving.npz import InvalidFileError
from keras_bridge.version import __version__

SUFFIX = ".weights.npz"
H5_SUFFIX = ".weights.h5"
FORMAT = "keras_bridge.weights"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


class WeightEntry:
    """One weight of a model with its structural key."""

    def __init__(self, key, layer, weight):
        self.key, self.layer, self.weight = key, layer, weight

    def describe(self):
        return (f"layer {self.layer.name!r} ({type(self.layer).__name__}) weight "
                f"{self.weight.name!r}")


def weight_entries(model):
    """Every weight of ``model`` once, with its key, in the model's weight order."""
    entries, seen_layers, seen_weights = [], set(), set()

    def add(key, layer, weight):
        if id(weight) not in seen_weights:
            seen_weights.add(id(weight))
            entries.append(WeightEntry(key, layer, weight))

    def visit(container, prefix):
        for i, weight in enumerate(w for w in container._own_weights if not w._is_state):
            add(f"{prefix}vars/{i}", container, weight)
        counts = {}
        for layer in container.layers:
            if id(layer) in seen_layers:
                continue
            seen_layers.add(id(layer))
            base = class_path_name(layer)
            n = counts.get(base, 0)
            counts[base] = n + 1
            path = f"{prefix}layers/{base if n == 0 else f'{base}_{n}'}/"
            if isinstance(layer, Model):
                visit(layer, path)
            else:
                for i, weight in enumerate(layer.weights):
                    add(f"{path}vars/{i}", layer, weight)

    seen_layers.add(id(model))
    visit(model, "")
    return entries


def weights_payload(model):
    """(manifest, arrays by key) of ``model``'s current weights."""
    entries = weight_entries(model)
    arrays = {e.key: e.weight.numpy() for e in entries}
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "keras_bridge_version": __version__, "backend": model.backend_name,
        "model": {"name": model.name, "class_name": type(model).__name__},
        "weights": [{"key": e.key, "layer": e.layer.name,
                     "class_name": type(e.layer).__name__, "name": e.weight.name,
                     "shape": list(arrays[e.key].shape), "dtype": str(arrays[e.key].dtype)}
                    for e in entries]}
    return manifest, arrays


def check_weights_path(filepath, action):
    path = os.fspath(filepath)
    if path.endswith((SUFFIX, *keras2_h5.SUFFIXES)) or (action == "load_weights"
                                                        and path.endswith(".keras")):
        return path
    also = " (or a .keras model file)" if action == "load_weights" else ""
    raise ValueError(f"{action}() needs a path ending in '{H5_SUFFIX}' (Keras 3's format), "
                     f"'.h5' (Keras 2's HDF5 format) or '{SUFFIX}'{also}. Received: "
                     f"filepath='{path}'. For example: model.{action}('{_suggest(path)}').")


def _suggest(path):
    stem = path
    for ext in (".weights.h5", ".h5", ".hdf5", ".npz", ".keras"):
        if stem.endswith(ext):
            stem = stem[:-len(ext)]
            break
    return (stem or "model") + H5_SUFFIX


def save_weights(model, filepath, overwrite=True):
    """Write ``model``'s weights, atomically: ``.weights.h5`` in Keras 3's format (with
    the optimizer state once trained, as Keras writes it), other ``.h5`` / ``.hdf5``
    paths in Keras 2's (``keras2_h5``), or ``.weights.npz``."""
    path = check_weights_path(filepath, "save_weights")
    _require_built(model, "save its weights")
    if keras2_h5.is_keras2_path(path):
        return keras2_h5.save_weights(model, path, overwrite)
    if path.endswith(H5_SUFFIX):
        groups = keras3_weights.groups_to_write(model)
        with atomic_write(path, overwrite) as f:
            h5_file.write(f, groups)
        return
    manifest, arrays = weights_payload(model)
    with atomic_write(path, overwrite) as f:
        npz.write_zip(f, {MANIFEST: manifest}, arrays)


def _require_built(model, what):
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built yet, so its weights do not exist "
                         f"and it cannot {what}. Build it first: give the first layer an "
                         "input_shape, call model.build(input_shape), or run it on data.")


def read_weights(source, where):
    """(manifest, arrays by key) of a ``.weights.npz`` (a path, or bytes from inside a
    ``.keras`` archive), checked to be complete and consistent."""
    if not isinstance(source, bytes):
        npz.check_file(source, "keras_bridge weights file (.weights.npz)")
    members = npz.read_zip(source, where, "keras_bridge weights file")
    json_members, arrays = npz.split_members(members, where)
    manifest = json_members.get(MANIFEST)
    if manifest is None:
        raise InvalidFileError(f"{where} has no {MANIFEST}, so it was not written by "
                               "keras_bridge's save_weights (a plain numpy.savez file? load "
                               "it with numpy and call model.set_weights).")
    check_manifest(manifest, FORMAT, where)
    specs = manifest.get("weights")
    if not isinstance(specs, list) or not all(
            isinstance(s, dict) and isinstance(s.get("key"), str) for s in specs):
        raise InvalidFileError(f"{where}: {MANIFEST} has no valid 'weights' list.")
    keys = [s["key"] for s in specs]
    extra = sorted(set(arrays) - set(keys))
    if extra or len(set(keys)) != len(keys):
        raise InvalidFileError(f"{where}: its arrays do not match its {MANIFEST} (arrays "
                               f"not listed: {extra[:5]}).")
    for spec in specs:
        array = arrays.get(spec["key"])
        if array is None:
            raise InvalidFileError(f"{where} is incomplete: it has no array for "
                                   f"{spec['key']!r} ({_spec_text(spec)}).")
        if list(array.shape) != spec.get("shape") or str(array.dtype) != spec.get("dtype"):
            raise InvalidFileError(f"{where} is inconsistent: {spec['key']!r} holds shape "
                                   f"{array.shape} {array.dtype}, its manifest says "
                                   f"{spec.get('shape')} {spec.get('dtype')}.")
    return manifest, arrays


def check_manifest(manifest, expected_format, where, supported=FORMAT_VERSION):
    if not isinstance(manifest, dict) or manifest.get("format") != expected_format:
        found = manifest.get("format") if isinstance(manifest, dict) else manifest
        raise InvalidFileError(f"{where} is not a {expected_format} file (its format is "
                               f"{found!r}).")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version < 1:
        raise InvalidFileError(f"{where} has an invalid format_version {version!r}.")
    if version > supported:
        raise InvalidFileError(
            f"{where} was written in {expected_format} format version {version} by "
            f"keras_bridge {manifest.get('keras_bridge_version')}; this keras_bridge reads "
            f"version {supported}. Upgrade keras_bridge to load it.")


def _spec_text(spec):
    return (f"layer {spec.get('layer')!r} ({spec.get('class_name')}) weight "
            f"{spec.get('name')!r}, shape {tuple(spec.get('shape') or ())}")


def _pairs_by_structure(entries, specs, problem):
    pairs = []
    for e in entries:
        spec = specs.get(e.key)
        if spec is None:
            problem(e.layer.name, f"the model's {e.describe()} (shape {e.weight.shape}, "
                                  f"{e.key}) is not in the file")
        else:
            pairs.append((e, spec))
    model_keys = {e.key for e in entries}
    for key, spec in specs.items():
        if key not in model_keys:
            problem(str(spec.get("layer")), f"the file has {_spec_text(spec)} ({key}), "
                                            "which the model lacks")
    return pairs


def _pairs_by_name(entries, specs, problem):
    """Keras 2's ``by_name``: layers present in both, matched by name."""
    saved, pairs = {}, []
    for spec in specs.values():
        saved.setdefault(spec.get("layer"), []).append(spec)
    mine = {}
    for e in entries:
        mine.setdefault(e.layer.name, []).append(e)
    for name, layer_entries in mine.items():
        layer_specs = saved.get(name)
        if layer_specs is None:
            continue
        if len(layer_specs) != len(layer_entries):
            problem(name, f"layer {name!r} has {len(layer_entries)} weights in the model and "
                          f"{len(layer_specs)} in the file")
            continue
        pairs.extend(zip(layer_entries, layer_specs))
    return pairs


def plan_assignment(model, manifest, arrays, where, skip_mismatch=False, by_name=False):
    """Check the file against the model; returns [(Weight, array)] to assign. Raises
    (naming each layer and both shapes) on any mismatch unless ``skip_mismatch``."""
    entries = weight_entries(model)
    specs = {s["key"]: s for s in manifest["weights"]}
    problems = {}  # layer name -> messages

    def problem(layer_name, text):
        problems.setdefault(layer_name, []).append(text)

    pairs = (_pairs_by_name if by_name else _pairs_by_structure)(entries, specs, problem)
    plan = []
    for e, spec in pairs:
        array = arrays[spec["key"]]
        if tuple(array.shape) != e.weight.shape:
            problem(e.layer.name, f"{e.describe()} ({e.key}): the file holds shape "
                                  f"{tuple(array.shape)} (saved from layer "
                                  f"{spec.get('layer')!r}), the model expects {e.weight.shape}")
        elif not np.can_cast(array.dtype, np.dtype(e.weight.dtype), casting="same_kind"):
            problem(e.layer.name, f"{e.describe()} ({e.key}): the file holds dtype "
                                  f"{array.dtype}, which does not convert to {e.weight.dtype}")
        else:
            plan.append((e, array))
    if problems and not skip_mismatch:
        lines = [text for texts in problems.values() for text in texts]
        shown = "\n  - ".join(lines[:10]) + (f"\n  ... and {len(lines) - 10} more"
                                              if len(lines) > 10 else "")
        saved = manifest.get("model") or {}
        raise ValueError(
            f"Cannot load the weights in {where} into model {model.name!r}: they do not match "
            f"(the file holds {len(specs)} weights of model {saved.get('name')!r} "
            f"({saved.get('class_name')}); the model has {len(entries)}). No weight was "
            f"changed.\n  - {shown}")
    if problems:
        warnings.warn(f"load_weights(skip_mismatch=True) skipped layers {sorted(problems)} "
                      f"whose weights do not match {where}.", stacklevel=3)
        plan = [(e, a) for e, a in plan if e.layer.name not in problems]
    return [(e.weight, np.array(a, dtype=e.weight.dtype)) for e, a in plan]


def assign(plan, skip_mismatch=False):
    """Assign a plan's weights, then run its layers' ``load_own_variables`` hooks
    (``keras3_weights.LoadPlan``). A hook that raises puts back every weight this
    assignment changed, then the error propagates (``skip_mismatch``: only that layer's
    weights are put back, with a warning)."""
    hooks = getattr(plan, "hooks", ())
    touched = {id(w): w for w, _ in plan}
    for layer, _ in hooks:
        touched.update((id(w), w) for w in layer.weights)
    before = [(w, w.numpy()) for w in touched.values()] if hooks else []
    for weight, array in plan:
        weight.assign(array)
    for layer, store in hooks:
        mine = [(w, w.numpy()) for w in layer.weights]
        try:
            layer.load_own_variables(store)
        except Exception as e:
            if not skip_mismatch:
                for weight, array in before:
                    weight.assign(array)
                raise
            for weight, array in mine:
                weight.assign(array)
            warnings.warn(f"load_weights(skip_mismatch=True) skipped layer {layer.name!r}: "
                          f"its load_own_variables() failed ({type(e).__name__}: {e}).",
                          stacklevel=3)


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    """Load a ``.weights.h5`` (Keras 3), Keras 2 ``.h5`` (weights or full model; a
    ``.weights.h5`` in Keras 2's layout too), ``.weights.npz`` or ``.keras`` file into
    ``model``; the whole file is checked before any weight changes."""
    path = check_weights_path(filepath, "load_weights")
    where = f"'{path}'"
    if path.endswith(keras2_h5.SUFFIXES) and (keras2_h5.is_keras2_path(path) or
                                              keras2_h5.is_keras2_file(path, where)):
        return keras2_h5.load_weights(model, path, skip_mismatch, by_name)
    if path.endswith(".keras"):
        from keras_bridge.saving.archive import read_archive
        parts = read_archive(path)
        if parts["layout"] == "keras3":
            return _load_keras3(model, parts["weights"], where, skip_mismatch, by_name)
        manifest, arrays = parts["weights"]
    elif path.endswith(H5_SUFFIX):
        return _load_keras3(model, h5_file.read(path, where), where, skip_mismatch, by_name)
    else:
        manifest, arrays = read_weights(path, where)
    if manifest["weights"]:
        _require_built(model, "load weights")
    assign(plan_assignment(model, manifest, arrays, where, skip_mismatch, by_name))


def _load_keras3(model, groups, where, skip_mismatch, by_name):
    if by_name:
        raise ValueError("load_weights(by_name=True) matches layers by name in Keras 2's "
                         f".h5 files; {where} is a Keras 3 file, whose weights are matched "
                         "by the model's structure. Load it without by_name.")
    _require_built(model, "load weights")
    plan = keras3_weights.plan(model, groups, where, skip_mismatch)
    keras3_weights.restore_optimizer(model, groups, where)
    assign(plan, skip_mismatch)
