"""``keras.dtype_policies``: the dtypes a layer computes in and keeps its variables in.

A policy named after a dtype (``"float32"``, ``"float64"``, ...) computes and stores in that
dtype; layers honour it: ``Dense(2, dtype=DTypePolicy("float64"))`` or
``keras.config.set_dtype_policy("float64")`` gives float64 weights and outputs.
The mixed policies (``"mixed_float16"``, ``"mixed_bfloat16"``) compute in 16 bits and keep
float32 variables: the cast happens at each layer call (keras_bridge/autocast.py).
"""

import numpy as np

__all__ = ["DTypePolicy", "FloatDTypePolicy", "QuantizedDTypePolicy", "get", "serialize",
           "deserialize"]

# Keras 3's quantization modes (keras_bridge.quantizers says which ones layers implement).
QUANTIZATION_MODES = ("int8", "float8", "int4", "gptq", "awq")

_MIXED = {"mixed_float16": "float16", "mixed_bfloat16": "bfloat16"}

# The global policy (None: floatx's). ``keras_bridge.config`` owns the settings: it hands
# its ``floatx`` here when imported, so that this module imports nothing of the package.
_global = {"policy": None, "floatx": lambda: "float32"}


def use_floatx(floatx):
    _global["floatx"] = floatx


def global_policy():
    """``keras.config.dtype_policy()``: the policy set, else one named ``floatx()``."""
    policy = _global["policy"]
    return policy if policy is not None else DTypePolicy(_global["floatx"]())


def set_global_policy(policy):
    """``keras.config.set_dtype_policy``: a policy or its name (mixed ones included)."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError("Invalid `policy` argument. Expected the string name of a policy "
                         f"(such as 'float32') or a DTypePolicy instance. Received: "
                         f"policy={policy!r}")
    _global["policy"] = policy


def forget_global_policy():
    _global["policy"] = None


def _dtype_name(name):
    if name == "bfloat16":
        return name
    try:
        return np.dtype(name).name
    except TypeError:
        raise ValueError(f"Cannot convert {name!r} to a DTypePolicy. Expected "
                         "'mixed_float16', 'mixed_bfloat16', or the name of a dtype such "
                         "as 'float32'.") from None


class DTypePolicy:
    """A layer's compute and variable dtypes, named like Keras 3's policies.

    Args:
        name: a dtype name ('float32', 'float64', ...) for both dtypes, or
            'mixed_float16' / 'mixed_bfloat16' (16-bit compute, float32 variables).
            Default: the global policy (``keras.config.dtype_policy()``).
    """

    def __init__(self, name=None):
        if name is None:
            name = global_policy().name
        if not isinstance(name, str):
            raise TypeError(f"Expected the policy name as a string, such as 'float32'. "
                            f"Received: name={name!r} (of type {type(name).__name__})")
        if name in _MIXED:
            self._compute_dtype, self._variable_dtype = _MIXED[name], "float32"
        else:
            self._compute_dtype = self._variable_dtype = _dtype_name(name)
        self._name = name

    name = property(lambda self: self._name)
    compute_dtype = property(lambda self: self._compute_dtype,
                             doc="The dtype of the layer's computations and outputs.")
    variable_dtype = property(lambda self: self._variable_dtype,
                              doc="The dtype of the layer's weights.")
    quantization_mode = property(lambda self: None)

    @property
    def is_mixed(self):
        return self._compute_dtype != self._variable_dtype

    def get_config(self):
        return {"name": self._name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, DTypePolicy) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'


FloatDTypePolicy = DTypePolicy  # Keras 3.0's name, kept by Keras as an alias


class QuantizedDTypePolicy(DTypePolicy):
    """The policy of a quantized layer, named ``"<mode>_from_<source>"`` (Keras 3):
    ``"int8_from_float32"`` computes in float32 from int8 weights. ``source_name``
    (default: the global policy) gives the compute and float variable dtypes."""

    def __init__(self, mode, source_name=None):
        if source_name is None:
            source_name = global_policy().name
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of "
                             f"{QUANTIZATION_MODES}. Received: mode={mode!r}")
        super().__init__(source_name)
        if mode == "int8" and self._compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with "
                             "compute_dtype='float16'.")
        self._source_name, self._quantization_mode = source_name, mode
        self._name = f"{mode}_from_{source_name}"

    quantization_mode = property(lambda self: self._quantization_mode)
    source_name = property(lambda self: self._source_name)

    def get_config(self):
        return {"mode": self._quantization_mode, "source_name": self._source_name}

    def __eq__(self, other):
        return type(other) is type(self) and other.name == self.name

    def __hash__(self):
        return hash(self._name)

    def __repr__(self):
        return f'<QuantizedDTypePolicy "{self._name}">'


def _quantized_by_name(name):
    mode, sep, source = name.partition("_from_")
    if not sep or not source:
        raise ValueError("Cannot convert `policy` into a valid pair (`mode`, `source_name`) "
                         f"to instantiate `QuantizedDTypePolicy`. Received: policy={name!r}")
    return QuantizedDTypePolicy(mode, source)


def is_quantized_name(name):
    return isinstance(name, str) and name.startswith(QUANTIZATION_MODES)


def get(identifier):
    """A policy from a name, a serialized policy (dict) or a policy."""
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, str):
        return _quantized_by_name(identifier) if is_quantized_name(identifier) \
            else DTypePolicy(identifier)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise ValueError(f"Expected a DTypePolicy, its name or its serialized dict. Received: "
                     f"{identifier!r}")


def serialize(policy):
    if isinstance(policy, QuantizedDTypePolicy):
        return {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
                "config": policy.get_config(), "registered_name": None}
    return {"module": "keras", "class_name": "DTypePolicy",
            "config": policy.get_config(), "registered_name": None}


def deserialize(config_dict):
    if isinstance(config_dict, dict) and config_dict.get("class_name") == \
            "QuantizedDTypePolicy" and isinstance(config_dict.get("config"), dict):
        return QuantizedDTypePolicy.from_config(config_dict["config"])
    if config_dict.get("class_name") not in ("DTypePolicy", "FloatDTypePolicy") or \
            not isinstance(config_dict.get("config"), dict):
        raise ValueError(f"Expected a serialized DTypePolicy {{'class_name': 'DTypePolicy', "
                         f"'config': {{'name': ...}}}}. Received: {config_dict!r}")
    return DTypePolicy.from_config(config_dict["config"])


def split_quantized(dtype):
    """``(quantization_mode, dtype)`` of a layer's ``dtype`` argument: a quantized policy
    (object, name or serialized dict) gives its mode and its source policy's name; any
    other value gives ``(None, dtype)``."""
    if isinstance(dtype, dict) and dtype.get("class_name") == "QuantizedDTypePolicy":
        dtype = deserialize(dtype)
    elif is_quantized_name(dtype):
        dtype = _quantized_by_name(dtype)
    if isinstance(dtype, QuantizedDTypePolicy):
        return dtype.quantization_mode, dtype.source_name
    return None, dtype


def layer_policy(dtype):
    """``(policy, variable dtype)`` of a layer's ``dtype`` argument: None means the global
    policy; a policy, its name or its dict gives that policy; another dtype value (a numpy
    dtype, a non-float name such as 'int32') is the weights' dtype as it is, and no
    policy (the layer's policy is then the one named after it)."""
    if dtype is None:
        policy = global_policy()
        return policy, policy.variable_dtype
    if isinstance(dtype, (DTypePolicy, dict)) or (isinstance(dtype, str) and dtype in _MIXED):
        policy = get(dtype)
        return policy, policy.variable_dtype
    return None, dtype
