"""Ops, K helpers, losses and operators on symbolic tensors record op nodes that run on
the model's engine."""

import numpy as np
import pytest

from keras_bridge import backend as K
from keras_bridge import losses, ops
from keras_bridge.graph import KerasTensor
from keras_bridge.layers import Dense, Input, OpLayer
from keras_bridge.models import Model, load_model


def _data(n=5, d=3, seed=0):
    return np.random.default_rng(seed).random((n, d)).astype(np.float32)


def test_ops_and_k_helpers_record_nodes_with_inferred_specs(backend):
    x = Input((3,))
    y = K.square(x) + 1
    assert isinstance(y, KerasTensor) and y.shape == (None, 3) and y.dtype == "float32"
    assert isinstance(y.node.layer, OpLayer)
    assert K.mean(y, axis=-1).shape == (None,)
    assert K.sum(y).shape == ()
    assert K.concatenate([x, y]).shape == (None, 6)
    assert (x > 0.5).dtype == "bool"
    assert x[:, 1:].shape == (None, 2)
    assert K.reshape(x, (-1, 3, 1)).shape == (None, 3, 1)
    assert ops.shape(x) == (None, 3) and ops.ndim(x) == 2 and K.int_shape(y) == (None, 3)
    assert ops.convert_to_tensor(x) is x
    with pytest.raises(TypeError, match="symbolic tensor"):
        ops.convert_to_numpy(x)
    with pytest.raises(TypeError, match="cannot be iterated"):
        list(x)


def test_op_outputs_as_model_outputs_match_numpy(backend):
    x = Input((3,))
    d = Dense(2)(x)
    target = Input((2,))
    outputs = [K.square(d) + 1, 2.0 * K.mean(d, axis=-1), d[:, 1:] ** 2 - d[:, :1],
               -d <= 0.25, losses.binary_crossentropy(target, K.sigmoid(d)), abs(d) / 4]
    model = Model([x, target], outputs)
    xs, ts = _data(), (_data(d=2, seed=1) > 0.5).astype(np.float32)
    got = model.predict([xs, ts])
    kernel, bias = model.get_weights()
    z = xs @ kernel + bias
    p = np.clip(1 / (1 + np.exp(-z)), 1e-7, 1 - 1e-7)
    bce = -(ts * np.log(p + 1e-7) + (1 - ts) * np.log(1 - p + 1e-7)).mean(-1)
    want = [z ** 2 + 1, 2 * z.mean(-1), z[:, 1:] ** 2 - z[:, :1], -z <= 0.25, bce, abs(z) / 4]
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6)


def test_model_with_op_output_trains_saves_and_moves(backend, tmp_path):
    x = Input((3,))
    model = Model(x, K.square(Dense(2)(x)) + 1)
    model.compile("sgd", "mse")
    xs, ys = _data(16), np.full((16, 2), 1.5, np.float32)
    history = model.fit(xs, ys, epochs=4, batch_size=8, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    before = model.predict(xs)
    path = tmp_path / "op.keras"
    model.save(path)
    np.testing.assert_allclose(load_model(path).predict(xs), before, rtol=1e-6)
    other = "jax" if backend == "torch" else "torch"
    np.testing.assert_allclose(model.to_backend(other).predict(xs), before, rtol=1e-5,
                               atol=1e-6)


def test_slices_and_tuples_survive_saving(backend, tmp_path):
    x = Input((4, 3))
    model = Model(x, K.sum(x[:, ::2, ...], axis=(1, 2), keepdims=True))
    xs = np.random.default_rng(2).random((2, 4, 3)).astype(np.float32)
    model.save(tmp_path / "slice.keras")
    got = load_model(tmp_path / "slice.keras").predict(xs)
    np.testing.assert_allclose(got, xs[:, ::2].sum(axis=(1, 2), keepdims=True), rtol=1e-6)


def test_op_with_a_weight_runs_but_refuses_to_save(backend, tmp_path):
    x = Input((3,))
    dense = Dense(3)
    model = Model(x, dense(x) + K.dot(x, dense.kernel))
    xs = _data()
    kernel, bias = model.get_weights()
    np.testing.assert_allclose(model.predict(xs), 2 * xs @ kernel + bias, rtol=1e-5,
                               atol=1e-6)
    path = tmp_path / "w.keras"
    with pytest.raises(ValueError, match="is the weight 'dense/kernel'"):
        model.save(path)
    assert not path.exists()


def test_jax_finds_specs_without_running_ops_and_runs_only_value_dependent_ones(
        backend, monkeypatch):
    """JAX traces an op for its spec (jax.eval_shape), once when every size is known; an op
    drawing from the random stream (or whose sizes depend on values, as unique) and torch
    run the op on zeros instead."""
    from keras_bridge import backends
    engine, traced, ran = backends.get(backend), [], []
    trace, trial = engine.compute_output_spec, OpLayer._trial
    monkeypatch.setattr(engine, "compute_output_spec",
                        lambda fn, specs: traced.append(specs) or trace(fn, specs))
    monkeypatch.setattr(OpLayer, "_trial",
                        lambda self, inputs, fill: ran.append(self.function) or
                        trial(self, inputs, fill))
    x, y = Input((3,)), Input(batch_shape=(2, 4), dtype="int32")
    wide = ops.matmul(x, np.ones((3, 4), np.float32))
    total = ops.cast(ops.sum(y, axis=0), "float16")
    assert (wide.shape, wide.dtype, total.shape, total.dtype) == (
        (None, 4), "float32", (4,), "float16")
    dropped = ops.dropout(x, 0.5)
    assert (dropped.shape, dropped.dtype) == ((None, 3), "float32")
    if backend == "jax":
        assert traced[:3] == [[((1, 3), "float32")], [((2, 3), "float32")],
                              [((2, 4), "int32")]]
        assert ran == ["dropout", "dropout"]
    else:
        assert ran == ["matmul", "matmul", "sum", "sum", "cast", "cast", "dropout", "dropout"]


def test_bad_symbolic_op_names_the_shapes(backend):
    x, y = Input((3,)), Input((4,))
    with pytest.raises(ValueError, match=r"op 'matmul' to symbolic inputs of shapes "
                                         r"\[\(None, 3\), \(None, 4\)\]"):
        ops.matmul(x, y)
    with pytest.raises(ValueError, match="Expected the name of an op"):
        OpLayer("no_such_op", ([], {}))


def test_loss_functions_and_objects_on_symbolic_tensors_match_numpy(backend):
    logits_in, target, labels = Input((4,)), Input((4,)), Input((1,), dtype="int32")
    probs = K.softmax(logits_in)
    model = Model([logits_in, target, labels],
                  [losses.mean_squared_error(target, probs),
                   losses.categorical_crossentropy(target, probs),
                   losses.sparse_categorical_crossentropy(labels, probs),
                   losses.MeanSquaredError()(target, probs)])
    rng = np.random.default_rng(4)
    z = rng.normal(size=(5, 4)).astype(np.float32)
    t = rng.random((5, 4)).astype(np.float32)
    t /= t.sum(1, keepdims=True)
    idx = rng.integers(0, 4, (5, 1)).astype(np.int32)
    p = np.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    log_p = np.log(np.clip(p, 1e-7, 1 - 1e-7))
    want = [((t - p) ** 2).mean(1), -(t * log_p).sum(1),
            -log_p[np.arange(5), idx[:, 0]], ((t - p) ** 2).mean()]
    for got, expected in zip(model.predict([z, t, idx]), want):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_learning_phase_as_an_op_argument_reads_the_mode(backend):
    x = Input((2,))
    chosen = ops.where(K.learning_phase(), x * 2, x - 1)
    fn = K.function([x, K.learning_phase()], [chosen])
    xs = _data(d=2)
    np.testing.assert_allclose(fn([xs, 1])[0], 2 * xs)
    np.testing.assert_allclose(fn([xs, 0])[0], xs - 1, rtol=1e-6)
    with pytest.raises(ValueError, match="only symbolic argument"):
        ops.cast(K.learning_phase(), "float32")
