"""Targets checked against the model's outputs where data enters ``fit``, ``evaluate``,
``train_on_batch`` and ``test_on_batch`` (``data.standardize``, once per call for
arrays, per batch for a generator or Sequence), on the host, before any engine work.

Two checks, for the built-in losses and metrics whose pairing of targets with outputs
is known:

- shapes: the targets of each output must fit its loss under Keras 3's rules (ranks
  differing by a trailing axis of 1 are aligned first, ``losses.base.rank_alignment``):
  element-wise losses (mse, mae, hinge, ...) broadcast axis by axis; the
  crossentropies want equal shapes; the sparse crossentropy one integer label per
  prediction. Otherwise a ValueError names the output, the loss and both shapes (and
  suggests ``to_categorical`` or the sparse loss when integer labels meet a categorical
  loss), instead of a different engine error from inside the step.
- sparse labels: ``sparse_categorical_crossentropy`` and the sparse accuracy metrics
  need labels in ``[0, num_classes)`` (``ignore_class`` excepted); one out of range
  would make a one-hot row of zeros, a loss of 0 trained on silently.

Not checked: user loss functions and ``Loss`` subclasses (they may read targets of any
shape), subclassed models (their output shapes are unknown until run), and models
overriding ``train_step``, ``test_step`` or ``compute_loss`` (they pair targets with
predictions themselves). There the step sees the data as given: an out-of-range label
gives a NaN loss on both engines (``backend.sparse_categorical_crossentropy``; the
sparse accuracy metrics count it as a miss), a shape mismatch the engine's own error.
"""

import numpy as np

from keras_bridge.losses.base import aligned_shapes
from keras_bridge.losses.probabilistic import (
    binary_crossentropy, categorical_crossentropy, categorical_hinge, hinge, kl_divergence,
    sparse_categorical_crossentropy, squared_hinge)
from keras_bridge.losses.regression import (
    cosine_similarity, huber, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_error, mean_squared_logarithmic_error, poisson)
from keras_bridge.metrics.accuracy_metrics import (
    sparse_categorical_accuracy, sparse_top_k_categorical_accuracy)
from keras_bridge.training.step_methods import overridden

# How each built-in loss function pairs targets with predictions (after rank alignment).
_RULES = {fn: "broadcast" for fn in (
    mean_squared_error, mean_absolute_error, mean_absolute_percentage_error,
    mean_squared_logarithmic_error, hinge, squared_hinge, categorical_hinge, kl_divergence,
    poisson, log_cosh, huber, cosine_similarity)}
_RULES.update({binary_crossentropy: "same", categorical_crossentropy: "same",
               sparse_categorical_crossentropy: "sparse"})
_CATEGORICAL = (categorical_crossentropy, categorical_hinge)
# Functions (of losses or metrics) that read integer labels along the class axis.
_SPARSE_LABELS = (sparse_categorical_crossentropy, sparse_categorical_accuracy,
                  sparse_top_k_categorical_accuracy)
_EXPECTED = {
    "broadcast": "Expected targets shaped like the outputs (a trailing axis of 1 may be "
                 "added or dropped; other axes equal, or 1 to broadcast).",
    "same": "Expected targets of the outputs' shape (a trailing axis of 1 may be added "
            "or dropped).",
}


def check(model, ys):
    """Raise a ValueError for targets ``ys`` (numpy, one per output) that do not fit the
    compiled loss or a sparse-label metric of their output. What depends only on the
    targets' shapes and dtypes is worked out once per compile and signature (every
    ``fit`` of a training loop repeats it); the label ranges are read every call."""
    compiled = getattr(model, "_compiled", None)
    outputs = getattr(model, "outputs", None)
    if compiled is None or not outputs or not ys or len(ys) != len(outputs):
        return
    key = (type(model), tuple(outputs), tuple((y.shape[1:], y.ndim, y.dtype) for y in ys))
    cached = getattr(compiled, "_target_checks", None)
    if cached is not None and cached[0] == key:
        label_checks = cached[1]
    else:
        label_checks = _plan(model, compiled, outputs, ys)
        compiled._target_checks = (key, label_checks)  # after the shape checks passed
    for i, name, user, kwargs, pred in label_checks:
        _check_labels(model, name, user, kwargs, ys[i], pred)


def _plan(model, compiled, outputs, ys):
    """The shape checks of ``check`` (raising), and its label checks as ``(output index,
    output name, what reads the labels, its kwargs, prediction shape)``."""
    if any(overridden(model, n) for n in ("train_step", "test_step", "compute_loss")):
        return []
    losses = compiled.loss.losses
    if len(losses) != len(outputs):
        return []
    found = []
    for i, (name, output, y) in enumerate(zip(model.output_names, outputs, ys)):
        pred = tuple(output.shape)
        fn, kwargs = _function_of(losses[i])
        if fn in _RULES:
            _check_shape(model, name, losses[i].name, fn, kwargs, y, pred)
        users = ([(f"the loss {losses[i].name!r}", kwargs)] if fn in _SPARSE_LABELS else [])
        users += _sparse_metrics(compiled, i, losses[i], y.shape, pred)
        found += [(i, name, user, user_kwargs, pred) for user, user_kwargs in users]
    return found


def _function_of(obj):
    """(function, its keyword arguments) of a built-in ``LossFunctionWrapper`` or
    ``MeanMetricWrapper`` whose call is the stock one, else (None, {})."""
    from keras_bridge.losses.classes import LossFunctionWrapper
    from keras_bridge.metrics.base import MeanMetricWrapper
    if isinstance(obj, LossFunctionWrapper) and \
            type(obj).call is LossFunctionWrapper.call:
        return obj.fn, obj._fn_kwargs
    if isinstance(obj, MeanMetricWrapper) and \
            type(obj).update_state is MeanMetricWrapper.update_state:
        return obj._fn, obj._fn_kwargs
    return None, {}


def _sparse_metrics(compiled, index, loss, y_shape, pred_shape):
    """(description, kwargs) of output ``index``'s compiled metrics that read sparse
    labels, resolved as ``CompiledMetrics`` will resolve them ('accuracy' by shapes)."""
    from keras_bridge import metrics as metrics_module
    from keras_bridge.training.compile_utils import _accuracy_for
    found = []
    for entry in compiled.metrics.requested[index]:
        if isinstance(entry, str) and entry in ("acc", "accuracy"):
            fn, kwargs = _accuracy_for(loss, y_shape, pred_shape), {}
        elif isinstance(entry, metrics_module.Metric):
            fn, kwargs = _function_of(entry)
        elif callable(entry):
            fn, kwargs = entry, {}
        else:
            try:
                fn = metrics_module.get(entry)
            except (ValueError, TypeError):
                continue  # compile's own error names it
            fn, kwargs = _function_of(fn) if isinstance(fn, metrics_module.Metric) \
                else (fn, {})
        if fn in _SPARSE_LABELS:
            found.append((f"the metric {getattr(entry, 'name', entry)!r}", kwargs))
    return found


def _fits(rule, true_shape, pred_shape, axis):
    """Whether targets of ``true_shape`` fit predictions of ``pred_shape`` (per sample:
    the batch axis is left out; None in the predictions matches any size)."""
    if rule == "sparse":
        if len(true_shape) == len(pred_shape) and true_shape[-1:] == (1,):
            true_shape = true_shape[:-1]
        pred_shape = pred_shape[:axis % len(pred_shape)] + \
            pred_shape[axis % len(pred_shape) + 1:]
    else:
        true_shape, pred_shape = aligned_shapes(true_shape, pred_shape)
    if len(true_shape) != len(pred_shape):
        return False
    for t, p in zip(true_shape[1:], pred_shape[1:]):
        if p is None or t == p or (rule == "broadcast" and 1 in (t, p)):
            continue
        return False
    return True


def _looks_like_labels(y, pred_shape):
    """Whether ``y`` holds integer class labels for a ``pred_shape`` output of several
    classes: one integral value per prediction (a trailing axis of 1 allowed)."""
    if len(pred_shape) < 2 or pred_shape[-1] in (None, 1):
        return False
    shape = y.shape[:-1] if y.ndim == len(pred_shape) and y.shape[-1] == 1 else y.shape
    if len(shape) != len(pred_shape) - 1:
        return False
    if np.issubdtype(y.dtype, np.integer):
        return True
    return np.issubdtype(y.dtype, np.floating) and bool(np.all(np.mod(y, 1) == 0))


def _check_shape(model, name, loss_name, fn, kwargs, y, pred):
    rule = _RULES[fn]
    axis = kwargs.get("axis", -1)
    if _fits(rule, tuple(y.shape), pred, axis):
        return
    if rule == "sparse":
        kept = pred[:axis % len(pred)] + pred[axis % len(pred) + 1:]
        expected = (f"Expected one integer class index per prediction: targets of shape "
                    f"{kept} (or with a trailing axis of 1).")
        hint = (" The targets look one-hot (shaped like the outputs): use "
                "loss='categorical_crossentropy', or pass the labels np.argmax(y, "
                "axis=-1).") if y.ndim == len(pred) else ""
    else:
        expected = _EXPECTED[rule]
        hint = ""
        if fn in _CATEGORICAL or rule == "broadcast":
            if _looks_like_labels(y, pred):
                hint = (f" The targets look like integer class labels: one-hot encode "
                        f"them with keras_bridge.utils.to_categorical(y, num_classes="
                        f"{pred[-1]}), or use loss='sparse_categorical_crossentropy'.")
    raise ValueError(
        f"The targets of output {name!r} of model {model.name!r} do not fit the loss "
        f"{loss_name!r}: targets of shape {tuple(y.shape)}, outputs of shape {pred}. "
        f"{expected}{hint}")


def _check_labels(model, name, user, kwargs, y, pred):
    """A ValueError naming the out-of-range labels of ``y`` for ``user``."""
    axis = kwargs.get("axis", -1)
    classes = pred[axis] if pred else None
    if classes is None or y.size == 0:
        return
    if np.issubdtype(y.dtype, np.integer):
        lo, hi = y.min(), y.max()
        if lo >= 0 and hi < classes:
            return
        bad = (y < 0) | (y >= classes)
    elif np.issubdtype(y.dtype, np.floating):
        bad = ~np.isfinite(y) | (y < 0) | (y >= classes)
    else:
        return  # booleans are in range; other dtypes fail in the step with their dtype
    ignore = kwargs.get("ignore_class")
    if ignore is not None:
        bad &= y != ignore
    if not bad.any():
        return
    values = np.unique(y[bad])
    shown = ", ".join(repr(v.item()) for v in values[:5]) + (", ..." if len(values) > 5
                                                              else "")
    where = tuple(int(i) for i in np.argwhere(bad)[0])
    raise ValueError(
        f"The targets of output {name!r} of model {model.name!r} hold labels outside "
        f"[0, {classes}), the {classes} classes of the output, which {user} reads as "
        f"class indices: {shown} ({int(bad.sum())} of {y.size} labels, the first at "
        f"position {where}). Map the labels into that range, or give the output one unit "
        f"per class" + (f" (ignore_class={ignore!r} is exempt)." if ignore is not None
                        else "."))
