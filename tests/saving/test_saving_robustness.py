"""Damaged, foreign and interrupted files: clear errors, never a half-loaded model, and a
save killed mid-write leaves the previous file intact."""

import io
import json
import os
import signal
import struct
import subprocess
import sys
import textwrap
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

from keras_bridge import saving
from keras_bridge.layers import Dense, Input, concatenate
from keras_bridge.models import Model, Sequential
from keras_bridge.saving import InvalidFileError




def _model(units=3):
    a, b = Input((4,), name="a"), Input((2,), name="b")
    h = Dense(units, name="hidden")(concatenate([a, b]))
    return Model([a, b], Dense(2, name="out")(h), name="m")


@pytest.fixture
def archive(tmp_path):
    """(path, bytes, weights) of a saved, compiled model (no engine is started)."""
    model = _model()
    model.compile("sgd", "mse")
    path = tmp_path / "model.keras"
    model.save(path)
    return path, path.read_bytes(), model.get_weights()


def _rezip(data, drop=(), replace=None):
    """The archive ``data`` without the ``drop`` members and with ``replace`` ones."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for name in src.namelist():
            if name not in drop:
                dst.writestr(name, replace.get(name, src.read(name)))
    return out.getvalue()


# ---- damaged files ---------------------------------------------------------------------------
def test_truncated_archive(archive, tmp_path):
    _, data, _ = archive
    n = len(data)
    for cut in sorted({1, 3, 30, 100, n // 4, n // 2, 3 * n // 4, n - 200, n - 22, n - 1}):
        path = tmp_path / f"cut{cut}.keras"
        path.write_bytes(data[:cut])
        with pytest.raises(InvalidFileError, match=f"cut{cut}.keras"):
            saving.load_model(path)
    (tmp_path / "empty.keras").write_bytes(b"")
    with pytest.raises(InvalidFileError, match="empty"):
        saving.load_model(tmp_path / "empty.keras")


def test_flipped_bytes_are_detected_or_harmless(archive, tmp_path):
    """Every flipped byte either fails with InvalidFileError or hits a field that does not
    change what loads (a timestamp, file attributes); the zip CRCs guard all content."""
    _, data, weights = archive
    path = tmp_path / "flip.keras"
    harmless = 0
    for position in range(0, len(data), 3):
        damaged = bytearray(data)
        damaged[position] ^= 0x5A
        path.write_bytes(bytes(damaged))
        try:
            model = saving.load_model(path)
        except InvalidFileError:
            continue
        harmless += 1
        for got, want in zip(model.get_weights(), weights, strict=True):
            np.testing.assert_array_equal(got, want)
    assert harmless < len(data) // 3 // 4  # the flips that load are the few unchecked fields


def test_missing_members(archive, tmp_path):
    _, data, _ = archive
    for member in ("config.json", "model.weights.h5"):
        path = tmp_path / "partial.keras"
        path.write_bytes(_rezip(data, drop=(member,)))
        with pytest.raises(InvalidFileError, match=f"no member '{member}'"):
            saving.load_model(path)


def test_truncated_weights_file_changes_nothing(tmp_path):
    model = _model()
    model.save_weights(tmp_path / "w.weights.npz")
    data = (tmp_path / "w.weights.npz").read_bytes()
    target = _model()
    before = target.get_weights()
    for cut in (10, len(data) // 2, len(data) - 10):
        (tmp_path / "cut.weights.npz").write_bytes(data[:cut])
        with pytest.raises(InvalidFileError, match="cut.weights.npz"):
            target.load_weights(tmp_path / "cut.weights.npz")
    for got, want in zip(target.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def _lying_member(data, name, declared):
    """``data`` (a zip) with member ``name`` declaring ``declared`` bytes in its local
    header and in the central directory, whatever it really inflates to."""
    data = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo(name)
    data[info.header_offset + 22:info.header_offset + 26] = struct.pack("<I", declared)
    at = data.index(b"PK\x01\x02")
    while True:  # the central directory entry of ``name``
        length = struct.unpack("<H", data[at + 28:at + 30])[0]
        if data[at + 46:at + 46 + length].decode() == name:
            break
        at = data.index(b"PK\x01\x02", at + 4)
    data[at + 24:at + 28] = struct.pack("<I", declared)
    return bytes(data)


def _zip_of(members):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in members.items():
            zf.writestr(name, content)
    return out.getvalue()


def test_zip_member_lying_about_its_size_is_not_inflated(archive, tmp_path):
    """A member declaring 1 KiB that inflates to 64 MiB of zeros (64 KiB compressed) is
    read no further than its declared size: the error names the file and the member,
    and the memory used stays far below what inflating it would take."""
    bomb = b"\0" * (64 << 20)
    _, data, _ = archive
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        members = {name: zf.read(name) for name in zf.namelist()}
    npy = io.BytesIO()
    np.lib.format.write_array(npy, np.zeros(1 << 24, np.float32))  # 64 MiB of zeros
    cases = [  # (file, member, its bytes, load)
        ("bomb.keras", "config.json", {**members, "config.json": bomb}, saving.load_model),
        ("bomb.weights.npz", "hidden.kernel.npy", {"manifest.json": b"{}",
                                                   "hidden.kernel.npy": npy.getvalue()},
         _model().load_weights),
    ]
    for filename, member, content, load in cases:
        path = tmp_path / filename
        path.write_bytes(_lying_member(_zip_of(content), member, 1024))
        tracemalloc.start()
        try:
            with pytest.raises(InvalidFileError, match=f"{filename}.*{member}.*1024 bytes"):
                load(path)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        assert peak < 8 << 20, peak  # inflating it whole took 141 MiB


def test_hdf5_dataset_declaring_far_more_than_it_stores(tmp_path):
    """A compressed dataset of 256 MiB that stores nothing (never written: HDF5 would
    allocate all of it on reading) is refused before any dataset is read."""
    import h5py
    model = _model()
    path = tmp_path / "bomb.weights.h5"
    model.save_weights(path)
    with h5py.File(path, "a") as f:
        del f["layers/dense/vars/0"]
        f["layers/dense/vars"].create_dataset("0", shape=(1 << 26,), dtype="f4",
                                              chunks=(1 << 20,), compression="gzip")
    assert path.stat().st_size < 1 << 20
    before = model.get_weights()
    with pytest.raises(InvalidFileError, match="bomb.weights.h5.*declare.*'layers/dense/vars/0'"):
        model.load_weights(path)
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


# ---- foreign files ---------------------------------------------------------------------------
def test_foreign_files(tmp_path):
    cases = {
        "text.keras": (b"just some text\n", "does not start with a zip signature"),
        "old.keras": (b"\x89HDF\r\n\x1a\n" + bytes(100), "HDF5"),
    }
    for name, (content, message) in cases.items():
        (tmp_path / name).write_bytes(content)
        with pytest.raises(InvalidFileError, match=message):
            saving.load_model(tmp_path / name)
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(InvalidFileError, match="directory"):
        saving.load_model(tmp_path / "dir.keras")
    with zipfile.ZipFile(tmp_path / "other.keras", "w") as zf:
        zf.writestr("hello.txt", "hi")
    with pytest.raises(InvalidFileError, match="no member 'config.json'"):
        saving.load_model(tmp_path / "other.keras")
    with zipfile.ZipFile(tmp_path / "keras3.keras", "w") as zf:
        zf.writestr("metadata.json", json.dumps({"keras_version": "3.3.3",
                                                 "date_saved": "2024-05-01@10:00:00"}))
        zf.writestr("config.json", json.dumps({"class_name": "Sequential", "config": {}}))
        zf.writestr("model.weights.h5", b"\x89HDF")
    with pytest.raises(InvalidFileError, match=r"'model\.weights\.h5' of .*keras3\.keras.* "
                                               r"not an HDF5 file"):
        saving.load_model(tmp_path / "keras3.keras")
    np.savez(tmp_path / "plain.weights.npz", np.ones(3))
    with pytest.raises(InvalidFileError, match="no manifest.json.*numpy.savez"):
        _model().load_weights(tmp_path / "plain.weights.npz")


def test_weights_of_another_architecture(archive, tmp_path):
    path, data, _ = archive
    other = Sequential([Dense(5, input_shape=(6,)), Dense(2)])
    other.save_weights(tmp_path / "o.weights.npz")
    other.save_weights(tmp_path / "o.weights.h5")
    target = _model()
    before = target.get_weights()
    with pytest.raises(ValueError, match=r"layer 'hidden' \(Dense\) weight 'kernel'.*file "
                                         r"holds shape \(6, 5\).*expects \(6, 3\)"):
        target.load_weights(tmp_path / "o.weights.npz")
    for got, want in zip(target.get_weights(), before):
        np.testing.assert_array_equal(got, want)
    # An archive whose weights member comes from another model.
    swapped = _rezip(data, replace={"model.weights.h5": (tmp_path / "o.weights.h5")
                                    .read_bytes()})
    (tmp_path / "swapped.keras").write_bytes(swapped)
    with pytest.raises(ValueError, match="No weight was changed"):
        saving.load_model(tmp_path / "swapped.keras")


class _Boom:
    unpickled = False

    def __setstate__(self, state):
        type(self).unpickled = True


def test_pickled_and_oversized_arrays_are_refused(tmp_path):
    model = Sequential([Dense(1, input_shape=(1,))])
    model.save_weights(tmp_path / "w.weights.npz")
    with zipfile.ZipFile(tmp_path / "w.weights.npz") as zf:
        manifest = json.loads(zf.read("manifest.json"))
    pickled = io.BytesIO()
    np.save(pickled, np.array([_Boom()], dtype=object), allow_pickle=True)
    oversized = io.BytesIO()
    np.lib.format.write_array_header_1_0(oversized, {"descr": "<f4", "fortran_order": False,
                                                     "shape": (10 ** 12,)})
    oversized.write(bytes(8))
    for payload, message in ((pickled.getvalue(), "never does"),
                             (oversized.getvalue(), r"damaged.*\(1000000000000,\)")):
        with zipfile.ZipFile(tmp_path / "bad.weights.npz", "w") as zf:
            zf.writestr("manifest.json", json.dumps(manifest))
            zf.writestr("layers/dense/vars/0.npy", payload)
            zf.writestr("layers/dense/vars/1.npy", io.BytesIO().getvalue())
        with pytest.raises(InvalidFileError, match=message):
            model.load_weights(tmp_path / "bad.weights.npz")
    assert not _Boom.unpickled


def test_inconsistent_config_is_an_error_not_a_hang(archive, tmp_path):
    _, data, _ = archive
    config = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("config.json"))
    layers = {l["name"]: l for l in config["config"]["layers"]}
    # 'hidden' now waits for 'out', which waits for 'hidden': a cycle.
    layers["hidden"]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["out", 0, 0]
    path = tmp_path / "cycle.keras"
    path.write_bytes(_rezip(data, replace={"config.json": json.dumps(config)}))
    with pytest.raises(ValueError, match="inconsistent"):
        saving.load_model(path)
    layers["hidden"]["inbound_nodes"][0]["args"][0]["config"]["keras_history"] = ["nope", 0, 0]
    path.write_bytes(_rezip(data, replace={"config.json": json.dumps(config)}))
    with pytest.raises(ValueError, match="'nope', which the config does not define"):
        saving.load_model(path)


# ---- interrupted saves -------------------------------------------------------------------------
_KILLED_SAVE = textwrap.dedent("""
    import sys, time
    import numpy as np
    from keras_bridge import saving
    from keras_bridge.layers import Dense
    from keras_bridge.models import Sequential
    target, marker, kind = sys.argv[1:4]
    model = Sequential([Dense(64, input_shape=(32,)), Dense(64), Dense(3)])
    import zipfile
    from keras_bridge.saving import h5_file

    def hang_after(write):
        def write_then_hang(*args, **kwargs):  # the process is killed while writing
            write(*args, **kwargs)
            open(marker, "w").close()
            time.sleep(60)
        return write_then_hang

    if kind == "weights.npz":
        np.lib.format.write_array = hang_after(np.lib.format.write_array)
    elif kind == "weights.h5":
        h5_file.write = hang_after(h5_file.write)
    else:  # .keras: the weights are made in memory, then the archive is written
        zipfile.ZipFile.writestr = hang_after(zipfile.ZipFile.writestr)
    if kind == "model":
        saving.save_model(model, target)
    else:
        from keras_bridge.saving.weights_file import save_weights
        save_weights(model, target)
""")


@pytest.mark.parametrize("kind", ["model", "weights.npz", "weights.h5"])
def test_sigkill_during_save_keeps_previous_file(kind, tmp_path):
    old = Sequential([Dense(64, input_shape=(32,)), Dense(64), Dense(3)])
    target = tmp_path / ("m.keras" if kind == "model" else f"m.{kind}")
    (old.save if kind == "model" else old.save_weights)(target)
    marker = tmp_path / "writing"
    process = subprocess.Popen([sys.executable, "-c", _KILLED_SAVE, str(target), str(marker),
                                kind])
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert process.poll() is None, "the saving process ended before writing"
            assert time.monotonic() < deadline, "the saving process never started writing"
            time.sleep(0.02)
        temporary = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
        assert len(temporary) == 1 and temporary[0].name.startswith(f".{target.name}.")
        # A save to the same path meanwhile leaves the running save's file alone.
        (old.save if kind == "model" else old.save_weights)(target)
        assert temporary[0].exists()
        before = target.read_bytes()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    assert target.read_bytes() == before
    if kind == "model":
        loaded = saving.load_model(target)
    else:
        loaded = Sequential([Dense(64, input_shape=(32,)), Dense(64), Dense(3)])
        loaded.load_weights(target)
    for got, want in zip(loaded.get_weights(), old.get_weights()):
        np.testing.assert_array_equal(got, want)
    # The killed save's temporary file is left; the next save to the path removes it.
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == \
        [temporary[0].name]
    (old.save if kind == "model" else old.save_weights)(target)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, "writing"])


# SIGINT raised at every line an atomic write runs in atomic.py and in the standard
# modules it calls for the temporary file (tempfile.mkstemp, os.fdopen), one point per
# write; every save writes through atomic_write.
_INTERRUPTED_WRITES = textwrap.dedent("""
    import os, signal, sys, tempfile
    from keras_bridge.saving import atomic
    folder = sys.argv[1]
    target = os.path.join(folder, "m.keras")
    watched = {atomic.__file__, tempfile.__file__, os.__file__}
    point, kept = 0, b"save 0"
    while True:
        point += 1
        count = [0]

        def trace(frame, event, arg):
            if frame.f_code.co_filename not in watched:
                return None
            if event == "line":
                count[0] += 1
                if count[0] == point:
                    signal.raise_signal(signal.SIGINT)
            return trace

        content = b"save %d" % point
        sys.settrace(trace)
        try:
            with atomic.atomic_write(target) as f:
                f.write(content)
            done = True
        except KeyboardInterrupt:
            done = False
        finally:
            sys.settrace(None)
        left = [n for n in os.listdir(folder) if n != "m.keras"]
        assert not left, (point, left)
        with open(target, "rb") as f:  # this write's content, or the last one kept
            last = f.read()
        assert last in (content, kept), (point, last)
        kept = last
        if done:
            break
    print(point)
""")


def test_ctrl_c_at_any_point_of_a_save_leaves_no_temporary_file(tmp_path):
    (tmp_path / "m.keras").write_bytes(b"save 0")
    # Before, an interrupt in the first mkstemp of a process could also leave tempfile's
    # own lock held: every later save hung (a timeout here).
    result = subprocess.run([sys.executable, "-c", _INTERRUPTED_WRITES, str(tmp_path)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert int(result.stdout) > 20  # the points tried, mkstemp's among them


def test_error_during_save_keeps_previous_file(tmp_path, monkeypatch):
    model = _model()
    path = tmp_path / "m.keras"
    model.save(path)
    before = path.read_bytes()
    real = zipfile.ZipFile.writestr
    calls = []

    def fail_second(*args, **kwargs):  # the archive's second member fails
        calls.append(1)
        if len(calls) == 2:
            raise OSError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(zipfile.ZipFile, "writestr", fail_second)
    with pytest.raises(OSError, match="disk full"):
        _model(units=5).save(path)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["m.keras"]
