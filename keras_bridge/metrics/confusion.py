"""Metrics counted from a confusion matrix at thresholds: ``Precision``, ``Recall``
and ``AUC``."""

import numpy as np

from keras_bridge import config, ops
from keras_bridge.metrics.base import Metric, _divide_no_nan, _same_rank

NEG_INF = -1e10  # Keras's stand-in for "not among the top k" in Precision/Recall


def _pairs(x):
    """``(x[:-1], x[1:])`` along the first axis (static indices, jit-friendly)."""
    n = ops.shape(x)[0]
    return ops.take(x, np.arange(n - 1), axis=0), ops.take(x, np.arange(1, n), axis=0)


def _parse_thresholds(thresholds, default):
    if thresholds is None:
        return [default]
    values = list(np.ravel(np.asarray(thresholds, dtype=object)))
    bad = [t for t in values if t is None or not 0 <= t <= 1]
    if bad:
        raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
    return [float(t) for t in values]


def _evenly_distributed(thresholds):
    """Keras's ``is_evenly_distributed_thresholds``: ``i / (n - 1)`` for n >= 3."""
    n = len(thresholds)
    if n < 3:
        return False
    even = np.arange(n, dtype=np.float32) / (n - 1)
    return bool(np.allclose(thresholds, even, atol=config.epsilon()))


def _filter_top_k(x, k):
    """Keep the ``k`` largest values along the last axis (lower index first on ties, as
    ``top_k``), set the others to ``NEG_INF``."""
    num = ops.shape(x)[-1]
    x_j, x_m = ops.expand_dims(x, -1), ops.expand_dims(x, -2)  # [..., j, m]
    earlier = np.tril(np.ones((num, num), dtype=bool), -1)  # m < j
    ahead = ops.where(earlier, ops.greater_equal(x_m, x_j), ops.greater(x_m, x_j))
    kept = ops.less(ops.sum(ops.cast(ahead, "int32"), axis=-1), k)
    # Keras writes x * kept + NEG_INF * (1 - kept): the same values for finite x.
    return ops.where(kept, x, NEG_INF)


def _update_confusion(variables, y_true, y_pred, thresholds, evenly, dtype, top_k=None,
                      class_id=None, sample_weight=None):
    """Keras's ``update_confusion_matrix_variables`` for the keys 'tp', 'fp', 'tn', 'fn'.

    At each threshold ``t`` a prediction is positive when ``y_pred > t``. For evenly
    spaced thresholds Keras buckets ``y_pred`` clipped to [0, 1] by
    ``ceil(y_pred * (n - 1)) - 1``; ``y_pred * (n - 1) > i`` is the same test in the
    same float arithmetic, so the counts agree with Keras exactly.
    """
    y_true, y_pred = ops.cast(y_true, dtype), ops.cast(y_pred, dtype)
    y_pred, y_true = _same_rank(y_pred, y_true)
    if ops.shape(y_true) != ops.shape(y_pred):
        raise ValueError(
            f"y_true and y_pred must have the same shape; received "
            f"y_true.shape={ops.shape(y_true)} and y_pred.shape={ops.shape(y_pred)}.")
    if sample_weight is not None:
        sample_weight = ops.expand_dims(ops.cast(sample_weight, dtype), -1)
        _, sample_weight = _same_rank(y_true, sample_weight, expand_rank_1=False)
    if top_k is not None:
        y_pred = _filter_top_k(y_pred, top_k)
    if class_id is not None:
        if ops.ndim(y_pred) == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with "
                             "shape (num_samples, num_classes), found shape: "
                             f"{ops.shape(y_pred)}")
        y_true = ops.take(y_true, [class_id], axis=-1)
        y_pred = ops.take(y_pred, [class_id], axis=-1)

    shape = ops.shape(y_pred)
    label = ops.cast(ops.not_equal(ops.reshape(y_true, (-1,)), 0), dtype)
    y_pred = ops.reshape(y_pred, (1, -1))
    n = len(thresholds)
    if evenly:
        cut = np.arange(n, dtype=dtype)[:, None]
        if thresholds[0] < 0.0 or thresholds[-1] > 1.0:  # epsilon-padded ends
            cut[0] = -1.0
        y_pred = ops.multiply(ops.clip(y_pred, 0.0, 1.0), float(n - 1))
    else:
        cut = np.asarray(thresholds, dtype=dtype)[:, None]
    positive = ops.cast(ops.greater(y_pred, cut), dtype)  # (num_thresholds, num_predictions)

    true_w, false_w = label, ops.subtract(1.0, label)
    if sample_weight is not None:
        weight = ops.reshape(ops.broadcast_to(sample_weight, shape), (-1,))
        true_w, false_w = ops.multiply(true_w, weight), ops.multiply(false_w, weight)
    tp = ops.sum(ops.multiply(positive, true_w), axis=1)
    fp = ops.sum(ops.multiply(positive, false_w), axis=1)
    counts = {"tp": tp, "fp": fp}
    if "fn" in variables:
        counts["fn"] = ops.subtract(ops.sum(true_w), tp)
    if "tn" in variables:
        counts["tn"] = ops.subtract(ops.sum(false_w), fp)
    for key, weight in variables.items():
        weight.assign(ops.add(weight.value, counts[key]))


class _ConfusionMetric(Metric):
    """Precision and Recall: counts at each threshold, a ratio as result."""

    _counts = ()

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        self.thresholds = _parse_thresholds(thresholds, 0.5 if top_k is None else NEG_INF)
        self._evenly = _evenly_distributed(self.thresholds)
        for key, var_name in self._counts:
            setattr(self, var_name, self.add_variable((len(self.thresholds),), name=var_name))

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        _update_confusion({key: getattr(self, var) for key, var in self._counts},
                          y_true, y_pred, self.thresholds, self._evenly, self.dtype,
                          top_k=self.top_k, class_id=self.class_id,
                          sample_weight=sample_weight)

    def _ratio(self, other):
        tp = self.true_positives.value
        result = _divide_no_nan(tp, ops.add(tp, other.value))
        return ops.reshape(result, ()) if len(self.thresholds) == 1 else result

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


class Precision(_ConfusionMetric):
    """``true_positives / (true_positives + false_positives)``.

    Args:
        thresholds: A prediction above a threshold is positive; one value or a list
            (one result per threshold). Default 0.5, or none when ``top_k`` is set.
        top_k: Count only the ``k`` highest predictions of each sample as positive.
        class_id: Compute the metric for this class (last axis) only.
        name: Name of the metric.
        dtype: dtype of the state and result.
    """

    _counts = (("tp", "true_positives"), ("fp", "false_positives"))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="precision",
                 dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        return self._ratio(self.false_positives)


class Recall(_ConfusionMetric):
    """``true_positives / (true_positives + false_negatives)``; arguments as ``Precision``."""

    _counts = (("tp", "true_positives"), ("fn", "false_negatives"))

    def __init__(self, thresholds=None, top_k=None, class_id=None, name="recall",
                 dtype=None):
        super().__init__(thresholds, top_k, class_id, name=name, dtype=dtype)

    def result(self):
        return self._ratio(self.false_negatives)


class AUC(Metric):
    """Area under the ROC or precision-recall curve, as Keras approximates it.

    Predictions are counted at ``num_thresholds`` thresholds: ``num_thresholds - 2``
    evenly spaced inside (0, 1) and the ends ``-epsilon`` and ``1 + epsilon``. The
    area is a Riemann sum over consecutive thresholds; with 'interpolation', ROC uses
    the trapezoidal rule and PR interpolates true and false positives linearly
    (Davis & Goadrich 2006), as Keras does.

    Args:
        num_thresholds: Number of thresholds, > 1.
        curve: 'ROC' or 'PR'.
        summation_method: 'interpolation', 'minoring' (lower sum) or 'majoring'
            (upper sum).
        name: Name of the metric.
        dtype: dtype of the state and result.
        thresholds: Optional thresholds in [0, 1] used instead of the evenly spaced
            ones (the epsilon ends are added).
        from_logits: Whether predictions are logits (a sigmoid is applied first).
    """

    _CURVES = {"roc": "ROC", "pr": "PR"}
    _SUMMATIONS = ("interpolation", "majoring", "minoring")

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name="auc", dtype=None, thresholds=None, from_logits=False):
        self.curve = self._CURVES.get(str(curve).lower())
        if self.curve is None:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are '
                             '["PR", "ROC"]')
        self.summation_method = str(summation_method).lower()
        if self.summation_method not in self._SUMMATIONS:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". '
                             f"Expected values are {list(self._SUMMATIONS)}")
        eps = config.epsilon()
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(_parse_thresholds(thresholds, None))
            self.num_thresholds = len(inner) + 2
            self._evenly = _evenly_distributed(np.array([0.0] + inner + [1.0]))
        else:
            if num_thresholds <= 1:
                raise ValueError("Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._evenly = True
        self._thresholds = [0.0 - eps] + inner + [1.0 + eps]
        self._from_logits = from_logits
        super().__init__(name=name, dtype=dtype)
        shape = (self.num_thresholds,)
        self.true_positives = self.add_variable(shape, name="true_positives")
        self.false_positives = self.add_variable(shape, name="false_positives")
        self.true_negatives = self.add_variable(shape, name="true_negatives")
        self.false_negatives = self.add_variable(shape, name="false_negatives")

    @property
    def thresholds(self):
        """The thresholds, epsilon-padded ends included."""
        return list(self._thresholds)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true, y_pred, sample_weight = self._convert(y_true, y_pred, sample_weight)
        if self._from_logits:
            y_pred = ops.sigmoid(y_pred)
        _update_confusion({"tp": self.true_positives, "fp": self.false_positives,
                           "tn": self.true_negatives, "fn": self.false_negatives},
                          y_true, y_pred, self._thresholds, self._evenly, self.dtype,
                          sample_weight=sample_weight)

    def _interpolate_pr_auc(self, tp, fp, fn):
        """Keras's closed form of Davis & Goadrich's interpolation: within each interval
        TP and P = TP + FP vary linearly, so precision is (TP_A + slope (P - P_A)) / P."""
        tp_a, tp_b = _pairs(tp)
        p = ops.add(tp, fp)
        p_a, p_b = _pairs(p)
        dtp = ops.subtract(tp_a, tp_b)
        slope = _divide_no_nan(dtp, ops.maximum(ops.subtract(p_a, p_b), 0.0))
        intercept = ops.subtract(tp_b, ops.multiply(slope, p_b))
        both_positive = ops.logical_and(ops.greater(p_a, 0.0), ops.greater(p_b, 0.0))
        safe_ratio = ops.where(both_positive, _divide_no_nan(p_a, ops.maximum(p_b, 0.0)),
                               1.0)
        _, fn_b = _pairs(fn)
        increments = _divide_no_nan(
            ops.multiply(slope, ops.add(dtp, ops.multiply(intercept, ops.log(safe_ratio)))),
            ops.maximum(ops.add(tp_b, fn_b), 0.0))
        return ops.sum(increments)

    def result(self):
        tp, fp = self.true_positives.value, self.false_positives.value
        tn, fn = self.true_negatives.value, self.false_negatives.value
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._interpolate_pr_auc(tp, fp, fn)
        recall = _divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = _divide_no_nan(fp, ops.add(fp, tn)), recall
        else:
            x, y = recall, _divide_no_nan(tp, ops.add(tp, fp))
        y_a, y_b = _pairs(y)
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y_a, y_b), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y_a, y_b)
        else:
            heights = ops.maximum(y_a, y_b)
        x_a, x_b = _pairs(x)
        return ops.sum(ops.multiply(ops.subtract(x_a, x_b), heights))

    def get_config(self):
        config = {**super().get_config(), "num_thresholds": self.num_thresholds,
                  "curve": self.curve, "summation_method": self.summation_method,
                  "from_logits": self._from_logits}
        if self._init_from_thresholds:
            config["thresholds"] = self._thresholds[1:-1]
        return config
