"""Accuracy metrics: the per-sample functions (``accuracy``, ``binary_accuracy``,
``categorical_accuracy``, ``sparse_categorical_accuracy`` and the top-k ones) and the
running-mean classes of each."""

from keras_bridge import config, ops
from keras_bridge.metrics.base import _FixedFunction, _check_broadcast, _convert, _same_rank


# ---------------------------------------------------------------- metric functions

def accuracy(y_true, y_pred):
    """How often ``y_pred`` equals ``y_true``, averaged over the last axis."""
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_broadcast("accuracy", y_true, y_pred)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), config.floatx()), axis=-1)


def binary_accuracy(y_true, y_pred, threshold=0.5):
    """How often ``y_pred > threshold`` matches the 0/1 label, averaged over the last axis.

    Args:
        y_true: Labels, 0 or 1, shaped like ``y_pred`` (a last axis of 1 may be missing).
        y_pred: Probabilities (or logits with ``threshold=0``).
        threshold: A prediction above it counts as 1.

    Returns:
        Per-sample values, ``y_pred``'s shape without its last axis.
    """
    y_true, y_pred = _convert(y_true, y_pred)
    y_true, y_pred = _same_rank(y_true, y_pred)
    _check_broadcast("binary_accuracy", y_true, y_pred)
    y_pred = ops.cast(ops.greater(y_pred, threshold), y_true.dtype)
    return ops.mean(ops.cast(ops.equal(y_true, y_pred), config.floatx()), axis=-1)


def categorical_accuracy(y_true, y_pred):
    """Whether the arg-max of ``y_pred`` is the arg-max of the one-hot ``y_true``.

    Raises:
        ValueError: if ``y_true`` is not shaped like ``y_pred`` (integer labels belong
            to ``sparse_categorical_accuracy``).
    """
    y_true, y_pred = _convert(y_true, y_pred)
    if ops.shape(y_true) != ops.shape(y_pred):
        raise ValueError(
            "categorical_accuracy expects one-hot y_true shaped like y_pred; received "
            f"y_true.shape={ops.shape(y_true)} and y_pred.shape={ops.shape(y_pred)}. "
            "For integer labels use sparse_categorical_accuracy."
        )
    matches = ops.equal(ops.argmax(y_true, axis=-1), ops.argmax(y_pred, axis=-1))
    return ops.cast(matches, config.floatx())


def _sparse_labels(fn_name, y_true, y_pred):
    """Integer labels ``(batch,)`` or ``(batch, 1)`` checked against ``y_pred``'s classes."""
    if ops.ndim(y_true) == ops.ndim(y_pred) and ops.shape(y_true)[-1] == 1:
        y_true = ops.squeeze(y_true, -1)
    if ops.shape(y_true) != ops.shape(y_pred)[:-1]:
        raise ValueError(
            f"{fn_name} expects integer labels of shape {ops.shape(y_pred)[:-1]} (or with "
            f"a last axis of 1) for y_pred of shape {ops.shape(y_pred)}; received "
            f"y_true.shape={ops.shape(y_true)}. For one-hot labels use the "
            "non-sparse metric."
        )
    return y_true


def sparse_categorical_accuracy(y_true, y_pred):
    """Whether the arg-max of ``y_pred`` equals the integer label.

    Args:
        y_true: Integer labels, shape ``(batch,)`` or ``(batch, 1)``.
        y_pred: Scores (probabilities or logits), shape ``(batch, num_classes)``.

    Returns:
        Per-sample values of shape ``(batch,)``.
    """
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = _sparse_labels("sparse_categorical_accuracy", y_true, y_pred)
    predicted = ops.cast(ops.argmax(y_pred, axis=-1), y_true.dtype)
    return ops.cast(ops.equal(y_true, predicted), config.floatx())


def _in_top_k(targets, predictions, k):
    """Keras's ``in_top_k``: the target's score is beaten by fewer than ``k`` classes
    (ties at the boundary count as in); a NaN score at the target is never in."""
    hit = ops.greater(ops.one_hot(targets, ops.shape(predictions)[-1]), 0.5)
    at_label = ops.sum(ops.where(hit, predictions, 0.0), axis=-1)
    at_label = ops.where(ops.not_equal(at_label, at_label), float("-inf"), at_label)
    beaten_by = ops.sum(ops.cast(ops.greater(predictions, ops.expand_dims(at_label, -1)),
                                 "int32"), axis=-1)
    return ops.cast(ops.less(beaten_by, k), config.floatx())


def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the one-hot label's class is among the ``k`` highest scores of ``y_pred``."""
    y_true, y_pred = _convert(y_true, y_pred)
    if ops.shape(y_true) != ops.shape(y_pred):
        raise ValueError(
            "top_k_categorical_accuracy expects one-hot y_true shaped like y_pred; "
            f"received y_true.shape={ops.shape(y_true)} and "
            f"y_pred.shape={ops.shape(y_pred)}. For integer labels use "
            "sparse_top_k_categorical_accuracy."
        )
    return _in_top_k(ops.argmax(y_true, axis=-1), y_pred, k)


def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5):
    """Whether the integer label is among the ``k`` highest scores of ``y_pred``."""
    y_true, y_pred = _convert(y_true, y_pred)
    y_true = _sparse_labels("sparse_top_k_categorical_accuracy", y_true, y_pred)
    return _in_top_k(ops.cast(y_true, "int32"), y_pred, k)


# ---------------------------------------------------------------- classes

class Accuracy(_FixedFunction):
    """How often predictions equal labels (``accuracy``)."""

    _function = staticmethod(accuracy)

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class BinaryAccuracy(_FixedFunction):
    """How often ``y_pred > threshold`` matches the 0/1 labels (``binary_accuracy``).

    Args:
        name: Name of the metric.
        dtype: dtype of the state and result.
        threshold: A prediction above it counts as 1; in (0, 1).
    """

    _function = staticmethod(binary_accuracy)

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        if threshold is not None and not 0 < threshold < 1:
            raise ValueError("Invalid value for argument `threshold`. Expected a value in "
                             f"interval (0, 1). Received: threshold={threshold}")
        super().__init__(name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold


class CategoricalAccuracy(_FixedFunction):
    """How often the arg-max of predictions matches one-hot labels."""

    _function = staticmethod(categorical_accuracy)

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class SparseCategoricalAccuracy(_FixedFunction):
    """How often the arg-max of predictions matches integer labels."""

    _function = staticmethod(sparse_categorical_accuracy)

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)


class TopKCategoricalAccuracy(_FixedFunction):
    """How often the one-hot label is among the ``k`` highest predictions."""

    _function = staticmethod(top_k_categorical_accuracy)

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)
        self.k = k


class SparseTopKCategoricalAccuracy(_FixedFunction):
    """How often the integer label is among the ``k`` highest predictions."""

    _function = staticmethod(sparse_top_k_categorical_accuracy)

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype, k=k)
        self.k = k
