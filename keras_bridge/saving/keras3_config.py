"""keras_bridge's saved configs in the names Keras 3 resolves.

keras_bridge's built-ins are the same classes as Keras's under the same names, so a
``config.json`` that Keras 3 can load only needs Keras's module names: a layer is
``{"module": "keras.layers", "class_name": "Dense", ...}``, an initializer inside a
layer config ``keras.initializers``, a Sequential model ``keras`` / ``Sequential``
and a functional model what Keras writes for it (``keras.src.models.functional`` /
``Functional``). InputLayer's ``batch_input_shape`` is written as Keras 3's
``batch_shape``. User classes keep their own module and registered name (an
unregistered one's class name, as Keras writes it). keras_bridge
ignores ``module`` when it loads, so these files load back unchanged.
"""

_FAMILIES = ("layers", "initializers", "regularizers", "constraints", "optimizers",
             "losses", "metrics", "activations")
_MODULES = {f"keras_bridge.{name}": f"keras.{name}" for name in _FAMILIES}
# A config without ``module`` (what get_config of a built-in family gives), by the key
# that holds it: an initializer inside a layer config, compile's optimizer, losses, ...
_NESTED_FAMILY = {"_initializer": "keras.initializers", "_regularizer": "keras.regularizers",
                  "_constraint": "keras.constraints", "optimizer": "keras.optimizers",
                  "loss": "keras.losses", "metrics": "keras.metrics"}
_MARKERS = ("__keras_tensor__", "__tuple__", "__numpy__", "function", "__lambda__")


def to_keras3(value, key=""):
    """A copy of a serialized object (layer, model, compile config, ...) with Keras
    3's module names."""
    if isinstance(value, list):
        return [to_keras3(v, key) for v in value]
    if not isinstance(value, dict):
        return value
    # A dict without class_name (compile's loss keyed by output) passes its key on.
    plain = not isinstance(value.get("class_name"), str)
    out = {k: to_keras3(v, key if plain and key in ("loss", "metrics", "weighted_metrics") else k)
           for k, v in value.items()}
    class_name = out.get("class_name")
    if not isinstance(class_name, str) or class_name in _MARKERS or \
            not isinstance(out.get("config"), (dict, list)):
        return out
    module = out.get("module")
    if module == "keras_bridge.models" and class_name == "Functional":
        out.update(module="keras.src.models.functional", registered_name="Functional")
    elif module == "keras_bridge.models" and class_name == "Sequential":
        out["module"] = "keras"
    elif module in _MODULES and out.get("registered_name") is None:
        out["module"] = _MODULES[module]
    elif isinstance(module, str) and not module.startswith("keras") and \
            out.get("registered_name") is None:
        out["registered_name"] = class_name  # Keras finds custom_objects by this name
    elif module is None:
        family = next((m for suffix, m in _NESTED_FAMILY.items() if key.endswith(suffix)),
                      None)
        if family is not None:
            out = {"module": family, **out, "registered_name": out.get("registered_name")}
    if class_name == "InputLayer" and isinstance(out["config"], dict) and \
            "batch_input_shape" in out["config"]:
        config = dict(out["config"])
        config["batch_shape"] = config.pop("batch_input_shape")
        out["config"] = config
    return out


def execution_config(model):
    """compile's execution arguments as given: ``jit_compile`` stays "auto" unless the
    user chose, so a file never carries one engine's resolved choice to another (Keras 3
    writes its resolved value)."""
    run = model._execution()
    return {"run_eagerly": run.run_eagerly, "steps_per_execution": run.steps_per_execution,
            "jit_compile": run.jit_compile}


def compile_entry(compile_cfg, model):
    """``compile_config.compile_config``'s output as Keras 3 writes ``compile_config``."""
    return {**to_keras3(compile_cfg), **execution_config(model)}


def model_entry(model, config, compile_cfg):
    """The top-level ``config.json`` entry: ``config`` (``serialize_layer(model)``, which
    holds Keras's ``build_config``) in Keras 3's names, with ``compile_config``."""
    entry = to_keras3(config)
    entry.setdefault("build_config", {"input_shape": None})
    if compile_cfg is not None:
        entry["compile_config"] = compile_entry(compile_cfg, model)
    return entry
