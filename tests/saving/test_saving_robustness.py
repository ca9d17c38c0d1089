"""Damaged, foreign and interrupted files: clear errors, never a half-loaded model, and a
save killed mid-write leaves the previous file intact."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
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
    before = target.read_bytes()
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
