"""CIFAR100 small images classification dataset."""

import os

import numpy as np

from keras_bridge.datasets import cifar

#: Where the archive is downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://www.cs.toronto.edu/~kriz/"

#: SHA-256 of the archive, as in Keras.
FILE_HASHES = {
    "cifar-100-python.tar.gz":
        "85cd44d02ba6437773c5bbd22e183051d648de2e7d6b014e1ef29b855ba677a7",
}


def load_data(label_mode="fine"):
    """Loads the CIFAR100 dataset.

    50,000 32x32 color training images and 10,000 test images, labeled over 100
    fine-grained classes grouped into 20 coarse-grained classes. See the
    [CIFAR homepage](https://www.cs.toronto.edu/~kriz/cifar.html).

    The archive is cached in ``$KERAS_HOME/datasets`` (``~/.keras/datasets``); a folder
    ``cifar-100-python`` left there by Keras 2 is used as it is.

    Args:
        label_mode: ``"fine"`` (100 classes) or ``"coarse"`` (20 superclasses).

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``.

        ``x_train``: ``uint8`` array of shape ``(50000, 32, 32, 3)`` (channels first
        when ``image_data_format()`` is ``"channels_first"``). ``y_train``: ``int64``
        labels of shape ``(50000, 1)``, 0-99 (fine) or 0-19 (coarse). ``x_test``,
        ``y_test``: the same for the 10,000 test images.

    Example:

    ```python
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode="coarse")
    assert x_train.shape == (50000, 32, 32, 3)
    assert y_train.shape == (50000, 1)
    ```
    """
    if label_mode not in ("fine", "coarse"):
        raise ValueError('`label_mode` must be one of "fine", "coarse". '
                         f"Received: label_mode={label_mode!r}.")
    archive = "cifar-100-python.tar.gz"
    path = cifar.batches_folder(
        "cifar-100-python", "cifar-100-python-target", ORIGIN_FOLDER + archive,
        FILE_HASHES[archive], "cifar-100-python", ["train", "test"])
    label_key = f"{label_mode}_labels"
    x_train, y_train = cifar.load_batch(os.path.join(path, "train"), label_key=label_key)
    x_test, y_test = cifar.load_batch(os.path.join(path, "test"), label_key=label_key)
    y_train = np.reshape(y_train, (len(y_train), 1))
    y_test = np.reshape(y_test, (len(y_test), 1))
    x_train, x_test = cifar.to_image_data_format(x_train), cifar.to_image_data_format(x_test)
    return (x_train, y_train), (x_test, y_test)
