"""Keras losses on both engines, against numpy formulas written here.

References work on float32 arrays in float32 where the clip bounds matter
(``1 - epsilon()`` rounds to 0.99999988 in float32), so results at exact 0/1
probabilities are compared at the same precision the engines use.
"""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import backend as K
from keras_bridge import config, losses, ops

RTOL, ATOL = 1e-5, 1e-6
EPS = np.float32(1e-7)
HI = np.float32(1 - 1e-7)  # the upper clip bound as float32 rounds it
B, C = 4, 5
rng = np.random.default_rng(0)


def f32(x):
    return np.asarray(x, np.float32)


def np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def np_log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


# ---------------------------------------------------------------- data

REAL_T = f32(rng.standard_normal((B, C)))
REAL_T[0, 0] = 0.0  # exercises the epsilon guard of MAPE
REAL_P = f32(rng.standard_normal((B, C)))
POS_T = f32(rng.uniform(0.0, 3.0, (B, C)))
POS_P = f32(rng.uniform(0.1, 3.0, (B, C)))
LABELS = np.array([0, 3, 1, 4])  # int64, as numpy makes them
ONE_HOT = np.eye(C, dtype=np.float32)[LABELS]
LOGITS = f32(rng.uniform(-3.0, 3.0, (B, C)))  # moderate, so no probability is clipped
PROBS = f32(np.exp(np_log_softmax(LOGITS)))
BIN_T = rng.integers(0, 2, (B, C))  # int64 0/1 labels
BIN_LOGITS = f32(rng.uniform(-3.0, 3.0, (B, C)))
BIN_P = f32(np_sigmoid(BIN_LOGITS))
DIST_T = f32(np.exp(np_log_softmax(f32(rng.standard_normal((B, C))))))
DIST_T[0, 1] = 0.0
# Exact 0 and 1 probabilities, right and wrong.
EDGE_T = f32([[1, 0, 1, 0], [0, 1, 1, 0]])
EDGE_P = f32([[0, 1, 1, 0], [0, 1, 0.5, 0.25]])
EDGE_ONE_HOT = f32([[1, 0, 0], [0, 1, 0], [0, 0, 1]])
EDGE_PROBS = f32([[0, 1, 0], [0, 1, 0], [0.5, 0.5, 0]])

DATA = {
    "real": (REAL_T, REAL_P),
    "positive": (POS_T, POS_P),
    "binary": (BIN_T, BIN_P),
    "categorical": (ONE_HOT, PROBS),
    "sparse": (LABELS, PROBS),
    "scores": (BIN_T, REAL_P),
    "distributions": (DIST_T, PROBS),
}


# ---------------------------------------------------------------- numpy references

def np_mse(t, p):
    return np.mean((p - t) ** 2, axis=-1)


def np_mae(t, p):
    return np.mean(np.abs(p - t), axis=-1)


def np_mape(t, p):
    return 100.0 * np.mean(np.abs((t - p) / np.maximum(np.abs(t), EPS)), axis=-1)


def np_msle(t, p):
    return np.mean((np.log1p(np.maximum(p, EPS)) - np.log1p(np.maximum(t, EPS))) ** 2, axis=-1)


def np_bce(t, p, label_smoothing=0.0, axis=-1):
    t = f32(t) * (1 - label_smoothing) + 0.5 * label_smoothing
    p = np.clip(f32(p), EPS, HI)
    return -np.mean(t * np.log(p + EPS) + (1 - t) * np.log(1 - p + EPS), axis=axis)


def np_bce_logits(t, x, label_smoothing=0.0):
    t = f32(t) * (1 - label_smoothing) + 0.5 * label_smoothing
    log_p, log_not_p = -np.logaddexp(0.0, -x), -np.logaddexp(0.0, x)
    return -np.mean(t * log_p + (1 - t) * log_not_p, axis=-1)


def np_cce(t, p, label_smoothing=0.0, axis=-1):
    t = f32(t) * (1 - label_smoothing) + label_smoothing / t.shape[axis]
    p = np.clip(p / p.sum(axis=axis, keepdims=True), EPS, HI)
    return -np.sum(t * np.log(p), axis=axis)


def np_cce_logits(t, x, label_smoothing=0.0):
    t = f32(t) * (1 - label_smoothing) + label_smoothing / t.shape[-1]
    return -np.sum(t * np_log_softmax(x), axis=-1)


def np_sparse(labels, p, from_logits=False):
    logits = p if from_logits else np.log(np.clip(p, EPS, HI))
    labels = np.reshape(labels, p.shape[:-1])
    picked = np.take_along_axis(np_log_softmax(logits), labels[..., None], axis=-1)
    return -picked[..., 0]


def np_hinge_labels(t):
    t = f32(t)
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


def np_hinge(t, p):
    return np.mean(np.maximum(1 - np_hinge_labels(t) * p, 0), axis=-1)


def np_squared_hinge(t, p):
    return np.mean(np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2, axis=-1)


def np_categorical_hinge(t, p):
    pos = np.sum(t * p, axis=-1)
    neg = np.max((1 - t) * p, axis=-1)
    return np.maximum(neg - pos + 1, 0)


def np_kld(t, p):
    t, p = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    return np.sum(t * np.log(t / p), axis=-1)


def np_poisson(t, p):
    return np.mean(p - t * np.log(p + EPS), axis=-1)


def np_log_cosh(t, p):
    return np.mean(np.log(np.cosh(f32(p - t).astype(np.float64))), axis=-1)


def np_huber(t, p, delta=1.0):
    e = p - t
    return np.mean(np.where(np.abs(e) <= delta, 0.5 * e ** 2, delta * np.abs(e) - 0.5 * delta ** 2),
                   axis=-1)


def np_cosine(t, p, axis=-1):
    def unit(x):
        return x / np.sqrt(np.maximum(np.sum(x ** 2, axis=axis, keepdims=True), 1e-12))
    return -np.sum(unit(t) * unit(p), axis=axis)


# (function name and aliases, class name, reference, data)
CASES = [
    (("mean_squared_error", "mse", "MSE"), "MeanSquaredError", np_mse, "real"),
    (("mean_absolute_error", "mae", "MAE"), "MeanAbsoluteError", np_mae, "real"),
    (("mean_absolute_percentage_error", "mape", "MAPE"), "MeanAbsolutePercentageError",
     np_mape, "real"),
    (("mean_squared_logarithmic_error", "msle", "MSLE"), "MeanSquaredLogarithmicError",
     np_msle, "real"),
    (("binary_crossentropy", "bce", "BCE"), "BinaryCrossentropy", np_bce, "binary"),
    (("categorical_crossentropy",), "CategoricalCrossentropy", np_cce, "categorical"),
    (("sparse_categorical_crossentropy",), "SparseCategoricalCrossentropy", np_sparse, "sparse"),
    (("hinge",), "Hinge", np_hinge, "scores"),
    (("squared_hinge",), "SquaredHinge", np_squared_hinge, "scores"),
    (("categorical_hinge",), "CategoricalHinge", np_categorical_hinge, "categorical"),
    (("kl_divergence", "kld", "KLD", "kullback_leibler_divergence"), "KLDivergence", np_kld,
     "distributions"),
    (("poisson",), "Poisson", np_poisson, "positive"),
    (("log_cosh", "logcosh"), "LogCosh", np_log_cosh, "real"),
    (("huber", "huber_loss"), "Huber", np_huber, "real"),
    (("cosine_similarity",), "CosineSimilarity", np_cosine, "real"),
]
CASE_IDS = [case[1] for case in CASES]


def check(result, expected, backend, shape=None):
    assert backends.backend_of_type(type(result)) == backend
    got = ops.convert_to_numpy(result)
    expected = np.asarray(expected)
    assert got.shape == (expected.shape if shape is None else shape)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- every loss, function and class

@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_function_and_aliases(backend, case):
    names, _, reference, data = case
    y_true, y_pred = DATA[data]
    for name in names:
        fn = getattr(losses, name)
        assert fn is getattr(losses, names[0])
        check(fn(y_true, y_pred), reference(y_true, y_pred), backend, shape=(B,))


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_class_reductions(backend, case):
    _, class_name, reference, data = case
    y_true, y_pred = DATA[data]
    cls = getattr(losses, class_name)
    expected = reference(y_true, y_pred)
    check(cls()(y_true, y_pred), expected.mean(), backend)
    check(cls(reduction="auto")(y_true, y_pred), expected.mean(), backend)
    check(cls(reduction="sum")(y_true, y_pred), expected.sum(), backend)
    check(cls(reduction="none")(y_true, y_pred), expected, backend)
    check(cls(reduction=None)(y_true, y_pred), expected, backend)
    check(cls().call(y_true, y_pred), expected, backend)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_get_by_name(backend, case):
    names, class_name, reference, data = case
    y_true, y_pred = DATA[data]
    expected = reference(y_true, y_pred).mean()
    for name in names:
        loss = losses.get(name)
        assert type(loss) is losses.LossFunctionWrapper
        assert loss.name == names[0] and loss.fn is getattr(losses, names[0])
        check(loss(y_true, y_pred), expected, backend)
    loss = losses.get(class_name)
    assert type(loss) is getattr(losses, class_name)
    check(loss(y_true, y_pred), expected, backend)


# ---------------------------------------------------------------- crossentropies

def test_binary_crossentropy_clips_exact_probabilities(backend):
    expected = np_bce(EDGE_T, EDGE_P)
    check(losses.binary_crossentropy(EDGE_T, EDGE_P), expected, backend)
    assert np.all(np.isfinite(expected)) and expected.max() > 7  # a sure wrong answer is large
    check(losses.BinaryCrossentropy()(EDGE_T, EDGE_P), expected.mean(), backend)


def test_categorical_crossentropy_clips_exact_probabilities(backend):
    expected = np_cce(EDGE_ONE_HOT, EDGE_PROBS)
    check(losses.categorical_crossentropy(EDGE_ONE_HOT, EDGE_PROBS), expected, backend)
    assert np.isclose(expected[0], -np.log(EPS), rtol=1e-6)


def test_sparse_categorical_crossentropy_clips_exact_probabilities(backend):
    labels = np.array([0, 1, 2])
    expected = np_sparse(labels, EDGE_PROBS)
    check(losses.sparse_categorical_crossentropy(labels, EDGE_PROBS), expected, backend)
    assert np.all(np.isfinite(expected))


def test_binary_from_logits_agrees_with_probabilities(backend):
    from_logits = losses.binary_crossentropy(BIN_T, BIN_LOGITS, from_logits=True)
    check(from_logits, np_bce_logits(BIN_T, BIN_LOGITS), backend)
    # The probability form adds epsilon() inside each log: a relative change below 1e-5
    # for probabilities in [0.04, 0.96].
    check(from_logits, ops.convert_to_numpy(losses.binary_crossentropy(BIN_T, BIN_P)), backend)
    loss = losses.BinaryCrossentropy(from_logits=True)
    check(loss(BIN_T, BIN_LOGITS), np_bce(BIN_T, BIN_P).mean(), backend)


def test_categorical_from_logits_agrees_with_probabilities(backend):
    from_logits = losses.categorical_crossentropy(ONE_HOT, LOGITS, from_logits=True)
    check(from_logits, np_cce_logits(ONE_HOT, LOGITS), backend)
    check(from_logits, np_cce(ONE_HOT, PROBS), backend)
    check(losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, LOGITS),
          np_cce(ONE_HOT, PROBS).mean(), backend)


def test_sparse_from_logits_agrees_with_probabilities(backend):
    from_logits = losses.sparse_categorical_crossentropy(LABELS, LOGITS, from_logits=True)
    check(from_logits, np_sparse(LABELS, LOGITS, from_logits=True), backend)
    check(from_logits, np_sparse(LABELS, PROBS), backend)
    check(losses.SparseCategoricalCrossentropy(from_logits=True)(LABELS, LOGITS),
          np_sparse(LABELS, PROBS).mean(), backend)


def test_label_smoothing(backend):
    check(losses.binary_crossentropy(BIN_T, BIN_P, label_smoothing=0.2),
          np_bce(BIN_T, BIN_P, label_smoothing=0.2), backend)
    check(losses.BinaryCrossentropy(from_logits=True, label_smoothing=0.2)(BIN_T, BIN_LOGITS),
          np_bce_logits(BIN_T, BIN_LOGITS, label_smoothing=0.2).mean(), backend)
    check(losses.categorical_crossentropy(ONE_HOT, PROBS, label_smoothing=0.1),
          np_cce(ONE_HOT, PROBS, label_smoothing=0.1), backend)
    check(losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)(ONE_HOT, LOGITS),
          np_cce_logits(ONE_HOT, LOGITS, label_smoothing=0.1).mean(), backend)


def test_crossentropy_axis(backend):
    t = np.moveaxis(np.eye(3, dtype=np.float32)[rng.integers(0, 3, (2, 4))], -1, 1)  # (2, 3, 4)
    p = f32(rng.uniform(0.05, 1.0, (2, 3, 4)))
    check(losses.categorical_crossentropy(t, p, axis=1, label_smoothing=0.1),
          np_cce(t, p, label_smoothing=0.1, axis=1), backend)
    check(losses.CategoricalCrossentropy(axis=1)(t, p), np_cce(t, p, axis=1).mean(), backend)
    check(losses.binary_crossentropy(t, p / 1.1, axis=1), np_bce(t, p / 1.1, axis=1), backend)


def test_categorical_crossentropy_shape_errors(backend):
    with pytest.raises(ValueError, match="same shape"):
        losses.categorical_crossentropy(ONE_HOT[:, :3], PROBS)
    with pytest.raises(ValueError, match="axis"):
        losses.categorical_crossentropy(ONE_HOT, PROBS, axis=True)
    with pytest.warns(SyntaxWarning, match="binary_crossentropy"):
        losses.categorical_crossentropy(np.ones((B, 1)), f32(np.full((B, 1), 0.5)))


def test_sparse_labels_of_shape_batch_and_batch_1(backend):
    expected = np_sparse(LABELS, PROBS)
    for labels in (LABELS, LABELS.reshape(B, 1), LABELS.astype(np.float32),
                   ops.convert_to_tensor(LABELS.reshape(B, 1))):
        check(losses.sparse_categorical_crossentropy(labels, PROBS), expected, backend)
        check(losses.SparseCategoricalCrossentropy(reduction="none")(labels, PROBS), expected,
              backend)
    with pytest.raises(ValueError, match="one class index per sample"):
        losses.sparse_categorical_crossentropy(LABELS[:3], PROBS)


def test_sparse_sequence_labels(backend):
    labels = rng.integers(0, C, (2, 3))
    logits = f32(rng.standard_normal((2, 3, C)))
    check(losses.sparse_categorical_crossentropy(labels, logits, from_logits=True),
          np_sparse(labels, logits, from_logits=True), backend)


def test_sparse_ignore_class(backend):
    labels = np.array([0, -1, 1, -1])
    per_sample = np_sparse(np.maximum(labels, 0), PROBS) * (labels != -1)
    check(losses.sparse_categorical_crossentropy(labels, PROBS, ignore_class=-1), per_sample,
          backend)
    loss = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    check(loss(labels, PROBS), per_sample.sum() / 2, backend)  # mean over the 2 valid labels
    check(loss(labels.reshape(B, 1), PROBS), per_sample.sum() / 2, backend)
    w = f32([1.0, 5.0, 3.0, 5.0])
    check(loss(labels, PROBS, sample_weight=w), (per_sample * w).sum() / 2, backend)
    check(losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="sum")(labels, PROBS),
          per_sample.sum(), backend)
    check(losses.SparseCategoricalCrossentropy(ignore_class=-1, reduction="none")(labels, PROBS),
          per_sample, backend)
    # A valid class index can be ignored too, and a batch with nothing valid gives 0.
    zero_ignored = np_sparse(LABELS, PROBS) * (LABELS != 0)
    check(losses.SparseCategoricalCrossentropy(ignore_class=0)(LABELS, PROBS),
          zero_ignored.sum() / 3, backend)
    check(loss(np.full(B, -1), PROBS), 0.0, backend)
    wrapped = losses.LossFunctionWrapper(losses.sparse_categorical_crossentropy, ignore_class=-1)
    check(wrapped(labels, PROBS), per_sample.sum() / 2, backend)


# ---------------------------------------------------------------- other losses' details

@pytest.mark.parametrize("labels", [
    np.array([[0, 1, 1], [1, 0, 0]]),          # 0/1: converted to -1/1
    np.array([[-1, 1, 1], [1, -1, -1]]),       # -1/1: kept
    np.array([[0.0, 1.0, 0.5], [1.0, 0.0, 0.0]]),  # not binary: kept
], ids=["zero_one", "minus_one_one", "soft"])
def test_hinge_label_conversion(backend, labels):
    scores = f32([[0.3, -0.8, 1.5], [2.0, 0.1, -0.4]])
    check(losses.hinge(labels, scores), np_hinge(labels, scores), backend)
    check(losses.squared_hinge(labels, scores), np_squared_hinge(labels, scores), backend)
    check(losses.Hinge()(labels, scores), np_hinge(labels, scores).mean(), backend)


def test_huber_delta(backend):
    check(losses.huber(REAL_T, REAL_P, delta=2.0), np_huber(REAL_T, REAL_P, 2.0), backend)
    check(losses.Huber(delta=0.5)(REAL_T, REAL_P), np_huber(REAL_T, REAL_P, 0.5).mean(), backend)
    assert losses.Huber().name == "huber_loss"


def test_cosine_similarity_axis_and_zero_vector(backend):
    t = REAL_T.copy()
    t[1] = 0.0
    check(losses.cosine_similarity(t, REAL_P), np_cosine(t, REAL_P), backend)
    assert np_cosine(t, REAL_P)[1] == 0.0
    check(losses.cosine_similarity(t, REAL_P, axis=0), np_cosine(t, REAL_P, axis=0), backend,
          shape=(C,))
    check(losses.CosineSimilarity(axis=0)(t, REAL_P), np_cosine(t, REAL_P, axis=0).mean(),
          backend)
    same = losses.cosine_similarity(REAL_P, REAL_P * 3.0)
    check(same, -np.ones(B), backend)


def test_y_true_is_cast_to_prediction_dtype(backend):
    labels = BIN_T.astype(np.int32)
    pred = ops.convert_to_tensor(BIN_P)
    for fn, reference in ((losses.mse, np_mse), (losses.binary_crossentropy, np_bce),
                          (losses.hinge, np_hinge), (losses.poisson, np_poisson)):
        check(fn(labels, pred), reference(labels, BIN_P), backend)


# ---------------------------------------------------------------- reduction and sample_weight

def test_keras_documented_values(backend):
    y_true, y_pred = [[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [1.0, 0.0]]
    check(losses.MeanSquaredError()(y_true, y_pred), 0.5, backend)
    check(losses.MeanSquaredError()(y_true, y_pred, sample_weight=[0.7, 0.3]), 0.25, backend)
    check(losses.MeanSquaredError(reduction="sum")(y_true, y_pred), 1.0, backend)
    check(losses.MeanSquaredError(reduction="none")(y_true, y_pred), [0.5, 0.5], backend)


@pytest.mark.parametrize("weight", [
    f32([0.5, 2.0, 0.0, 1.0]), f32([[0.5], [2.0], [0.0], [1.0]]), 3.0, f32(3.0)],
    ids=["batch", "batch_1", "python_scalar", "numpy_scalar"])
def test_sample_weight_each_reduction(backend, weight):
    per_sample = np_mae(REAL_T, REAL_P)
    weighted = per_sample * np.reshape(weight, -1) if np.ndim(weight) else per_sample * weight
    check(losses.MeanAbsoluteError()(REAL_T, REAL_P, sample_weight=weight), weighted.mean(),
          backend)
    check(losses.MeanAbsoluteError(reduction="sum")(REAL_T, REAL_P, sample_weight=weight),
          weighted.sum(), backend)
    check(losses.MeanAbsoluteError(reduction="none")(REAL_T, REAL_P, sample_weight=weight),
          weighted, backend)
    tensor_weight = ops.convert_to_tensor(weight)
    check(losses.MeanAbsoluteError()(REAL_T, REAL_P, sample_weight=tensor_weight),
          weighted.mean(), backend)


def test_sample_weight_per_sample_over_steps(backend):
    t = f32(rng.standard_normal((B, 3, C)))
    p = f32(rng.standard_normal((B, 3, C)))
    per_step = np_mse(t, p)  # (B, 3)
    w = f32([1.0, 0.0, 2.0, 0.5])
    check(losses.MeanSquaredError()(t, p, sample_weight=w), (per_step * w[:, None]).mean(),
          backend)
    step_w = f32(rng.uniform(0, 1, (B, 3)))
    check(losses.MeanSquaredError(reduction="none")(t, p, sample_weight=step_w),
          per_step * step_w, backend)
    with pytest.raises(ValueError, match=r"sample_weight of shape \(5,\)"):
        losses.MeanSquaredError()(t, p, sample_weight=np.ones(5))


def test_rank_alignment_of_targets(backend):
    t = f32([1.0, 2.0, 3.0, 4.0])
    p = f32([[1.5], [2.0], [2.0], [6.0]])
    expected = (p[:, 0] - t) ** 2
    check(losses.MeanSquaredError(reduction="none")(t, p), expected, backend)
    check(losses.MeanSquaredError()(t.reshape(B, 1), p[:, 0]), expected.mean(), backend)
    check(losses.MeanSquaredError()(t, p, sample_weight=f32([1, 1, 0, 0])),
          expected[:2].sum() / B, backend)


def test_reduction_validation():
    assert losses.Reduction.all() == ("auto", "none", "sum", "sum_over_batch_size")
    assert losses.Reduction.validate(losses.Reduction.SUM) == "sum"
    for bad in ("mean", "SUM", 1):
        expected = r"Expected reduction to be one of .*'sum_over_batch_size'.*Received: "
        with pytest.raises(ValueError, match=expected + "reduction=" + repr(bad)):
            losses.MeanSquaredError(reduction=bad)
    with pytest.raises(ValueError, match="reduction='avg'"):
        losses.LossFunctionWrapper(losses.mse, reduction="avg")


# ---------------------------------------------------------------- gradients and jit

def _gradient(backend, loss_fn, y_pred):
    """Gradient of the scalar ``loss_fn(y_pred)`` w.r.t. ``y_pred``, as numpy."""
    if backend == "torch":
        import torch
        x = torch.tensor(y_pred, requires_grad=True)
        loss_fn(x).backward()
        return x.grad.numpy()
    import jax
    return np.asarray(jax.grad(loss_fn)(ops.convert_to_tensor(y_pred)))


def _gradient_of(backend, fn, y_true, y_pred):
    """Gradient of ``mean(fn(y_true, y_pred))`` w.r.t. ``y_pred``."""
    return _gradient(backend, lambda p: ops.mean(fn(y_true, p)), y_pred)


@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_gradients_are_finite(backend, case):
    _, class_name, _, data = case
    y_true, y_pred = DATA[data]
    loss = getattr(losses, class_name)()
    grad = _gradient(backend, lambda p: loss(y_true, p), y_pred)
    assert grad.shape == y_pred.shape and np.all(np.isfinite(grad)) and np.any(grad != 0)


@pytest.mark.parametrize("name, y_true, y_pred", [
    ("binary_crossentropy", EDGE_T, EDGE_P),
    ("categorical_crossentropy", EDGE_ONE_HOT, EDGE_PROBS),
    ("sparse_categorical_crossentropy", np.array([0, 1, 2]), EDGE_PROBS),
    ("kl_divergence", EDGE_ONE_HOT, EDGE_PROBS),
    ("poisson", EDGE_ONE_HOT, EDGE_PROBS),
    ("mean_squared_logarithmic_error", EDGE_ONE_HOT, EDGE_PROBS),
])
def test_gradients_finite_at_clipped_probabilities(backend, name, y_true, y_pred):
    grad = _gradient_of(backend, getattr(losses, name), y_true, y_pred)
    assert grad.shape == y_pred.shape and np.all(np.isfinite(grad))


def test_gradients_from_logits_are_exact(backend):
    # d mean(bce(t, x)) / dx = (sigmoid(x) - t) / size; d mean(cce(t, x)) / dx = (softmax - t) / B
    grad = _gradient_of(backend, lambda t, x: losses.binary_crossentropy(t, x, from_logits=True),
                        BIN_T, BIN_LOGITS)
    np.testing.assert_allclose(grad, (np_sigmoid(BIN_LOGITS) - BIN_T) / BIN_T.size, rtol=RTOL,
                               atol=ATOL)
    grad = _gradient_of(backend, lambda t, x: losses.categorical_crossentropy(
        t, x, from_logits=True), ONE_HOT, LOGITS)
    np.testing.assert_allclose(grad, (PROBS - ONE_HOT) / B, rtol=RTOL, atol=ATOL)


def test_jitted_jax_call():
    jax = pytest.importorskip("jax")
    config.set_backend("jax")
    labels = np.array([0, -1, 1, -1])
    w = f32([1.0, 1.0, 3.0, 1.0])
    sparse = losses.SparseCategoricalCrossentropy(ignore_class=-1)
    got = jax.jit(lambda t, p, w: sparse(t, p, sample_weight=w))(labels, PROBS, w)
    per_sample = np_sparse(np.maximum(labels, 0), PROBS) * (labels != -1)
    np.testing.assert_allclose(np.asarray(got), (per_sample * w).sum() / 2, rtol=RTOL, atol=ATOL)
    cce = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=0.1)
    got = jax.jit(cce)(ONE_HOT, LOGITS)
    np.testing.assert_allclose(np.asarray(got), np_cce_logits(ONE_HOT, LOGITS, 0.1).mean(),
                               rtol=RTOL, atol=ATOL)
    hinge = jax.jit(losses.Hinge(reduction="none"))  # label conversion decided in the graph
    for labels in (BIN_T, 2 * BIN_T - 1):
        np.testing.assert_allclose(np.asarray(hinge(labels, REAL_P)), np_hinge(labels, REAL_P),
                                   rtol=RTOL, atol=ATOL)
    grad = jax.jit(jax.grad(lambda p: losses.BinaryCrossentropy()(EDGE_T, p)))(EDGE_P)
    assert np.all(np.isfinite(np.asarray(grad)))


# ---------------------------------------------------------------- custom losses

def rmse(y_true, y_pred):
    return K.sqrt(K.mean(K.square(y_pred - y_true), axis=-1))


def scaled_mae(y_true, y_pred, scale=1.0):
    return ops.multiply(scale, ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1))


def test_custom_function_loss(backend):
    expected = np.sqrt(np_mse(REAL_T, REAL_P))
    wrapped = losses.LossFunctionWrapper(rmse)
    assert wrapped.name == "rmse" and wrapped.fn is rmse
    check(wrapped(REAL_T, REAL_P), expected.mean(), backend)
    from_get = losses.get(rmse)
    assert isinstance(from_get, losses.LossFunctionWrapper) and from_get.fn is rmse
    check(from_get(REAL_T, REAL_P, sample_weight=f32([1, 2, 3, 4])),
          (expected * [1, 2, 3, 4]).mean(), backend)
    scaled = losses.LossFunctionWrapper(scaled_mae, reduction="sum", name="x3", scale=3.0)
    check(scaled(REAL_T, REAL_P), 3.0 * np_mae(REAL_T, REAL_P).sum(), backend)
    assert losses.get(lambda t, p: scaled_mae(t, p)).name == "loss_function_wrapper"


def test_loss_subclass(backend):
    class MyAbsLoss(losses.Loss):
        def call(self, y_true, y_pred):
            return ops.mean(ops.abs(ops.subtract(y_pred, y_true)), axis=-1)

    loss = MyAbsLoss(reduction="sum")
    assert loss.name == "my_abs_loss"
    check(loss(REAL_T, REAL_P), np_mae(REAL_T, REAL_P).sum(), backend)
    assert losses.get(MyAbsLoss).name == "my_abs_loss"
    with pytest.raises(NotImplementedError):
        losses.Loss()(REAL_T, REAL_P)


# ---------------------------------------------------------------- get, config, errors

NON_DEFAULT = {
    "BinaryCrossentropy": dict(from_logits=True, label_smoothing=0.1, axis=1),
    "CategoricalCrossentropy": dict(from_logits=True, label_smoothing=0.2, axis=0),
    "SparseCategoricalCrossentropy": dict(from_logits=True, ignore_class=255),
    "Huber": dict(delta=0.5),
    "CosineSimilarity": dict(axis=0),
}


@pytest.mark.parametrize("class_name", CASE_IDS)
def test_get_config_round_trip(class_name):
    cls = getattr(losses, class_name)
    loss = cls(reduction="sum", name="my_loss", **NON_DEFAULT.get(class_name, {}))
    config_ = loss.get_config()
    assert config_["reduction"] == "sum" and config_["name"] == "my_loss"
    assert "fn" not in config_
    for key, value in NON_DEFAULT.get(class_name, {}).items():
        assert config_[key] == value
    again = cls.from_config(config_)
    assert type(again) is cls and again.get_config() == config_
    restored = losses.deserialize(losses.serialize(loss))
    assert type(restored) is cls and restored.get_config() == config_
    assert losses.get(losses.serialize(loss)).get_config() == config_
    assert cls().get_config() == cls.from_config(cls().get_config()).get_config()


def test_wrapper_config_round_trip(backend):
    loss = losses.get("mse")
    saved = losses.serialize(loss)
    assert saved == {"class_name": "LossFunctionWrapper",
                     "config": {"reduction": "sum_over_batch_size", "name": "mean_squared_error",
                                "fn": "mean_squared_error"}}
    restored = losses.deserialize(saved)
    assert restored.fn is losses.mean_squared_error
    check(restored(REAL_T, REAL_P), np_mse(REAL_T, REAL_P).mean(), backend)

    custom = losses.LossFunctionWrapper(scaled_mae, scale=2.0)
    saved = losses.serialize(custom)
    assert saved["config"]["fn"] == "scaled_mae" and saved["config"]["scale"] == 2.0
    with pytest.raises(ValueError, match=r"custom_objects=\{'scaled_mae': fn\}"):
        losses.deserialize(saved)
    restored = losses.deserialize(saved, custom_objects={"scaled_mae": scaled_mae})
    check(restored(REAL_T, REAL_P), 2.0 * np_mae(REAL_T, REAL_P).mean(), backend)
    assert losses.serialize(losses.mse) == "mean_squared_error"
    assert losses.serialize(None) is None
    with pytest.raises(ValueError, match="Cannot serialize"):
        losses.serialize(rmse)


def test_get_identifiers():
    assert losses.get(None) is None
    loss = losses.Huber()
    assert losses.get(loss) is loss
    assert type(losses.get(losses.Poisson)) is losses.Poisson
    from_dict = losses.get({"class_name": "CategoricalCrossentropy",
                            "config": {"from_logits": True}})
    assert isinstance(from_dict, losses.CategoricalCrossentropy)
    assert from_dict.get_config()["from_logits"] is True
    assert losses.get("kld").name == "kl_divergence"
    assert losses.get("logcosh").name == "log_cosh"
    with pytest.warns(DeprecationWarning, match="'cosine_similarity'"):
        assert losses.get("cosine_proximity").fn is losses.cosine_similarity


def test_unknown_identifiers_list_accepted_names():
    with pytest.raises(ValueError) as info:
        losses.get("mean_sqared_error")
    message = str(info.value)
    assert "'mean_sqared_error'" in message
    for name in ("mean_squared_error", "mse", "categorical_crossentropy", "Huber",
                 "SparseCategoricalCrossentropy", "kld"):
        assert repr(name) in message
    with pytest.raises(ValueError, match="Could not interpret loss identifier: 3"):
        losses.get(3)
    with pytest.raises(ValueError, match="'Nope'"):
        losses.get({"class_name": "Nope", "config": {}})
    with pytest.raises(TypeError, match="callable"):
        losses.LossFunctionWrapper("mse")


def test_public_names():
    for name in losses.__all__:
        assert hasattr(losses, name), name
