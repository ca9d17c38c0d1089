"""safe_mode, and ``Lambda`` layers, the one built-in layer that holds Python code.

A Lambda is saved with its function *by name* (Keras 2's ``function_type='function'``),
never as bytecode: bytecode is tied to one Python version, cannot be inspected, and
running it from a file is as unsafe as unpickling. Loading a Lambda therefore needs
its function from ``custom_objects`` or the registry, and is refused altogether under
``safe_mode=True`` (the default), because the file chooses which function runs. A
Keras file whose Lambda holds bytecode loads only with ``safe_mode=False`` and the
function passed as ``custom_objects={<layer name>: fn}``.
"""

import contextlib
import threading

from keras_bridge.saving.object_registration import lookup_explicit
from keras_bridge.saving.serialization import (
    from_json_value, function_reference, resolve_function, to_json_value)

_state = threading.local()


def in_safe_mode():
    """The safe_mode of the load in progress (True outside any load)."""
    return getattr(_state, "safe_mode", True)


@contextlib.contextmanager
def safe_mode_scope(safe_mode):
    """Make ``safe_mode`` the current one, so nested ``from_config`` calls see it."""
    previous = in_safe_mode()
    _state.safe_mode = bool(safe_mode)
    try:
        yield
    finally:
        _state.safe_mode = previous


# ---- Lambda -------------------------------------------------------------------------------
def lambda_config(layer):
    """A Lambda's config with its function saved by name (Keras 2's
    ``function_type='function'``), never as bytecode."""
    from keras_bridge.layers.base import Layer
    where = f"The function of Lambda layer {layer.name!r}"
    ref = function_reference(layer.function, where)
    config = Layer.get_config(layer)
    config.update(function=ref["config"], function_type="function", module=ref["module"])
    shape = layer._output_shape
    if callable(shape):
        shape_ref = function_reference(shape, f"The output_shape of Lambda layer {layer.name!r}")
        config.update(output_shape=shape_ref["config"], output_shape_type="function",
                      output_shape_module=shape_ref["module"])
    else:
        config.update(output_shape=None if shape is None else list(shape),
                      output_shape_type="raw", output_shape_module=None)
    config["arguments"] = to_json_value(layer.arguments, f"The arguments of Lambda layer "
                                                         f"{layer.name!r}")
    return config


def _lambda_function_name(config):
    fn = config.get("function")
    if isinstance(fn, dict):
        inner = fn.get("config")
        return inner if isinstance(inner, str) else "<bytecode>"
    return fn if isinstance(fn, str) else "<bytecode>"


def _find_lambda(config):
    if isinstance(config, list):
        for item in config:
            found = _find_lambda(item)
            if found:
                return found
    elif isinstance(config, dict):
        if config.get("class_name") == "Lambda" and isinstance(config.get("config"), dict):
            return config["config"]
        for value in config.values():
            found = _find_lambda(value)
            if found:
                return found
    return None


def refuse_lambda(config):
    """Under safe_mode, a config holding a Lambda layer is refused before anything is
    built."""
    found = _find_lambda(config)
    if found is not None:
        _safe_mode_error(found)


def _safe_mode_error(config):
    name = config.get("name", "lambda")
    fn = _lambda_function_name(config)
    short = fn.split(">", 1)[-1] if fn != "<bytecode>" else "fn"
    raise ValueError(
        f"Layer {name!r} is a Lambda layer: loading it calls the Python function "
        f"{fn!r} chosen by the file, which safe_mode=True refuses. If you trust this file, "
        f"load it with safe_mode=False, and pass custom_objects={{'{short}': {short}}} "
        "unless the function is registered with "
        "@keras_bridge.saving.register_keras_serializable().")


def lambda_from_config(cls, config, custom_objects, safe_mode):
    if safe_mode:
        _safe_mode_error(config)
    name = config.get("name", "lambda")
    where = f"Lambda layer {name!r}"
    if config.get("function_type", "function") != "function" or \
            (isinstance(config.get("function"), dict) and
             config["function"].get("class_name") != "function"):
        fn = lookup_explicit(name, custom_objects)
        if not callable(fn):
            raise ValueError(
                f"{where} was saved with its function as Python bytecode (Keras's format "
                "for lambdas), which keras_bridge never runs. Pass the function as "
                f"custom_objects={{'{name}': fn}} (keyed by the layer's name).")
    else:
        fn = resolve_function(config.get("function"), custom_objects, where)
    shape = config.get("output_shape")
    if config.get("output_shape_type") == "function" and shape is not None:
        shape = resolve_function(shape, custom_objects, f"The output_shape of {where}")
    elif shape is not None:
        shape = tuple(from_json_value(shape))
    kwargs = {k: config[k] for k in ("name", "trainable", "dtype") if k in config}
    batch_shape = config.get("batch_input_shape") or config.get("batch_shape")
    if batch_shape is not None:
        kwargs.update(input_shape=tuple(batch_shape[1:]), batch_size=batch_shape[0])
    return cls(fn, output_shape=shape, arguments=from_json_value(config.get("arguments")),
               **kwargs)
