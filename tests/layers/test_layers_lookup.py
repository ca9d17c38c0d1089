"""IntegerLookup, StringLookup and Pipeline against expectations written here (Keras 3's
documented examples and hand-counted vocabularies; Keras 3's own lookups need
TensorFlow, which the oracle venv lacks), on both engines."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers
from support.layer_checks import assert_close, config_roundtrip, run_eager
from support.layer_checks import saved_entry_roundtrip

VOCAB = ["a", "b", "c", "d"]
DATA = np.array([["a", "c", "d"], ["d", "z", "b"]])


def test_string_lookup_vocabulary_and_mask(backend):
    np.testing.assert_array_equal(run_eager(layers.StringLookup(vocabulary=VOCAB), DATA,
                                            backend), [[1, 3, 4], [4, 0, 2]])
    masked = layers.StringLookup(vocabulary=VOCAB, mask_token="")
    out = run_eager(masked, np.array([["a", "c", "d"], ["d", "", "b"]]), backend)
    np.testing.assert_array_equal(out, [[2, 4, 5], [5, 0, 3]])
    assert masked.get_vocabulary() == ["", "[UNK]"] + VOCAB
    # bytes and lists are strings too; special tokens at the vocabulary's front are kept
    given = layers.StringLookup(vocabulary=["[UNK]"] + VOCAB)
    assert given.get_vocabulary() == ["[UNK]"] + VOCAB and given.vocabulary_size() == 5
    np.testing.assert_array_equal(run_eager(given, [b"b", b"q"], backend), [2, 0])


def test_string_lookup_adapt_orders_by_count_then_token():
    layer = layers.StringLookup()
    layer.adapt(DATA)
    assert layer.get_vocabulary() == ["[UNK]", "d", "z", "c", "b", "a"]
    capped = layers.StringLookup(max_tokens=3)
    capped.adapt(np.array(["x", "y", "y", "x", "x", "w"]))
    assert capped.get_vocabulary() == ["[UNK]", "x", "y"]
    assert capped.get_vocabulary(include_special_tokens=False) == ["x", "y"]


def test_string_lookup_encodings(backend):
    data = np.array([["a", "c", "d", "d"], ["d", "z", "b", "z"]])
    multi = layers.StringLookup(vocabulary=VOCAB, output_mode="multi_hot")
    assert_close(run_eager(multi, data, backend), np.array([[0, 1, 0, 1, 1], [1, 0, 1, 0, 1]],
                                                           "float32"))
    count = layers.StringLookup(vocabulary=VOCAB, output_mode="count")
    assert_close(run_eager(count, data, backend), np.array([[0, 1, 0, 1, 2], [2, 0, 1, 0, 1]],
                                                           "float32"))
    tfidf = layers.StringLookup(vocabulary=VOCAB, output_mode="tf_idf",
                                idf_weights=[0.25, 0.75, 0.6, 0.4])
    # OOV weighs the mean idf (0.5), as Keras pads it
    assert_close(run_eager(tfidf, data, backend),
                 np.array([[0, 0.25, 0, 0.6, 0.8], [1.0, 0, 0.75, 0, 0.4]], "float32"))
    one = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    assert_close(run_eager(one, np.array([["b"], ["q"]]), backend),
                 np.array([[0, 0, 1, 0, 0], [1, 0, 0, 0, 0]], "float32"))
    # in a non-int mode the mask token has no index and is dropped
    masked = layers.StringLookup(vocabulary=VOCAB, mask_token="", output_mode="count")
    assert_close(run_eager(masked, np.array([["a", "", ""]]), backend),
                 np.array([[0, 1, 0, 0, 0]], "float32"))
    padded = layers.StringLookup(vocabulary=VOCAB, output_mode="multi_hot", max_tokens=7,
                                 pad_to_max_tokens=True)
    assert run_eager(padded, data, backend).shape == (2, 7)


def test_string_lookup_invert():
    inverse = layers.StringLookup(vocabulary=VOCAB, invert=True)
    out = inverse(np.array([[1, 3, 4], [4, 0, 2]]))
    np.testing.assert_array_equal(out, [["a", "c", "d"], ["d", "[UNK]", "b"]])


def test_string_lookup_tf_idf_adapt():
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(np.array(["a", "a", "b"]))  # 3 documents of one token each
    idf = np.log(1 + 3 / (1 + np.array([2.0, 1.0])))
    assert layer.get_vocabulary() == ["[UNK]", "a", "b"]
    assert_close(layer.idf_weights, np.concatenate([[idf.mean()], idf]).astype("float32"))


def test_integer_lookup(backend):
    vocab = [12, 36, 1138, 42]
    data = np.array([[12, 1138, 42], [42, 1000, 36]])
    np.testing.assert_array_equal(run_eager(layers.IntegerLookup(vocabulary=vocab), data,
                                            backend), [[1, 3, 4], [4, 0, 2]])
    inverse = layers.IntegerLookup(vocabulary=vocab, invert=True)
    np.testing.assert_array_equal(run_eager(inverse, np.array([[1, 3, 4], [4, 0, 2]]),
                                            backend), [[12, 1138, 42], [42, -1, 36]])
    two_oov = layers.IntegerLookup(vocabulary=vocab, num_oov_indices=2)
    # OOV x goes to x mod 2: 1000 -> 0, 7 -> 1; the vocabulary starts at 2
    np.testing.assert_array_equal(run_eager(two_oov, np.array([12, 1000, 7, 42]), backend),
                                  [2, 0, 1, 5])
    masked = layers.IntegerLookup(vocabulary=vocab, mask_token=0)
    np.testing.assert_array_equal(run_eager(masked, np.array([[12, 0, 5]]), backend),
                                  [[2, 0, 1]])
    multi = layers.IntegerLookup(vocabulary=vocab, mask_token=0, output_mode="multi_hot")
    assert_close(run_eager(multi, np.array([[12, 0, 0], [5, 42, 42]]), backend),
                 np.array([[0, 1, 0, 0, 0], [1, 0, 0, 0, 1]], "float32"))
    adapted = layers.IntegerLookup()
    adapted.adapt(np.array([[12, 1138, 42], [42, 1000, 36]]))
    assert adapted.get_vocabulary() == [-1, 42, 1138, 1000, 36, 12]


def test_integer_lookup_runs_in_a_compiled_model(backend):
    inputs = keras.Input(shape=(3,), dtype="int64")
    outputs = layers.IntegerLookup(vocabulary=[5, 9, 2], output_mode="count")(inputs)
    model = keras.Model(inputs, outputs)
    got = model.predict(np.array([[5, 5, 2], [7, 9, 9]]), verbose=0)
    assert_close(got, np.array([[0, 2, 0, 1], [1, 0, 2, 0]], "float32"))


def test_string_lookup_in_a_model_on_string_arrays(backend):
    inputs = keras.Input(shape=(2,), dtype="string")
    hot = layers.StringLookup(vocabulary=VOCAB, output_mode="multi_hot")(inputs)
    model = keras.Model(inputs, layers.Dense(1, kernel_initializer="ones")(hot))
    x = np.array([["a", "b"], ["d", "zz"]])
    assert_close(model.predict(x, verbose=0), np.array([[2.0], [2.0]], "float32"))
    assert_close(keras.ops.convert_to_numpy(model(x)), np.array([[2.0], [2.0]], "float32"))
    model.compile("sgd", "mse")
    history = model.fit(x, np.array([[1.0], [0.0]]), epochs=2, batch_size=1, verbose=0)
    assert len(history.history["loss"]) == 2


def test_configs_round_trip():
    adapted = layers.StringLookup(output_mode="tf_idf")
    adapted.adapt(np.array(["x", "y", "y"]))
    clone = config_roundtrip(adapted)
    assert clone.get_vocabulary() == adapted.get_vocabulary()
    assert_close(clone.idf_weights, adapted.idf_weights)
    for layer in (layers.StringLookup(vocabulary=VOCAB, mask_token="", name="s"),
                  layers.IntegerLookup(vocabulary=[3, 4], invert=True),
                  layers.IntegerLookup(vocabulary=[3, 4], output_mode="one_hot"), adapted,
                  layers.Pipeline([layers.Rescaling(0.5), layers.CenterCrop(2, 2)])):
        config_roundtrip(layer)
        saved_entry_roundtrip(layer)


def test_lookup_vocabulary_is_saved_with_the_model(backend, tmp_path):
    lookup = layers.StringLookup(output_mode="count")
    lookup.adapt(np.array(["p", "q", "q", "r"]))
    inputs = keras.Input(shape=(2,), dtype="string")
    model = keras.Model(inputs, lookup(inputs))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    x = np.array([["q", "q"], ["r", "s"]])
    assert_close(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[-1].get_vocabulary() == ["[UNK]", "q", "r", "p"]


def test_lookup_errors(backend):
    with pytest.raises(ValueError, match="found OOV values"):
        layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)(np.array(["a", "zz"]))
    with pytest.raises(ValueError, match="`output_mode` must be `'int'` when `invert`"):
        layers.StringLookup(vocabulary=VOCAB, invert=True, output_mode="multi_hot")
    with pytest.raises(ValueError, match="`idf_weights` should only be set"):
        layers.StringLookup(vocabulary=VOCAB, idf_weights=[1, 2, 3, 4])
    with pytest.raises(ValueError, match="`idf_weights` argument must also be provided"):
        layers.StringLookup(vocabulary=VOCAB, output_mode="tf_idf")
    with pytest.raises(ValueError, match="repeated term"):
        layers.StringLookup(vocabulary=["a", "a"])
    with pytest.raises(ValueError, match="FarmHash64"):
        layers.StringLookup(num_oov_indices=2)
    with pytest.raises(ValueError, match="FarmHash64"):
        layers.IntegerLookup(oov_method="farmhash")
    with pytest.raises(ValueError, match="sparse"):
        layers.IntegerLookup(sparse=True, output_mode="multi_hot")
    with pytest.raises(ValueError, match="Invalid value for argument `output_mode`"):
        layers.IntegerLookup(output_mode="bag")
    with pytest.raises(RuntimeError, match="you must set the layer's vocabulary"):
        layers.StringLookup(output_mode="multi_hot")(np.array([["a"]]))
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        layers.StringLookup(vocabulary=VOCAB).adapt(np.array(["a"]))
    with pytest.raises(ValueError, match="takes strings"):
        layers.StringLookup(vocabulary=VOCAB)(keras.ops.convert_to_tensor(np.array([1, 2])))
    inputs = keras.Input(shape=(2,), dtype="string")
    with pytest.raises(ValueError, match="returns strings"):
        layers.StringLookup(vocabulary=VOCAB, invert=True)(inputs)
    numbers = keras.Input(shape=(2,))
    late = layers.StringLookup(vocabulary=VOCAB)(layers.Dense(2)(numbers))
    with pytest.raises(ValueError, match="must read model inputs directly"):
        keras.Model(numbers, late).predict(np.zeros((1, 2)), verbose=0)
    model = keras.Model(inputs, layers.StringLookup(vocabulary=VOCAB)(inputs))
    with pytest.raises(ValueError, match="which takes strings"):
        model.predict(np.zeros((1, 2)), verbose=0)


def test_pipeline(backend):
    pipe = layers.Pipeline([layers.Rescaling(2.0, offset=1.0), layers.CenterCrop(2, 2)])
    x = np.arange(16, dtype="float32").reshape(1, 4, 4, 1)
    assert_close(run_eager(pipe, x, backend), x[:, 1:3, 1:3] * 2 + 1)
    inputs = keras.Input(shape=(4, 4, 1))
    model = keras.Model(inputs, pipe(inputs))
    assert model.output_shape == (None, 2, 2, 1)
    assert_close(model.predict(x, verbose=0), x[:, 1:3, 1:3] * 2 + 1)
    with pytest.raises(ValueError, match="list of layers"):
        layers.Pipeline("rescale")
