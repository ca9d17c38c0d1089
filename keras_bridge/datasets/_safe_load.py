"""Reading dataset files without ever running code from them.

CIFAR batches are pickles, and the IMDB / Reuters ``.npz`` files store ragged sequences
as object arrays, which numpy can only save as pickles. ``pickle.load`` (and
``np.load(allow_pickle=True)``) would run any callable a tampered file names, through
``__reduce__``. Here every global a pickle asks for goes through ``RestrictedUnpickler``,
which hands out only what rebuilding numpy arrays needs (``ndarray``, ``dtype``, the
array reconstructors, for files written by numpy 1 and 2 and by Python 2 and 3) and
refuses everything else (``os.system``, ``builtins.eval``, ...) with an error.
Dicts, lists, strings and numbers need no globals at all. Numeric ``.npz`` members are
read with pickling switched off entirely.
"""

import io
import pickle
import zipfile

import numpy as np

from keras_bridge.saving.npz import read_member

try:  # numpy >= 2 (and 1.26's forward-compatibility alias)
    from numpy._core import multiarray as _multiarray
    from numpy._core import numeric as _numeric
except ImportError:  # pragma: no cover - numpy < 1.26
    from numpy.core import multiarray as _multiarray
    from numpy.core import numeric as _numeric


def _latin1_encode(text, encoding="latin1"):
    # Python 3 writes ``bytes`` into protocol-2 pickles as ``_codecs.encode(str,
    # "latin1")``; only that use is allowed (other codecs could decompress bombs).
    if encoding not in ("latin1", "latin-1"):
        raise pickle.UnpicklingError(f"Refusing _codecs.encode with encoding {encoding!r}.")
    return text.encode("latin1")


# (module, name) as written in the pickle -> the object handed out. numpy 1 files name
# numpy.core.*, numpy 2 files numpy._core.*; both map to the installed functions so the
# deprecated numpy.core alias is never imported.
_ALLOWED = {}
for _prefix in ("numpy.core", "numpy._core"):
    _ALLOWED[(f"{_prefix}.multiarray", "_reconstruct")] = _multiarray._reconstruct
    _ALLOWED[(f"{_prefix}.multiarray", "scalar")] = _multiarray.scalar
    _ALLOWED[(f"{_prefix}.numeric", "_frombuffer")] = _numeric._frombuffer
_ALLOWED[("numpy", "ndarray")] = np.ndarray
_ALLOWED[("numpy", "dtype")] = np.dtype
_ALLOWED[("_codecs", "encode")] = _latin1_encode

# An npz member whose declared size is above 4 GiB and over 100 times what is stored
# is refused as a decompression bomb (real dataset members compress far less).
_BOMB_FLOOR = 1 << 32
_BOMB_RATIO = 100


class UnsafeFileError(pickle.UnpicklingError):
    """A dataset file asked to run something other than numpy array reconstruction."""


class RestrictedUnpickler(pickle.Unpickler):
    """An unpickler that only allows the globals needed to rebuild numpy arrays."""

    def __init__(self, file, source="<stream>", **kwargs):
        super().__init__(file, **kwargs)
        self._source = source

    def find_class(self, module, name):
        found = _ALLOWED.get((module, name))
        if found is None:
            raise UnsafeFileError(
                f"Refusing to load {self._source}: it asks for {module}.{name}, and a "
                "dataset file may only rebuild numpy arrays, lists, dicts, strings and "
                "numbers. The file is corrupted or malicious; delete it and download it "
                "again.")
        return found

    def persistent_load(self, pid):
        raise UnsafeFileError(f"Refusing to load {self._source}: it uses persistent ids.")


def load_pickle(path, encoding="bytes"):
    """Unpickle a file with ``RestrictedUnpickler`` (``encoding="bytes"`` for Python 2
    pickles such as the CIFAR batches)."""
    with open(path, "rb") as f:
        return RestrictedUnpickler(f, source=str(path), encoding=encoding).load()


def _read_npy(stream, source):
    version = np.lib.format.read_magic(stream)
    if version == (1, 0):
        _, _, dtype = np.lib.format.read_array_header_1_0(stream)
    elif version in ((2, 0), (3, 0)):
        # 3.0 differs from 2.0 only by allowing UTF-8 in the header text.
        _, _, dtype = np.lib.format.read_array_header_2_0(stream)
    else:
        raise ValueError(f"{source}: unsupported .npy format version {version}.")
    if dtype.hasobject:
        return RestrictedUnpickler(stream, source=source, encoding="latin1").load()
    stream.seek(0)
    return np.lib.format.read_array(stream, allow_pickle=False)


def load_npz(path):
    """Read an ``.npz`` file into a ``dict`` of arrays, never executing code.

    Numeric members are read with pickling disabled; object members (ragged
    sequences) go through ``RestrictedUnpickler``.
    """
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        for info in archive.infolist():
            if not info.filename.endswith(".npy"):
                continue
            if info.file_size > _BOMB_FLOOR and \
                    info.file_size > _BOMB_RATIO * max(info.compress_size, 1):
                raise ValueError(
                    f"Refusing to load {info.filename!r} from {path}: it declares "
                    f"{info.file_size} bytes but stores {info.compress_size}.")
            stream = io.BytesIO(read_member(archive, info, str(path)))
            source = f"{path}:{info.filename}"
            arrays[info.filename[: -len(".npy")]] = _read_npy(stream, source)
    return arrays
