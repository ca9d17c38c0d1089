"""Keras 3's complex, Fourier, linalg, NaN-statistics and related ops (engine kernels in
backends/*/math_ops.py, compositions in keras_bridge/ops/math_composed.py) on every
engine against numpy references written here; gradients torch vs JAX; bad arguments;
symbolic tensors."""

import math

import numpy as np
import pytest

from keras_bridge import backends, ops
from keras_bridge.backends.contract import OPS
from keras_bridge.ops import math_composed

from conftest import both_backends

R = np.random.default_rng(7)
A = R.standard_normal((3, 4)).astype(np.float32)
B = R.standard_normal((5, 4)).astype(np.float32)
SQ = (R.standard_normal((2, 3, 3)) + 2 * np.eye(3)).astype(np.float32)
SPD = (SQ @ SQ.transpose(0, 2, 1) + np.eye(3)).astype(np.float32)
PIV = np.float32([[[1, 2, 0], [4, -1, 3], [2, 5, 1]], [[0, 1, 2], [1, 0, 3], [-3, 2, 1]]])
LOW = np.tril(SQ[0]) + 3 * np.eye(3, dtype=np.float32)
RHS = R.standard_normal((3, 2)).astype(np.float32)
NAN = np.array([[1.0, np.nan, 3.0, -2.0], [np.nan, np.nan, np.nan, np.nan],
                [0.5, 4.0, np.nan, 2.0]], np.float32)
SIG = R.standard_normal((2, 32)).astype(np.float32)
Z = (A + 1j * B[:3]).astype(np.complex64)


def f64(a):
    return np.asarray(a, np.float64)


def np_i0(x):  # the power series of I0
    x = f64(x)
    return sum((x / 2) ** (2 * k) / math.factorial(k) ** 2 for k in range(30))


def np_gammainc(a, x):  # the series x^a e^-x sum x^k / Gamma(a + k + 1)
    a, x = np.broadcast_arrays(f64(a), f64(x))
    terms = [x ** k / np.vectorize(math.gamma)(a + k + 1) for k in range(80)]
    return x ** a * np.exp(-x) * np.sum(terms, axis=0)


def np_nanquantile(x, q, axis):
    return np.nanquantile(f64(x), q, axis=axis)


def np_stft(x, seq, stride, nfft, center=True):
    x = f64(x)
    if center:
        x = np.pad(x, [(0, 0), (nfft // 2, nfft // 2)], mode="reflect")
    win = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(seq) / seq)  # periodic Hann
    left = (nfft - seq) // 2
    win = np.pad(win, (left, nfft - seq - left))
    count = 1 + (x.shape[-1] - nfft) // stride
    frames = np.stack([x[:, i * stride:i * stride + nfft] * win for i in range(count)], 1)
    return np.fft.rfft(frames, axis=-1)


def np_lu_factor(a):
    """Partial pivoting LU as scipy.linalg.lu_factor (packed, 0-based pivots)."""
    lu, piv = f64(a).copy(), []
    n = lu.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(lu[k:, k])))
        piv.append(p)
        lu[[k, p]] = lu[[p, k]]
        lu[k + 1:, k] /= lu[k, k]
        lu[k + 1:, k + 1:] -= np.outer(lu[k + 1:, k], lu[k, k + 1:])
    return lu, np.array(piv, np.int32)


def np_histogram_counts(x, bins, lo, hi):
    return np.histogram(f64(x), bins=bins, range=(lo, hi))[0].astype(np.float32)


def eig_residual(m):
    """a @ v - v * w for eig's (w, v): zero when each column of v is an eigenvector."""
    w, v = ops.eig(ops.convert_to_tensor(m))
    v, w = ops.convert_to_numpy(v), ops.convert_to_numpy(w)
    return np.abs(f64(m) @ v - v * w[None])


def cplx(pair):
    return ops.convert_to_numpy(pair[0]) + 1j * ops.convert_to_numpy(pair[1])


def c(a):
    return ops.convert_to_tensor(a)


# (name, call on engine tensors, numpy reference, tolerance)
CASES = [
    ("real", lambda: ops.real(c(Z)), lambda: Z.real),
    ("real", lambda: ops.real(c(A)), lambda: A),
    ("imag", lambda: ops.imag(c(Z)), lambda: Z.imag),
    ("imag", lambda: ops.imag(c(A)), lambda: np.zeros_like(A)),
    ("conj", lambda: ops.conj(c(Z)), lambda: np.conj(Z)),
    ("conjugate", lambda: ops.conjugate(c(Z)), lambda: np.conj(Z)),
    ("angle", lambda: ops.angle(c(Z)), lambda: np.angle(Z)),
    ("angle", lambda: ops.angle(c(np.int32([-2, 0, 3]))), lambda: np.float32([np.pi, 0, 0])),
    ("isreal", lambda: ops.isreal(c(np.complex64([1, 1j, 2 + 0j]))), lambda: np.array([True, False, True])),
    ("isreal", lambda: ops.isreal(c(A)), lambda: np.ones(A.shape, bool)),
    ("view", lambda: ops.view(c(A), "int32"), lambda: A.view(np.int32)),
    ("view", lambda: ops.view(c(np.int32([1, -1])), "uint8"), lambda: np.int32([1, -1]).view(np.uint8)),
    ("view_as_complex", lambda: ops.view_as_complex(c(np.stack([A, B[:3]], -1))), lambda: Z),
    ("view_as_real", lambda: ops.view_as_real(c(Z)), lambda: np.stack([Z.real, Z.imag], -1)),
    ("polar", lambda: ops.polar(c(np.abs(A)), c(B[:3])), lambda: np.abs(A) * np.exp(1j * f64(B[:3]))),
    ("fft", lambda: cplx(ops.fft((c(A), c(B[:3])))), lambda: np.fft.fft(Z)),
    ("fft2", lambda: cplx(ops.fft2((c(A), c(B[:3])))), lambda: np.fft.fft2(Z)),
    ("ifft2", lambda: cplx(ops.ifft2((c(A), c(B[:3])))), lambda: np.fft.ifft2(Z)),
    ("rfft", lambda: cplx(ops.rfft(c(B))), lambda: np.fft.rfft(B)),
    ("rfft", lambda: cplx(ops.rfft(c(B), fft_length=6)), lambda: np.fft.rfft(B, n=6)),
    ("irfft", lambda: ops.irfft((c(A), c(B[:3]))), lambda: np.fft.irfft(Z)),
    ("irfft", lambda: ops.irfft((c(A), c(B[:3])), fft_length=7), lambda: np.fft.irfft(Z, n=7)),
    ("stft", lambda: cplx(ops.stft(c(SIG), 8, 4, 16)), lambda: np_stft(SIG, 8, 4, 16)),
    ("stft", lambda: cplx(ops.stft(c(SIG), 16, 5, 16, center=False)),
     lambda: np_stft(SIG, 16, 5, 16, center=False)),
    ("istft", lambda: ops.istft(ops.stft(c(SIG), 8, 2, 8), 8, 2, 8, length=32), lambda: SIG),
    ("istft", lambda: ops.istft(ops.stft(c(SIG), 16, 4, 16, window="hamming"), 16, 4, 16,
                                window="hamming"), lambda: SIG),
    ("i0", lambda: ops.i0(c(A * 2)), lambda: np_i0(A * 2)),
    ("kaiser", lambda: ops.kaiser(7, 3.5), lambda: np_i0(3.5 * np.sqrt(1 - np.linspace(-1, 1, 7) ** 2)) / np_i0(3.5)),
    ("nextafter", lambda: ops.subtract(ops.nextafter(c(np.float32([1, 1, -2])), c(np.float32([2, 0, -2]))),
                                       c(np.float32([1, 1, -2]))), lambda: np.float32([2 ** -23, -2 ** -24, 0])),
    ("gammainc", lambda: ops.gammainc(c(np.float32([1, 2, 3.5])), c(np.float32([0.5, 1, 2]))),
     lambda: np_gammainc([1, 2, 3.5], [0.5, 1, 2])),
    ("eig", lambda: np.sort_complex(ops.convert_to_numpy(ops.eig(c(SQ[0]))[0])),
     lambda: np.sort_complex(np.linalg.eigvals(f64(SQ[0])))),
    ("eig", lambda: eig_residual(SQ[0]), lambda: np.zeros((3, 3))),
    ("eigh", lambda: ops.eigh(c(SPD))[0], lambda: np.linalg.eigvalsh(f64(SPD))),
    ("eigh", lambda: (lambda w, v: ops.matmul(ops.multiply(v, ops.expand_dims(w, -2)),
                                               ops.swapaxes(v, -1, -2)))(*ops.eigh(c(SPD))), lambda: SPD),
    ("qr", lambda: ops.matmul(*ops.qr(c(A.T))), lambda: A.T),
    ("qr", lambda: ops.shape(ops.qr(c(A.T), mode="complete")[0]), lambda: (4, 4)),
    ("qr", lambda: ops.abs(ops.qr(c(A.T))[1]), lambda: np.abs(np.linalg.qr(f64(A.T))[1])),
    ("svd", lambda: ops.svd(c(SQ), compute_uv=False), lambda: np.linalg.svd(f64(SQ), compute_uv=False)),
    ("svd", lambda: (lambda u, s, vh: ops.matmul(ops.multiply(u, ops.expand_dims(s, -2)), vh))(
        *ops.svd(c(A), full_matrices=False)), lambda: A),
    ("svd", lambda: [ops.shape(t) for t in ops.svd(c(A))], lambda: [(3, 3), (3,), (4, 4)]),
    ("slogdet", lambda: ops.stack(ops.slogdet(c(SQ))), lambda: np.stack(np.linalg.slogdet(f64(SQ)))),
    ("lu_factor", lambda: ops.lu_factor(c(PIV[1]))[0], lambda: np_lu_factor(PIV[1])[0]),
    ("lu_factor", lambda: ops.lu_factor(c(PIV))[1], lambda: np.stack([np_lu_factor(m)[1] for m in PIV])),
    ("solve_triangular", lambda: ops.solve_triangular(c(LOW), c(RHS), lower=True),
     lambda: np.linalg.solve(f64(LOW), RHS)),
    ("solve_triangular", lambda: ops.solve_triangular(c(LOW.T), c(RHS[:, 0])),
     lambda: np.linalg.solve(f64(LOW.T), RHS[:, 0])),
    ("unique", lambda: ops.unique(c(np.int32([3, 1, 3, 2, 1]))), lambda: np.int32([1, 2, 3])),
    ("unique", lambda: ops.stack(ops.unique(c(np.int32([3, 1, 3, 2, 1])), return_index=True,
                                            return_counts=True)[1:]),
     lambda: np.stack(np.unique([3, 1, 3, 2, 1], return_index=True, return_counts=True)[1:]).astype(np.int32)),
    ("unique", lambda: ops.unique(c(np.int32([[3, 1], [3, 2]])), return_inverse=True)[1],
     lambda: np.int32([[2, 0], [2, 1]])),
    ("unique", lambda: ops.unique(c(np.float32([[1, 2], [0, 5], [1, 2]])), axis=0),
     lambda: np.float32([[0, 5], [1, 2]])),
    ("unique", lambda: ops.stack(ops.unique(c(np.int32([4, 2, 4])), return_counts=True, size=4,
                                            fill_value=-1)), lambda: np.int32([[2, 4, -1, -1], [1, 2, 0, 0]])),
    ("unique", lambda: ops.unique(c(np.int32([4, 2, 4, 7])), size=2), lambda: np.int32([2, 4])),
    ("append", lambda: ops.append(c(A), c(B)), lambda: np.append(A, B)),
    ("append", lambda: ops.append(c(A), c(B), axis=0), lambda: np.append(A, B, axis=0)),
    ("argpartition", lambda: ops.take_along_axis(c(A), ops.argpartition(c(A), 2, axis=1), axis=1)[:, 2],
     lambda: np.sort(A, 1)[:, 2]),
    ("argpartition", lambda: ops.argpartition(c(np.float32([5, 1, 4, 2])), 1),
     lambda: np.int32([1, 3, 2, 0])),
    ("cdist", lambda: ops.cdist(c(A), c(B)), lambda: np.sqrt(((f64(A)[:, None] - B[None]) ** 2).sum(-1))),
    ("cdist", lambda: ops.cdist(c(np.stack([A, A + 1])), c(B[:2])),
     lambda: np.sqrt(((f64(np.stack([A, A + 1]))[:, :, None] - B[:2][None, None]) ** 2).sum(-1))),
    ("correlate", lambda: ops.correlate(c(B[0]), c(A[0, :3])), lambda: np.correlate(B[0], A[0, :3])),
    ("correlate", lambda: ops.correlate(c(B.ravel()[:7]), c(A[0, :3]), mode="same"),
     lambda: np.correlate(B.ravel()[:7], A[0, :3], mode="same")),
    ("correlate", lambda: ops.correlate(c(A[0, :2]), c(B[0]), mode="full"),
     lambda: np.correlate(A[0, :2], B[0], mode="full")),
    ("correlate", lambda: ops.correlate(c(np.int32([1, 2, 3])), c(np.int32([0, 1]))),
     lambda: np.float32([2, 3])),
    ("cholesky_inverse", lambda: ops.cholesky_inverse(c(np.linalg.cholesky(SPD))), lambda: np.linalg.inv(f64(SPD))),
    ("cholesky_inverse", lambda: ops.cholesky_inverse(c(np.linalg.cholesky(SPD[0]).T), upper=True),
     lambda: np.linalg.inv(f64(SPD[0]))),
    ("pinv", lambda: ops.pinv(c(A)), lambda: np.linalg.pinv(f64(A))),
    ("pinv", lambda: ops.pinv(c(np.float32([[1, 0], [0, 1e-9]]))), lambda: np.float32([[1, 0], [0, 0]])),
    ("matrix_rank", lambda: ops.matrix_rank(c(A)), lambda: np.int32(3)),
    ("matrix_rank", lambda: ops.matrix_rank(c(np.outer(A[0], A[1]))), lambda: np.int32(1)),
    ("matrix_rank", lambda: ops.matrix_rank(c(np.diag(np.float32([1, 0.1, 0.001]))), tol=0.01), lambda: np.int32(2)),
    ("lstsq", lambda: ops.lstsq(c(B), c(RHS[:, 0].tolist() + [1.0, 2.0])),
     lambda: np.linalg.lstsq(f64(B), RHS[:, 0].tolist() + [1.0, 2.0], rcond=None)[0]),
    ("lstsq", lambda: ops.lstsq(c(A.T), c(A.T[:, :2] * 2)), lambda: np.linalg.lstsq(f64(A.T), A.T[:, :2] * 2, rcond=None)[0]),
    ("nanargmax", lambda: ops.nanargmax(c(NAN), axis=1), lambda: np.int32([2, -1, 1])),
    ("nanargmin", lambda: ops.nanargmin(c(NAN), axis=1, keepdims=True), lambda: np.int32([[3], [-1], [0]])),
    ("nanargmax", lambda: ops.nanargmax(c(NAN)), lambda: np.int32(9)),
    ("nancumsum", lambda: ops.nancumsum(c(NAN), axis=1), lambda: np.nancumsum(NAN, axis=1)),
    ("nancumsum", lambda: ops.nancumsum(c(NAN)), lambda: np.nancumsum(NAN)),
    ("nancumprod", lambda: ops.nancumprod(c(NAN), axis=0), lambda: np.nancumprod(NAN, axis=0)),
    ("nanquantile", lambda: ops.nanquantile(c(NAN[[0, 2]]), 0.3, axis=1), lambda: np_nanquantile(NAN[[0, 2]], 0.3, 1)),
    ("nanquantile", lambda: ops.nanquantile(c(NAN), [0.1, 0.5], axis=1),
     lambda: np.array([[-1.4, np.nan, 0.8], [1.0, np.nan, 2.0]])),
    ("nanquantile", lambda: ops.nanquantile(c(NAN), [0.25, 0.9]), lambda: np_nanquantile(NAN, [0.25, 0.9], None)),
    ("nanquantile", lambda: ops.nanquantile(c(NAN[[0, 2]]), 0.4, axis=0, keepdims=True),
     lambda: np.nanquantile(f64(NAN[[0, 2]]), 0.4, axis=0, keepdims=True)),
    ("nanquantile", lambda: ops.nanquantile(c(NAN[[0, 2]]), 0.4, axis=1, method="nearest"),
     lambda: np.nanquantile(f64(NAN[[0, 2]]), 0.4, axis=1, method="nearest")),
    ("nanquantile", lambda: ops.nanquantile(c(NAN[[0, 2]]), 0.4, axis=1, method="midpoint"),
     lambda: np.nanquantile(f64(NAN[[0, 2]]), 0.4, axis=1, method="midpoint")),
    ("nanpercentile", lambda: ops.nanpercentile(c(NAN[[0, 2]]), 70, axis=1, method="lower"),
     lambda: np.nanpercentile(f64(NAN[[0, 2]]), 70, axis=1, method="lower")),
    ("nanmedian", lambda: ops.nanmedian(c(NAN[[0, 2]]), axis=1), lambda: np.nanmedian(NAN[[0, 2]], axis=1)),
    ("histogram", lambda: ops.histogram(c(np.float32([1, 2, 2, 5, 3])), bins=4)[0],
     lambda: np.float32([1, 2, 1, 1])),
    ("histogram", lambda: ops.histogram(c(np.float32([1, 2, 2, 5, 3])), bins=4)[1],
     lambda: np.float32([1, 2, 3, 4, 5])),
    ("histogram", lambda: ops.histogram(c(np.float32([2, 2])), bins=2)[1], lambda: np.float32([1.5, 2, 2.5])),
    ("histogram", lambda: ops.histogram(c(B.ravel()), bins=5, range=(-1, 1))[0],
     lambda: np_histogram_counts(B.ravel(), 5, -1, 1)),
    ("vectorize", lambda: ops.vectorize(lambda a, b: ops.sum(a * b), signature="(n),(n)->()")(c(A), c(B[0])),
     lambda: A @ B[0]),
    ("vectorize", lambda: ops.vectorize(lambda a, k: a * k + 1, excluded={1})(c(A), 3.0), lambda: A * 3 + 1),
]

MATH_OPS = {case[0] for case in CASES}  # what tests/unit/test_ops*.py count as covered here


def test_every_landed_op_has_a_case():
    landed = set(math_composed.COMPOSED) | {
        n for n in OPS if getattr(backends.get(backends.names()[0]).ops, n).__module__.endswith("math_ops")}
    assert landed <= MATH_OPS, sorted(landed - MATH_OPS)


@pytest.mark.parametrize("case", CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_op_matches_numpy(backend, case):
    name, call, reference = case
    got, want = call(), reference()
    if isinstance(want, (tuple, list)) and not isinstance(want, np.ndarray) and \
            isinstance(want[0], (tuple, int)):
        assert got == want or [tuple(g) for g in got] == list(want), (name, got, want)
        return
    if not isinstance(got, np.ndarray):
        assert backends.get(backend).is_tensor(got), (name, type(got))
        got = ops.convert_to_numpy(got)
    want = np.asarray(want)
    assert got.shape == want.shape, (name, got.shape, want.shape)
    if want.dtype.kind in "biu":
        assert got.dtype == want.dtype, (name, got.dtype, want.dtype)
        np.testing.assert_array_equal(got, want, err_msg=name)
    else:
        np.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5, err_msg=name)


def test_dtypes(backend):
    i = c(np.int32([1, 2]))
    assert ops.dtype(ops.angle(i)) == ops.dtype(ops.i0(i)) == "float32"
    assert ops.dtype(ops.cdist(c(np.int32([[1, 2]])), c(np.int32([[0, 0]])))) == "float32"
    assert ops.dtype(ops.real(c(Z))) == "float32" and ops.dtype(ops.polar(c(A), c(A))) == "complex64"
    assert ops.dtype(ops.eig(c(SQ[0]))[1]) == "complex64"
    assert ops.dtype(ops.lu_factor(c(SQ[0]))[1]) == "int32"
    assert ops.dtype(ops.matrix_rank(c(A))) == "int32"
    assert ops.dtype(ops.nanargmax(c(NAN))) == "int32"
    assert ops.dtype(ops.nancumsum(i)) == "int32"
    assert ops.dtype(ops.nancumsum(i, dtype="float32")) == "float32"
    assert ops.dtype(ops.nanquantile(i, 0.5)) == "float32"
    assert ops.dtype(ops.kaiser(4, 1.0)) == "float32"
    assert ops.dtype(ops.unique(c(np.float32([1, 1])), return_counts=True)[1]) == "int32"
    # the next float of float32 1.0 is float32's, not float64's rounded back
    assert float(ops.convert_to_numpy(ops.nextafter(c(np.float32(1)), 2.0))) == 1 + 2 ** -23


@pytest.mark.parametrize("call, error, match", [
    (lambda: ops.fft(c(A)), ValueError, "tuple of two"),
    (lambda: ops.fft((c(A), c(B))), ValueError, "same shape"),
    (lambda: ops.irfft((c(np.int32([1])), c(np.int32([1])))), ValueError, "floating"),
    (lambda: ops.view_as_complex(c(A)), ValueError, "size 2"),
    (lambda: ops.view_as_real(c(A)), ValueError, "complex"),
    (lambda: ops.qr(c(A), mode="full"), ValueError, "mode"),
    (lambda: ops.svd(c(A[0])), ValueError, "rank >= 2"),
    (lambda: ops.slogdet(c(A)), ValueError, "square"),
    (lambda: ops.eigh(c(A)), ValueError, "square"),
    (lambda: ops.pinv(c(A[0])), ValueError, "rank >= 2"),
    (lambda: ops.matrix_rank(c(A[0])), ValueError, "rank >= 2"),
    (lambda: ops.lstsq(c(SQ), c(RHS)), ValueError, "rank 2"),
    (lambda: ops.lstsq(c(A), c(B)), ValueError, "b.shape"),
    (lambda: ops.cdist(c(A[0]), c(B)), ValueError, "rank >= 2"),
    (lambda: ops.cdist(c(A), c(B[:, :3])), ValueError, "last dimension"),
    (lambda: ops.correlate(c(A), c(B[0])), ValueError, "1-D"),
    (lambda: ops.correlate(c(B[0]), c(B[1]), mode="circular"), ValueError, "mode"),
    (lambda: ops.stft(c(SIG), 8, 0, 16), ValueError, "sequence_stride"),
    (lambda: ops.stft(c(SIG), 16, 4, 8), ValueError, "fft_length"),
    (lambda: ops.stft(c(SIG), 8, 4, 16, window="blackman"), ValueError, "window"),
    (lambda: ops.stft(c(SIG), 8, 4, 16, window=np.ones(5)), ValueError, "shape"),
    (lambda: ops.stft(c(np.int32([[1, 2, 3, 4] * 8])), 8, 4, 8), TypeError, "float32"),
    (lambda: ops.istft((c(SIG[0]), c(SIG[0])), 8, 4, 8), ValueError, "rank >= 2"),
    (lambda: ops.nanquantile(c(NAN), 0.5, method="cubic"), ValueError, "method"),
    (lambda: ops.histogram(c(A), bins=3), ValueError, "1-D"),
    (lambda: ops.histogram(c(B[0]), bins=2.5), ValueError, "bins"),
    (lambda: ops.histogram(c(B[0]), range=(1, 0)), ValueError, "range"),
    (lambda: ops.argpartition(c(B[0]), 4), ValueError, "kth"),
    (lambda: ops.unique(c(A), axis=2), ValueError, "axis"),
    (lambda: ops.vectorize(lambda a: a, signature="(n)")(c(A)), ValueError, "signature"),
    (lambda: ops.vectorize(lambda a, b: a, signature="(n),(n)->()")(c(A)), ValueError, "2 vectorized"),
])
def test_bad_arguments_are_errors(backend, call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_symbolic_tensors_give_keras_shapes_and_run(backend):
    from keras_bridge import Input, Model
    x = Input((4,))
    u, s, vh = ops.svd(ops.reshape(x, (-1, 2, 2)))
    assert (u.shape, s.shape, vh.shape) == ((None, 2, 2), (None, 2), (None, 2, 2))
    re, im = ops.rfft(x)
    assert re.shape == im.shape == (None, 3) and ops.fft((x, x))[1].shape == (None, 4)
    assert ops.unique(x).shape == (None,) and ops.unique(x, size=3).shape == (3,)
    values, counts = ops.unique(x, return_counts=True)
    assert values.shape == counts.shape == (None,) and counts.dtype == "int32"
    assert ops.stft(Input((32,)), 8, 4, 16)[0].shape == (None, 9, 9)
    model = Model(x, [ops.matmul(ops.multiply(u, ops.expand_dims(s, -2)), vh),
                      ops.irfft((re, im), fft_length=4), ops.nanmedian(x, axis=1)])
    a = R.standard_normal((3, 4)).astype(np.float32)
    rec, inv, med = model.predict(a, verbose=0)
    np.testing.assert_allclose(rec, a.reshape(-1, 2, 2), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(inv, a, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(med, np.median(a, 1), rtol=1e-6)


@both_backends()
def test_gradients_agree_across_engines():
    """torch autograd and jax.grad give the same gradients for the differentiable ops."""
    import jax
    import torch
    x0 = (A[:, :3] + 2 * np.eye(3)).astype(np.float32)
    fns = {
        "cdist": lambda o, a: o.sum(o.cdist(a, B[:, :3] + 0)),
        "pinv": lambda o, a: o.sum(o.multiply(o.pinv(a[:2]), A[:3, :2])),
        "slogdet": lambda o, a: o.slogdet(a)[1],
        "svd": lambda o, a: o.sum(o.multiply(o.svd(a, compute_uv=False), [1.0, 2.0, 3.0])),
        "solve_triangular": lambda o, a: o.sum(o.solve_triangular(o.triu(a), RHS + 0)),
        "cholesky_inverse": lambda o, a: o.sum(o.cholesky_inverse(o.add(o.tril(a), 2.0 * np.eye(3, dtype="float32")))),
        "lstsq": lambda o, a: o.sum(o.lstsq(a, RHS + 0)),
        "nanquantile": lambda o, a: o.sum(o.nanquantile(o.where(o.greater(a, 1.5), float("nan"), a), [0.3, 0.8], axis=1)),
        "nancumsum": lambda o, a: o.sum(o.nancumprod(o.where(o.greater(a, 1.5), float("nan"), a), axis=0)),
        "rfft": lambda o, a: o.sum(o.square(o.rfft(a)[1])) + o.sum(o.fft((a, o.square(a)))[0] * a),
        "irfft": lambda o, a: o.sum(o.multiply(o.irfft((a, a * 0.5), fft_length=4), np.arange(4, dtype=np.float32))),
        "stft": lambda o, a: o.sum(o.square(o.stft(o.reshape(a, (-1,)), 4, 2, 4)[0])),
        "i0": lambda o, a: o.sum(o.i0(a)),
        "eigh": lambda o, a: o.sum(o.multiply(o.eigh(o.add(a, o.transpose(a)))[0], [1.0, 2.0, 3.0])),
        "qr": lambda o, a: o.sum(o.abs(o.diagonal(o.qr(a)[1]))),
    }
    for name, fn in fns.items():
        t = torch.tensor(x0, requires_grad=True)
        fn(ops, t).backward()
        j = jax.jit(jax.grad(lambda a: fn(ops, a)))(jax.numpy.asarray(x0))  # one compile
        np.testing.assert_allclose(t.grad.numpy(), np.asarray(j), rtol=1e-4, atol=1e-5, err_msg=name)


def test_unique_with_a_size_runs_under_jax_jit():
    """Keras 3's fixed-size unique is its JIT form: inside jax.jit it gives what it gives
    eagerly (padding with fill_value, counts 0 for the padding, truncation)."""
    jax = pytest.importorskip("jax")
    from keras_bridge import config
    config.set_backend("jax")
    x = np.int32([3, 1, 2, 1, 3, 2, 7])

    def f(a):
        return ops.unique(a, size=5, fill_value=-1, return_index=True, return_counts=True)

    for got in (jax.jit(f)(x), f(x)):
        values, first, counts = (np.asarray(g) for g in got)
        np.testing.assert_array_equal(values, [1, 2, 3, 7, -1])
        np.testing.assert_array_equal(first[:4], [1, 2, 0, 6])
        np.testing.assert_array_equal(counts, [2, 2, 2, 1, 0])
    np.testing.assert_array_equal(np.asarray(jax.jit(lambda a: ops.unique(a, size=2))(x)),
                                  [1, 2])
