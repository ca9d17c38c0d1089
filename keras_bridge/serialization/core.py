"""Objects to Keras-style configs and back: ``{'class_name', 'config', ...}`` as JSON.

This core knows no layer: ``keras_bridge.layers`` registers a codec at import
(``register_layer_codec``) that serializes layers and models and names the built-in
layer classes. The built-in families of plain objects (initializers, losses, ...) are
reached through ``FAMILIES``, a declared map of module names imported on first use.

A config holds plain values only. Classes are named (``class_name``, plus
``registered_name`` 'Package>Name' for registered user classes) and functions are
referred to by name (``{'class_name': 'function', 'config': 'my_fn'}``); loading looks
names up in ``custom_objects``, the active scopes, the registry and keras_bridge's own
public classes, and never imports a module or runs code named by the file. The
``module`` key is informational.

Values with no JSON form are written as Keras 3 writes them: a numpy array as
``{'class_name': '__numpy__', 'config': {'value', 'dtype'}}``, a tuple inside a node's
arguments as ``{'class_name': '__tuple__', ...}``.
"""

import importlib
import inspect

import numpy as np

from keras_bridge.serialization.registration import (
    all_custom_objects, get_registered_object, lookup_explicit, lookup_global,
    registered_name_or_none, scope_for)
from keras_bridge.serialization.safe_mode import in_safe_mode, refuse_lambda, safe_mode_scope

# Built-in object families, by module: looked up by name on first use, so this core
# imports none of them (they sit above it).
FAMILIES = {name: f"keras_bridge.{name}" for name in (
    "optimizers", "initializers", "regularizers", "constraints", "losses", "metrics")}


class _LayerCodec:
    """How layers are saved: filled by ``keras_bridge.layers`` when it is imported."""
    base = None  # the Layer class
    serialize = None  # layer -> entry
    deserialize = None  # (entry, custom_objects, safe_mode) -> layer
    builtins = staticmethod(dict)  # () -> {class name: built-in layer class}


def register_layer_codec(base, serialize, deserialize, builtins):
    """Called once by ``keras_bridge.layers``: layers (``isinstance(obj, base)``) are
    saved with ``serialize`` and loaded with ``deserialize``; ``builtins()`` names the
    built-in layer classes."""
    _LayerCodec.base = base
    _LayerCodec.serialize = staticmethod(serialize)
    _LayerCodec.deserialize = staticmethod(deserialize)
    _LayerCodec.builtins = staticmethod(builtins)


def _is_layer_class(cls):
    base = _LayerCodec.base
    return base is not None and inspect.isclass(cls) and issubclass(cls, base)


# ---- plain values -----------------------------------------------------------------------
def to_json_value(value, where):
    """``value`` with tuples as lists, numpy as Python or ``__numpy__``, objects with
    ``get_config`` and named functions serialized; anything else is an error naming
    ``where``."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, np.ndarray):
        if value.dtype.hasobject:
            raise TypeError(f"{where} is an object array, which has no JSON form.")
        return {"class_name": "__numpy__",
                "config": {"value": value.tolist(), "dtype": str(value.dtype)}}
    if isinstance(value, (list, tuple)):
        return [to_json_value(v, f"{where}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        bad = [k for k in value if not isinstance(k, str)]
        if bad:
            raise TypeError(f"{where} has non-string keys {bad}; a config's dict keys must be "
                            "strings.")
        return {k: to_json_value(v, f"{where}[{k!r}]") for k, v in value.items()}
    if not isinstance(value, type) and hasattr(value, "get_config"):
        return serialize_keras_object(value)
    if callable(value) and not isinstance(value, type):
        return function_reference(value, where)
    raise TypeError(f"{where} is {value!r} (type {type(value).__name__}), which has no JSON "
                    "form. A config may hold numbers, strings, lists, dicts, numpy arrays, "
                    "objects with get_config(), and named functions.")


def from_json_value(value):
    """Undo ``to_json_value``'s ``__numpy__`` / ``__tuple__`` markers (other dicts stay)."""
    if isinstance(value, list):
        return [from_json_value(v) for v in value]
    if isinstance(value, dict):
        marker = value.get("class_name")
        if marker == "__numpy__":
            inner = value.get("config") or {}
            dtype = np.dtype(inner.get("dtype", "float32"))
            if dtype.hasobject:
                raise ValueError("A saved __numpy__ value has dtype object, which is refused.")
            return np.asarray(inner.get("value"), dtype=dtype)
        if marker == "__tuple__":
            return tuple(from_json_value(v) for v in (value.get("config") or {}).get("value", []))
        return {k: from_json_value(v) for k, v in value.items()}
    return value


def function_reference(fn, where):
    """``{'class_name': 'function', 'config': name, ...}`` for a function with a name."""
    registered = registered_name_or_none(fn)
    name = getattr(fn, "__name__", None)
    if registered is None and (not isinstance(name, str) or not name.isidentifier()):
        raise ValueError(
            f"{where} is an anonymous function ({fn!r}); a saved file refers to functions "
            "by name and never stores their code. Define it with `def`, register it with "
            "@keras_bridge.saving.register_keras_serializable(), and pass it in "
            "custom_objects when loading if it is not registered.")
    return {"module": public_module(fn), "class_name": "function",
            "config": registered or name, "registered_name": registered}


def resolve_function(ref, custom_objects, where):
    """The function a ``function_reference`` (or a plain name) refers to."""
    if isinstance(ref, dict):
        names = [ref.get("registered_name"), ref.get("config")]
    else:
        names = [ref]
    for name in names:
        obj = get_registered_object(name, custom_objects)
        if obj is not None:
            if not callable(obj):
                raise TypeError(f"{where}: {name!r} refers to {obj!r}, which is not callable.")
            return obj
    name = next((n for n in names if isinstance(n, str)), None)
    short = name.split(">", 1)[-1] if name else "fn"
    raise ValueError(f"{where} refers to function {name!r}, which is not known here. Pass "
                     f"custom_objects={{'{short}': {short}}} or register it with "
                     "@keras_bridge.saving.register_keras_serializable().")


def public_module(obj):
    """The package a built-in is public in ('keras_bridge.layers', 'keras_bridge.losses'),
    so saved files do not depend on which internal module defines it; a user object's own
    module."""
    module = getattr(obj, "__module__", None)
    if isinstance(module, str) and module.startswith("keras_bridge."):
        return ".".join(module.split(".")[:2])
    return module


# ---- objects ------------------------------------------------------------------------------
def serialize_keras_object(obj):
    """A Keras-style config of ``obj``: a layer or model (architecture included), an
    object with ``get_config`` (optimizer, loss, metric, initializer, ...), a named
    function, or a plain value.

    Returns:
        JSON-compatible values; objects as ``{'module', 'class_name', 'config',
        'registered_name'}``.
    """
    if _LayerCodec.base is not None and isinstance(obj, _LayerCodec.base):
        return _LayerCodec.serialize(obj)
    if obj is None or isinstance(obj, (bool, int, float, str, list, tuple, dict, np.ndarray,
                                       np.generic)):
        return to_json_value(obj, "value")
    if not isinstance(obj, type) and hasattr(obj, "get_config"):
        cls = type(obj)
        return {"module": public_module(cls), "class_name": cls.__name__,
                "config": to_json_value(obj.get_config(), f"the config of {obj!r}"),
                "registered_name": registered_name_or_none(cls)}
    if callable(obj):
        return function_reference(obj, f"{obj!r}")
    raise TypeError(f"Cannot serialize {obj!r} (type {type(obj).__name__}): it has no "
                    "get_config().")


def deserialize_keras_object(config, custom_objects=None, safe_mode=None):
    """The object ``serialize_keras_object`` described (the inverse).

    Args:
        config: A config dict, a list of them, a function reference, or a plain value.
            A string gives the registered or custom object of that name, if any, else
            the string itself.
        custom_objects: Optional dict name -> class or function for user objects.
        safe_mode: If True (the default, or the current load's), refuse ``Lambda``
            layers, whose loading calls Python functions named by the file.
    """
    safe_mode = in_safe_mode() if safe_mode is None else bool(safe_mode)
    with scope_for(custom_objects), safe_mode_scope(safe_mode):
        safe_mode = in_safe_mode()  # False once enable_unsafe_deserialization() ran
        if safe_mode:
            refuse_lambda(config)
        return _deserialize(config, custom_objects, safe_mode)


def _deserialize(config, custom_objects, safe_mode):
    if isinstance(config, list):
        return [_deserialize(c, custom_objects, safe_mode) for c in config]
    if isinstance(config, str):
        found = get_registered_object(config, custom_objects)
        return config if found is None else found
    if not isinstance(config, dict) or not isinstance(config.get("class_name"), str):
        return from_json_value(config)
    class_name = config["class_name"]
    if class_name in ("__numpy__", "__tuple__"):
        return from_json_value(config)
    if class_name == "function":
        return resolve_function(config, custom_objects, "A saved function reference")
    cls = find_class(class_name, config.get("registered_name"), custom_objects,
                     _LayerCodec.builtins())
    if _is_layer_class(cls):
        return _LayerCodec.deserialize(config, custom_objects, safe_mode)
    cls = find_object(class_name, config.get("registered_name"), custom_objects)
    if cls is not None:
        return object_from_config(cls, config.get("config") or {}, class_name)
    module = str(config.get("module") or "")
    family = module.split(".")[1] if module.count(".") >= 1 else None
    families = [family] if family in FAMILIES else list(FAMILIES)
    for name in families:
        mod = importlib.import_module(FAMILIES[name])
        try:
            if name in ("losses", "metrics"):
                return mod.deserialize(config, custom_objects=_all(custom_objects))
            return mod.deserialize(config)
        except (ValueError, TypeError):
            if len(families) == 1:
                raise
    raise ValueError(f"Unknown object class {class_name!r} in a saved config. Register it "
                     "with @keras_bridge.saving.register_keras_serializable() or pass "
                     f"custom_objects={{'{class_name}': {class_name}}}.")


def find_object(class_name, registered_name, custom_objects):
    """A user class (not a built-in initializer, loss, ...) named by a config, or None."""
    if registered_name:
        return get_registered_object(registered_name, custom_objects)
    found = lookup_explicit(class_name, custom_objects)
    if found is None and not _is_builtin_object(class_name):
        found = lookup_global(class_name)
    return found


def _is_builtin_object(class_name):
    """Whether a built-in initializer, regularizer, constraint, optimizer, loss or
    metric class has this name."""
    for path in FAMILIES.values():
        module = importlib.import_module(path)
        if inspect.isclass(getattr(module, class_name, None)) and \
                class_name in getattr(module, "__all__", ()):
            return True
    return False


def _all(custom_objects):
    return all_custom_objects(custom_objects)


def object_from_config(cls, inner, class_name):
    try:
        if hasattr(cls, "from_config"):
            return cls.from_config(from_json_value(inner))
        return cls(**from_json_value(inner))
    except Exception as e:
        raise ValueError(f"Could not recreate {class_name} from its saved config "
                         f"({type(e).__name__}: {e}).") from e


def overrides(cls, base, attr):
    """Whether a class between ``cls`` and ``base`` in the MRO defines ``attr``."""
    for klass in cls.__mro__:
        if klass is base:
            return False
        if attr in vars(klass):
            return True
    return False


def find_class(class_name, registered_name, custom_objects, builtins):
    """The class a config names. Order: its registered name; ``custom_objects`` and
    scopes by class name; ``builtins``; the registry by class name (so a user class
    registered under a built-in's short name never replaces the built-in)."""
    found = get_registered_object(registered_name, custom_objects) if registered_name \
        else None
    if found is None:
        found = lookup_explicit(class_name, custom_objects)
    if found is None:
        found = builtins.get(class_name)
    if found is None:
        found = lookup_global(class_name)
    return found
