"""Probabilistic losses (the crossentropies and ``kl_divergence``) and the hinge family
(``hinge``, ``squared_hinge``, ``categorical_hinge``), as per-sample functions."""

import warnings

from keras_bridge import backend as K
from keras_bridge import config, ops
from keras_bridge.losses.base import _is_zero, _on_engine_of, _tensors


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
