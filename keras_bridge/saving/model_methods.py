"""What ``Model``'s saving methods do (save, save_weights, load_weights, to_json,
get_config, from_config and the saved-entry hooks). ``Model`` keeps thin methods that
call these through one lazy import each: models sit below saving, which imports them."""

import json
import warnings

from keras_bridge.distribution import runtime as distribution_runtime
from keras_bridge.models.cloning import YAML_REMOVED
from keras_bridge.saving import weights_file
from keras_bridge.saving.archive import save_model
from keras_bridge.saving.compile_config import compile_arguments, compile_config
from keras_bridge.saving.keras3_config import compile_entry
from keras_bridge.saving.functional import (
    graph_model_from_config, model_config, model_from_class_config, model_to_dict)
from keras_bridge.serialization.registration import scope_for
from keras_bridge.serialization.safe_mode import in_safe_mode, refuse_lambda


def save(model, filepath, overwrite=True, include_optimizer=True, **kwargs):
    save_format = kwargs.pop("save_format", None)
    if save_format not in (None, "keras", "h5"):
        raise ValueError(f"save_format={save_format!r} is not supported; keras_bridge "
                         "saves the .keras format (save_format='keras') and Keras 2's HDF5 "
                         "format (save_format='h5', a path ending in '.h5').")
    path = str(filepath)
    if save_format is not None and path.endswith(".keras") != (save_format == "keras"):
        raise ValueError(f"save_format={save_format!r} does not match filepath='{path}': a "
                         "'.keras' path holds the .keras format, a '.h5' path the 'h5' one.")
    if kwargs:
        raise TypeError(f"save() got unexpected arguments {sorted(kwargs)}.")
    distribution_runtime.write_once(model, lambda: save_model(
        model, filepath, overwrite=overwrite, include_optimizer=include_optimizer))


def save_weights(model, filepath, overwrite=True):
    distribution_runtime.write_once(model, lambda: weights_file.save_weights(
        model, filepath, overwrite=overwrite))


def load_weights(model, filepath, skip_mismatch=False, by_name=False):
    weights_file.load_weights(model, filepath, skip_mismatch=skip_mismatch, by_name=by_name)


def to_json(model, **kwargs):
    return json.dumps(model_to_dict(model), **kwargs)


def to_yaml():
    raise RuntimeError(YAML_REMOVED.format(what="Model.to_yaml()"))


def get_config(model):
    return model_config(model)


def from_config(cls, config, custom_objects=None):
    safe_mode = in_safe_mode()
    with scope_for(custom_objects):
        if safe_mode:
            refuse_lambda(config)
        return graph_model_from_config(cls, config, custom_objects, safe_mode)


def from_saved_entry(cls, config, custom_objects, safe_mode):
    return model_from_class_config(cls, config, custom_objects, safe_mode)


def get_compile_config(model):
    cfg = compile_config(model)
    return {} if cfg is None else compile_entry(cfg, model)


def compile_from_config(model, config):
    from keras_bridge.training.trainer import Trainer
    if type(model).compile is not Trainer.compile:
        warnings.warn(f"compile() was not called while loading model {model.name!r}: its "
                      "class overrides compile(). Override get_compile_config() and "
                      "compile_from_config() too, or call compile() after loading.",
                      stacklevel=3)
        return
    model.compile(**compile_arguments(config))
