"""Global settings: backend, floatx, epsilon, image_data_format, and Keras 3's other
``keras.config`` switches (dtype policy, unsafe deserialization, traceback filtering,
interactive logging), and keras_bridge's own: whether the JAX engine keeps compiled steps
in ``$KERAS_HOME/jax_cache`` (``KERAS_JAX_COMPILATION_CACHE``, keras.json's
``jax_compilation_cache``).

Resolution order for the backend: the ``KERAS_BACKEND`` variable, then
``$KERAS_HOME/keras.json`` (default ``~/.keras/keras.json``), then the first
installed engine (torch, then jax). The file is only read, never written; a backend in it
that belongs to another Keras (``tensorflow``, as Keras itself writes) is ignored with a
warning. The backend is resolved only when an engine is needed, never to build layers. The
backend is a default for models first used afterwards, not a lock: ``set_backend``
changes it and ``model.to_backend`` moves a model.
"""

import math
import os
import warnings

from keras_bridge import backends, bounded_json
from keras_bridge import dtype_policies as _dtype_policies

_UNSUPPORTED = {
    "tensorflow": "TensorFlow is not an engine of this project",
    "theano": "Theano is not an engine of this project",
    "cntk": "CNTK is not an engine of this project",
    "numpy": "the numpy backend is not provided",
}
_FLOATX = ("float16", "bfloat16", "float32", "float64")
_DATA_FORMATS = ("channels_last", "channels_first")


class ConfigError(ValueError):
    """A configuration value that cannot be used; the message says how to fix it."""


_state = {}


def keras_home():
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def config_path():
    return os.path.join(keras_home(), "keras.json")


def _read_file():
    path = config_path()
    if not os.path.exists(path):
        return path, {}
    try:
        with open(path, "rb") as f:
            text = f.read()
    except OSError as e:  # a directory in its place, no read permission, ...
        what = "it is a directory" if os.path.isdir(path) else f"{type(e).__name__}: " \
            f"{e.strerror or e}"
        raise ConfigError(
            f"Could not read {path} ({what}). Expected a readable file holding a JSON "
            "object of settings. Make it readable, replace or remove it, or set "
            "KERAS_HOME to another folder.") from None
    try:
        data = bounded_json.loads(text.decode("utf-8"))
    except ValueError as e:  # not UTF-8, not JSON, or nested too deeply
        raise ConfigError(
            f"Could not parse {path}: {e}. Expected a JSON object such as "
            '{"backend": "torch", "floatx": "float32", "epsilon": 1e-07, '
            '"image_data_format": "channels_last"}. Fix or delete the file.'
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} must hold a JSON object of settings. Received: {type(data).__name__}. "
            "Fix or delete the file."
        )
    return path, data


def _check_backend(name, source, fix):
    if not isinstance(name, str):
        raise ConfigError(
            f"Expected a backend name string from {source}. Received: {name!r}. {fix}"
        )
    key = name.strip().lower()
    if key not in backends.names():
        why = _UNSUPPORTED.get(key, "it is not a known backend")
        raise ConfigError(
            f"Expected one of {set(backends.names())}. Received: backend={name!r} from "
            f"{source} ({why}). {fix}"
        )
    if not backends.is_available(key):
        raise ConfigError(
            f"Backend {key!r} was selected by {source}, but it is not installed. "
            f"Install it with: {backends.install_hint(key)}, or {fix[0].lower()}{fix[1:]}"
        )
    return key


def _finite_positive(number):
    try:
        return number > 0 and math.isfinite(number)
    except OverflowError:  # an integer too large for a float
        return False


def _check_value(key, value, source):
    fix = (f"Edit {key!r} in {source} or remove it to use the default."
           if source.endswith(".json") else f"Pass a valid value to {source}.")
    if key == "floatx":
        ok = value in _FLOATX
        expected = f"one of {_FLOATX}"
    elif key == "epsilon":
        # Infinity and NaN parse from JSON (Python's json accepts them) but would make
        # every clipped crossentropy NaN.
        ok = not isinstance(value, bool) and isinstance(value, (int, float)) and \
            _finite_positive(value)
        expected = "a finite positive number"
    else:
        ok = value in _DATA_FORMATS
        expected = f"one of {_DATA_FORMATS}"
    if not ok:
        raise ConfigError(
            f"Expected {key} to be {expected}. Received: {value!r} from {source}. {fix}")
    return float(value) if key == "epsilon" else value


def _load():
    """Read the settings once, lazily, on first access. The backend is not resolved here:
    building layers needs floatx and friends, never the engine."""
    if _state:
        return _state
    path, data = _read_file()
    settings = {"floatx": "float32", "epsilon": 1e-7, "image_data_format": "channels_last"}
    for key in settings:
        if key in data:
            settings[key] = _check_value(key, data[key], path)
    settings.update(path=path, file_backend=data.get("backend"),
                    traceback_filtering=True, interactive_logging=True,
                    jax_compilation_cache=_cache_switch(data, path))
    _state.update(settings)
    return _state


_CACHE_ENV = "KERAS_JAX_COMPILATION_CACHE"
_SWITCH = {"1": True, "true": True, "on": True, "0": False, "false": False, "off": False}


def _cache_switch(data, path):
    """KERAS_JAX_COMPILATION_CACHE, then keras.json's "jax_compilation_cache", then on."""
    env = os.environ.get(_CACHE_ENV)
    if env is not None and env.strip() != "":
        if env.strip().lower() not in _SWITCH:
            raise ConfigError(
                f"Expected {_CACHE_ENV} to be 1 or 0 (true/false, on/off). Received: "
                f"{env!r}. Set it to 0 to turn JAX's compilation cache off, or unset it.")
        return _SWITCH[env.strip().lower()]
    value = data.get("jax_compilation_cache", True)
    if not isinstance(value, bool):
        raise ConfigError(
            f"Expected jax_compilation_cache to be true or false. Received: {value!r} from "
            f"{path}. Edit 'jax_compilation_cache' in {path} or remove it to use the "
            "default (true).")
    return value


def _file_backend(state):
    """The file's backend, or None when it names another Keras's engine. Keras writes
    ``"backend": "tensorflow"`` into keras.json on import, so such a file is the norm on a
    Keras user's machine: it is ignored with one warning rather than refused."""
    name, path = state["file_backend"], state["path"]
    key = name.strip().lower() if isinstance(name, str) else None
    if key in _UNSUPPORTED:
        warnings.warn(
            f"Ignoring backend={name!r} in {path}: {_UNSUPPORTED[key]}. Using the first "
            "installed engine instead; set KERAS_BACKEND=torch or jax (or edit the file) to "
            "choose.", UserWarning, stacklevel=4)
        return None
    return _check_backend(name, path,
                          f"Edit 'backend' in {path}, or set KERAS_BACKEND=torch or jax.")


def _resolve_backend():
    """KERAS_BACKEND, then keras.json, then the first installed engine; once."""
    state = _load()
    if "backend" in state:
        return state
    env = os.environ.get("KERAS_BACKEND")
    name = None
    if env:
        name = _check_backend(env, "the KERAS_BACKEND environment variable",
                              "Set KERAS_BACKEND=torch or KERAS_BACKEND=jax.")
        source = "KERAS_BACKEND environment variable"
    elif state["file_backend"] is not None:
        name, source = _file_backend(state), state["path"]
    if name is None:
        installed = backends.available()
        if not installed:
            raise ConfigError(
                "Neither torch nor jax is installed, and keras_bridge needs one of them. "
                "Install one with: pip install 'keras-bridge[torch]' or "
                "pip install 'keras-bridge[jax]'."
            )
        name, source = installed[0], "default (first installed engine)"
    state.update(backend=name, backend_source=source)
    return state


def backend():
    """Name of the default backend for models made from now on."""
    return _resolve_backend()["backend"]


def backend_source():
    """Where the backend choice came from: the variable, the file path, or the default."""
    return _resolve_backend()["backend_source"]


def set_backend(name):
    """Make ``name`` the default backend for models first used afterwards."""
    name = _check_backend(name, "set_backend()", "Pass 'torch' or 'jax'.")
    _load()
    _state["backend"] = name
    _state["backend_source"] = "set_backend()"


def floatx():
    return _load()["floatx"]


def set_floatx(value):
    _load()
    _state["floatx"] = _check_value("floatx", value, "set_floatx()")


def epsilon():
    return _load()["epsilon"]


def set_epsilon(value):
    _load()
    _state["epsilon"] = _check_value("epsilon", value, "set_epsilon()")


def image_data_format():
    return _load()["image_data_format"]


def set_image_data_format(value):
    _load()
    _state["image_data_format"] = _check_value("image_data_format", value,
                                               "set_image_data_format()")


# ---- Keras 3's keras.config switches ------------------------------------------------------
def dtype_policy():
    """The global ``DTypePolicy``: the one set by ``set_dtype_policy``, else ``floatx()``'s."""
    return _dtype_policies.global_policy()


def set_dtype_policy(policy):
    """Make ``policy`` (a ``DTypePolicy`` or its name, such as 'float64') the default of
    layers made from now on; 'mixed_float16' / 'mixed_bfloat16' turn on mixed precision
    (see ``keras_bridge.mixed_precision``)."""
    _dtype_policies.set_global_policy(policy)


def enable_unsafe_deserialization():
    """Let every later load run Python code named by its file (``Lambda`` layers), as if
    each passed ``safe_mode=False``."""
    from keras_bridge.serialization import safe_mode
    safe_mode.allow_unsafe_everywhere()


def _flag(name, value=None):
    state = _load()
    if value is not None:
        state[name] = bool(value)
    return state[name]


def enable_traceback_filtering():
    """Keras 3's switch. keras_bridge shows whole tracebacks whatever its value (it never
    trims frames), so only the flag is kept, for code that reads it back."""
    _flag("traceback_filtering", True)


def disable_traceback_filtering():
    _flag("traceback_filtering", False)


def is_traceback_filtering_enabled():
    return _flag("traceback_filtering")


def enable_interactive_logging():
    """Keras 3's switch between printing progress (on, the default) and sending it to a
    logger (off). Stored for code that reads it; keras_bridge's progress bars print."""
    _flag("interactive_logging", True)


def disable_interactive_logging():
    _flag("interactive_logging", False)


def is_interactive_logging_enabled():
    return _flag("interactive_logging")


# ---- keras_bridge's own switches ----------------------------------------------------------
def jax_compilation_cache():
    """Whether the JAX engine keeps compiled steps in ``$KERAS_HOME/jax_cache`` (JAX's
    persistent compilation cache), so a later process skips compiling the same model.
    On unless ``KERAS_JAX_COMPILATION_CACHE=0`` or keras.json has
    ``"jax_compilation_cache": false``; read when the JAX engine loads."""
    return _load()["jax_compilation_cache"]


def reset():
    """Forget resolved settings so the next access reads the environment again."""
    _state.clear()
    _dtype_policies.forget_global_policy()


_dtype_policies.use_floatx(floatx)
