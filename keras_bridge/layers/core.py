"""Core layers: Input, Dense, Activation, Dropout, Flatten, Reshape, Permute,
RepeatVector, Lambda."""

import inspect
import math
import warnings

import numpy as np

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.quantized import Quantizable, int8_contract
from keras_bridge.graph import KerasTensor, Node
from keras_bridge.layers.seeded import seed_generator
from keras_bridge.utils import lazy, naming


class InputLayer(Layer):
    """The layer behind ``Input``: it has no weights and no computation."""

    _is_input_layer = True

    def __init__(self, input_shape=None, batch_size=None, dtype=None, name=None,
                 batch_input_shape=None, **kwargs):
        name = name or naming.uniquify("input", zero_based=False)
        if batch_input_shape is not None:
            batch_shape = tuple(batch_input_shape)
        else:
            if input_shape is None:
                raise ValueError("An input needs a shape: pass shape= (without the batch axis).")
            input_shape = (input_shape,) if isinstance(input_shape, int) else input_shape
            batch_shape = (batch_size,) + tuple(input_shape)
        for i, d in enumerate(batch_shape):
            # A sample axis may be empty; a batch of no samples could hold no data.
            if d is not None and (isinstance(d, bool) or not isinstance(d, (int, np.integer))
                                  or d < (1 if i == 0 else 0)):
                if i == 0:
                    raise ValueError(f"Expected batch_size to be a positive integer or None "
                                     f"(any batch size). Received: batch_size={d!r}")
                raise ValueError(f"Input shape dimensions must be non-negative ints or None. "
                                 f"Received: shape={batch_shape[1:]}")
        super().__init__(name=name, dtype=dtype, **kwargs)  # default: the global policy
        self._batch_input_shape = batch_shape
        self.built = True
        node = Node(self, [])
        node.set_outputs(KerasTensor(batch_shape, self.dtype, node, 0, name=self.name))
        self._inbound_nodes.append(node)

    @property
    def input(self):
        """The tensor this layer makes (Keras 2: an input layer's input is its output)."""
        return self._inbound_nodes[0].outputs

    def get_config(self):
        return {"batch_input_shape": self._batch_input_shape, "dtype": self.dtype,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def Input(shape=None, batch_size=None, dtype=None, name=None, batch_shape=None):
    """A symbolic input tensor of ``shape`` (without the batch axis).

    Example:
        x = Input(shape=(784,), name="pixels")
        y = Dense(10)(x)
    """
    if shape is None and batch_shape is None:
        raise ValueError("Input() needs shape= (the shape of one sample, without the batch "
                         "axis), e.g. Input(shape=(784,)).")
    layer = InputLayer(input_shape=shape, batch_size=batch_size, dtype=dtype, name=name,
                       batch_input_shape=batch_shape)
    return layer._inbound_nodes[0].outputs


def _check_positive_int(layer_name, arg, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"Expected a positive integer for {arg} of {layer_name}. "
                         f"Received: {arg}={value!r}")
    return int(value)


class Dense(Quantizable, Layer):
    """``activation(inputs @ kernel + bias)``, kernel of shape ``(input_dim, units)``.

    Args:
        units: size of the last axis of the output.
        activation: name or function; None means linear.
        use_bias: whether to add a bias vector.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in Keras.
        quantization_config: None, or the int8 config a quantized Dense saves
            (``quantize("int8")`` sets it; layers/quantized.py).
    """

    supports_masking = True
    _float_weight_name = "kernel"
    _keras3_quantized_order = ("kernel", "bias", "kernel_scale")

    def __init__(self, units=None, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, quantization_config=None,
                 **kwargs):
        if "output_dim" in kwargs:
            warnings.warn("Dense(output_dim=...) is deprecated; use Dense(units=...).",
                          DeprecationWarning, stacklevel=2)
            units = kwargs.pop("output_dim")
        super().__init__(**kwargs)
        self.units = _check_positive_int("Dense", "units", units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.input_spec = InputSpec(min_ndim=2)
        self._init_quantization(quantization_config)

    def build(self, input_shape):
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the input to Dense layer {self.name!r} "
                             f"must be known. Received: input_shape={tuple(input_shape)}")
        self._input_dim = int(input_dim)
        if self._quantization_mode is not None:
            self._build_quantized()
        else:
            self.kernel = self.add_weight(shape=(input_dim, self.units),
                                          initializer=self.kernel_initializer, name="kernel",
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint)
        self.bias = self.add_weight(shape=(self.units,), initializer=self.bias_initializer,
                                    name="bias", regularizer=self.bias_regularizer,
                                    constraint=self.bias_constraint) if self.use_bias else None
        self.input_spec = InputSpec(min_ndim=2, axes={-1: input_dim})
        self.built = True

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def _quantized_shapes(self):
        return [("kernel", (self._input_dim, self.units), "int8"),
                ("kernel_scale", (self.units,), self.dtype)]

    def _quantized_weights(self, kernel):
        from keras_bridge.quantizers import abs_max_quantize
        q, scale = abs_max_quantize(kernel, axis=0, to_numpy=True)  # per output unit
        return [("kernel", q), ("kernel_scale", scale[0])]

    def call(self, inputs):
        if self._quantization_mode == "int8":
            x = int8_contract(ops.matmul, lambda up, k: ops.matmul(up, ops.transpose(k)),
                              inputs, self.kernel, self.kernel_scale, -1,
                              self.compute_dtype)
        else:
            x = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            x = ops.add(x, self.bias)
        return self.activation(x)

    def get_config(self):
        return self._quantized_config({**super().get_config(), "units": self.units,
                "activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "kernel_initializer": initializers.serialize(self.kernel_initializer),
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "kernel_regularizer": serialize_or_none(self.kernel_regularizer),
                "bias_regularizer": serialize_or_none(self.bias_regularizer),
                "activity_regularizer": serialize_or_none(self.activity_regularizer),
                "kernel_constraint": serialize_or_none(self.kernel_constraint),
                "bias_constraint": serialize_or_none(self.bias_constraint)})


def serialize_or_none(obj):
    if obj is None:
        return None
    return {"class_name": type(obj).__name__, "config": obj.get_config()}


class Activation(Layer):
    """Applies an activation function (a name such as 'relu', or a function)."""

    supports_masking = True

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)

    def call(self, inputs):
        return self.activation(inputs)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}


class Dropout(Layer):
    """In training, zeros a fraction ``rate`` of inputs and scales the rest by
    ``1 / (1 - rate)``; in inference it passes inputs through.

    Its mask comes from its own ``seed_generator`` (made from ``seed``, as in Keras 3),
    whose state is a non-trainable variable: a pure call (``stateless_call`` inside a
    user's ``jax.jit``, JAX's train step) reads it and returns it advanced, so each call
    draws a new mask. Torch's ``fit`` lowers the layer to ``F.dropout`` on torch's own
    generator instead (see ``backends/torch/core_rules.py``).
    """

    supports_masking = True

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate!r}")
        self.rate = float(rate)
        self.noise_shape = tuple(noise_shape) if noise_shape is not None else None
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = seed_generator(seed)

    def call(self, inputs, training=None):
        if training and self.rate >= 1:
            return ops.zeros_like(inputs)
        if training and self.rate > 0:
            return ops.random_dropout(inputs, self.rate, self.noise_shape,
                                      seed=self.seed_generator.next())
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}


class Flatten(Layer):
    """Flattens every axis but the batch axis (channels_first inputs are first moved to
    channels_last order, as Keras does, so Dense weights mean the same on both)."""

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        from keras_bridge import config
        self.data_format = data_format or config.image_data_format()
        if self.data_format not in ("channels_last", "channels_first"):
            raise ValueError(f"Expected data_format 'channels_last' or 'channels_first'. "
                             f"Received: data_format={data_format!r}")
        self.input_spec = InputSpec(min_ndim=1)

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        size = None if any(d is None for d in rest) else int(math.prod(rest))
        return (input_shape[0], size)

    def call(self, inputs):
        rank = len(ops.shape(inputs))
        if self.data_format == "channels_first" and rank > 2:
            inputs = ops.transpose(inputs, (0,) + tuple(range(2, rank)) + (1,))
        return ops.reshape(inputs, (ops.shape(inputs)[0], -1))

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


class Reshape(Layer):
    """Reshapes each sample to ``target_shape`` (one entry may be -1)."""

    def __init__(self, target_shape, **kwargs):
        super().__init__(**kwargs)
        self.target_shape = tuple(int(d) for d in target_shape)
        if sum(d == -1 for d in self.target_shape) > 1 or any(
                d < -1 or d == 0 for d in self.target_shape):
            raise ValueError(f"Reshape target_shape may hold positive sizes and at most one "
                             f"-1. Received: target_shape={target_shape!r}")

    def compute_output_shape(self, input_shape):
        rest = input_shape[1:]
        target = list(self.target_shape)
        if any(d is None for d in rest):
            return (input_shape[0],) + tuple(None if d == -1 else d for d in target)
        total = int(math.prod(rest))
        known = int(math.prod(d for d in target if d != -1))
        if -1 in target:
            if known == 0 or total % known:
                raise ValueError(self._mismatch(input_shape))
            target[target.index(-1)] = total // known
        elif known != total:
            raise ValueError(self._mismatch(input_shape))
        return (input_shape[0],) + tuple(target)

    def _check_inputs(self, shapes):
        self.compute_output_shape(tuple(shapes))  # sizes checked on every call

    def _mismatch(self, input_shape):
        return (f"Layer {self.name!r} cannot reshape an input of shape {tuple(input_shape)} "
                f"to target_shape {self.target_shape}: the total sizes differ.")

    def call(self, inputs):
        return ops.reshape(inputs, (ops.shape(inputs)[0],) + self.target_shape)

    def get_config(self):
        return {**super().get_config(), "target_shape": self.target_shape}


class Permute(Layer):
    """Permutes the non-batch axes; ``dims`` counts them from 1, as Keras does."""

    def __init__(self, dims, **kwargs):
        super().__init__(**kwargs)
        self.dims = tuple(int(d) for d in dims)
        if sorted(self.dims) != list(range(1, len(self.dims) + 1)):
            raise ValueError(f"Invalid permutation argument `dims` for Permute layer: it must "
                             f"be a permutation of 1..{len(self.dims)}. Received: dims={dims!r}")
        self.input_spec = InputSpec(ndim=len(self.dims) + 1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def call(self, inputs):
        return ops.transpose(inputs, (0,) + self.dims)

    def get_config(self):
        return {**super().get_config(), "dims": self.dims}


class RepeatVector(Layer):
    """Repeats a ``(batch, features)`` input ``n`` times: ``(batch, n, features)``."""

    def __init__(self, n, **kwargs):
        super().__init__(**kwargs)
        self.n = _check_positive_int("RepeatVector", "n", n)
        self.input_spec = InputSpec(ndim=2)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.n, input_shape[1])

    def call(self, inputs):
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def get_config(self):
        return {**super().get_config(), "n": self.n}


class Lambda(Layer):
    """Wraps a function of tensors (written with ``keras_bridge.ops``) as a layer.

    Args:
        function: called as ``function(inputs, **arguments)``.
        output_shape: shape without the batch axis, or a function of the input shape;
            when omitted it is found by running ``function``.
        arguments: extra keyword arguments for ``function``.
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(f"Lambda expects a callable. Received: {function!r}")
        self.function = function
        self._output_shape = output_shape
        self.arguments = dict(arguments or {})
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        # As Keras 3: the function gets mask / training when it names them.
        self._passed = [name for name in ("mask", "training") if name in params]

    def call(self, inputs, mask=None, training=None):
        given = {"mask": mask, "training": training}
        return self.function(inputs, **self.arguments, **{k: given[k] for k in self._passed})

    def compute_output_shape(self, input_shape):
        if self._output_shape is None:
            return super().compute_output_shape(input_shape)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        first = input_shape[0] if isinstance(input_shape, list) else input_shape
        return (first[0],) + tuple(self._output_shape)

    def get_config(self):
        raise NotImplementedError(
            f"Lambda layer {self.name!r} holds Python code, which has no plain config. "
            "Define a Layer subclass with get_config to save it.")


# Keras 2's keras.layers.core also held these; their modules import this one, so they
# are re-exported on first access (keras_bridge/utils/lazy.py).
__getattr__, __dir__ = lazy.reexports(__name__, {
    "Masking": "keras_bridge.layers.sequence",
    "SpatialDropout1D": "keras_bridge.layers.reshaping",
    "SpatialDropout2D": "keras_bridge.layers.reshaping",
    "SpatialDropout3D": "keras_bridge.layers.reshaping",
    "ActivityRegularization": "keras_bridge.layers.regularization",
})


class Identity(Layer):
    """Returns its inputs unchanged (a placeholder layer; masks pass through)."""

    supports_masking = True

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return input_shape
