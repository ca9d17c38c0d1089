"""Regularizers and constraints on both engines, against numpy references written here."""

import numpy as np
import pytest

from keras_bridge import backends
from keras_bridge import config, constraints, ops, regularizers

RTOL, ATOL = 1e-5, 1e-6
W = np.random.default_rng(0).normal(size=(5, 4)).astype("float32")
KERNEL = np.random.default_rng(1).normal(size=(3, 3, 2, 4)).astype("float32")


def _check(result, expected, backend):
    assert backends.backend_of_type(type(result)) == backend
    np.testing.assert_allclose(ops.convert_to_numpy(result), expected, rtol=RTOL, atol=ATOL)


# ---------------------------------------------------------------- regularizers


@pytest.mark.parametrize("regularizer, expected", [
    (regularizers.L1(0.3), 0.3 * np.abs(W).sum()),
    (regularizers.L1(), 0.01 * np.abs(W).sum()),
    (regularizers.L2(0.2), 0.2 * np.square(W).sum()),
    (regularizers.L2(), 0.01 * np.square(W).sum()),
    (regularizers.L1L2(l1=0.1, l2=0.4), 0.1 * np.abs(W).sum() + 0.4 * np.square(W).sum()),
    (regularizers.L1L2(l2=0.5), 0.5 * np.square(W).sum()),
    (regularizers.L1L2(), 0.0),
    (regularizers.l1_l2(), 0.01 * np.abs(W).sum() + 0.01 * np.square(W).sum()),
], ids=repr)
def test_regularizer_values(backend, regularizer, expected):
    penalty = regularizer(ops.convert_to_tensor(W))
    assert tuple(ops.shape(penalty)) == ()
    _check(penalty, expected, backend)
    _check(regularizer(W), expected, backend)  # numpy in -> default engine's scalar


def test_regularizer_aliases_and_get():
    assert regularizers.l1 is regularizers.L1 and regularizers.l2 is regularizers.L2
    assert regularizers.l1(0.5).get_config() == {"l1": 0.5}
    assert regularizers.l1_l2(l1=0.2).get_config() == {"l1": 0.2, "l2": 0.01}
    assert regularizers.get(None) is None
    assert regularizers.get("l1").get_config() == {"l1": 0.01}
    assert regularizers.get("L2").get_config() == {"l2": 0.01}
    # the 'l1_l2' string keeps Keras 2's defaults; the class defaults to zero
    assert regularizers.get("l1_l2").get_config() == {"l1": 0.01, "l2": 0.01}
    assert regularizers.get("L1L2").get_config() == {"l1": 0.0, "l2": 0.0}
    assert type(regularizers.get(regularizers.L2)) is regularizers.L2
    reg = regularizers.L1(0.1)
    assert regularizers.get(reg) is reg

    def custom(x):
        return ops.sum(x)

    assert regularizers.get(custom) is custom


@pytest.mark.parametrize("regularizer", [
    regularizers.L1(0.3), regularizers.L2(0.2), regularizers.L1L2(0.1, 0.4),
], ids=repr)
def test_regularizer_serialize_round_trip(regularizer):
    data = regularizers.serialize(regularizer)
    assert data == {"class_name": type(regularizer).__name__, "config": regularizer.get_config()}
    back = regularizers.get(data)
    assert type(back) is type(regularizer) and back.get_config() == regularizer.get_config()
    assert type(regularizer).from_config(regularizer.get_config()).get_config() == \
        regularizer.get_config()


def test_regularizer_errors():
    with pytest.raises(ValueError, match="l1.*non-negative.*-0.1"):
        regularizers.L1(-0.1)
    with pytest.raises(ValueError, match="l2.*nan"):
        regularizers.L2(float("nan"))
    with pytest.raises(ValueError, match="l1.*'a'"):
        regularizers.L1L2(l1="a")
    with pytest.raises(ValueError, match="'l3'") as info:
        regularizers.get("l3")
    assert "'l1_l2'" in str(info.value)
    with pytest.raises(ValueError, match="Expected one of"):
        regularizers.get({"class_name": "L3", "config": {}})
    with pytest.raises(ValueError, match="7"):
        regularizers.get(7)
    with pytest.raises(NotImplementedError, match="get_config"):
        regularizers.Regularizer().get_config()
    assert regularizers.L1(None).l1 == 0.01  # None means the default, as Keras


# ----------------------------------------------------------------- constraints


def _norms(w, axis):
    return np.sqrt(np.sum(np.square(w.astype("float64")), axis=axis, keepdims=True))


def _max_norm(w, max_value, axis):
    norms = _norms(w, axis)
    return w * (np.clip(norms, 0, max_value) / (1e-7 + norms))


def test_max_norm(backend):
    _check(constraints.MaxNorm(2.0)(ops.convert_to_tensor(W)), _max_norm(W, 2.0, 0), backend)
    _check(constraints.MaxNorm(1.0, axis=1)(W), _max_norm(W, 1.0, 1), backend)
    _check(constraints.MaxNorm()(W), _max_norm(W, 2, 0), backend)
    # Conv2D kernel: one norm per output filter over (kh, kw, in)
    out = constraints.MaxNorm(1.5, axis=[0, 1, 2])(KERNEL)
    _check(out, _max_norm(KERNEL, 1.5, (0, 1, 2)), backend)
    norms = _norms(ops.convert_to_numpy(out), (0, 1, 2))
    assert np.all(norms <= 1.5 + 1e-5)


def test_non_neg(backend):
    _check(constraints.NonNeg()(W), np.maximum(W, 0.0), backend)


def test_unit_norm(backend):
    for axis in (0, 1, [0, 1]):
        expected = W / (1e-7 + _norms(W, tuple(axis) if isinstance(axis, list) else axis))
        _check(constraints.UnitNorm(axis=axis)(W), expected, backend)
    out = ops.convert_to_numpy(constraints.UnitNorm()(W))
    np.testing.assert_allclose(_norms(out, 0), 1.0, rtol=1e-5)


@pytest.mark.parametrize("min_value, max_value, rate", [(0.0, 1.0, 1.0), (2.0, 3.0, 1.0),
                                                        (1.0, 1.5, 0.5)])
def test_min_max_norm(backend, min_value, max_value, rate):
    norms = _norms(W, 0)
    desired = rate * np.clip(norms, min_value, max_value) + (1 - rate) * norms
    expected = W * (desired / (1e-7 + norms))
    constraint = constraints.MinMaxNorm(min_value, max_value, rate)
    _check(constraint(W), expected, backend)


def test_constraints_read_epsilon_from_config(backend):
    config.set_epsilon(0.5)
    norms = _norms(W, 0)
    _check(constraints.UnitNorm()(W), W / (0.5 + norms), backend)
    _check(constraints.MaxNorm(1.0)(W), W * (np.clip(norms, 0, 1.0) / (0.5 + norms)), backend)


def test_constraint_aliases_and_get():
    assert constraints.max_norm is constraints.MaxNorm
    assert constraints.non_neg is constraints.NonNeg
    assert constraints.unit_norm is constraints.UnitNorm
    assert constraints.min_max_norm is constraints.MinMaxNorm
    for name, cls in [("max_norm", constraints.MaxNorm), ("MaxNorm", constraints.MaxNorm),
                      ("maxnorm", constraints.MaxNorm), ("non_neg", constraints.NonNeg),
                      ("nonneg", constraints.NonNeg), ("unit_norm", constraints.UnitNorm),
                      ("unitnorm", constraints.UnitNorm), ("min_max_norm", constraints.MinMaxNorm),
                      ("MinMaxNorm", constraints.MinMaxNorm)]:
        assert type(constraints.get(name)) is cls
    assert constraints.get(None) is None
    c = constraints.NonNeg()
    assert constraints.get(c) is c
    assert type(constraints.get(constraints.UnitNorm)) is constraints.UnitNorm
    assert constraints.Constraint()(W) is W


@pytest.mark.parametrize("constraint", [
    constraints.MaxNorm(3.0, axis=[0, 1, 2]), constraints.NonNeg(), constraints.UnitNorm(axis=1),
    constraints.MinMaxNorm(0.5, 2.0, 0.7, axis=1),
], ids=repr)
def test_constraint_serialize_round_trip(constraint):
    data = constraints.serialize(constraint)
    assert data == {"class_name": type(constraint).__name__, "config": constraint.get_config()}
    back = constraints.get(data)
    assert type(back) is type(constraint) and back.get_config() == constraint.get_config()


def test_constraint_errors():
    with pytest.raises(ValueError, match="'max_nrom'") as info:
        constraints.get("max_nrom")
    assert "'max_norm'" in str(info.value)
    with pytest.raises(ValueError, match="Expected one of"):
        constraints.get({"class_name": "Clip", "config": {}})
    with pytest.raises(ValueError, match="1.5"):
        constraints.get(1.5)
    with pytest.raises(ValueError, match="Constraint"):
        constraints.serialize(abs)
