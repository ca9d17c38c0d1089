"""``clone_model`` (Keras 2 and 3) and Keras 2's ``model_from_yaml`` (removed)."""

from keras_bridge.layers.serialization import serialize_layer


def clone_model(model, input_tensors=None):
    """A new model with ``model``'s architecture and freshly initialized weights (the
    same layer names; nothing is shared with ``model``), built from its config as
    Keras does. Custom layer classes used by ``model`` need no registration.

    Args:
        model: a Sequential or functional ``Model``.
        input_tensors: not supported; call the clone on your tensors instead
            (``Model(t, clone_model(model)(t))``).
    """
    from keras_bridge.models.model import Model
    from keras_bridge.saving import model_from_config
    if not isinstance(model, Model):
        raise ValueError(f"Expected `model` to be a Model (Sequential or functional). "
                         f"Received: {model!r}")
    if input_tensors is not None:
        raise ValueError("clone_model(input_tensors=...) is not supported by keras_bridge; "
                         "call the clone on your tensors: Model(t, clone_model(model)(t)).")
    if not getattr(model, "_functional", False):
        raise ValueError(f"clone_model needs a Sequential or functional model with a "
                         f"known input shape; model {model.name!r} is subclassed or not "
                         f"built yet. Create a new instance of its class instead.")
    custom = {type(layer).__name__: type(layer) for layer in _all_layers(model)}
    return model_from_config(serialize_layer(model), custom_objects=custom, safe_mode=False)


def _all_layers(model):
    out, stack = [], [model]
    while stack:
        layer = stack.pop()
        out.append(layer)
        stack.extend(getattr(layer, "layers", ()) or ())
    return out


def model_from_yaml(yaml_string, custom_objects=None):
    """Removed, as in tf.keras 2.6+ and Keras 3: loading YAML could run arbitrary code."""
    raise RuntimeError(YAML_REMOVED.format(what="model_from_yaml()"))


YAML_REMOVED = ("{what} is not supported: model YAML was removed (tf.keras 2.6 and later, "
                "Keras 3) because loading YAML can run arbitrary code. Use model.to_json() "
                "and keras_bridge.models.model_from_json() instead.")
