"""Boston Housing price regression dataset."""

import numpy as np

from keras_bridge.datasets._safe_load import load_npz
from keras_bridge.utils.data_utils import get_file

#: Where the file is downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: SHA-256 of the file, as in Keras.
FILE_HASHES = {
    "boston_housing.npz":
        "f553886a1f8d56431e820c5b82552d9d95cfcb96d1e678153f8839538947dff5",
}


def load_data(path="boston_housing.npz", test_split=0.2, seed=113):
    """Loads the Boston Housing dataset.

    506 samples from the StatLib library (Carnegie Mellon University): 13 attributes
    of houses around Boston in the late 1970s; the target is the median value of the
    houses at a location, in k$.

    **Warning:** this dataset has an ethical problem: its authors included a variable,
    "B", that may appear to assume that racial self-segregation influences house
    prices. Its use is discouraged, except to illustrate ethical issues in data science
    and machine learning.

    Args:
        path: where to cache the file, relative to ``$KERAS_HOME/datasets``.
        test_split: fraction of the data reserved for the test set, in ``[0, 1)``.
        seed: seed of the shuffle made before the split.

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``; ``x`` of shape
        ``(num_samples, 13)``, ``y`` of shape ``(num_samples,)``, both ``float64``.
    """
    if not 0 <= test_split < 1:
        raise ValueError(f"Expected test_split in [0, 1). Received: test_split={test_split!r}")
    path = get_file(path, origin=ORIGIN_FOLDER + "boston_housing.npz",
                    file_hash=FILE_HASHES["boston_housing.npz"])
    f = load_npz(path)
    x, y = f["x"], f["y"]
    indices = np.arange(len(x))
    np.random.RandomState(seed).shuffle(indices)
    x, y = x[indices], y[indices]
    split = int(len(x) * (1 - test_split))
    return (np.array(x[:split]), np.array(y[:split])), (np.array(x[split:]),
                                                        np.array(y[split:]))
