"""Hashing and HashedCrossing, and the hash functions under them.

References (Keras 3 cannot hash here: its hashing calls TensorFlow, not installed):
- the bins TensorFlow gives in Keras 3's own docstrings and tests (hashing_test.py,
  hashed_crossing_test.py), copied as constants;
- FarmHash Fingerprint64 values from Google's C++ farmhash (pyfarmhash 0.5.1), computed
  once and copied here, one per length branch; Fingerprint64 of no bytes is k2;
- SipHash-2-4's test vector from the SipHash paper (Aumasson and Bernstein, appendix A).
"""

import numpy as np
import pytest

import keras_bridge as keras
from keras_bridge import layers, ops, saving
from keras_bridge.layers.preprocessing.hash_functions import fingerprint64, siphash64
from support.layer_checks import config_roundtrip, run_eager, saved_entry_roundtrip

NAMES = [["omar"], ["stringer"], ["marlo"], ["wire"], ["skywalker"]]
LETTERS = [["A"], ["B"], ["C"], ["D"], ["E"]]


def test_fingerprint64_matches_farmhash_on_every_length_branch():
    farmhash = {0: 0x9ae16a3b2f90404f, 3: 0x40b4412e33eefd64, 5: 0x156112f7c93e5cb3,
                12: 0x07e11fa045e761bc, 20: 0x7dab3f979fd30094, 40: 0xb3987ba065f59b3a,
                100: 0x9e17c36fe4a61b08, 200: 0x6d7105b27cbe2fd7}
    data = [bytes((i * 7 + 3) % 256 for i in range(n)) for n in farmhash]
    got = fingerprint64(data[::-1])[::-1]  # grouped by length inside, in order outside
    assert [int(h) for h in got] == list(farmhash.values())


def test_siphash_paper_vector():
    key = (int.from_bytes(bytes(range(8)), "little"), int.from_bytes(bytes(range(8, 16)),
                                                                     "little"))
    assert int(siphash64([bytes(range(15))], key)[0]) == 0xa129ca6149be45e5


def test_hashing_gives_keras3_bins(backend):
    def bins(layer, x):
        return run_eager(layer, x, backend).tolist()
    assert bins(layers.Hashing(3), LETTERS) == [[1], [0], [1], [1], [2]]
    assert bins(layers.Hashing(3, mask_value=""), [["A"], ["B"], [""], ["C"], ["D"]]) == \
        [[1], [1], [0], [2], [2]]
    assert bins(layers.Hashing(3, salt=[133, 137]), LETTERS) == [[1], [2], [1], [0], [2]]
    assert bins(layers.Hashing(3, salt=133), LETTERS) == [[0], [0], [2], [1], [0]]
    assert bins(layers.Hashing(2), np.asarray(NAMES)) == [[0], [0], [1], [0], [0]]
    assert bins(layers.Hashing(2), [n[0] for n in NAMES]) == [0, 0, 1, 0, 0]
    assert bins(layers.Hashing(3, mask_value="omar"), np.asarray(NAMES)) == \
        [[0], [1], [2], [1], [1]]
    assert bins(layers.Hashing(2, salt=[133, 137]), np.asarray(NAMES)) == [[0], [1], [0], [1], [0]]
    assert bins(layers.Hashing(2, salt=[211, 137]), np.asarray(NAMES)) == [[1], [0], [1], [0], [1]]
    ints = np.array([[0], [1], [2], [3], [4]])
    assert bins(layers.Hashing(3), ints) == [[1], [0], [1], [0], [2]]
    assert bins(layers.Hashing(3, salt=[133, 137]), ints) == [[1], [1], [2], [0], [1]]
    # floats are cast to int64, engine tensors hashed on the host, bytes as text
    assert bins(layers.Hashing(3), np.array([0.2, 1.7, 2.0, 3.9, 4.0])) == [1, 0, 1, 0, 2]
    assert bins(layers.Hashing(3), ops.convert_to_tensor(np.array([0, 1, 2, 3, 4]))) == \
        [1, 0, 1, 0, 2]
    assert bins(layers.Hashing(1), LETTERS) == [[0]] * 5
    out = layers.Hashing(3)(LETTERS)
    assert ops.dtype(out) in ("int32", "int64")  # int64, narrowed on JAX without x64


def test_hashing_output_modes(backend):
    ints = np.array([0, 1, 2, 3, 4])  # Keras's bins [1, 0, 1, 0, 2]
    eye = np.eye(3, dtype="float32")
    one_hot = run_eager(layers.Hashing(3, output_mode="one_hot"), ints, backend)
    np.testing.assert_array_equal(one_hot, eye[[1, 0, 1, 0, 2]])
    multi = run_eager(layers.Hashing(3, output_mode="multi_hot"), ints[None], backend)
    np.testing.assert_array_equal(multi, [[1, 1, 1]])
    count = run_eager(layers.Hashing(3, output_mode="count"), ints[None], backend)
    np.testing.assert_array_equal(count, [[2, 2, 1]])
    np.testing.assert_array_equal(
        run_eager(layers.Hashing(3, output_mode="count"), ints, backend), [2, 2, 1])
    for mode, shape in (("int", (None, 4)), ("one_hot", (None, 4, 5)),
                        ("multi_hot", (None, 5)), ("count", (None, 5))):
        layer = layers.Hashing(5, output_mode=mode)
        assert layer.compute_output_shape((None, 4)) == shape
        assert layer(keras.Input((4,), dtype="int32")).shape == shape
        real = run_eager(layer, np.arange(12).reshape(3, 4), backend)
        assert real.shape == (3,) + shape[1:]
    assert layers.Hashing(5, output_mode="one_hot").compute_output_shape((None, 1)) == (None, 5)


def test_hashing_in_a_model_trains_and_saves(backend, tmp_path):
    inputs = keras.Input((1,), dtype="int32")
    hashed = layers.Hashing(3, output_mode="one_hot")(inputs)
    model = keras.Model(inputs, layers.Dense(1, kernel_initializer="ones")(hashed))
    x = np.array([[0], [1], [2], [3], [4]])
    np.testing.assert_array_equal(model.predict(x, verbose=0), [[1.0]] * 5)
    words = keras.Input((1,), dtype="string")
    word_model = keras.Model(words, layers.Hashing(3, salt=133)(words))
    np.testing.assert_array_equal(word_model.predict(np.array(LETTERS), verbose=0),
                                  [[0], [0], [2], [1], [0]])
    model.compile("sgd", "mse")
    model.fit(x, np.zeros((5, 1)), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = saving.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_hashed_crossing_gives_keras3_bins(backend):
    feat1, feat2 = np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])
    assert run_eager(layers.HashedCrossing(5), (feat1, feat2), backend).tolist() == \
        [1, 4, 1, 1, 3]
    one_hot = run_eager(layers.HashedCrossing(5, output_mode="one_hot"), (feat1, feat2),
                        backend)
    np.testing.assert_array_equal(one_hot, np.eye(5, dtype="float32")[[1, 4, 1, 1, 3]])
    assert int(run_eager(layers.HashedCrossing(10), ("A", 101), backend)) == 1
    column = run_eager(layers.HashedCrossing(5), (feat1[:, None], feat2[:, None]), backend)
    assert column.tolist() == [[1], [4], [1], [1], [3]]
    layer = layers.HashedCrossing(5, output_mode="one_hot")
    assert layer.compute_output_shape([(None, 1), (None, 1)]) == (None, 5)
    assert layer.compute_output_shape([(None,), (None,)]) == (None, 5)


def test_hashed_crossing_in_a_model(backend, tmp_path):
    a, b = keras.Input((), dtype="string"), keras.Input((), dtype="int32")
    model = keras.Model([a, b], layers.HashedCrossing(5)((a, b)))
    feats = [np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])]
    assert model.predict(feats, verbose=0).tolist() == [1, 4, 1, 1, 3]
    assert ops.convert_to_numpy(model(feats)).tolist() == [1, 4, 1, 1, 3]
    model.save(tmp_path / "cross.keras")
    loaded = saving.load_model(tmp_path / "cross.keras")
    assert loaded.predict(feats, verbose=0).tolist() == [1, 4, 1, 1, 3]


def test_configs():
    layer = config_roundtrip(layers.Hashing(4, mask_value="", salt=7, output_mode="count"))
    assert layer.salt == [7, 7] and layer.dtype == "float32"
    assert layers.Hashing(4).get_config()["dtype"] == "int64"
    saved_entry_roundtrip(layers.Hashing(4, salt=[1, 2]))
    config_roundtrip(layers.HashedCrossing(6, output_mode="one_hot"))
    saved_entry_roundtrip(layers.HashedCrossing(6))


def test_errors():
    with pytest.raises(ValueError, match="cannot be `None`"):
        layers.Hashing(num_bins=None)
    with pytest.raises(ValueError, match="cannot be `None` or non-positive"):
        layers.Hashing(num_bins=0)
    for salt in ("string", [1], [133, 137, 177]):
        with pytest.raises(ValueError, match="can only be a tuple of size 2"):
            layers.Hashing(2, salt=salt)
    with pytest.raises(ValueError, match="Invalid value for argument `output_mode`"):
        layers.Hashing(2, output_mode="tf_idf")
    with pytest.raises(ValueError, match="`dtype` should be an integer type"):
        layers.Hashing(2, dtype="float32")
    for make in (lambda: layers.Hashing(2, output_mode="one_hot", sparse=True),
                 lambda: layers.HashedCrossing(2, output_mode="one_hot", sparse=True)):
        with pytest.raises(ValueError, match="sparse=True is not supported"):
            make()
    with pytest.raises(ValueError, match="must be one of 'int', 'one_hot'"):
        layers.HashedCrossing(2, output_mode="count")
    cross = layers.HashedCrossing(10)
    with pytest.raises(ValueError, match="should be called on a list"):
        cross(np.array(1))
    with pytest.raises(ValueError, match="at least two inputs"):
        cross([np.array(1)])
    with pytest.raises(ValueError, match="inputs should have shape"):
        cross((np.array([[[1]]]), np.array([[[1]]])))
    with pytest.raises(ValueError, match="should have equal shape"):
        cross((np.array([1, 2]), np.array([1])))
    with pytest.raises(ValueError, match="should have an integer or string dtype"):
        cross((np.array([1.0]), np.array([1.0])))
    with pytest.raises(ValueError, match="takes strings or numbers"):
        layers.Hashing(2)(np.array([None, {}], dtype=object))
