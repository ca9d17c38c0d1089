"""Keras 3's data helpers for in-memory data: ``split_dataset`` and the ``(x, y,
sample_weight)`` packing used by ``train_step`` overrides.

``split_dataset`` takes what ``fit`` takes here (a numpy array, or a list/tuple/dict
nesting of arrays with the same number of samples) and returns two such structures,
not the ``tf.data`` / torch ``Dataset`` objects Keras 3 returns: both go straight into
``fit(x=...)`` or ``fit(*left)``.
"""

import numbers

import numpy as np

from keras_bridge import tree

__all__ = ["split_dataset", "pack_x_y_sample_weight", "unpack_x_y_sample_weight"]


def unpack_x_y_sample_weight(data):
    """``(x, y, sample_weight)`` from ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``,
    with None for what is missing."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if 1 <= len(data) <= 3:
        return tuple(data) + (None,) * (3 - len(data))
    raise ValueError("Data is expected to be in format `x`, `(x,)`, `(x, y)`, or "
                     f"`(x, y, sample_weight)`. Received: a tuple of {len(data)} items")


def pack_x_y_sample_weight(x, y=None, sample_weight=None):
    """The tuple ``fit`` takes: ``x`` alone (``(x,)`` if ``x`` is a list or tuple, so it is
    not read as ``(x, y)``), ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return (x,) if isinstance(x, (list, tuple)) else x
    if sample_weight is None:
        return x, y
    return x, y, sample_weight


def _size(value, side, total):
    """``value`` (a fraction, a count or None) as a count, checked."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        raise TypeError(f"Expected `{side}_size` to be an int, a float or None. Received: "
                        f"{side}_size={value!r} of type {type(value).__name__}")
    if isinstance(value, numbers.Integral):
        if not 0 < value < total:
            raise ValueError(f"Expected `{side}_size` to be a positive integer smaller than "
                             f"{total} (the number of samples), or a float in (0, 1). "
                             f"Received: {side}_size={value}")
        return int(value)
    if not 0 < value < 1:
        raise ValueError(f"Expected `{side}_size` to be a float in (0, 1), or a positive "
                         f"integer smaller than {total}. Received: {side}_size={value}")
    return round(value * total)


def split_dataset(dataset, left_size=None, right_size=None, shuffle=False, seed=None,
                  preferred_backend=None):
    """Split samples into a left part (the first ``left_size``) and a right part (the
    last ``right_size``); e.g. train and validation.

    Args:
        dataset: a numpy array (or array-like), or a list/tuple/dict of them with the same
            first dimension.
        left_size, right_size: a fraction in (0, 1) or a number of samples; either may be
            None (then it is the rest). Fractions are rounded to whole samples.
        shuffle: whether to shuffle samples before splitting; ``seed`` makes it repeatable.
        preferred_backend: accepted for Keras 3 compatibility; the parts are numpy.

    Returns:
        ``(left, right)``, each nested like ``dataset``.

    Example:
        left, right = split_dataset(np.arange(10), left_size=0.8)  # 8 and 2 samples
    """
    if left_size is None and right_size is None:
        raise ValueError("At least one of `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")
    if not (tree.is_nested(dataset) or hasattr(dataset, "__len__")):
        raise TypeError("Expected `dataset` to be a numpy array or a list/tuple/dict of "
                        f"arrays. Received: {type(dataset).__name__}")
    arrays = tree.map_structure(np.asarray, dataset)
    lengths = {a.shape[0] if a.ndim else None for a in tree.flatten(arrays)}
    if len(lengths) != 1 or None in lengths:
        raise ValueError("Expected every array of `dataset` to have the same number of "
                         f"samples (first dimension). Received lengths: {sorted(lengths, key=str)}")
    total = lengths.pop()
    left, right = _size(left_size, "left", total), _size(right_size, "right", total)
    left = total - right if left is None else left
    right = total - left if right is None else right
    if left + right > total:
        raise ValueError(f"The sum of `left_size` and `right_size` must be at most {total} "
                         f"(the number of samples). Received: {left} + {right} samples")
    if left == 0 or right == 0:
        raise ValueError(f"With {total} samples, left_size={left_size} and "
                         f"right_size={right_size} leave one side empty. Adjust the sizes.")
    order = np.random.default_rng(seed).permutation(total) if shuffle else np.arange(total)
    left_index, right_index = order[:left], order[total - right:]
    return (tree.map_structure(lambda a: a[left_index], arrays),
            tree.map_structure(lambda a: a[right_index], arrays))
