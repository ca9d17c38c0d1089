"""Activation layers: ReLU, LeakyReLU, PReLU, ELU, Softmax, and Keras 2's ThresholdedReLU.

Each computes with ``keras_bridge.activations`` (or ``keras_bridge.ops``), so the
reference ``call`` runs on every engine; the torch backend lowers most of them to
torch's own functions (``keras_bridge/backends/torch/activation_rules.py``). Arguments, defaults,
config keys and the ``alpha`` weight of PReLU are Keras's.
"""

import math
import numbers
import warnings

from keras_bridge import activations, constraints, initializers, ops, regularizers
from keras_bridge.layers.base import InputSpec, Layer
from keras_bridge.layers.core import serialize_or_none


def _number(layer_name, arg, value, minimum=None, allow_none=False):
    """``value`` as a float, checked: a finite real number, ``>= minimum`` when given."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or \
            not math.isfinite(value):
        raise ValueError(f"{arg} of a {layer_name} layer must be a finite number. "
                         f"Received: {arg}={value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{arg} of a {layer_name} layer cannot be a negative value. "
                         f"Received: {arg}={value!r}")
    return float(value)


class ReLU(Layer):
    """Rectified linear unit with Keras's optional cap, slope and threshold.

    ``f(x) = max_value`` for ``x >= max_value``, ``x`` for ``threshold < x < max_value``,
    ``negative_slope * (x - threshold)`` otherwise.

    Args:
        max_value: float >= 0, the largest output; None means no cap.
        negative_slope: float >= 0, the slope below the threshold.
        threshold: float >= 0, inputs at or below it are damped.

    Example:
        layers.ReLU(max_value=6.0)  # ReLU6
    """

    supports_masking = True

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = _number("ReLU", "max_value", max_value, 0.0, allow_none=True)
        self.negative_slope = _number("ReLU", "negative_slope", negative_slope, 0.0)
        self.threshold = _number("ReLU", "threshold", threshold, 0.0)

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


class LeakyReLU(Layer):
    """``x`` for ``x >= 0``, ``negative_slope * x`` below.

    Args:
        negative_slope: float >= 0, default 0.3 (the layer's default, as in Keras; the
            ``leaky_relu`` function's is 0.2). Keras 2's name ``alpha=`` is accepted
            with a DeprecationWarning.
    """

    supports_masking = True

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:
            alpha = kwargs.pop("alpha")
            if negative_slope != 0.3:
                raise TypeError("LeakyReLU() got both negative_slope= and its old name "
                                "alpha=.")
            warnings.warn("LeakyReLU(alpha=...) is the Keras 2 spelling; use "
                          "LeakyReLU(negative_slope=...) instead.", DeprecationWarning,
                          stacklevel=2)
            negative_slope = alpha
        super().__init__(**kwargs)
        self.negative_slope = _number("LeakyReLU", "negative_slope", negative_slope, 0.0)

    def call(self, inputs):
        return ops.leaky_relu(inputs, negative_slope=self.negative_slope)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


class PReLU(Layer):
    """Leaky ReLU whose slope ``alpha`` is learned: ``x`` for ``x >= 0``, ``alpha * x``
    below. ``alpha`` has the input's shape without the batch axis, with size 1 on the
    ``shared_axes``.

    Args:
        alpha_initializer, alpha_regularizer, alpha_constraint: for the ``alpha`` weight.
        shared_axes: axis or axes (counted with the batch axis as 0, so from 1) along
            which one slope is shared, e.g. ``[1, 2]`` for one slope per channel of
            ``(batch, height, width, channels)`` feature maps.
    """

    supports_masking = True

    def __init__(self, alpha_initializer="zeros", alpha_regularizer=None,
                 alpha_constraint=None, shared_axes=None, **kwargs):
        super().__init__(**kwargs)
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        self.shared_axes = self._check_shared_axes(shared_axes)

    @staticmethod
    def _check_shared_axes(shared_axes):
        if shared_axes is None:
            return None
        axes = list(shared_axes) if isinstance(shared_axes, (list, tuple)) else [shared_axes]
        if not all(isinstance(a, numbers.Integral) and not isinstance(a, bool) and a >= 1
                   for a in axes):
            raise ValueError("Expected shared_axes of a PReLU layer to be None, an axis or a "
                             "list of axes >= 1 (the batch axis is 0). "
                             f"Received: shared_axes={shared_axes!r}")
        return [int(a) for a in axes]

    def build(self, input_shape):
        rank = len(input_shape)
        shared = set(self.shared_axes or ())
        if any(a >= rank for a in shared):
            raise ValueError(f"shared_axes {self.shared_axes} of PReLU layer {self.name!r} "
                             f"name axes its input of shape {tuple(input_shape)} lacks.")
        param_shape = [1 if i in shared else input_shape[i] for i in range(1, rank)]
        if any(d is None for d in param_shape):
            raise ValueError(
                f"PReLU layer {self.name!r} needs the size of every input axis not in "
                f"shared_axes. Received: input_shape={tuple(input_shape)}, "
                f"shared_axes={self.shared_axes}. Share the unknown axes, e.g. "
                f"shared_axes={[i for i in range(1, rank) if input_shape[i] is None]}.")
        self.alpha = self.add_weight(shape=param_shape, initializer=self.alpha_initializer,
                                     name="alpha", regularizer=self.alpha_regularizer,
                                     constraint=self.alpha_constraint)
        self.input_spec = InputSpec(ndim=rank, axes={i: input_shape[i]
                                                     for i in range(1, rank)
                                                     if i not in shared})
        self.built = True

    def call(self, inputs):
        positive = ops.relu(inputs)
        negative = ops.multiply(self.alpha, ops.relu(ops.negative(inputs)))
        return ops.subtract(positive, negative)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(),
                "alpha_initializer": initializers.serialize(self.alpha_initializer),
                "alpha_regularizer": serialize_or_none(self.alpha_regularizer),
                "alpha_constraint": serialize_or_none(self.alpha_constraint),
                "shared_axes": self.shared_axes}


class ELU(Layer):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` below.

    Args:
        alpha: the scale of the negative part, default 1.0.
    """

    supports_masking = True

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        self.alpha = _number("ELU", "alpha", alpha)

    def call(self, inputs):
        return activations.elu(inputs, alpha=self.alpha)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "alpha": self.alpha}


def _large_negative(dtype):
    """What a masked logit becomes: far below any real logit, finite in ``dtype``."""
    return -3e4 if str(dtype).rsplit(".", 1)[-1] == "float16" else -1e9


class Softmax(Layer):
    """Softmax along ``axis``: ``exp(x) / sum(exp(x))``.

    A crossentropy loss on its output is computed from its input, the logits (Keras 2's
    rule, see ``keras_bridge.logits``), as for ``Activation('softmax')``.

    Args:
        axis: an axis, or a list of axes normalized together; default -1.

    Call arguments:
        mask: optional boolean mask, True (or 1) to keep an entry; masked entries get a
            probability of about 0 (a fully masked slice comes out uniform). A mask of
            lower rank than the input applies to the input's leading axes.
    """

    supports_masking = True

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        valid = isinstance(axis, numbers.Integral) and not isinstance(axis, bool)
        if isinstance(axis, (list, tuple)):
            valid = bool(axis) and all(isinstance(a, numbers.Integral) and
                                       not isinstance(a, bool) for a in axis)
            axis = [int(a) for a in axis] if valid else axis
        if not valid:
            raise ValueError(f"Expected axis of a Softmax layer to be an int or a list of "
                             f"ints. Received: axis={axis!r}")
        self.axis = axis if isinstance(axis, list) else int(axis)

    def call(self, inputs, mask=None):
        if mask is not None:
            mask = ops.cast(mask, inputs.dtype)
            for _ in range(ops.ndim(inputs) - ops.ndim(mask)):
                mask = ops.expand_dims(mask, -1)
            inputs = ops.add(inputs, ops.multiply(ops.subtract(1.0, mask),
                                                  _large_negative(inputs.dtype)))
        axis = self.axis
        if isinstance(axis, list):
            if len(axis) > 1:
                axis = tuple(axis)
                return ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=axis,
                                                                  keepdims=True)))
            axis = axis[0]
        return activations.softmax(inputs, axis=axis)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}


class ThresholdedReLU(Layer):
    """Keras 2's thresholded ReLU: ``x`` for ``x > theta``, 0 otherwise.

    Args:
        theta: float >= 0, the threshold; default 1.0.
    """

    supports_masking = True

    def __init__(self, theta=1.0, **kwargs):
        super().__init__(**kwargs)
        self.theta = _number("ThresholdedReLU", "theta", theta, 0.0)

    def call(self, inputs):
        return ops.where(ops.greater(inputs, self.theta), inputs, ops.zeros_like(inputs))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "theta": self.theta}
