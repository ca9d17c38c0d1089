"""TextVectorization against hand-built expectations (Keras 3's needs TensorFlow, which
the oracle venv lacks), and a text classifier fit on numpy string arrays, on both
engines."""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers
from support.layer_checks import assert_close, config_roundtrip, run_eager
from support.layer_checks import saved_entry_roundtrip

CORPUS = np.array(["The cat sat.", "The dog, the CAT!", "a dog ran"])


def test_adapt_standardize_and_int_sequences(backend):
    layer = layers.TextVectorization(output_sequence_length=4)
    layer.adapt(CORPUS)
    # counts: the 3, cat 2, dog 2, then one each; ties: larger token first
    assert layer.get_vocabulary() == ["", "[UNK]", "the", "dog", "cat", "sat", "ran", "a"]
    out = run_eager(layer, np.array(["THE cat... flew", "a dog ran the dog cat"]), backend)
    np.testing.assert_array_equal(out, [[2, 4, 1, 0], [7, 3, 6, 2]])
    ragged = layers.TextVectorization(vocabulary=["x", "y"])  # the batch's longest
    np.testing.assert_array_equal(run_eager(ragged, np.array([["x y x"], ["y"]]), backend),
                                  [[2, 3, 2], [3, 0, 0]])


def test_standardize_and_split_choices(backend):
    vocab = ["ab", "c", "AB", "a", "b"]
    keep = layers.TextVectorization(vocabulary=vocab, standardize=None)
    np.testing.assert_array_equal(run_eager(keep, np.array(["AB c ab!"]), backend),
                                  [[4, 3, 1]])
    chars = layers.TextVectorization(vocabulary=vocab, split="character")
    np.testing.assert_array_equal(run_eager(chars, np.array(["Ab,"]), backend), [[5, 6]])
    whole = layers.TextVectorization(vocabulary=vocab, split=None, standardize="lower")
    np.testing.assert_array_equal(run_eager(whole, np.array(["AB", "q"]), backend),
                                  [[2], [1]])
    custom = layers.TextVectorization(vocabulary=vocab,
                                      standardize=lambda s: np.char.replace(
                                          s.astype(str), "-", " "))
    np.testing.assert_array_equal(run_eager(custom, np.array(["ab-c"]), backend), [[2, 3]])


def test_ngrams(backend):
    layer = layers.TextVectorization(ngrams=2)
    layer.adapt(np.array(["a b c"]))
    assert sorted(layer.get_vocabulary(include_special_tokens=False)) == \
        ["a", "a b", "b", "b c", "c"]
    out = run_eager(layer, np.array(["a b"]), backend)
    vocab = layer.get_vocabulary()
    assert [vocab[i] for i in out[0]] == ["a", "b", "a b"]  # unigrams, then bigrams


def test_bag_of_words_modes(backend):
    vocab = ["x", "y", "z"]
    data = np.array(["x y y q", "z"])
    multi = layers.TextVectorization(vocabulary=vocab, output_mode="multi_hot")
    assert_close(run_eager(multi, data, backend), np.array([[1, 1, 1, 0], [0, 0, 0, 1]],
                                                           "float32"))
    count = layers.TextVectorization(vocabulary=vocab, output_mode="count")
    assert_close(run_eager(count, data, backend), np.array([[1, 1, 2, 0], [0, 0, 0, 1]],
                                                           "float32"))
    tfidf = layers.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(np.array(["x y", "y", "y z z"]))
    assert tfidf.get_vocabulary() == ["[UNK]", "y", "z", "x"]
    idf = np.log(1 + 3 / (1 + np.array([3.0, 1.0, 1.0])))  # y in 3 docs, z and x in 1
    weights = np.concatenate([[idf.mean()], idf]).astype("float32")
    assert_close(tfidf.idf_weights, weights)
    assert_close(run_eager(tfidf, np.array(["z z w"]), backend),
                 np.array([[1, 0, 2, 0]], "float32") * weights)
    assert tfidf.compute_output_shape((None, 1)) == (None, 4)


def _classifier(texts):
    vectorize = layers.TextVectorization(max_tokens=12, output_sequence_length=4)
    vectorize.adapt(texts)
    inputs = keras.Input(shape=(1,), dtype="string")
    x = layers.Embedding(12, 4)(vectorize(inputs))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))


TEXTS = np.array(["good fun film", "bad dull film", "fun and good", "dull and bad"] * 2)
LABELS = np.array([1, 0, 1, 0] * 2, "float32")


def test_text_classifier_fits_on_string_arrays(backend, tmp_path):
    keras.utils.set_random_seed(1)
    model = _classifier(TEXTS)
    model.compile("adam", "binary_crossentropy")
    history = model.fit(TEXTS, LABELS, epochs=2, batch_size=4, verbose=0)
    assert len(history.history["loss"]) == 2
    assert np.isfinite(model.evaluate(TEXTS, LABELS, verbose=0))
    probe = np.array(["good fun", "bad dull unseen"])
    want = model.predict(probe, verbose=0)
    assert want.shape == (2, 1)
    assert_close(keras.ops.convert_to_numpy(model(probe)), want)
    path = str(tmp_path / "text.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert_close(loaded.predict(probe, verbose=0), want)
    assert loaded.layers[1].get_vocabulary() == model.layers[1].get_vocabulary()


def test_engines_agree_on_a_text_model():
    keras.utils.set_random_seed(2)
    torch_model = _classifier(TEXTS)
    jax_model = torch_model.to_backend("jax")
    assert_close(torch_model.predict(TEXTS, verbose=0), jax_model.predict(TEXTS, verbose=0))


def test_config_round_trip(tmp_path):
    layer = layers.TextVectorization(max_tokens=9, ngrams=(1, 2), output_mode="count",
                                     standardize="lower", split="whitespace",
                                     vocabulary=["a", "b"])
    clone = config_roundtrip(layer)
    assert clone.get_vocabulary() == layer.get_vocabulary()
    saved_entry_roundtrip(layer)
    # An adapted vocabulary is not in the config (as Keras 3): the assets hooks keep it.
    adapted = layers.TextVectorization(max_tokens=9, ngrams=(1, 2), output_mode="count")
    adapted.adapt(CORPUS)
    assert adapted.get_config()["vocabulary"] is None
    adapted.save_assets(str(tmp_path))
    fresh = layers.TextVectorization.from_config(adapted.get_config())
    fresh.load_assets(str(tmp_path))
    assert fresh.get_vocabulary() == adapted.get_vocabulary()
    tfidf = layers.TextVectorization(output_mode="tf_idf")
    tfidf.adapt(CORPUS)
    assert_close(config_roundtrip(tfidf).idf_weights, tfidf.idf_weights)


def test_errors():
    with pytest.raises(ValueError, match="`output_sequence_length` must not be set"):
        layers.TextVectorization(output_mode="count", output_sequence_length=3)
    with pytest.raises(ValueError, match="`ngrams` must be None"):
        layers.TextVectorization(ngrams="2")
    with pytest.raises(ValueError, match="argument `standardize`"):
        layers.TextVectorization(standardize="upper")
    with pytest.raises(ValueError, match="argument `split`"):
        layers.TextVectorization(split="comma")
    with pytest.raises(ValueError, match="ragged"):
        layers.TextVectorization(ragged=True)
    layer = layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match="the last shape dimension must be 1"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(ValueError, match="Cannot adapt layer"):
        layer.adapt(["a b"])
    with pytest.raises(RuntimeError, match="vocabulary before calling it"):
        layers.TextVectorization(output_mode="multi_hot")(np.array(["a"]))
