"""Model configs: Sequential (a list of layer configs) and functional graphs.

A functional config is Keras's: ``layers`` (each layer's config with its ``name`` and
``inbound_nodes``), ``input_layers`` and ``output_layers``. Each inbound node is Keras
3's ``{'args': [...], 'kwargs': {...}}`` where a symbolic tensor is
``{'class_name': '__keras_tensor__', 'config': {'shape', 'dtype', 'keras_history':
[layer_name, node_index, tensor_index]}}``; node indexes count only the calls that
belong to this model. Keras 2's list form ``[[layer_name, node_index, tensor_index,
kwargs], ...]`` is read too. As in Keras, a one-element list of inputs or outputs
loads as a single tensor.
"""

import inspect

from keras_bridge import bounded_json
from keras_bridge.graph import KerasTensor
from keras_bridge.layers.serialization import deserialize_layer, serialize_layer
from keras_bridge.models.model import Model
from keras_bridge.models.sequential import Sequential
from keras_bridge.serialization.core import from_json_value, overrides, to_json_value
from keras_bridge.serialization.registration import scope_for
from keras_bridge.serialization.safe_mode import in_safe_mode, refuse_lambda, safe_mode_scope
from keras_bridge.version import __version__


def model_to_dict(model):
    """``model.to_json()``'s content: the model's config with the version and engine."""
    return {**serialize_layer(model), "keras_bridge_version": __version__,
            "backend": model.backend_name}


def model_from_config(config, custom_objects=None, safe_mode=True):
    """A new model (or layer) from ``{'class_name': ..., 'config': ...}``; its weights
    are freshly initialized."""
    with scope_for(custom_objects), safe_mode_scope(safe_mode):
        safe_mode = in_safe_mode()  # False once enable_unsafe_deserialization() ran
        if safe_mode:
            refuse_lambda(config)
        return deserialize_layer(config, custom_objects, safe_mode)


def model_from_json(json_string, custom_objects=None, safe_mode=True):
    """A new model from ``model.to_json()`` (Keras 2 and 3 model JSON loads too); its
    weights are freshly initialized.

    Args:
        json_string: The JSON text.
        custom_objects: Dict name -> class or function for user objects.
        safe_mode: If True (default), refuse ``Lambda`` layers holding bytecode.
    """
    try:
        config = bounded_json.loads(json_string)
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json() needs the JSON text of a model config "
                         f"({type(e).__name__}: {e}).") from e
    return model_from_config(config, custom_objects=custom_objects, safe_mode=safe_mode)


def model_config(model):
    """The config of a Sequential or functional model (``Model.get_config``)."""
    if isinstance(model, Sequential):
        return sequential_config(model)
    if getattr(model, "_functional", False):
        return functional_config(model)
    return subclassed_config(model)


def subclassed_config(model):
    """A subclassed model's base config, as Keras 3's: ``name``, ``trainable``,
    ``dtype`` and the constructor's plain arguments (``Model.__new__`` records them),
    without the keys its ``__init__`` cannot take back, so ``cls(**config)`` rebuilds
    it. Layers connected in ``call`` have no config: a subclass with other arguments
    gives ``get_config`` (and ``from_config``) itself."""
    config = {"name": model.name, "trainable": model.trainable, "dtype": model.dtype,
              **(vars(model).get("_auto_config") or {})}
    try:
        params = inspect.signature(type(model).__init__).parameters
    except (TypeError, ValueError):
        return config
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return config
    return {k: v for k, v in config.items() if k in params}


# ---- Sequential -------------------------------------------------------------------------
def sequential_config(model):
    layers = []
    if model._input is not None:
        layers.append(serialize_layer(model._input.node.layer))
    layers.extend(serialize_layer(layer) for layer in model.layers)
    return {"name": model.name, "trainable": model.trainable, "layers": layers}


def sequential_from_config(cls, config, custom_objects, safe_mode):
    if isinstance(config, list):  # Keras 1 / early Keras 2: a bare list of layers
        config = {"layers": config}
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError(f"A Sequential config needs a list 'layers'. Received: "
                         f"{type(entries).__name__}")
    model = cls(name=config.get("name"), trainable=bool(config.get("trainable", True)))
    for entry in entries:
        layer = deserialize_layer(entry, custom_objects, safe_mode)
        try:
            model.add(layer)
        except Exception as e:
            raise ValueError(f"Could not rebuild Sequential model {model.name!r} from its "
                             f"config: adding layer {layer.name!r} failed ({e}).") from e
    shape = config.get("build_input_shape")
    if shape is not None and not model.built:
        model.build(tuple(shape))
    return model


# ---- functional ---------------------------------------------------------------------------
def functional_config(model):
    own = {id(n) for n in model._nodes} | {id(t.node) for t in model.inputs}
    layers = model.layers
    names = [layer.name for layer in layers]
    repeated = sorted({n for n in names if names.count(n) > 1})
    if repeated:
        raise ValueError(f"Model {model.name!r} has several layers named {repeated}; layer "
                         "names must be unique within a model to save it.")
    kept = {id(layer): [n for n in layer._inbound_nodes if id(n) in own] for layer in layers}

    def history(tensor):
        node = tensor.node
        index = next(i for i, n in enumerate(kept[id(node.layer)]) if n is node)
        position = next(i for i, t in enumerate(node.output_tensors) if t is tensor)
        return [node.layer.name, index, position]

    def encode(value, where):
        if isinstance(value, KerasTensor):
            return {"class_name": "__keras_tensor__",
                    "config": {"shape": list(value.shape), "dtype": str(value.dtype),
                               "keras_history": history(value)}}
        if isinstance(value, tuple):
            return {"class_name": "__tuple__",
                    "config": {"value": [encode(v, where) for v in value]}}
        if isinstance(value, list):
            return [encode(v, where) for v in value]
        if isinstance(value, dict):
            return {str(k): encode(v, where) for k, v in value.items()}
        return to_json_value(value, where)

    entries = []
    for layer in layers:
        entry = serialize_layer(layer)
        entry["name"] = layer.name
        where = f"An argument of a call of layer {layer.name!r}"
        entry["inbound_nodes"] = [
            {"args": encode([node.inputs, *node.args], where),
             "kwargs": encode(dict(node.kwargs), where)}
            for node in kept[id(layer)] if node.input_tensors]
        entries.append(entry)

    def refs(struct):
        if isinstance(struct, KerasTensor):
            return [history(struct)]
        if isinstance(struct, dict):
            return {k: history(t) for k, t in struct.items()}
        return [history(t) for t in struct]

    config = {"name": model.name, "trainable": model.trainable, "layers": entries,
              "input_layers": refs(model._input_struct),
              "output_layers": refs(model._output_struct)}
    if model._loss_tensors:  # Model.add_loss(tensor): the graph's own losses
        config["added_losses"] = refs(model._loss_tensors)
    return config


class _NotYet(Exception):
    """A node refers to a layer call that has not been rebuilt yet."""


def _lookup(history, created, where):
    if not (isinstance(history, (list, tuple)) and len(history) >= 3
            and isinstance(history[0], str) and isinstance(history[1], int)
            and isinstance(history[2], int)):
        raise ValueError(f"{where} holds a malformed tensor reference {history!r}; expected "
                         "[layer_name, node_index, tensor_index].")
    name, node_index, tensor_index = history[:3]
    layer = created.get(name)
    if layer is None:
        raise ValueError(f"{where} refers to layer {name!r}, which the config does not "
                         "define.")
    if node_index >= len(layer._inbound_nodes):
        raise _NotYet(f"call {node_index} of layer {name!r}")
    outputs = layer._inbound_nodes[node_index].output_tensors
    if not 0 <= tensor_index < len(outputs):
        raise ValueError(f"{where} refers to output {tensor_index} of layer {name!r}, which "
                         f"has {len(outputs)} output(s).")
    return outputs[tensor_index]


def _node_arguments(node_data, created, where):
    """(args, kwargs) of one saved call; raises _NotYet while an input is missing."""
    def decode(value):
        if isinstance(value, dict):
            marker = value.get("class_name")
            if marker == "__keras_tensor__":
                return _lookup((value.get("config") or {}).get("keras_history"), created, where)
            if marker == "__tuple__":
                return tuple(decode(v) for v in (value.get("config") or {}).get("value", []))
            if marker == "__numpy__":
                return from_json_value(value)
            return {k: decode(v) for k, v in value.items()}
        if isinstance(value, list):
            return [decode(v) for v in value]
        return value

    if isinstance(node_data, dict) and "args" in node_data:
        args = decode(node_data["args"])
        kwargs = decode(node_data.get("kwargs") or {})
        if not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
            raise ValueError(f"{where} has malformed call arguments.")
        return list(args), kwargs
    if isinstance(node_data, list) and node_data:  # Keras 2
        tensors = [_lookup(item, created, where) for item in node_data]
        kwargs = node_data[0][3] if len(node_data[0]) > 3 and node_data[0][3] else {}
        return [tensors[0] if len(tensors) == 1 else tensors], dict(kwargs)
    raise ValueError(f"{where} is malformed: {node_data!r}")


def functional_from_config(cls, config, custom_objects, safe_mode):
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ValueError("A functional model config needs a list 'layers'.")
    created, queues = {}, {}
    for entry in entries:
        inner = entry.get("config") if isinstance(entry, dict) else None
        name = entry.get("name") if isinstance(entry, dict) else None
        name = name or (inner.get("name") if isinstance(inner, dict) else None)
        if not isinstance(name, str):
            raise ValueError(f"A layer entry of the model config has no name: {entry!r:.200}")
        if name in created:
            raise ValueError(f"The model config defines layer {name!r} twice.")
        created[name] = deserialize_layer(entry, custom_objects, safe_mode)
        queues[name] = list(entry.get("inbound_nodes") or [])
    done = {name: 0 for name in queues}
    while any(queues.values()):
        progressed, waiting = False, None
        for name, queue in queues.items():
            while queue:
                where = f"Call {done[name]} of layer {name!r} in the model config"
                try:
                    args, kwargs = _node_arguments(queue[0], created, where)
                except _NotYet as e:
                    waiting = waiting or (where, str(e))
                    break
                try:
                    created[name](*args, **kwargs)
                except Exception as e:
                    raise ValueError(f"Could not rebuild the model from its config: {where} "
                                     f"failed ({type(e).__name__}: {e}).") from e
                queue.pop(0)
                done[name] += 1
                progressed = True
        if not progressed:
            raise ValueError(f"The model config is inconsistent: {waiting[0]} needs "
                             f"{waiting[1]}, which the config never makes.")

    def tensors(refs, what):
        where = f"The model's {what}"
        if isinstance(refs, (list, tuple)) and len(refs) == 3 and isinstance(refs[0], str):
            return _safe_lookup(refs, created, where)
        if isinstance(refs, dict):
            return {k: tensors(v, what) for k, v in refs.items()}
        if isinstance(refs, list):
            out = [tensors(v, what) for v in refs]
            return out[0] if len(out) == 1 else out
        raise ValueError(f"{where} are malformed: {refs!r:.200}")

    inputs = tensors(config.get("input_layers"), "input_layers")
    outputs = tensors(config.get("output_layers"), "output_layers")
    kwargs = {"name": config.get("name"), "trainable": bool(config.get("trainable", True))}
    model_cls = cls if not overrides(cls, Model, "__init__") else Model
    model = model_cls(inputs=inputs, outputs=outputs, **kwargs)
    if config.get("added_losses"):
        added = tensors(config["added_losses"], "added_losses")
        model.add_loss(added if isinstance(added, list) else [added])
    return model


def _safe_lookup(refs, created, where):
    try:
        return _lookup(refs, created, where)
    except _NotYet as e:
        raise ValueError(f"{where} refer to {e}, which the config never makes.") from None


def model_from_class_config(cls, config, custom_objects, safe_mode):
    """A new model of class ``cls`` (Model, Sequential or a subclass) from its config;
    a subclass's own ``from_config`` is used when it defines one."""
    if overrides(cls, Model, "from_config"):
        try:
            return cls.from_config(from_json_value(config))
        except Exception as e:
            raise ValueError(f"Could not recreate model class {cls.__name__} from its config "
                             f"({type(e).__name__}: {e}).") from e
    return graph_model_from_config(cls, config, custom_objects, safe_mode)


def graph_model_from_config(cls, config, custom_objects, safe_mode):
    """A Sequential or functional model of class ``cls`` from its config."""
    if issubclass(cls, Sequential) or isinstance(config, list):
        cls = cls if issubclass(cls, Sequential) else Sequential
        return sequential_from_config(cls, config, custom_objects, safe_mode)
    if isinstance(config, dict) and "layers" in config and "input_layers" in config:
        return functional_from_config(cls, config, custom_objects, safe_mode)
    if not isinstance(config, dict):
        raise ValueError(f"Cannot recreate model class {cls.__name__}: its config should be "
                         f"a dict. Received: {type(config).__name__}")
    try:  # a subclassed model: its config is its constructor's arguments (Keras 3)
        return cls(**from_json_value(config))
    except TypeError as e:
        raise ValueError(
            f"Cannot recreate model class {cls.__name__} from its config {config!r:.300} "
            f"({e}). Its get_config() must return every argument of __init__, or the class "
            "must define from_config(cls, config).") from e
