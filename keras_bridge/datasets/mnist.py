"""MNIST handwritten digits dataset."""

from keras_bridge.datasets._safe_load import load_npz
from keras_bridge.utils.data_utils import get_file

#: Where the file is downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: SHA-256 of the file, as in Keras.
FILE_HASHES = {
    "mnist.npz": "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1",
}


def load_data(path="mnist.npz"):
    """Loads the MNIST dataset.

    60,000 28x28 grayscale images of the 10 digits, and a test set of 10,000 images.
    More at the [MNIST homepage](http://yann.lecun.com/exdb/mnist/).

    Args:
        path: where to cache the file, relative to ``$KERAS_HOME/datasets``
            (``~/.keras/datasets``).

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``.

        ``x_train``: ``uint8`` array of shape ``(60000, 28, 28)``, pixel values 0 to
        255. ``y_train``: ``uint8`` digit labels 0-9, shape ``(60000,)``. ``x_test``,
        ``y_test``: the same for the 10,000 test images.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    assert x_train.shape == (60000, 28, 28)
    assert y_test.shape == (10000,)
    ```

    License: Yann LeCun and Corinna Cortes hold the copyright of MNIST, a derivative of
    the NIST datasets, available under the Creative Commons Attribution-Share Alike 3.0
    license.
    """
    path = get_file(fname=path, origin=ORIGIN_FOLDER + "mnist.npz",
                    file_hash=FILE_HASHES["mnist.npz"])
    f = load_npz(path)
    return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
