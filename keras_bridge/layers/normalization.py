"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization,
UnitNormalization.

The math is Keras 3's (keras/src/layers/normalization/*.py): statistics use the
biased (population) variance, ``epsilon`` is added to the variance inside the square
root, and the output is ``x * inv + (beta - mean * inv)`` with
``inv = gamma / sqrt(variance + epsilon)``: the statistics are ``ops.moments``, and
BatchNormalization's output is ``ops.batch_normalization`` (Keras 3's primitives); the
per-sample statistics of Layer- and GroupNormalization broadcast, so they apply that formula
here. BatchNormalization's moving statistics are
state weights (not trained), updated in training mode only as
``moving = moving * momentum + batch_statistic * (1 - momentum)``; Keras's momentum is
1 minus torch's. The reference ``call`` of each layer is written with
``keras_bridge.ops``; the torch lowering (``keras_bridge/backends/torch/norm_rules.py``) uses
torch's fused kernels where the math is the same.
"""

import warnings

import numpy as np

from keras_bridge import constraints, initializers, ops, regularizers
from keras_bridge.autocast import dtype_name
from keras_bridge.layers.base import InputSpec, Layer

_HALF = ("float16", "bfloat16")


def _serialize(module, obj):
    """Plain config of an initializer, regularizer or constraint (None stays None)."""
    return None if obj is None else module.serialize(obj)


def _check_int_axis(layer_name, axis):
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"Expected an int for the argument `axis` of {layer_name}. "
                        f"Received: axis={axis!r}")
    return int(axis)


def _check_axes(layer_name, axis):
    """An int or a list/tuple of ints; returned as given (int, or a list)."""
    if isinstance(axis, (list, tuple)):
        if not axis:
            raise ValueError(f"Expected at least one axis for {layer_name}. Received: "
                             f"axis={axis!r}")
        return [_check_int_axis(layer_name, a) for a in axis]
    return _check_int_axis(layer_name, axis)


def _resolve_axes(layer, axis, input_shape, sizes_known=True):
    """``axis`` (int or list) as positive axes of ``input_shape``, in the given order;
    out-of-range or repeated axes (and, with ``sizes_known``, axes of unknown size)
    are errors naming the layer and the shape."""
    rank = len(input_shape)
    axes = axis if isinstance(axis, list) else [axis]
    resolved = []
    for a in axes:
        if not -rank <= a < rank:
            raise ValueError(f"Axis {a} is out of bounds for the input of layer "
                             f"{layer.name!r}, of shape {tuple(input_shape)} (rank {rank}). "
                             f"Received: axis={axis!r}")
        resolved.append(a % rank)
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"Layer {layer.name!r} got the same axis twice for an input of "
                         f"rank {rank}. Received: axis={axis!r}")
    for a in resolved if sizes_known else ():
        if input_shape[a] is None:
            raise ValueError(f"Axis {a} of the input to layer {layer.name!r} must have a "
                             f"known size. Received: input_shape={tuple(input_shape)}")
    return resolved


def _check_epsilon(layer_name, epsilon):
    if isinstance(epsilon, bool) or not isinstance(epsilon, (int, float)) or epsilon < 0:
        raise ValueError(f"Expected a non-negative float for the argument `epsilon` of "
                         f"{layer_name}. Received: epsilon={epsilon!r}")
    return float(epsilon)


class _AffineMixin:
    """gamma / beta arguments shared by the layers that scale and center."""

    def _init_affine(self, center, scale, beta_initializer, gamma_initializer,
                     beta_regularizer, gamma_regularizer, beta_constraint, gamma_constraint):
        self.center = bool(center)
        self.scale = bool(scale)
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.gamma = None
        self.beta = None

    # Whether a mixed layer's call reads gamma and beta in its compute dtype: not for
    # the layers that compute in float32 under mixed precision (Keras 3's autocast=False).
    _autocast_affine = True

    def _add_gamma(self, shape):
        return self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                               regularizer=self.gamma_regularizer,
                               constraint=self.gamma_constraint,
                               autocast=self._autocast_affine)

    def _add_beta(self, shape):
        return self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                               regularizer=self.beta_regularizer,
                               constraint=self.beta_constraint,
                               autocast=self._autocast_affine)

    def _affine_config(self):
        return {"center": self.center, "scale": self.scale,
                "beta_initializer": _serialize(initializers, self.beta_initializer),
                "gamma_initializer": _serialize(initializers, self.gamma_initializer),
                "beta_regularizer": _serialize(regularizers, self.beta_regularizer),
                "gamma_regularizer": _serialize(regularizers, self.gamma_regularizer),
                "beta_constraint": _serialize(constraints, self.beta_constraint),
                "gamma_constraint": _serialize(constraints, self.gamma_constraint)}


def _legacy(kwargs, old, new):
    warnings.warn(f"BatchNormalization({old}=...) is deprecated; use {new}=.",
                  DeprecationWarning, stacklevel=3)
    return kwargs.pop(old)


def _normalize(x, mean, variance, gamma, beta, epsilon):
    """Keras's ``x * inv + (beta - mean * inv)``, ``inv = gamma / sqrt(variance + eps)``."""
    inv = ops.divide(1.0, ops.sqrt(ops.add(variance, epsilon)))
    if gamma is not None:
        inv = ops.multiply(inv, gamma)
    res = ops.negative(ops.multiply(mean, inv))
    if beta is not None:
        res = ops.add(res, beta)
    return ops.add(ops.multiply(x, inv), res)


class BatchNormalization(_AffineMixin, Layer):
    """Normalizes each feature over the batch (and every axis but ``axis``).

    In training (``fit``, or ``training=True``) the batch's mean and variance are used,
    and the moving statistics are updated:
    ``moving = moving * momentum + batch_statistic * (1 - momentum)``, with the biased
    batch variance as Keras 3 does. In inference the moving statistics are used.
    A layer with ``trainable = False`` runs in inference mode even in training, as in
    Keras (it is frozen: neither gamma/beta nor the moving statistics change).

    Args:
        axis: the features axis (``1`` after a channels_first convolution).
        momentum: momentum of the moving averages (Keras's meaning; torch's is
            ``1 - momentum``).
        epsilon: added to the variance before the square root.
        center: whether to add the offset ``beta``.
        scale: whether to multiply by ``gamma``.
        beta_initializer, gamma_initializer, moving_mean_initializer,
        moving_variance_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint: as in Keras.
        synchronized: TensorFlow only in Keras; only False is accepted.

    Example:
        x = Input(shape=(28, 28, 32))
        y = BatchNormalization()(x)  # statistics per channel (last axis)
    """

    _autocast_affine = False  # computes in float32 under mixed precision

    supports_masking = True

    def __init__(self, axis=-1, momentum=0.99, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones",
                 moving_mean_initializer="zeros", moving_variance_initializer="ones",
                 beta_regularizer=None, gamma_regularizer=None, beta_constraint=None,
                 gamma_constraint=None, synchronized=False, **kwargs):
        if "beta_init" in kwargs:  # Keras 1 spellings
            beta_initializer = _legacy(kwargs, "beta_init", "beta_initializer")
        if "gamma_init" in kwargs:
            gamma_initializer = _legacy(kwargs, "gamma_init", "gamma_initializer")
        if "mode" in kwargs:  # Keras 1: mode=0 is the only behaviour Keras 2+ kept
            mode = kwargs.pop("mode")
            if mode != 0:
                raise ValueError(f"BatchNormalization(mode={mode!r}) is Keras 1 only and is "
                                 "not supported; only the default mode=0 behaviour exists.")
            warnings.warn("BatchNormalization(mode=0) is deprecated; remove the argument "
                          "(mode 0 is the only behaviour).", DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.axis = _check_int_axis("BatchNormalization", axis)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0 <= momentum <= 1:
            raise ValueError(f"Expected a float in [0, 1] for the argument `momentum` of "
                             f"BatchNormalization. Received: momentum={momentum!r}")
        if synchronized:
            raise ValueError("BatchNormalization(synchronized=True) is only supported by "
                             "Keras's TensorFlow backend; keras_bridge runs torch and JAX. "
                             "Use synchronized=False.")
        self.momentum = float(momentum)
        self.epsilon = _check_epsilon("BatchNormalization", epsilon)
        self.synchronized = False
        self._init_affine(center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)

    def build(self, input_shape):
        (axis,) = _resolve_axes(self, self.axis, input_shape)
        shape = (input_shape[axis],)
        if self.scale:
            self.gamma = self._add_gamma(shape)
        if self.center:
            self.beta = self._add_beta(shape)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean",
                                           initializer=self.moving_mean_initializer,
                                           trainable=False, autocast=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer,
                                               trainable=False, autocast=False)
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: shape[0]})
        self.built = True

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, inputs, training=None):
        input_dtype = dtype_name(inputs)
        if input_dtype in _HALF:  # as Keras: statistics of half floats overflow
            inputs = ops.cast(inputs, "float32")
        rank = len(ops.shape(inputs))
        axis = self.axis % rank
        if training and self.trainable:
            mean, variance = ops.moments(inputs, [a for a in range(rank) if a != axis])
            m = self.momentum
            self.moving_mean.assign(self.moving_mean * m + mean * (1.0 - m))
            self.moving_variance.assign(self.moving_variance * m + variance * (1.0 - m))
        else:
            mean, variance = self.moving_mean.value, self.moving_variance.value
        outputs = ops.batch_normalization(
            inputs, mean, variance, axis, offset=self.beta.value if self.center else None,
            scale=self.gamma.value if self.scale else None, epsilon=self.epsilon)
        return ops.cast(outputs, input_dtype) if input_dtype in _HALF else outputs

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "momentum": self.momentum,
                "epsilon": self.epsilon, **self._affine_config(),
                "moving_mean_initializer": _serialize(initializers,
                                                      self.moving_mean_initializer),
                "moving_variance_initializer": _serialize(initializers,
                                                          self.moving_variance_initializer),
                "synchronized": self.synchronized}


class LayerNormalization(_AffineMixin, Layer):
    """Normalizes each sample over ``axis`` (one axis or several), then scales by
    ``gamma`` and adds ``beta``, both of the shape of those axes.

    Args:
        axis: int or list of ints, the axes to normalize over (default the last).
        epsilon: added to the variance before the square root.
        center, scale: whether to use ``beta`` and ``gamma``.
        rms_scaling: Keras's deprecated option: ``inputs * gamma / sqrt(var + epsilon)``
            (divides by the standard deviation, not the root mean square; center and
            scale are ignored). Accepted with a DeprecationWarning, as Keras warns.
        beta_initializer, gamma_initializer, beta_regularizer, gamma_regularizer,
        beta_constraint, gamma_constraint: as in Keras.
    """

    _autocast_affine = False  # computes in float32 under mixed precision

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        if rms_scaling:
            warnings.warn("LayerNormalization(rms_scaling=True) is deprecated in Keras: it "
                          "scales the input by the variance, not the root mean square. It "
                          "runs as Keras defines it.", DeprecationWarning, stacklevel=2)
        super().__init__(**kwargs)
        self.axis = _check_axes("LayerNormalization", axis)
        self.epsilon = _check_epsilon("LayerNormalization", epsilon)
        self.rms_scaling = bool(rms_scaling)
        self._init_affine(center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)

    def build(self, input_shape):
        axes = _resolve_axes(self, self.axis, input_shape)
        shape = tuple(input_shape[a] for a in axes)  # in the order given, as Keras
        if self.scale or self.rms_scaling:
            self.gamma = self._add_gamma(shape)
        if self.center and not self.rms_scaling:
            self.beta = self._add_beta(shape)
        # Keyed by the axes as given, so negative axes also accept inputs of other ranks.
        given = self.axis if isinstance(self.axis, list) else [self.axis]
        self.input_spec = InputSpec(min_ndim=max(a + 1 if a >= 0 else -a for a in given),
                                    axes={g: input_shape[a] for g, a in zip(given, axes)})
        self.built = True

    def compute_output_shape(self, input_shape):
        _resolve_axes(self, self.axis, input_shape, sizes_known=False)
        return input_shape

    def _axes_and_broadcast(self, rank, shape):
        axes = sorted(a % rank for a in (self.axis if isinstance(self.axis, list)
                                         else [self.axis]))
        broadcast = [1] * rank
        for a in axes:
            broadcast[a] = shape[a]
        return tuple(axes), broadcast

    def call(self, inputs):
        shape = ops.shape(inputs)
        axes, broadcast = self._axes_and_broadcast(len(shape), shape)
        # Keras reshapes gamma / beta (shaped as the axes in the given order) to the
        # broadcast shape.
        gamma = ops.reshape(self.gamma.value, broadcast) if self.gamma is not None else None
        beta = ops.reshape(self.beta.value, broadcast) if self.beta is not None else None
        input_dtype = dtype_name(inputs)
        widen = input_dtype in _HALF and self.dtype == "float32"
        if widen:  # mixed precision: computed in float32, as Keras 3 does
            inputs = ops.cast(inputs, "float32")
        mean, variance = ops.moments(inputs, axes, keepdims=True)
        if self.rms_scaling:
            inv = ops.divide(1.0, ops.sqrt(ops.add(variance, self.epsilon)))
            outputs = ops.multiply(ops.multiply(inputs, inv), gamma)
        else:
            outputs = _normalize(inputs, mean, variance, gamma, beta, self.epsilon)
        return ops.cast(outputs, input_dtype) if widen else outputs

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon,
                "rms_scaling": self.rms_scaling, **self._affine_config()}


class GroupNormalization(_AffineMixin, Layer):
    """Splits the channels (``axis``) into ``groups`` and normalizes each sample over
    each group's channels and every other non-batch axis; ``gamma`` and ``beta`` are
    per channel. ``groups=-1`` means one group per channel (instance normalization).

    Args:
        groups: number of groups; must divide the number of channels.
        axis: the channels axis (not the batch axis).
        epsilon, center, scale, beta_initializer, gamma_initializer, beta_regularizer,
        gamma_regularizer, beta_constraint, gamma_constraint: as in Keras.
    """

    supports_masking = True

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None,
                 **kwargs):
        super().__init__(**kwargs)
        if isinstance(groups, bool) or not isinstance(groups, (int, np.integer)) \
                or not (groups >= 1 or groups == -1):
            raise ValueError(f"Expected a positive integer (or -1, one group per channel) "
                             f"for the argument `groups` of GroupNormalization. "
                             f"Received: groups={groups!r}")
        self.groups = int(groups)
        self.axis = _check_int_axis("GroupNormalization", axis)
        self.epsilon = _check_epsilon("GroupNormalization", epsilon)
        self._init_affine(center, scale, beta_initializer, gamma_initializer,
                          beta_regularizer, gamma_regularizer, beta_constraint,
                          gamma_constraint)

    def build(self, input_shape):
        (axis,) = _resolve_axes(self, self.axis, input_shape, sizes_known=False)
        if axis == 0:
            raise ValueError(f"GroupNormalization layer {self.name!r} cannot use the batch "
                             f"axis as channels axis. Received: axis={self.axis}, "
                             f"input_shape={tuple(input_shape)}")
        _resolve_axes(self, self.axis, input_shape)  # the channels count must be known
        channels = input_shape[axis]
        groups = self.num_groups(channels)
        if groups > channels or channels % groups:
            raise ValueError(
                f"GroupNormalization layer {self.name!r}: the number of channels "
                f"({channels}, axis {self.axis} of input shape {tuple(input_shape)}) must be "
                f"a multiple of groups={groups} (and at least groups).")
        if self.scale:
            self.gamma = self._add_gamma((channels,))
        if self.center:
            self.beta = self._add_beta((channels,))
        self.input_spec = InputSpec(ndim=len(input_shape), axes={self.axis: channels})
        self.built = True

    def num_groups(self, channels):
        """Groups used for ``channels`` channels (``groups=-1`` is one per channel)."""
        return channels if self.groups == -1 else self.groups

    def compute_output_shape(self, input_shape):
        return input_shape

    def call(self, inputs):
        shape = tuple(ops.shape(inputs))
        rank = len(shape)
        axis = self.axis % rank
        channels = shape[axis]
        groups = self.num_groups(channels)
        grouped = shape[:axis] + (groups, channels // groups) + shape[axis + 1:]
        x = ops.reshape(inputs, grouped)
        reduction = tuple(a for a in range(1, rank + 1) if a != axis)
        mean, variance = ops.moments(x, reduction, keepdims=True)
        broadcast = [1] * (rank + 1)
        broadcast[axis], broadcast[axis + 1] = groups, channels // groups
        gamma = ops.reshape(self.gamma.value, broadcast) if self.scale else None
        beta = ops.reshape(self.beta.value, broadcast) if self.center else None
        out = _normalize(x, mean, variance, gamma, beta, self.epsilon)
        return ops.reshape(out, shape)

    def get_config(self):
        return {**super().get_config(), "groups": self.groups, "axis": self.axis,
                "epsilon": self.epsilon, **self._affine_config()}


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``:
    ``x / sqrt(max(sum(x ** 2), 1e-12))``, as Keras.

    Args:
        axis: int or list of ints (default the last axis).
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axes("UnitNormalization", axis)

    def build(self, input_shape):
        _resolve_axes(self, self.axis, input_shape, sizes_known=False)
        given = self.axis if isinstance(self.axis, list) else [self.axis]
        self.input_spec = InputSpec(min_ndim=max(a + 1 if a >= 0 else -a for a in given))
        self.built = True

    def compute_output_shape(self, input_shape):
        _resolve_axes(self, self.axis, input_shape, sizes_known=False)
        return input_shape

    def call(self, inputs):
        x = ops.cast(inputs, self.compute_dtype)
        axis = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        square_sum = ops.sum(ops.square(x), axis=axis, keepdims=True)
        return ops.divide(x, ops.sqrt(ops.maximum(square_sum, 1e-12)))

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class RMSNormalization(Layer):
    """Root-mean-square normalization (Zhang & Sennrich, 2019):
    ``x * rsqrt(mean(x ** 2 over axis) + epsilon) * scale``, as Keras 3.

    Args:
        axis: int or list of ints, the axes to normalize over (default the last); after
            ``build`` it is held as a sorted list, as Keras 3 does.
        epsilon: small float added to the mean square (default 1e-6).

    Weights: ``scale``, shape ``input_shape[axis]`` (one entry per normalized axis),
    initialized to ones. Like Keras 3 the scale is multiplied in by broadcasting, so an
    ``axis`` other than the last needs a scale shape that broadcasts against the input.
    """

    supports_masking = True

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = _check_axes("RMSNormalization", axis)
        self.epsilon = _check_epsilon("RMSNormalization", epsilon)

    def build(self, input_shape):
        _resolve_axes(self, self.axis, input_shape)
        if isinstance(self.axis, list):
            self.axis = sorted(self.axis)
        else:
            self.axis = [self.axis]
        shape = tuple(input_shape[a] for a in self.axis)
        self.scale = self.add_weight(name="scale", shape=shape, initializer="ones")
        self.built = True

    def compute_output_shape(self, input_shape):
        _resolve_axes(self, self.axis, input_shape, sizes_known=False)
        return input_shape

    def call(self, inputs):
        return ops.rms_normalization(inputs, scale=self.scale, axis=tuple(self.axis),
                                     epsilon=self.epsilon)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}
