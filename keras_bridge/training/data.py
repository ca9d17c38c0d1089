"""Training data as Keras takes it: arrays, or lists/dicts keyed by input or output
name; checked once, then sliced into batches of numpy arrays."""

import numpy as np


def expand_rank_1(array, expected):
    """A 1-D array for a ``(batch, 1)`` input or output becomes ``(n, 1)``, as Keras 2 and
    3 both do (``Dense(1, input_dim=1)`` trained on ``np.linspace(-1, 1, 200)``)."""
    if array.ndim == 1 and len(expected) == 2 and expected[1] == 1:
        return array[:, None]
    return array


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
    """(xs, ys, sample_weight) as numpy, checked against the model and each other, and
    the targets against the compiled losses and metrics (``training/targets.py``)."""
    xs = model._standardize(x)
    model._ensure_built(xs)  # a deferred Sequential learns its outputs here
    ys = None
    if y is not None:
        ys = _as_arrays(y, model.output_names, "outputs", model.name)
        ys = [a.astype(np.float32) if a.dtype == np.float64 else a for a in ys]
        if getattr(model, "outputs", None):  # a subclassed model's outputs are unknown
            ys = [expand_rank_1(a, t.shape) for a, t in zip(ys, model.outputs)]
    if sample_weight is not None:
        sample_weight = sample_weights(sample_weight, model.output_names, model.name)
    counts = {"x": [a.shape[0] for a in xs]}
    if ys is not None:
        counts["y"] = [a.shape[0] for a in ys]
    if sample_weight is not None:
        counts["sample_weight"] = [w.shape[0] for w in weight_arrays(sample_weight)]
    sizes = {n for v in counts.values() for n in v}
    if len(sizes) > 1:
        detail = ", ".join(f"{k} sizes: {v}" for k, v in counts.items())
        raise ValueError(f"Data cardinality is ambiguous: make sure all arrays contain the "
                         f"same number of samples. {detail}")
    if not sizes or sizes == {0}:
        raise ValueError(f"Model {model.name!r} received empty data (0 samples).")
    if ys is not None:
        from keras_bridge.training import targets  # via compile_utils, it imports this module
        targets.check(model, ys)
    return xs, ys, sample_weight


def _weight_array(value, what):
    value = np.asarray(value, dtype=np.float32)
    if value.ndim == 2 and value.shape[1] == 1:  # (N, 1), as Keras accepts
        value = value[:, 0]
    if value.ndim != 1:
        raise ValueError(f"{what} must be a 1-D array with one weight per sample "
                         f"(or of shape (samples, 1)). Received shape {value.shape}.")
    return value


def sample_weights(sample_weight, output_names, model_name):
    """One 1-D array (weighing every output), or, from a list or a dict keyed by output
    name (Keras 2), a list with one array per output; an output given None or left out
    of the dict weighs each sample 1."""
    if isinstance(sample_weight, np.ndarray) or not isinstance(sample_weight, (list, tuple,
                                                                                dict)):
        return _weight_array(sample_weight, "sample_weight")
    if isinstance(sample_weight, (list, tuple)) and len(output_names) == 1 and (
            len(sample_weight) != 1 or np.ndim(sample_weight[0]) == 0):
        return _weight_array(sample_weight, "sample_weight")  # a plain list of numbers
    if isinstance(sample_weight, dict):
        unknown = [k for k in sample_weight if k not in output_names]
        if unknown:
            raise ValueError(f"Unknown entries in sample_weight dictionary: {unknown}. "
                             f"Model {model_name!r} has outputs {output_names}.")
        per_output = [sample_weight.get(n) for n in output_names]
    else:
        if len(sample_weight) != len(output_names):
            raise ValueError(f"When passing a list as sample_weight, it should have one "
                             f"entry per output. Model {model_name!r} has "
                             f"{len(output_names)} output(s) {output_names}; received "
                             f"{len(sample_weight)} entries.")
        per_output = list(sample_weight)
    given = [None if w is None else _weight_array(w, f"sample_weight for output {n!r}")
             for n, w in zip(output_names, per_output)]
    if all(w is None for w in given):
        return None
    n = next(w.shape[0] for w in given if w is not None)
    given = [np.ones(n, np.float32) if w is None else w for w in given]
    return given[0] if len(given) == 1 else given


def weight_arrays(sample_weight):
    """The arrays of a sample_weight (one array, or one per output)."""
    return sample_weight if isinstance(sample_weight, list) else [sample_weight]


def weight_for_output(sample_weight, index):
    """Output ``index``'s weights from one array or a list of them (engine tensors)."""
    return sample_weight[index] if isinstance(sample_weight, (list, tuple)) \
        else sample_weight


def take_weights(sample_weight, index):
    if sample_weight is None:
        return None
    return take(sample_weight, index) if isinstance(sample_weight, list) \
        else sample_weight[index]


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


def class_weights(class_weight):
    """``class_weight`` checked: a dict of integer class id -> number."""
    if not isinstance(class_weight, dict) or not class_weight:
        raise ValueError(f"class_weight must be a dict mapping class ids (integers) to "
                         f"weights, e.g. {{0: 1.0, 1: 5.0}}. Received: {class_weight!r}")
    checked = {}
    for key, value in class_weight.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)) or key < 0:
            raise ValueError(f"class_weight keys must be non-negative class ids (integers). "
                             f"Received the key {key!r}.")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
            raise ValueError(f"class_weight values must be numbers. Received "
                             f"{key!r}: {value!r}.")
        checked[int(key)] = float(value)
    return checked


def class_weight_to_sample_weight(ys, class_weight):
    """Per-sample weights from the class of each target (Keras's rule: the arg-max of a
    one-hot or probability row, else the rounded label); classes missing from
    ``class_weight`` weigh 1."""
    if len(ys) != 1:
        raise ValueError(f"class_weight is only supported for models with a single output; "
                         f"this one has {len(ys)}. Pass sample_weight instead.")
    y = np.asarray(ys[0])
    if y.ndim >= 2 and y.shape[-1] > 1:
        classes = y.argmax(axis=-1)
    else:
        classes = np.rint(y.reshape(y.shape[0], -1)[:, 0] if y.ndim >= 2 else y).astype(np.int64)
    if classes.ndim != 1:
        raise ValueError(f"class_weight needs one class per sample; targets of shape "
                         f"{y.shape} give {classes.shape}.")
    lookup = np.ones(max(int(classes.max(initial=0)), max(class_weight)) + 1, np.float32)
    for c, w in class_weight.items():
        lookup[c] = w
    if classes.min(initial=0) < 0:
        raise ValueError("class_weight: targets hold a negative class id.")
    return lookup[classes]
