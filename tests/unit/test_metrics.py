"""Metrics against numpy written here, on both engines; the JAX pure path and torch
in-place updates; lookup, config and errors."""

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge import config, metrics, ops
from keras_bridge.variables import substitute

EPS = 1e-7
BATCH_SIZES = (40, 64, 24)


def to_np(x):
    return np.asarray(ops.convert_to_numpy(x))


def assert_close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(to_np(got), want, rtol=rtol, atol=atol)


# ---------------------------------------------------------------- data and numpy references

def _binary(rng, n):
    return (rng.random((n, 1)) > 0.5).astype("float32"), rng.random((n, 1)).astype("float32")


def _multilabel(rng, n):
    return (rng.random((n, 3)) > 0.5).astype("float32"), rng.random((n, 3)).astype("float32")


def _one_hot(rng, n, classes=3):
    labels = rng.integers(0, classes, n)
    return np.eye(classes, dtype="float32")[labels], rng.random((n, classes)).astype("float32")


def _sparse(rng, n, classes=3):
    return rng.integers(0, classes, (n, 1)), rng.random((n, classes)).astype("float32")


def _sparse_flat(rng, n, classes=3):
    return rng.integers(0, classes, n), rng.random((n, classes)).astype("float32")


def _regression(rng, n):
    return (rng.random((n, 3)) * 3).astype("float32"), (rng.random((n, 3)) * 3).astype("float32")


def _int_labels(rng, n):
    y = rng.integers(0, 3, (n, 1))
    return y, np.where(rng.random((n, 1)) > 0.3, y, (y + 1) % 3).astype("float32")


def np_in_top_k(labels, scores, k):
    at_label = scores[np.arange(len(labels)), labels.astype(int)]
    return ((scores > at_label[:, None]).sum(-1) < k).astype("float64")


NP_FUNCTIONS = {
    "accuracy": lambda t, p: (t == p).mean(-1),
    "binary_accuracy": lambda t, p, threshold=0.5: ((p > threshold) == t).mean(-1),
    "categorical_accuracy": lambda t, p: (t.argmax(-1) == p.argmax(-1)).astype("float64"),
    "sparse_categorical_accuracy": lambda t, p: (t.reshape(-1) == p.argmax(-1)).astype("float64"),
    "top_k_categorical_accuracy": lambda t, p, k=5: np_in_top_k(t.argmax(-1), p, k),
    "sparse_top_k_categorical_accuracy": lambda t, p, k=5: np_in_top_k(t.reshape(-1), p, k),
    "mean_squared_error": lambda t, p: ((p - t) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(p - t).mean(-1),
    "mean_absolute_percentage_error":
        lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error":
        lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2)
        .mean(-1),
}

# name -> (data, metric factory, keyword arguments of the function)
CASES = {
    "accuracy": (_int_labels, metrics.Accuracy, {}),
    "binary_accuracy": (_binary, lambda: metrics.BinaryAccuracy(threshold=0.4),
                        {"threshold": 0.4}),
    "binary_accuracy_multilabel": (_multilabel, metrics.BinaryAccuracy, {}),
    "categorical_accuracy": (_one_hot, metrics.CategoricalAccuracy, {}),
    "sparse_categorical_accuracy": (_sparse, metrics.SparseCategoricalAccuracy, {}),
    "sparse_categorical_accuracy_flat": (_sparse_flat, metrics.SparseCategoricalAccuracy, {}),
    "top_k_categorical_accuracy": (_one_hot, lambda: metrics.TopKCategoricalAccuracy(k=2),
                                   {"k": 2}),
    "sparse_top_k_categorical_accuracy":
        (_sparse_flat, lambda: metrics.SparseTopKCategoricalAccuracy(k=2), {"k": 2}),
    "mean_squared_error": (_regression, metrics.MeanSquaredError, {}),
    "mean_absolute_error": (_regression, metrics.MeanAbsoluteError, {}),
    "mean_absolute_percentage_error": (_regression, metrics.MeanAbsolutePercentageError, {}),
    "mean_squared_logarithmic_error": (_regression, metrics.MeanSquaredLogarithmicError, {}),
}


def _function_of(case):
    name = case.replace("_multilabel", "").replace("_flat", "")
    return getattr(metrics, name), NP_FUNCTIONS[name]


# ---------------------------------------------------------------- functions

@pytest.mark.parametrize("case", sorted(CASES))
def test_function_matches_numpy(backend, case):
    data, _, kwargs = CASES[case]
    fn, np_fn = _function_of(case)
    y_true, y_pred = data(np.random.default_rng(0), BATCH_SIZES[0])
    got = fn(y_true, y_pred, **kwargs)
    assert ops.engine_name_of(got) == backend
    want = np_fn(y_true.astype("float64"), y_pred.astype("float64"), **kwargs)
    assert_close(np.reshape(to_np(got), want.shape), want)
    # engine tensors in, the same values out
    assert_close(np.reshape(to_np(fn(ops.convert_to_tensor(y_true),
                                     ops.convert_to_tensor(y_pred), **kwargs)),
                            want.shape), want)


def test_aliases_are_the_functions():
    assert metrics.mse is metrics.mean_squared_error
    assert metrics.mae is metrics.mean_absolute_error
    assert metrics.mape is metrics.mean_absolute_percentage_error
    assert metrics.msle is metrics.mean_squared_logarithmic_error


def test_binary_accuracy_aligns_a_missing_last_axis(backend):
    y_true = np.array([1.0, 0.0, 1.0, 1.0])
    y_pred = np.array([[0.9], [0.2], [0.3], [0.8]])
    assert_close(metrics.binary_accuracy(y_true, y_pred), [1.0, 1.0, 0.0, 1.0])


def test_top_k_counts_ties_at_the_boundary_as_in(backend):
    # Keras's in_top_k: the label is in when fewer than k classes score strictly higher.
    scores = np.array([[0.5, 0.5, 0.5, 0.1], [0.2, 0.3, 0.5, 0.0]], dtype="float32")
    got = metrics.sparse_top_k_categorical_accuracy(np.array([2, 0]), scores, k=1)
    assert_close(got, [1.0, 0.0])


# ---------------------------------------------------------------- stateful metrics over batches

def _batches(data, seed=1):
    rng = np.random.default_rng(seed)
    out = []
    for n in BATCH_SIZES:
        y_true, y_pred = data(rng, n)
        out.append((y_true, y_pred, rng.random(n).astype("float32")))
    return out


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_metric_is_the_sample_average_over_batches(backend, case, weighted):
    data, factory, kwargs = CASES[case]
    _, np_fn = _function_of(case)
    metric = factory()
    values, weights = [], []
    for y_true, y_pred, sw in _batches(data):
        metric.update_state(y_true, y_pred, sample_weight=sw if weighted else None)
        values.append(np_fn(y_true.astype("float64"), y_pred.astype("float64"), **kwargs))
        weights.append(sw if weighted else np.ones(len(sw)))
        v, w = np.concatenate(values), np.concatenate(weights)
        assert_close(metric.result(), (v * w).sum() / w.sum())
    assert to_np(metric.result()).shape == ()
    assert all(w.backend_name == backend for w in metric.variables)

    metric.reset_state()
    assert_close(metric.result(), 0.0)
    y_true, y_pred, _ = _batches(data, seed=2)[0]
    assert_close(metric(y_true, y_pred), np_fn(y_true.astype("float64"),
                                               y_pred.astype("float64"), **kwargs).mean())


def test_mean_and_sum(backend):
    mean, total = metrics.Mean(), metrics.Sum()
    mean.update_state([1.0, 3.0, 5.0, 7.0])
    total.update_state([1.0, 3.0, 5.0, 7.0])
    assert_close(mean.result(), 4.0)
    assert_close(total.result(), 16.0)
    mean.update_state([[1.0, 3.0], [5.0, 7.0]], sample_weight=[1.0, 0.0])
    assert_close(mean.result(), (16.0 + 2.0) / 5.0)  # rows are averaged first
    total.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    assert_close(total.result(), 20.0)
    # The loss tracker's use: one value for a batch, weighted by the batch size.
    tracker = metrics.Mean(name="loss")
    tracker.update_state(ops.convert_to_tensor(np.float32(2.0)), sample_weight=6)
    tracker.update_state(ops.convert_to_tensor(np.float32(5.0)), sample_weight=2)
    assert_close(tracker.result(), (2.0 * 6 + 5.0 * 2) / 8)
    # With a scalar weight, values are first averaged to one (Keras's
    # reduce_to_samplewise_values); a float64 value is cast to float32.
    tracker.update_state(np.array([1.0, 3.0]), sample_weight=0.5)
    assert_close(tracker.result(), (2.0 * 6 + 5.0 * 2 + 0.5 * 2.0) / 8.5)
    tracker.update_state(np.float64(4.0), sample_weight=1.0)
    assert_close(tracker.result(), (2.0 * 6 + 5.0 * 2 + 0.5 * 2.0 + 4.0) / 9.5)
    assert ops.convert_to_numpy(tracker.result()).dtype == np.float32
    assert [w.name for w in tracker.variables] == ["loss/total", "loss/count"]
    tracker.reset_state()
    assert_close(tracker.result(), 0.0)


def test_sample_weight_with_a_time_axis(backend):
    # Keras: values are averaged over axes the weights lack; 2-D weights are averaged
    # per sample after weighting the values.
    values = np.arange(12, dtype="float32").reshape(2, 3, 2)
    sw = np.array([[1.0, 0.0, 1.0], [0.5, 0.5, 0.0]], dtype="float32")
    m = metrics.Mean()
    m.update_state(values, sample_weight=sw)
    per_step = values.mean(-1) * sw
    assert_close(m.result(), per_step.mean(-1).sum() / sw.mean(-1).sum())


def mean_pred(y_true, y_pred):
    return K.mean(y_pred)


def test_custom_function_metric_is_weighted_by_batch_size(backend):
    metric = metrics.get(mean_pred)
    assert isinstance(metric, metrics.MeanMetricWrapper) and metric.name == "mean_pred"
    weighted = metrics.get(mean_pred)
    preds, sums, counts = [], 0.0, 0.0
    for y_true, y_pred, sw in _batches(_multilabel):
        metric.update_state(y_true, y_pred)
        weighted.update_state(y_true, y_pred, sample_weight=sw)
        preds.append(y_pred)
        sums += y_pred.mean() * sw.sum()
        counts += sw.sum()
    assert_close(metric.result(), np.concatenate(preds).mean())
    assert_close(weighted.result(), sums / counts)


def test_wrapper_passes_function_arguments(backend):
    m = metrics.MeanMetricWrapper(metrics.binary_accuracy, threshold=0.8)
    assert m.name == "binary_accuracy"
    m.update_state([[1.0], [1.0]], [[0.9], [0.7]])
    assert_close(m.result(), 0.5)


def test_loss_function_names_resolve_lazily(backend):
    losses = pytest.importorskip("keras_bridge.losses")
    m = metrics.get("binary_crossentropy")
    assert isinstance(m, metrics.MeanMetricWrapper) and m.name == "binary_crossentropy"
    y_true, y_pred = _binary(np.random.default_rng(3), 6)
    m.update_state(y_true, y_pred)
    assert_close(m.result(), to_np(losses.binary_crossentropy(y_true, y_pred)).mean(),
                 rtol=1e-5)


# ---------------------------------------------------------------- precision and recall

def np_filter_top_k(p, k):
    order = np.argsort(-p, axis=-1, kind="stable")[..., :k]
    keep = np.zeros(p.shape, bool)
    np.put_along_axis(keep, order, True, axis=-1)
    return np.where(keep, p, metrics.NEG_INF)


def np_confusion(y_true, y_pred, thresholds, sw=None, top_k=None, class_id=None):
    y_true, y_pred = y_true.astype("float64"), y_pred.astype("float64")
    if top_k is not None:
        y_pred = np_filter_top_k(y_pred, top_k)
    w = np.ones(y_true.shape) if sw is None else np.broadcast_to(
        sw.reshape(-1, *([1] * (y_true.ndim - 1))), y_true.shape)
    if class_id is not None:
        y_true, y_pred, w = y_true[:, class_id], y_pred[:, class_id], w[:, class_id]
    y_true, y_pred, w = y_true.ravel() != 0, y_pred.ravel(), w.ravel()
    positive = y_pred[None, :] > np.asarray(thresholds, "float64")[:, None]
    tp = (positive & y_true).astype(float) @ w
    fp = (positive & ~y_true).astype(float) @ w
    fn = (~positive & y_true).astype(float) @ w
    tn = (~positive & ~y_true).astype(float) @ w
    return tp, fp, tn, fn


def np_ratio(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


# name -> (data, arguments, thresholds as Keras sets them, weighted)
PR_CASES = {
    "default": (_multilabel, {}, [0.5], True),  # unweighted: test_precision_recall_keras_examples
    "thresholds": (_multilabel, {"thresholds": [0.3, 0.5, 0.7]}, [0.3, 0.5, 0.7], True),
    "evenly_spaced": (_multilabel, {"thresholds": [0.0, 0.5, 1.0]}, [0.0, 0.5, 1.0], True),
    "top_k": (_one_hot, {"top_k": 2}, [metrics.NEG_INF], False),
    "class_id": (_one_hot, {"class_id": 2, "thresholds": 0.4}, [0.4], True),
    "top_k_class_id": (_one_hot, {"top_k": 2, "class_id": 1}, [metrics.NEG_INF], True),
}


@pytest.mark.parametrize("case", sorted(PR_CASES))
def test_precision_and_recall_match_numpy(backend, case):
    data, kwargs, thresholds, weighted = PR_CASES[case]
    precision, recall = metrics.Precision(**kwargs), metrics.Recall(**kwargs)
    counts = np.zeros((4, len(thresholds)))
    for y_true, y_pred, sw in _batches(data):
        sw = sw if weighted else None
        precision.update_state(y_true, y_pred, sample_weight=sw)
        recall.update_state(y_true, y_pred, sample_weight=sw)
        counts += np_confusion(y_true, y_pred, thresholds, sw, kwargs.get("top_k"),
                               kwargs.get("class_id"))
    tp, fp, _, fn = counts
    want_p, want_r = np_ratio(tp, tp + fp), np_ratio(tp, tp + fn)
    if len(thresholds) == 1:
        want_p, want_r = want_p[0], want_r[0]
    assert_close(precision.result(), want_p)
    assert_close(recall.result(), want_r)
    precision.reset_state()
    assert_close(precision.result(), np.zeros_like(want_p))


def test_precision_recall_keras_examples(backend):
    m = metrics.Precision()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert_close(m.result(), 2 / 3)
    m.reset_state()
    m.update_state([0, 1, 1, 1], [1, 0, 1, 1], sample_weight=[0, 0, 1, 0])
    assert_close(m.result(), 1.0)
    m = metrics.Precision(top_k=2)
    m.update_state([0, 0, 1, 1], [1, 1, 1, 1])
    assert_close(m.result(), 0.0)
    r = metrics.Recall()
    r.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    assert_close(r.result(), 2 / 3)


# ---------------------------------------------------------------- AUC

def np_auc(y_true, y_pred, sw, num_thresholds=200, curve="ROC", method="interpolation"):
    """Keras's thresholded AUC, computed independently in float64."""
    n = num_thresholds
    thresholds = [-EPS] + [(i + 1) / (n - 1) for i in range(n - 2)] + [1 + EPS]
    tp, fp, tn, fn = np_confusion(y_true, np.clip(y_pred, 0, 1), thresholds, sw)
    if curve == "PR" and method == "interpolation":
        # Davis & Goadrich: TP and P = TP + FP linear within an interval, so
        # precision = (TP_A + slope (P - P_A)) / P, integrated in closed form over P.
        area = 0.0
        for a in range(n - 1):
            b = a + 1
            p_a, p_b = tp[a] + fp[a], tp[b] + fp[b]
            if p_a - p_b <= 0 or tp[b] + fn[b] <= 0:
                continue
            slope = (tp[a] - tp[b]) / (p_a - p_b)
            intercept = tp[b] - slope * p_b
            ratio = p_a / p_b if p_a > 0 and p_b > 0 else 1.0
            area += slope * ((tp[a] - tp[b]) + intercept * np.log(ratio)) / (tp[b] + fn[b])
        return area
    recall = np_ratio(tp, tp + fn)
    if curve == "ROC":
        x, y = np_ratio(fp, fp + tn), recall
    else:
        x, y = recall, np_ratio(tp, tp + fp)
    pick = {"interpolation": lambda a, b: (a + b) / 2, "minoring": np.minimum,
            "majoring": np.maximum}[method]
    return np.sum((x[:-1] - x[1:]) * pick(y[:-1], y[1:]))


def np_rank_auc(y_true, y_pred):
    pos, neg = y_pred[y_true == 1], y_pred[y_true == 0]
    diff = pos[:, None] - neg[None, :]
    return ((diff > 0) + 0.5 * (diff == 0)).mean()


def _scores(rng, n):
    y_true = (rng.random((n, 1)) > 0.4).astype("float32")
    y_pred = np.clip(0.35 * y_true + 0.65 * rng.random((n, 1)), 0, 1).astype("float32")
    return y_true, y_pred


@pytest.mark.parametrize("curve,method,weighted", [
    ("ROC", "interpolation", False), ("ROC", "interpolation", True),
    ("PR", "interpolation", False), ("PR", "interpolation", True),
    ("ROC", "minoring", True), ("PR", "majoring", True)])
def test_auc_matches_keras_formulas(backend, curve, method, weighted):
    m = metrics.AUC(curve=curve, summation_method=method)
    ys, ps, ws = [], [], []
    for y_true, y_pred, sw in _batches(_scores):
        sw = sw if weighted else None
        m.update_state(y_true, y_pred, sample_weight=sw)
        ys.append(y_true), ps.append(y_pred), ws.append(sw)
    want = np_auc(np.concatenate(ys), np.concatenate(ps),
                  np.concatenate(ws) if weighted else None, 200, curve, method)
    assert_close(m.result(), want, rtol=1e-5, atol=1e-6)


def test_roc_auc_is_close_to_the_exact_auc(backend):
    m = metrics.AUC()  # 200 thresholds
    ys, ps = [], []
    for y_true, y_pred, _ in _batches(_scores):
        m.update_state(y_true, y_pred)
        ys.append(y_true.ravel()), ps.append(y_pred.ravel())
    exact = np_rank_auc(np.concatenate(ys), np.concatenate(ps))
    assert abs(float(to_np(m.result())) - exact) < 1e-2
    assert len(m.thresholds) == 200 and m.thresholds[0] < 0 and m.thresholds[-1] > 1


def test_auc_keras_example_and_edges(backend):
    m = metrics.AUC(num_thresholds=3)
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    assert_close(m.result(), 0.75)
    m.reset_state()
    m.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9], sample_weight=[1, 0, 0, 1])
    assert_close(m.result(), 1.0)
    # Predictions exactly 0 and 1 land inside the epsilon-padded ends.
    m = metrics.AUC(num_thresholds=5)
    m.update_state([0.0, 1.0], [0.0, 1.0])
    assert_close(m.true_positives.value, [1, 1, 1, 1, 0])
    assert_close(m.false_positives.value, [1, 0, 0, 0, 0])
    assert_close(m.result(), 1.0)


def test_auc_with_given_thresholds_and_logits(backend):
    rng = np.random.default_rng(5)
    y_true, y_pred = _scores(rng, BATCH_SIZES[0])
    m = metrics.AUC(thresholds=[0.8, 0.1, 0.3])  # sorted, ends added
    m.update_state(y_true, y_pred)
    tp, fp, tn, fn = np_confusion(y_true, y_pred, [-EPS, 0.1, 0.3, 0.8, 1 + EPS])
    assert_close(m.true_positives.value, tp)
    assert_close(m.true_negatives.value, tn)
    assert m.get_config()["thresholds"] == [0.1, 0.3, 0.8]
    logits = np.log(y_pred / (1 - y_pred + 1e-6) + 1e-6).astype("float32")
    from_logits = metrics.AUC(from_logits=True)
    plain = metrics.AUC()
    from_logits.update_state(y_true, logits)
    plain.update_state(y_true, 1 / (1 + np.exp(-logits)))
    assert_close(from_logits.result(), to_np(plain.result()))


# ---------------------------------------------------------------- engines

def _pure_cases():
    rng = np.random.default_rng(7)
    return [
        (lambda: metrics.get(mean_pred), [_multilabel(rng, n) for n in BATCH_SIZES]),
        (metrics.SparseCategoricalAccuracy, [_sparse(rng, n) for n in BATCH_SIZES]),
        (lambda: metrics.AUC(curve="PR"), [_scores(rng, n) for n in BATCH_SIZES]),
        (lambda: metrics.Recall(top_k=2), [_one_hot(rng, n) for n in BATCH_SIZES]),
    ]


@pytest.mark.parametrize("index", range(4))
def test_jax_jit_substitution_matches_eager(index):
    jax = pytest.importorskip("jax")
    config.set_backend("jax")
    factory, batches = _pure_cases()[index]
    eager, pure = factory(), factory().bind("jax")

    @jax.jit
    def step(values, y_true, y_pred, sample_weight):
        with substitute({id(w): v for w, v in zip(pure.variables, values)}) as scope:
            pure.update_state(y_true, y_pred, sample_weight=sample_weight)
            result = pure.result()
        return [scope.updates.get(id(w), v) for w, v in zip(pure.variables, values)], result

    values = [w.value for w in pure.variables]
    initial = [w.numpy() for w in pure.variables]
    rng = np.random.default_rng(8)
    for y_true, y_pred in batches:
        sw = rng.random(len(y_true)).astype("float32")
        values, result = step(values, y_true, y_pred, sw)
        eager.update_state(y_true, y_pred, sample_weight=sw)
        assert_close(result, to_np(eager.result()), rtol=1e-5, atol=1e-6)
    for w, v, ref in zip(pure.variables, values, eager.variables):
        assert_close(v, ref.numpy(), rtol=1e-5, atol=1e-5)
    for w, before in zip(pure.variables, initial):  # the program stored nothing
        np.testing.assert_array_equal(w.numpy(), before)


def test_torch_updates_state_in_place():
    torch = pytest.importorskip("torch")
    config.set_backend("torch")
    m = metrics.SparseCategoricalAccuracy()
    y_pred = torch.tensor([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7]])
    m.update_state(torch.tensor([1, 0, 0]), y_pred)  # binds to torch on first use
    assert all(w.backend_name == "torch" for w in m.variables)
    total, count = m.total.value, m.count.value
    ptr = total.data_ptr()
    m.update_state(np.array([[1]]), y_pred[:1])
    assert m.total.value is total and total.data_ptr() == ptr
    assert float(total.sum()) == 3.0 and float(count.sum()) == 4.0
    assert not total.requires_grad
    m.reset_state()
    assert float(total.sum()) == 0.0 and m.total.value is total


def test_auto_binding_follows_inputs_else_default(backend):
    m = metrics.Mean()
    m.update_state(np.array([1.0, 2.0]))
    assert [w.backend_name for w in m.variables] == [backend, backend]
    other = {"torch": "jax", "jax": "torch"}[backend]
    with pytest.raises(RuntimeError, match="bound to the"):
        m.bind(other)


def test_numpy_labels_join_the_engine_of_the_predictions(backend):
    y_pred = ops.convert_to_tensor(np.array([[0.2, 0.8], [0.6, 0.4]], dtype="float32"))
    assert_close(metrics.sparse_categorical_accuracy(np.array([1, 1]), y_pred), [1.0, 0.0])


def test_variables_are_named_after_the_metric():
    m = metrics.Precision(name="prec")
    assert [w.name for w in m.variables] == ["prec/true_positives", "prec/false_positives"]
    assert all(not w.trainable and w.owner is None for w in m.variables)
    m.name = "out_prec"
    assert [w.name for w in m.variables] == ["out_prec/true_positives",
                                             "out_prec/false_positives"]
    assert m.variables[0].shape == (1,)


def test_custom_metric_subclass(backend):
    class CountPositives(metrics.Metric):
        def __init__(self, name="count_positives"):
            super().__init__(name=name)
            self.positives = self.add_weight(name="positives")

        def update_state(self, y_true, y_pred, sample_weight=None):
            hits = ops.sum(ops.cast(ops.greater(y_pred, 0.5), "float32"))
            self.positives.assign(ops.add(self.positives.value, hits))

        def result(self):
            return self.positives.value

    m = CountPositives()
    m.update_state(None, np.array([0.2, 0.7, 0.9]))
    assert_close(m(None, np.array([0.6])), 3.0)
    assert m.variables[0].backend_name == backend


# ---------------------------------------------------------------- lookup and config

def test_get_strings_instances_classes_and_callables():
    m = metrics.get("binary_accuracy")
    assert isinstance(m, metrics.BinaryAccuracy) and m.name == "binary_accuracy"
    m = metrics.get("mse")
    assert isinstance(m, metrics.MeanSquaredError) and m.name == "mse"
    assert isinstance(metrics.get("accuracy"), metrics.Accuracy)
    auc = metrics.get("AUC")
    assert isinstance(auc, metrics.AUC) and auc.name == "auc"
    assert metrics.get(auc) is auc
    assert isinstance(metrics.get(metrics.Recall), metrics.Recall)
    assert metrics.get(None) is None
    wrapped = metrics.get(lambda y_true, y_pred: y_pred)
    assert isinstance(wrapped, metrics.MeanMetricWrapper) and wrapped.name == "lambda"


_SERIALIZED = {
    "Mean": lambda: metrics.Mean(name="m"), "Sum": lambda: metrics.Sum(),
    "Accuracy": lambda: metrics.Accuracy(),
    "BinaryAccuracy": lambda: metrics.BinaryAccuracy(threshold=0.3),
    "TopKCategoricalAccuracy": lambda: metrics.TopKCategoricalAccuracy(k=3),
    "SparseTopKCategoricalAccuracy": lambda: metrics.SparseTopKCategoricalAccuracy(
        k=2, name="top2"),
    "MeanAbsoluteError": lambda: metrics.MeanAbsoluteError(),
    "Precision": lambda: metrics.Precision(thresholds=[0.2, 0.4], class_id=1),
    "Recall": lambda: metrics.Recall(top_k=3),
    "AUC": lambda: metrics.AUC(num_thresholds=10, curve="PR", summation_method="minoring"),
    "MeanMetricWrapper": lambda: metrics.MeanMetricWrapper(metrics.binary_accuracy, name="ba",
                                                           threshold=0.7),
}


@pytest.mark.parametrize("kind", list(_SERIALIZED))
def test_serialize_round_trip(kind):
    metric = _SERIALIZED[kind]()
    config_ = metrics.serialize(metric)
    assert config_["class_name"] == type(metric).__name__
    again = metrics.deserialize(config_)
    assert type(again) is type(metric)
    assert again.get_config() == metric.get_config()
    assert metrics.get(config_).get_config() == metric.get_config()
    assert metrics.serialize(metrics.binary_accuracy) == "binary_accuracy"


def test_custom_function_round_trip_with_custom_objects():
    saved = metrics.serialize(metrics.get(mean_pred))
    assert saved["config"]["fn"] == "mean_pred"
    with pytest.raises(ValueError, match="'mean_pred'"):
        metrics.deserialize(saved)
    again = metrics.deserialize(saved, custom_objects={"mean_pred": mean_pred})
    assert again.name == "mean_pred" and again._fn is mean_pred


def test_unknown_identifiers_list_the_accepted_names():
    with pytest.raises(ValueError, match=r"Could not interpret metric identifier: 'acuracy'"
                                         r".*'binary_accuracy'"):
        metrics.get("acuracy")
    with pytest.raises(ValueError, match="Could not interpret metric identifier: 3"):
        metrics.get(3)
    with pytest.raises(ValueError, match="'Nope'"):
        metrics.deserialize({"class_name": "Nope", "config": {}})


# ---------------------------------------------------------------- errors

def test_shape_errors(backend):
    with pytest.raises(ValueError, match=r"categorical_accuracy expects one-hot.*\(4, 1\)"):
        metrics.categorical_accuracy(np.zeros((4, 1)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"sparse_categorical_accuracy expects integer "
                                         r"labels of shape \(4,\)"):
        metrics.sparse_categorical_accuracy(np.zeros((4, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="sparse_top_k_categorical_accuracy"):
        metrics.sparse_top_k_categorical_accuracy(np.zeros((5,)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"binary_accuracy: y_true and y_pred have "
                                         r"incompatible shapes"):
        metrics.binary_accuracy(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="mean_squared_error"):
        metrics.mean_squared_error(np.zeros((4, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="same shape"):
        metrics.Precision().update_state(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="class_id is provided"):
        metrics.Recall(class_id=1).update_state(np.zeros(4), np.zeros(4))
    with pytest.raises(ValueError, match="sample_weight of shape"):
        metrics.Mean().update_state(np.zeros((4, 2)), sample_weight=np.ones((3,)))


def test_argument_errors():
    with pytest.raises(ValueError, match="threshold=1.5"):
        metrics.BinaryAccuracy(threshold=1.5)
    with pytest.raises(ValueError, match=r"Threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.2])
    with pytest.raises(ValueError, match="Invalid AUC curve value"):
        metrics.AUC(curve="XYZ")
    with pytest.raises(ValueError, match="Invalid AUC summation method"):
        metrics.AUC(summation_method="trapezoid")
    with pytest.raises(ValueError, match="num_thresholds=1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match="needs a function"):
        metrics.MeanMetricWrapper("binary_accuracy")
