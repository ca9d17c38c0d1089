"""float64 models and mixed precision (issue 18): dtypes, numerics against numpy, training."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import config, layers, mixed_precision, ops


def _dense_conv_lstm():
    return keras.Sequential([keras.Input((5, 3)), layers.Conv1D(4, 2, activation="tanh"),
                             layers.LSTM(3), layers.Dense(2)])


def _numpy_forward(weights, x):
    k, b, lk, lr, lb, dk, db = weights
    conv = np.tanh(np.stack([x[:, t:t + 2].reshape(len(x), -1) @ k.reshape(-1, 4)
                             for t in range(4)], axis=1) + b)
    sig = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    h = c = np.zeros((len(x), 3))
    for t in range(4):
        z = conv[:, t] @ lk + h @ lr + lb
        i, f, g, o = np.split(z, 4, axis=-1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
    return h @ dk + db


def test_float64_model_matches_numpy_and_trains(backend):
    config.set_floatx("float64")
    keras.utils.set_random_seed(3)
    model = _dense_conv_lstm()
    assert all(w.dtype == "float64" for w in model.weights)
    x = np.random.RandomState(0).rand(4, 5, 3)
    x32 = x.astype("float32")  # float32 data is cast to the model's float64
    for got, data in ((model.predict(x, verbose=0), x),
                      (ops.convert_to_numpy(model(x32)), x32.astype("float64"))):
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, _numpy_forward(model.get_weights(), data),
                                   rtol=1e-12, atol=1e-12)
    before = model.get_weights()
    model.compile(keras.optimizers.SGD(0.1), "mse")
    y = np.random.RandomState(1).rand(4, 2)
    model.train_on_batch(x, y)
    after = model.get_weights()
    assert all(w.dtype == np.float64 for w in after)
    # one SGD step on the mse of the numpy forward pass, by central differences
    eps, w0 = 1e-6, before[-1]
    grad = np.zeros_like(w0)
    for idx in np.ndindex(*w0.shape):
        plus, minus = [w.copy() for w in before], [w.copy() for w in before]
        plus[-1][idx] += eps
        minus[-1][idx] -= eps
        grad[idx] = (np.mean((_numpy_forward(plus, x) - y) ** 2) -
                     np.mean((_numpy_forward(minus, x) - y) ** 2)) / (2 * eps)
    np.testing.assert_allclose(after[-1], w0 - 0.1 * grad, rtol=1e-8, atol=1e-9)


def _mlp():
    keras.utils.set_random_seed(7)
    return keras.Sequential([keras.Input((6,)), layers.Dense(16, activation="relu"),
                             layers.Dense(3), layers.Activation("softmax", dtype="float32")])


def test_mixed_bfloat16_computes_in_bfloat16_with_float32_weights(backend):
    mixed_precision.set_global_policy("mixed_bfloat16")
    assert mixed_precision.global_policy() == mixed_precision.Policy("mixed_bfloat16")
    model = _mlp()
    dense = model.layers[0]
    assert dense.dtype_policy.name == "mixed_bfloat16" and dense.dtype == "float32"
    assert (dense.compute_dtype, dense.variable_dtype) == ("bfloat16", "float32")
    assert all(w.dtype == "float32" for w in model.weights)
    x = np.random.RandomState(0).rand(32, 6).astype("float32")
    assert ops.dtype(dense(x)) == "bfloat16"
    assert model.layers[1].output.dtype == "bfloat16"
    w = model.get_weights()
    # the Dense math in bfloat16: inputs and weights rounded, result rounded
    import ml_dtypes
    bf = lambda a: a.astype(ml_dtypes.bfloat16).astype(np.float32)  # noqa: E731
    h = bf(np.maximum(bf(bf(bf(x) @ bf(w[0])) + bf(w[1])), 0))
    np.testing.assert_allclose(ops.convert_to_numpy(dense(x)).astype(np.float32), h,
                               rtol=2e-2, atol=2e-2)
    out = model.predict(x, verbose=0)
    assert out.dtype == np.float32  # the float32 softmax
    y = np.eye(3)[np.arange(32) % 3]
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy")
    losses = model.fit(x, y, epochs=6, batch_size=16, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
    assert all(a.dtype == np.float32 for a in model.get_weights())


@pytest.mark.parametrize("loss", ["categorical_crossentropy",
                                  "sparse_categorical_crossentropy"])
def test_mixed_bfloat16_softmax_loss_reads_the_logits(backend, loss):
    """A 16-bit softmax output is widened to float32 for the loss, and its logits with
    it (keras_bridge/logits.py): a saturated probability (e^-30 / 2, clipped to
    epsilon as a probability) still gives the exact loss and its gradient."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras.Sequential([keras.Input((2,)),
                              layers.Dense(3, activation="softmax", use_bias=False)])
    kernel = np.array([[-30.0, 0.0, 0.0], [0.0, 0.0, 0.0]], np.float32)
    model.set_weights([kernel])
    model.compile(keras.optimizers.SGD(0.1), loss)
    x = np.array([[1.0, 0.0]], np.float32)
    y = np.array([[1.0, 0.0, 0.0]], np.float32) if loss.startswith("categorical") \
        else np.array([0])
    # -log softmax([-30, 0, 0])[0] = 30 + log(2 + e^-30); from the clipped probability
    # it would be -log(1e-7) = 16.1
    exact = 30.0 + np.log(2.0 + np.exp(-30.0))
    np.testing.assert_allclose(model.test_on_batch(x, y), exact, rtol=1e-3)
    model.train_on_batch(x, y)
    # the gradient (softmax - one-hot) times x: [-1, 0.5, 0.5] on the first row (a
    # clipped probability would pass none)
    want = kernel - 0.1 * np.array([[-1.0, 0.5, 0.5], [0.0, 0.0, 0.0]], np.float32)
    np.testing.assert_allclose(model.get_weights()[0], want, rtol=1e-3, atol=1e-3)


def test_a_bfloat16_output_comes_back_as_bfloat16(backend):
    """A mixed model whose last layer computes in bfloat16 predicts bfloat16 numpy
    arrays (ml_dtypes'), as Keras 3 does, on both engines."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = keras.Sequential([keras.Input((6,)), layers.Dense(3, activation="softmax")])
    x = np.random.RandomState(0).rand(4, 6).astype("float32")
    kernel, bias = model.get_weights()
    logits = x @ kernel + bias
    want = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    for out in (model.predict(x, verbose=0), model.predict(x, verbose=0),
                model.predict_on_batch(x)):
        assert str(out.dtype) == "bfloat16"
        np.testing.assert_allclose(out.astype(np.float32), want, rtol=2e-2, atol=1e-2)


def test_mixed_bfloat16_graph_ops_on_symbolic_tensors(backend):
    """Ops between a mixed graph's bfloat16 symbolic tensors (a residual connection)
    find their output specs on both engines (torch's trial ran on numpy zeros, which
    have no bfloat16)."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    inputs = keras.Input((4,))
    hidden = layers.Dense(4)(inputs)
    added = hidden + layers.Dense(4)(inputs)
    assert (added.dtype, ops.cast(hidden, "int32").dtype, (hidden > 0).dtype) == \
        ("bfloat16", "int32", "bool")
    model = keras.Model(inputs, layers.Dense(2, dtype="float32")(added))
    x = np.random.RandomState(0).rand(3, 4).astype("float32")
    k1, b1, k2, b2, k3, b3 = model.get_weights()
    want = ((x @ k1 + b1) + (x @ k2 + b2)) @ k3 + b3
    np.testing.assert_allclose(model.predict(x, verbose=0), want, rtol=3e-2, atol=3e-2)


def test_mixed_normalization_computes_in_float32(backend):
    """Under mixed precision BatchNormalization and LayerNormalization compute in
    float32 with float32 weights (Keras 3: autocast=False) and return the compute
    dtype: the numpy float32 math on the bfloat16 input, rounded once."""
    import ml_dtypes
    mixed_precision.set_global_policy("mixed_bfloat16")
    rng = np.random.RandomState(0)
    x = (rng.rand(8, 6) * 4 + 1).astype("float32")
    xb = x.astype(ml_dtypes.bfloat16).astype(np.float32)  # the input, cast as Keras does
    for layer in (layers.LayerNormalization(epsilon=1e-3),
                  layers.BatchNormalization(epsilon=1e-3)):
        layer.build((None, 6))
        assert [w.autocast for w in layer.weights] == [False] * len(layer.weights)
        gamma = np.linspace(0.5, 1.5, 6).astype("float32") + 1e-3  # not a bfloat16 value
        layer.set_weights([gamma] + [w for w in layer.get_weights()[1:]])
        axis = -1 if isinstance(layer, layers.LayerNormalization) else 0
        mean, var = xb.mean(axis, keepdims=True), xb.var(axis, keepdims=True)
        want = (xb - mean) / np.sqrt(var + 1e-3) * gamma
        got = layer(x, training=True)
        assert ops.dtype(got) == "bfloat16"
        np.testing.assert_allclose(ops.convert_to_numpy(got).astype(np.float32), want,
                                   rtol=8e-3, atol=8e-3)


def _mixed_dense_model():
    return keras.Sequential([keras.Input((6,)), layers.Dense(8, activation="relu"),
                             layers.Dropout(0.0), layers.Dense(3),
                             layers.Activation("softmax")]), \
        np.random.RandomState(0).rand(16, 6).astype("float32")


def _mixed_sequence_model():
    return keras.Sequential([keras.Input((5,), dtype="int32"), layers.Embedding(12, 4),
                             layers.EinsumDense("abc,cd->abd", output_shape=(None, 6),
                                                bias_axes="d", activation="tanh"),
                             layers.Flatten(), layers.Dense(3, activation="softmax")]), \
        np.random.RandomState(0).randint(0, 12, (16, 5))


def _mixed_normalized_model():
    return keras.Sequential([keras.Input((6,)), layers.Dense(8),
                             layers.BatchNormalization(), layers.LayerNormalization(),
                             layers.Dense(3, activation="softmax")]), \
        np.random.RandomState(0).rand(16, 6).astype("float32")


def test_bfloat16_inputs_reach_a_bfloat16_model(backend):
    """A bfloat16 model fed ml_dtypes' bfloat16 arrays (Input(dtype="bfloat16")):
    predict twice (the general path, then the short one) and train, on both engines
    (torch's host transfer turned bfloat16 arrays into float32 tensors)."""
    import ml_dtypes
    inputs = keras.Input((3,), dtype="bfloat16")
    model = keras.Model(inputs, layers.Dense(2, dtype="bfloat16")(inputs))
    x = np.random.RandomState(0).rand(4, 3).astype(ml_dtypes.bfloat16)
    kernel, bias = (w.astype(np.float32) for w in model.get_weights())
    want = x.astype(np.float32) @ kernel + bias
    for out in (model.predict(x, verbose=0), model.predict(x, verbose=0)):
        assert str(out.dtype) == "bfloat16"
        np.testing.assert_allclose(out.astype(np.float32), want, rtol=3e-2, atol=3e-2)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.train_on_batch(x, np.zeros((4, 2), ml_dtypes.bfloat16))


@pytest.mark.parametrize("make", [_mixed_dense_model, _mixed_sequence_model,
                                  _mixed_normalized_model],
                         ids=["dense", "embedding-einsum", "normalization"])
def test_mixed_torch_rules_match_the_reference_calls(monkeypatch, make):
    """On torch mixed Dense, EinsumDense, Embedding, Activation, Dropout and the
    normalization layers run their fused rules (the weights cast per call; the
    normalizations in float32), the same math as the layers' reference calls within
    bfloat16's rounding: outputs and one SGD step."""
    pytest.importorskip("torch")
    from keras_bridge.backends.torch import core_rules, einsum_rules, norm_rules, seq_rules
    from keras_bridge.backends.torch.lowering import CallModule
    config.set_backend("torch")
    mixed_precision.set_global_policy("mixed_bfloat16")
    y = np.eye(3)[np.arange(16) % 3]
    ruled_kinds = (layers.Dense, layers.EinsumDense, layers.Embedding, layers.Activation,
                   layers.Dropout, layers.BatchNormalization, layers.LayerNormalization)

    def run():
        keras.utils.set_random_seed(2)
        model, x = make()
        model.compile(keras.optimizers.SGD(0.5), "categorical_crossentropy")
        out = model.predict(x, verbose=0)
        model.train_on_batch(x, y)
        return model, out, model.get_weights()

    ruled, out, weights = run()
    assert not any(isinstance(layer._binding, CallModule) for layer in ruled.layers
                   if isinstance(layer, ruled_kinds))
    for rule in (core_rules.dense_rule, core_rules.activation_rule, core_rules.dropout_rule,
                 einsum_rules.einsum_dense_rule, seq_rules.embedding_rule,
                 norm_rules.batch_normalization_rule, norm_rules.layer_normalization_rule):
        monkeypatch.setattr(rule, "computes_mixed", False)
    reference, ref_out, ref_weights = run()
    assert all(isinstance(layer._binding, CallModule) for layer in reference.layers
               if isinstance(layer, ruled_kinds))
    assert out.dtype == ref_out.dtype
    np.testing.assert_allclose(out.astype(np.float32), ref_out.astype(np.float32),
                               rtol=2e-2, atol=2e-2)
    for a, b in zip(weights, ref_weights):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_allclose(a, b, rtol=2e-2, atol=2e-2)


def test_mixed_bfloat16_engines_agree():
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _mlp()
    twin = model.to_backend("jax" if model.backend_name == "torch" else "torch")
    x = np.random.RandomState(0).rand(8, 6).astype("float32")
    np.testing.assert_allclose(model.predict(x, verbose=0), twin.predict(x, verbose=0),
                               rtol=2e-2, atol=1e-2)


def test_layer_policy_argument_and_saving(backend, tmp_path):
    model = keras.Sequential([keras.Input((4,)),
                              layers.Dense(3, dtype="mixed_bfloat16"),
                              layers.Dense(2, dtype=keras.DTypePolicy("float32"))])
    cfg = model.layers[0].get_config()["dtype"]
    # what Keras 3.15 writes for this layer (checked with the installed Keras)
    assert cfg == {"module": "keras", "class_name": "DTypePolicy",
                   "config": {"name": "mixed_bfloat16"}, "registered_name": None}
    x = np.ones((2, 4), np.float32)
    expected = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.layers[0].dtype_policy.name == "mixed_bfloat16"
    assert loaded.layers[0].kernel.dtype == "float32"
    np.testing.assert_allclose(loaded.predict(x, verbose=0), expected)


@pytest.mark.parametrize("make", [
    lambda: layers.ConvLSTM1D(2, 2),
    lambda: layers.RNN(layers.StackedRNNCells([layers.LSTMCell(3, dropout=0.5),
                                               layers.GRUCell(2, recurrent_dropout=0.3)])),
    lambda: layers.RNN(layers.SimpleRNNCell(3))], ids=["convlstm", "stacked", "simple"])
def test_mixed_recurrent_states_start_in_the_compute_dtype(backend, make):
    """Initial states and dropout masks are made in the compute dtype (Keras 3's
    get_initial_state): a mixed recurrent layer's output stays bfloat16, in inference
    and in training (float32 zeros made a ConvLSTM's output float32)."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    layer = make()
    shape = (2, 3, 5, 4) if isinstance(layer, layers.ConvLSTM1D) else (2, 5, 4)
    x = np.random.RandomState(0).rand(*shape).astype("float32")
    assert ops.dtype(layer(x)) == "bfloat16"
    assert ops.dtype(layer(x, training=True)) == "bfloat16"


_R = np.random.RandomState(0)
_X2, _X3 = _R.rand(2, 6).astype("float32"), _R.rand(2, 5, 6).astype("float32")
_X4 = _R.rand(2, 6, 6, 3).astype("float32")
_MIXED_LAYERS = {  # name: (layer factory, how it is called)
    "Dense": (lambda: layers.Dense(3), lambda l: l(_X2)),
    "Conv1D": (lambda: layers.Conv1D(2, 2), lambda l: l(_X3)),
    "Conv2D": (lambda: layers.Conv2D(2, 2), lambda l: l(_X4)),
    "Conv2DTranspose": (lambda: layers.Conv2DTranspose(2, 2), lambda l: l(_X4)),
    "SeparableConv2D": (lambda: layers.SeparableConv2D(2, 2), lambda l: l(_X4)),
    "DepthwiseConv2D": (lambda: layers.DepthwiseConv2D(2), lambda l: l(_X4)),
    "pooling": (lambda: layers.AveragePooling2D(), lambda l: l(_X4)),
    "global pooling": (lambda: layers.GlobalAveragePooling1D(), lambda l: l(_X3)),
    "BatchNormalization": (lambda: layers.BatchNormalization(),
                           lambda l: l(_X4, training=True)),
    "LayerNormalization": (lambda: layers.LayerNormalization(), lambda l: l(_X3)),
    "GroupNormalization": (lambda: layers.GroupNormalization(3), lambda l: l(_X4)),
    "UnitNormalization": (lambda: layers.UnitNormalization(), lambda l: l(_X2)),
    "Dropout": (lambda: layers.Dropout(0.5), lambda l: l(_X2, training=True)),
    "GaussianNoise": (lambda: layers.GaussianNoise(0.1), lambda l: l(_X2, training=True)),
    "PReLU": (lambda: layers.PReLU(), lambda l: l(_X2)),
    "Softmax": (lambda: layers.Softmax(), lambda l: l(_X2)),
    "Embedding": (lambda: layers.Embedding(10, 3), lambda l: l(np.array([[1, 2, 3]]))),
    "Bidirectional": (lambda: layers.Bidirectional(layers.GRU(2)), lambda l: l(_X3)),
    "TimeDistributed": (lambda: layers.TimeDistributed(layers.Dense(2)), lambda l: l(_X3)),
    "MultiHeadAttention": (lambda: layers.MultiHeadAttention(2, 3), lambda l: l(_X3, _X3)),
    "Attention": (lambda: layers.Attention(), lambda l: l([_X3, _X3])),
    "Rescaling": (lambda: layers.Rescaling(2.0), lambda l: l(_X2)),
    "Normalization": (lambda: layers.Normalization(mean=0.5, variance=0.2),
                      lambda l: l(_X2)),
    "AveragePooling3D": (lambda: layers.AveragePooling3D(),
                         lambda l: l(_R.rand(2, 4, 4, 4, 2).astype("float32"))),
    "UpSampling2D": (lambda: layers.UpSampling2D(), lambda l: l(_X4)),
}


@pytest.mark.parametrize("name", sorted(_MIXED_LAYERS))
def test_mixed_layers_return_the_compute_dtype(backend, name):
    """Each built-in layer under mixed_bfloat16 returns bfloat16 for float32 input,
    as Keras 3's do (a float32 sublayer, state or constant inside leaked float32, or
    numpy's missing bfloat16 raised)."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    make, call = _MIXED_LAYERS[name]
    assert ops.dtype(call(make())) == "bfloat16"


def _recurrent(kind):
    keras.utils.set_random_seed(11)
    cell = layers.LSTM if kind == "lstm" else layers.GRU
    return keras.Sequential([keras.Input((7, 3)), cell(5, return_sequences=True),
                             cell(4), layers.Dense(2, dtype="float32")])


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_mixed_bfloat16_recurrent_layers_compute_in_bfloat16(backend, kind):
    """A mixed recurrent layer computes in bfloat16 as Keras 3's does (its sequence and
    states in the compute dtype; torch runs its fused kernel on bfloat16 casts), the
    engines agree within bfloat16's precision, and it trains."""
    mixed_precision.set_global_policy("mixed_bfloat16")
    model = _recurrent(kind)
    x = np.random.RandomState(2).rand(8, 7, 3).astype("float32")
    assert ops.dtype(model.layers[0](x)) == "bfloat16"
    assert ops.dtype(model.layers[1](model.layers[0](x))) == "bfloat16"
    assert all(w.dtype == "float32" for w in model.weights)
    twin = model.to_backend("jax" if model.backend_name == "torch" else "torch")
    np.testing.assert_allclose(model.predict(x, verbose=0), twin.predict(x, verbose=0),
                               rtol=3e-2, atol=3e-2)
    model.compile(keras.optimizers.Adam(0.02), "mse")
    y = np.random.RandomState(3).rand(8, 2).astype("float32")
    losses = model.fit(x, y, epochs=8, batch_size=8, verbose=0).history["loss"]
    assert losses[-1] < losses[0]
