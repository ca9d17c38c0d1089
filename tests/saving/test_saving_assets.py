"""Keras 3's saving hooks: ``save_own_variables`` / ``load_own_variables`` decide what a
layer's ``vars`` group holds, and ``save_assets`` / ``load_assets`` keep lookup
vocabularies in the ``.keras`` archive's ``assets/`` as Keras writes them. The fixture
``lookups.keras`` was written by Keras 3.15.1 (make_keras3_assets_fixture.py)."""

import json
import os
import zipfile

import h5py
import numpy as np
import pytest

from keras_bridge import layers, ops
from keras_bridge.layers import Input
from keras_bridge.models import Model, Sequential
from keras_bridge.saving import load_model, register_keras_serializable

FIXTURES = os.path.join(os.path.dirname(__file__), "fixtures")


def _fixture():
    with np.load(os.path.join(FIXTURES, "lookups.npz"), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def test_keras3_file_with_adapted_lookups_loads(backend):
    ref = _fixture()
    model = load_model(os.path.join(FIXTURES, "lookups.keras"))
    assert model.get_layer("words").get_vocabulary() == ref["vocab_words"].tolist()
    assert model.get_layer("ints").get_vocabulary() == ref["vocab_ints"].tolist()
    assert model.get_layer("texts").get_vocabulary() == ref["vocab_texts"].tolist()
    # Layer by layer, as the fixture's outputs were computed (Keras's JAX backend cannot
    # predict() on strings), and fast: this model's first predict() takes seconds here.
    y_words = model.get_layer("emb")(model.get_layer("words")(ref["words"]))
    y_ints = model.get_layer("ints")(ref["ints"])
    y_texts = model.get_layer("texts")(ref["texts"])
    np.testing.assert_allclose(ops.convert_to_numpy(y_words), ref["y_words"], rtol=1e-6)
    np.testing.assert_array_equal(ops.convert_to_numpy(y_ints), ref["y_ints"])
    np.testing.assert_array_equal(ops.convert_to_numpy(y_texts), ref["y_texts"])


def test_stateful_rnn_takes_keras_get_weights(backend):
    ref = _fixture()
    keras_weights = [ref[f"stateful_{i}"] for i in range(int(ref["stateful_count"]))]
    model = Sequential([Input((3, 2), batch_size=4), layers.LSTM(5, stateful=True),
                        layers.Dense(1)])
    assert len(model.get_weights()) == len(model.weights) == int(ref["stateful_count"])
    model.set_weights(keras_weights)
    for mine, theirs in zip(model.get_weights(), keras_weights):
        np.testing.assert_array_equal(mine, theirs)


def _lookup_model():
    words = layers.StringLookup(name="words")
    words.adapt(np.array([["a", "b", "b"], ["c", "b", "a"]]))
    given = layers.IntegerLookup(vocabulary=[7, 3, 5], name="given")
    texts = layers.TextVectorization(max_tokens=10, output_sequence_length=4, name="texts")
    texts.adapt(np.array(["the cat sat", "the dog"]))
    w_in, i_in, t_in = Input((3,), dtype="string"), Input((2,), dtype="int64"), \
        Input((1,), dtype="string")
    return Model([w_in, i_in, t_in], [words(w_in), given(i_in), texts(t_in)])


def test_adapted_vocabularies_saved_in_assets_as_keras_writes(backend, tmp_path):
    model = _lookup_model()
    x = [np.array([["a", "c", "zzz"]]), np.array([[3, 9]]), np.array([["the cat"]])]
    before = model.predict(x, verbose=0)
    path = tmp_path / "m.keras"
    model.save(path)
    with zipfile.ZipFile(path) as z:
        found = {n: z.read(n) for n in z.namelist() if n.startswith("assets/")}
        saved = {entry["config"]["name"]: entry["config"]
                 for entry in json.loads(z.read("config.json"))["config"]["layers"]}
    # What Keras 3.15.1 writes for these layers (the lookup inside TextVectorization
    # is saved at its own path too); a vocabulary given to the constructor stays in the
    # config instead.
    assert found == {
        "assets/layers/string_lookup/vocabulary.txt": b"[UNK]\nb\na\nc",
        "assets/layers/text_vectorization/vocabulary.txt": b"\n[UNK]\nthe\nsat\ndog\ncat",
        "assets/layers/text_vectorization/_lookup_layer/vocabulary.txt":
            b"\n[UNK]\nthe\nsat\ndog\ncat"}
    assert saved["words"]["vocabulary"] is None and saved["texts"]["vocabulary"] is None
    assert saved["given"]["vocabulary"] == [7, 3, 5]
    loaded = load_model(path)
    assert loaded.get_layer("words").get_vocabulary() == ["[UNK]", "b", "a", "c"]
    for a, b in zip(loaded.predict(x, verbose=0), before):
        np.testing.assert_array_equal(a, b)


@register_keras_serializable(package="test_assets")
class Scaled(layers.Layer):
    """Stores its kernel doubled under its own key, and a Python counter beside it."""

    def build(self, input_shape):
        self.kernel = self.add_weight(shape=(input_shape[-1], 2), initializer="ones",
                                      name="kernel")
        self.calls = 0

    def call(self, x):
        return x @ self.kernel

    def save_own_variables(self, store):
        store["kernel_x2"] = self.kernel.numpy() * 2
        store["calls"] = np.array(self.calls)

    def load_own_variables(self, store):
        if sorted(store.keys()) != ["calls", "kernel_x2"]:
            raise ValueError(f"Scaled: unexpected keys {sorted(store.keys())}")
        self.kernel.assign(store["kernel_x2"] / 2)
        self.calls = int(store["calls"])


def _scaled_model():
    return Sequential([Input((3,)), Scaled(), layers.Dense(1)])


def test_own_variables_hooks_decide_the_stored_group(backend, tmp_path):
    model = _scaled_model()
    kernel = np.arange(6, dtype="float32").reshape(3, 2)
    model.layers[0].kernel.assign(kernel)
    model.layers[0].calls = 7
    model.save(tmp_path / "m.keras")
    model.save_weights(tmp_path / "m.weights.h5")
    with h5py.File(tmp_path / "m.weights.h5", "r") as f:
        group = f["layers/scaled/vars"]
        assert sorted(group) == ["calls", "kernel_x2"]
        np.testing.assert_array_equal(group["kernel_x2"][()], kernel * 2)
        assert sorted(f["layers/dense/vars"]) == ["0", "1"]
    x = np.ones((2, 3), "float32")
    for loaded in (load_model(tmp_path / "m.keras"), _scaled_model()):
        if not loaded.layers[0].calls:
            loaded.load_weights(tmp_path / "m.weights.h5")
        np.testing.assert_array_equal(loaded.layers[0].kernel.numpy(), kernel)
        assert loaded.layers[0].calls == 7
        np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                                   rtol=1e-6)


def test_failing_load_own_variables_changes_no_weight(backend, tmp_path):
    """The Dense group fits and is assigned first; the hook then refuses its group, and
    the Dense weights are put back."""
    path = tmp_path / "bad.weights.h5"
    with h5py.File(path, "w") as f:
        f.create_dataset("layers/scaled/vars/0", data=np.zeros((3, 2), "float32"))
        f.create_dataset("layers/dense/vars/0", data=np.full((2, 1), 5, "float32"))
        f.create_dataset("layers/dense/vars/1", data=np.full((1,), 5, "float32"))
    model = _scaled_model()
    before = model.get_weights()
    with pytest.raises(ValueError, match="unexpected keys"):
        model.load_weights(path)
    for a, b in zip(model.get_weights(), before):
        np.testing.assert_array_equal(a, b)
