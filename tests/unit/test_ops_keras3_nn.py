"""Keras 3's nn / core ops written in keras_bridge/ops/{layout,functional,nn_composed}.py
(depth_to_space, space_to_depth, rearrange, extract_sequences, unfold, fold, adaptive
pooling, sparsemax, ctc_decode, associative_scan, custom_gradient, jvp) on both engines
against numpy loops written here from each op's definition, torch-vs-JAX gradients, use
in a Functional model, a custom_gradient layer trained by fit, and the error paths."""

import math

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, backends, layers, ops
from support.layer_checks import assert_close, rand


def _t(a):
    return ops.convert_to_tensor(a)


def _np(x):
    return ops.convert_to_numpy(x)


# ---- numpy references -----------------------------------------------------------------
def np_depth_to_space(x, r, data_format):
    if data_format == "channels_first":
        return np_depth_to_space(x.transpose(0, 2, 3, 1).reshape(
            *x.shape[:1], *x.shape[2:], x.shape[1] // (r * r), r, r).transpose(
            0, 1, 2, 4, 5, 3).reshape(x.shape[0], *x.shape[2:], -1), r,
            "channels_last").transpose(0, 3, 1, 2)
    n, h, w, c = x.shape
    out = np.zeros((n, h * r, w * r, c // (r * r)), x.dtype)
    for i in range(h * r):
        for j in range(w * r):
            block = ((i % r) * r + j % r) * (c // (r * r))
            out[:, i, j] = x[:, i // r, j // r, block:block + c // (r * r)]
    return out


def np_unfold(x, k, d, p, s):
    n, c, h, w = x.shape
    x = np.pad(x, [(0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])])
    oh = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, k[0], k[1], oh, ow), x.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            for a in range(oh):
                for b in range(ow):
                    out[:, :, i, j, a, b] = x[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out.reshape(n, c * k[0] * k[1], oh * ow)


def np_fold(cols, size, k, d, p, s):
    n, ckk, _ = cols.shape
    c = ckk // (k[0] * k[1])
    oh = (size[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (size[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    cols = cols.reshape(n, c, k[0], k[1], oh, ow)
    out = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), cols.dtype)
    for i in range(k[0]):
        for j in range(k[1]):
            for a in range(oh):
                for b in range(ow):
                    out[:, :, a * s[0] + i * d[0], b * s[1] + j * d[1]] += cols[:, :, i, j, a, b]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def np_adaptive(x, size, reduce, data_format):
    if data_format == "channels_first":
        return np.moveaxis(np_adaptive(np.moveaxis(x, 1, -1), size, reduce, "channels_last"),
                           -1, 1)
    for axis, out in enumerate(size, start=1):
        n = x.shape[axis]
        bins = [np.take(x, range(i * n // out, math.ceil((i + 1) * n / out)), axis=axis)
                for i in range(out)]
        x = np.stack([reduce(b, axis=axis) for b in bins], axis=axis)
    return x


def np_sparsemax(row):
    z = np.sort(row)[::-1]
    k = max(j for j in range(1, len(z) + 1) if 1 + j * z[j - 1] > z[:j].sum())
    return np.maximum(row - (z[:k].sum() - 1) / k, 0)


def np_ctc_greedy(logits, lengths, merge_repeated, mask_index):
    batch, steps, _ = logits.shape
    labels = np.full((batch, steps), -1)
    scores = np.zeros((batch, 1), "float32")
    for b in range(batch):
        best = logits[b, :lengths[b]].argmax(-1)
        scores[b] = -logits[b, :lengths[b]].max(-1).sum()
        kept, prev = [], None
        for c in best:
            if c != mask_index and not (merge_repeated and c == prev):
                kept.append(c)
            prev = c
        labels[b, :len(kept)] = kept
    return labels[None], scores


# ---- layout ops --------------------------------------------------------------------------
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_depth_to_space_and_back(backend, data_format):
    x = rand(2, 8, 3, 4, seed=1) if data_format == "channels_first" else rand(2, 3, 4, 8, seed=1)
    want = np_depth_to_space(x, 2, data_format)
    got = ops.depth_to_space(_t(x), 2, data_format=data_format)
    assert backends.backend_of_type(type(got)) == backend
    assert_close(_np(got), want)
    assert_close(_np(ops.space_to_depth(_t(want), 2, data_format=data_format)), x)


def test_rearrange_matches_numpy(backend):
    x = rand(2, 4, 6, 3, seed=2)
    got = ops.rearrange(_t(x), "b (h1 h) (w w1) c -> (b h1) w (c h w1)", h1=2, w1=3)
    want = x.reshape(2, 2, 2, 2, 3, 3).transpose(0, 1, 3, 5, 2, 4).reshape(4, 2, 18)
    assert_close(_np(got), want)
    assert_close(_np(ops.rearrange(_t(x), "b h w c -> b c h w")), x.transpose(0, 3, 1, 2))


def test_extract_sequences_matches_numpy(backend):
    x = rand(2, 3, 10, seed=3)
    want = np.stack([x[..., i * 3:i * 3 + 4] for i in range(3)], axis=-2)
    assert_close(_np(ops.extract_sequences(_t(x), 4, 3)), want)


@pytest.mark.parametrize("k, d, p, s", [((2, 3), (1, 2), (1, 1), (2, 1)), ((2, 2), (1, 1), (0, 0), (2, 2)),
                                        ((3, 2), (2, 1), (1, 0), (1, 3))])
def test_unfold_and_fold_match_numpy(backend, k, d, p, s):
    x = rand(2, 3, 6, 7, seed=4)
    cols = np_unfold(x, k, d, p, s)
    assert_close(_np(ops.unfold(_t(x), k, dilation=d, padding=p, stride=s)), cols)
    blocks = rand(*cols.shape, seed=5)
    assert_close(_np(ops.fold(_t(blocks), (6, 7), k, dilation=d, padding=p, stride=s)),
                 np_fold(blocks, (6, 7), k, d, p, s), 1e-5, 1e-5)


@pytest.mark.parametrize("name, reduce", [("adaptive_average_pool", np.mean),
                                          ("adaptive_max_pool", np.max)])
@pytest.mark.parametrize("shape, size, data_format", [
    ((2, 7, 3), 3, "channels_last"),
    ((2, 3, 7, 5), (3, 4), "channels_first"),
    ((2, 5, 6, 2), (2, 7), "channels_last"),  # more bins than entries on one axis
    ((1, 5, 4, 3, 2), (3, 3, 2), "channels_last"),
])
def test_adaptive_pools_match_numpy(backend, name, reduce, shape, size, data_format):
    x = rand(*shape, seed=6)
    rank = len(shape) - 2
    sizes = (size,) * rank if isinstance(size, int) else size
    got = getattr(ops, name)(_t(x), size, data_format=data_format)
    assert_close(_np(got), np_adaptive(x, sizes, reduce, data_format), 1e-5, 1e-6)


# ---- sparsemax, ctc_decode ---------------------------------------------------------------
def test_sparsemax_matches_its_definition(backend):
    x = np.concatenate([rand(4, 6, seed=7), [[0.5, 0.4, 0.1, -2.0, 0.0, 0.3]]]).astype("float32")
    got = _np(ops.sparsemax(_t(x)))
    assert_close(got, np.stack([np_sparsemax(r) for r in x]), 1e-5, 1e-6)
    np.testing.assert_allclose(got.sum(-1), 1.0, rtol=1e-5)
    # axis=0, and Keras's docstring example
    assert_close(_np(ops.sparsemax(_t(x.T), axis=0)), got.T, 1e-5, 1e-6)
    assert_close(_np(ops.sparsemax(_t(np.array([-1.0, 0.0, 1.0], "float32")))),
                 np.array([0.0, 0.0, 1.0], "float32"))


@pytest.mark.parametrize("merge_repeated, mask_index", [(True, 0), (False, 2), (True, 3)])
def test_ctc_greedy_decode_matches_numpy(backend, merge_repeated, mask_index):
    logits = rand(3, 7, 4, seed=8)
    logits[0, 1:3] = [[0, 5, 0, 0], [0, 5, 0, 0]]  # a repeat
    lengths = np.array([7, 4, 1], "int32")
    labels, scores = ops.ctc_decode(_t(logits), _t(lengths), merge_repeated=merge_repeated,
                                    mask_index=mask_index)
    want_labels, want_scores = np_ctc_greedy(logits, lengths, merge_repeated, mask_index)
    np.testing.assert_array_equal(_np(labels), want_labels)
    assert_close(_np(scores), want_scores, 1e-5, 1e-5)


# ---- associative_scan, custom_gradient, jvp ------------------------------------------------
@pytest.mark.parametrize("n", [1, 2, 5, 8])
def test_associative_scan(backend, n):
    x = rand(3, n, seed=9)
    assert_close(_np(ops.associative_scan(lambda a, b: a + b, _t(x), axis=1)),
                 np.cumsum(x, 1), 1e-5, 1e-5)
    assert_close(_np(ops.associative_scan(ops.multiply, _t(x.T), reverse=True)),
                 np.cumprod(x.T[::-1], 0)[::-1], 1e-5, 1e-5)
    # a linear recurrence h_t = a_t h_{t-1} + b_t as pairs (nested elems)
    a, b = rand(n, 2, seed=10), rand(n, 2, seed=11)
    _, h = ops.associative_scan(lambda p, q: (p[0] * q[0], q[0] * p[1] + q[1]), (_t(a), _t(b)))
    want, state = [], np.zeros(2, "float32")
    for t in range(n):
        state = a[t] * state + b[t]
        want.append(state)
    assert_close(_np(h), np.stack(want), 1e-5, 1e-5)


@ops.custom_gradient
def _clip_gradient(x, bound=0.1):
    """Identity forward; the gradient clipped to [-bound, bound] (Keras's portable grad)."""
    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.clip(upstream, -bound, bound)
    return x + 0.0, grad


def _engine_grad(engine, fn, x, cot):
    if engine == "torch":
        import torch
        t = torch.tensor(x, requires_grad=True)
        (fn(t) * torch.tensor(cot)).sum().backward()
        return t.grad.numpy()
    import jax
    import jax.numpy as jnp
    _, vjp = jax.vjp(fn, jnp.asarray(x))
    return np.asarray(vjp(jnp.asarray(cot))[0])


def test_custom_gradient_replaces_the_gradient(backend):
    x, cot = rand(5, seed=12), np.array([0.05, -0.5, 2.0, -0.01, 0.3], "float32")
    got = _engine_grad(backend, lambda v: ops.multiply(_clip_gradient(v, bound=0.2), 2.0), x, cot)
    assert_close(got, np.clip(2.0 * cot, -0.2, 0.2))  # the upstream 2 * cot, clipped
    assert_close(_np(_clip_gradient(_t(x))), x)


def test_custom_gradient_engine_conventions(backend):
    """Keras 3 calls grad_fn(upstream) on JAX and grad_fn(*args, upstream=...) on torch."""
    seen = []

    @ops.custom_gradient
    def square(x):
        def grad(*args, **kwargs):
            seen.append((len(args), sorted(kwargs)))
            upstream = kwargs.get("upstream", args[-1])
            return ops.multiply(upstream, ops.multiply(2.0, x))
        return ops.square(x), grad

    x = rand(3, seed=13)
    assert_close(_engine_grad(backend, square, x, np.ones(3, "float32")), 2 * x)
    assert seen == ([(1, ["upstream"])] if backend == "torch" else [(1, [])])


class _Scaled(layers.Layer):
    """A Dense without bias whose backward pass scales the gradient by 3."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], 1), initializer="ones", name="w")

    def call(self, inputs):
        @ops.custom_gradient
        def triple_grad(y):
            def grad(*args, upstream=None):
                return ops.multiply(args[-1] if upstream is None else upstream, 3.0)
            return y + 0.0, grad
        return triple_grad(ops.matmul(inputs, self.w))


def test_custom_gradient_layer_trains_with_fit(backend):
    x, y = rand(8, 3, seed=14), rand(8, 1, seed=15)
    inp = Input(shape=(3,))
    model = Model(inp, _Scaled()(inp))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    w = np.ones((3, 1), "float32")
    grad = 3.0 * x.T @ (2.0 * (x @ w - y) / 8)  # mse's gradient, tripled
    assert_close(model.get_weights()[0], w - 0.01 * grad, 1e-5, 1e-6)


def test_jvp(backend):
    x, t = rand(4, seed=16), rand(4, seed=17)
    out, tangent = ops.jvp(ops.sin, (_t(x),), (_t(t),))
    assert_close(_np(out), np.sin(x))
    assert_close(_np(tangent), np.cos(x) * t)
    out, tangent, aux = ops.jvp(lambda a, b: (a * b, ops.sum(a)), (_t(x), _t(t)),
                                (_t(t), _t(x)), has_aux=True)
    assert_close(_np(tangent), t * t + x * x, 1e-5, 1e-6)  # d(a b) = da b + a db
    assert_close(_np(aux), np.sum(x))


# ---- gradients torch vs JAX --------------------------------------------------------------
@both_backends()
@pytest.mark.parametrize("fn", [
    lambda x: ops.depth_to_space(x, 2),
    lambda x: ops.rearrange(x, "b (h h1) w c -> b h (w h1 c)", h1=2),
    lambda x: ops.adaptive_average_pool(x, (3, 2)),
    lambda x: ops.adaptive_max_pool(x, (3, 3), data_format="channels_first"),
    lambda x: ops.fold(ops.unfold(x, 2, padding=1), (4, 4), 2, padding=1),
    lambda x: ops.sparsemax(x, axis=1),
    lambda x: ops.associative_scan(ops.multiply, x, axis=2),
])
def test_gradient_parity_torch_jax(fn):
    x = rand(2, 4, 4, 4, seed=18)
    y = _np(fn(backends.get("jax").ops.convert_to_tensor(x)))
    cot = rand(*y.shape, seed=19)
    assert_close(_engine_grad("torch", fn, x, cot), _engine_grad("jax", fn, x, cot), 1e-5, 1e-5)


# ---- symbolic use --------------------------------------------------------------------------
def test_ops_in_a_functional_model(backend):
    inp = Input(shape=(4, 6, 8))
    up = ops.depth_to_space(inp, 2)
    pooled = ops.adaptive_average_pool(up, (3, 4))
    flat = ops.rearrange(pooled, "b h w c -> b (h w c)")
    assert (up.shape, pooled.shape, flat.shape) == ((None, 8, 12, 2), (None, 3, 4, 2), (None, 24))
    cols = ops.unfold(ops.transpose(inp, (0, 3, 1, 2)), 2, stride=2)
    assert cols.shape == (None, 32, 6)
    model = Model(inp, [flat, cols])
    x = rand(2, 4, 6, 8, seed=20)
    got_flat, got_cols = model.predict(x, verbose=0)
    want = np_adaptive(np_depth_to_space(x, 2, "channels_last"), (3, 4), np.mean,
                       "channels_last").reshape(2, -1)
    assert_close(got_flat, want, 1e-5, 1e-6)
    assert_close(got_cols, np_unfold(x.transpose(0, 3, 1, 2), (2, 2), (1, 1), (0, 0), (2, 2)))
    again = Model.from_config(model.get_config())
    assert_close(again.predict(x, verbose=0)[0], want, 1e-5, 1e-6)


# ---- errors ---------------------------------------------------------------------------------
def test_errors(backend):
    x = _t(rand(1, 4, 4, 6, seed=21))
    with pytest.raises(ValueError, match="block_size` must be at least 2"):
        ops.depth_to_space(x, 1)
    with pytest.raises(ValueError, match=r"channels \(6\) must be divisible by block_size\*\*2"):
        ops.depth_to_space(x, 2)
    with pytest.raises(ValueError, match="must be divisible by block_size"):
        ops.space_to_depth(x, 3)
    with pytest.raises(ValueError, match="requires a 4D input"):
        ops.depth_to_space(_t(rand(4, 4, 8)), 2)
    with pytest.raises(ValueError, match="Input must be a 4D tensor"):
        ops.unfold(_t(rand(4, 4, 4)), 2)
    with pytest.raises(ValueError, match="Expected 9 blocks"):
        ops.fold(_t(rand(1, 4, 8)), (4, 4), 2)
    with pytest.raises(ValueError, match="output_size a positive int or 2"):
        ops.adaptive_average_pool(x, (2, 2, 2))
    with pytest.raises(ValueError, match="rank 3, 4 or 5"):
        ops.adaptive_max_pool(_t(rand(4, 4)), 2)
    with pytest.raises(ValueError, match="does not divide"):
        ops.rearrange(x, "b (h h1) w c -> b h w (c h1)", h1=3)
    with pytest.raises(ValueError, match="same axes on both sides"):
        ops.rearrange(x, "b h w c -> b h w")
    with pytest.raises(ValueError, match="sequence_length"):
        ops.extract_sequences(_t(rand(2, 5)), 6, 1)
    with pytest.raises(ValueError, match="Invalid strategy"):
        ops.ctc_decode(_t(rand(1, 3, 4)), _t(np.array([3])), strategy="best")
    with pytest.raises(NotImplementedError, match="beam_search"):
        ops.ctc_decode(_t(rand(1, 3, 4)), _t(np.array([3])), strategy="beam_search")
    with pytest.raises(ValueError, match="one length along axis"):
        ops.associative_scan(lambda a, b: (a[0] + b[0], a[1] + b[1]),
                             (_t(rand(3, 2)), _t(rand(4, 2))))
    inp = Input(shape=(3,))
    with pytest.raises(TypeError, match="ops.jvp got a symbolic tensor"):
        ops.jvp(ops.sin, (inp,), (inp,))
    with pytest.raises(TypeError, match="ops.custom_gradient got a symbolic tensor"):
        _clip_gradient(inp)
