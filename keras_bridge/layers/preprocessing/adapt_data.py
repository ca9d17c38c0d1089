"""The data ``adapt()`` accepts, as numpy batches on the host: one array (or engine
tensor), or an iterable of batches (a list of arrays, a generator, a PyDataset), where
an ``(x, y)`` batch contributes its ``x``."""

import numpy as np


def _host(batch):
    if isinstance(batch, (tuple, list)) and batch and not np.isscalar(batch[0]):
        batch = batch[0]  # (x, y[, sample_weight]): the features
    if hasattr(batch, "shape") and not isinstance(batch, np.ndarray):
        from keras_bridge import ops
        return np.asarray(ops.convert_to_numpy(batch))
    return np.asarray(batch)


def batches(data, layer):
    """The numpy batches of ``data`` (one batch for an array)."""
    if isinstance(data, np.ndarray) or (hasattr(data, "shape") and hasattr(data, "dtype")):
        return [_host(data)]
    if isinstance(data, (str, bytes)) or not hasattr(data, "__iter__"):
        raise TypeError(f"{type(layer).__name__}.adapt() expects a numpy array, a tensor or "
                        f"an iterable of batches. Received: {type(data).__name__}")
    out = [_host(b) for b in data]
    if not out:
        raise ValueError(f"{type(layer).__name__}.adapt() received an empty iterable (no "
                         "batches). Pass an array, or an iterable of at least one batch.")
    return out
