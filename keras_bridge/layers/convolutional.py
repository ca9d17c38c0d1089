"""Convolution layers: Conv1D/2D/3D, Conv1D/2D/3DTranspose, DepthwiseConv1D/2D,
SeparableConv1D/2D.

Kernels are in Keras layout whatever the engine holds: ``(*kernel_size, in // groups,
filters)`` for a convolution, ``(*kernel_size, filters, in)`` for a transpose,
``(*kernel_size, in, depth_multiplier)`` for a depthwise kernel. Padding follows Keras:
'same' pads ``max((ceil(n / s) - 1) * s + (k - 1) * d + 1 - n, 0)`` in all, the odd one
after (torch would pad both sides alike), and 'causal' (Conv1D) pads ``(k - 1) * d``
before. The reference ``call`` here is Keras 3's primitive (``ops.conv``,
``ops.depthwise_conv``, ``ops.separable_conv``, ``ops.conv_transpose``), each engine's own
kernel, then the bias and the activation: what a subclass, a layer without a rule and
the K functions run. The built-in classes lower to the same kernels through
``keras_bridge/backends/*/conv_rules.py``.

The padding arithmetic and the argument checks below are shared with the pooling and
reshaping layers and with both engines' rules.
"""

import itertools
import warnings

import numpy as np

from keras_bridge import activations, config, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.core import serialize_or_none
from keras_bridge.utils import lazy


# ---- argument checks ------------------------------------------------------------------
def normalize_tuple(value, n, name, cls, allow_zero=False):
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, checked."""
    items = (value,) * n if isinstance(value, (int, np.integer)) else value
    try:
        items = tuple(items)
    except TypeError:
        items = ()
    low = 0 if allow_zero else 1
    if len(items) != n or any(isinstance(v, bool) or not isinstance(v, (int, np.integer))
                              or v < low for v in items):
        what = "non-negative" if allow_zero else "positive"
        tuple_too = f" or a tuple of {n} {what} integers" if n > 1 else ""
        raise ValueError(f"The `{name}` argument of {cls} must be a {what} integer"
                         f"{tuple_too}. Received: {name}={value!r}")
    return tuple(int(v) for v in items)


def normalize_padding(value, cls, allowed=("valid", "same")):
    key = value.lower() if isinstance(value, str) else value
    if key not in allowed:
        raise ValueError(f"The `padding` argument of {cls} must be one of {allowed}. "
                         f"Received: padding={value!r}")
    return key


def normalize_data_format(value, cls):
    value = config.image_data_format() if value is None else value
    if value not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument of {cls} must be 'channels_last' or "
                         f"'channels_first'. Received: data_format={value!r}")
    return value


_LEGACY_NAMES = {  # Keras 1 spelling -> Keras 2/3 argument
    "nb_filter": "filters", "filter_length": "kernel_size", "border_mode": "padding",
    "subsample": "strides", "subsample_length": "strides", "init": "kernel_initializer",
    "W_regularizer": "kernel_regularizer", "b_regularizer": "bias_regularizer",
    "W_constraint": "kernel_constraint", "b_constraint": "bias_constraint",
    "bias": "use_bias", "dim_ordering": "data_format", "pool_length": "pool_size",
    "stride": "strides", "atrous_rate": "dilation_rate"}


def legacy_arguments(cls, kwargs, args):
    """``args`` (the modern arguments by name) updated from Keras 1 spellings popped from
    ``kwargs``, each with a DeprecationWarning naming the modern one."""
    args = dict(args)
    found = {}
    if "nb_row" in kwargs or "nb_col" in kwargs:
        found["kernel_size"] = (kwargs.pop("nb_row", None), kwargs.pop("nb_col", None))
        warnings.warn(f"{cls}(nb_row=..., nb_col=...) is deprecated; use "
                      f"{cls}(kernel_size=(rows, cols)).", DeprecationWarning, stacklevel=3)
    for old, new in _LEGACY_NAMES.items():
        if old in kwargs and new in args:
            value = kwargs.pop(old)
            warnings.warn(f"{cls}({old}=...) is deprecated; use {cls}({new}=...).",
                          DeprecationWarning, stacklevel=3)
            if old == "dim_ordering":
                value = {"tf": "channels_last", "th": "channels_first",
                         "default": None}.get(value, value)
            found[new] = value
    args.update(found)
    return args


# ---- Keras's padding arithmetic ---------------------------------------------------------
def same_padding(size, kernel, stride, dilation=1):
    """``(before, after)`` of Keras's 'same' padding of one axis (the odd one after)."""
    extent = (kernel - 1) * dilation + 1
    total = max((-(-size // stride) - 1) * stride + extent - size, 0)
    return total // 2, total - total // 2


def keras_pads(padding, spatial, kernel, strides, dilation):
    """Per spatial axis ``(before, after)`` of Keras's 'valid', 'same' or 'causal' padding."""
    if padding == "valid":
        return [(0, 0)] * len(kernel)
    if padding == "causal":
        return [((k - 1) * d, 0) for k, d in zip(kernel, dilation)]
    return [same_padding(n, k, s, d) for n, k, s, d in zip(spatial, kernel, strides, dilation)]


def output_length(size, kernel, stride, dilation, padding):
    """Length of one output axis of a convolution or pooling; None when unknown."""
    if size is None:
        return None
    if padding == "valid":
        return (size - (kernel - 1) * dilation - 1) // stride + 1
    return -(-size // stride)  # 'same' and 'causal'


def transpose_padding(kernel, stride, dilation, padding, output_padding):
    """``(before, after)`` padding of the stride-dilated input of a transposed convolution,
    for a convolution with the flipped kernel (Keras's definition, as its JAX backend)."""
    extent = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(extent, stride) - extent if output_padding is None else output_padding
        return extent - 1, extent - 1 + extra
    if output_padding is None:
        total = stride + extent - 2
    else:
        total = extent + extent % 2 - 2 + output_padding
    before = min(total // 2 + total % 2, extent - 1)
    return before, total - before


def transpose_output_length(size, kernel, stride, dilation, padding, output_padding):
    if size is None:
        return None
    before, after = transpose_padding(kernel, stride, dilation, padding, output_padding)
    return (size - 1) * stride + before + after + 1 - (kernel - 1) * dilation


# ---- helpers with ops: layout, padding, windows ---------------------------------------
def to_channels_last(x, data_format):
    if data_format == "channels_last":
        return x
    rank = len(ops.shape(x))
    return ops.transpose(x, (0,) + tuple(range(2, rank)) + (1,))


def from_channels_last(x, data_format):
    if data_format == "channels_last":
        return x
    rank = len(ops.shape(x))
    return ops.transpose(x, (0, rank - 1) + tuple(range(1, rank - 1)))


def pad_axis(x, axis, before, after, value=0.0):
    """``x`` with ``before``/``after`` entries of ``value`` added along ``axis``."""
    if before == 0 and after == 0:
        return x
    first = x[(slice(None),) * axis + (slice(0, 1),)]
    fill = ops.zeros_like(first) if value == 0 else ops.add(ops.zeros_like(first), value)
    parts = ([ops.repeat(fill, before, axis=axis)] if before else []) + [x] + \
        ([ops.repeat(fill, after, axis=axis)] if after else [])
    return ops.concatenate(parts, axis=axis)


def windows(x, kernel_size, strides, dilation, out_sizes):
    """Stack of the ``prod(kernel_size)`` strided views of channels-last ``x`` (already
    padded), shape ``(batch, *out_sizes, prod(kernel_size), channels)``."""
    views = []
    for offsets in itertools.product(*(range(k) for k in kernel_size)):
        index = tuple(slice(o * d, o * d + (n - 1) * s + 1, s)
                      for o, d, n, s in zip(offsets, dilation, out_sizes, strides))
        views.append(x[(slice(None),) + index])
    return ops.stack(views, axis=-2)


# ---- layers -----------------------------------------------------------------------------
class _BaseConv(Layer):
    """What every convolution shares: geometry, shapes, bias, activation. Subclasses set
    ``rank`` and create their kernels in ``build``."""

    rank = None
    _padding_modes = ("valid", "same")

    def __init__(self, args, **kwargs):
        super().__init__(**kwargs)
        cls = type(self).__name__
        if args["kernel_size"] is None:
            raise ValueError(f"{cls} needs a kernel_size (an int or a tuple of {self.rank} "
                             "ints).")
        self.kernel_size = normalize_tuple(args["kernel_size"], self.rank, "kernel_size", cls)
        self.strides = normalize_tuple(args["strides"], self.rank, "strides", cls)
        self.dilation_rate = normalize_tuple(args["dilation_rate"], self.rank,
                                             "dilation_rate", cls)
        self.padding = normalize_padding(args["padding"], cls, self._padding_modes)
        self.data_format = normalize_data_format(args["data_format"], cls)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"{cls} does not support strides > 1 together with "
                             f"dilation_rate > 1. Received: strides={self.strides}, "
                             f"dilation_rate={self.dilation_rate}")
        self.activation = activations.get(args["activation"])
        self.use_bias = bool(args["use_bias"])
        self.bias_initializer = initializers.get(args["bias_initializer"])
        self.bias_regularizer = regularizers.get(args["bias_regularizer"])
        self.activity_regularizer = regularizers.get(args["activity_regularizer"])
        self.bias_constraint = constraints.get(args["bias_constraint"])
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _set_weight_args(self, prefix, args):
        setattr(self, f"{prefix}_initializer", initializers.get(args[f"{prefix}_initializer"]))
        setattr(self, f"{prefix}_regularizer", regularizers.get(args[f"{prefix}_regularizer"]))
        setattr(self, f"{prefix}_constraint", constraints.get(args[f"{prefix}_constraint"]))

    def _positive(self, value, name):
        return normalize_tuple(value, 1, name, type(self).__name__)[0]

    # ---- shapes ----
    @property
    def _channel_axis(self):
        return -1 if self.data_format == "channels_last" else 1

    def spatial_shape(self, shape):
        shape = tuple(shape)
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def _input_channels(self, input_shape):
        channels = input_shape[self._channel_axis]
        if channels is None:
            raise ValueError(f"The channel dimension of the input to {type(self).__name__} "
                             f"layer {self.name!r} must be known. Received: "
                             f"input_shape={tuple(input_shape)}")
        return channels

    def _output_spatial(self, input_shape):
        spatial = self.spatial_shape(input_shape)
        out = tuple(output_length(n, k, s, d, self.padding) for n, k, s, d in
                    zip(spatial, self.kernel_size, self.strides, self.dilation_rate))
        if any(o is not None and o <= 0 for o in out):
            extent = tuple((k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate))
            raise ValueError(
                f"Input of shape {tuple(input_shape)} is too small for layer {self.name!r} "
                f"({type(self).__name__}): spatial size {spatial} with kernel_size "
                f"{self.kernel_size} (extent {extent} with dilation_rate "
                f"{self.dilation_rate}), strides {self.strides} and padding "
                f"{self.padding!r} gives output size {out}. Use a larger input, a smaller "
                "kernel or padding='same'.")
        return out

    def _output_channels(self, input_shape):
        return self.filters

    def compute_output_shape(self, input_shape):
        out = self._output_spatial(input_shape)
        channels = self._output_channels(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (channels,)
        return (input_shape[0], channels) + out

    def _check_inputs(self, shapes):
        super()._check_inputs(shapes)
        if len(shapes) == self.rank + 2:  # sizes are checked on every call
            self._output_spatial(shapes)

    def _finish_build(self, input_shape, channels, bias_size):
        self.bias = self.add_weight(
            shape=(bias_size,), name="bias", initializer=self.bias_initializer,
            regularizer=self.bias_regularizer, constraint=self.bias_constraint) \
            if self.use_bias else None
        self.input_spec = InputSpec(ndim=self.rank + 2, axes={self._channel_axis: channels})
        self.built = True

    # ---- reference computation ----
    def padding_pairs(self, input_shape):
        """Per spatial axis ``(before, after)`` padding of the input, Keras's rules."""
        return keras_pads(self.padding, self.spatial_shape(input_shape), self.kernel_size,
                          self.strides, self.dilation_rate)

    def _finish(self, y):
        """Bias (on the channel axis of ``data_format``) and activation."""
        if self.use_bias:
            bias = self.bias if self.data_format == "channels_last" else \
                ops.reshape(self.bias, (-1,) + (1,) * self.rank)
            y = ops.add(y, bias)
        return self.activation(y)

    # ---- config ----
    def _geometry_config(self):
        return {"kernel_size": self.kernel_size, "strides": self.strides,
                "padding": self.padding, "data_format": self.data_format,
                "dilation_rate": self.dilation_rate}

    def _common_config(self):
        return {"activation": activations.serialize(self.activation),
                "use_bias": self.use_bias,
                "bias_initializer": initializers.serialize(self.bias_initializer),
                "bias_regularizer": serialize_or_none(self.bias_regularizer),
                "activity_regularizer": serialize_or_none(self.activity_regularizer),
                "bias_constraint": serialize_or_none(self.bias_constraint)}

    def _weight_config(self, prefix):
        return {f"{prefix}_initializer":
                initializers.serialize(getattr(self, f"{prefix}_initializer")),
                f"{prefix}_regularizer":
                serialize_or_none(getattr(self, f"{prefix}_regularizer")),
                f"{prefix}_constraint":
                serialize_or_none(getattr(self, f"{prefix}_constraint"))}


class _Conv(_BaseConv):
    """N-D convolution, kernel ``(*kernel_size, in_channels // groups, filters)``."""

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        args = legacy_arguments(type(self).__name__, kwargs, locals())
        super().__init__(args, **kwargs)
        self.filters = self._positive(args["filters"], "filters")
        self.groups = self._positive(groups, "groups")
        if self.filters % self.groups:
            raise ValueError(f"The number of filters of {type(self).__name__} must be "
                             f"divisible by the number of groups. Received: "
                             f"filters={self.filters}, groups={self.groups}")
        self._set_weight_args("kernel", args)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(f"The number of input channels of layer {self.name!r} must be "
                             f"divisible by groups={self.groups}. Received: "
                             f"input_shape={tuple(input_shape)}")
        self._output_spatial(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels // self.groups, self.filters), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self._finish_build(input_shape, channels, self.filters)

    def call(self, inputs):
        x, padding = inputs, self.padding
        if padding == "causal":  # Keras 3's ops.conv has no 'causal': pad, then 'valid'
            axis = 1 if self.data_format == "channels_last" else 2
            x = pad_axis(x, axis, (self.kernel_size[0] - 1) * self.dilation_rate[0], 0)
            padding = "valid"
        return self._finish(ops.conv(x, self.kernel, self.strides, padding, self.data_format,
                                     self.dilation_rate))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._geometry_config(),
                "groups": self.groups, **self._common_config(),
                **self._weight_config("kernel")}


_CONV_ARGS = """
    Args:
        filters: number of output channels.
        kernel_size: int or tuple of {rank} ints, the window size.
        strides: int or tuple of {rank} ints; strides > 1 exclude dilation_rate > 1.
        padding: {paddings} (case-insensitive). 'same' pads like Keras: the odd
            padding goes after.
        data_format: 'channels_last' ``(batch, *spatial, channels)`` or 'channels_first'
            ``(batch, channels, *spatial)``; default ``config.image_data_format()``.
        dilation_rate: int or tuple of {rank} ints.
        groups: input channels and filters are split into this many groups, each
            convolved separately.
        activation: name or function applied to the output; None means linear.
        use_bias: whether to add a bias vector of size ``filters``.
        kernel_initializer, bias_initializer, kernel_regularizer, bias_regularizer,
        activity_regularizer, kernel_constraint, bias_constraint: as in Keras.

    The kernel has shape ``(*kernel_size, in_channels // groups, filters)``.
"""


class Conv1D(_Conv):
    """1D convolution (temporal), e.g. over ``(batch, steps, channels)``.

    Example:
        x = Input(shape=(100, 8))
        y = Conv1D(32, 5, padding="causal", activation="relu")(x)  # (None, 100, 32)
    """
    __doc__ += _CONV_ARGS.format(rank=1, paddings="'valid', 'same' or 'causal'")
    rank = 1
    _padding_modes = ("valid", "same", "causal")


class Conv2D(_Conv):
    """2D convolution over images.

    Example:
        x = Input(shape=(28, 28, 1))
        y = Conv2D(32, (3, 3), activation="relu")(x)  # (None, 26, 26, 32)
    """
    __doc__ += _CONV_ARGS.format(rank=2, paddings="'valid' or 'same'")
    rank = 2


class Conv3D(_Conv):
    """3D convolution over volumes ``(batch, depth, height, width, channels)``."""
    __doc__ += _CONV_ARGS.format(rank=3, paddings="'valid' or 'same'")
    rank = 3


class _ConvTranspose(_BaseConv):
    """Transposed convolution: the gradient of a convolution with respect to its input.

    Kernel ``(*kernel_size, filters, in_channels)``. Output length per axis, as Keras:
    'valid' ``(n - 1) * s + max(k', s)`` and 'same' ``n * s`` (``k'`` the dilated kernel
    extent); with ``output_padding`` p, 'valid' ``(n - 1) * s + k' + p`` and 'same'
    ``(n - 1) * s + k' % 2 + p``. ``output_padding`` must be smaller than the strides.
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, output_padding=None,
                 **kwargs):
        args = legacy_arguments(type(self).__name__, kwargs, locals())
        super().__init__(args, **kwargs)
        cls = type(self).__name__
        self.filters = self._positive(args["filters"], "filters")
        self._set_weight_args("kernel", args)
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(output_padding, self.rank, "output_padding",
                                                  cls, allow_zero=True)
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(f"The output_padding of {cls} must be smaller than the "
                                 f"strides. Received: output_padding={self.output_padding}, "
                                 f"strides={self.strides}")

    def _output_padding(self, axis):
        return None if self.output_padding is None else self.output_padding[axis]

    def transpose_padding_pairs(self):
        """Per axis ``(before, after)`` padding of the stride-dilated input."""
        return [transpose_padding(k, s, d, self.padding, self._output_padding(i))
                for i, (k, s, d) in enumerate(zip(self.kernel_size, self.strides,
                                                  self.dilation_rate))]

    def _output_spatial(self, input_shape):
        return tuple(transpose_output_length(n, k, s, d, self.padding, self._output_padding(i))
                     for i, (n, k, s, d) in enumerate(zip(
                         self.spatial_shape(input_shape), self.kernel_size, self.strides,
                         self.dilation_rate)))

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel = self.add_weight(
            shape=self.kernel_size + (self.filters, channels), name="kernel",
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint)
        self._finish_build(input_shape, channels, self.filters)

    def call(self, inputs):
        return self._finish(ops.conv_transpose(
            inputs, self.kernel, self.strides, self.padding, self.output_padding,
            self.data_format, self.dilation_rate))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._geometry_config(),
                "output_padding": self.output_padding, **self._common_config(),
                **self._weight_config("kernel")}


class Conv1DTranspose(_ConvTranspose):
    __doc__ = _ConvTranspose.__doc__ + _CONV_ARGS.format(rank=1, paddings="'valid' or 'same'")
    rank = 1


class Conv2DTranspose(_ConvTranspose):
    __doc__ = _ConvTranspose.__doc__ + _CONV_ARGS.format(rank=2, paddings="'valid' or 'same'")
    rank = 2


class Conv3DTranspose(_ConvTranspose):
    __doc__ = _ConvTranspose.__doc__ + _CONV_ARGS.format(rank=3, paddings="'valid' or 'same'")
    rank = 3


class _DepthwiseConv(_BaseConv):
    """Depthwise convolution: each input channel convolved with its own
    ``depth_multiplier`` filters; output channel ``c * depth_multiplier + m``.

    Args:
        kernel_size, strides, padding, data_format, dilation_rate, activation, use_bias:
            as in Conv2D.
        depth_multiplier: output channels per input channel.
        depthwise_initializer, depthwise_regularizer, depthwise_constraint: for the
            kernel, of shape ``(*kernel_size, in_channels, depth_multiplier)``.
        bias_initializer, bias_regularizer, activity_regularizer, bias_constraint: as in
            Keras.
    """

    def __init__(self, kernel_size=None, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        args = legacy_arguments(type(self).__name__, kwargs, locals())
        super().__init__(args, **kwargs)
        self.depth_multiplier = self._positive(depth_multiplier, "depth_multiplier")
        self._set_weight_args("depthwise", args)

    def _output_channels(self, input_shape):
        channels = input_shape[self._channel_axis]
        return None if channels is None else channels * self.depth_multiplier

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._output_spatial(input_shape)
        # Keras 3 names it 'kernel' (Keras 2: 'depthwise_kernel', kept as an alias).
        self.kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier), name="kernel",
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)
        self._finish_build(input_shape, channels, channels * self.depth_multiplier)

    @property
    def depthwise_kernel(self):
        return self.kernel

    def call(self, inputs):
        return self._finish(ops.depthwise_conv(inputs, self.kernel, self.strides,
                                               self.padding, self.data_format,
                                               self.dilation_rate))

    def get_config(self):
        return {**super().get_config(), **self._geometry_config(),
                "depth_multiplier": self.depth_multiplier, **self._common_config(),
                **self._weight_config("depthwise")}


class DepthwiseConv1D(_DepthwiseConv):
    __doc__ = _DepthwiseConv.__doc__
    rank = 1


class DepthwiseConv2D(_DepthwiseConv):
    __doc__ = _DepthwiseConv.__doc__ + """
    Example:
        y = DepthwiseConv2D(3, depth_multiplier=2)(Input(shape=(8, 8, 4)))  # (None, 6, 6, 8)
    """
    rank = 2


class _SeparableConv(_BaseConv):
    """Depthwise convolution (strides, padding, dilation) then a 1x1 convolution to
    ``filters`` channels, and the bias.

    Args:
        filters: output channels of the pointwise step.
        kernel_size, strides, padding, data_format, dilation_rate, depth_multiplier,
        activation, use_bias: as in DepthwiseConv2D / Conv2D.
        depthwise_*, pointwise_*, bias_*, activity_regularizer: initializers,
            regularizers and constraints of the kernels ``(*kernel_size, in,
            depth_multiplier)`` and ``(1, ..., 1, in * depth_multiplier, filters)``.
    """

    def __init__(self, filters=None, kernel_size=None, strides=1, padding="valid",
                 data_format=None, dilation_rate=1, depth_multiplier=1, activation=None,
                 use_bias=True, depthwise_initializer="glorot_uniform",
                 pointwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, pointwise_regularizer=None,
                 bias_regularizer=None, activity_regularizer=None, depthwise_constraint=None,
                 pointwise_constraint=None, bias_constraint=None, **kwargs):
        args = legacy_arguments(type(self).__name__, kwargs, locals())
        super().__init__(args, **kwargs)
        self.filters = self._positive(args["filters"], "filters")
        self.depth_multiplier = self._positive(depth_multiplier, "depth_multiplier")
        self._set_weight_args("depthwise", args)
        self._set_weight_args("pointwise", args)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self._output_spatial(input_shape)
        self.depthwise_kernel = self.add_weight(
            shape=self.kernel_size + (channels, self.depth_multiplier),
            name="depthwise_kernel", initializer=self.depthwise_initializer,
            regularizer=self.depthwise_regularizer, constraint=self.depthwise_constraint)
        self.pointwise_kernel = self.add_weight(
            shape=(1,) * self.rank + (channels * self.depth_multiplier, self.filters),
            name="pointwise_kernel", initializer=self.pointwise_initializer,
            regularizer=self.pointwise_regularizer, constraint=self.pointwise_constraint)
        self._finish_build(input_shape, channels, self.filters)

    def call(self, inputs):
        return self._finish(ops.separable_conv(
            inputs, self.depthwise_kernel, self.pointwise_kernel, self.strides, self.padding,
            self.data_format, self.dilation_rate))

    def get_config(self):
        return {**super().get_config(), "filters": self.filters, **self._geometry_config(),
                "depth_multiplier": self.depth_multiplier, **self._common_config(),
                **self._weight_config("depthwise"), **self._weight_config("pointwise")}


class SeparableConv1D(_SeparableConv):
    __doc__ = _SeparableConv.__doc__
    rank = 1


class SeparableConv2D(_SeparableConv):
    __doc__ = _SeparableConv.__doc__ + """
    Example:
        y = SeparableConv2D(16, 3, padding="same")(Input(shape=(8, 8, 4)))  # (None, 8, 8, 16)
    """
    rank = 2


# Keras's other names for the same classes.
Convolution1D, Convolution2D, Convolution3D = Conv1D, Conv2D, Conv3D
Convolution1DTranspose, Convolution2DTranspose = Conv1DTranspose, Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
SeparableConvolution1D, SeparableConvolution2D = SeparableConv1D, SeparableConv2D
Deconvolution2D = Deconv2D = Conv2DTranspose  # Keras 2's names
Deconvolution3D = Deconv3D = Conv3DTranspose


def _atrous(conv, name):
    def make(*args, atrous_rate=1, **kwargs):
        warnings.warn(f"{name} is deprecated; use {conv.__name__}(dilation_rate=...).",
                      DeprecationWarning, stacklevel=2)
        kwargs.setdefault("dilation_rate", atrous_rate)
        return conv(*args, **kwargs)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = f"Keras 1's dilated convolution: ``{conv.__name__}`` with ``dilation_rate``."
    return make


AtrousConvolution1D = AtrousConv1D = _atrous(Conv1D, "AtrousConvolution1D")
AtrousConvolution2D = AtrousConv2D = _atrous(Conv2D, "AtrousConvolution2D")

# Keras 2's keras.layers.convolutional also held the padding, cropping and up-sampling
# layers and the pooling layers; their modules import this one, so they are re-exported
# on first access (keras_bridge/utils/lazy.py).
_REEXPORTS = {name: "keras_bridge.layers.reshaping" for name in (
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
    "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D")}
_REEXPORTS.update({name: "keras_bridge.layers.pooling" for name in (
    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D")})
__getattr__, __dir__ = lazy.reexports(__name__, _REEXPORTS)
