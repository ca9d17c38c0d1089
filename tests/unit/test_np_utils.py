"""to_categorical, normalize and Keras 2's np_utils module.

These work on numpy arrays and involve no engine, so they run once; only the test that
passes an engine tensor runs per backend.
"""

import numpy as np
import pytest

from keras_bridge import ops
from keras_bridge.utils import normalize, np_utils, to_categorical


def test_to_categorical_one_hot_rows():
    got = to_categorical([0, 2, 1])
    np.testing.assert_array_equal(got, [[1, 0, 0], [0, 0, 1], [0, 1, 0]])
    assert got.dtype == np.float32
    got = to_categorical(np.array([3, 0]), num_classes=5, dtype="int32")
    assert got.dtype == np.int32 and got.tolist() == [[0, 0, 0, 1, 0], [1, 0, 0, 0, 0]]


def test_to_categorical_shapes_follow_keras():
    assert to_categorical(np.array([[1], [0]]), 3).shape == (2, 3)  # trailing 1 dropped
    assert to_categorical(np.zeros((2, 4), "int64"), 3).shape == (2, 4, 3)
    assert to_categorical(np.zeros((2, 4, 1), "uint8"), 3).shape == (2, 4, 3)
    assert to_categorical(np.array([1]), 2).shape == (1, 2)  # 1-d stays (n, classes)
    assert to_categorical(2, 4).tolist() == [0, 0, 1, 0]
    assert to_categorical([], num_classes=3).shape == (0, 3)
    assert to_categorical([1.0, 0.0]).tolist() == [[0, 1], [1, 0]]  # integral floats
    y = np.array([[5], [0], [4]], dtype="uint8")  # a cifar10-style label column
    np.testing.assert_array_equal(to_categorical(y, 10).argmax(-1), [5, 0, 4])


def test_to_categorical_rejects_labels_outside_the_range():
    with pytest.raises(ValueError, match=r"\[0, 3\).*\[3, 7\]"):
        to_categorical([0, 7, 3, 1, 7], num_classes=3)
    with pytest.raises(ValueError, match=r"\[-1\]"):
        to_categorical([-1, 0, 1])
    with pytest.raises(ValueError, match=r"non-integer labels: \[0.5\]"):
        to_categorical([0.5, 1.0])
    with pytest.raises(ValueError, match="integer class labels"):
        to_categorical(["cat", "dog"])
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([])
    with pytest.raises(ValueError, match="num_classes"):
        to_categorical([0], num_classes=0)


def test_to_categorical_of_an_engine_tensor_gives_numpy(backend):
    labels = ops.convert_to_tensor(np.array([1, 0, 2]))
    got = to_categorical(labels, 3)
    assert isinstance(got, np.ndarray)
    np.testing.assert_array_equal(got, np.eye(3)[[1, 0, 2]])


def test_normalize():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x), [[0.6, 0.8], [0.0, 0.0]])  # zero rows kept
    np.testing.assert_allclose(normalize(x, order=1), [[3 / 7, 4 / 7], [0.0, 0.0]])
    np.testing.assert_allclose(normalize(x, axis=0), [[1.0, 1.0], [0.0, 0.0]])
    assert normalize([1.0, 1.0]).shape == (2,)


def test_np_utils_is_the_keras_2_spelling():
    with pytest.warns(DeprecationWarning, match=r"keras_bridge\.utils\.to_categorical"):
        got = np_utils.to_categorical([1, 0], 2)
    np.testing.assert_array_equal(got, [[0, 1], [1, 0]])
    with pytest.warns(DeprecationWarning, match=r"keras_bridge\.utils\.normalize"):
        np.testing.assert_allclose(np_utils.normalize([[3.0, 4.0]]), [[0.6, 0.8]])
    from keras_bridge.utils import np_utils as again
    assert again is np_utils
