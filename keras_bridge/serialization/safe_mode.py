"""safe_mode, which refuses ``Lambda`` layers, the one built-in layer that holds Python code.

A Lambda is saved with its function *by name* (Keras 2's ``function_type='function'``),
never as bytecode: bytecode is tied to one Python version, cannot be inspected, and
running it from a file is as unsafe as unpickling. Loading a Lambda therefore needs
its function from ``custom_objects`` or the registry, and is refused altogether under
``safe_mode=True`` (the default), because the file chooses which function runs. A
Keras file whose Lambda holds bytecode loads only with ``safe_mode=False`` and the
function passed as ``custom_objects={<layer name>: fn}``. (How a Lambda is saved and
loaded is ``keras_bridge.layers.serialization``'s business; this module only reads
configs.)
"""

import contextlib
import threading

_state = threading.local()
_unsafe_everywhere = []  # non-empty once keras.config.enable_unsafe_deserialization() ran


def allow_unsafe_everywhere():
    """``keras.config.enable_unsafe_deserialization()``: every later load is unsafe."""
    _unsafe_everywhere[:] = [True]


def effective(safe_mode):
    """A load's ``safe_mode`` argument, after ``enable_unsafe_deserialization``."""
    return bool(safe_mode) and not _unsafe_everywhere


def in_safe_mode():
    """The safe_mode of the load in progress (True outside any load, unless unsafe
    deserialization was enabled)."""
    return getattr(_state, "safe_mode", True) and not _unsafe_everywhere


@contextlib.contextmanager
def safe_mode_scope(safe_mode):
    """Make ``safe_mode`` the current one, so nested ``from_config`` calls see it."""
    previous = in_safe_mode()
    _state.safe_mode = effective(safe_mode)
    try:
        yield
    finally:
        _state.safe_mode = previous


# ---- Lambda -------------------------------------------------------------------------------
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
        refuse_lambda_layer(found)


def refuse_lambda_layer(config):
    """The safe_mode error for the Lambda layer of this config."""
    name = config.get("name", "lambda")
    fn = _lambda_function_name(config)
    short = fn.split(">", 1)[-1] if fn != "<bytecode>" else "fn"
    raise ValueError(
        f"Layer {name!r} is a Lambda layer: loading it calls the Python function "
        f"{fn!r} chosen by the file, which safe_mode=True refuses. If you trust this file, "
        f"load it with safe_mode=False, and pass custom_objects={{'{short}': {short}}} "
        "unless the function is registered with "
        "@keras_bridge.saving.register_keras_serializable().")
