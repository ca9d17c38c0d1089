"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global poolings.

Padding follows Keras: 'same' pads ``max((ceil(n / s) - 1) * s + k - n, 0)`` in all, the
odd one after. Max pooling never picks a padded entry; average pooling averages the
entries inside the input only. The reference ``call`` is Keras 3's ``ops.max_pool`` /
``ops.average_pool`` (the engine's own kernel, what a subclass runs); the built-in
classes lower to the same kernels (``keras_bridge/backends/*/conv_rules.py``). Global poolings are a
reduction, which is the engine's own op, so they run their ``call`` on both engines.
"""

import numpy as np

from keras_bridge import ops
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.convolutional import legacy_arguments, normalize_data_format
from keras_bridge.layers.convolutional import normalize_padding, normalize_tuple
from keras_bridge.layers.convolutional import keras_pads, output_length


def average_counts(spatial, pool_size, strides, pads):
    """numpy array of the number of input entries in each output window, shape
    ``(*out, 1)`` (for channels-last broadcasting)."""
    counts = []
    for n, k, s, (before, after) in zip(spatial, pool_size, strides, pads):
        out = (n + before + after - k) // s + 1
        start = np.arange(out) * s - before
        counts.append(np.minimum(start + k, n) - np.maximum(start, 0))
    grid = counts[0]
    for c in counts[1:]:
        grid = np.multiply.outer(grid, c)
    return grid.astype("float32")[..., None]


class _Pooling(Layer):
    """Windowed max or average; subclasses set ``rank`` and ``mode``."""

    rank = None
    mode = None  # 'max' or 'avg'

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None,
                 **kwargs):
        cls = type(self).__name__
        args = legacy_arguments(cls, kwargs, locals())
        super().__init__(**kwargs)
        self.pool_size = normalize_tuple(args["pool_size"], self.rank, "pool_size", cls)
        strides = self.pool_size if args["strides"] is None else args["strides"]
        self.strides = normalize_tuple(strides, self.rank, "strides", cls)
        self.padding = normalize_padding(args["padding"], cls)
        self.data_format = normalize_data_format(args["data_format"], cls)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def spatial_shape(self, shape):
        shape = tuple(shape)
        return shape[1:-1] if self.data_format == "channels_last" else shape[2:]

    def _output_spatial(self, input_shape):
        spatial = self.spatial_shape(input_shape)
        out = tuple(output_length(n, k, s, 1, self.padding)
                    for n, k, s in zip(spatial, self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(
                f"Input of shape {tuple(input_shape)} is too small for layer {self.name!r} "
                f"({type(self).__name__}): spatial size {spatial} with pool_size "
                f"{self.pool_size}, strides {self.strides} and padding {self.padding!r} "
                f"gives output size {out}. Use a larger input, a smaller pool_size or "
                "padding='same'.")
        return out

    def compute_output_shape(self, input_shape):
        out = self._output_spatial(input_shape)
        if self.data_format == "channels_last":
            return (input_shape[0],) + out + (input_shape[-1],)
        return (input_shape[0], input_shape[1]) + out

    def _check_inputs(self, shapes):
        super()._check_inputs(shapes)
        if len(shapes) == self.rank + 2:  # sizes are checked on every call
            self._output_spatial(shapes)

    def padding_pairs(self, input_shape):
        """Per spatial axis ``(before, after)`` padding, Keras's rules."""
        return keras_pads(self.padding, self.spatial_shape(input_shape), self.pool_size,
                          self.strides, (1,) * self.rank)

    def call(self, inputs):
        pool = ops.max_pool if self.mode == "max" else ops.average_pool
        return pool(inputs, self.pool_size, self.strides, self.padding, self.data_format)

    def get_config(self):
        return {**super().get_config(), "pool_size": self.pool_size, "padding": self.padding,
                "strides": self.strides, "data_format": self.data_format}


_POOL_ARGS = """
    Args:
        pool_size: int or tuple of {rank} ints, the window size (default 2).
        strides: int or tuple of {rank} ints; None (default) means pool_size.
        padding: 'valid' or 'same' (Keras's 'same': the odd padding goes after).
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
"""


class MaxPooling1D(_Pooling):
    """Maximum over windows of the steps axis."""
    __doc__ += _POOL_ARGS.format(rank=1)
    rank, mode = 1, "max"


class MaxPooling2D(_Pooling):
    """Maximum over 2D windows.

    Example:
        y = MaxPooling2D((2, 2))(Input(shape=(28, 28, 32)))  # (None, 14, 14, 32)
    """
    __doc__ += _POOL_ARGS.format(rank=2)
    rank, mode = 2, "max"


class MaxPooling3D(_Pooling):
    """Maximum over 3D windows."""
    __doc__ += _POOL_ARGS.format(rank=3)
    rank, mode = 3, "max"


class AveragePooling1D(_Pooling):
    """Mean over windows of the steps axis (padded entries are not counted)."""
    __doc__ += _POOL_ARGS.format(rank=1)
    rank, mode = 1, "avg"


class AveragePooling2D(_Pooling):
    """Mean over 2D windows (padded entries are not counted)."""
    __doc__ += _POOL_ARGS.format(rank=2)
    rank, mode = 2, "avg"


class AveragePooling3D(_Pooling):
    """Mean over 3D windows (padded entries are not counted)."""
    __doc__ += _POOL_ARGS.format(rank=3)
    rank, mode = 3, "avg"


class _GlobalPooling(Layer):
    """Max or mean over every spatial axis; subclasses set ``rank`` and ``mode``.

    Args:
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
        keepdims: keep the spatial axes with length 1.
    """

    rank = None
    mode = None  # 'max' or 'avg'

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__)
        self.keepdims = bool(keepdims)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def compute_output_shape(self, input_shape):
        axes = self._axes()
        if self.keepdims:
            return tuple(1 if i in axes else d for i, d in enumerate(input_shape))
        return tuple(d for i, d in enumerate(input_shape) if i not in axes)

    def call(self, inputs):
        reduce = ops.max if self.mode == "max" else ops.mean
        return reduce(inputs, axis=self._axes(), keepdims=self.keepdims)

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class GlobalMaxPooling1D(_GlobalPooling):
    __doc__ = "Maximum over the steps axis." + _GlobalPooling.__doc__.split("\n", 1)[1]
    rank, mode = 1, "max"


class GlobalMaxPooling2D(_GlobalPooling):
    __doc__ = "Maximum over height and width." + _GlobalPooling.__doc__.split("\n", 1)[1]
    rank, mode = 2, "max"


class GlobalMaxPooling3D(_GlobalPooling):
    __doc__ = "Maximum over the three spatial axes." + _GlobalPooling.__doc__.split("\n", 1)[1]
    rank, mode = 3, "max"


class GlobalAveragePooling1D(_GlobalPooling):
    __doc__ = ("Mean over the steps axis; with a mask (e.g. from Embedding(mask_zero=True)), "
               "over the real steps only." + _GlobalPooling.__doc__.split("\n", 1)[1])
    rank, mode = 1, "avg"
    supports_masking = True
    _mask_source = False  # consumes masks, makes none

    def call(self, inputs, mask=None):
        if mask is None:
            return super().call(inputs)
        steps = 1 if self.data_format == "channels_last" else 2
        weights = ops.expand_dims(ops.cast(mask, inputs.dtype), 3 - steps)
        total = ops.sum(ops.multiply(inputs, weights), axis=steps, keepdims=self.keepdims)
        count = ops.sum(weights, axis=steps, keepdims=self.keepdims)
        return ops.divide(total, ops.maximum(count, 1.0))

    def compute_mask(self, inputs, mask=None):
        return None


class GlobalAveragePooling2D(_GlobalPooling):
    __doc__ = "Mean over height and width." + _GlobalPooling.__doc__.split("\n", 1)[1]
    rank, mode = 2, "avg"


class GlobalAveragePooling3D(_GlobalPooling):
    __doc__ = "Mean over the three spatial axes." + _GlobalPooling.__doc__.split("\n", 1)[1]
    rank, mode = 3, "avg"


# Keras's other names for the same classes.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)


_SPATIAL_NAMES = {1: "length", 2: "(height, width)", 3: "(depth, height, width)"}


class _AdaptivePooling(Layer):
    """Pools each spatial axis of length ``n`` into ``output_size`` bins, bin ``i`` covering
    ``[floor(i n / out), ceil((i + 1) n / out))`` whatever ``n`` is (PyTorch's and Keras
    3's adaptive pooling), with Keras 3's ``ops.adaptive_average_pool`` /
    ``ops.adaptive_max_pool``.

    Args:
        output_size: int (the same for every spatial axis) or a tuple of ``rank`` ints.
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
    """

    rank = None
    pool = None  # the ops function

    def __init__(self, output_size, data_format=None, **kwargs):
        name = type(self).__name__
        if isinstance(output_size, int) and not isinstance(output_size, bool):
            size = (output_size,) * self.rank
        elif isinstance(output_size, (tuple, list)) and len(output_size) == self.rank:
            size = tuple(output_size)
        else:
            raise TypeError(f"`output_size` of {name} must be an integer or a "
                            f"{_SPATIAL_NAMES[self.rank]} tuple of {self.rank} integers. "
                            f"Received: {output_size!r} of type {type(output_size)}")
        if not all(isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in size):
            raise ValueError(f"`output_size` of {name} must hold positive integers. "
                             f"Received: output_size={output_size!r}")
        super().__init__(**kwargs)
        self.output_size = size
        self.data_format = normalize_data_format(data_format, name)
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def compute_output_shape(self, input_shape):
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def call(self, inputs):
        return type(self).pool(inputs, self.output_size, data_format=self.data_format)

    def get_config(self):
        return {**super().get_config(), "output_size": self.output_size,
                "data_format": self.data_format}


class _AdaptiveAveragePooling(_AdaptivePooling):
    pool = staticmethod(ops.adaptive_average_pool)


class _AdaptiveMaxPooling(_AdaptivePooling):
    pool = staticmethod(ops.adaptive_max_pool)


class AdaptiveAveragePooling1D(_AdaptiveAveragePooling):
    __doc__ = _AdaptivePooling.__doc__
    rank = 1


class AdaptiveAveragePooling2D(_AdaptiveAveragePooling):
    __doc__ = _AdaptivePooling.__doc__
    rank = 2


class AdaptiveAveragePooling3D(_AdaptiveAveragePooling):
    __doc__ = _AdaptivePooling.__doc__
    rank = 3


class AdaptiveMaxPooling1D(_AdaptiveMaxPooling):
    __doc__ = _AdaptivePooling.__doc__
    rank = 1


class AdaptiveMaxPooling2D(_AdaptiveMaxPooling):
    __doc__ = _AdaptivePooling.__doc__
    rank = 2


class AdaptiveMaxPooling3D(_AdaptiveMaxPooling):
    __doc__ = _AdaptivePooling.__doc__
    rank = 3


# Adaptive poolings run their call (ops.adaptive_*_pool) on both engines.
ADAPTIVE_POOLING = frozenset({AdaptiveAveragePooling1D, AdaptiveAveragePooling2D,
                              AdaptiveAveragePooling3D, AdaptiveMaxPooling1D,
                              AdaptiveMaxPooling2D, AdaptiveMaxPooling3D})
