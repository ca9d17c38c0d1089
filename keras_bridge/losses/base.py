"""The ``Loss`` base class, the ``Reduction`` names, how a ``Loss`` weights and reduces
per-sample losses (``_reduce``), and the tensor helpers the loss functions share."""

import math
import numbers

import numpy as np

from keras_bridge import backend as K
from keras_bridge import config, ops
from keras_bridge.utils.naming import to_snake_case


# ---------------------------------------------------------------- helpers

def _on_engine_of(ref, x, dtype=None):
    """``x`` as a tensor of ``ref``'s engine (numpy labels next to a torch prediction
    become torch), cast to ``dtype`` when given; symbolic stays symbolic."""
    if ops.engine_name_of(ref, x) == ops.SYMBOLIC:
        return ops.convert_to_tensor(x, dtype)
    return ops.backend_for(ref).ops.convert_to_tensor(x, dtype)


def _tensors(y_true, y_pred):
    """``y_pred`` as a tensor and ``y_true`` cast to its dtype (Keras's first two lines)."""
    y_pred = ops.convert_to_tensor(y_pred)
    return _on_engine_of(y_pred, y_true, y_pred.dtype), y_pred


def _is_zero(value):
    return isinstance(value, numbers.Real) and value == 0


def _is_float(x):
    return K.dtype(x).startswith(("float", "bfloat"))


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
            total = float(math.prod(K.int_shape(weights)))
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
    if None in K.int_shape(losses):  # symbolic losses: the count is known when run
        return ops.mean(losses)
    # math.prod: shape arithmetic stays Python ints (np.prod would trace as a tensor op
    # under torch.compile and read it back to the host).
    return ops.divide(total, float(max(math.prod(K.int_shape(losses)), 1)))


def rank_alignment(true_shape, pred_shape):
    """Keras 3's alignment of targets and predictions whose ranks differ by one, the
    longer with a trailing length-1 axis: which of 'expand_true', 'squeeze_true',
    'expand_pred', 'squeeze_pred' to apply (a rank-1 side is expanded, else the longer
    squeezed), or None. Shapes only, so data entry can check before any engine work."""
    rank_true, rank_pred = len(true_shape), len(pred_shape)
    if rank_pred == rank_true + 1 and pred_shape[-1] == 1:
        return "expand_true" if rank_true == 1 else "squeeze_pred"
    if rank_true == rank_pred + 1 and true_shape[-1] == 1:
        return "expand_pred" if rank_pred == 1 else "squeeze_true"
    return None


def aligned_shapes(true_shape, pred_shape):
    """``(true_shape, pred_shape)`` after ``rank_alignment``."""
    action = rank_alignment(true_shape, pred_shape)
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    if action == "expand_true":
        true_shape += (1,)
    elif action == "squeeze_true":
        true_shape = true_shape[:-1]
    elif action == "expand_pred":
        pred_shape += (1,)
    elif action == "squeeze_pred":
        pred_shape = pred_shape[:-1]
    return true_shape, pred_shape


def _same_rank(y_true, y_pred):
    """Targets and predictions aligned by ``rank_alignment``."""
    action = rank_alignment(K.int_shape(y_true), K.int_shape(y_pred))
    if action == "expand_true":
        y_true = ops.expand_dims(y_true, -1)
    elif action == "squeeze_true":
        y_true = ops.squeeze(y_true, -1)
    elif action == "expand_pred":
        y_pred = ops.expand_dims(y_pred, -1)
    elif action == "squeeze_pred":
        y_pred = ops.squeeze(y_pred, -1)
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
