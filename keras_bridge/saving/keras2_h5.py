"""Keras 2's HDF5 files (``.h5`` / ``.hdf5``): what ``model.save("m.h5")`` and
``model.save_weights("w.h5")`` wrote in Keras 2 and tf.keras, and what Keras 3's legacy
writer still writes. Read and written here, so Keras 3's legacy loader loads ours.

A full model file has root attributes ``model_config`` (the model's JSON config),
``training_config`` (JSON: ``loss``, ``metrics``, ``loss_weights``, ...,
``optimizer_config``) when compiled, ``keras_version`` and ``backend``; a group
``model_weights``; and, once trained, a group ``optimizer_weights``. A weights-only
file is that ``model_weights`` group at the root. A weights group has the attribute
``layer_names`` (the model's layers in order) and one group per layer with the
attribute ``weight_names``, each naming a dataset (a path such as ``dense/kernel:0``)
inside that layer's group; ``top_level_model_weights`` holds the model's own weights.
A layer's weights are in Keras 2's order: trainable ones, then the others (LSTM
kernel, recurrent_kernel, bias; BatchNormalization gamma, beta, moving_mean,
moving_variance; Bidirectional the forward layer's, then the backward layer's).
Attributes too big for an HDF5 object header are split as ``layer_names0``,
``layer_names1``, ...

Weights load by order (the layers that have weights, matched in turn) or, with
``by_name=True``, by layer name; the whole file is read and checked before any weight
changes.
"""

import io
import json
import warnings

import numpy as np

from keras_bridge import bounded_json
from keras_bridge.saving import h5_file, keras3_config, keras3_optimizer
from keras_bridge.saving.atomic import atomic_write, check_overwrite
from keras_bridge.saving.compile_config import compile_arguments, compile_config
from keras_bridge.saving.npz import InvalidFileError

SUFFIXES = (".h5", ".hdf5")
KERAS3_WEIGHTS_SUFFIX = ".weights.h5"
FORMAT_KERAS_VERSION = "3.15.1"  # the Keras release whose legacy writer this follows
HEADER_LIMIT = 64512  # bytes an HDF5 object header holds; bigger attributes are split
TOP_LEVEL = "top_level_model_weights"


def is_keras2_path(path):
    """A ``.h5`` / ``.hdf5`` path that is not Keras 3's ``.weights.h5``."""
    return path.endswith(SUFFIXES) and not path.endswith(KERAS3_WEIGHTS_SUFFIX)


def legacy_weights(layer):
    """A layer's (or model's) weights in Keras 2's file order: trainable, then the rest."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


def _own_weights(model):
    own = list(model._own_weights)
    return [w for w in own if w.trainable] + [w for w in own if not w.trainable]


# ---- reading ------------------------------------------------------------------------------
class SavedLayer:
    """One layer group of a file: its name and ``[(weight name, array)]`` in order."""

    def __init__(self, name, weights):
        self.name, self.weights = name, weights


def _text(value):
    if isinstance(value, (bytes, np.bytes_)):
        return value.decode("utf8")
    return value if isinstance(value, str) else None


def _has_attr(group, name):
    return name in group.attrs or f"{name}0" in group.attrs


def _string_list(group, name, where):
    """An attribute holding a list of strings, joined from its chunks if it was split."""
    if name in group.attrs:
        chunks = [group.attrs[name]]
    else:
        chunks, i = [], 0
        while f"{name}{i}" in group.attrs:
            chunks.append(group.attrs[f"{name}{i}"])
            i += 1
    out = []
    for chunk in chunks:
        for value in np.atleast_1d(np.asarray(chunk, dtype=object)):
            text = _text(value)
            if text is None:
                raise InvalidFileError(f"{where}: attribute {name!r} of "
                                       f"'{group.name}' should list names; it holds "
                                       f"{value!r}.")
            out.append(text)
    return out


def _read_subset(group, where):
    weights = []
    for name in _string_list(group, "weight_names", where):
        if name not in group:
            raise InvalidFileError(f"{where}: '{group.name}' lists weight {name!r}, which the "
                                   "file does not hold (the file is incomplete).")
        weights.append((name, h5_file.read_dataset(group, name, f"{group.name}/{name}",
                                                   where)))
    return weights


def _read_weights_group(group, where):
    """(``[SavedLayer]``, top-level weights or None) of a ``model_weights`` group."""
    layers = []
    for name in _string_list(group, "layer_names", where):
        sub = group.get(name)
        if sub is None or not hasattr(sub, "keys"):
            raise InvalidFileError(f"{where}: layer {name!r} is listed in 'layer_names' of "
                                   f"'{group.name}' but has no group (the file is "
                                   "incomplete).")
        layers.append(SavedLayer(name, _read_subset(sub, where)))
    top = _read_subset(group[TOP_LEVEL], where) if TOP_LEVEL in group else None
    return layers, top


def read_file(path, where):
    """Everything in a Keras 2 HDF5 file, read and checked: ``{"model_config",
    "training_config"`` (JSON text or None), ``"keras_version", "layers"`` (``[SavedLayer]``),
    ``"top_level"``, ``"optimizer"`` (``[(name, array)]`` or None) ``}``."""
    f = h5_file.open_file(path, where)
    try:
        with f:
            if _has_attr(f, "layer_names"):
                weights_group = f
            elif "model_weights" in f:
                weights_group = f["model_weights"]
            else:
                raise InvalidFileError(
                    f"{where} is not a Keras 2 HDF5 model or weights file: it has neither "
                    "a 'model_weights' group nor a 'layer_names' attribute (a Keras 3 "
                    f"weights file is named '*{KERAS3_WEIGHTS_SUFFIX}').")
            layers, top = _read_weights_group(weights_group, where)
            optimizer = None
            if "optimizer_weights" in f:
                group = f["optimizer_weights"]
                optimizer = _read_subset(group, where)
            return {"model_config": _text(f.attrs.get("model_config")),
                    "training_config": _text(f.attrs.get("training_config")),
                    "keras_version": _text(weights_group.attrs.get("keras_version")),
                    "layers": layers, "top_level": top, "optimizer": optimizer}
    except InvalidFileError:
        raise
    except Exception as e:
        raise InvalidFileError(f"{where} is damaged: reading it failed "
                               f"({type(e).__name__}: {e}).") from e


def is_keras2_file(path, where):
    """Whether an HDF5 file holds Keras 2's layout (a ``.weights.h5`` may, when tf.keras
    wrote it)."""
    with h5_file.open_file(path, where) as f:
        return _has_attr(f, "layer_names") or "model_weights" in f


# ---- matching weights ---------------------------------------------------------------------
def _fit(weight, array):
    """Why ``array`` cannot go into ``weight``, or None."""
    if tuple(array.shape) != tuple(weight.shape):
        return f"the file holds shape {tuple(array.shape)}, the model expects {weight.shape}"
    if not np.can_cast(array.dtype, np.dtype(weight.dtype), casting="same_kind"):
        return f"the file holds dtype {array.dtype}, which does not convert to {weight.dtype}"
    return None


def plan(model, saved, where, skip_mismatch=False, by_name=False):
    """``[(Weight, array)]`` to assign from ``read_file``'s result, as Keras 2 matches
    them. Every mismatch is collected first, then raised together (ValueError, nothing
    changed); ``skip_mismatch`` skips the weights (by name: the layers) that do not fit,
    with a warning."""
    problems, skipped, pairs = [], [], []

    def match(what, weights, values, count_skippable):
        if len(weights) != len(values):
            text = (f"{what} has {len(weights)} weight(s) in the model, {len(values)} in "
                    "the file")
            (skipped if skip_mismatch and count_skippable else problems).append(text)
            return
        for weight, (name, array) in zip(weights, values):
            why = _fit(weight, array)
            if why is None:
                pairs.append((weight, array))
            else:
                text = f"{what} weight {weight.name!r} (saved as {name!r}): {why}"
                (skipped if skip_mismatch else problems).append(text)

    if by_name:
        index = {}
        for layer in model.layers:
            index.setdefault(layer.name, []).append(layer)
        for k, s in enumerate(saved["layers"]):
            for layer in index.get(s.name, []):
                match(f"layer #{k} {s.name!r} ({type(layer).__name__})",
                      legacy_weights(layer), s.weights, True)
    else:
        layers = [layer for layer in model.layers if legacy_weights(layer)]
        stored = [s for s in saved["layers"] if s.weights]
        if len(layers) != len(stored):
            raise ValueError(
                f"Cannot load the weights in {where} into model {model.name!r}: layer count "
                f"mismatch. The model has {len(layers)} layers with weights "
                f"{[layer.name for layer in layers]}, the file {len(stored)} "
                f"{[s.name for s in stored]}. No weight was changed. (by_name=True matches "
                "layers by name instead.)")
        for k, (layer, s) in enumerate(zip(layers, stored)):
            name = (f"layer #{k} ({layer.name!r} in the model, {s.name!r} in the file, "
                    f"{type(layer).__name__})")
            match(name, legacy_weights(layer), s.weights, False)
    if saved["top_level"] is not None:
        match("the model's own (top-level) weights", _own_weights(model), saved["top_level"],
              by_name)
    if problems:
        shown = "\n  - ".join(problems[:10]) + (
            f"\n  ... and {len(problems) - 10} more" if len(problems) > 10 else "")
        raise ValueError(f"Cannot load the weights in {where} into model {model.name!r}: "
                         f"they do not match. No weight was changed.\n  - {shown}")
    if skipped:
        warnings.warn(f"load_weights(skip_mismatch=True) skipped what does not match "
                      f"{where}: {skipped}", stacklevel=3)
    return [(w, np.array(a, dtype=w.dtype)) for w, a in pairs]


def load_weights(model, path, skip_mismatch=False, by_name=False):
    """Load a Keras 2 HDF5 weights (or full model) file into ``model``."""
    where = f"'{path}'"
    saved = read_file(path, where)
    if not model.built:
        raise ValueError(f"Model {model.name!r} is not built yet, so its weights do not "
                         "exist and it cannot load weights. Build it first: give the first "
                         "layer an input_shape, call model.build(input_shape), or run it on "
                         "data.")
    for weight, array in plan(model, saved, where, skip_mismatch, by_name):
        weight.assign(array)


# ---- loading a model ----------------------------------------------------------------------
def _parse_json(text, what):
    try:
        return bounded_json.loads(text, object_hook=_decode_tuple)
    except (TypeError, ValueError) as e:
        raise InvalidFileError(f"{what} is not valid JSON ({type(e).__name__}: {e}).") from e


def _decode_tuple(obj):
    """Keras's JSON encoder writes a tuple as ``{"class_name": "__tuple__", "items"}``."""
    if obj.get("class_name") == "__tuple__" and "items" in obj and len(obj) == 2:
        return list(obj["items"])
    return obj


def legacy_config(value):
    """A Keras 2 config with what Keras 3's legacy loader converts: a one-element
    ``axis`` list (tf.keras's BatchNormalization) becomes the integer."""
    if isinstance(value, list):
        return [legacy_config(v) for v in value]
    if not isinstance(value, dict):
        return value
    out = {k: legacy_config(v) for k, v in value.items()}
    config = out.get("config")
    if isinstance(out.get("class_name"), str) and isinstance(config, dict):
        axis = config.get("axis")
        if isinstance(axis, list) and len(axis) == 1 and isinstance(axis[0], int):
            out["config"] = {**config, "axis": axis[0]}
    return out


# tf.keras 2.11+ optimizer settings that do not change the arithmetic of a step.
_TF_KERAS_OPTIMIZER_KEYS = ("jit_compile", "is_legacy_optimizer")


def _compile_config(training):
    """``compile_config``'s layout from a ``training_config``."""
    optimizer = dict(training.get("optimizer_config") or {})
    name = optimizer.get("class_name")
    if isinstance(name, str) and name.startswith("Custom>"):  # tf.keras 2.11+'s spelling
        optimizer["class_name"] = name[len("Custom>"):]
    optimizer.setdefault("registered_name", None)
    config = {k: v for k, v in dict(optimizer.get("config") or {}).items()
              if k not in _TF_KERAS_OPTIMIZER_KEYS}
    if config.get("decay") == 0.0:  # Keras 2's default: no time-based decay
        del config["decay"]
    optimizer["config"] = config
    return {"optimizer": optimizer, "loss": training.get("loss"),
            "metrics": training.get("metrics"), "loss_weights": training.get("loss_weights"),
            "weighted_metrics": training.get("weighted_metrics"),
            "steps_per_execution": training.get("steps_per_execution"),
            "run_eagerly": training.get("run_eagerly")}


def _compile(model, saved, custom_objects, where):
    training = _parse_json(saved["training_config"], f"The training_config attribute of {where}")
    try:
        model.compile(**compile_arguments(_compile_config(training), custom_objects))
    except Exception as e:
        warnings.warn(f"The model in {where} loaded with its weights, but its training "
                      f"configuration could not be restored ({type(e).__name__}: {e}), so "
                      "it is not compiled. Compile it yourself, or pass the custom losses "
                      "and metrics in custom_objects.", stacklevel=3)
        return
    if saved["optimizer"]:
        try:
            keras3_optimizer.restore(model, [a for _, a in saved["optimizer"]], where)
        except InvalidFileError as e:
            warnings.warn(f"The optimizer state in {where} was not loaded ({e}); the "
                          "optimizer starts fresh.", stacklevel=3)


def load_model(path, custom_objects=None, compile=True, safe_mode=True):
    """A model from a Keras 2 HDF5 model file (see ``saving.load_model``)."""
    from keras_bridge.saving.functional import model_from_config
    where = f"'{path}'"
    saved = read_file(path, where)
    if saved["model_config"] is None:
        raise InvalidFileError(f"{where} has no 'model_config' attribute: it holds weights "
                               "only (Keras 2's save_weights). Build the model in code and "
                               "call model.load_weights() with it.")
    config = _parse_json(saved["model_config"], f"The model_config attribute of {where}")
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        raise InvalidFileError(f"The model_config attribute of {where} is not a model config "
                               f"(no 'class_name'): {str(config)[:200]}")
    model = model_from_config(legacy_config(config), custom_objects, safe_mode)
    try:
        pairs = plan(model, saved, where)
    except ValueError as e:
        raise InvalidFileError(f"{where} does not fit together: its weights do not match "
                               f"the model its model_config describes. {e}") from e
    for weight, array in pairs:
        weight.assign(array)
    if compile and saved["training_config"] is not None:
        _compile(model, saved, custom_objects, where)
    return model


# ---- writing ------------------------------------------------------------------------------
def _set_names(group, name, names):
    """Store a list of names as an attribute, split in chunks as Keras does when it
    exceeds an object header."""
    encoded = [n.encode("utf8") for n in names]
    too_long = [n for n in encoded if len(n) > HEADER_LIMIT]
    if too_long:
        raise ValueError(f"Names longer than {HEADER_LIMIT} bytes cannot be stored in an "
                         f"HDF5 file: {too_long[0][:80]!r}...")
    if not encoded:
        group.attrs[name] = np.asarray([])  # what Keras writes for no names
        return
    data = np.asarray(encoded)
    chunks = 1
    while any(c.nbytes > HEADER_LIMIT for c in np.array_split(data, chunks)):
        chunks += 1
    if chunks == 1:
        group.attrs[name] = data
    else:
        for i, chunk in enumerate(np.array_split(data, chunks)):
            group.attrs[f"{name}{i}"] = chunk


def _write_subset(group, named_arrays):
    _set_names(group, "weight_names", [n for n, _ in named_arrays])
    for name, array in named_arrays:
        group.create_dataset(name, data=np.asarray(array))


def _unique_names(weights):
    out, used = [], set()
    for w in weights:
        name, n = w.path, 0
        while name in used:
            n += 1
            name = f"{w.path}_{n}"
        used.add(name)
        out.append((name, w.numpy()))
    return out


def _write_weights(group, model):
    layers = list(model.layers)
    names = [layer.name for layer in layers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Model {model.name!r} has several layers named {repeated}; Keras 2's "
                         "HDF5 format keeps weights by layer name, so names must be unique.")
    _set_names(group, "layer_names", names)
    group.attrs["backend"] = model.backend_name.encode("utf8")
    group.attrs["keras_version"] = FORMAT_KERAS_VERSION.encode("utf8")
    for layer in sorted(layers, key=lambda layer: layer.name):
        _write_subset(group.create_group(layer.name), _unique_names(legacy_weights(layer)))
    _write_subset(group.create_group(TOP_LEVEL), _unique_names(_own_weights(model)))


def _training_config(model):
    config = keras3_config.to_keras3(compile_config(model))
    optimizer = config.pop("optimizer")
    return {**config, **keras3_config.execution_config(model),
            "optimizer_config": {"class_name": optimizer["class_name"],
                                 "config": optimizer["config"]}}


def _write(path, overwrite, fill):
    """Build the HDF5 file in memory (an error leaves ``path`` as it was), then write it
    atomically."""
    h5py = h5_file._h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        fill(f)
    with atomic_write(path, overwrite) as out:
        out.write(buffer.getvalue())


def save_model(model, path, overwrite=True, include_optimizer=True):
    """Write ``model`` as a Keras 2 HDF5 model file, atomically."""
    from keras_bridge.layers.serialization import serialize_layer
    check_overwrite(path, overwrite)
    if not getattr(model, "_functional", False):  # as tf.keras 2
        raise NotImplementedError(
            f"Model {model.name!r} ({type(model).__name__}) is a subclassed model, which "
            "Keras 2's HDF5 format cannot hold (it keeps weights by layer name in a graph). "
            "Save it as .keras, or its weights with save_weights().")
    entry = keras3_config.to_keras3(serialize_layer(model))
    model_config = json.dumps({"class_name": entry["class_name"], "config": entry["config"]})
    compiled = include_optimizer and getattr(model, "_compiled", None) is not None
    training = json.dumps(_training_config(model)) if compiled else None
    optimizer = keras3_optimizer.keras_named_variables(model) if compiled else None

    def fill(f):
        f.attrs["keras_version"] = FORMAT_KERAS_VERSION
        f.attrs["backend"] = model.backend_name
        f.attrs["model_config"] = model_config.encode("utf8")
        if training is not None:
            f.attrs["training_config"] = training.encode("utf8")
        _write_weights(f.create_group("model_weights"), model)
        if optimizer:
            _write_subset(f.create_group("optimizer_weights"), optimizer)

    _write(path, overwrite, fill)


def save_weights(model, path, overwrite=True):
    """Write ``model``'s weights as a Keras 2 HDF5 weights file, atomically."""
    check_overwrite(path, overwrite)
    _write(path, overwrite, lambda f: _write_weights(f, model))
