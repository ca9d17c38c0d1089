"""Spatial shape layers: ZeroPadding1D/2D/3D, Cropping1D/2D/3D, UpSampling1D/2D/3D
and SpatialDropout1D/2D/3D.

Their ``call`` is written with ``keras_bridge.ops`` (slicing, concatenation, broadcasts)
and is what runs on JAX, where XLA fuses it; torch lowers zero padding to ``F.pad`` and
2D upsampling to ``F.interpolate`` / one broadcast copy (``keras_bridge/backends/torch/conv_rules.py``).
1D layers are channels-last as in Keras, except ZeroPadding1D, which (Keras 3.5+) takes a
``data_format``.
"""

import numpy as np

from keras_bridge import ops
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.seeded import seed_generator
from keras_bridge.layers.convolutional import normalize_data_format, normalize_tuple
from keras_bridge.layers.convolutional import pad_axis


def _pairs(value, rank, name, cls):
    """Keras's padding/cropping argument as ``rank`` ``(before, after)`` pairs: an int
    (everywhere), ``rank`` ints (symmetric per axis) or ``rank`` pairs."""
    if rank == 1:
        return (normalize_tuple(value, 2, name, cls, allow_zero=True),)
    if isinstance(value, (int, np.integer)):
        return (normalize_tuple(value, 2, name, cls, allow_zero=True),) * rank
    if not isinstance(value, (tuple, list)) or len(value) != rank:
        raise ValueError(f"The `{name}` argument of {cls} must be an int, a tuple of {rank} "
                         f"ints or a tuple of {rank} tuples of 2 ints. Received: "
                         f"{name}={value!r}")
    return tuple(normalize_tuple(v, 2, name, cls, allow_zero=True) for v in value)


class _Spatial(Layer):
    """A layer acting on the spatial axes of a ``rank``-D input."""

    rank = None
    has_data_format = True

    def __init__(self, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, type(self).__name__) \
            if self.has_data_format else "channels_last"
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def spatial_axes(self):
        first = 1 if self.data_format == "channels_last" else 2
        return tuple(range(first, first + self.rank))

    def _map_spatial(self, input_shape, fn):
        shape = list(input_shape)
        for i, axis in enumerate(self.spatial_axes()):
            shape[axis] = None if shape[axis] is None else fn(i, shape[axis])
        return tuple(shape)

    def get_config(self):
        cfg = super().get_config()
        return {**cfg, "data_format": self.data_format} if self.has_data_format else cfg


class _ZeroPadding(_Spatial):
    """Adds rows/columns/... of zeros before and after each spatial axis.

    Args:
        padding: an int (the same everywhere), a tuple of one int per spatial axis
            (symmetric), or a tuple of ``(before, after)`` pairs, one per spatial axis
            (ZeroPadding1D: an int or one ``(before, after)`` pair).
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.padding = _pairs(padding, self.rank, "padding", type(self).__name__)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n + sum(self.padding[i]))

    def call(self, inputs):
        for axis, (before, after) in zip(self.spatial_axes(), self.padding):
            inputs = pad_axis(inputs, axis, before, after)
        return inputs

    def get_config(self):
        padding = self.padding[0] if self.rank == 1 else self.padding
        return {**super().get_config(), "padding": padding}


class ZeroPadding1D(_ZeroPadding):
    __doc__ = _ZeroPadding.__doc__
    rank = 1


class ZeroPadding2D(_ZeroPadding):
    __doc__ = _ZeroPadding.__doc__ + """
    Example:
        y = ZeroPadding2D(((1, 0), (2, 2)))(Input(shape=(4, 4, 3)))  # (None, 5, 8, 3)
    """
    rank = 2


class ZeroPadding3D(_ZeroPadding):
    __doc__ = _ZeroPadding.__doc__
    rank = 3


class _Cropping(_Spatial):
    """Removes entries at the start and end of each spatial axis.

    Args:
        cropping: an int (the same everywhere), a tuple of one int per spatial axis
            (symmetric), or a tuple of ``(start, end)`` pairs, one per spatial axis
            (Cropping1D: an int or one ``(start, end)`` pair).
        data_format: 'channels_last' or 'channels_first' (not for Cropping1D); default
            ``config.image_data_format()``.
    """

    def __init__(self, cropping=1, data_format=None, **kwargs):
        if self.rank == 1 and data_format is not None:
            raise TypeError("Cropping1D takes no data_format: its input is "
                            "(batch, steps, channels).")
        super().__init__(data_format, **kwargs)
        self.cropping = _pairs(cropping, self.rank, "cropping", type(self).__name__)

    def _cropped(self, input_shape):
        def size(i, n):
            out = n - sum(self.cropping[i])
            if out <= 0:
                raise ValueError(
                    f"Layer {self.name!r} ({type(self).__name__}) cannot crop "
                    f"{self.cropping} from an input of shape {tuple(input_shape)}: nothing "
                    "would be left. Cropping must be smaller than each spatial size.")
            return out
        return self._map_spatial(input_shape, size)

    def compute_output_shape(self, input_shape):
        return self._cropped(input_shape)

    def _check_inputs(self, shapes):
        super()._check_inputs(shapes)
        if len(shapes) == self.rank + 2:  # sizes are checked on every call
            self._cropped(shapes)

    def call(self, inputs):
        index = [slice(None)] * len(ops.shape(inputs))
        for axis, (start, end) in zip(self.spatial_axes(), self.cropping):
            index[axis] = slice(start, ops.shape(inputs)[axis] - end)
        return inputs[tuple(index)]

    def get_config(self):
        cropping = self.cropping[0] if self.rank == 1 else self.cropping
        return {**super().get_config(), "cropping": cropping}


class Cropping1D(_Cropping):
    __doc__ = _Cropping.__doc__
    rank = 1
    has_data_format = False


class Cropping2D(_Cropping):
    __doc__ = _Cropping.__doc__
    rank = 2

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


class Cropping3D(_Cropping):
    __doc__ = _Cropping.__doc__
    rank = 3

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, **kwargs)


def _repeat_axes(x, axes, sizes):
    """Nearest-neighbour upsampling: each entry repeated ``size`` times along its axis,
    in one broadcast copy."""
    shape = ops.shape(x)
    expanded, target, final = x, [], []
    for axis in reversed(range(len(shape))):
        if axis in axes and sizes[axes.index(axis)] > 1:
            expanded = ops.expand_dims(expanded, axis + 1)
    for axis, n in enumerate(shape):
        size = sizes[axes.index(axis)] if axis in axes else 1
        target += [n, size] if size > 1 else [n]
        final.append(n * size)
    return ops.reshape(ops.broadcast_to(expanded, tuple(target)), tuple(final))


def _linear_axis(x, axis, size):
    """Linear interpolation along ``axis`` to ``size`` times its length, with half-pixel
    centres and edge clamping (TF / JAX / torch ``align_corners=False`` upsampling)."""
    n = ops.shape(x)[axis]
    src = np.maximum((np.arange(n * size) + 0.5) / size - 0.5, 0.0)
    low = np.floor(src).astype("int32")
    high = np.minimum(low + 1, n - 1)
    weight = (src - low).astype("float32").reshape((-1,) + (1,) * (len(ops.shape(x)) - axis - 1))
    a, b = ops.take(x, low, axis=axis), ops.take(x, high, axis=axis)
    return ops.add(a, ops.multiply(ops.subtract(b, a), weight))


class _UpSampling(_Spatial):
    """Repeats each entry ``size`` times along each spatial axis (nearest neighbour)."""

    interpolation = "nearest"

    def __init__(self, size=2, data_format=None, **kwargs):
        super().__init__(data_format, **kwargs)
        self.size = normalize_tuple(size, self.rank, "size", type(self).__name__)

    def compute_output_shape(self, input_shape):
        return self._map_spatial(input_shape, lambda i, n: n * self.size[i])

    def call(self, inputs):
        if self.interpolation == "bilinear":
            for axis, size in zip(self.spatial_axes(), self.size):
                inputs = _linear_axis(inputs, axis, size) if size > 1 else inputs
            return inputs
        return _repeat_axes(inputs, self.spatial_axes(), self.size)

    def get_config(self):
        return {**super().get_config(), "size": self.size[0] if self.rank == 1 else self.size}


class UpSampling1D(_UpSampling):
    """Repeats each step ``size`` times: ``(batch, steps * size, channels)``.

    Args:
        size: the upsampling factor (default 2).
    """
    rank = 1
    has_data_format = False

    def __init__(self, size=2, **kwargs):
        super().__init__(size, **kwargs)


class UpSampling2D(_UpSampling):
    """Upsamples rows and columns by ``size``.

    Args:
        size: int or tuple of 2 ints (default ``(2, 2)``).
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
        interpolation: 'nearest' (repeat) or 'bilinear' (half-pixel centres, as Keras).

    Example:
        y = UpSampling2D(2, interpolation="bilinear")(Input(shape=(4, 4, 3)))  # (None, 8, 8, 3)
    """
    rank = 2

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(size, data_format, **kwargs)
        if interpolation not in ("nearest", "bilinear"):
            raise ValueError(f"UpSampling2D supports interpolation 'nearest' or 'bilinear'. "
                             f"Received: interpolation={interpolation!r}")
        self.interpolation = interpolation

    def get_config(self):
        return {**super().get_config(), "interpolation": self.interpolation}


class UpSampling3D(_UpSampling):
    """Repeats each entry ``size`` times along depth, height and width.

    Args:
        size: int or tuple of 3 ints (default ``(2, 2, 2)``).
        data_format: 'channels_last' or 'channels_first'; default
            ``config.image_data_format()``.
    """
    rank = 3

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(size, data_format, **kwargs)


class _SpatialDropout(_Spatial):
    """Dropout of whole channels: in training each channel of each sample is zeroed with
    probability ``rate`` (the rest scaled by ``1 / (1 - rate)``); in inference it passes
    inputs through.

    Args:
        rate: float in [0, 1], the fraction of channels to drop.
        data_format: 'channels_last' or 'channels_first' (not for SpatialDropout1D);
            default ``config.image_data_format()``.
        seed: int or None, the seed of the layer's generator (as Dropout's; see
            ``keras_bridge/layers/seeded.py``).
    """

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        if not self.has_data_format and data_format is not None:
            raise TypeError("SpatialDropout1D takes no data_format: its input is "
                            "(batch, steps, channels).")
        super().__init__(data_format, **kwargs)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise ValueError(f"Invalid value received for argument `rate`. Expected a float "
                             f"value between 0 and 1. Received: rate={rate!r}")
        self.rate = float(rate)
        self.seed = seed
        if self.rate > 0:
            self.seed_generator = seed_generator(seed)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.rate >= 1:
            return ops.zeros_like(inputs)
        axes = self.spatial_axes()
        noise_shape = tuple(1 if i in axes else None for i in range(self.rank + 2))
        return ops.random_dropout(inputs, self.rate, noise_shape,
                                  seed=self.seed_generator.next())

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


class SpatialDropout1D(_SpatialDropout):
    __doc__ = _SpatialDropout.__doc__
    rank = 1
    has_data_format = False

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, None, seed, **kwargs)


class SpatialDropout2D(_SpatialDropout):
    __doc__ = _SpatialDropout.__doc__
    rank = 2


class SpatialDropout3D(_SpatialDropout):
    __doc__ = _SpatialDropout.__doc__
    rank = 3
