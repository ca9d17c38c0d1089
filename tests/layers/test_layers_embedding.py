"""Embedding on both engines: lookups against numpy indexing of the layer's matrix,
Keras's weights and config, the out-of-range error, gradients (torch vs JAX, and an
SGD step by hand) and the mask_zero mask."""

import json

import numpy as np
import pytest

from keras_bridge import backends
from conftest import both_backends
from keras_bridge import Input, Model, config, ops, optimizers, testing
from keras_bridge.layers import Dense, Embedding, Flatten, TimeDistributed
from keras_bridge.layers.embedding import check_index_inputs
from keras_bridge.models import Sequential


def _tensor(x):
    return backends.get(config.backend()).ops.convert_to_tensor(x)


def _indices(*shape, high=10, seed=0):
    return np.random.default_rng(seed).integers(0, high, size=shape).astype("int32")


# ---- lookups, weights, config ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 6), (3,), (2, 3, 4)])
def test_lookup_matches_numpy_indexing(backend, shape):
    layer = Embedding(10, 5)
    x = _indices(*shape)
    out = layer(_tensor(x))
    assert backends.backend_of_type(type(out)) == backend
    matrix = layer.embeddings.numpy()
    np.testing.assert_array_equal(ops.convert_to_numpy(out), matrix[x])
    assert tuple(out.shape) == shape + (5,)


def test_float_and_int64_indices(backend):
    """Keras casts float indices to integers (truncation) and takes int64 as is."""
    layer = Embedding(6, 2)
    got = ops.convert_to_numpy(layer(_tensor(np.array([[0.0, 2.0, 5.0]], "float32"))))
    matrix = layer.embeddings.numpy()
    np.testing.assert_array_equal(got, matrix[[[0, 2, 5]]])
    got = ops.convert_to_numpy(layer(_tensor(np.array([[4, 1]], "int64"))))
    np.testing.assert_array_equal(got, matrix[[[4, 1]]])


def test_weights_shapes_and_default_initializer():
    layer = Embedding(1000, 64)
    out = layer(Input(shape=(10,), dtype="int32"))
    assert out.shape == (None, 10, 64) and out.dtype == "float32"
    assert [w.name for w in layer.weights] == ["embeddings"]
    matrix = layer.embeddings.numpy()
    assert matrix.shape == (1000, 64) and layer.count_params() == 64000
    assert matrix.min() >= -0.05 and matrix.max() <= 0.05  # 'uniform': U(-0.05, 0.05)
    assert matrix.std() > 0.02


def test_initial_weights_matrix_and_list():
    matrix = np.arange(12, dtype="float32").reshape(4, 3)
    for weights in (matrix, [matrix]):
        layer = Embedding(4, 3, weights=weights)
        assert layer.built
        np.testing.assert_array_equal(layer.get_weights()[0], matrix)
    with pytest.raises(ValueError, match="has shape \\(4, 3\\).*\\(3, 3\\)"):
        Embedding(4, 3, weights=np.zeros((3, 3)))


def test_config_round_trip():
    layer = Embedding(50, 8, embeddings_initializer="zeros", mask_zero=True,
                      embeddings_regularizer="l2", name="words")
    cfg = layer.get_config()
    json.dumps(cfg)
    clone = Embedding.from_config(cfg)
    assert clone.get_config() == cfg
    assert (cfg["input_dim"], cfg["output_dim"], cfg["mask_zero"]) == (50, 8, True)


def test_bad_arguments():
    for kwargs in ({"input_dim": 0, "output_dim": 3}, {"input_dim": 5, "output_dim": 2.5}):
        with pytest.raises(ValueError, match="positive integer"):
            Embedding(**kwargs)


def test_input_length_is_deprecated_and_sets_the_input_shape():
    with pytest.warns(DeprecationWarning, match="input_length"):
        layer = Embedding(100, 4, input_length=7)
    model = Sequential([layer, Flatten(), Dense(1)])
    assert model.output_shape == (None, 1)
    assert layer.output.shape == (None, 7, 4)


# ---- out-of-range indices ----------------------------------------------------------------
@pytest.mark.parametrize("bad,value", [(10, 10), (-1, -1), (99.0, 99.0)])
def test_out_of_range_index_is_a_clear_error_in_eager_calls(backend, bad, value):
    layer = Embedding(10, 3, name="words")
    dtype = "float32" if isinstance(bad, float) else "int32"
    x = np.array([[1, 2, 3], [4, 0, 7]], dtype=dtype)
    x[1, 2] = bad
    with pytest.raises(ValueError, match=r"Embedding layer 'words' received index "
                                         rf"{value!r} at position \(1, 2\).*\[0, 10\)"):
        layer(_tensor(x))


def test_out_of_range_error_in_torch_programs_on_the_cpu():
    """torch checks host-resident indices in fit / predict too (no device sync)."""
    pytest.importorskip("torch")
    config.set_backend("torch")
    inputs = Input(shape=(3,), dtype="int32")
    model = Model(inputs, Dense(1)(Flatten()(Embedding(5, 2, name="emb")(inputs))))
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.array([[0, 1, 4], [2, 3, 5]]), np.zeros((2, 1), "float32")
    with pytest.raises(ValueError, match="'emb' received index 5 at position \\(1, 2\\)"):
        model.predict(x)
    with pytest.raises(ValueError, match="'emb' received index 5"):
        model.fit(x, y, verbose=0)


def test_out_of_range_rows_are_nan_inside_jit():
    """Under jax.jit indices are traced and cannot raise: their rows are NaN (negative
    indices too, instead of wrapping), and their gradient is zero."""
    jax = pytest.importorskip("jax")
    import jax.numpy as jnp
    config.set_backend("jax")
    from keras_bridge.backends.jax.seq_rules import embedding_rule
    from keras_bridge.variables import substitute
    layer = Embedding(4, 2)
    layer.build(None)
    matrix = jnp.asarray(layer.embeddings.numpy())

    def lookup(values, indices):
        with substitute({id(layer.embeddings): values}):
            return embedding_rule(layer, indices)

    rows = jax.jit(lookup)(matrix, jnp.array([0, 3, 4, -1]))
    np.testing.assert_array_equal(np.asarray(rows[:2]), np.asarray(matrix)[[0, 3]])
    assert np.isnan(np.asarray(rows[2:])).all()
    grad = jax.jit(jax.grad(lambda m, i: jnp.nansum(lookup(m, i))))(
        matrix, jnp.array([1, 4, -1]))
    np.testing.assert_array_equal(np.asarray(grad), [[0, 0], [1, 1], [0, 0], [0, 0]])


def test_out_of_range_rows_are_nan_on_torch_accelerators():
    """The lookup torch uses for indices on an accelerator (no host sync), run here on
    CPU tensors: NaN rows for out-of-range indices, zero gradient for them."""
    torch = pytest.importorskip("torch")
    from keras_bridge.backends.torch.seq_rules import nan_filled_lookup
    matrix = torch.arange(8.0).reshape(4, 2).requires_grad_()
    rows = nan_filled_lookup(torch.tensor([[0, 3], [4, -1]]), matrix)
    np.testing.assert_array_equal(rows[0].detach().numpy(), [[0, 1], [6, 7]])
    assert torch.isnan(rows[1]).all()
    torch.nansum(rows).backward()
    np.testing.assert_array_equal(matrix.grad.numpy(), [[1, 1], [0, 0], [0, 0], [1, 1]])


def test_data_entry_check_covers_direct_inputs_wrappers_and_nested_models():
    ids = Input(shape=(3,), dtype="int32")
    other = Input(shape=(2, 3), dtype="int32")
    inner_in = Input(shape=(3,), dtype="int32")
    inner = Model(inner_in, Flatten()(Embedding(4, 2, name="inner_emb")(inner_in)))
    merged = [Flatten()(Embedding(6, 2, name="emb")(ids)), inner(ids),
              Flatten()(TimeDistributed(Embedding(3, 2, name="td_emb"))(other))]
    model = Model([ids, other], merged)
    good = [np.array([[0, 1, 3]]), np.zeros((1, 2, 3), "int32")]
    check_index_inputs(model, good)
    with pytest.raises(ValueError, match="'inner_emb' received index 5"):
        check_index_inputs(model, [np.array([[0, 5, 3]]), good[1]])
    with pytest.raises(ValueError,
                       match="'td_emb' received index 3 at position \\(0, 1, 2\\)"):
        check_index_inputs(model, [good[0], np.array([[[0, 1, 2], [0, 1, 3]]])])


# ---- gradients ---------------------------------------------------------------------------
def _embedding_model():
    inputs = Input(shape=(5,), dtype="int32")
    x = Embedding(7, 4, embeddings_initializer="random_normal")(inputs)
    return Model(inputs, Dense(3)(Flatten()(x)))


@both_backends()
def test_torch_and_jax_agree_on_outputs_and_gradients():
    x = np.array([[0, 1, 1, 6, 2], [3, 3, 3, 0, 5], [6, 5, 4, 3, 2]])  # repeats accumulate
    results = testing.assert_backends_agree(_embedding_model, x)
    grads = results["jax"][1]
    (path,) = [p for p in grads if p.endswith("/embeddings")]
    assert np.abs(grads[path]).min(axis=1).all()  # every row was looked up


def test_sgd_step_changes_only_the_rows_looked_up(backend):
    """One SGD step on mse against zeros, ``mean(E[x] ** 2)`` over 2 * 3 * 4 entries:
    each row moves by ``-lr * 2 * E[row] / 24`` per occurrence in ``x``."""
    inputs = Input(shape=(3,), dtype="int32")
    emb = Embedding(5, 4, embeddings_initializer="random_normal")
    model = Model(inputs, emb(inputs))
    model.compile(optimizer=optimizers.SGD(learning_rate=0.1), loss="mse")
    x = np.array([[1, 1, 3], [3, 0, 1]])
    before = emb.embeddings.numpy()
    y = np.zeros((2, 3, 4), "float32")
    model.train_on_batch(x, y)
    after = emb.embeddings.numpy()
    counts = np.bincount(x.ravel(), minlength=5)
    expected = before - 0.1 * (2.0 / 24.0) * counts[:, None] * before
    np.testing.assert_allclose(after, expected, rtol=1e-5, atol=1e-7)
    np.testing.assert_array_equal(after[[2, 4]], before[[2, 4]])  # rows never looked up


# ---- mask_zero ---------------------------------------------------------------------------
def test_mask_zero_makes_the_mask_of_nonzero_indices(backend):
    x = np.array([[3, 0, 1, 0], [0, 0, 2, 9]])
    layer = Embedding(10, 2, mask_zero=True)
    mask = layer.compute_mask(_tensor(x))
    assert backends.backend_of_type(type(mask)) == backend
    np.testing.assert_array_equal(ops.convert_to_numpy(mask), x != 0)
    assert Embedding(10, 2).compute_mask(_tensor(x)) is None
    assert layer.supports_masking and not Embedding(10, 2).supports_masking


def test_fit_and_evaluate_read_the_indices_once_per_call(backend, monkeypatch):
    """The out-of-range check is a host pass over every index given: once per call (it
    ran twice in fit, evaluate and train_on_batch), and still where it is the only one
    (a bad index given to fit raises before any step)."""
    from keras_bridge.layers import embedding
    inputs = Input(shape=(3,), dtype="int32")
    model = Model(inputs, Dense(1)(Flatten()(Embedding(5, 2, name="emb")(inputs))))
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.array([[0, 1, 4], [2, 3, 1]]), np.zeros((2, 1), "float32")
    passes = []
    check = embedding.check_indices
    monkeypatch.setattr(embedding, "check_indices",
                        lambda layer, values: (passes.append(values.shape), check(layer,
                                                                                  values)))
    model.fit(x, y, batch_size=2, verbose=0)
    assert passes == [(2, 3)]
    model.evaluate(x, y, verbose=0)
    model.train_on_batch(x, y)
    model.test_on_batch(x, y)
    assert passes == [(2, 3)] * 4
    weights = [w.numpy() for w in model.weights]
    with pytest.raises(ValueError, match="'emb' received index 5"):
        model.fit(np.array([[0, 1, 5], [2, 3, 1]]), y, verbose=0)
    for w, before in zip(model.weights, weights):
        np.testing.assert_array_equal(w.numpy(), before)
