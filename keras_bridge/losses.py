"""Keras losses: per-sample loss functions, and ``Loss`` objects that weight and reduce them.

Each function takes ``(y_true, y_pred)`` and returns one loss per sample, reduced over
the last axis (the class axis for crossentropies), as Keras's loss functions do. They
are written with ``keras_bridge.ops`` only, so they run on torch tensors and JAX arrays
and trace under ``jax.jit``: shapes are static and nothing branches on tensor values.
Numpy input gives the default engine's tensors; ``y_true`` is cast to ``y_pred``'s
dtype, as Keras does.

The math is Keras 2's (tf.keras 2.x), which Keras 3 keeps except for one detail:
binary crossentropy on probabilities adds ``epsilon()`` inside each log after clipping
(Keras 2; Keras 3 only clips), which differs from Keras 3 at the clip bounds. Where the
two differ outside the math:

- A ``Loss`` brings ``y_true`` and ``y_pred`` to the same rank as Keras 3 does, so a
  ``(batch,)`` target next to a ``(batch, 1)`` prediction gives ``(batch,)`` losses
  (Keras 2 squeezed the prediction and reduced to one scalar; the mean is the same).
- A ``sample_weight`` of lower rank than the losses gets trailing axes, so ``(batch,)``
  weights scale every step of ``(batch, steps)`` losses (Keras 2; Keras 3 only aligns
  length-1 axes).
- ``ignore_class`` averages over the valid entries (both); a batch with none gives 0
  (Keras 3; Keras 2 gave NaN).
- Label smoothing and the one-class warning of ``categorical_crossentropy`` read the
  size of ``axis`` (both Keras versions read the last axis whatever ``axis`` is).
- ``huber`` and ``cosine_similarity`` cast ``y_true`` to ``y_pred``'s dtype (Keras 3;
  Keras 2 cast both to floatx for huber and did not cast for cosine_similarity).
- Unnamed ``Loss`` objects are named after their class in snake case (Keras 3).

Example:
    from keras_bridge import losses
    losses.mean_squared_error(y_true, y_pred)      # (batch,)
    losses.get("mse")(y_true, y_pred)               # scalar, mean over the batch
    losses.BinaryCrossentropy(from_logits=True)(y_true, logits, sample_weight=w)
"""

import inspect
import math
import numbers
import warnings

import numpy as np

from keras_bridge import backend as K
from keras_bridge import config, ops
from keras_bridge.utils.naming import to_snake_case


# ---------------------------------------------------------------- helpers

def _on_engine_of(ref, x, dtype=None):
    """``x`` as a tensor of ``ref``'s engine (numpy labels next to a torch prediction
    become torch), cast to ``dtype`` when given."""
    return ops.backend_for(ref).ops.convert_to_tensor(x, dtype)


def _tensors(y_true, y_pred):
    """``y_pred`` as a tensor and ``y_true`` cast to its dtype (Keras's first two lines)."""
    y_pred = ops.convert_to_tensor(y_pred)
    return _on_engine_of(y_pred, y_true, y_pred.dtype), y_pred


def _is_zero(value):
    return isinstance(value, numbers.Real) and value == 0


def _is_float(x):
    return K.dtype(x).startswith(("float", "bfloat"))


# ---------------------------------------------------------------- regression losses

def mean_squared_error(y_true, y_pred):
    """``mean(square(y_pred - y_true), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    return ops.mean(ops.square(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_error(y_true, y_pred):
    """``mean(abs(y_pred - y_true), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)


def mean_absolute_percentage_error(y_true, y_pred):
    """``100 * mean(abs((y_true - y_pred) / maximum(abs(y_true), epsilon())), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    scale = ops.maximum(ops.abs(y_true), config.epsilon())
    diff = ops.abs(ops.divide(ops.subtract(y_true, y_pred), scale))
    return ops.multiply(100.0, ops.mean(diff, axis=-1))


def mean_squared_logarithmic_error(y_true, y_pred):
    """``mean(square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1)), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    eps = config.epsilon()
    first = ops.log(ops.add(ops.maximum(y_pred, eps), 1.0))
    second = ops.log(ops.add(ops.maximum(y_true, eps), 1.0))
    return ops.mean(ops.square(ops.subtract(first, second)), axis=-1)


def huber(y_true, y_pred, delta=1.0):
    """Huber loss: ``0.5 * x ** 2`` where ``|x| <= delta``, else
    ``delta * |x| - 0.5 * delta ** 2``, for ``x = y_pred - y_true``, averaged over the
    last axis."""
    y_true, y_pred = _tensors(y_true, y_pred)
    delta = _on_engine_of(y_pred, delta, y_pred.dtype)
    error = ops.subtract(y_pred, y_true)
    abs_error = ops.abs(error)
    quadratic = ops.multiply(0.5, ops.square(error))
    linear = ops.subtract(ops.multiply(delta, abs_error), ops.multiply(0.5, ops.square(delta)))
    return ops.mean(ops.where(ops.less_equal(abs_error, delta), quadratic, linear), axis=-1)


def log_cosh(y_true, y_pred):
    """``mean(log(cosh(y_pred - y_true)), axis=-1)``, computed as
    ``x + softplus(-2x) - log(2)`` so that large errors do not overflow."""
    y_true, y_pred = _tensors(y_true, y_pred)
    x = ops.subtract(y_pred, y_true)
    value = ops.subtract(ops.add(x, ops.softplus(ops.multiply(-2.0, x))), math.log(2.0))
    return ops.mean(value, axis=-1)


def poisson(y_true, y_pred):
    """``mean(y_pred - y_true * log(y_pred + epsilon()), axis=-1)``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    log_pred = ops.log(ops.add(y_pred, config.epsilon()))
    return ops.mean(ops.subtract(y_pred, ops.multiply(y_true, log_pred)), axis=-1)


def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along ``axis``: ``-sum(l2_normalize(y_true) *
    l2_normalize(y_pred))``; -1 for the same direction, 0 when either is a zero vector."""
    y_true, y_pred = _tensors(y_true, y_pred)
    product = ops.multiply(K.l2_normalize(y_true, axis=axis), K.l2_normalize(y_pred, axis=axis))
    return ops.negative(ops.sum(product, axis=axis))


# ---------------------------------------------------------------- probabilistic losses

def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary crossentropy, averaged over ``axis``.

    Args:
        y_true: Labels in [0, 1], shaped like ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits``. Probabilities are clipped
            to ``[epsilon(), 1 - epsilon()]`` with ``epsilon()`` added inside each log
            (Keras 2); logits use ``max(x, 0) - x * z + log(1 + exp(-|x|))``.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; labels become ``y * (1 - s) + 0.5 * s``.
        axis: The axis the mean is taken over.

    Returns:
        A tensor of ``y_pred``'s shape without ``axis``.
    """
    y_true, y_pred = _tensors(y_true, y_pred)
    if not _is_zero(label_smoothing):
        y_true = ops.add(ops.multiply(y_true, ops.subtract(1.0, label_smoothing)),
                         ops.multiply(0.5, label_smoothing))
    return ops.mean(K.binary_crossentropy(y_true, y_pred, from_logits=from_logits), axis=axis)


def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Crossentropy between one-hot (or soft) labels and predictions along ``axis``.

    Args:
        y_true: One-hot labels, shaped like ``y_pred``.
        y_pred: Probabilities, or logits when ``from_logits``. Probabilities are
            rescaled to sum to 1 along ``axis`` and clipped to
            ``[epsilon(), 1 - epsilon()]``; logits go through a stable log-softmax.
        from_logits: Whether ``y_pred`` holds logits.
        label_smoothing: In [0, 1]; labels become ``y * (1 - s) + s / num_classes``.
        axis: The class axis.

    Returns:
        A tensor of ``y_pred``'s shape without ``axis``.
    """
    if isinstance(axis, bool):
        raise ValueError(f"Expected axis to be an int. Received: axis={axis!r}")
    y_true, y_pred = _tensors(y_true, y_pred)
    num_classes = K.int_shape(y_pred)[axis]
    if num_classes == 1:
        warnings.warn(
            "In loss categorical_crossentropy, expected y_pred.shape to be (batch_size, "
            f"num_classes) with num_classes > 1. Received: y_pred.shape="
            f"{K.int_shape(y_pred)}. Consider using 'binary_crossentropy' if you only "
            "have 2 classes.", SyntaxWarning, stacklevel=2)
    if not _is_zero(label_smoothing):
        y_true = ops.add(ops.multiply(y_true, ops.subtract(1.0, label_smoothing)),
                         ops.divide(label_smoothing, float(num_classes)))
    return K.categorical_crossentropy(y_true, y_pred, from_logits=from_logits, axis=axis)


def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Crossentropy between integer labels and predictions along ``axis``.

    Args:
        y_true: Integer class indices, shaped like ``y_pred`` without ``axis``; a
            trailing length-1 axis is accepted (``(batch,)`` or ``(batch, 1)``).
        y_pred: Probabilities, or logits when ``from_logits``. Probabilities are
            clipped to ``[epsilon(), 1 - epsilon()]`` and their logs used as logits
            (Keras 2).
        from_logits: Whether ``y_pred`` holds logits.
        ignore_class: A label whose entries get loss 0 (and, in a ``Loss``, are left
            out of the mean), such as -1 or 255 for "void" pixels. None uses all.
        axis: The class axis.

    Returns:
        A tensor of ``y_pred``'s shape without ``axis``.
    """
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = _on_engine_of(y_pred, y_true)
    if ignore_class is None:
        return K.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                                 axis=axis)
    valid = ops.not_equal(y_true, ignore_class)
    y_true = ops.where(valid, y_true, ops.zeros_like(y_true))
    losses = K.sparse_categorical_crossentropy(y_true, y_pred, from_logits=from_logits,
                                               axis=axis)
    valid = ops.reshape(valid, K.int_shape(losses))
    return ops.where(valid, losses, ops.zeros_like(losses))


def kl_divergence(y_true, y_pred):
    """Kullback-Leibler divergence ``sum(y_true * log(y_true / y_pred), axis=-1)``, both
    clipped to ``[epsilon(), 1]``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    eps = config.epsilon()
    y_true = ops.clip(y_true, eps, 1.0)
    y_pred = ops.clip(y_pred, eps, 1.0)
    return ops.sum(ops.multiply(y_true, ops.log(ops.divide(y_true, y_pred))), axis=-1)


# ---------------------------------------------------------------- hinge losses

def _hinge_labels(y_true):
    """Labels that are all 0 or 1 become -1 or 1; others are kept (decided in-graph)."""
    is_binary = ops.all(ops.logical_or(ops.equal(y_true, 0.0), ops.equal(y_true, 1.0)))
    return ops.where(is_binary, ops.subtract(ops.multiply(2.0, y_true), 1.0), y_true)


def hinge(y_true, y_pred):
    """``mean(maximum(1 - y_true * y_pred, 0), axis=-1)``; labels -1/1, or 0/1 converted."""
    y_true, y_pred = _tensors(y_true, y_pred)
    margin = ops.subtract(1.0, ops.multiply(_hinge_labels(y_true), y_pred))
    return ops.mean(ops.maximum(margin, 0.0), axis=-1)


def squared_hinge(y_true, y_pred):
    """``mean(square(maximum(1 - y_true * y_pred, 0)), axis=-1)``; labels as ``hinge``."""
    y_true, y_pred = _tensors(y_true, y_pred)
    margin = ops.subtract(1.0, ops.multiply(_hinge_labels(y_true), y_pred))
    return ops.mean(ops.square(ops.maximum(margin, 0.0)), axis=-1)


def categorical_hinge(y_true, y_pred):
    """``maximum(neg - pos + 1, 0)`` with ``pos = sum(y_true * y_pred)`` and
    ``neg = max((1 - y_true) * y_pred)`` over the last axis."""
    y_true, y_pred = _tensors(y_true, y_pred)
    pos = ops.sum(ops.multiply(y_true, y_pred), axis=-1)
    neg = ops.max(ops.multiply(ops.subtract(1.0, y_true), y_pred), axis=-1)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


# Aliases, as Keras 2 (Keras 3 keeps all but huber_loss, logcosh and
# kullback_leibler_divergence).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
bce = BCE = binary_crossentropy
kld = KLD = kullback_leibler_divergence = kl_divergence
logcosh = log_cosh
huber_loss = huber

_FUNCTIONS = (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, binary_crossentropy, categorical_crossentropy,
    sparse_categorical_crossentropy, hinge, squared_hinge, categorical_hinge, kl_divergence,
    poisson, log_cosh, huber, cosine_similarity,
)
_ALIASES = {
    "mse": mean_squared_error, "MSE": mean_squared_error,
    "mae": mean_absolute_error, "MAE": mean_absolute_error,
    "mape": mean_absolute_percentage_error, "MAPE": mean_absolute_percentage_error,
    "msle": mean_squared_logarithmic_error, "MSLE": mean_squared_logarithmic_error,
    "bce": binary_crossentropy, "BCE": binary_crossentropy,
    "kld": kl_divergence, "KLD": kl_divergence, "kullback_leibler_divergence": kl_divergence,
    "logcosh": log_cosh, "huber_loss": huber,
}
# Older spellings, accepted by ``get`` with a DeprecationWarning naming the modern one.
_LEGACY = {"cosine_proximity": "cosine_similarity", "cosine": "cosine_similarity"}


# ---------------------------------------------------------------- reduction

class Reduction:
    """Keras 2's names for the ways a ``Loss`` reduces per-sample losses.

    ``AUTO`` and ``SUM_OVER_BATCH_SIZE``: the (weighted) sum divided by the number of
    loss values; ``SUM``: the weighted sum; ``NONE``: the weighted losses themselves.
    """

    AUTO = "auto"
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"

    @classmethod
    def all(cls):
        return (cls.AUTO, cls.NONE, cls.SUM, cls.SUM_OVER_BATCH_SIZE)

    @classmethod
    def validate(cls, key):
        """``key`` if it is a reduction name (or None, Keras 3's 'none'); else ValueError."""
        if key is not None and (not isinstance(key, str) or key not in cls.all()):
            raise ValueError(f"Expected reduction to be one of {cls.all()} or None. "
                             f"Received: reduction={key!r}")
        return key


def _per_sample_weight(sample_weight, loss_shape):
    """``sample_weight`` with trailing length-1 axes dropped or added so that it
    broadcasts against losses of ``loss_shape`` from the batch axis on (Keras 2)."""
    shape = received = K.int_shape(sample_weight)
    while len(shape) > len(loss_shape) and shape[-1] == 1:
        shape = shape[:-1]
    if 0 < len(shape) < len(loss_shape):
        shape = shape + (1,) * (len(loss_shape) - len(shape))
    try:
        np.broadcast_shapes(shape, loss_shape)
    except ValueError:
        raise ValueError(
            f"sample_weight of shape {received} cannot weight losses of shape {loss_shape}. "
            f"Expected a scalar, one weight per sample ({loss_shape[:1]}), or a shape "
            f"that broadcasts to {loss_shape}.") from None
    return sample_weight if shape == received else ops.reshape(sample_weight, shape)


def _reduce(losses, sample_weight, mask, reduction):
    """Weight ``losses`` by ``sample_weight`` and ``mask`` and reduce them."""
    losses = ops.convert_to_tensor(losses)
    if not _is_float(losses):
        losses = ops.cast(losses, config.floatx())
    weights = None
    if mask is not None:
        weights = ops.cast(mask, losses.dtype)
        if reduction in ("auto", "sum_over_batch_size"):
            # Valid entries weigh total / valid, so that dividing the sum by the number of
            # losses gives the mean over valid entries; max(valid, 1) makes a batch with
            # none 0 rather than NaN.
            total = float(np.prod(K.int_shape(weights)))
            scale = ops.divide(total, ops.maximum(ops.sum(weights), 1.0))
            weights = ops.multiply(weights, scale)
    if sample_weight is not None:
        sample_weight = _on_engine_of(losses, sample_weight, losses.dtype)
        sample_weight = _per_sample_weight(sample_weight, K.int_shape(losses))
        weights = sample_weight if weights is None else ops.multiply(weights, sample_weight)
    if weights is not None:
        losses = ops.multiply(losses, weights)
    if reduction is None or reduction == "none":
        return losses
    total = ops.sum(losses)
    if reduction == "sum":
        return total
    return ops.divide(total, float(max(int(np.prod(K.int_shape(losses))), 1)))


def _same_rank(y_true, y_pred):
    """Keras 3's alignment: when the ranks differ by one and the longer has a trailing
    length-1 axis, expand a rank-1 tensor, else squeeze that axis."""
    rank_true, rank_pred = K.ndim(y_true), K.ndim(y_pred)
    if rank_pred == rank_true + 1 and K.int_shape(y_pred)[-1] == 1:
        if rank_true == 1:
            y_true = ops.expand_dims(y_true, -1)
        else:
            y_pred = ops.squeeze(y_pred, -1)
    elif rank_true == rank_pred + 1 and K.int_shape(y_true)[-1] == 1:
        if rank_pred == 1:
            y_pred = ops.expand_dims(y_pred, -1)
        else:
            y_true = ops.squeeze(y_true, -1)
    return y_true, y_pred


# ---------------------------------------------------------------- Loss classes

class Loss:
    """Base class: ``call`` gives per-sample losses, ``__call__`` weights and reduces them.

    Args:
        reduction: 'sum_over_batch_size' (the default; Keras 2's 'auto' is the same),
            'sum', or 'none' (None also means no reduction).
        name: Name of the loss; defaults to the class name in snake case.

    Example:
        class MyLoss(losses.Loss):
            def call(self, y_true, y_pred):
                return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)
    """

    def __init__(self, reduction="sum_over_batch_size", name=None):
        self.reduction = Reduction.validate(reduction)
        self.name = name or to_snake_case(type(self).__name__)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The reduced loss: a scalar tensor, or weighted per-sample losses for 'none'.

        Args:
            y_true: Targets.
            y_pred: Predictions.
            sample_weight: None, a scalar, one weight per sample ``(batch,)`` or
                ``(batch, 1)``, or a shape that broadcasts to the per-sample losses.
        """
        losses, mask = self._losses_and_mask(y_true, y_pred)
        return _reduce(losses, sample_weight, mask, self.reduction)

    def _losses_and_mask(self, y_true, y_pred):
        return self.call(y_true, y_pred), None

    def call(self, y_true, y_pred):
        """Per-sample losses; subclasses implement it."""
        raise NotImplementedError(f"{type(self).__name__} does not implement call().")

    def get_config(self):
        return {"reduction": self.reduction, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name!r} reduction={self.reduction!r}>"


def _function_name(fn):
    name = getattr(fn, "__name__", None)
    return name if isinstance(name, str) and name.isidentifier() else None


class LossFunctionWrapper(Loss):
    """A ``Loss`` around a function ``fn(y_true, y_pred, **kwargs) -> per-sample losses``.

    This is how a function written with ``keras_bridge.ops`` or ``K`` becomes a loss.

    Args:
        fn: The loss function.
        reduction: As in ``Loss``.
        name: Name of the loss; defaults to ``fn.__name__``.
        **kwargs: Keyword arguments passed to ``fn`` on every call.

    Example:
        def rmse(y_true, y_pred):
            return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))
        loss = losses.LossFunctionWrapper(rmse)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, **kwargs):
        if not callable(fn):
            raise TypeError(f"Expected fn to be a callable (y_true, y_pred) -> per-sample "
                            f"losses. Received: fn={fn!r}")
        super().__init__(reduction=reduction,
                         name=name or _function_name(fn) or "loss_function_wrapper")
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        y_pred = ops.convert_to_tensor(y_pred)
        y_true, y_pred = _same_rank(_on_engine_of(y_pred, y_true), y_pred)
        return self.fn(y_true, y_pred, **self._fn_kwargs)

    def _losses_and_mask(self, y_true, y_pred):
        losses = self.call(y_true, y_pred)
        ignore_class = self._fn_kwargs.get("ignore_class")
        if self.fn is not sparse_categorical_crossentropy or ignore_class is None:
            return losses, None
        valid = ops.not_equal(_on_engine_of(losses, y_true), ignore_class)
        return losses, ops.reshape(valid, K.int_shape(losses))

    def get_config(self):
        config = {**super().get_config(), **self._fn_kwargs}
        if type(self) is LossFunctionWrapper:  # subclasses fix their function
            config["fn"] = _function_name(self.fn) or repr(self.fn)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if cls is LossFunctionWrapper:
            config["fn"] = _function(config.get("fn"))
        return cls(**config)


class MeanSquaredError(LossFunctionWrapper):
    """Mean of squared errors (``mean_squared_error``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error"):
        super().__init__(mean_squared_error, reduction=reduction, name=name)


class MeanAbsoluteError(LossFunctionWrapper):
    """Mean of absolute errors (``mean_absolute_error``)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error"):
        super().__init__(mean_absolute_error, reduction=reduction, name=name)


class MeanAbsolutePercentageError(LossFunctionWrapper):
    """Mean absolute percentage error (``mean_absolute_percentage_error``)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_absolute_percentage_error"):
        super().__init__(mean_absolute_percentage_error, reduction=reduction, name=name)


class MeanSquaredLogarithmicError(LossFunctionWrapper):
    """Mean squared logarithmic error (``mean_squared_logarithmic_error``)."""

    def __init__(self, reduction="sum_over_batch_size",
                 name="mean_squared_logarithmic_error"):
        super().__init__(mean_squared_logarithmic_error, reduction=reduction, name=name)


class BinaryCrossentropy(LossFunctionWrapper):
    """Binary crossentropy (``binary_crossentropy``), for 0/1 labels.

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; labels are squeezed towards 0.5.
        axis: The axis the mean is taken over.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy"):
        super().__init__(binary_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class CategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for one-hot labels (``categorical_crossentropy``).

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        label_smoothing: In [0, 1]; ``s / num_classes`` goes to every class.
        axis: The class axis.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy"):
        super().__init__(categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


class SparseCategoricalCrossentropy(LossFunctionWrapper):
    """Crossentropy for integer labels (``sparse_categorical_crossentropy``).

    Args:
        from_logits: Whether predictions are logits rather than probabilities.
        ignore_class: A label left out of the loss and of the mean, or None.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 name="sparse_categorical_crossentropy"):
        super().__init__(sparse_categorical_crossentropy, reduction=reduction, name=name,
                         from_logits=from_logits, ignore_class=ignore_class)


class Hinge(LossFunctionWrapper):
    """Hinge loss (``hinge``), for -1/1 labels (0/1 labels are converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge"):
        super().__init__(hinge, reduction=reduction, name=name)


class SquaredHinge(LossFunctionWrapper):
    """Squared hinge loss (``squared_hinge``), for -1/1 labels (0/1 converted)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge"):
        super().__init__(squared_hinge, reduction=reduction, name=name)


class CategoricalHinge(LossFunctionWrapper):
    """Categorical hinge loss (``categorical_hinge``), for one-hot labels."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge"):
        super().__init__(categorical_hinge, reduction=reduction, name=name)


class KLDivergence(LossFunctionWrapper):
    """Kullback-Leibler divergence (``kl_divergence``)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence"):
        super().__init__(kl_divergence, reduction=reduction, name=name)


class Poisson(LossFunctionWrapper):
    """Poisson loss (``poisson``)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson"):
        super().__init__(poisson, reduction=reduction, name=name)


class LogCosh(LossFunctionWrapper):
    """Logarithm of the hyperbolic cosine of the error (``log_cosh``)."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh"):
        super().__init__(log_cosh, reduction=reduction, name=name)


class Huber(LossFunctionWrapper):
    """Huber loss (``huber``), quadratic below ``delta`` and linear above.

    Args:
        delta: Where the loss changes from quadratic to linear.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss"):
        super().__init__(huber, reduction=reduction, name=name, delta=delta)


class CosineSimilarity(LossFunctionWrapper):
    """Negative cosine similarity (``cosine_similarity``).

    Args:
        axis: The axis along which the similarity is computed.
        reduction, name: As in ``Loss``.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity"):
        super().__init__(cosine_similarity, reduction=reduction, name=name, axis=axis)


# ---------------------------------------------------------------- lookup and serialization

_CLASSES = (
    Loss, LossFunctionWrapper, MeanSquaredError, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredLogarithmicError, BinaryCrossentropy,
    CategoricalCrossentropy, SparseCategoricalCrossentropy, Hinge, SquaredHinge,
    CategoricalHinge, KLDivergence, Poisson, LogCosh, Huber, CosineSimilarity,
)
_CLASS_BY_NAME = {cls.__name__: cls for cls in _CLASSES[2:]}
_SERIALIZABLE = {LossFunctionWrapper.__name__: LossFunctionWrapper, **_CLASS_BY_NAME}
_FUNCTION_BY_NAME = {fn.__name__: fn for fn in _FUNCTIONS}
_FUNCTION_BY_NAME.update(_ALIASES)
_ACCEPTED = sorted(set(_FUNCTION_BY_NAME) | set(_CLASS_BY_NAME))


def _unknown(identifier):
    return ValueError(
        f"Could not interpret loss identifier: {identifier!r}. Expected one of "
        f"{_ACCEPTED}, a dict {{'class_name': ..., 'config': ...}}, a Loss instance, or a "
        "callable (y_true, y_pred) -> per-sample losses.")


def _function(name, custom_objects=None):
    """The loss function saved as ``name`` in a LossFunctionWrapper config."""
    if callable(name):
        return name
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if name in _FUNCTION_BY_NAME:
        return _FUNCTION_BY_NAME[name]
    raise ValueError(
        f"Unknown loss function {name!r} in a LossFunctionWrapper config. Expected one of "
        f"{sorted(_FUNCTION_BY_NAME)}; pass a custom function as "
        f"deserialize(config, custom_objects={{{name!r}: fn}}).")


def serialize(loss):
    """``{'class_name': ..., 'config': ...}`` for a ``Loss``; a built-in function's name.

    Args:
        loss: A ``Loss`` instance, a built-in loss function, or None.
    """
    if loss is None:
        return None
    if isinstance(loss, Loss):
        return {"class_name": type(loss).__name__, "config": loss.get_config()}
    if any(loss is fn for fn in _FUNCTIONS):
        return loss.__name__
    raise ValueError(f"Cannot serialize loss {loss!r}. Expected a Loss instance or a "
                     "built-in loss function; wrap a custom function in LossFunctionWrapper.")


def deserialize(config, custom_objects=None):
    """A ``Loss`` from ``serialize``'s output (a dict, or a name).

    Args:
        config: A dict ``{'class_name': ..., 'config': ...}`` or a name.
        custom_objects: Optional dict of user classes and functions by name.
    """
    if isinstance(config, str):
        return get(config)
    if not isinstance(config, dict) or "class_name" not in config:
        raise _unknown(config)
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or _SERIALIZABLE.get(name)
    if not (inspect.isclass(cls) and issubclass(cls, Loss)):
        raise _unknown(name)
    inner = dict(config.get("config") or {})
    if cls is LossFunctionWrapper:
        inner["fn"] = _function(inner.get("fn"), custom_objects)
    return cls.from_config(inner)


def get(identifier):
    """Resolve a loss for ``compile(loss=...)``.

    Args:
        identifier: None; a function name or alias ('mse', 'categorical_crossentropy',
            ...), giving a ``LossFunctionWrapper`` named after the function's Keras 2
            name ('mse' -> 'mean_squared_error'); a class name ('MeanSquaredError');
            a dict from ``serialize``; a ``Loss`` instance (returned as it is) or class;
            or a callable ``(y_true, y_pred) -> per-sample losses`` (wrapped).

    Returns:
        A ``Loss`` instance, or None for None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, Loss):
        return identifier
    if isinstance(identifier, str):
        if identifier in _LEGACY:
            modern = _LEGACY[identifier]
            warnings.warn(f"Loss {identifier!r} is the old name of {modern!r}; use "
                          f"{modern!r} instead.", DeprecationWarning, stacklevel=2)
            identifier = modern
        if identifier in _CLASS_BY_NAME:
            return _CLASS_BY_NAME[identifier]()
        fn = _FUNCTION_BY_NAME.get(identifier)
        if fn is None:
            raise _unknown(identifier)
        return LossFunctionWrapper(fn, name=fn.__name__)
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if inspect.isclass(identifier) and issubclass(identifier, Loss):
        return identifier()
    if callable(identifier):
        return LossFunctionWrapper(identifier)
    raise _unknown(identifier)


__all__ = (
    [fn.__name__ for fn in _FUNCTIONS] + sorted(_ALIASES)
    + [cls.__name__ for cls in _CLASSES]
    + ["Reduction", "get", "serialize", "deserialize"]
)
