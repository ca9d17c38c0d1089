"""The training configuration of a compiled model, as saved in a ``.keras`` archive.

``{"optimizer": {"class_name", "config"}, "loss": ..., "metrics": ..., "loss_weights":
[...] or null, "weighted_metrics": ...}`` where losses and metrics keep the structure given to ``compile``
(single, list, or dict keyed by output name) and each entry is a name ('mse',
'accuracy'), a built-in function's name, a class config (``Loss`` / ``Metric``
instances), or a reference to a user function by its registered name. Anything
without a name (a lambda) cannot be saved; the error says how to fix it.
"""

import inspect
import warnings

from keras_bridge import losses, metrics, optimizers
from keras_bridge.serialization.core import (
    function_reference, resolve_function, serialize_keras_object)
from keras_bridge.serialization.registration import (
    all_custom_objects, get_registered_object, lookup_explicit, lookup_global,
    registered_name_or_none)


def compile_config(model):
    """The config of ``model.compile(...)``'s arguments, or None when not compiled."""
    compiled = getattr(model, "_compiled", None)
    if compiled is None:
        return None
    weights = list(compiled.loss.loss_weights)
    return {"optimizer": _serialize_optimizer(compiled.optimizer),
            "loss": _map_spec(compiled.loss.spec, _loss_entry, "loss"),
            "metrics": _map_spec(compiled.metrics.spec, _metric_entry, "metrics"),
            "loss_weights": None if all(w == 1.0 for w in weights) else weights,
            "weighted_metrics": _map_spec(compiled.metrics.weighted_spec, _metric_entry,
                                          "weighted_metrics")}


def _serialize_optimizer(optimizer):
    config = optimizers.serialize(optimizer)
    config["registered_name"] = registered_name_or_none(type(optimizer))
    return config


def _map_spec(spec, fn, where):
    if spec is None or isinstance(spec, str):
        return spec
    if isinstance(spec, dict):
        return {k: _map_spec(v, fn, f"{where}[{k!r}]") for k, v in spec.items()}
    if isinstance(spec, (list, tuple)):
        return [_map_spec(v, fn, f"{where}[{i}]") for i, v in enumerate(spec)]
    return fn(spec, where)


def _check_named(fn, what, where):
    name = getattr(fn, "__name__", None)
    if registered_name_or_none(fn) is None and (not isinstance(name, str)
                                                or not name.isidentifier()):
        raise ValueError(
            f"The model cannot be saved with its training configuration: {what} in compile's "
            f"{where} wraps an anonymous function, and a file refers to functions by name. "
            "Define it with `def` (and register it with "
            "@keras_bridge.saving.register_keras_serializable()), or save without it: "
            "model.save(path, include_optimizer=False).")


def _loss_entry(loss, where):
    if isinstance(loss, losses.LossFunctionWrapper) and type(loss) is \
            losses.LossFunctionWrapper:
        _check_named(loss.fn, f"loss {loss.name!r}", where)
    if isinstance(loss, losses.Loss):
        return serialize_keras_object(loss)
    if inspect.isclass(loss):
        return registered_name_or_none(loss) or loss.__name__
    if callable(loss) and not inspect.isclass(loss):
        if getattr(losses, getattr(loss, "__name__", ""), None) is loss:
            return loss.__name__  # a built-in loss function
        _check_named(loss, f"function {loss!r}", where)
        return function_reference(loss, where)
    return serialize_keras_object(loss)


def _metric_entry(metric, where):
    if isinstance(metric, metrics.MeanMetricWrapper) and not hasattr(type(metric),
                                                                      "_function"):
        _check_named(metric._fn, f"metric {metric.name!r}", where)
    if isinstance(metric, metrics.Metric):
        return serialize_keras_object(metric)
    if inspect.isclass(metric):
        return registered_name_or_none(metric) or metric.__name__
    if callable(metric) and not inspect.isclass(metric):
        name = getattr(metric, "__name__", "")
        if getattr(metrics, name, None) is metric or getattr(losses, name, None) is metric:
            return name
        _check_named(metric, f"function {metric!r}", where)
        return function_reference(metric, where)
    return serialize_keras_object(metric)


# ---- loading -------------------------------------------------------------------------------
def _unmap_spec(spec, fn):
    if spec is None:
        return None
    if isinstance(spec, str) or (isinstance(spec, dict) and "class_name" in spec
                                 and "config" in spec):
        return fn(spec)
    if isinstance(spec, dict):
        return {k: _unmap_spec(v, fn) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_unmap_spec(v, fn) for v in spec]
    raise ValueError(f"Malformed entry {spec!r} in the saved training configuration.")


def _entry(value, module, custom_objects, what):
    if isinstance(value, str):
        if ">" in value:
            found = get_registered_object(value, custom_objects)
        else:
            found = lookup_explicit(value, custom_objects)
            if found is None and not _is_builtin(module, value):
                found = lookup_global(value)
        return value if found is None else found
    if value.get("class_name") == "function":
        return resolve_function(value, custom_objects, f"The saved {what}")
    registered = value.get("registered_name")
    cls = get_registered_object(registered, custom_objects) if registered else \
        lookup_explicit(value["class_name"], custom_objects)
    if inspect.isclass(cls):
        return cls.from_config(dict(value.get("config") or {}))
    return module.deserialize(value, custom_objects=all_custom_objects(custom_objects))


def _is_builtin(module, name):
    with warnings.catch_warnings():  # a legacy name warns when compile resolves it
        warnings.simplefilter("ignore")
        try:
            module.get(name)
        except (ValueError, TypeError):
            return False
    return True


def compile_arguments(config, custom_objects=None):
    """``model.compile`` keyword arguments from ``compile_config``'s output."""
    opt = config.get("optimizer")
    cls = get_registered_object((opt or {}).get("registered_name"), custom_objects)
    optimizer = cls.from_config(dict(opt.get("config") or {})) if inspect.isclass(cls) \
        else optimizers.deserialize(opt)
    return {
        "optimizer": optimizer,
        "loss": _unmap_spec(config.get("loss"),
                            lambda v: _entry(v, losses, custom_objects, "loss")),
        "metrics": _unmap_spec(config.get("metrics"),
                               lambda v: _entry(v, metrics, custom_objects, "metric")),
        "loss_weights": config.get("loss_weights"),
        "weighted_metrics": _unmap_spec(config.get("weighted_metrics"), lambda v: _entry(
            v, metrics, custom_objects, "weighted metric")),
        **_execution_arguments(config),
    }


def _execution_arguments(config):
    """``steps_per_execution`` and ``run_eagerly`` as saved. ``jit_compile`` is not
    restored: Keras 3 saves its engine's resolved choice (True from JAX), which would
    turn on ``torch.compile`` when loaded on torch; the loading engine's "auto" decides."""
    out = {}
    steps = config.get("steps_per_execution")
    if isinstance(steps, int) and not isinstance(steps, bool) and steps >= 1:
        out["steps_per_execution"] = steps
    if isinstance(config.get("run_eagerly"), bool):
        out["run_eagerly"] = config["run_eagerly"]
    return out
