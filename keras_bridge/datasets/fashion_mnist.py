"""Fashion-MNIST dataset."""

import gzip
import os

import numpy as np

from keras_bridge.utils.data_utils import get_file

#: Where the files are downloaded from (tests point it at a local server).
ORIGIN_FOLDER = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"

#: SHA-256 of each file, as in Keras.
FILE_HASHES = {
    "train-labels-idx1-ubyte.gz":
        "a04f17134ac03560a47e3764e11b92fc97de4d1bfaf8ba1a3aa29af54cc90845",
    "train-images-idx3-ubyte.gz":
        "3aede38d61863908ad78613f6a32ed271626dd12800ba2636569512369268a84",
    "t10k-labels-idx1-ubyte.gz":
        "67da17c76eaffca5446c3361aaab5c3cd6d1c2608764d35dfb1850b086bf8dd5",
    "t10k-images-idx3-ubyte.gz":
        "346e55b948d973a97e58d2351dde16a484bd415d4595297633bb08f03db6a073",
}


def read_idx(path, ndim):
    """Reads a gzipped IDX file of unsigned bytes (the MNIST file format).

    The header is a 0x0000 marker, the type code 0x08 (uint8), the number of dimensions,
    then each dimension as a big-endian uint32; the values follow.
    """
    with gzip.open(path, "rb") as f:
        data = f.read()
    header = 4 + 4 * ndim
    if len(data) < header or data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        raise ValueError(f"{path} is not an IDX file of {ndim}-d uint8 data "
                         f"(header {data[:4].hex()}).")
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    values = np.frombuffer(data, np.uint8, offset=header)
    if values.size != int(np.prod(shape)):
        raise ValueError(f"{path}: the header announces shape {shape} but "
                         f"{values.size} values follow.")
    return values.reshape(shape)


def load_data():
    """Loads the Fashion-MNIST dataset.

    60,000 28x28 grayscale images of 10 fashion categories, and a test set of 10,000
    images; a drop-in replacement for MNIST. Labels: 0 T-shirt/top, 1 Trouser,
    2 Pullover, 3 Dress, 4 Coat, 5 Sandal, 6 Shirt, 7 Sneaker, 8 Bag, 9 Ankle boot.

    The four files are cached in ``$KERAS_HOME/datasets/fashion-mnist``.

    Returns:
        Tuple of NumPy arrays: ``(x_train, y_train), (x_test, y_test)``.

        ``x_train``: ``uint8`` array of shape ``(60000, 28, 28)``. ``y_train``:
        ``uint8`` labels 0-9, shape ``(60000,)``. ``x_test``, ``y_test``: the same for
        the 10,000 test images.

    License: the copyright for Fashion-MNIST is held by Zalando SE; it is licensed
    under the MIT license.
    """
    files = ["train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
             "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"]
    paths = [get_file(name, origin=ORIGIN_FOLDER + name,
                      cache_subdir=os.path.join("datasets", "fashion-mnist"),
                      file_hash=FILE_HASHES[name]) for name in files]
    y_train, x_train = read_idx(paths[0], 1), read_idx(paths[1], 3)
    y_test, x_test = read_idx(paths[2], 1), read_idx(paths[3], 3)
    for x, y, name in ((x_train, y_train, "train"), (x_test, y_test, "t10k")):
        if len(x) != len(y):
            raise ValueError(f"Fashion-MNIST {name} files disagree: {len(x)} images and "
                             f"{len(y)} labels.")
    return (x_train, y_train), (x_test, y_test)
