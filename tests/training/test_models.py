"""Sequential and functional models, weights, inference and moving between engines."""

import numpy as np
import pytest

from keras_bridge import backends
import keras_bridge
from keras_bridge import layers, ops, testing
from keras_bridge.layers import Activation, Dense, Dropout, Input, concatenate
from keras_bridge.models import Model, Sequential
from keras_bridge.utils import set_random_seed

from conftest import both_backends


def _softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def _mlp():
    return Sequential([Dense(32, input_shape=(784,)), Activation("relu"), Dense(10),
                       Activation("softmax")])


def test_issue_example_sequential(backend):
    model = _mlp()
    assert [l.name for l in model.layers] == ["dense", "activation", "dense_1", "activation_1"]
    W, b = model.layers[0].get_weights()
    assert W.shape == (784, 32) and b.shape == (32,)
    x = np.random.default_rng(0).random((70, 784), dtype=np.float32)
    y = model.predict(x)
    assert isinstance(y, np.ndarray) and y.shape == (70, 10)
    W2, b2 = model.layers[2].get_weights()
    expected = _softmax(np.maximum(x @ W + b, 0) @ W2 + b2)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    assert model.backend_name == backend


def test_sequential_add_pop_and_deferred_build(backend):
    model = Sequential()
    model.add(Dense(4))
    model.add(Activation("tanh"))
    assert not model.built
    with pytest.raises(ValueError, match="not built"):
        model.count_params()
    x = np.ones((3, 5), np.float32)
    y = model.predict(x)
    assert y.shape == (3, 4) and model.built
    assert model.layers[0].get_weights()[0].shape == (5, 4)
    model.pop()
    assert [l.name for l in model.layers] == ["dense"]
    assert model.outputs[0].shape == (None, 4)
    with pytest.raises(TypeError, match="no layers"):
        Sequential().pop()


def test_sequential_input_specs(backend):
    assert Sequential([Dense(2, input_dim=3)]).inputs[0].shape == (None, 3)
    assert Sequential([Dense(2, input_shape=(3,), batch_size=8)]).inputs[0].shape == (8, 3)
    with pytest.warns(DeprecationWarning, match="batch_input_shape"):
        m = Sequential([Dense(2, batch_input_shape=(4, 3))])
    assert m.inputs[0].shape == (4, 3)
    m = Sequential([Input(shape=(6,)), Dense(2)])
    assert m.inputs[0].shape == (None, 6) and len(m.layers) == 1


def test_sequential_rejects_bad_layers_and_stays_unchanged(backend):
    model = Sequential([Dense(4, input_shape=(3,))])
    with pytest.raises(TypeError, match="instance of class Layer"):
        model.add("dense")
    with pytest.raises(ValueError, match=r"'permute'.*expected ndim=3, found ndim=2"):
        model.add(layers.Permute((2, 1)))  # needs a rank-3 input
    assert len(model.layers) == 1 and model.outputs[0].shape == (None, 4)
    assert model.predict(np.ones((2, 3), np.float32)).shape == (2, 4)


def test_functional_multi_io_shared_layer(backend):
    a, b = Input(shape=(4,), name="a"), Input(shape=(4,), name="b")
    shared = Dense(3, activation="tanh", name="shared")
    merged = concatenate([shared(a), shared(b)])
    out1, out2 = Dense(1, name="o1")(merged), Dense(2, name="o2")(merged)
    model = Model(inputs=[a, b], outputs=[out1, out2])
    assert model.input_names == ["a", "b"] and model.output_names == ["o1", "o2"]
    assert [l.name for l in model.layers] == ["a", "b", "shared", "concatenate", "o1", "o2"]
    assert len(shared.weights) == 2  # one set of weights for both calls
    assert model.count_params() == (4 * 3 + 3) + (6 + 1) + (6 * 2 + 2)
    rng = np.random.default_rng(1)
    xa, xb = rng.random((5, 4), np.float32), rng.random((5, 4), np.float32)
    y1, y2 = model.predict([xa, xb])
    K, k = shared.get_weights()
    h = np.concatenate([np.tanh(xa @ K + k), np.tanh(xb @ K + k)], axis=-1)
    W1, c1 = model.get_layer("o1").get_weights()
    np.testing.assert_allclose(y1, h @ W1 + c1, rtol=1e-5, atol=1e-6)
    assert y2.shape == (5, 2)
    by_name = model.predict({"b": xb, "a": xa})
    np.testing.assert_allclose(by_name[0], y1, rtol=1e-6)


def test_dict_inputs_and_outputs(backend):
    x = Input(shape=(3,), name="x")
    model = Model({"x": x}, {"double": layers.Lambda(lambda t: t * 2)(x),
                            "dense": Dense(2)(x)})
    out = model.predict({"x": np.ones((2, 3), np.float32)})
    assert set(out) == {"double", "dense"}
    np.testing.assert_allclose(out["double"], 2 * np.ones((2, 3)))
    assert model.output_names == ["double", "dense"]


def test_nested_model_as_layer(backend):
    inner_in = Input(shape=(4,))
    inner = Model(inner_in, Dense(3, activation="relu")(inner_in), name="inner")
    outer_in = Input(shape=(4,))
    outer = Model(outer_in, Dense(1)(inner(outer_in)))
    assert outer.get_layer("inner") is inner
    assert len(outer.weights) == 4
    x = np.random.default_rng(2).random((6, 4), np.float32)
    W, b = inner.layers[1].get_weights()
    V, c = outer.layers[2].get_weights()
    np.testing.assert_allclose(outer.predict(x), np.maximum(x @ W + b, 0) @ V + c,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(inner.predict(x), np.maximum(x @ W + b, 0), rtol=1e-5,
                               atol=1e-6)


def test_default_names_are_unique(backend):
    names = [Dense(1).name for _ in range(3)]
    assert names == ["dense", "dense_1", "dense_2"]
    assert Input(shape=(1,)).node.layer.name == "input_1"
    assert Sequential().name == "sequential" and Sequential().name == "sequential_1"


def test_get_layer_errors(backend):
    model = _mlp()
    assert model.get_layer(index=1).name == "activation"
    with pytest.raises(ValueError, match=r"No such layer: 'nope'.*dense"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="only has 4 layers"):
        model.get_layer(index=9)


def test_graph_errors(backend):
    a, b = Input(shape=(2,)), Input(shape=(2,))
    out = layers.add([a, b])
    with pytest.raises(ValueError, match="Graph disconnected"):
        Model(a, out)
    with pytest.raises(ValueError, match="made by Input"):
        Model(Dense(2)(a), out)
    with pytest.raises(ValueError, match="both inputs= and outputs="):
        Model(inputs=a)


def test_predict_batches_and_call(backend):
    model = _mlp()
    x = np.random.default_rng(3).random((70, 784), np.float32)
    full = model.predict(x, batch_size=70)
    np.testing.assert_allclose(model.predict(x, batch_size=32), full, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict_on_batch(x[:5]), full[:5], rtol=1e-5, atol=1e-7)
    tensor = model(x[:5])
    assert ops.backend_for(tensor).NAME == backend
    np.testing.assert_allclose(ops.convert_to_numpy(tensor), full[:5], rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(model.predict(x.astype(np.float64))[:5], full[:5], rtol=1e-5)


def test_predict_input_errors(backend):
    a, b = Input(shape=(4,), name="pixels"), Input(shape=(2,), name="extra")
    model = Model([a, b], Dense(1)(concatenate([a, b])))
    with pytest.raises(ValueError, match=r"'pixels'.*expected shape \(None, 4\), received "
                                         r"shape \(3, 5\)"):
        model.predict([np.ones((3, 5)), np.ones((3, 2))])
    with pytest.raises(ValueError, match=r"expects 2 input\(s\).*received 1"):
        model.predict([np.ones((3, 4))])
    with pytest.raises(ValueError, match="same number of samples"):
        model.predict([np.ones((3, 4)), np.ones((2, 2))])
    with pytest.raises(ValueError, match=r"missing input\(s\) \['extra'\]"):
        model.predict({"pixels": np.ones((3, 4))})
    with pytest.raises(ValueError, match="empty"):
        model.predict([np.ones((0, 4)), np.ones((0, 2))])
    with pytest.raises(ValueError, match="batch_size"):
        model.predict([np.ones((3, 4)), np.ones((3, 2))], batch_size=0)


def test_model_weights_roundtrip_and_errors(backend):
    model = _mlp()
    model.predict(np.ones((1, 784), np.float32))  # bound: the engine owns the weights
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(784, 32), (32,), (32, 10), (10,)]
    new = [np.full(w.shape, 0.01 * (i + 1), np.float32) for i, w in enumerate(weights)]
    model.set_weights(new)
    for got, want in zip(model.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    bad = list(new)
    bad[2] = np.zeros((10, 32), np.float32)
    bad[0] = np.zeros((784, 32), np.float32)
    with pytest.raises(ValueError, match=r"'dense_1'.*'kernel'.*\(32, 10\).*\(10, 32\)"):
        model.set_weights(bad)
    for got, want in zip(model.get_weights(), new):  # nothing changed, not even weight 0
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="expects 4 weights"):
        model.set_weights(new[:3])


def test_trainable_flags(backend):
    model = _mlp()
    assert len(model.trainable_weights) == 4 and not model.non_trainable_weights
    model.layers[0].trainable = False
    scope = model.name  # a Sequential's layers build in its scope (Keras 3's paths)
    assert [w.path for w in model.non_trainable_weights] == [f"{scope}/dense/kernel",
                                                             f"{scope}/dense/bias"]
    assert [w.path for w in model.trainable_weights] == [f"{scope}/dense_1/kernel",
                                                         f"{scope}/dense_1/bias"]


def test_dropout_is_identity_in_predict(backend):
    model = Sequential([Dense(8, input_shape=(4,)), Dropout(0.5)])
    x = np.ones((3, 4), np.float32)
    W, b = model.layers[0].get_weights()
    np.testing.assert_allclose(model.predict(x), x @ W + b, rtol=1e-5, atol=1e-6)


def test_seed_gives_identical_weights_on_every_engine():
    weights = {}
    for name in backends.available():
        keras_bridge.config.set_backend(name)
        set_random_seed(42)
        model = _mlp()
        model.predict(np.zeros((1, 784), np.float32))  # bind to the engine
        weights[name] = model.get_weights()
    first = next(iter(weights.values()))
    for ws in weights.values():
        for a, b in zip(ws, first):
            np.testing.assert_array_equal(a, b)
    set_random_seed(43)
    assert not np.array_equal(_mlp().get_weights()[0], first[0])


class Affine(layers.Layer):
    """A custom layer as a user writes it."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units),
                                 initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="ones", name="b")

    def call(self, inputs):
        return ops.matmul(inputs, self.w) + self.b


class TwoTower(Model):
    def __init__(self):
        super().__init__()
        self.left = Dense(5, activation="relu")
        self.right = Affine(5)
        self.head = Dense(1)

    def call(self, inputs, training=None):
        return self.head(ops.multiply(self.left(inputs), self.right(inputs)))


def test_custom_layer_runs_on_engine(backend):
    inp = Input(shape=(3,))
    out = Affine(2)(inp)
    assert out.shape == (None, 2)  # found by running call on small arrays
    model = Model(inp, out)
    x = np.random.default_rng(4).random((4, 3), np.float32)
    w, b = model.layers[1].get_weights()
    np.testing.assert_allclose(model.predict(x), x @ w + b, rtol=1e-5, atol=1e-6)
    assert [wt.path for wt in model.weights] == ["affine/w", "affine/b"]


def test_subclassed_model(backend):
    model = TwoTower()
    x = np.random.default_rng(5).random((6, 3), np.float32)
    y = model.predict(x)
    assert y.shape == (6, 1)
    # built in the model's first call, inside its scope (Keras 3's paths)
    assert [w.path for w in model.weights] == [
        f"{model.name}/{p}" for p in ("dense/kernel", "dense/bias", "affine/w", "affine/b",
                                      "dense_1/kernel", "dense_1/bias")]
    (K, k), (w, b), (H, h) = (l.get_weights() for l in (model.left, model.right, model.head))
    expected = (np.maximum(x @ K + k, 0) * (x @ w + b)) @ H + h
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ops.convert_to_numpy(model(x)), expected, rtol=1e-5, atol=1e-6)


@both_backends()
def test_to_backend_moves_weights_and_keeps_original():
    keras_bridge.config.set_backend("torch")
    model = _mlp()
    x = np.random.default_rng(6).random((9, 784), np.float32)
    y = model.predict(x)
    jm = model.to_backend("jax")
    assert jm.backend_name == "jax" and model.backend_name == "torch"
    np.testing.assert_allclose(jm.predict(x), y, rtol=1e-5, atol=1e-6)
    for a, b in zip(jm.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    jm.set_weights([np.zeros_like(w) for w in jm.get_weights()])
    np.testing.assert_allclose(model.predict(x), y, rtol=1e-6)  # the original is untouched
    back = jm.to_backend("torch")
    np.testing.assert_allclose(back.predict(x), np.full((9, 10), 0.1), rtol=1e-6)
    with pytest.raises(ValueError, match="Expected one of"):
        model.to_backend("tensorflow")


@both_backends()
def test_parity_tool_on_issue_models():
    set_random_seed(7)
    a, b = Input(shape=(4,)), Input(shape=(3,))
    shared = Dense(6, activation="tanh")
    h = concatenate([shared(Dense(6)(a)), shared(Dense(6)(b))])
    model = Model([a, b], [Dense(1)(h), Dense(3, activation="softmax")(h)])
    rng = np.random.default_rng(8)
    inputs = [rng.random((5, 4), np.float32), rng.random((5, 3), np.float32)]
    results = testing.assert_backends_agree(model, inputs)
    assert set(results) == {"torch", "jax"}
    assert len(results["jax"][1]) == len(model.trainable_weights)
    testing.assert_backends_agree(TwoTower, np.ones((2, 3), np.float32))


@both_backends()
def test_parity_tool_reports_worst_element():
    set_random_seed(9)
    model = Sequential([Dense(3, input_shape=(2,))])

    class Skewed(layers.Layer):
        def call(self, inputs):  # differs on one engine only
            name = ops.backend_for(inputs).NAME
            return inputs * (1.001 if name == "jax" else 1.0)

    model.add(Skewed())
    with pytest.raises(AssertionError, match=r"output 0: .* worst at index"):
        testing.assert_backends_agree(model, np.ones((2, 2), np.float32))


def test_device_scope(backend):
    model = _mlp()
    with keras_bridge.device("cpu"):
        y = model.predict(np.ones((2, 784), np.float32))
    assert y.shape == (2, 10)
    assert model.layers[0]._device == "cpu"
    other = _mlp()
    with pytest.raises(ValueError, match=r"not available.*Available devices: \[.*'cpu'"):
        with keras_bridge.device("cuda:7"):
            other.predict(np.ones((2, 784), np.float32))
    with pytest.raises(ValueError, match="device name"):
        with keras_bridge.device(""):
            pass


def test_sequential_changes_after_use_rebind(backend):
    model = Sequential([Dense(4, input_shape=(3,))])
    x = np.ones((2, 3), np.float32)
    first = model.predict(x)
    model.add(Dense(2, kernel_initializer="ones"))
    np.testing.assert_allclose(model.predict(x), first.sum(axis=1, keepdims=True).repeat(2, 1),
                               rtol=1e-5, atol=1e-6)
    model.pop()
    np.testing.assert_allclose(model.predict(x), first, rtol=1e-6)


def test_keras2_graph_properties(backend):
    a, b = Input(shape=(4,), name="a"), Input(shape=(2,), name="b")
    out = Dense(3)(concatenate([a, b]))
    model = Model([a, b], out)
    assert model.input == [a, b] and model.output is out
    assert model.input_shape == [(None, 4), (None, 2)] and model.output_shape == (None, 3)
    dense = model.layers[-1]
    assert dense.input_shape == (None, 6) and dense.output_shape == (None, 3)
    with pytest.raises(AttributeError, match="no input yet"):
        Sequential().input
    with pytest.raises(AttributeError, match="never been called"):
        Dense(2).output


class NoTrainingArg(Model):
    def __init__(self):
        super().__init__()
        self.dense = Dense(2, kernel_initializer="ones")

    def call(self, inputs):
        return self.dense(inputs)


def test_subclassed_call_without_training_argument(backend):
    model = NoTrainingArg()
    np.testing.assert_allclose(model.predict(np.ones((3, 4), np.float32)), np.full((3, 2), 4.0))


def test_freezing_a_model_freezes_its_layers(backend):
    inner_in = Input(shape=(3,))
    inner = Model(inner_in, Dense(2)(inner_in))
    outer_in = Input(shape=(3,))
    outer = Model(outer_in, Dense(1)(inner(outer_in)))
    inner.trainable = False
    assert [w.path for w in outer.trainable_weights] == ["dense_1/kernel", "dense_1/bias"]
    inner.trainable = True
    assert len(outer.trainable_weights) == 4
