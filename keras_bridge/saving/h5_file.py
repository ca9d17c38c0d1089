"""Keras 3's HDF5 weight files (``.weights.h5``, and ``model.weights.h5`` inside a
``.keras`` archive), read and written with h5py.

The file holds one group per saved object, ``<path>/vars`` with a ``name``
attribute, and in it one dataset per variable named ``0``, ``1``, ... (see
``keras3_layout``). Reading takes the whole file into numpy arrays before anything
uses it, and refuses what Keras refuses: soft and external links, external or
virtual datasets, non-numeric data, and files whose datasets claim far more data than
they store (checked for the whole file when it is opened, before any dataset is read:
HDF5 allocates a dataset's declared shape whatever its compressed chunks hold). bfloat16 variables (stored by Keras as 16-bit words with a ``dtype``
attribute) are widened to float32, which holds every bfloat16 value exactly.
"""

import io
import math
import os

import numpy as np

from keras_bridge.saving.npz import InvalidFileError

HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_NUMERIC_KINDS = "biuf"
# Keras writes datasets uncompressed (declared == stored); a compressed file may expand
# up to _MAX_EXPANSION times what it stores, or to _BOMB_FLOOR_BYTES in all.
_BOMB_FLOOR_BYTES = 64 << 20
_MAX_EXPANSION = 100


def _h5py():
    try:
        import h5py
    except ImportError as e:  # a core dependency; only a broken install lacks it
        raise ImportError("Keras 3's weight files are HDF5, which needs h5py: "
                          "pip install h5py") from e
    return h5py


def write(fileobj, groups):
    """Write ``groups`` — ``[(group path, name, arrays)]``, ``arrays`` a list (keys
    ``0``, ``1``, ...) or a dict key -> array — as an HDF5 file to the binary file
    object ``fileobj``."""
    h5py = _h5py()
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        for path, name, arrays in groups:
            group = f.require_group(path)
            group.attrs["name"] = name
            items = arrays.items() if isinstance(arrays, dict) else enumerate(arrays)
            for key, array in items:
                group.create_dataset(str(key), data=np.asarray(array))
    fileobj.write(buffer.getvalue())


def check_signature(head, where):
    if not head.startswith(HDF5_SIGNATURE[:len(head)]) or len(head) < len(HDF5_SIGNATURE):
        raise InvalidFileError(f"{where} is not an HDF5 file (Keras's .weights.h5 format): "
                               f"it starts with {head[:8]!r}.")


def open_file(source, where):
    """An ``h5py.File`` open for reading (a path, or the bytes of one), after checking
    that it is a readable HDF5 file; a damaged one raises ``InvalidFileError``."""
    h5py = _h5py()
    if isinstance(source, bytes):
        check_signature(source[:8], where)
        handle = io.BytesIO(source)
    else:
        if not os.path.exists(source):
            raise FileNotFoundError(f"No such file: '{source}'.")
        with open(source, "rb") as f:
            head = f.read(8)
        if not head:
            raise InvalidFileError(f"{where} is empty (0 bytes). Was the save that wrote it "
                                   "interrupted?")
        check_signature(head, where)
        handle = source
    try:
        f = h5py.File(handle, "r")
    except Exception as e:  # OSError from HDF5 for truncated or damaged files
        raise InvalidFileError(f"{where} is not a readable HDF5 file: it is truncated or "
                               f"corrupted ({type(e).__name__}: {e}).") from e
    try:
        _check_sizes(h5py, f, where)
    except BaseException:
        f.close()
        raise
    return f


def _check_sizes(h5py, f, where):
    """Refuse a file whose datasets declare far more data than they store, before any
    is read (a decompression bomb)."""
    declared, stored, largest = 0, 0, (0, "")

    def visit(name, obj):
        nonlocal declared, stored, largest
        if isinstance(obj, h5py.Dataset) and obj.dtype.kind in _NUMERIC_KINDS:
            size = math.prod(obj.shape or ()) * obj.dtype.itemsize
            declared += size
            stored += obj.id.get_storage_size()
            largest = max(largest, (size, name))

    try:
        f.visititems(visit)
    except Exception as e:
        raise InvalidFileError(f"{where} is damaged: reading its structure failed "
                               f"({type(e).__name__}: {e}).") from e
    if declared > max(_BOMB_FLOOR_BYTES, _MAX_EXPANSION * stored):
        raise InvalidFileError(
            f"{where}: its datasets declare {declared} bytes but the file stores only "
            f"{stored} of them (the largest, {largest[1]!r}, declares {largest[0]}); "
            "refused as corrupted or hostile.")


def read(source, where):
    """``{group path: (name, {key: array})}`` for every ``vars`` group of an HDF5 file
    (a path, or the bytes of one inside a ``.keras`` archive)."""
    h5py = _h5py()
    f = open_file(source, where)
    groups = {}
    try:
        with f:
            _collect(h5py, f, "", where, groups)
    except InvalidFileError:
        raise
    except Exception as e:
        raise InvalidFileError(f"{where} is damaged: reading it failed "
                               f"({type(e).__name__}: {e}).") from e
    return groups


def _collect(h5py, group, path, where, groups):
    for key in group:
        link = group.get(key, getlink=True)
        full = f"{path}/{key}" if path else key
        if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
            raise InvalidFileError(f"{where} holds a {type(link).__name__} at {full!r}; "
                                   "weight files with links are refused.")
        child = group[key]
        if not isinstance(child, h5py.Group):
            continue  # a dataset outside any vars group: not Keras's, ignored
        if key == "vars":
            groups[full] = (_name(child), {k: read_dataset(child, k, f"{full}/{k}", where)
                                           for k in child})
        else:
            _collect(h5py, child, full, where, groups)


def _name(group):
    name = group.attrs.get("name")
    return name.decode() if isinstance(name, bytes) else (str(name) if name is not None
                                                          else None)


def read_dataset(group, key, full, where):
    """The array of dataset ``key`` of ``group`` (``full``: its path, for messages),
    refusing links, data kept outside the file and non-numbers (sizes were checked by
    ``open_file``)."""
    h5py = _h5py()
    link = group.get(key, getlink=True)
    if isinstance(link, (h5py.SoftLink, h5py.ExternalLink)):
        raise InvalidFileError(f"{where} holds a {type(link).__name__} at {full!r}; weight "
                               "files with links are refused.")
    ds = group[key]
    if not isinstance(ds, h5py.Dataset):
        raise InvalidFileError(f"{where}: {full!r} should be a variable (a dataset) but is a "
                               "group.")
    if ds.external or ds.is_virtual:
        raise InvalidFileError(f"{where}: variable {full!r} keeps its data outside the file; "
                               "refused.")
    bfloat16 = ds.attrs.get("dtype") in ("bfloat16", b"bfloat16")
    if bfloat16 and ds.dtype.itemsize == 2:
        words = np.asarray(ds[()]).view(np.uint16)
        return (words.astype(np.uint32) << 16).view(np.float32)
    if ds.dtype.kind not in _NUMERIC_KINDS or ds.dtype.fields is not None:
        raise InvalidFileError(f"{where}: variable {full!r} has dtype {ds.dtype}; weight "
                               "files hold numbers only.")
    return np.asarray(ds[()])
