"""The Keras 3 ops beyond Keras 2's backend (engine ops in both engines' numpy_ops.py,
compositions in keras_bridge/ops/composed.py), on every engine, against numpy."""

import math

import numpy as np
import pytest

from keras_bridge import backends, ops
from keras_bridge.ops import COMPOSED

from conftest import both_backends

R = np.random.default_rng(1)
X = R.standard_normal((2, 3, 4)).astype(np.float32)
Y = R.standard_normal((3, 4)).astype(np.float32)
M = R.standard_normal((3, 4)).astype(np.float32)
S = R.standard_normal((4, 4)).astype(np.float32)
U = (R.random((2, 3)) * 1.8 - 0.9).astype(np.float32)  # in (-1, 1)
G = (R.random((2, 3)) + 1.1).astype(np.float32)  # > 1
V = np.array([3.0, -1.0, 2.0, 2.0, 0.0], np.float32)
I = np.array([[3, 0, 2], [1, 1, 4]], np.int32)
F = np.array([1.0, -np.inf, np.nan, 0.0, -0.0, np.inf], np.float32)
P = R.random((2, 5)).astype(np.float32) + 0.05
T = np.eye(5, dtype=np.float32)[[1, 3]]  # one-hot targets for P


def f64(a):
    return np.asarray(a, np.float64)


def sig(x):
    return 1 / (1 + np.exp(-f64(x)))


def np_segment_max(data, ids, n):
    out = np.full((n,) + data.shape[1:], -np.inf)
    for i, s in enumerate(ids):
        out[s] = np.maximum(out[s], data[i])
    return out


def np_attention(q, k, v, causal=False, mask=None):
    k = np.repeat(k, q.shape[2] // k.shape[2], axis=2)
    v = np.repeat(v, q.shape[2] // v.shape[2], axis=2)
    logits = np.einsum("btnh,bsnh->bnts", f64(q), k) / np.sqrt(q.shape[-1])
    keep = np.ones(logits.shape, bool)
    if causal:
        keep &= np.tril(np.ones(logits.shape[-2:], bool))
    if mask is not None:
        keep &= mask
    logits = np.where(keep, logits, -1e30)
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return np.einsum("bnts,bsnh->btnh", e / e.sum(-1, keepdims=True), v)


def np_scatter(idx, vals, shape):
    out = np.zeros(shape, np.float32)
    for i, v in zip(idx, vals):
        out[tuple(i)] += v
    return out


EPS = 1e-7
SPD = (S @ S.T + 4 * np.eye(4)).astype(np.float32)
Q = R.standard_normal((2, 3, 4, 2)).astype(np.float32)
KV = R.standard_normal((2, 5, 2, 2)).astype(np.float32)
MASK = R.random((2, 1, 3, 5)) > 0.3
MASK[..., 0] = True
NANS = np.array([[1.0, np.nan, 3.0], [np.nan, -2.0, 0.5]], np.float32)
PC = np.clip(P / P.sum(-1, keepdims=True), EPS, 1 - EPS)
BO = np.clip(R.random((2, 3)), 0.05, 0.95).astype(np.float32)
BT = (R.random((2, 3)) > 0.5).astype(np.float32)

# (op name, call on engine tensors c(...), numpy reference)
CASES = [
    # engine ops
    ("arccos", lambda c: ops.arccos(c(U)), lambda: np.arccos(U)),
    ("arcsin", lambda c: ops.arcsin(c(U)), lambda: np.arcsin(U)),
    ("arctan", lambda c: ops.arctan(c(X)), lambda: np.arctan(X)),
    ("arccosh", lambda c: ops.arccosh(c(G)), lambda: np.arccosh(G)),
    ("arcsinh", lambda c: ops.arcsinh(c(X)), lambda: np.arcsinh(X)),
    ("arctanh", lambda c: ops.arctanh(c(U)), lambda: np.arctanh(U)),
    ("tan", lambda c: ops.tan(c(U)), lambda: np.tan(U)),
    ("sinh", lambda c: ops.sinh(c(X)), lambda: np.sinh(X)),
    ("cosh", lambda c: ops.cosh(c(X)), lambda: np.cosh(X)),
    ("erf", lambda c: ops.erf(c(X)), lambda: np.vectorize(math.erf)(f64(X))),
    ("erfinv", lambda c: ops.erf(ops.erfinv(c(U))), lambda: U),
    ("arctan2", lambda c: ops.arctan2(c(Y), c(M)), lambda: np.arctan2(Y, M)),
    ("fmod", lambda c: ops.fmod(c(I - 2), 3), lambda: np.fmod(I - 2, 3)),
    ("trunc", lambda c: ops.trunc(c(X * 3)), lambda: np.trunc(X * 3)),
    ("isnan", lambda c: ops.isnan(c(F)), lambda: np.isnan(F)),
    ("isinf", lambda c: ops.isinf(c(F)), lambda: np.isinf(F)),
    ("isfinite", lambda c: ops.isfinite(c(F)), lambda: np.isfinite(F)),
    ("signbit", lambda c: ops.signbit(c(F[[0, 1, 3, 4]])), lambda: np.signbit(F[[0, 1, 3, 4]])),
    ("sort", lambda c: ops.sort(c(X)), lambda: np.sort(X)),
    ("sort", lambda c: ops.sort(c(X), axis=None), lambda: np.sort(X, axis=None)),
    ("argsort", lambda c: ops.argsort(c(V)), lambda: np.argsort(V, kind="stable")),
    ("argsort", lambda c: ops.argsort(c(X), axis=0), lambda: np.argsort(X, axis=0, kind="stable")),
    ("top_k", lambda c: ops.top_k(c(V), 3)[0], lambda: np.array([3.0, 2.0, 2.0])),
    ("top_k", lambda c: ops.top_k(c(V), 3)[1], lambda: np.array([0, 2, 3])),
    ("take_along_axis", lambda c: ops.take_along_axis(c(M), c(np.argsort(M, 1)), axis=1),
     lambda: np.sort(M, 1)),
    ("tril", lambda c: ops.tril(c(X)), lambda: np.tril(X)),
    ("tril", lambda c: ops.tril(c(M), k=-1), lambda: np.tril(M, -1)),
    ("triu", lambda c: ops.triu(c(M), k=1), lambda: np.triu(M, 1)),
    ("diagonal", lambda c: ops.diagonal(c(X), offset=1, axis1=1, axis2=2),
     lambda: np.diagonal(X, 1, 1, 2)),
    ("diag", lambda c: ops.diag(c(V), k=1), lambda: np.diag(V, 1)),
    ("diag", lambda c: ops.diag(c(M), k=-1), lambda: np.diag(M, -1)),
    ("roll", lambda c: ops.roll(c(X), 2), lambda: np.roll(X, 2)),
    ("roll", lambda c: ops.roll(c(X), -1, axis=2), lambda: np.roll(X, -1, axis=2)),
    ("pad", lambda c: ops.pad(c(M), 1), lambda: np.pad(M, 1)),
    ("pad", lambda c: ops.pad(c(M), [[1, 0], [2, 1]], constant_values=2.5),
     lambda: np.pad(M, [[1, 0], [2, 1]], constant_values=2.5)),
    ("pad", lambda c: ops.pad(c(M), [[2, 1], [1, 3]], mode="reflect"),
     lambda: np.pad(M, [[2, 1], [1, 3]], mode="reflect")),
    ("pad", lambda c: ops.pad(c(M), [[1, 2], [0, 2]], mode="symmetric"),
     lambda: np.pad(M, [[1, 2], [0, 2]], mode="symmetric")),
    ("nonzero", lambda c: ops.stack(ops.nonzero(c(I))), lambda: np.stack(np.nonzero(I))),
    ("split", lambda c: ops.split(c(X), 2, axis=2)[1], lambda: np.split(X, 2, axis=2)[1]),
    ("split", lambda c: ops.concatenate([ops.ravel(p) for p in ops.split(c(M), [1, 3], axis=1)], 0),
     lambda: np.concatenate([p.ravel() for p in np.split(M, [1, 3], axis=1)])),
    ("bincount", lambda c: ops.bincount(c(I.ravel())), lambda: np.bincount(I.ravel())),
    ("bincount", lambda c: ops.bincount(c(I.ravel()), weights=c(X.ravel()[:6]), minlength=7),
     lambda: np.bincount(I.ravel(), weights=X.ravel()[:6], minlength=7)),
    ("quantile", lambda c: ops.quantile(c(X), 0.3), lambda: np.quantile(f64(X), 0.3)),
    ("quantile", lambda c: ops.quantile(c(X), c(np.float32([0.1, 0.9])), axis=(0, 2), keepdims=True),
     lambda: np.quantile(f64(X), [0.1, 0.9], axis=(0, 2), keepdims=True)),
    ("quantile", lambda c: ops.quantile(c(X), 0.4, axis=1, method="nearest"),
     lambda: np.quantile(X, 0.4, axis=1, method="nearest")),
    ("segment_sum", lambda c: ops.segment_sum(c(M), c(np.int32([0, 2, 0])), num_segments=4),
     lambda: np.stack([M[0] + M[2], 0 * M[0], M[1], 0 * M[0]])),
    ("segment_max", lambda c: ops.segment_max(c(M), c(np.int32([1, 1, 0]))),
     lambda: np_segment_max(M, [1, 1, 0], 2)),
    ("slice", lambda c: ops.slice(c(X), (1, 0, 2), (1, 2, 2)), lambda: X[1:2, 0:2, 2:4]),
    ("slice_update", lambda c: ops.slice_update(c(M), (1, 1), c(np.ones((2, 2), np.float32))),
     lambda: np.where(np.pad(np.ones((2, 2)), [[1, 0], [1, 1]]) > 0, 1.0, M)),
    ("scatter", lambda c: ops.scatter(c(np.int32([[0, 1], [2, 3], [0, 1]])), c(V[:3]), (3, 4)),
     lambda: np_scatter([[0, 1], [2, 3], [0, 1]], V[:3], (3, 4))),
    ("scatter_update", lambda c: ops.scatter_update(c(M), c(np.int32([[0, 0], [2, 1]])), c(V[:2])),
     lambda: np.where(np_scatter([[0, 0], [2, 1]], [1, 1], (3, 4)) > 0,
                      np_scatter([[0, 0], [2, 1]], V[:2], (3, 4)), M)),
    ("scatter_update", lambda c: ops.scatter_update(c(M), c(np.int32([[1], [1]])), c(M[:2]),
                                                    reduction="max"),
     lambda: np.stack([M[0], np.maximum(np.maximum(M[1], M[0]), M[1]), M[2]])),
    ("cond", lambda c: ops.cond(c(np.array(True)), lambda: c(V) * 2, lambda: c(V)), lambda: V * 2),
    ("switch", lambda c: ops.switch(c(np.int32(5)), [lambda v: v + 1, lambda v: v * 3], c(V)),
     lambda: V * 3),
    ("while_loop", lambda c: ops.while_loop(lambda i, s: i < 4, lambda i, s: (i + 1, s * 2),
                                            (c(np.int32(0)), c(V)))[1], lambda: V * 16),
    ("while_loop", lambda c: ops.while_loop(lambda s: True, lambda s: s + 1, c(V),
                                            maximum_iterations=3), lambda: V + 3),
    ("inv", lambda c: ops.inv(c(SPD)), lambda: np.linalg.inv(f64(SPD))),
    ("det", lambda c: ops.det(c(np.stack([SPD, S]))), lambda: np.linalg.det(f64(np.stack([SPD, S])))),
    ("solve", lambda c: ops.solve(c(SPD), c(V[:4])), lambda: np.linalg.solve(f64(SPD), V[:4])),
    ("solve", lambda c: ops.solve(c(SPD), c(M.T)), lambda: np.linalg.solve(f64(SPD), M.T)),
    ("cholesky", lambda c: ops.cholesky(c(SPD)), lambda: np.linalg.cholesky(f64(SPD))),
    ("cholesky", lambda c: ops.cholesky(c(SPD), upper=True), lambda: np.linalg.cholesky(f64(SPD)).T),
    # compositions
    ("absolute", lambda c: ops.absolute(c(X)), lambda: np.abs(X)),
    ("fabs", lambda c: ops.fabs(c(I - 2)), lambda: np.fabs(I - 2)),
    ("true_divide", lambda c: ops.true_divide(c(I), 2), lambda: I / 2),
    ("amax", lambda c: ops.amax(c(X), axis=1), lambda: np.amax(X, axis=1)),
    ("amin", lambda c: ops.amin(c(X), axis=(0, 2), keepdims=True), lambda: np.amin(X, (0, 2), keepdims=True)),
    ("swish", lambda c: ops.swish(c(X)), lambda: X * sig(X)),
    ("swapaxes", lambda c: ops.swapaxes(c(X), 0, -1), lambda: np.swapaxes(X, 0, -1)),
    ("moveaxis", lambda c: ops.moveaxis(c(X), 0, -1), lambda: np.moveaxis(X, 0, -1)),
    ("moveaxis", lambda c: ops.moveaxis(c(X), [0, 2], [2, 0]), lambda: np.moveaxis(X, [0, 2], [2, 0])),
    ("ravel", lambda c: ops.ravel(c(X)), lambda: X.ravel()),
    ("hstack", lambda c: ops.hstack([c(M), c(Y)]), lambda: np.hstack([M, Y])),
    ("hstack", lambda c: ops.hstack([c(V), c(V)]), lambda: np.hstack([V, V])),
    ("vstack", lambda c: ops.vstack([c(M), c(V[:4])]), lambda: np.vstack([M, V[:4]])),
    ("column_stack", lambda c: ops.column_stack([c(V), c(V)]), lambda: np.column_stack([V, V])),
    ("fliplr", lambda c: ops.fliplr(c(M)), lambda: np.fliplr(M)),
    ("flipud", lambda c: ops.flipud(c(M)), lambda: np.flipud(M)),
    ("unstack", lambda c: ops.unstack(c(X), axis=1)[2], lambda: X[:, 2]),
    ("diff", lambda c: ops.diff(c(X)), lambda: np.diff(X)),
    ("diff", lambda c: ops.diff(c(X), n=2, axis=1), lambda: np.diff(X, n=2, axis=1)),
    ("full_like", lambda c: ops.full_like(c(I), 7), lambda: np.full_like(I, 7)),
    ("identity", lambda c: ops.identity(3), lambda: np.identity(3)),
    ("tri", lambda c: ops.tri(3, 4, k=1), lambda: np.tri(3, 4, 1)),
    ("linspace", lambda c: ops.linspace(-1.0, 2.0, 7), lambda: np.linspace(-1, 2, 7)),
    ("linspace", lambda c: ops.linspace(0.0, 1.0, 4, endpoint=False), lambda: np.linspace(0, 1, 4, endpoint=False)),
    ("linspace", lambda c: ops.linspace(c(V[:2]), c(V[2:4]), 3, axis=1),
     lambda: np.linspace(V[:2], V[2:4], 3, axis=1)),
    ("logspace", lambda c: ops.logspace(0.0, 2.0, 5), lambda: np.logspace(0, 2, 5)),
    ("logspace", lambda c: ops.logspace(0.0, 3.0, 4, base=2), lambda: np.logspace(0, 3, 4, base=2)),
    ("meshgrid", lambda c: ops.stack(ops.meshgrid(c(V[:2]), c(V), c(V[:3]))),
     lambda: np.stack(np.meshgrid(V[:2], V, V[:3]))),
    ("meshgrid", lambda c: ops.stack(ops.meshgrid(c(V[:2]), c(V), indexing="ij")),
     lambda: np.stack(np.meshgrid(V[:2], V, indexing="ij"))),
    ("log2", lambda c: ops.log2(c(G)), lambda: np.log2(G)),
    ("log10", lambda c: ops.log10(c(G)), lambda: np.log10(G)),
    ("exp2", lambda c: ops.exp2(c(X)), lambda: np.exp2(f64(X))),
    ("reciprocal", lambda c: ops.reciprocal(c(G)), lambda: 1 / G),
    ("rsqrt", lambda c: ops.rsqrt(c(G)), lambda: 1 / np.sqrt(G)),
    ("cbrt", lambda c: ops.cbrt(c(X)), lambda: np.cbrt(X)),
    ("deg2rad", lambda c: ops.deg2rad(c(X * 90)), lambda: np.deg2rad(f64(X * 90))),
    ("rad2deg", lambda c: ops.rad2deg(c(X)), lambda: np.rad2deg(f64(X))),
    ("hypot", lambda c: ops.hypot(c(Y), c(M)), lambda: np.hypot(Y, M)),
    ("logaddexp", lambda c: ops.logaddexp(c(X * 30), c(Y)), lambda: np.logaddexp(f64(X * 30), Y)),
    ("logical_xor", lambda c: ops.logical_xor(c(Y > 0), c(M > 0)), lambda: np.logical_xor(Y > 0, M > 0)),
    ("isclose", lambda c: ops.isclose(c(F), c(np.float32([1.000005, -np.inf, np.nan, 1e-9, 0, 1]))),
     lambda: np.isclose(F, [1.000005, -np.inf, np.nan, 1e-9, 0, 1])),
    ("isclose", lambda c: ops.isclose(c(F), c(F), equal_nan=True), lambda: np.isclose(F, F, equal_nan=True)),
    ("allclose", lambda c: ops.allclose(c(X), c(X + 1e-6)), lambda: np.allclose(X, X + 1e-6)),
    ("ptp", lambda c: ops.ptp(c(X), axis=1), lambda: np.ptp(X, axis=1)),
    ("count_nonzero", lambda c: ops.count_nonzero(c(I), axis=0), lambda: np.count_nonzero(I, axis=0)),
    ("average", lambda c: ops.average(c(X), axis=1), lambda: np.average(X, axis=1)),
    ("average", lambda c: ops.average(c(X), axis=2, weights=c(V[1:])),
     lambda: np.average(X, axis=2, weights=V[1:] + 0)),
    ("trace", lambda c: ops.trace(c(S)), lambda: np.trace(S)),
    ("trace", lambda c: ops.trace(c(X), offset=1, axis1=1, axis2=2), lambda: np.trace(X, 1, 1, 2)),
    ("outer", lambda c: ops.outer(c(V), c(V[:3])), lambda: np.outer(V, V[:3])),
    ("vdot", lambda c: ops.vdot(c(M), c(Y)), lambda: np.vdot(M, Y)),
    ("inner", lambda c: ops.inner(c(X), c(Y)), lambda: np.inner(f64(X), Y)),
    ("digitize", lambda c: ops.digitize(c(X), c(np.float32([-1, 0, 0.5]))),
     lambda: np.digitize(X, [-1, 0, 0.5])),
    ("percentile", lambda c: ops.percentile(c(X), 30.0, axis=-1), lambda: np.percentile(f64(X), 30, axis=-1)),
    ("median", lambda c: ops.median(c(X), axis=0), lambda: np.median(X, axis=0)),
    ("fori_loop", lambda c: ops.fori_loop(0, 3, lambda i, v: v + i, c(V)), lambda: V + 3),
    ("array", lambda c: ops.array(c(I), dtype="float32"), lambda: I + 0.0),
    ("copy", lambda c: ops.copy(c(X)), lambda: X),
    ("empty", lambda c: ops.empty((2, 3)) * 0, lambda: np.zeros((2, 3))),
    ("empty_like", lambda c: ops.empty_like(c(I)) * 0, lambda: np.zeros_like(I)),
    ("dstack", lambda c: ops.dstack([c(M), c(Y)]), lambda: np.dstack([M, Y])),
    ("array_split", lambda c: ops.array_split(c(V), 3)[0], lambda: np.array_split(V, 3)[0]),
    ("array_split", lambda c: ops.array_split(c(V), 3)[2], lambda: np.array_split(V, 3)[2]),
    ("hsplit", lambda c: ops.hsplit(c(M), 2)[1], lambda: np.hsplit(M, 2)[1]),
    ("vsplit", lambda c: ops.vsplit(c(S), [1])[1], lambda: np.vsplit(S, [1])[1]),
    ("dsplit", lambda c: ops.dsplit(c(X), 2)[0], lambda: np.dsplit(X, 2)[0]),
    ("divide_no_nan", lambda c: ops.divide_no_nan(c(V), c(V[::-1])),
     lambda: np.where(V[::-1] == 0, 0, V / np.where(V[::-1] == 0, 1, V[::-1]))),
    ("fmax", lambda c: ops.fmax(c(NANS), c(NANS[::-1])), lambda: np.fmax(NANS, NANS[::-1])),
    ("fmin", lambda c: ops.fmin(c(NANS), c(NANS[::-1])), lambda: np.fmin(NANS, NANS[::-1])),
    ("isneginf", lambda c: ops.isneginf(c(F)), lambda: np.isneginf(F)),
    ("isposinf", lambda c: ops.isposinf(c(F)), lambda: np.isposinf(F)),
    ("erfc", lambda c: ops.erfc(c(X)), lambda: 1 - np.vectorize(math.erf)(f64(X))),
    ("sinc", lambda c: ops.sinc(c(V)), lambda: np.sinc(f64(V))),
    ("heaviside", lambda c: ops.heaviside(c(V), 0.5), lambda: np.heaviside(V, 0.5)),
    ("kron", lambda c: ops.kron(c(M[:2, :2]), c(Y)), lambda: np.kron(M[:2, :2], Y)),
    ("kron", lambda c: ops.kron(c(V), c(M)), lambda: np.kron(V, M)),
    ("rot90", lambda c: ops.rot90(c(M)), lambda: np.rot90(M)),
    ("rot90", lambda c: ops.rot90(c(X), k=3, axes=(1, 2)), lambda: np.rot90(X, 3, (1, 2))),
    ("rot90", lambda c: ops.rot90(c(M), k=2), lambda: np.rot90(M, 2)),
    ("nan_to_num", lambda c: ops.nan_to_num(c(F)), lambda: np.nan_to_num(F)),
    ("nan_to_num", lambda c: ops.nan_to_num(c(F), nan=1.0, posinf=9.0, neginf=-9.0),
     lambda: np.nan_to_num(F, nan=1.0, posinf=9.0, neginf=-9.0)),
    ("nansum", lambda c: ops.nansum(c(NANS), axis=1), lambda: np.nansum(NANS, axis=1)),
    ("nanprod", lambda c: ops.nanprod(c(NANS)), lambda: np.nanprod(NANS)),
    ("nanmax", lambda c: ops.nanmax(c(NANS), axis=0), lambda: np.nanmax(NANS, axis=0)),
    ("nanmin", lambda c: ops.nanmin(c(NANS), axis=1, keepdims=True), lambda: np.nanmin(NANS, 1, keepdims=True)),
    ("nanmean", lambda c: ops.nanmean(c(NANS), axis=1), lambda: np.nanmean(NANS, axis=1)),
    ("nanvar", lambda c: ops.nanvar(c(NANS)), lambda: np.nanvar(f64(NANS))),
    ("nanstd", lambda c: ops.nanstd(c(NANS), axis=1), lambda: np.nanstd(f64(NANS), axis=1)),
    ("logaddexp2", lambda c: ops.logaddexp2(c(X), c(Y)), lambda: np.logaddexp2(f64(X), Y)),
    ("ldexp", lambda c: ops.ldexp(c(Y), c(I[:1, :3].repeat(4, 1)[:, :4].repeat(3, 0))),
     lambda: np.ldexp(Y, I[:1, :3].repeat(4, 1)[:, :4].repeat(3, 0))),
    ("select", lambda c: ops.select([c(X > 0.5), c(X < -0.5)], [c(X), c(-X)], 7.0),
     lambda: np.select([X > 0.5, X < -0.5], [X, -X], 7.0)),
    ("geomspace", lambda c: ops.geomspace(1.0, 1000.0, 4), lambda: np.geomspace(1, 1000, 4)),
    ("searchsorted", lambda c: ops.searchsorted(c(np.sort(V)), c(V)), lambda: np.searchsorted(np.sort(V), V)),
    ("searchsorted", lambda c: ops.searchsorted(c(np.sort(V)), c(V), side="right"),
     lambda: np.searchsorted(np.sort(V), V, side="right")),
    ("isin", lambda c: ops.isin(c(I), c(np.int32([1, 4]))), lambda: np.isin(I, [1, 4])),
    ("isin", lambda c: ops.isin(c(I), c(np.int32([1, 4])), invert=True), lambda: np.isin(I, [1, 4], invert=True)),
    ("unravel_index", lambda c: ops.stack(ops.unravel_index(c(np.int32([0, 5, 23])), (2, 3, 4))),
     lambda: np.stack(np.unravel_index([0, 5, 23], (2, 3, 4)))),
    ("trapezoid", lambda c: ops.trapezoid(c(X)), lambda: np.trapezoid(X)),
    ("trapezoid", lambda c: ops.trapezoid(c(X), x=c(np.float32([0, 1, 3])), axis=1),
     lambda: np.trapezoid(X, x=[0, 1, 3], axis=1)),
    ("cross", lambda c: ops.cross(c(X[..., :3]), c(Y[:, :3])), lambda: np.cross(X[..., :3], Y[:, :3])),
    ("cross", lambda c: ops.cross(c(M[:, :3].T), c(Y[:, 1:].T), axis=0),
     lambda: np.cross(M[:, :3].T, Y[:, 1:].T, axis=0)),
    ("multi_hot", lambda c: ops.multi_hot(c(np.int32([[0, 2], [1, 1]])), 4),
     lambda: np.float32([[1, 0, 1, 0], [0, 1, 0, 0]])),
    ("multi_hot", lambda c: ops.multi_hot(c(np.int32([3, 0])), num_classes=5),
     lambda: np.float32([1, 0, 0, 1, 0])),
    ("rms_normalization", lambda c: ops.rms_normalization(c(X), scale=c(V[1:])),
     lambda: X / np.sqrt((f64(X) ** 2).mean(-1, keepdims=True) + EPS) * V[1:]),
    ("layer_normalization", lambda c: ops.layer_normalization(c(X), c(V[1:]), c(V[:4])),
     lambda: (X - X.mean(-1, keepdims=True)) / np.sqrt(f64(X).var(-1, keepdims=True) + EPS) * V[1:] + V[:4]),
    ("layer_normalization", lambda c: ops.layer_normalization(c(X), c(V[:3]), axis=1, epsilon=0.1),
     lambda: (X - X.mean(1, keepdims=True)) / np.sqrt(f64(X).var(1, keepdims=True) + 0.1) * V[:3, None]),
    ("psnr", lambda c: ops.psnr(c(P), c(P[::-1]), 1.0),
     lambda: 20 * np.log10(1.0) - 10 * np.log10(((f64(P) - P[::-1]) ** 2).mean())),
    ("dot_product_attention", lambda c: ops.dot_product_attention(c(Q), c(KV), c(KV)),
     lambda: np_attention(Q, KV, KV)),
    ("dot_product_attention", lambda c: ops.dot_product_attention(c(Q), c(KV), c(KV), mask=c(MASK), is_causal=True),
     lambda: np_attention(Q, KV, KV, causal=True, mask=MASK)),
    ("map", lambda c: ops.map(lambda r: ops.sum(r, axis=0), c(X)), lambda: X.sum(1)),
    ("vectorized_map", lambda c: ops.vectorized_map(lambda r: r["a"] * 2, {"a": c(M)}), lambda: M * 2),
    ("saturate_cast", lambda c: ops.saturate_cast(c(X * 300), "uint8"),
     lambda: np.clip(X * 300, 0, 255).astype(np.uint8)),
    ("segment_min", lambda c: ops.segment_min(c(M), c(np.int32([1, 1, 0]))),
     lambda: -np_segment_max(-M, [1, 1, 0], 2)),
    ("norm", lambda c: ops.norm(c(X)), lambda: np.linalg.norm(f64(X))),
    ("norm", lambda c: ops.norm(c(X), ord=1, axis=-1), lambda: np.linalg.norm(X, 1, axis=-1)),
    ("norm", lambda c: ops.norm(c(X), ord=np.inf, axis=(1, 2), keepdims=True),
     lambda: np.linalg.norm(X, np.inf, axis=(1, 2), keepdims=True)),
    ("norm", lambda c: ops.norm(c(S), ord=-1), lambda: np.linalg.norm(S, -1)),
    ("matrix_power", lambda c: ops.matrix_power(c(S), 3), lambda: np.linalg.matrix_power(f64(S), 3)),
    ("matrix_power", lambda c: ops.matrix_power(c(SPD), -2), lambda: np.linalg.matrix_power(f64(SPD), -2)),
    ("logdet", lambda c: ops.logdet(c(SPD)), lambda: np.linalg.slogdet(f64(SPD))[1]),
    ("segment_prod", lambda c: ops.segment_prod(c(M), c(np.int32([0, 2, 0])), num_segments=4),
     lambda: np.stack([M[0] * M[2], 1 + 0 * M[0], M[1], 1 + 0 * M[0]])),
    ("bitwise_and", lambda c: ops.bitwise_and(c(I), c(I[::-1] + 1)), lambda: I & (I[::-1] + 1)),
    ("bitwise_or", lambda c: ops.bitwise_or(c(I), 6), lambda: I | 6),
    ("bitwise_xor", lambda c: ops.bitwise_xor(c(I), c(I[::-1])), lambda: I ^ I[::-1]),
    ("bitwise_not", lambda c: ops.bitwise_not(c(I - 2)), lambda: ~(I - 2)),
    ("bitwise_invert", lambda c: ops.bitwise_invert(c(I > 1)), lambda: ~(I > 1)),
    ("bitwise_left_shift", lambda c: ops.bitwise_left_shift(c(I - 2), c(I)), lambda: (I - 2) << I),
    ("left_shift", lambda c: ops.left_shift(c(I), 2), lambda: I << 2),
    ("bitwise_right_shift", lambda c: ops.bitwise_right_shift(c(I * 9 - 20), c(I)), lambda: (I * 9 - 20) >> I),
    ("right_shift", lambda c: ops.right_shift(c(I * 8), 1), lambda: (I * 8) >> 1),
    ("gcd", lambda c: ops.gcd(c(I * 6), c(I[::-1] * 4)), lambda: np.gcd(I * 6, I[::-1] * 4)),
    ("lcm", lambda c: ops.lcm(c(I), c(I[::-1] + 1)), lambda: np.lcm(I, I[::-1] + 1)),
    ("get_item", lambda c: ops.get_item(c(X), (1, slice(None, 2), None, Ellipsis)), lambda: X[1, :2, None, ...]),
    ("diagflat", lambda c: ops.diagflat(c(M[:2, :2]), k=-1), lambda: np.diagflat(M[:2, :2], -1)),
    ("vander", lambda c: ops.vander(c(V)), lambda: np.vander(f64(V))),
    ("vander", lambda c: ops.vander(c(V), N=3, increasing=True), lambda: np.vander(f64(V), 3, increasing=True)),
    ("corrcoef", lambda c: ops.corrcoef(c(M)), lambda: np.corrcoef(f64(M))),
    ("hamming", lambda c: ops.hamming(5), lambda: np.hamming(5)),
    ("hanning", lambda c: ops.hanning(6), lambda: np.hanning(6)),
    ("blackman", lambda c: ops.blackman(5), lambda: np.blackman(5)),
    ("bartlett", lambda c: ops.bartlett(6), lambda: np.bartlett(6)),
    ("relu6", lambda c: ops.relu6(c(X * 5)), lambda: np.clip(X * 5, 0, 6)),
    ("hard_silu", lambda c: ops.hard_silu(c(X * 4)), lambda: X * 4 * np.clip(X * 4 / 6 + 0.5, 0, 1)),
    ("hard_swish", lambda c: ops.hard_swish(c(X * 4)), lambda: X * 4 * np.clip(X * 4 / 6 + 0.5, 0, 1)),
    ("log_sigmoid", lambda c: ops.log_sigmoid(c(X * 5)), lambda: np.log(sig(X * 5))),
    ("celu", lambda c: ops.celu(c(X), alpha=0.5), lambda: np.where(X > 0, X, 0.5 * np.expm1(f64(X) / 0.5))),
    ("glu", lambda c: ops.glu(c(X)), lambda: X[..., :2] * sig(X[..., 2:])),
    ("hard_tanh", lambda c: ops.hard_tanh(c(X * 2)), lambda: np.clip(X * 2, -1, 1)),
    ("hard_shrink", lambda c: ops.hard_shrink(c(X)), lambda: np.where(np.abs(X) > 0.5, X, 0)),
    ("soft_shrink", lambda c: ops.soft_shrink(c(X), threshold=0.3),
     lambda: np.sign(X) * np.maximum(np.abs(X) - 0.3, 0)),
    ("tanh_shrink", lambda c: ops.tanh_shrink(c(X)), lambda: X - np.tanh(f64(X))),
    ("squareplus", lambda c: ops.squareplus(c(X)), lambda: (X + np.sqrt(f64(X) ** 2 + 4)) / 2),
    ("sparse_plus", lambda c: ops.sparse_plus(c(X * 2)),
     lambda: np.where(X * 2 <= -1, 0, np.where(X * 2 >= 1, X * 2, (f64(X) * 2 + 1) ** 2 / 4))),
    ("sparse_sigmoid", lambda c: ops.sparse_sigmoid(c(X * 2)), lambda: np.clip((f64(X) * 2 + 1) / 2, 0, 1)),
    ("threshold", lambda c: ops.threshold(c(X), 0.1, -2.0), lambda: np.where(X > 0.1, X, -2.0)),
    ("normalize", lambda c: ops.normalize(c(X)), lambda: X / np.linalg.norm(f64(X), axis=-1, keepdims=True)),
    ("normalize", lambda c: ops.normalize(c(X), axis=1, order=1),
     lambda: X / np.abs(f64(X)).sum(1, keepdims=True)),
    ("binary_crossentropy", lambda c: ops.binary_crossentropy(c(BT), c(BO)),
     lambda: -(BT * np.log(f64(BO)) + (1 - BT) * np.log(1 - f64(BO)))),
    ("binary_crossentropy", lambda c: ops.binary_crossentropy(c(BT), c(X[0, :2, :3]), from_logits=True),
     lambda: -(BT * np.log(sig(X[0, :2, :3])) + (1 - BT) * np.log(1 - sig(X[0, :2, :3])))),
    ("categorical_crossentropy", lambda c: ops.categorical_crossentropy(c(T), c(P)),
     lambda: -(T * np.log(PC)).sum(-1)),
    ("categorical_crossentropy", lambda c: ops.categorical_crossentropy(c(T), c(P), from_logits=True),
     lambda: -(T * (f64(P) - np.log(np.exp(f64(P)).sum(-1, keepdims=True)))).sum(-1)),
    ("sparse_categorical_crossentropy",
     lambda c: ops.sparse_categorical_crossentropy(c(np.int32([1, 3])), c(P)),
     lambda: -(T * np.log(PC)).sum(-1)),
    ("in_top_k", lambda c: ops.in_top_k(c(np.int32([1, 3])), c(P), 2),
     lambda: np.array([(P[0] > P[0, 1]).sum() < 2, (P[1] > P[1, 3]).sum() < 2])),
]

# Engine ops of contract.OPS this file covers (tests/unit/test_ops.py defers to it).
ENGINE_OPS = {
    "arccos", "arcsin", "arctan", "arccosh", "arcsinh", "arctanh", "tan", "sinh", "cosh",
    "erf", "erfinv", "arctan2", "fmod", "trunc", "isnan", "isinf", "isfinite", "signbit",
    "sort", "argsort", "top_k", "take_along_axis", "tril", "triu", "diagonal", "diag",
    "roll", "pad", "nonzero", "split", "bincount", "quantile", "segment_sum",
    "segment_max", "slice", "slice_update", "scatter", "scatter_update", "cond", "switch",
    "while_loop", "dtype", "inv", "det", "solve", "cholesky", "segment_prod", "bitwise_and",
    "bitwise_or", "bitwise_xor", "bitwise_not", "bitwise_left_shift", "bitwise_right_shift",
    "gcd", "lcm"}

_counts = {}


def _case_id(case):
    _counts[case[0]] = _counts.get(case[0], -1) + 1
    return f"{case[0]}-{_counts[case[0]]}"


IMG = R.random((2, 4, 6, 3)).astype(np.float32)

# keras_bridge.ops.image: hand-computed or numpy references
IMAGE_CASES = [
    ("rgb_to_grayscale", lambda: ops.image.rgb_to_grayscale(IMG),
     lambda: (IMG @ np.float32([0.2989, 0.5870, 0.1140]))[..., None]),
    ("rgb_to_grayscale", lambda: ops.image.rgb_to_grayscale(np.moveaxis(IMG, -1, 1), data_format="channels_first"),
     lambda: (IMG @ np.float32([0.2989, 0.5870, 0.1140]))[:, None]),
    ("pad_images", lambda: ops.image.pad_images(IMG, 1, 2, target_height=7, target_width=9),
     lambda: np.pad(IMG, [[0, 0], [1, 2], [2, 1], [0, 0]])),
    ("crop_images", lambda: ops.image.crop_images(IMG[0], 1, 2, bottom_cropping=1, right_cropping=1),
     lambda: IMG[0, 1:3, 2:5]),
    ("crop_images", lambda: ops.image.crop_images(IMG, top_cropping=1, left_cropping=0, target_height=2, target_width=3),
     lambda: IMG[:, 1:3, 0:3]),
    ("resize", lambda: ops.image.resize(np.float32([0, 1]).reshape(1, 2, 1), (1, 4)),
     lambda: np.float32([0, 0.25, 0.75, 1]).reshape(1, 4, 1)),
    ("resize", lambda: ops.image.resize(np.arange(4.0, dtype=np.float32).reshape(4, 1, 1), (2, 1)),
     lambda: np.float32([0.5, 2.5]).reshape(2, 1, 1)),
    ("resize", lambda: ops.image.resize(np.arange(3.0, dtype=np.float32).reshape(1, 1, 3, 1), (2, 6), interpolation="nearest"),
     lambda: np.float32([[0, 0, 1, 1, 2, 2]] * 2).reshape(1, 2, 6, 1)),
    ("resize", lambda: ops.image.resize(IMG, (4, 6)), lambda: IMG),
]


@pytest.mark.parametrize("case", IMAGE_CASES, ids=[_case_id(c) for c in IMAGE_CASES])
def test_image_op_matches_reference(backend, case):
    name, call, reference = case
    got = call()
    assert backends.get(backend).is_tensor(got), name
    np.testing.assert_allclose(ops.convert_to_numpy(got), reference(), rtol=1e-5, atol=1e-6, err_msg=name)


def test_image_bad_arguments_are_errors(backend):
    with pytest.raises(ValueError, match="exactly two"):
        ops.image.pad_images(IMG, 1, 1)
    with pytest.raises(ValueError, match="non-negative"):
        ops.image.pad_images(IMG, 1, 1, target_height=3, target_width=9)
    with pytest.raises(ValueError, match="rank"):
        ops.image.rgb_to_grayscale(IMG[0, 0])
    with pytest.raises(ValueError, match="channel"):
        ops.image.rgb_to_grayscale(IMG[..., :2])
    with pytest.raises(ValueError, match="interpolation"):
        ops.image.resize(IMG, (2, 2), interpolation="bicubic")
    with pytest.raises(ValueError, match="data_format"):
        ops.image.resize(IMG, (2, 2), data_format="nhwc")


# tested against numpy in tests/unit/test_ops_keras3_nn.py
KERAS3_NN_TESTED = {
    "adaptive_average_pool", "adaptive_max_pool", "associative_scan", "ctc_decode",
    "custom_gradient", "depth_to_space", "extract_sequences", "fold", "rearrange",
    "space_to_depth", "sparsemax", "unfold"}


def test_every_new_op_has_a_case():
    from test_ops_keras3_math import MATH_OPS  # math_composed.py: tested there
    covered = {c[0] for c in CASES} | {"dtype", "is_tensor", "size"} | KERAS3_NN_TESTED | \
        MATH_OPS
    assert ENGINE_OPS | set(COMPOSED) <= covered, sorted(ENGINE_OPS | set(COMPOSED) - covered)


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_op_matches_numpy(backend, case):
    name, call, reference = case
    want = np.asarray(reference())
    got = call(ops.convert_to_tensor)
    assert backends.get(backend).is_tensor(got), (name, type(got))
    got = ops.convert_to_numpy(got)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype == bool:
        assert got.dtype == bool, (name, got.dtype)
    np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-6, err_msg=name)


def test_numpy_inputs_and_python_answers(backend):
    assert backends.get(backend).is_tensor(ops.tril(M)) and backends.get(backend).is_tensor(ops.hstack([M, Y]))
    assert ops.dtype(ops.convert_to_tensor(I)) == "int32"
    assert ops.dtype(ops.arccos(ops.convert_to_tensor(I))) == "float32"
    assert ops.dtype(ops.argsort(X)) == "int32" and ops.dtype(ops.top_k(X, 2)[1]) == "int32"
    assert ops.dtype(ops.trunc(ops.convert_to_tensor(I))) == "int32"
    assert ops.dtype(ops.bincount(I.ravel())) == "int32"
    assert ops.size(X) == 24 and type(ops.size(ops.convert_to_tensor(X))) is int
    assert ops.is_tensor(ops.convert_to_tensor(X)) and not ops.is_tensor(X)
    step = ops.linspace(0.0, 1.0, 5, retstep=True)[1]
    np.testing.assert_allclose(ops.convert_to_numpy(step), 0.25)


@pytest.mark.parametrize("call, match", [
    (lambda: ops.split(ops.convert_to_tensor(X), 3, axis=2), "divide"),
    (lambda: ops.pad(ops.convert_to_tensor(M), 1, mode="wrap"), "pad mode"),
    (lambda: ops.pad(ops.convert_to_tensor(M), 1, mode="reflect", constant_values=1), "constant_values"),
    (lambda: ops.diag(ops.convert_to_tensor(X)), "1-D or 2-D"),
    (lambda: ops.bincount(ops.convert_to_tensor(I)), "1-D"),
    (lambda: ops.bincount(ops.convert_to_tensor(I.ravel()), sparse=True), "sparse"),
    (lambda: ops.quantile(ops.convert_to_tensor(X), 0.5, method="cubic"), "method"),
    (lambda: ops.scatter_update(ops.convert_to_tensor(M), [[0, 0]], [1.0], reduction="avg"), "reduction"),
    (lambda: ops.moveaxis(ops.convert_to_tensor(X), [0, 1], [2]), "destination"),
    (lambda: ops.swapaxes(ops.convert_to_tensor(X), 0, 3), "axis"),
    (lambda: ops.meshgrid(V, V, indexing="yx"), "indexing"),
    (lambda: ops.glu(ops.convert_to_tensor(M[:, :3])), "even"),
    (lambda: ops.normalize(ops.convert_to_tensor(M), order=0), "order"),
    (lambda: ops.binary_crossentropy(ops.convert_to_tensor(BT), ops.convert_to_tensor(P)), "same shape"),
    (lambda: ops.unstack(ops.convert_to_tensor(X), num=3), "num=2"),
    (lambda: ops.dot_product_attention(Q, KV, KV, flash_attention=True), "flash_attention"),
    (lambda: ops.dot_product_attention(Q, KV[:, :, :1].repeat(3, 2), KV, ), "multiple"),
    (lambda: ops.norm(ops.convert_to_tensor(S), ord="nuc"), "matrix ord"),
    (lambda: ops.cross(ops.convert_to_tensor(M), ops.convert_to_tensor(M)), "length 3"),
    (lambda: ops.rot90(ops.convert_to_tensor(M), axes=(1, 1)), "different axes"),
    (lambda: ops.select([X > 0], [X, X]), "as many"),
    (lambda: ops.searchsorted(V, V, side="middle"), "side"),
    (lambda: ops.multi_hot(ops.convert_to_tensor(I)), "num_classes"),
    (lambda: ops.psnr(P, P[:1], 1.0), "same shape"),
])
def test_bad_arguments_are_errors(backend, call, match):
    with pytest.raises(ValueError, match=match):
        call()


@both_backends()
def test_gradients_agree_across_engines():
    """Gradient parity: torch autograd and jax.grad give the same gradients."""
    import jax
    import torch
    fns = {
        "arctan2": lambda o, a: o.sum(o.arctan2(a, 1.5)),
        "logaddexp": lambda o, a: o.sum(o.logaddexp(a, o.flip(a, 0))),
        "sort": lambda o, a: o.sum(o.multiply(o.sort(a, axis=-1), o.arange(4))),
        "pad_reflect": lambda o, a: o.sum(o.square(o.pad(a, [[1, 1], [2, 1]], mode="reflect"))),
        "normalize": lambda o, a: o.sum(o.multiply(o.normalize(a), a[:, :1])),
        "log_sigmoid": lambda o, a: o.sum(o.log_sigmoid(a)),
        "categorical_crossentropy": lambda o, a: o.sum(
            o.categorical_crossentropy(T[:, :4] + 0, a[:2], from_logits=True)),
        "segment_max": lambda o, a: o.sum(o.segment_max(a, np.int32([0, 1, 0]), num_segments=2)),
    }
    for name, fn in fns.items():
        t = torch.tensor(M, requires_grad=True)
        fn(ops, t).backward()
        j = jax.grad(lambda a: fn(ops, a))(jax.numpy.asarray(M))
        np.testing.assert_allclose(t.grad.numpy(), np.asarray(j), rtol=1e-5, atol=1e-6, err_msg=name)


def test_jax_control_flow_traces_under_jit():
    import jax
    import jax.numpy as jnp

    @jax.jit
    def f(x, k):
        y = ops.cond(ops.sum(x) > 0, lambda: x * 2, lambda: x - 1)
        y = ops.switch(k, [lambda v: v + 1, lambda v: v * 3], y)
        return ops.fori_loop(0, 3, lambda i, v: v + 1.0, y)

    x = jnp.asarray(V)
    np.testing.assert_allclose(np.asarray(f(x, 1)), (V * 2 if V.sum() > 0 else V - 1) * 3 + 3)
    np.testing.assert_allclose(np.asarray(f(-x, 0)), (-V * 2 if -V.sum() > 0 else -V - 1) + 1 + 3)


def test_compositions_build_functional_models(backend):
    from keras_bridge import Input, Model
    x = Input((4,))
    assert ops.dtype(x) == "float32"
    model = Model(x, [ops.normalize(ops.relu6(x)), ops.logaddexp(x, ops.flip(x, axis=1)),
                      ops.tril(ops.multiply(ops.expand_dims(x, -1), ops.expand_dims(x, 1)))])
    a = (R.random((2, 4)) * 8 - 2).astype(np.float32)
    norm, lae, tri = model.predict(a, verbose=0)
    r = np.clip(a, 0, 6)
    np.testing.assert_allclose(norm, r / np.linalg.norm(r, axis=-1, keepdims=True), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(lae, np.logaddexp(a, a[:, ::-1]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(tri, np.tril(a[:, :, None] * a[:, None, :]), rtol=1e-5, atol=1e-6)
