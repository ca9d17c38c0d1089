"""Objects to Keras-style configs and back: ``{'class_name', 'config', ...}`` as JSON.

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

import inspect

import numpy as np

from keras_bridge.saving.object_registration import (
    get_registered_object, lookup_explicit, lookup_global, registered_name_or_none, scope_for)


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
    return {"module": _public_module(fn), "class_name": "function",
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


def _public_module(obj):
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
    from keras_bridge.layers.base import Layer
    if isinstance(obj, Layer):
        return serialize_layer(obj)
    if obj is None or isinstance(obj, (bool, int, float, str, list, tuple, dict, np.ndarray,
                                       np.generic)):
        return to_json_value(obj, "value")
    if not isinstance(obj, type) and hasattr(obj, "get_config"):
        cls = type(obj)
        return {"module": _public_module(cls), "class_name": cls.__name__,
                "config": to_json_value(obj.get_config(), f"the config of {obj!r}"),
                "registered_name": registered_name_or_none(cls)}
    if callable(obj):
        return function_reference(obj, f"{obj!r}")
    raise TypeError(f"Cannot serialize {obj!r} (type {type(obj).__name__}): it has no "
                    "get_config().")


_FAMILIES = ("optimizers", "initializers", "regularizers", "constraints", "losses", "metrics")


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
    from keras_bridge.saving.safe_mode import in_safe_mode, refuse_lambda, safe_mode_scope
    safe_mode = in_safe_mode() if safe_mode is None else bool(safe_mode)
    with scope_for(custom_objects), safe_mode_scope(safe_mode):
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
    from keras_bridge.layers.base import Layer
    cls = _find_class(class_name, config.get("registered_name"), custom_objects,
                      builtin_layers())
    if inspect.isclass(cls) and issubclass(cls, Layer):
        return deserialize_layer(config, custom_objects, safe_mode)
    cls = _find_object(class_name, config.get("registered_name"), custom_objects)
    if cls is not None:
        return _from_config(cls, config.get("config") or {}, class_name)
    import importlib
    module = str(config.get("module") or "")
    family = module.split(".")[1] if module.count(".") >= 1 else None
    families = [family] if family in _FAMILIES else list(_FAMILIES)
    for name in families:
        mod = importlib.import_module(f"keras_bridge.{name}")
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


def _find_object(class_name, registered_name, custom_objects):
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
    import importlib
    for family in _FAMILIES:
        module = importlib.import_module(f"keras_bridge.{family}")
        if inspect.isclass(getattr(module, class_name, None)) and \
                class_name in getattr(module, "__all__", ()):
            return True
    return False


def _all(custom_objects):
    from keras_bridge.saving.object_registration import all_custom_objects
    return all_custom_objects(custom_objects)


def _from_config(cls, inner, class_name):
    try:
        if hasattr(cls, "from_config"):
            return cls.from_config(from_json_value(inner))
        return cls(**from_json_value(inner))
    except Exception as e:
        raise ValueError(f"Could not recreate {class_name} from its saved config "
                         f"({type(e).__name__}: {e}).") from e


# ---- layers -------------------------------------------------------------------------------
def builtin_layers():
    """Class name -> class for keras_bridge's layers and models: the public
    ``keras_bridge.layers`` names, then any other public layer class defined in a
    ``keras_bridge.layers.*`` module that has been imported."""
    import keras_bridge.layers as layers_module
    from keras_bridge.layers.base import Layer
    from keras_bridge.models import Model, Sequential
    found = {name: obj for name, obj in vars(layers_module).items()
             if inspect.isclass(obj) and issubclass(obj, Layer)}
    stack = [Layer]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("keras_bridge.layers.") and \
                    not sub.__name__.startswith("_"):
                found.setdefault(sub.__name__, sub)
    found.update(Functional=Model, Model=Model, Sequential=Sequential)
    return found


def overrides(cls, base, attr):
    """Whether a class between ``cls`` and ``base`` in the MRO defines ``attr``."""
    for klass in cls.__mro__:
        if klass is base:
            return False
        if attr in vars(klass):
            return True
    return False


def serialize_layer(layer):
    """``{'module', 'class_name', 'config', 'registered_name'}`` for a layer or model."""
    from keras_bridge.layers.core import Lambda
    from keras_bridge.saving.safe_mode import lambda_config
    from keras_bridge.models import Model
    cls = type(layer)
    where = f"The config of layer {layer.name!r} ({cls.__name__})"
    if isinstance(layer, Model):
        from keras_bridge.saving.functional import model_config
        config = layer.get_config() if overrides(cls, Model, "get_config") \
            else model_config(layer)
        class_name = "Functional" if cls is Model else cls.__name__
    elif isinstance(layer, Lambda) and not overrides(cls, Lambda, "get_config"):
        config, class_name = lambda_config(layer), cls.__name__
    else:
        config, class_name = layer.get_config(), cls.__name__
        _check_config_covers_init(layer, config)
    return {"module": _public_module(cls), "class_name": class_name,
            "config": to_json_value(config, where),
            "registered_name": registered_name_or_none(cls)}


def _check_config_covers_init(layer, config):
    """A user layer whose constructor needs arguments its config lacks would save but
    never load: say so at save time."""
    from keras_bridge.layers.base import Layer
    cls = type(layer)
    if cls.__module__.startswith("keras_bridge.") or overrides(cls, Layer, "from_config"):
        return
    try:
        params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    except (TypeError, ValueError):
        return
    missing = [p.name for p in params if p.default is p.empty and p.name not in config
               and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if missing:
        fields = ", ".join(f"'{m}': self.{m}" for m in missing)
        raise NotImplementedError(
            f"Layer {layer.name!r} ({cls.__name__}) cannot be saved: its constructor needs "
            f"{missing}, which its get_config() does not return. Add them: "
            f"def get_config(self): return {{**super().get_config(), {fields}}}")


def _find_class(class_name, registered_name, custom_objects, builtins):
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


def resolve_layer_class(class_name, registered_name, custom_objects, layer_name):
    from keras_bridge.layers.base import Layer
    cls = _find_class(class_name, registered_name, custom_objects, builtin_layers())
    if cls is None:
        raise ValueError(
            f"Unknown layer class {class_name!r} (layer {layer_name!r}) in the config. If it "
            "is your own class, decorate it with "
            "@keras_bridge.saving.register_keras_serializable(), or pass "
            f"custom_objects={{'{class_name}': {class_name}}}.")
    if not (inspect.isclass(cls) and issubclass(cls, Layer)):
        raise ValueError(f"{class_name!r} (layer {layer_name!r}) refers to {cls!r}, which is "
                         "not a Layer class.")
    return cls


def deserialize_layer(entry, custom_objects=None, safe_mode=True):
    """A new layer (or model) from ``serialize_layer``'s dict; Keras 2 and Keras 3 layer
    configs are accepted too."""
    from keras_bridge.layers.core import Lambda
    from keras_bridge.models import Model
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"Expected a layer config {{'class_name': ..., 'config': ...}}. "
                         f"Received: {_short(entry)}")
    class_name = entry["class_name"]
    config = entry.get("config")
    config = {} if config is None else config
    name = config.get("name") if isinstance(config, dict) else entry.get("name")
    cls = resolve_layer_class(class_name, entry.get("registered_name"), custom_objects, name)
    if issubclass(cls, Model):
        from keras_bridge.saving.functional import model_from_class_config
        return model_from_class_config(cls, config, custom_objects, safe_mode)
    if not isinstance(config, dict):
        raise ValueError(f"The config of layer {name!r} ({class_name}) should be a dict. "
                         f"Received: {_short(config)}")
    if issubclass(cls, Lambda) and not overrides(cls, Lambda, "from_config"):
        from keras_bridge.saving.safe_mode import lambda_from_config
        return lambda_from_config(cls, config, custom_objects, safe_mode)
    config = _revive(_normalize(cls, config), custom_objects)
    try:
        return cls.from_config(config)
    except Exception as e:
        raise ValueError(
            f"Could not recreate layer {name!r} ({class_name}) from its config "
            f"({type(e).__name__}: {e}). If it uses your own classes or functions, pass "
            "them in custom_objects or register them.") from e


def _short(value, limit=200):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


def _normalize(cls, config):
    """Keras 3 spellings -> this project's: ``batch_shape``, dtype policies, and
    InputLayer's ``sparse`` / ``ragged`` flags (accepted when False)."""
    from keras_bridge.layers.core import InputLayer
    config = from_json_value(dict(config))
    if "batch_shape" in config and "batch_input_shape" not in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    dtype = config.get("dtype")
    if isinstance(dtype, dict):  # Keras 3 DTypePolicy
        config["dtype"] = (dtype.get("config") or {}).get("name")
    if issubclass(cls, InputLayer):
        for flag in ("sparse", "ragged"):
            if config.get(flag) is False:
                config.pop(flag)
    return config


def _revive(config, custom_objects):
    """User objects inside a layer config (a custom activation's name, a registered
    initializer's config) become the objects, since the layer's own lookup only knows
    built-ins. Built-in entries are left for the layer to resolve."""
    from keras_bridge import activations
    from keras_bridge.layers.base import Layer
    out = dict(config)
    for key, value in config.items():
        if isinstance(value, str) and (key == "activation" or key.endswith("_activation")):
            try:
                activations.get(value)
            except ValueError:
                found = get_registered_object(value, custom_objects)
                if callable(found):
                    out[key] = found
        elif isinstance(value, dict) and isinstance(value.get("class_name"), str):
            if value["class_name"] == "function":
                found = get_registered_object(value.get("registered_name") or value.get(
                    "config"), custom_objects)
                if callable(found):
                    out[key] = found
                continue
            found = _find_object(value["class_name"], value.get("registered_name"),
                                 custom_objects)
            if inspect.isclass(found) and not issubclass(found, Layer):
                out[key] = _from_config(found, value.get("config") or {}, value["class_name"])
    return out
