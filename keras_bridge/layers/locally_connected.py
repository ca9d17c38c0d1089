"""Locally connected layers: LocallyConnected1D, LocallyConnected2D (Keras 2).

A convolution whose weights are not shared: every output position has its own filter
bank. 'valid' padding only, as in Keras. Weights in Keras 2's layout (implementation 1):
``kernel`` ``(output_positions, prod(kernel_size) * in_channels, filters)`` with output
positions in row-major order, and ``bias`` ``(*output_spatial, filters)``. The feature
axis of the kernel follows Keras's patch flattening: ``(*kernel_size, channels)`` for
'channels_last' inputs, ``(channels, *kernel_size)`` for 'channels_first'.

``local_conv`` is the math, for any rank, with ``keras_bridge.ops`` (the windows of
``convolutional.windows``, then one batched contraction per position); both engines
run it as it is.
"""

import math

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.convolutional import from_channels_last, legacy_arguments
from keras_bridge.layers.convolutional import normalize_data_format, normalize_tuple
from keras_bridge.layers.convolutional import output_length, to_channels_last, windows
from keras_bridge.layers.core import serialize_or_none


def local_conv(inputs, kernel, kernel_size, strides, output_spatial, data_format):
    """Unshared-weight ('valid') convolution, as Keras's ``K.local_conv1d/2d``.

    Args:
        inputs: ``(batch, *spatial, channels)`` or ``(batch, channels, *spatial)``.
        kernel: ``(prod(output_spatial), features, filters)``, features flattened as
            ``(*kernel_size, channels)`` ('channels_last') or ``(channels, *kernel_size)``
            ('channels_first').
        kernel_size, strides, output_spatial: tuples of ``rank`` ints.
        data_format: 'channels_last' or 'channels_first' (of inputs and result).

    Returns:
        ``(batch, *output_spatial, filters)`` or ``(batch, filters, *output_spatial)``.
    """
    x = to_channels_last(inputs, data_format)
    rank = len(kernel_size)
    patches = windows(x, kernel_size, strides, (1,) * rank, output_spatial)
    if data_format == "channels_first":  # (..., k, c) -> (..., c, k): Keras's order
        ndim = len(ops.shape(patches))
        patches = ops.transpose(patches, tuple(range(ndim - 2)) + (ndim - 1, ndim - 2))
    positions, features, filters = kernel.shape
    patches = ops.reshape(patches, (-1, positions, features))  # -1: the batch may be unknown
    y = ops.einsum("bpf,pfo->bpo", patches, kernel)
    y = ops.reshape(y, (-1,) + tuple(output_spatial) + (filters,))
    return from_channels_last(y, data_format)


class _LocallyConnected(Layer):
    """N-D locally connected layer; subclasses set ``rank``.

    Args:
        filters: output channels.
        kernel_size, strides: int or tuple of ``rank`` ints.
        padding: 'valid' only (case-insensitive), as in Keras.
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
        activation: name or function; None means linear.
        use_bias, kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'),
        kernel/bias/activity regularizers, kernel/bias constraints: as in Keras.
        implementation: 1, the only kernel layout here (Keras 2's default).

    The spatial size of the input must be known.
    """

    rank = None

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, implementation=1, **kwargs):
        cls = type(self).__name__
        args = legacy_arguments(cls, kwargs, locals())
        super().__init__(**kwargs)
        if args["filters"] is None or args["kernel_size"] is None:
            raise ValueError(f"{cls} needs `filters` (a positive integer) and `kernel_size` "
                             f"(an int or a tuple of {self.rank} ints). Received: "
                             f"filters={args['filters']!r}, "
                             f"kernel_size={args['kernel_size']!r}")
        self.filters = normalize_tuple(args["filters"], 1, "filters", cls)[0]
        self.kernel_size = normalize_tuple(args["kernel_size"], self.rank, "kernel_size", cls)
        self.strides = normalize_tuple(args["strides"], self.rank, "strides", cls)
        padding = args["padding"]
        if not isinstance(padding, str) or padding.lower() != "valid":
            raise ValueError(f"The `padding` argument of {cls} must be 'valid' (the only "
                             f"padding Keras supports for it). Received: padding={padding!r}")
        self.padding = "valid"
        self.data_format = normalize_data_format(args["data_format"], cls)
        if implementation != 1:
            raise ValueError(f"The `implementation` argument of {cls} must be 1 (Keras 2's "
                             f"kernel layout (output_positions, features, filters)). "
                             f"Received: implementation={implementation!r}")
        self.implementation = 1
        self.activation = activations.get(args["activation"])
        self.use_bias = bool(args["use_bias"])
        for kind in ("kernel", "bias"):
            setattr(self, f"{kind}_initializer",
                    initializers.get(args[f"{kind}_initializer"]))
            setattr(self, f"{kind}_regularizer",
                    regularizers.get(args[f"{kind}_regularizer"]))
            setattr(self, f"{kind}_constraint", constraints.get(args[f"{kind}_constraint"]))
        self.activity_regularizer = regularizers.get(args["activity_regularizer"])
        self.input_spec = InputSpec(ndim=self.rank + 2)

    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def _spatial(self, shape):
        shape = tuple(shape)
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def _output_spatial(self, shape):
        return tuple(output_length(n, k, s, 1, "valid") for n, k, s in
                     zip(self._spatial(shape), self.kernel_size, self.strides))

    def compute_output_shape(self, input_shape):
        out = self._output_spatial(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (self.filters,)
        return (input_shape[0], self.filters) + out

    def build(self, input_shape):
        cls, shape = type(self).__name__, tuple(input_shape)
        channels = shape[self._channel_axis]
        if channels is None or None in self._spatial(shape):
            raise ValueError(f"{cls} layer {self.name!r} needs fully known spatial and "
                             f"channel dimensions. Received: input_shape={shape}")
        out = self._output_spatial(shape)
        if any(o <= 0 for o in out):
            raise ValueError(f"Input of shape {shape} is too small for layer {self.name!r} "
                             f"({cls}): spatial size {self._spatial(shape)} with kernel_size "
                             f"{self.kernel_size} and strides {self.strides} gives {out}.")
        self.kernel = self.add_weight(
            shape=(math.prod(out), math.prod(self.kernel_size) * channels, self.filters),
            name="kernel", initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = self.add_weight(
            shape=out + (self.filters,), name="bias", initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    def call(self, inputs):
        out = self._output_spatial(ops.shape(inputs))
        y = local_conv(inputs, self.kernel, self.kernel_size, self.strides, out,
                       self.data_format)
        if self.use_bias:
            bias = self.bias.value if self.data_format == "channels_last" else \
                from_channels_last(ops.expand_dims(self.bias.value, 0), "channels_first")
            y = ops.add(y, bias)
        return self.activation(y)

    def get_config(self):
        cfg = {"filters": self.filters, "kernel_size": self.kernel_size,
               "strides": self.strides, "padding": self.padding,
               "data_format": self.data_format,
               "activation": activations.serialize(self.activation),
               "use_bias": self.use_bias}
        for kind in ("kernel", "bias"):
            cfg[f"{kind}_initializer"] = initializers.serialize(
                getattr(self, f"{kind}_initializer"))
            cfg[f"{kind}_regularizer"] = serialize_or_none(getattr(self, f"{kind}_regularizer"))
            cfg[f"{kind}_constraint"] = serialize_or_none(getattr(self, f"{kind}_constraint"))
        cfg["activity_regularizer"] = serialize_or_none(self.activity_regularizer)
        cfg["implementation"] = self.implementation
        return {**super().get_config(), **cfg}


class LocallyConnected1D(_LocallyConnected):
    __doc__ = _LocallyConnected.__doc__ + """
    Example:
        y = LocallyConnected1D(64, 3)(Input(shape=(10, 32)))  # (None, 8, 64)
    """
    rank = 1


class LocallyConnected2D(_LocallyConnected):
    __doc__ = _LocallyConnected.__doc__ + """
    Example:
        y = LocallyConnected2D(64, (3, 3))(Input(shape=(32, 32, 3)))  # (None, 30, 30, 64)
    """
    rank = 2
