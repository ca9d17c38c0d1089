"""int8 quantization (Keras 3's ``quantize``) of Dense, EinsumDense and Embedding:
the same int8 weights, scales, outputs and input gradients as Keras 3.15.1 (fixture made
by tests/support/make_keras3_quant_fixture.py), torch against JAX, dtype policies,
training, configs, saving (ours and a file Keras saved), and the errors."""

import io
import os
import warnings

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import dtype_policies, ops, quantizers
from keras_bridge.layers import Dense, Embedding, EinsumDense
from tests.support.layer_checks import assert_close, config_roundtrip, rand, run_eager

FIXTURE = os.path.join(os.path.dirname(__file__), os.pardir, "support", "fixtures",
                       "keras3_quant.npz")


def np_abs_max(x, axis):
    """Keras's absmax int8 quantization, written out: 127 over the largest magnitude."""
    scale = (127.0 / (np.abs(x).max(axis=axis, keepdims=True) + 1e-7)).astype(x.dtype)
    return np.clip(np.rint(x * scale), -127, 127).astype("int8"), scale


def make_layer(case):
    return {"dense": lambda: Dense(3), "dense3d": lambda: Dense(4, activation="relu"),
            "einsum_abc_cde": lambda: EinsumDense("abc,cde->abde", (None, 2, 3),
                                                  bias_axes="de"),
            "einsum_abcd_cde": lambda: EinsumDense("abcd,cde->abe", (None, 3), bias_axes="e"),
            "einsum_abc_bcd": lambda: EinsumDense("abc,bcd->ad", 3),
            "embedding": lambda: Embedding(7, 4)}[case]()


CASES = ["dense", "dense3d", "einsum_abc_cde", "einsum_abcd_cde", "einsum_abc_bcd",
         "embedding"]


def input_grad(layer, x, cot, backend):
    """d sum(layer(x) * cot) / dx on ``backend``."""
    if backend == "torch":
        import torch
        t = torch.tensor(x, requires_grad=True)
        (layer(t) * torch.tensor(cot)).sum().backward()
        return t.grad.numpy()
    import jax
    return np.asarray(jax.grad(lambda v: (layer(v) * cot).sum())(x))


def quantized_from_fixture(data, case, backend=None):
    layer = make_layer(case)
    x = data[f"{case}/x"]
    layer.build(x.shape)
    for w in layer.weights:
        w.assign(data[f"{case}/float/{w.name}"])
    if backend is not None:
        layer.bind(backend)
    layer.quantize("int8")
    return layer, x


@pytest.mark.parametrize("case", CASES)
def test_matches_keras3(backend, case):
    data = np.load(FIXTURE)
    assert str(data["keras_version"]) == "3.15.1"
    layer, x = quantized_from_fixture(data, case, backend)
    want = {k.split("/q/")[1]: data[k] for k in data.files if k.startswith(f"{case}/q/")}
    assert [w.name for w in layer.weights] == list(want)  # Keras's order after quantize
    for w in layer.weights:
        got = w.numpy()
        assert got.shape == want[w.name].shape and got.dtype == want[w.name].dtype, w.name
        if got.dtype == np.int8:
            np.testing.assert_array_equal(got, want[w.name])
            assert not w.trainable
        else:
            assert_close(got, want[w.name])
    assert_close(run_eager(layer, x, backend), data[f"{case}/y"])
    if case != "embedding":
        assert_close(input_grad(layer, x, data[f"{case}/cot"], backend), data[f"{case}/dx"])


def test_abs_max_quantize_against_numpy(backend):
    x = rand(3, 4, 5, seed=2)
    for axis in (-1, 0, (0, 2)):
        want_q, want_s = np_abs_max(x, axis)
        q, s = quantizers.abs_max_quantize(x, axis, to_numpy=True)
        np.testing.assert_array_equal(q, want_q)
        assert_close(s, want_s)
        q, s = quantizers.AbsMaxQuantizer(axis=axis)(ops.convert_to_tensor(x))
        assert str(ops.convert_to_numpy(q).dtype) == "int8"
        np.testing.assert_array_equal(ops.convert_to_numpy(q), want_q)
        assert_close(ops.convert_to_numpy(s), want_s)
    # Halves round to even, as numpy and Keras: 127 * 0.5 / 127 -> 0.5 -> 0.
    q, _ = quantizers.abs_max_quantize(np.array([[1.0, 1 / 254]], "float32"), -1)
    np.testing.assert_array_equal(ops.convert_to_numpy(q), [[127, 0]])
    assert quantizers.AbsMaxQuantizer().get_config() == {
        "value_range": (-127, 127), "epsilon": 1e-7, "output_dtype": "int8"}
    with pytest.raises(ValueError, match="within the interval"):
        quantizers.AbsMaxQuantizer(value_range=(-200, 127))


def test_compute_float8_scale(backend):
    amax = np.array([2.0, 0.0, np.inf], "float32")
    scale = np.array([0.5, 0.25, 4.0], "float32")
    got = ops.convert_to_numpy(quantizers.compute_float8_scale(
        ops.convert_to_tensor(amax), ops.convert_to_tensor(scale), 448.0))
    assert_close(got, np.array([2.0 / 448.0, 0.25, 4.0], "float32"))


def test_dense_int8_math_against_numpy(backend):
    layer = Dense(4, activation="relu")
    x = rand(3, 5, seed=4)
    layer.build(x.shape)
    kernel, bias = layer.kernel.numpy(), rand(4, seed=5)
    layer.bias.assign(bias)
    layer.quantize("int8")
    qk, sk = np_abs_max(kernel, 0)
    qx, sx = np_abs_max(x, -1)
    want = np.maximum((qx.astype(np.int32) @ qk.astype(np.int32)) / (sx * sk) + bias, 0)
    assert_close(run_eager(layer, x, backend), want.astype("float32"))


@pytest.mark.parametrize("case", CASES[:5])
def test_torch_and_jax_agree(case):
    pytest.importorskip("torch"), pytest.importorskip("jax")
    data = np.load(FIXTURE)
    results = []
    for engine in ("torch", "jax"):
        layer, x = quantized_from_fixture(data, case, engine)
        cot = data[f"{case}/cot"]
        results.append((run_eager(layer, x, engine), input_grad(layer, x, cot, engine)))
    assert_close(results[0][0], results[1][0])
    assert_close(results[0][1], results[1][1])


def test_policy_names_and_serialization():
    policy = dtype_policies.get("int8_from_float32")
    assert isinstance(policy, dtype_policies.QuantizedDTypePolicy)
    assert (policy.name, policy.quantization_mode, policy.compute_dtype,
            policy.variable_dtype) == ("int8_from_float32", "int8", "float32", "float32")
    assert repr(policy) == '<QuantizedDTypePolicy "int8_from_float32">'
    entry = dtype_policies.serialize(policy)
    assert entry == {"module": "keras.dtype_policies", "class_name": "QuantizedDTypePolicy",
                     "config": {"mode": "int8", "source_name": "float32"},
                     "registered_name": None}
    assert dtype_policies.deserialize(entry) == policy
    assert dtype_policies.get("float32").quantization_mode is None
    assert policy != dtype_policies.DTypePolicy("float32")
    with pytest.raises(ValueError, match="valid pair"):
        dtype_policies.get("int8")
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        dtype_policies.QuantizedDTypePolicy("int3", "float32")
    with pytest.raises(ValueError, match="float16"):
        dtype_policies.get("int8_from_float16")


def test_layer_policy_and_config_roundtrip(backend):
    layer = Dense(3)
    layer.build((None, 4))
    assert layer.dtype_policy.quantization_mode is None
    layer.quantize("int8")
    assert layer.dtype_policy.name == "int8_from_float32"
    assert layer.quantization_mode == "int8" and layer.dtype == "float32"
    cfg = layer.get_config()
    assert cfg["dtype"]["class_name"] == "QuantizedDTypePolicy"
    assert cfg["quantization_config"]["class_name"] == "Int8QuantizationConfig"
    clone = config_roundtrip(layer)
    clone.build((None, 4))  # a layer made with an int8 policy builds int8 weights
    assert [(w.name, w.dtype, w.trainable) for w in clone.weights] == [
        ("kernel", "int8", False), ("kernel_scale", "float32", False), ("bias", "float32", True)]
    clone.set_weights([layer.kernel.numpy(), layer.kernel_scale.numpy(), layer.bias.numpy()])
    x = rand(2, 4, seed=1)
    assert_close(run_eager(clone, x, backend), run_eager(layer, x, backend))
    emb = Embedding(5, 2)
    emb.build(None)
    emb.quantize("int8")
    assert config_roundtrip(emb).quantization_mode == "int8"


def _model():
    inp = keras.Input((4,), dtype="int32")
    h = keras.layers.Embedding(10, 6)(inp)
    h = keras.layers.EinsumDense("abc,cd->abd", (4, 5), bias_axes="d")(h)
    out = keras.layers.Dense(2)(keras.layers.Flatten()(h))
    return keras.Model(inp, out)


def test_model_quantize_fit_and_save(backend, tmp_path):
    keras.utils.set_random_seed(3)
    model = _model()
    x = np.random.default_rng(0).integers(0, 10, (8, 4))
    y = rand(8, 2, seed=9)
    model.compile("adam", "mse")
    model.fit(x, y, epochs=1, verbose=0)  # bound and trained before quantizing
    before = model.predict(x, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Flatten / Input have no weights: no warning
        model.quantize("int8")
    assert [l.dtype_policy.name for l in model.layers[1:]] == [
        "int8_from_float32", "int8_from_float32", "float32", "int8_from_float32"]
    after = model.predict(x, verbose=0)
    assert np.abs(after - before).max() < 0.05 and not np.array_equal(after, before)
    ints = [w.numpy() for w in model.weights if w.dtype == "int8"]
    trainable = [w.numpy() for w in model.trainable_weights]
    assert [w.name for w in model.trainable_weights] == ["bias", "bias"]
    model.fit(x, y, epochs=2, verbose=0)
    assert all(np.abs(a - w.numpy()).max() > 0 for a, w in zip(trainable,
                                                                model.trainable_weights))
    for a, w in zip(ints, [w for w in model.weights if w.dtype == "int8"]):
        np.testing.assert_array_equal(a, w.numpy())
    path = str(tmp_path / "q.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    # (a loaded layer builds its int8 weights first, a quantized one appends them: Keras)
    assert sorted((w.path, w.dtype) for w in loaded.weights) == \
        sorted((w.path, w.dtype) for w in model.weights)
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_loads_a_quantized_model_keras_saved(backend, tmp_path):
    data = np.load(FIXTURE)
    path = tmp_path / "model.keras"
    path.write_bytes(data["saved/keras"].tobytes())
    model = keras.models.load_model(str(path))
    assert [l.dtype_policy.name for l in model.layers if l.weights] == [
        "int8_from_float32"] * 3
    assert_close(model.predict(data["saved/x"], verbose=0), data["saved/y"])
    again = tmp_path / "again.keras"
    model.save(str(again))  # and our file of it loads back the same
    assert_close(keras.models.load_model(str(again)).predict(data["saved/x"], verbose=0),
                 data["saved/y"])


def test_filters_choose_layers(backend):
    model = _model()
    model.quantize("int8", filters="^dense")
    assert [l.quantization_mode for l in model.layers[1:]] == [None, None, None, "int8"]
    model = _model()
    model.quantize("int8", filters=lambda layer: isinstance(layer, Embedding))
    assert model.layers[1].quantization_mode == "int8"
    assert model.layers[4].quantization_mode is None
    with pytest.raises(ValueError, match="filters"):
        model.quantize("int8", filters=3)


def test_errors():
    layer = Dense(3)
    with pytest.raises(ValueError, match="isn't yet built"):
        layer.quantize("int8")
    layer.build((None, 4))
    for mode in ("int4", "float8", "gptq", "awq"):
        with pytest.raises(NotImplementedError, match="supported mode is 'int8'"):
            layer.quantize(mode)
    with pytest.raises(ValueError, match=r"Invalid quantization mode.*mode='int3'"):
        layer.quantize("int3")
    assert layer.quantization_mode is None and layer.kernel.dtype == "float32"
    layer.quantize("int8")
    with pytest.raises(ValueError, match="already quantized with dtype_policy="
                                         "'int8_from_float32'"):
        layer.quantize("int8")
    with pytest.raises(NotImplementedError, match="QuantizationConfig"):
        Dense(2).quantize(config=object())

    class MyDense(Dense):
        pass
    sub = MyDense(2)
    sub.build((None, 3))
    with pytest.raises(NotImplementedError, match="MyDense does not have a `quantize`"):
        sub.quantize("int8")
    ellipsis = EinsumDense("...b,bc->...c", 3)
    ellipsis.build((None, 5, 4))
    with pytest.raises(NotImplementedError, match="ellipsis"):
        ellipsis.quantize("int8")
    assert ellipsis.quantization_mode is None
    with pytest.raises(NotImplementedError, match="Conv2D cannot be quantized"):
        keras.layers.Conv2D(2, 3, dtype="int8_from_float32")
    with pytest.raises(NotImplementedError, match="default int8 quantization config"):
        Dense(2, quantization_config={"class_name": "Int4QuantizationConfig"})
    model = _model()
    with pytest.raises(NotImplementedError, match="supported mode is 'int8'"):
        model.quantize("int4")
    with pytest.raises(ValueError, match="Unrecognized keyword"):
        model.quantize("int8", bogus=1)
    assert all(l.quantization_mode is None for l in model.layers)
