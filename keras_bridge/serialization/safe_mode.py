"""safe_mode, which refuses ``Lambda`` layers whose function is Python bytecode.

As in Keras 3, an anonymous function (``lambda``) of a Lambda layer is saved as its
marshalled bytecode (``bytecode.py``): loading it runs code chosen by the file, as unsafe
as unpickling, so it is refused under ``safe_mode=True`` (the default) before anything
is built. A Lambda whose function is saved by name loads in safe mode: the name can only
resolve to a function registered or passed in ``custom_objects``, never to code from the
file. (How a Lambda is saved and loaded is ``keras_bridge.layers.serialization``'s
business; this module only reads configs.)
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
def holds_bytecode(value):
    """Whether a Lambda's ``function`` / ``output_shape`` entry is Python bytecode: Keras
    3's ``{"class_name": "__lambda__", ...}``."""
    return isinstance(value, dict) and value.get("class_name") == "__lambda__"


def _bytecode_lambda(config):
    """Whether a Lambda layer's config holds bytecode (Keras 3's ``__lambda__`` entries,
    Keras 2's ``function_type='lambda'``)."""
    return any(holds_bytecode(config.get(key)) for key in ("function", "output_shape")) or \
        config.get("function_type") == "lambda" or \
        (config.get("output_shape_type") == "lambda" and config.get("output_shape") is not None)


def _find_lambda(config):
    if isinstance(config, list):
        for item in config:
            found = _find_lambda(item)
            if found:
                return found
    elif isinstance(config, dict):
        inner = config.get("config")
        if config.get("class_name") == "Lambda" and isinstance(inner, dict) and \
                _bytecode_lambda(inner):
            return inner
        for value in config.values():
            found = _find_lambda(value)
            if found:
                return found
    return None


def refuse_lambda(config):
    """Under safe_mode, a config holding a Lambda layer with bytecode is refused before
    anything is built."""
    found = _find_lambda(config)
    if found is not None:
        refuse_lambda_layer(found)


def refuse_lambda_layer(config):
    """The safe_mode error for the Lambda layer of this config, if it holds bytecode."""
    if not _bytecode_lambda(config):
        return
    name = config.get("name", "lambda")
    raise ValueError(
        f"Layer {name!r} is a Lambda layer whose function is a Python lambda, saved as "
        "bytecode: loading it runs code chosen by the file, which safe_mode=True refuses. "
        "If you trust this file, load it with safe_mode=False (or call "
        "keras_bridge.config.enable_unsafe_deserialization()); bytecode loads only in the "
        "Python version that saved it.")
