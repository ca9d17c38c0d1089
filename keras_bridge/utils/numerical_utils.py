"""Array helpers with Keras's names: ``to_categorical`` and ``normalize``.

Both work on numpy and array-likes and return numpy arrays (Keras 2's behaviour); an
engine tensor is copied to numpy first. No engine is imported here.
"""

import numpy as np

from keras_bridge import ops


def _to_numpy(x):
    if ops.engine_name_of(x) is not None:
        return ops.convert_to_numpy(x)
    return np.asarray(x)


def _describe(values, limit=10):
    values = [v.item() if hasattr(v, "item") else v for v in values]
    shown = ", ".join(repr(v) for v in values[:limit])
    more = f", ... ({len(values)} distinct values in all)" if len(values) > limit else ""
    return f"[{shown}{more}]"


def to_categorical(y, num_classes=None, dtype="float32"):
    """Converts a class vector (integers) to a binary class matrix (one-hot).

    A trailing axis of size 1 is dropped first, as in Keras: labels of shape
    ``(n, 1)`` give ``(n, num_classes)``.

    Args:
        y: array-like of class indices, integers from ``0`` to ``num_classes - 1``.
        num_classes: total number of classes. ``None`` infers ``max(y) + 1``.
        dtype: dtype of the result, ``"float32"`` by default.

    Returns:
        A numpy array of shape ``y.shape + (num_classes,)`` (after the trailing-1
        squeeze), with the class axis last.

    Raises:
        ValueError: when a label is not an integer or lies outside
            ``[0, num_classes)``; the message lists the offending labels.

    Example:

    >>> to_categorical([0, 2, 1], num_classes=3)
    array([[1., 0., 0.],
           [0., 0., 1.],
           [0., 1., 0.]], dtype=float32)
    """
    y = _to_numpy(y)
    if y.dtype == object or not (np.issubdtype(y.dtype, np.number) or y.dtype == bool):
        raise ValueError(
            f"to_categorical expects integer class labels. Received an array of dtype "
            f"{y.dtype}. Convert string or object labels to integers first.")
    if not (np.issubdtype(y.dtype, np.integer) or y.dtype == bool):
        bad = y[~np.isfinite(y) | (y != np.round(y))] if y.size else y
        if bad.size:
            raise ValueError(
                "to_categorical expects integer class labels. Received non-integer "
                f"labels: {_describe(np.unique(bad))}.")
    input_shape = y.shape
    if len(input_shape) > 1 and input_shape[-1] == 1:
        input_shape = input_shape[:-1]
    labels = y.reshape(-1).astype("int64")
    if num_classes is None:
        if labels.size == 0:
            raise ValueError(
                "to_categorical cannot infer num_classes from empty labels. "
                "Pass num_classes=.")
        num_classes = int(labels.max()) + 1
    elif isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) \
            or num_classes < 1:
        raise ValueError(
            f"Expected num_classes to be a positive integer or None. "
            f"Received: num_classes={num_classes!r}")
    num_classes = int(num_classes)
    outside = (labels < 0) | (labels >= num_classes)
    if outside.any():
        raise ValueError(
            f"to_categorical expects labels in [0, {num_classes}) for "
            f"num_classes={num_classes}. Received labels outside that range: "
            f"{_describe(np.unique(labels[outside]))}.")
    categorical = np.zeros((labels.size, num_classes), dtype=dtype)
    categorical[np.arange(labels.size), labels] = 1
    return categorical.reshape(input_shape + (num_classes,))


def normalize(x, axis=-1, order=2):
    """Normalizes an array to unit norm along an axis.

    Args:
        x: array-like to normalize.
        axis: axis along which to normalize.
        order: the norm's order (``2`` for L2, ``1`` for L1, as ``numpy.linalg.norm``).

    Returns:
        A normalized copy of ``x`` as a numpy array. Slices whose norm is 0 are
        left unchanged (they are divided by 1).

    Example:

    >>> normalize([[3.0, 4.0]])
    array([[0.6, 0.8]])
    """
    x = _to_numpy(x)
    norm = np.array(np.linalg.norm(x, order, axis, keepdims=True))
    norm[norm == 0] = 1
    return x / norm
