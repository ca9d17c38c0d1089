"""keras_bridge.datasets: each loader parses small files in the real formats.

The files are written by the tests (npz, gzipped IDX, CIFAR pickles in tar.gz archives,
JSON word indexes) and served by a loopback HTTP server on 127.0.0.1 (no outside
network) or placed in the cache. Expected arrays are worked out by hand from Keras's
rules. Dataset loading involves no engine, so these tests run once rather than once per
backend.
"""

import gzip
import hashlib
import io
import json
import pickle
import subprocess
import sys
import tarfile

import numpy as np
import pytest

from keras_bridge import config
from keras_bridge.datasets import (boston_housing, cifar, cifar10, cifar100, fashion_mnist,
                                   imdb, mnist, reuters)
from keras_bridge.datasets._safe_load import UnsafeFileError, load_npz


KERAS_ORIGIN = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/"


@pytest.fixture(autouse=True)
def _isolated_home(home):
    """Every test gets its own KERAS_HOME (never ~/.keras)."""


@pytest.fixture
def serve(server, monkeypatch):
    """serve(module, {name: bytes}): serve files for a loader and trust their hashes
    (sha256, or md5 where Keras uses md5)."""

    def serve(module, files):
        monkeypatch.setattr(module, "ORIGIN_FOLDER", server.url + "/")
        for name, data in files.items():
            server.routes["/" + name] = data
            md5 = len(module.FILE_HASHES[name]) == 32
            digest = hashlib.md5(data) if md5 else hashlib.sha256(data)
            monkeypatch.setitem(module.FILE_HASHES, name, digest.hexdigest())

    return serve


def npz(**arrays):
    buffer = io.BytesIO()
    np.savez_compressed(buffer, **arrays)
    return buffer.getvalue()


def ragged(*seqs):
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = list(s)
    return out


def tar_gz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_defaults_are_keras_urls_and_checksums():
    for module in (mnist, fashion_mnist, imdb, reuters, boston_housing):
        assert module.ORIGIN_FOLDER == KERAS_ORIGIN
    assert cifar10.ORIGIN_FOLDER == cifar100.ORIGIN_FOLDER == "https://www.cs.toronto.edu/~kriz/"
    assert mnist.FILE_HASHES["mnist.npz"].startswith("731c5ac6")
    assert cifar10.FILE_HASHES["cifar-10-python.tar.gz"].startswith("6d958be0")
    assert cifar100.FILE_HASHES["cifar-100-python.tar.gz"].startswith("85cd44d0")
    assert imdb.FILE_HASHES == {
        "imdb.npz": "69664113be75683a8fe16e3ed0ab59fda8886cb3cd7ada244f7d9544e4676b9f",
        "imdb_word_index.json": "bfafd718b763782e994055a2d397834f"}
    assert reuters.FILE_HASHES["reuters_word_index.json"] == "4d44cc38712099c9e383dc6e5f11a921"


def test_loading_imports_no_engine():
    code = ("import sys; from keras_bridge.datasets import mnist, cifar10, imdb; "
            "from keras_bridge.utils import np_utils, get_file, to_categorical; "
            "assert 'torch' not in sys.modules and 'jax' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


# --- MNIST and Fashion-MNIST --------------------------------------------------------

def test_mnist_downloads_once_and_returns_keras_shapes(serve, server, home):
    x_train = (np.arange(3 * 28 * 28) % 256).astype("uint8").reshape(3, 28, 28)
    x_test = x_train[:2][:, ::-1]
    y_train, y_test = np.array([5, 0, 4], "uint8"), np.array([7, 2], "uint8")
    serve(mnist, {"mnist.npz": npz(x_train=x_train, y_train=y_train, x_test=x_test,
                                   y_test=y_test)})
    (a, b), (c, d) = mnist.load_data()
    for got, want in ((a, x_train), (b, y_train), (c, x_test), (d, y_test)):
        assert got.dtype == np.uint8 and got.shape == want.shape
        np.testing.assert_array_equal(got, want)
    assert (home / "mnist.npz").is_file()
    mnist.load_data()
    assert server.requests == ["/mnist.npz"]
    mnist.load_data(path="mnist_copy.npz")  # `path` names the cached file
    assert (home / "mnist_copy.npz").is_file() and len(server.requests) == 2


def idx_gz(array):
    header = bytes([0, 0, 8, array.ndim]) + b"".join(
        n.to_bytes(4, "big") for n in array.shape)
    return gzip.compress(header + array.astype("uint8").tobytes())


def test_fashion_mnist_reads_gzipped_idx_files(serve, home):
    x_train = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 251
    x_test = np.full((3, 28, 28), 7)
    y_train, y_test = np.array([9, 0]), np.array([1, 2, 3])
    files = {"train-labels-idx1-ubyte.gz": idx_gz(y_train),
             "train-images-idx3-ubyte.gz": idx_gz(x_train),
             "t10k-labels-idx1-ubyte.gz": idx_gz(y_test),
             "t10k-images-idx3-ubyte.gz": idx_gz(x_test)}
    serve(fashion_mnist, files)
    (a, b), (c, d) = fashion_mnist.load_data()
    assert [a.shape, b.shape, c.shape, d.shape] == [(2, 28, 28), (2,), (3, 28, 28), (3,)]
    assert {a.dtype, b.dtype, c.dtype, d.dtype} == {np.dtype("uint8")}
    np.testing.assert_array_equal(a, x_train)
    np.testing.assert_array_equal(d, y_test)
    assert sorted(p.name for p in (home / "fashion-mnist").iterdir()) == sorted(files)


def test_idx_file_with_a_wrong_header_is_refused(tmp_path):
    path = tmp_path / "bad.gz"
    path.write_bytes(gzip.compress(b"\x00\x00\x0d\x01" + (2).to_bytes(4, "big") + b"ab"))
    with pytest.raises(ValueError, match="not an IDX file"):
        fashion_mnist.read_idx(path, 1)


# --- CIFAR ----------------------------------------------------------------------------

def cifar_batch(images, protocol=2, **labels):
    """A CIFAR "python version" batch: a pickled dict with bytes keys."""
    batch = {b"batch_label": b"test batch", b"data": images.reshape(len(images), -1),
             b"filenames": [b"img%d.png" % i for i in range(len(images))]}
    batch.update({key.encode(): value for key, value in labels.items()})
    data = pickle.dumps(batch, protocol=protocol)
    if protocol == 2:  # name the reconstructor as numpy 1 did, as the real files do
        data = data.replace(b"numpy._core.multiarray\n", b"numpy.core.multiarray\n")
    return data


def images(n, seed):
    return np.random.RandomState(seed).randint(0, 256, (n, 3, 32, 32)).astype("uint8")


def cifar10_files():
    batches = {f"data_batch_{i}": images(2, i) for i in range(1, 6)}
    batches["test_batch"] = images(3, 0)
    labels = {name: [(i + j) % 10 for j in range(len(x))]
              for i, (name, x) in enumerate(batches.items())}
    # Python 2 wrote protocol 2; numpy 2 writes protocol 5 arrays: read both.
    files = {name: cifar_batch(x, protocol=2 if name != "test_batch" else 5,
                               labels=labels[name]) for name, x in batches.items()}
    return batches, labels, files


def test_cifar10_from_an_archive_in_keras_layout(serve, server, home):
    batches, labels, files = cifar10_files()
    archive = tar_gz({f"cifar-10-batches-py/{name}": data for name, data in files.items()})
    serve(cifar10, {"cifar-10-python.tar.gz": archive})
    (x_train, y_train), (x_test, y_test) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and x_test.shape == (3, 32, 32, 3)
    assert y_train.shape == (10, 1) and y_test.shape == (3, 1)
    assert {x_train.dtype, y_train.dtype, x_test.dtype, y_test.dtype} == {np.dtype("uint8")}
    np.testing.assert_array_equal(x_train[2], batches["data_batch_2"][0].transpose(1, 2, 0))
    np.testing.assert_array_equal(x_test, batches["test_batch"].transpose(0, 2, 3, 1))
    assert y_train[:, 0].tolist() == [0, 1, 1, 2, 2, 3, 3, 4, 4, 5]
    assert y_test[:, 0].tolist() == [5, 6, 7]
    extracted = home / "cifar-10-batches-py-target" / "cifar-10-batches-py"
    assert (extracted / "test_batch").is_file()
    assert (home / "cifar-10-batches-py-target_archive").is_file()
    config.set_image_data_format("channels_first")
    (x_train, _), _ = cifar10.load_data()
    assert x_train.shape == (10, 3, 32, 32)
    np.testing.assert_array_equal(x_train[2], batches["data_batch_2"][0])
    assert server.requests == ["/cifar-10-python.tar.gz"]


def test_cifar10_folder_left_by_keras_2_is_used(home, monkeypatch):
    monkeypatch.setattr(cifar10, "ORIGIN_FOLDER", "http://127.0.0.1:9/")  # never reached
    _, _, files = cifar10_files()
    folder = home / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (x_train, y_train), (x_test, _) = cifar10.load_data()
    assert x_train.shape == (10, 32, 32, 3) and y_train.shape == (10, 1)
    assert x_test.shape == (3, 32, 32, 3)


def test_cifar100_fine_and_coarse_labels(serve, home):
    train, test = images(4, 1), images(2, 2)
    files = {"cifar-100-python/train": cifar_batch(train, protocol=4, fine_labels=[99, 0, 5, 42],
                                                   coarse_labels=[19, 0, 1, 7]),
             "cifar-100-python/test": cifar_batch(test, protocol=4, fine_labels=[3, 4],
                                                  coarse_labels=[5, 6])}
    serve(cifar100, {"cifar-100-python.tar.gz": tar_gz(files)})
    (x_train, y_train), (x_test, y_test) = cifar100.load_data()
    assert x_train.shape == (4, 32, 32, 3) and x_test.shape == (2, 32, 32, 3)
    assert x_train.dtype == np.uint8 and y_train.dtype == np.int64
    assert y_train.shape == (4, 1) and y_train[:, 0].tolist() == [99, 0, 5, 42]
    np.testing.assert_array_equal(x_test, test.transpose(0, 2, 3, 1))
    (_, y_train), (_, y_test) = cifar100.load_data(label_mode="coarse")
    assert y_train[:, 0].tolist() == [19, 0, 1, 7] and y_test[:, 0].tolist() == [5, 6]
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data(label_mode="medium")


class _RunsCode:
    """An object whose unpickling would run code (here: create ``marker``)."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').close()",)


def test_malicious_cifar_pickle_is_refused_without_running(home, tmp_path):
    marker = tmp_path / "pwned"
    _, _, files = cifar10_files()
    files["test_batch"] = pickle.dumps({b"data": _RunsCode(marker), b"labels": [0]},
                                       protocol=2)
    folder = home / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with pytest.raises(UnsafeFileError, match=r"asks for (__builtin__|builtins)\.exec"):
        cifar10.load_data()
    with pytest.raises(pickle.UnpicklingError, match="test_batch"):
        cifar.load_batch(folder / "test_batch")
    assert not marker.exists()


def test_cifar_batch_of_the_wrong_shape_is_refused(tmp_path):
    path = tmp_path / "batch"
    path.write_bytes(pickle.dumps({b"data": np.zeros((2, 10), "uint8"), b"labels": [0, 1]}))
    with pytest.raises(ValueError, match="not a CIFAR batch"):
        cifar.load_batch(path)


# --- IMDB and Reuters -------------------------------------------------------------

IMDB = dict(x_train=ragged([1, 2, 3], [4, 5], [6, 7, 8, 9]), y_train=np.array([0, 1, 1]),
            x_test=ragged([2, 9], [1], [3, 3, 3]), y_test=np.array([1, 0, 0]))
# np.random.RandomState(113) shuffles 3 items as [2, 0, 1], then (the same generator)
# the next 3 as [1, 0, 2]: train is [6 7 8 9], [1 2 3], [4 5]; test [1], [2 9], [3 3 3].


@pytest.fixture
def imdb_served(serve):
    serve(imdb, {"imdb.npz": npz(**IMDB)})


def as_lists(x):
    assert x.dtype == object and x.ndim == 1
    return [list(s) for s in x]


def test_imdb_defaults(imdb_served):
    (x_train, y_train), (x_test, y_test) = imdb.load_data()
    # start_char 1, then each word + index_from 3; num_words=None keeps every word
    assert as_lists(x_train) == [[1, 9, 10, 11, 12], [1, 4, 5, 6], [1, 7, 8]]
    assert as_lists(x_test) == [[1, 4], [1, 5, 12], [1, 6, 6, 6]]
    assert y_train.tolist() == [1, 0, 1] and y_test.tolist() == [0, 1, 0]
    assert y_train.dtype == np.int64


def test_imdb_num_words_skip_top_and_oov(imdb_served):
    (x_train, _), (x_test, _) = imdb.load_data(num_words=8, skip_top=5)
    # kept: 5 <= w < 8; the rest (the start mark included) become oov_char 2
    assert as_lists(x_train) == [[2, 2, 2, 2, 2], [2, 2, 5, 6], [2, 7, 2]]
    assert as_lists(x_test) == [[2, 2], [2, 5, 2], [2, 6, 6, 6]]
    (x_train, _), (x_test, _) = imdb.load_data(num_words=8, skip_top=5, oov_char=None)
    assert as_lists(x_train) == [[], [5, 6], [7]]
    assert as_lists(x_test) == [[], [5], [6, 6, 6]]


def test_imdb_maxlen_drops_long_sequences(imdb_served):
    (x_train, y_train), (x_test, y_test) = imdb.load_data(maxlen=4)
    assert as_lists(x_train) == [[1, 7, 8]] and y_train.tolist() == [1]
    assert as_lists(x_test) == [[1, 4], [1, 5, 12]] and y_test.tolist() == [0, 1]
    with pytest.raises(ValueError, match="maxlen=2"):
        imdb.load_data(maxlen=2)


def test_imdb_seed_start_char_and_index_from(imdb_served):
    # RandomState(7): train order [2, 1, 0], test order [0, 1, 2]
    (x_train, y_train), (x_test, _) = imdb.load_data(seed=7, start_char=None, index_from=0)
    assert as_lists(x_train) == [[6, 7, 8, 9], [4, 5], [1, 2, 3]]
    assert y_train.tolist() == [1, 1, 0]
    assert as_lists(x_test) == [[2, 9], [1], [3, 3, 3]]


def test_imdb_legacy_nb_words(imdb_served):
    with pytest.warns(DeprecationWarning, match="num_words"):
        (x_train, _), _ = imdb.load_data(nb_words=8, skip_top=5)
    assert as_lists(x_train)[2] == [2, 7, 2]
    with pytest.raises(TypeError, match="num_word"):
        imdb.load_data(num_word=8)


def test_word_indexes_come_through_get_file(serve, server):
    serve(imdb, {"imdb_word_index.json": json.dumps({"the": 1, "film": 2}).encode()})
    serve(reuters, {"reuters_word_index.json": json.dumps({"the": 1, "said": 2}).encode()})
    assert imdb.get_word_index() == {"the": 1, "film": 2}
    assert reuters.get_word_index() == {"the": 1, "said": 2}
    imdb.get_word_index()
    assert server.requests == ["/imdb_word_index.json", "/reuters_word_index.json"]


REUTERS = dict(x=ragged([1, 2], [3], [4, 5, 6], [7, 8], [9]), y=np.array([0, 3, 1, 2, 4]))
# RandomState(113) shuffles 5 items as [1, 0, 3, 2, 4]:
# [3], [1 2], [7 8], [4 5 6], [9] with labels 3, 0, 2, 1, 4.


def test_reuters_split_and_word_filters(serve):
    serve(reuters, {"reuters.npz": npz(**REUTERS)})
    (x_train, y_train), (x_test, y_test) = reuters.load_data()
    assert as_lists(x_train) == [[1, 6], [1, 4, 5], [1, 10, 11], [1, 7, 8, 9]]
    assert as_lists(x_test) == [[1, 12]]  # int(5 * 0.8) = 4 for training
    assert y_train.tolist() == [3, 0, 2, 1] and y_test.tolist() == [4]
    assert y_train.dtype == np.int64
    (x_train, _), (x_test, y_test) = reuters.load_data(test_split=0.4, num_words=6)
    assert as_lists(x_train) == [[1, 2], [1, 4, 5], [1, 2, 2]]
    assert as_lists(x_test) == [[1, 2, 2, 2], [1, 2]] and y_test.tolist() == [1, 4]
    (x_train, y_train), (x_test, y_test) = reuters.load_data(maxlen=3)
    assert as_lists(x_train) == [[1, 6]] and y_train.tolist() == [3]
    assert as_lists(x_test) == [[1, 12]] and y_test.tolist() == [4]
    assert len(reuters.get_label_names()) == 46


def test_malicious_npz_is_refused_without_running(serve, tmp_path):
    marker = tmp_path / "pwned"
    evil = np.empty(1, dtype=object)
    evil[0] = _RunsCode(marker)
    serve(imdb, {"imdb.npz": npz(x_train=evil, y_train=np.array([0]), x_test=evil,
                                 y_test=np.array([0]))})
    with pytest.raises(UnsafeFileError, match="x_train.npy"):
        imdb.load_data()
    assert not marker.exists()


def test_numeric_npz_members_never_use_pickle(tmp_path):
    path = tmp_path / "a.npz"
    path.write_bytes(npz(a=np.arange(3.0), b=ragged([1], [2, 3])))
    loaded = load_npz(path)
    np.testing.assert_array_equal(loaded["a"], [0.0, 1.0, 2.0])
    assert [list(s) for s in loaded["b"]] == [[1], [2, 3]]


# --- Boston Housing -----------------------------------------------------------------

def test_boston_housing_split(serve):
    x = np.arange(65, dtype="float64").reshape(5, 13)
    y = np.array([10.0, 20.0, 30.0, 40.0, 50.0])
    serve(boston_housing, {"boston_housing.npz": npz(x=x, y=y)})
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data()
    # RandomState(113) order [1, 0, 3, 2, 4]; int(5 * 0.8) = 4 rows for training
    assert x_train.shape == (4, 13) and x_test.shape == (1, 13)
    assert x_train.dtype == y_train.dtype == np.float64
    np.testing.assert_array_equal(x_train, x[[1, 0, 3, 2]])
    assert y_train.tolist() == [20.0, 10.0, 40.0, 30.0] and y_test.tolist() == [50.0]
    (x_train, y_train), (_, y_test) = boston_housing.load_data(test_split=0.4)
    assert y_train.tolist() == [20.0, 10.0, 40.0] and y_test.tolist() == [30.0, 50.0]
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)
