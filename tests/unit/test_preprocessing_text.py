"""keras.preprocessing.text against values worked out by hand (pure Python: no engine)."""

import json
import math
from collections import OrderedDict
from hashlib import md5

import numpy as np
import pytest

from keras_bridge.preprocessing import text
from keras_bridge.preprocessing.text import Tokenizer, tokenizer_from_json

TEXTS = ["The cat sat on the mat.", "The dog ate my homework!", "cat cat dog"]
# Counts: the 3, cat 3, sat 1, on 1, mat 1, dog 2, ate 1, my 1, homework 1. Ranked by
# count, ties in first-appearance order:
INDEX = {"the": 1, "cat": 2, "dog": 3, "sat": 4, "on": 5, "mat": 6, "ate": 7, "my": 8,
         "homework": 9}


def _fitted(**kwargs):
    tokenizer = Tokenizer(**kwargs)
    tokenizer.fit_on_texts(TEXTS)
    return tokenizer


def test_text_to_word_sequence_filters_lowers_and_splits():
    assert text.text_to_word_sequence("Hello, World!  It's\tfine.") == \
        ["hello", "world", "it's", "fine"]
    assert text.text_to_word_sequence("A-B c", filters="", lower=False) == ["A-B", "c"]
    assert text.text_to_word_sequence("a;b;;c", split=";") == ["a", "b", "c"]


def test_word_counts_docs_and_tie_order_of_word_index():
    tokenizer = _fitted()
    assert tokenizer.word_index == INDEX
    assert tokenizer.index_word == {i: w for w, i in INDEX.items()}
    assert isinstance(tokenizer.word_counts, OrderedDict)
    assert list(tokenizer.word_counts.items()) == [
        ("the", 3), ("cat", 3), ("sat", 1), ("on", 1), ("mat", 1), ("dog", 2), ("ate", 1),
        ("my", 1), ("homework", 1)]
    assert dict(tokenizer.word_docs) == {"the": 2, "cat": 2, "sat": 1, "on": 1, "mat": 1,
                                         "dog": 2, "ate": 1, "my": 1, "homework": 1}
    assert tokenizer.index_docs[1] == 2 and tokenizer.index_docs[9] == 1
    assert tokenizer.document_count == 3


def test_texts_to_sequences_drops_unknown_words_and_cuts_at_num_words():
    assert _fitted().texts_to_sequences(["the cat ate a fish"]) == [[1, 2, 7]]
    # num_words=4 keeps indices 1, 2, 3; fitting still counts everything.
    tokenizer = _fitted(num_words=4)
    assert tokenizer.texts_to_sequences(["the cat sat dog"]) == [[1, 2, 3]]
    assert len(tokenizer.word_index) == 9
    assert list(tokenizer.texts_to_sequences_generator(["dog", "mat"])) == [[3], []]


def test_oov_token_takes_index_one_and_replaces_unknown_and_cut_words():
    tokenizer = _fitted(oov_token="<OOV>")
    assert tokenizer.word_index["<OOV>"] == 1 and tokenizer.word_index["the"] == 2
    assert tokenizer.texts_to_sequences(["the cat ate a fish"]) == [[2, 3, 8, 1, 1]]
    cut = _fitted(oov_token="<OOV>", num_words=4)
    assert cut.texts_to_sequences(["the cat dog sat"]) == [[2, 3, 1, 1]]
    assert cut.sequences_to_texts([[2, 3, 4, 77]]) == ["the cat <OOV> <OOV>"]


def test_sequences_to_texts():
    assert _fitted().sequences_to_texts([[1, 2, 99], [9]]) == ["the cat", "homework"]


def test_lists_of_tokens_and_char_level():
    tokenizer = Tokenizer()
    tokenizer.fit_on_texts([["Hello", "world"], ["hello"]])
    assert tokenizer.word_index == {"hello": 1, "world": 2}
    chars = Tokenizer(char_level=True)
    chars.fit_on_texts(["abA b"])
    # a 2, b 2, ' ' 1: characters, no filtering, lower-cased.
    assert chars.word_index == {"a": 1, "b": 2, " ": 3}
    assert chars.texts_to_sequences(["ba"]) == [[2, 1]]


def test_texts_to_matrix_modes():
    tokenizer = _fitted()
    texts = ["the the dog", "cat"]
    binary = tokenizer.texts_to_matrix(texts, mode="binary")
    assert binary.shape == (2, 10)  # vocabulary + 1 (index 0 reserved)
    expected = np.zeros((2, 10))
    expected[0, [1, 3]] = 1
    expected[1, 2] = 1
    np.testing.assert_array_equal(binary, expected)
    count = tokenizer.texts_to_matrix(texts, mode="count")
    assert count[0, 1] == 2 and count[0, 3] == 1 and count[1, 2] == 1
    freq = tokenizer.texts_to_matrix(texts, mode="freq")
    assert freq[0, 1] == pytest.approx(2 / 3) and freq[0, 3] == pytest.approx(1 / 3)
    tfidf = tokenizer.texts_to_matrix(texts, mode="tfidf")
    # tf = 1 + log(count); idf = log(1 + documents / (1 + documents with the word)).
    assert tfidf[0, 1] == pytest.approx((1 + math.log(2)) * math.log(1 + 3 / (1 + 2)))
    assert tfidf[0, 3] == pytest.approx(1 * math.log(1 + 3 / 3))
    assert tfidf[1, 2] == pytest.approx(math.log(2))
    assert tfidf[0, 0] == 0 and np.count_nonzero(tfidf) == 3


def test_sequences_to_matrix_with_num_words_and_fit_on_sequences():
    tokenizer = Tokenizer(num_words=4)
    tokenizer.fit_on_sequences([[1, 2, 2], [2, 3]])
    assert tokenizer.document_count == 2 and dict(tokenizer.index_docs) == {1: 1, 2: 2, 3: 1}
    m = tokenizer.sequences_to_matrix([[2, 2, 5], []], mode="tfidf")
    assert m.shape == (2, 4)  # index 5 is past num_words and ignored
    assert m[0, 2] == pytest.approx((1 + math.log(2)) * math.log(1 + 2 / 3))
    assert not m[1].any()


def test_json_round_trip_and_keras_format():
    tokenizer = _fitted(num_words=5, oov_token="?")
    config = json.loads(tokenizer.to_json())
    assert config["class_name"] == "Tokenizer"
    assert set(config["config"]) == {"num_words", "filters", "lower", "split", "char_level",
                                     "oov_token", "document_count", "word_counts",
                                     "word_docs", "index_docs", "index_word", "word_index"}
    assert json.loads(config["config"]["word_index"])["?"] == 1
    restored = tokenizer_from_json(tokenizer.to_json())
    assert restored.word_index == tokenizer.word_index
    assert restored.index_word == tokenizer.index_word
    assert list(restored.word_counts.items()) == list(tokenizer.word_counts.items())
    assert restored.index_docs == tokenizer.index_docs
    assert restored.get_config() == tokenizer.get_config()
    assert restored.texts_to_sequences(TEXTS) == tokenizer.texts_to_sequences(TEXTS)
    np.testing.assert_array_equal(restored.texts_to_matrix(TEXTS, "tfidf"),
                                  tokenizer.texts_to_matrix(TEXTS, "tfidf"))
    # A file written by Keras 2 (JSON-string dictionaries, string keys for indices).
    keras2 = json.dumps({"class_name": "Tokenizer", "config": {
        "num_words": None, "filters": "", "lower": True, "split": " ", "char_level": False,
        "oov_token": None, "document_count": 1, "word_counts": '{"b": 1, "a": 1}',
        "word_docs": '{"b": 1, "a": 1}', "index_docs": '{"1": 1, "2": 1}',
        "index_word": '{"1": "b", "2": "a"}', "word_index": '{"b": 1, "a": 2}'}})
    loaded = tokenizer_from_json(keras2)
    assert loaded.texts_to_sequences(["a b"]) == [[2, 1]]
    assert loaded.sequences_to_texts([[1]]) == ["b"]


def test_hashing_trick_md5_and_one_hot():
    n = 10
    expected = [int(md5(w.encode()).hexdigest(), 16) % (n - 1) + 1
                for w in ["the", "cat", "the"]]
    assert text.hashing_trick("The cat, the!", n, hash_function="md5") == expected
    assert text.hashing_trick("a b", 5, hash_function=len) == [len("a") % 4 + 1] * 2
    hashed = text.one_hot("to be or not to be", 7)
    assert hashed == [hash(w) % 6 + 1 for w in ["to", "be", "or", "not", "to", "be"]]
    assert hashed[0] == hashed[4] and all(1 <= i <= 6 for i in hashed)


def test_errors_are_named():
    with pytest.raises(ValueError, match="num_words argument"):
        Tokenizer().texts_to_matrix(["a"])
    with pytest.raises(ValueError, match="tfidf"):
        Tokenizer(num_words=3).sequences_to_matrix([[1]], mode="tfidf")
    with pytest.raises(ValueError, match="mode.*Received: mode='bm25'"):
        _fitted().texts_to_matrix(["a"], mode="bm25")
    with pytest.raises(TypeError, match="Unrecognized keyword arguments"):
        Tokenizer(nb_word=3)
    with pytest.raises(ValueError, match="n=1"):
        text.hashing_trick("a", 1)
    with pytest.raises(ValueError, match="hash_function"):
        text.hashing_trick("a", 5, hash_function="sha1")
    with pytest.raises(ValueError, match="Tokenizer.to_json"):
        tokenizer_from_json('{"no": 1}')
    with pytest.warns(DeprecationWarning, match="num_words"):
        assert Tokenizer(nb_words=3).num_words == 3
