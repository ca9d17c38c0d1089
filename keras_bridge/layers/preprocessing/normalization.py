"""Numerical preprocessing (Keras 3's): Normalization, Rescaling.

Normalization's adapted statistics are non-trainable weights named as Keras 3 names
them (``mean``, ``variance``, and ``count``, an int32 scalar Keras 3 creates and leaves
at 0), so they are saved with the model and map onto Keras 3 files.
"""

import numpy as np

from keras_bridge import config, ops
from keras_bridge.layers.base import Layer
from keras_bridge.layers.preprocessing.adapt_data import batches


class Normalization(Layer):
    """Shifts and scales inputs to zero mean and unit variance per position of ``axis``:
    ``(x - mean) / max(sqrt(variance), epsilon)`` (``invert``: the inverse).

    Args:
        axis: the axis or axes kept (a mean per index); None: one scalar mean.
        mean, variance: the statistics, given instead of calling ``adapt()``.
        invert: map normalized values back to the original scale.
    """

    supports_masking = True

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        self.axis = () if axis is None else (axis,) if isinstance(axis, int) else tuple(axis)
        self.input_mean, self.input_variance, self.invert = mean, variance, bool(invert)
        if (mean is None) != (variance is None):
            raise ValueError("When setting values directly, both `mean` and `variance` must "
                             f"be set. Received: mean={mean} and variance={variance}")
        if mean is not None:
            if np.shape(mean) != np.shape(variance):
                raise ValueError("When setting values directly, `mean` and `variance` must "
                                 f"have the same shape. Received: mean shape "
                                 f"{np.shape(mean)} and variance shape {np.shape(variance)}")
            if np.ndim(mean) > len(self.axis):
                raise ValueError(f"The rank of `mean` must be less than or equal to the "
                                 f"number of axes ({len(self.axis)}). Received: mean shape "
                                 f"{np.shape(mean)} for axis {self.axis}")
        self._build_shape = None

    def build(self, input_shape):
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received "
                             f"inputs with ndim={ndim}, while axis={self.axis}")
        self._keep = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. "
                                 f"Received axis={self.axis}, inputs.shape="
                                 f"{tuple(input_shape)}, with unknown axis at index {d}")
        self._build_shape = tuple(input_shape)
        self._reduce = tuple(d for d in range(ndim) if d not in self._keep)
        self._broadcast = tuple(input_shape[d] if d in self._keep else 1 for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in self._keep)
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=stats_shape,
                                              initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=stats_shape,
                                                  initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int32",
                                         initializer="zeros", trainable=False)
        else:  # given statistics: trailing axes of the kept ones, broadcast to them
            view = [1] * ndim
            for i, size in enumerate(reversed(np.shape(self.input_mean))):
                view[self._keep[-1 - i]] = size
            def fit(v):  # cast to the compute dtype on the engine (numpy has no bfloat16)
                return np.ascontiguousarray(np.broadcast_to(
                    np.reshape(np.asarray(v, "float64"), view), self._broadcast))
            self._given = fit(self.input_mean), fit(self.input_variance)
        self.built = True

    def adapt(self, data):
        """Set the mean and variance from ``data``: an array (or tensor), or an iterable
        of batches (each one batch, as Keras assumes)."""
        chunks = batches(data, self)
        if not self.built:
            self._maybe_build(chunks[0].shape)
        if self.input_mean is not None:
            raise ValueError("adapt() cannot be used when `mean` and `variance` were given to "
                             "the Normalization layer.")
        total, mean, m2 = 0, 0.0, 0.0
        for chunk in chunks:
            if chunk.ndim != len(self._build_shape) or any(
                    chunk.shape[d] != self._build_shape[d] for d in self._keep):
                raise ValueError(f"Normalization was built for inputs of shape "
                                 f"{self._build_shape} (axis={self.axis}), but adapt() "
                                 f"received data of shape {chunk.shape}.")
            chunk = chunk.astype("float64")
            n = int(np.prod([chunk.shape[d] for d in self._reduce]))
            c_mean = chunk.mean(axis=self._reduce)
            c_m2 = chunk.var(axis=self._reduce) * n
            delta = c_mean - mean  # Chan et al.'s pairwise merge of mean and M2
            mean = mean + delta * n / (total + n)
            m2 = m2 + c_m2 + delta ** 2 * total * n / (total + n)
            total += n
        self.adapt_mean.assign(np.asarray(mean, "float32"))
        self.adapt_variance.assign(np.asarray(m2 / total, "float32"))

    def _stats(self):
        if self.input_mean is not None:
            return tuple(ops.cast(v, self.compute_dtype) for v in self._given)
        return (ops.reshape(self.adapt_mean, self._broadcast),
                ops.reshape(self.adapt_variance, self._broadcast))

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        mean, variance = self._stats()
        scale = ops.maximum(ops.sqrt(variance), config.epsilon())
        if self.invert:
            return ops.add(mean, ops.multiply(x, scale))
        return ops.divide(ops.subtract(x, mean), scale)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(v):
            return np.asarray(v).tolist() if v is not None else None
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": plain(self.input_mean), "variance": plain(self.input_variance)}


class Rescaling(Layer):
    """``x * scale + offset``, in the layer's dtype (e.g. ``scale=1 / 255`` maps bytes to
    [0, 1]). Under channels_first a per-channel ``scale`` is laid along axis -3 (Keras 3
    does this for ``scale`` only, and so does this layer).

    Args:
        scale: a number, or one per channel.
        offset: a number, or one per channel.
    """

    supports_masking = True

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset

    def _constant(self, value, per_channel=False):
        # Cast on the engine: numpy knows no bfloat16 (a mixed layer's compute dtype).
        value = np.asarray(value, np.float64)
        if per_channel and value.ndim and config.image_data_format() == "channels_first":
            value = value.reshape(value.shape + (1,) * (3 - value.ndim))
        return ops.cast(value, self.compute_dtype)

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        return ops.add(ops.multiply(x, self._constant(self.scale, True)),
                       self._constant(self.offset))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        def plain(v):
            return np.asarray(v).tolist() if np.ndim(v) else float(v)
        return {**super().get_config(), "scale": plain(self.scale),
                "offset": plain(self.offset)}
