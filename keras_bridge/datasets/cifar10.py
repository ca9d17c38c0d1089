"""CIFAR10 small images classification dataset."""

import os

import numpy as np

from keras_bridge.datasets import cifar

#: Where the archive is downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://www.cs.toronto.edu/~kriz/"

#: SHA-256 of the archive, as in Keras.
FILE_HASHES = {
    "cifar-10-python.tar.gz":
        "6d958be074577803d12ecdefd02955f39262c83c16fe9348329d7fe0b5c001ce",
}

_BATCHES = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]


def load_data():
    """Loads the CIFAR10 dataset.

    50,000 32x32 color training images and 10,000 test images, labeled over 10
    categories: airplane, automobile, bird, cat, deer, dog, frog, horse, ship, truck.
    See the [CIFAR homepage](https://www.cs.toronto.edu/~kriz/cifar.html).

    The archive is cached in ``$KERAS_HOME/datasets`` (``~/.keras/datasets``); a folder
    ``cifar-10-batches-py`` left there by Keras 2 is used as it is.

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``.

        ``x_train``: ``uint8`` array of shape ``(50000, 32, 32, 3)`` (or
        ``(50000, 3, 32, 32)`` when ``image_data_format()`` is ``"channels_first"``),
        pixel values 0 to 255. ``y_train``: ``uint8`` array of labels 0-9, shape
        ``(50000, 1)``. ``x_test``, ``y_test``: the same for the 10,000 test images.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (50000, 32, 32, 3)
    assert y_train.shape == (50000, 1)
    ```
    """
    archive = "cifar-10-python.tar.gz"
    path = cifar.batches_folder(
        "cifar-10-batches-py", "cifar-10-batches-py-target", ORIGIN_FOLDER + archive,
        FILE_HASHES[archive], "cifar-10-batches-py", _BATCHES)
    train = [cifar.load_batch(os.path.join(path, name)) for name in _BATCHES[:-1]]
    x_train = np.concatenate([x for x, _ in train]).astype("uint8", copy=False)
    y_train = np.concatenate([np.asarray(y, dtype="uint8") for _, y in train])
    x_test, y_test = cifar.load_batch(os.path.join(path, "test_batch"))
    x_test = x_test.astype("uint8", copy=False)
    y_train = y_train.reshape(len(y_train), 1)
    y_test = np.asarray(y_test, dtype="uint8").reshape(len(y_test), 1)
    x_train, x_test = cifar.to_image_data_format(x_train), cifar.to_image_data_format(x_test)
    return (x_train, y_train), (x_test, y_test)
