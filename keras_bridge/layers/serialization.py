"""Layers to saved entries and back: the layer codec of ``keras_bridge.serialization``.

``keras_bridge.layers`` registers it at import, so the serialization core below the
layers never imports one. Models take part through two hooks of their class:
``_saved_entry()`` (class name and architecture) and ``_from_saved_entry(...)``,
which ``Model`` implements by delegating to ``keras_bridge.saving``.
"""

import inspect

from keras_bridge import activations
from keras_bridge.layers.base import Layer
from keras_bridge.layers.core import InputLayer, Lambda
from keras_bridge.serialization import core
from keras_bridge.serialization.core import (
    public_module, find_class, find_object, from_json_value, function_reference,
    object_from_config, overrides, resolve_function, to_json_value)
from keras_bridge.serialization.registration import (
    get_registered_object, lookup_explicit, registered_name_or_none)
from keras_bridge.serialization import bytecode
from keras_bridge.serialization.safe_mode import holds_bytecode, refuse_lambda_layer

_EXTRA_BUILTINS = {}  # model classes, registered by keras_bridge.models


def register_builtin_layers(**classes):
    """Name built-in layer classes defined outside ``keras_bridge.layers`` (the model
    classes: ``Functional``, ``Model``, ``Sequential``)."""
    _EXTRA_BUILTINS.update(classes)


def builtin_layers():
    """Class name -> class for keras_bridge's layers and models: the public
    ``keras_bridge.layers`` names, then any other public layer class defined in a
    ``keras_bridge.layers.*`` module that has been imported, then the model classes."""
    import keras_bridge.layers as layers_module
    found = {name: obj for name, obj in vars(layers_module).items()
             if inspect.isclass(obj) and issubclass(obj, Layer)}
    stack = [Layer]
    while stack:
        for sub in stack.pop().__subclasses__():
            stack.append(sub)
            if sub.__module__.startswith("keras_bridge.layers.") and \
                    not sub.__name__.startswith("_"):
                found.setdefault(sub.__name__, sub)
    found.update(_EXTRA_BUILTINS)
    return found


def serialize_layer(layer):
    """``{'module', 'class_name', 'config', 'registered_name'}`` for a layer or model."""
    cls = type(layer)
    where = f"The config of layer {layer.name!r} ({cls.__name__})"
    if hasattr(layer, "_saved_entry"):  # a model
        class_name, config = layer._saved_entry()
    elif isinstance(layer, Lambda) and not overrides(cls, Lambda, "get_config"):
        config, class_name = lambda_config(layer), cls.__name__
    else:
        config, class_name = layer.get_config(), cls.__name__
        _check_config_covers_init(layer, config)
    entry = {"module": public_module(cls), "class_name": class_name,
             "config": to_json_value(config, where),
             "registered_name": registered_name_or_none(cls)}
    build_config = layer.get_build_config()
    if build_config is not None:  # Keras 3 builds the layer with it before loading weights
        entry["build_config"] = to_json_value(build_config, f"The build config of layer "
                                                            f"{layer.name!r}")
    return entry


def _check_config_covers_init(layer, config):
    """A user layer whose constructor needs arguments its config lacks would save but
    never load: say so at save time."""
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


def resolve_layer_class(class_name, registered_name, custom_objects, layer_name):
    cls = find_class(class_name, registered_name, custom_objects, builtin_layers())
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
    if not isinstance(entry, dict) or not isinstance(entry.get("class_name"), str):
        raise ValueError(f"Expected a layer config {{'class_name': ..., 'config': ...}}. "
                         f"Received: {_short(entry)}")
    class_name = entry["class_name"]
    config = entry.get("config")
    config = {} if config is None else config
    name = config.get("name") if isinstance(config, dict) else entry.get("name")
    cls = resolve_layer_class(class_name, entry.get("registered_name"), custom_objects, name)
    return _build(_create(cls, entry, config, name, custom_objects, safe_mode),
                  entry.get("build_config"))


def _build(layer, build_config):
    """Keras 3's step after from_config: ``build_from_config`` for a layer not yet built,
    so its weights exist before they are assigned."""
    if not build_config or layer.built:
        return layer
    try:
        layer.build_from_config(build_config)
    except Exception as e:
        raise ValueError(f"Could not build layer {layer.name!r} ({type(layer).__name__}) "
                         f"from its build_config {build_config!r:.200} "
                         f"({type(e).__name__}: {e}).") from e
    return layer


def _create(cls, entry, config, name, custom_objects, safe_mode):
    class_name = entry["class_name"]
    if hasattr(cls, "_from_saved_entry"):  # a model
        return cls._from_saved_entry(config, custom_objects, safe_mode)
    if not isinstance(config, dict):
        raise ValueError(f"The config of layer {name!r} ({class_name}) should be a dict. "
                         f"Received: {_short(config)}")
    if issubclass(cls, Lambda) and not overrides(cls, Lambda, "from_config"):
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


# Keys newer Keras 3 releases write into layer configs, at the value that changes
# nothing (a feature off); such a key is dropped on loading, any other value is kept
# so the layer refuses it by name.
_KERAS3_NO_OP_KEYS = {"optional": False, "quantization_config": None, "renorm": False,
                      "renorm_clipping": None, "lora_rank": None, "lora_alpha": None}
# Keys of Keras 3.15's initializer configs that are no-ops when null.
_INITIALIZER_NO_OP_KEYS = ("input_axes", "output_axes")


def _drop_no_op_keys(config):
    for key, value in _KERAS3_NO_OP_KEYS.items():
        if key in config and config[key] == value:
            config.pop(key)
    if "renorm" not in config and config.get("renorm_momentum") is not None:
        config.pop("renorm_momentum")  # only read with renorm=True
    for key, value in config.items():
        inner = value.get("config") if isinstance(value, dict) else None
        if key.endswith("_initializer") and isinstance(inner, dict):
            value["config"] = {k: v for k, v in inner.items()
                               if not (k in _INITIALIZER_NO_OP_KEYS and v is None)}


def _normalize(cls, config):
    """Keras 3 spellings -> this project's: ``batch_shape``, dtype policies, and
    InputLayer's ``sparse`` / ``ragged`` flags (accepted when False), and the no-op keys
    of newer Keras 3 configs dropped."""
    config = from_json_value(dict(config))
    _drop_no_op_keys(config)
    if "batch_shape" in config and "batch_input_shape" not in config:
        config["batch_input_shape"] = config.pop("batch_shape")
    dtype = config.get("dtype")
    if isinstance(dtype, dict) and dtype.get("class_name") != "QuantizedDTypePolicy":
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
            name = value["class_name"]
            found = find_object(name, value.get("registered_name"), custom_objects)
            if inspect.isclass(found) and not issubclass(found, Layer):
                out[key] = object_from_config(found, value.get("config") or {}, name)
    return out


# ---- Lambda ---------------------------------------------------------------------------
def _function_entry(fn, where):
    """A Lambda's function as Keras 3 saves it: a lambda as bytecode, any other by name."""
    if bytecode.is_anonymous(fn):
        return {"class_name": "__lambda__", "config": bytecode.dump(fn, where)}
    return function_reference(fn, where)


def lambda_config(layer):
    """A Lambda's config as Keras 3 writes it: ``function`` (and a callable
    ``output_shape``) as a function reference or, for a lambda, bytecode."""
    config = Layer.get_config(layer)
    config["function"] = _function_entry(layer.function,
                                         f"The function of Lambda layer {layer.name!r}")
    shape = layer._output_shape
    if callable(shape):
        config["output_shape"] = _function_entry(
            shape, f"The output_shape of Lambda layer {layer.name!r}")
    elif shape is not None:
        config["output_shape"] = list(shape)
    config["arguments"] = to_json_value(layer.arguments, f"The arguments of Lambda layer "
                                                         f"{layer.name!r}")
    return config


def _load_function(value, kind, override, custom_objects, where):
    """A saved function: Keras 3's bytecode entry or Keras 2's ``kind='lambda'`` (refused
    by the caller under safe_mode; ``override`` from custom_objects wins), else a
    reference by name."""
    if holds_bytecode(value) or kind == "lambda":
        if callable(override):
            return override
        return bytecode.load(value.get("config") if isinstance(value, dict) else value, where)
    return resolve_function(value, custom_objects, where)


def lambda_from_config(cls, config, custom_objects, safe_mode):
    """A Lambda from Keras 3's config, Keras 2's (``function_type``) or earlier
    keras_bridge files (function by name)."""
    if safe_mode:
        refuse_lambda_layer(config)
    name = config.get("name", "lambda")
    where = f"Lambda layer {name!r}"
    override = lookup_explicit(name, custom_objects)  # the function passed by layer name
    fn = _load_function(config.get("function"), config.get("function_type"), override,
                        custom_objects, f"The function of {where}")
    shape = config.get("output_shape")
    if shape is not None and (isinstance(shape, (str, dict)) or
                              config.get("output_shape_type") in ("function", "lambda")):
        shape = _load_function(shape, config.get("output_shape_type"), None, custom_objects,
                               f"The output_shape of {where}")
    elif shape is not None:
        shape = tuple(from_json_value(shape))
    kwargs = {k: config[k] for k in ("name", "trainable", "dtype") if k in config}
    if isinstance(kwargs.get("dtype"), dict):  # Keras 3's dtype policy
        kwargs["dtype"] = (kwargs["dtype"].get("config") or {}).get("name")
    batch_shape = config.get("batch_input_shape") or config.get("batch_shape")
    if batch_shape is not None:
        kwargs.update(input_shape=tuple(batch_shape[1:]), batch_size=batch_shape[0])
    return cls(fn, output_shape=shape, arguments=from_json_value(config.get("arguments")),
               **kwargs)


core.register_layer_codec(Layer, serialize_layer, deserialize_layer, builtin_layers)
