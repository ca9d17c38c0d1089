"""Reading and writing the zip files behind ``.keras`` and ``.weights.npz``, safely.

Writing: a zip archive (stored, not compressed) whose arrays are ``.npy`` members, as
``numpy.savez`` writes them, plus JSON members. Reading: every member is read whole
(``read_member``: in bounded chunks, never past the size the zip declares for it, its
CRC-32 checked), JSON with ``json``, arrays by parsing the
``.npy`` header and checking that the data has exactly the size the header describes
before viewing it; object arrays are refused. Nothing is ever unpickled, and a damaged
file fails here, before any model is touched.
"""

import io
import json
import math
import os
import zipfile

import numpy as np

from keras_bridge import bounded_json

_ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")
_NUMERIC_KINDS = "biufc"  # bool, int, uint, float, complex


class InvalidFileError(ValueError):
    """A file that is not what it should be: truncated, corrupted, or foreign."""


def write_zip(fileobj, json_members, arrays, nested=None, raw=None):
    """Write a zip to ``fileobj``: JSON members, then ``<key>.npy`` per array, then
    ``nested`` members (name -> (json_members, arrays)) each written as a zip inside,
    then ``raw`` members (name -> bytes)."""
    with zipfile.ZipFile(fileobj, "w", zipfile.ZIP_STORED, allowZip64=True) as zf:
        for name, value in json_members.items():
            zf.writestr(name, json.dumps(value))
        for key, array in arrays.items():
            with zf.open(key + ".npy", "w", force_zip64=True) as member:
                np.lib.format.write_array(member, np.asarray(array),
                                          allow_pickle=False)
        for name, (inner_json, inner_arrays) in (nested or {}).items():
            with zf.open(name, "w", force_zip64=True) as member:
                write_zip(member, inner_json, inner_arrays)
        for name, data in (raw or {}).items():
            zf.writestr(name, data)


def check_file(path, kind):
    """Errors for a path that cannot be a ``kind`` file, before opening it as a zip."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"No such file: '{path}'.")
    if os.path.isdir(path):
        raise InvalidFileError(
            f"'{path}' is a directory, not a {kind}. (A TensorFlow SavedModel directory "
            "cannot be loaded by keras_bridge; save the model as .keras with Keras first.)")
    with open(path, "rb") as f:
        head = f.read(8)
    if not head:
        raise InvalidFileError(f"'{path}' is empty (0 bytes), so it is not a {kind}. "
                               "Was the save that wrote it interrupted?")
    if head.startswith(b"\x89HDF"):
        raise InvalidFileError(
            f"'{path}' is an HDF5 file (Keras 2's .h5 or a .weights.h5 format), not a "
            f"{kind}. Load a .weights.h5 file with model.load_weights; Keras 2 .h5 model "
            "files are not read by this version.")
    if any(sig.startswith(head) for sig in _ZIP_SIGNATURES) and \
            os.path.getsize(path) < len(_ZIP_SIGNATURES[0]):
        raise InvalidFileError(f"'{path}' is truncated: it holds only {len(head)} byte(s) of "
                               f"a {kind}. Was the save that wrote it interrupted?")
    if not head.startswith(_ZIP_SIGNATURES):
        raise InvalidFileError(f"'{path}' is not a {kind}: such files are zip archives, and "
                               f"this one does not start with a zip signature (its first "
                               f"bytes are {head!r}).")


def read_zip(source, where, kind, required=()):
    """All members of a zip (a path or bytes) as ``{name: bytes}``, every CRC checked.

    Args:
        source: A path, or the bytes of a zip nested in another file.
        where: How to name the file in errors ("'model.keras'", "member ... of ...").
        kind: What the file should be ('.keras archive').
        required: Member names that must be present.
    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except Exception as e:
        raise InvalidFileError(
            f"{where} is not a readable {kind}: its zip directory is missing or damaged "
            f"({e}). The file is truncated or corrupted.") from e
    with zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        missing = [name for name in required if name not in names]
        if missing:
            raise InvalidFileError(f"{where} is not a complete {kind}: it has no member "
                                   f"{missing[0]!r} (members: {names}).")
        if len(set(names)) != len(names):
            raise InvalidFileError(f"{where} holds the same member name twice: {names}.")
        members = {info.filename: read_member(zf, info, where) for info in infos}
    return members


_CHUNK = 1 << 20


def read_member(zf, info, where):
    """The bytes of member ``info`` of the open zip ``zf``, read in chunks of at most
    1 MiB of inflated data and never more than the size the zip declares for it: a
    member whose data inflates past that (a zip bomb that lies about its size) stops
    there, failing its CRC-32, instead of being inflated in full first, as
    ``ZipFile.read`` does."""
    _check_member_size(info, where)
    parts, size = [], 0
    try:
        with zf.open(info) as member:
            while size <= info.file_size:
                chunk = member.read(_CHUNK)
                if not chunk:
                    break
                parts.append(chunk)
                size += len(chunk)
    except Exception as e:  # BadZipFile (CRC), EOFError, zlib.error
        raise InvalidFileError(
            f"{where} is corrupted: member {info.filename!r} cannot be read intact; its "
            f"data does not match the size ({info.file_size} bytes) and CRC-32 the zip "
            f"declares ({type(e).__name__}: {e}).") from e
    if size != info.file_size:
        raise InvalidFileError(f"{where} is corrupted: member {info.filename!r} holds "
                               f"{size} bytes, not the {info.file_size} the zip declares.")
    return b"".join(parts)


def _check_member_size(info, where):
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise InvalidFileError(f"{where}: member {info.filename!r} uses zip compression "
                               f"method {info.compress_type}; only stored or deflated "
                               "members are read.")
    if info.compress_type == zipfile.ZIP_DEFLATED and \
            info.file_size > 100 * info.compress_size + (1 << 20):
        raise InvalidFileError(f"{where}: member {info.filename!r} claims to expand from "
                               f"{info.compress_size} to {info.file_size} bytes, which no "
                               "saved model does; the file is corrupted or hostile.")


def parse_json(data, where):
    try:
        return bounded_json.loads(data.decode("utf-8"))
    except Exception as e:  # UnicodeDecodeError, JSONDecodeError, nested too deeply
        raise InvalidFileError(f"{where} is not valid JSON ({type(e).__name__}: {e}).") \
            from e


def parse_npy(data, where):
    """The array in the bytes of one ``.npy`` file: numeric dtypes only, sizes checked,
    nothing unpickled. Returns a read-only view of ``data``."""
    f = io.BytesIO(data)
    try:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran_order, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ValueError(f"unsupported .npy format version {version}")
    except Exception as e:
        raise InvalidFileError(f"{where} is not a valid .npy array ({e}).") from e
    if dtype.hasobject or dtype.kind not in _NUMERIC_KINDS or dtype.fields is not None:
        raise InvalidFileError(f"{where} holds an array of dtype {dtype}; weight files hold "
                               "numeric arrays only (Python objects would need unpickling, "
                               "which keras_bridge never does).")
    count = math.prod(shape)
    offset = f.tell()
    if len(data) - offset != count * dtype.itemsize:
        raise InvalidFileError(
            f"{where} is damaged: its header describes an array of shape {shape} and dtype "
            f"{dtype} ({count * dtype.itemsize} bytes), but it holds {len(data) - offset} "
            "bytes of data.")
    array = np.frombuffer(data, dtype=dtype, count=count, offset=offset)
    if fortran_order:
        return array.reshape(shape[::-1]).T
    return array.reshape(shape)


def split_members(members, where):
    """``{name: bytes}`` of an npz-style zip -> (json dict by name, arrays by key)."""
    json_members, arrays = {}, {}
    for name, data in members.items():
        if name.endswith(".npy"):
            arrays[name[:-4]] = parse_npy(data, f"member {name!r} of {where}")
        elif name.endswith(".json"):
            json_members[name] = parse_json(data, f"member {name!r} of {where}")
        else:
            raise InvalidFileError(f"{where} holds an unexpected member {name!r}; it was not "
                                   "written by keras_bridge.")
    return json_members, arrays
