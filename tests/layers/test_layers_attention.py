"""EinsumDense and the attention layers: numpy references written here (softmax
attention by hand, with masks and causal masks), real Keras 3.15.1 values of
MultiHeadAttention / GroupQueryAttention on fixed weights (fixture made by
tests/support/make_attention_fixture.py), torch against JAX, configs, saving, masks."""

import os

import numpy as np
import pytest

from conftest import both_backends
from keras_bridge import Input, Model, ops, saving, testing
from keras_bridge.layers import AdditiveAttention, Attention, Dense, EinsumDense, Embedding
from keras_bridge.layers import GroupQueryAttention, GroupedQueryAttention, MultiHeadAttention
from keras_bridge.utils import set_random_seed
from support.layer_checks import assert_close, config_roundtrip, rand, saved_entry_roundtrip

FIXTURE = os.path.join(os.path.dirname(__file__), os.pardir, "support", "fixtures",
                       "keras3_attention.npz")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


def np_softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_heads_attention(q, k, v, keep=None, scale=None):
    """softmax(q k^T * scale) v per head, (B, T, N, H) layout; hidden logits get a huge
    negative (a fully hidden row attends uniformly)."""
    scale = 1 / np.sqrt(q.shape[-1]) if scale is None else scale
    logits = np.einsum("btnh,bsnh->bnts", q.astype(np.float64), k) * scale
    if keep is not None:
        logits = np.where(keep, logits, -1e30)
    return np.einsum("bnts,bsnh->btnh", np_softmax(logits), v), np_softmax(logits)


def np_causal(t, s):
    return np.tril(np.ones((t, s), bool))


# ---- ops.dot_product_attention on each engine's kernel ----------------------------------------
def test_dot_product_attention_masks_bias_groups(backend):
    q, k, v = rand(2, 3, 4, 5), rand(2, 6, 2, 5, seed=1), rand(2, 6, 2, 5, seed=2)
    mask = np.random.default_rng(3).random((2, 1, 3, 6)) > 0.4
    mask[0, 0, 1] = False  # a fully hidden row attends uniformly (Keras's large negative)
    bias = rand(1, 4, 3, 6, seed=4)
    kk, vv = np.repeat(k, 2, axis=2), np.repeat(v, 2, axis=2)  # grouped-query heads
    got = _np(ops.dot_product_attention(q, k, v, mask=mask))
    assert_close(got, np_heads_attention(q, kk, vv, mask)[0].astype("float32"), atol=1e-5)
    assert_close(got[0, 1], np.broadcast_to(vv[0].mean(0), (4, 5)), atol=1e-5)
    got = _np(ops.dot_product_attention(q, k, v, bias=bias, is_causal=True, scale=0.3))
    logits = np.einsum("btnh,bsnh->bnts", q.astype(np.float64), kk) * 0.3 + bias
    probs = np_softmax(np.where(np_causal(3, 6), logits, -1e30))
    assert_close(got, np.einsum("bnts,bsnh->btnh", probs, vv).astype("float32"), atol=1e-5)
    with pytest.raises(ValueError, match="flash_attention"):
        ops.dot_product_attention(q, k, v, flash_attention=True)
    with pytest.raises(ValueError, match="multiple"):
        ops.dot_product_attention(q, rand(2, 6, 3, 5), rand(2, 6, 3, 5))
    with pytest.raises(ValueError, match="4-D"):
        ops.dot_product_attention(q[0], k[0], v[0])


# ---- EinsumDense --------------------------------------------------------------------------------
@pytest.mark.parametrize("equation, out_shape, bias_axes, x_shape, kernel, bias, y_shape", [
    ("ab,bc->ac", 4, "c", (2, 3), (3, 4), (4,), (2, 4)),
    ("abc,cde->abde", (None, 2, 5), "de", (2, 3, 6), (6, 2, 5), (2, 5), (2, 3, 2, 5)),
    ("abc,cd->abd", (3, 4), "b", (2, 3, 6), (6, 4), (3, 1), (2, 3, 4)),
    ("...b,bc->...c", 4, "c", (2, 3, 5), (5, 4), (4,), (2, 3, 4)),
    ("abc...,cd->abd...", (3, 4), "b", (2, 3, 6, 7), (6, 4), (3, 1, 1), (2, 3, 4, 7)),
])
def test_einsum_dense_shapes_and_values(backend, equation, out_shape, bias_axes, x_shape,
                                        kernel, bias, y_shape):
    layer = EinsumDense(equation, out_shape, bias_axes=bias_axes, activation="relu",
                        bias_initializer="random_normal")
    x = rand(*x_shape)
    y = _np(layer(x))
    assert layer.kernel.shape == kernel and layer.bias.shape == bias
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    want = np.maximum(np.einsum(equation, x, layer.kernel.numpy()) + layer.bias.numpy(), 0)
    assert_close(y, want.astype("float32"), atol=1e-5)
    assert y.shape == y_shape
    assert layer.compute_output_shape(x_shape) == y_shape
    config_roundtrip(layer)
    saved_entry_roundtrip(layer)


def test_einsum_dense_glorot_fans_over_kernel_axes():
    """Keras 3: glorot_uniform counts fan_in over the input letters (6) and fan_out over
    the output letters (4 * 8), so the limit is sqrt(6 / 38)."""
    set_random_seed(0)
    layer = EinsumDense("abc,cde->abde", (None, 4, 8), bias_axes="de")
    layer.build((None, 3, 6))
    w = layer.kernel.numpy()
    limit = np.sqrt(6 / (6 + 32))
    assert w.shape == (6, 4, 8) and np.abs(w).max() <= limit and np.abs(w).max() > 0.9 * limit


def test_einsum_dense_errors():
    with pytest.raises(ValueError, match="Invalid einsum equation"):
        EinsumDense("ab->b", 3).build((2, 3))
    with pytest.raises(ValueError, match="Bias dimension 'x'"):
        EinsumDense("ab,bc->ac", 3, bias_axes="x").build((2, 3))
    with pytest.raises(ValueError, match="do not match at shared dimension"):
        EinsumDense("abc,cd->abd", (5, 4)).build((2, 3, 6))
    with pytest.raises(ValueError, match="Weight dimension 'z'"):
        EinsumDense("ab,bz->ab", 3).build((2, 3))
    with pytest.raises(NotImplementedError, match="lora_rank"):
        EinsumDense("ab,bc->ac", 3, lora_rank=2)


# ---- Attention, AdditiveAttention ---------------------------------------------------------------
def np_luong(q, v, k, scores, q_mask=None, v_mask=None, causal=False):
    hide = np.zeros(scores.shape, bool)
    if v_mask is not None:
        hide |= ~v_mask[:, None, :]
    if causal:
        hide |= ~np_causal(*scores.shape[-2:])
    w = np_softmax(np.where(hide, scores - 1e9, scores))
    out = w @ v
    if q_mask is not None:
        out = np.where(q_mask[..., None], out, 0)
    return out, w


def test_attention_dot_with_masks_and_causal(backend):
    q, v, k = rand(2, 4, 3), rand(2, 5, 3, seed=1), rand(2, 5, 3, seed=2)
    q_mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], bool)
    v_mask = np.array([[1, 1, 0, 1, 0], [1, 0, 0, 0, 0]], bool)
    layer = Attention()
    for kwargs, causal in (({}, False), ({"use_causal_mask": True}, True)):
        out, w = layer([q, v, k], mask=[q_mask, v_mask], return_attention_scores=True,
                       **kwargs)
        ref_out, ref_w = np_luong(q, v, k, q @ k.transpose(0, 2, 1), q_mask, v_mask, causal)
        assert_close(_np(out), ref_out.astype("float32"), atol=1e-5)
        assert_close(_np(w), ref_w.astype("float32"), atol=1e-6)
    # without masks the engine's fused kernel runs; the same numbers
    for causal in (False, True):
        ref = np_luong(q, v, v, q @ v.transpose(0, 2, 1), causal=causal)[0]
        assert_close(_np(layer([q, v], use_causal_mask=causal)), ref.astype("float32"),
                     atol=1e-5)


def test_attention_scale_concat_and_additive(backend):
    q, v = rand(2, 4, 3), rand(2, 5, 3, seed=1)
    layer = Attention(use_scale=True, score_mode="concat")
    layer.build([q.shape, v.shape])
    layer.scale.assign(np.float32(0.7))
    layer.concat_score_weight.assign(np.float32(1.3))
    scores = 1.3 * np.tanh(0.7 * (q[:, :, None] + v[:, None])).sum(-1)
    assert_close(_np(layer([q, v])), np_luong(q, v, v, scores)[0].astype("float32"), atol=1e-5)
    add = AdditiveAttention()
    out = _np(add([q, v]))
    assert [w.name for w in add.weights] == ["scale"] and add.scale.shape == (3,)
    scores = (add.scale.numpy() * np.tanh(q[:, :, None] + v[:, None])).sum(-1)
    assert_close(out, np_luong(q, v, v, scores)[0].astype("float32"), atol=1e-5)
    assert "score_mode" not in add.get_config()
    config_roundtrip(add)
    config_roundtrip(layer)


def test_attention_errors_and_dropout():
    with pytest.raises(ValueError, match="score_mode"):
        Attention(score_mode="add")
    with pytest.raises(ValueError, match="list of inputs"):
        Attention()(rand(2, 3, 4))
    with pytest.raises(ValueError, match="length 2 or 3"):
        Attention()([rand(2, 3, 4)])
    layer = Attention(dropout=0.5)
    q = rand(2, 4, 3)
    a, b = _np(layer([q, q])), _np(layer([q, q], training=False))
    assert_close(a, b)
    out, w = layer([q, q], training=True, return_attention_scores=True)
    assert_close(_np(w).sum(-1), np.ones((2, 4), "float32"), atol=1e-5)  # before dropout
    assert not np.allclose(_np(out), a)


# ---- MultiHeadAttention, GroupQueryAttention: numpy references --------------------------------
def _projections(layer):
    return [w.numpy() for w in layer.weights]


def np_mha(layer, q, v, keep=None, scores_path=False):
    wq, bq, wk, bk, wv, bv, wo, bo = _projections(layer)
    qh = np.einsum("btd,dnh->btnh", q, wq) + bq
    kh = np.einsum("bsd,dnh->bsnh", v, wk) + bk
    vh = np.einsum("bsd,dnh->bsnh", v, wv) + bv
    logits = np.einsum("btnh,bsnh->bnts", qh, kh) / np.sqrt(qh.shape[-1])
    if keep is not None:
        keep = np.broadcast_to(keep[:, None], logits.shape)
        if scores_path:  # Keras's Softmax layer: -1e9 added, hidden entries zero after
            probs = np.where(keep, np_softmax(logits - 1e9 * ~keep), 0)
        else:
            probs = np_softmax(np.where(keep, logits, -1e30))
    else:
        probs = np_softmax(logits)
    out = np.einsum("bnts,bsnh->btnh", probs, vh)
    return np.einsum("btnh,nhd->btd", out, wo) + bo, probs


def test_mha_weights_layout_and_paths():
    layer = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, output_shape=7,
                               name="mha")
    layer.build((None, 5, 6), (None, 8, 9), (None, 8, 10))
    assert [(w.path, w.shape) for w in layer.weights] == [
        ("mha/query/kernel", (6, 2, 3)), ("mha/query/bias", (2, 3)),
        ("mha/key/kernel", (10, 2, 3)), ("mha/key/bias", (2, 3)),
        ("mha/value/kernel", (9, 2, 4)), ("mha/value/bias", (2, 4)),
        ("mha/attention_output/kernel", (2, 4, 7)), ("mha/attention_output/bias", (7,))]
    assert layer.query_dense.equation == "abc,cde->abde"
    assert layer.output_dense.equation == "abcd,cde->abe"
    no_bias = MultiHeadAttention(2, 3, use_bias=False, use_gate=True)
    no_bias.build((None, 5, 6), (None, 8, 6))
    assert [w.path.split("/", 1)[1] for w in no_bias.weights] == [
        "query/kernel", "key/kernel", "gate/kernel", "value/kernel",
        "attention_output/kernel"]


def test_mha_against_numpy_with_masks(backend):
    set_random_seed(1)
    q, v = rand(2, 4, 6), rand(2, 5, 6, seed=1)
    layer = MultiHeadAttention(num_heads=2, key_dim=3, bias_initializer="random_normal")
    am = np.random.default_rng(2).random((2, 4, 5)) > 0.4
    am[1, 2] = False  # a fully hidden query row
    q_mask = np.array([[1, 1, 1, 0], [1, 1, 1, 1]], bool)
    v_mask = np.array([[1, 1, 1, 1, 0], [1, 1, 0, 1, 1]], bool)
    assert_close(_np(layer(q, v)), np_mha(layer, q, v)[0].astype("float32"), atol=1e-5)
    # fused road (no scores asked): the hidden row attends uniformly, as Keras's kernels
    assert_close(_np(layer(q, v, attention_mask=am)),
                 np_mha(layer, q, v, am)[0].astype("float32"), atol=1e-5)
    keep = am & np_causal(4, 5) & v_mask[:, None, :]
    # Keras 3.15's MultiHeadAttention ignores the query_mask argument (only a query
    # tensor's own mask counts, as in the graph test below)
    got = _np(layer(q, v, attention_mask=am, use_causal_mask=True, query_mask=q_mask,
                    value_mask=v_mask))
    assert_close(got, np_mha(layer, q, v, keep)[0].astype("float32"), atol=1e-5)
    # scores road: Keras's masked Softmax (hidden entries, and fully hidden rows, are 0)
    out, scores = layer(q, v, attention_mask=am, return_attention_scores=True)
    ref_out, ref_scores = np_mha(layer, q, v, am, scores_path=True)
    assert_close(_np(scores), ref_scores.astype("float32"), atol=1e-6)
    assert_close(_np(out), ref_out.astype("float32"), atol=1e-5)
    assert np.all(_np(scores)[1, :, 2] == 0)
    # causal alone: the engine's native causal kernel
    assert_close(_np(layer(q, q, use_causal_mask=True)),
                 np_mha(layer, q, q, np.broadcast_to(np_causal(4, 4), (2, 4, 4)))[0]
                 .astype("float32"), atol=1e-5)


def test_mha_attention_axes_2d(backend):
    """Attention over two axes (an image-like (B, H, W, C) input): one softmax over both."""
    layer = MultiHeadAttention(num_heads=2, key_dim=2, attention_axes=(1, 2))
    x = rand(2, 3, 2, 4)
    out = _np(layer(x, x))
    wq, bq, wk, bk, wv, bv, wo, bo = _projections(layer)
    qh = np.einsum("bxyd,dnh->bxynh", x, wq) + bq
    kh = np.einsum("bxyd,dnh->bxynh", x, wk) + bk
    vh = np.einsum("bxyd,dnh->bxynh", x, wv) + bv
    logits = np.einsum("bxynh,buvnh->bnxyuv", qh, kh) / np.sqrt(2)
    probs = np_softmax(logits.reshape(2, 2, 3, 2, 6), -1).reshape(logits.shape)
    ref = np.einsum("bxynh,nhd->bxyd", np.einsum("bnxyuv,buvnh->bxynh", probs, vh), wo) + bo
    assert_close(out, ref.astype("float32"), atol=1e-5)


def test_gqa_against_numpy(backend):
    layer = GroupQueryAttention(head_dim=2, num_query_heads=4, num_key_value_heads=2,
                                bias_initializer="random_normal")
    q, v = rand(2, 3, 5), rand(2, 4, 5, seed=1)
    out, scores = layer(q, v, return_attention_scores=True)
    fused = layer(q, v)
    wq, bq, wk, bk, wv, bv, wo, bo = _projections(layer)
    qh = np.einsum("btd,dnh->btnh", q, wq) + bq
    kh = np.repeat(np.einsum("bsd,dnh->bsnh", v, wk) + bk, 2, axis=2)
    vh = np.repeat(np.einsum("bsd,dnh->bsnh", v, wv) + bv, 2, axis=2)
    heads, probs = np_heads_attention(qh, kh, vh)
    ref = np.einsum("btnh,nhd->btd", heads, wo) + bo
    assert_close(_np(out), ref.astype("float32"), atol=1e-5)
    assert_close(_np(fused), ref.astype("float32"), atol=1e-5)
    assert_close(_np(scores), probs.astype("float32"), atol=1e-6)
    assert GroupedQueryAttention is GroupQueryAttention
    assert type(layer).__name__ == "GroupedQueryAttention"  # Keras's class name, saved


# ---- real Keras 3 values -------------------------------------------------------------------------
def _fixture_cases():
    data = np.load(FIXTURE)
    assert str(data["keras_version"]).startswith("3.15")
    names = sorted({k.split("/")[0] for k in data.files if "/" in k})
    return data, names


_FIXTURE_LAYERS = {
    "mha": lambda: MultiHeadAttention(num_heads=2, key_dim=3),
    "mha_key_value_dim": lambda: MultiHeadAttention(num_heads=3, key_dim=2, value_dim=4,
                                                    output_shape=7),
    "mha_attention_mask": lambda: MultiHeadAttention(num_heads=2, key_dim=3),
    "mha_causal": lambda: MultiHeadAttention(num_heads=2, key_dim=3),
    "mha_masks_scores": lambda: MultiHeadAttention(num_heads=2, key_dim=3, use_bias=False),
    "gqa": lambda: GroupQueryAttention(head_dim=3, num_query_heads=4, num_key_value_heads=2),
    "gqa_scores": lambda: GroupQueryAttention(head_dim=2, num_query_heads=2,
                                              num_key_value_heads=1),
}
_FIXTURE_OPTIONS = {"mha_key_value_dim": {"return_attention_scores": True},
                    "mha_causal": {"use_causal_mask": True},
                    "mha_masks_scores": {"return_attention_scores": True,
                                         "use_causal_mask": True},
                    "gqa_scores": {"return_attention_scores": True}}


@pytest.mark.parametrize("case", sorted(_FIXTURE_LAYERS))
def test_matches_keras3_on_fixed_weights(backend, case):
    data, names = _fixture_cases()
    assert names == sorted(_FIXTURE_LAYERS)
    tensors = {k.split("/in_")[1]: data[k] for k in data.files if k.startswith(f"{case}/in_")}
    layer = _FIXTURE_LAYERS[case]()
    layer(**tensors, **_FIXTURE_OPTIONS.get(case, {}))
    assert [w.path.split("/", 1)[1] for w in layer.weights] == \
        [str(p).split("/", 1)[1] for p in data[f"{case}/paths"]]
    layer.set_weights([data[f"{case}/w{i}"] for i in range(len(layer.weights))])
    outs = layer(**tensors, **_FIXTURE_OPTIONS.get(case, {}))
    outs = outs if isinstance(outs, tuple) else (outs,)
    for i, out in enumerate(outs):
        assert_close(_np(out), data[f"{case}/out{i}"], rtol=1e-5, atol=2e-6)


# ---- graphs: masks carried by tensors, summary, configs, saving ---------------------------------
def _masked_encoder(seed=0):
    set_random_seed(seed)
    tokens = Input((5,), dtype="int32")
    x = Embedding(10, 6, mask_zero=True)(tokens)
    y = MultiHeadAttention(num_heads=2, key_dim=3, name="mha")(x, x)
    z = Attention()([y, x])
    return Model(tokens, Dense(2)(z))


TOKENS = np.array([[3, 4, 1, 0, 0], [5, 2, 7, 9, 0]], "int32")


def test_graph_masks_come_from_the_tensors(backend):
    model = _masked_encoder()
    out = model.predict(TOKENS, verbose=0)
    emb, mha, att, dense = model.layers[1:]
    x = _np(emb(TOKENS))
    mask = TOKENS != 0
    keep = mask[:, :, None] & mask[:, None, :]
    y = _np(mha(x, x, attention_mask=keep))
    assert_close(y, np_mha(mha, x, x, keep)[0].astype("float32"), atol=1e-5)
    z = np_luong(y, x, x, y @ x.transpose(0, 2, 1), mask, mask)[0]
    assert_close(out, (z @ dense.kernel.numpy() + dense.bias.numpy()).astype("float32"),
                 atol=1e-5)
    # the output mask of MultiHeadAttention is the query's
    assert mha.compute_mask({"query": None}, {"query": mask}) is mask
    assert mha.compute_mask({"query": None, "query_mask": ~mask}, {"query": mask}) is mask


def test_summary_counts_and_symbolic_shapes():
    q, v = Input((4, 6)), Input((7, 5))
    out, scores = MultiHeadAttention(num_heads=2, key_dim=3, value_dim=4, name="m")(
        q, v, return_attention_scores=True)
    assert out.shape == (None, 4, 6) and scores.shape == (None, 2, 4, 7)
    g_out, g_scores = GroupQueryAttention(2, 4, 2)(q, Input((7, 6)),
                                                    return_attention_scores=True)
    assert g_out.shape == (None, 4, 6) and g_scores.shape == (None, 4, 4, 7)
    a_out, a_scores = Attention()([q, Input((7, 6))], return_attention_scores=True)
    assert a_out.shape == (None, 4, 6) and a_scores.shape == (None, 4, 7)
    model = Model([q, v], out)
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    # q (6*2*3 + 6), k (5*2*3 + 6), v (5*2*4 + 8), out (2*4*6 + 6)
    assert (6 * 6 + 6) + (5 * 6 + 6) + (5 * 8 + 8) + (8 * 6 + 6) == model.count_params() == 180
    assert "MultiHeadAttention" in text and "180" in text


@pytest.mark.parametrize("make", [
    lambda: MultiHeadAttention(3, 4, value_dim=2, dropout=0.1, output_shape=(5,),
                               attention_axes=1, kernel_initializer="he_normal",
                               sliding_window=3, use_gate=True, seed=7),
    lambda: GroupQueryAttention(4, 4, 2, dropout=0.2, use_bias=False),
    lambda: Attention(use_scale=True, score_mode="concat", dropout=0.1, seed=3),
    lambda: AdditiveAttention(use_scale=False),
])
def test_config_round_trips(make):
    layer = make()
    config_roundtrip(layer)
    saved_entry_roundtrip(layer)


def test_mha_config_matches_keras_keys():
    keys = set(MultiHeadAttention(2, 3).get_config())
    assert keys >= {"num_heads", "key_dim", "value_dim", "dropout", "use_bias", "use_gate",
                    "output_shape", "attention_axes", "sliding_window", "kernel_initializer",
                    "bias_initializer", "kernel_regularizer", "bias_regularizer",
                    "activity_regularizer", "kernel_constraint", "bias_constraint", "seed"}


def test_save_round_trip(backend, tmp_path):
    model = _masked_encoder(seed=3)
    want = model.predict(TOKENS, verbose=0)
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = saving.load_model(path)
    assert_close(loaded.predict(TOKENS, verbose=0), want, atol=1e-6)
    assert [w.path for w in loaded.weights] == [w.path for w in model.weights]


def test_mha_errors():
    with pytest.raises(ValueError, match="num_heads"):
        MultiHeadAttention(0, 3)
    with pytest.raises(ValueError, match="key_dim"):
        MultiHeadAttention(2, "3")
    with pytest.raises(ValueError, match="value_dim"):
        MultiHeadAttention(2, 3, value_dim=-1)
    with pytest.raises(ValueError, match="flash_attention"):
        MultiHeadAttention(2, 3, flash_attention=True)
    with pytest.raises(ValueError, match="sliding_window"):
        MultiHeadAttention(2, 3, sliding_window=0)
    with pytest.raises(ValueError, match="except the last one"):
        MultiHeadAttention(2, 3)(Input((4, 6)), Input((5, 6)), Input((6, 6)))
    with pytest.raises(ValueError, match="divisible"):
        GroupQueryAttention(2, 3, 2)
    with pytest.raises(ValueError, match="needs `query` and `value`"):
        MultiHeadAttention(2, 3)(Input((4, 6)))


def test_mha_dropout_training_only(backend):
    layer = MultiHeadAttention(2, 3, dropout=0.5)
    q = rand(2, 4, 6)
    a, b = _np(layer(q, q)), _np(layer(q, q, training=False))
    assert_close(a, b)
    assert not np.allclose(_np(layer(q, q, training=True)), a)


# ---- torch and JAX agree ---------------------------------------------------------------------------
@both_backends()
def test_parity_outputs_and_gradients():
    set_random_seed(2)
    tokens = Input((5,), dtype="int32")
    x = Embedding(10, 6, mask_zero=True)(tokens)
    q = Input((5, 6))
    outs = [MultiHeadAttention(2, 3, bias_initializer="random_normal")(x, x),
            MultiHeadAttention(2, 3)(q, x, use_causal_mask=True),
            MultiHeadAttention(2, 3, output_shape=4)(q, q, return_attention_scores=True)[1],
            GroupQueryAttention(2, 4, 2)(q, x),
            Attention(use_scale=True)([q, x]), AdditiveAttention()([q, x]),
            EinsumDense("abc,cd->abd", (5, 3), bias_axes="d")(q)]
    model = Model([tokens, q], outs)
    testing.assert_backends_agree(model, [TOKENS, rand(2, 5, 6, seed=9)], atol=1e-5,
                                  grad_rtol=1e-4, grad_atol=1e-5)
