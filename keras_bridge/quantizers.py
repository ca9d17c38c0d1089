"""``keras.quantizers``: Keras 3's absmax int8 quantization, written once with
``keras_bridge.ops`` (both engines) and in numpy (``to_numpy=True``, how layers quantize
their weights on the host).

``abs_max_quantize(x, axis)`` scales ``x`` so that the largest magnitude along ``axis``
becomes 127: ``scale = 127 / (max|x| + epsilon)`` (kept with size 1 on ``axis``),
``q = clip(round(x * scale), -127, 127)`` as int8; ``x ~= q / scale``. Rounding is half
to even on numpy and both engines, as in Keras.
"""

import numpy as np

from keras_bridge import ops
from keras_bridge.dtype_policies import QUANTIZATION_MODES

__all__ = ["Quantizer", "AbsMaxQuantizer", "abs_max_quantize", "compute_float8_scale",
           "QUANTIZATION_MODES", "SUPPORTED_MODES", "serialize", "deserialize", "get"]

# Of Keras 3's modes (QUANTIZATION_MODES), the ones keras_bridge's layers implement.
SUPPORTED_MODES = ("int8",)
_EPSILON = 1e-7  # Keras's backend.epsilon() default, bound at definition as Keras does


class Quantizer:
    """Base of the quantizers: ``__call__(x) -> (quantized, scale)``."""

    def __init__(self, output_dtype="int8"):
        self.output_dtype = output_dtype

    def __call__(self, x):
        return x

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_config(self):
        raise NotImplementedError(f"{self} does not implement get_config()")


def _axes(axis, ndim):
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim for a in axes)


def abs_max_quantize(inputs, axis, value_range=(-127, 127), dtype="int8",
                     epsilon=_EPSILON, to_numpy=False):
    """``(quantized, scale)`` of ``inputs`` by the absmax over ``axis`` (an int or a
    tuple); ``to_numpy`` computes on the host and returns numpy arrays."""
    lo, hi = value_range
    if to_numpy:
        x = np.asarray(inputs)
        axes = _axes(axis, x.ndim)
        scale = np.divide(hi, np.add(np.max(np.abs(x), axis=axes, keepdims=True), epsilon))
        scale = scale.astype(x.dtype)
        quantized = np.clip(np.round(np.multiply(x, scale)), lo, hi).astype(dtype)
        return quantized, scale
    x = ops.convert_to_tensor(inputs)
    axes = _axes(axis, len(ops.shape(x)))
    scale = ops.divide(hi, ops.add(ops.max(ops.abs(x), axis=axes, keepdims=True), epsilon))
    scale = ops.cast(scale, x.dtype)
    quantized = ops.clip(ops.round(ops.multiply(x, scale)), lo, hi)
    return ops.cast(quantized, dtype), scale


class AbsMaxQuantizer(Quantizer):
    """``abs_max_quantize`` as an object: ``quantizer(x, axis=None) -> (q, scale)``; the
    axis is the call's, else the constructor's, else -1."""

    def __init__(self, axis=None, value_range=(-127, 127), epsilon=_EPSILON,
                 output_dtype="int8"):
        super().__init__(output_dtype=output_dtype)
        self.axis = None if axis is None else \
            ((axis,) if isinstance(axis, int) else tuple(axis))
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError(f"Quantizer with output_dtype='int8' requires value_range to "
                             f"be within the interval [-128, 127]. Received: "
                             f"value_range={value_range}")

    def __call__(self, x, axis=None, to_numpy=False):
        axis = axis if axis is not None else (self.axis if self.axis is not None else -1)
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon,
                                to_numpy)

    def get_config(self):
        config = {"value_range": self.value_range, "epsilon": self.epsilon,
                  "output_dtype": self.output_dtype}
        if self.axis is not None:
            config["axis"] = self.axis
        return config

    def __eq__(self, other):
        return type(other) is AbsMaxQuantizer and other.get_config() == self.get_config()

    __hash__ = None


def compute_float8_scale(amax, scale, dtype_max, margin=0):
    """Keras 3's delayed-scaling update of a float8 scale from an amax: the reciprocal
    of ``dtype_max / amax / 2**margin``, keeping ``scale`` where amax is 0 or not finite."""
    old = ops.reciprocal(scale)
    new = ops.divide(ops.divide(dtype_max, amax), 2 ** margin)
    new = ops.where(ops.greater(amax, 0.0), new, old)
    new = ops.where(ops.isfinite(amax), new, old)
    return ops.reciprocal(new)


def serialize(quantizer):
    return {"module": "keras.quantizers", "class_name": type(quantizer).__name__,
            "config": quantizer.get_config(), "registered_name": None}


_CLASSES = {"Quantizer": Quantizer, "AbsMaxQuantizer": AbsMaxQuantizer}


def deserialize(config):
    name = config.get("class_name") if isinstance(config, dict) else None
    if name not in _CLASSES:
        raise ValueError(f"Could not interpret quantizer config: expected one of "
                         f"{sorted(_CLASSES)}. Received: {config!r}")
    inner = dict(config.get("config") or {})
    if "value_range" in inner:
        inner["value_range"] = tuple(inner["value_range"])
    return _CLASSES[name].from_config(inner)


def get(identifier):
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str) and identifier in _CLASSES:
        return _CLASSES[identifier]()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret quantizer identifier: {identifier!r}")


# ---- Keras 3's quantization_config of an int8 layer ---------------------------------------
def int8_config_entry():
    """What Keras 3.15.1 writes as ``quantization_config`` of a layer quantized with
    ``quantize("int8")``: the default Int8QuantizationConfig (absmax activations)."""
    return {"module": "keras.quantizers", "class_name": "Int8QuantizationConfig",
            "config": {"weight_quantizer": None,
                       "activation_quantizer": serialize(AbsMaxQuantizer())},
            "registered_name": None}


def check_quantization_config(value, where):
    """``quantization_config`` given to a layer: None, or the default int8 config (what
    ``quantize("int8")`` makes and Keras saves). Others are not implemented."""
    if value is None:
        return None
    if isinstance(value, dict) and value.get("class_name") == "Int8QuantizationConfig":
        inner = value.get("config") or {}
        act = inner.get("activation_quantizer")
        if inner.get("weight_quantizer") is None and act is not None and \
                deserialize(act) == AbsMaxQuantizer():
            return int8_config_entry()
    raise NotImplementedError(
        f"{where}: only the default int8 quantization config (what quantize('int8') "
        f"uses) is supported by keras_bridge. Received: quantization_config={value!r}")
