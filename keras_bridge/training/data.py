"""Training data as Keras takes it: arrays, or lists/dicts keyed by input or output
name; checked once, then sliced into batches of numpy arrays."""

import numpy as np


def _as_arrays(data, names, what, model_name):
    """List of numpy arrays aligned with ``names`` from an array, list or dict."""
    if isinstance(data, dict):
        missing = [n for n in names if n not in data]
        unknown = [k for k in data if k not in names]
        if missing or unknown:
            raise ValueError(f"Model {model_name!r} expects {what} named {names}; the dict "
                             f"given has keys {list(data)} (missing {missing}, unknown "
                             f"{unknown}).")
        data = [data[n] for n in names]
    elif not isinstance(data, (list, tuple)):
        data = [data]
    data = [np.asarray(a) for a in data]
    if len(data) != len(names):
        raise ValueError(f"Model {model_name!r} has {len(names)} {what} {names}, but "
                         f"{len(data)} array(s) were given for them.")
    for name, a in zip(names, data):
        if a.ndim == 0:
            raise ValueError(f"The {what[:-1]} {name!r} of model {model_name!r} must have a "
                             f"batch axis; received a scalar.")
    return data


def standardize(model, x, y=None, sample_weight=None):
    """(xs, ys, sample_weight) as numpy, checked against the model and each other."""
    xs = model._standardize(x)
    model._ensure_built(xs)  # a deferred Sequential learns its outputs here
    ys = None
    if y is not None:
        ys = _as_arrays(y, model.output_names, "outputs", model.name)
        ys = [a.astype(np.float32) if a.dtype == np.float64 else a for a in ys]
    if sample_weight is not None:
        sample_weight = np.asarray(sample_weight, dtype=np.float32)
        if sample_weight.ndim != 1:
            raise ValueError(f"sample_weight must be a 1-D array with one weight per sample. "
                             f"Received shape {sample_weight.shape}.")
    counts = {"x": [a.shape[0] for a in xs]}
    if ys is not None:
        counts["y"] = [a.shape[0] for a in ys]
    if sample_weight is not None:
        counts["sample_weight"] = [sample_weight.shape[0]]
    sizes = {n for v in counts.values() for n in v}
    if len(sizes) > 1:
        detail = ", ".join(f"{k} sizes: {v}" for k, v in counts.items())
        raise ValueError(f"Data cardinality is ambiguous: make sure all arrays contain the "
                         f"same number of samples. {detail}")
    if not sizes or sizes == {0}:
        raise ValueError(f"Model {model.name!r} received empty data (0 samples).")
    return xs, ys, sample_weight


def split(arrays, at):
    """Arrays cut at sample ``at``: (head, tail), ``None`` entries kept."""
    head = [None if a is None else [p[:at] for p in a] if isinstance(a, list) else a[:at]
            for a in arrays]
    tail = [None if a is None else [p[at:] for p in a] if isinstance(a, list) else a[at:]
            for a in arrays]
    return head, tail


def batch_indices(n, batch_size, shuffle, rng):
    """Index arrays (or slices, without shuffling) of successive batches."""
    if shuffle:
        order = rng.permutation(n)
        return [order[i:i + batch_size] for i in range(0, n, batch_size)]
    return [slice(i, min(i + batch_size, n)) for i in range(0, n, batch_size)]


def take(arrays, index):
    return None if arrays is None else [a[index] for a in arrays]


def check_batch_size(batch_size):
    if batch_size is None:
        return 32
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size <= 0:
        raise ValueError(f"Expected a positive integer batch_size. Received: "
                         f"batch_size={batch_size!r}")
    return int(batch_size)
