"""get_file: the download cache, checked and atomic, against a loopback HTTP server.

Every file is served by an ``http.server`` on 127.0.0.1 started by the test (no outside
network). These tests involve no engine, so they run once rather than per backend.
"""

import hashlib
import io
import os
import pathlib
import socket
import tarfile
import time
import zipfile

import pytest

from keras_bridge.utils import DownloadError, get_file
from keras_bridge.utils import data_utils


PAYLOAD = bytes(range(256)) * 300  # 76,800 bytes: more than one read chunk


def sha256(data):
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(autouse=True)
def _isolated_home(home):
    """Every test gets its own KERAS_HOME (never ~/.keras)."""


def cache_files(folder):
    """Every file under ``folder`` (hidden temporary files included), relative."""
    if not folder.exists():
        return []
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def test_first_download_then_cache_hit_without_a_request(server, home):
    server.routes["/data.bin"] = PAYLOAD
    path = get_file("data.bin", server.url + "/data.bin", file_hash=sha256(PAYLOAD))
    assert path == str(home / "data.bin")
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    assert server.requests == ["/data.bin"]
    assert get_file("data.bin", server.url + "/data.bin", file_hash=sha256(PAYLOAD)) == path
    assert get_file("data.bin", server.url + "/data.bin") == path  # no hash: any copy
    assert server.requests == ["/data.bin"]
    assert cache_files(home) == ["data.bin"]  # no temporary file left over
    umask = os.umask(0o22)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask  # as a plain download


def test_file_name_defaults_to_the_url_and_cache_dir_and_subdir(server, tmp_path, home):
    server.routes["/a/b/weights.h5"] = PAYLOAD
    assert get_file(origin=server.url + "/a/b/weights.h5") == str(home / "weights.h5")
    path = get_file("w.h5", server.url + "/a/b/weights.h5", cache_dir=tmp_path / "other",
                    cache_subdir="models")
    assert path == str(tmp_path / "other" / "models" / "w.h5")
    absolute = tmp_path / "abs"
    path = get_file("w.h5", server.url + "/a/b/weights.h5", cache_subdir=str(absolute))
    assert path == str(absolute / "w.h5")
    with pytest.raises(ValueError, match="origin"):
        get_file("x")


def test_cached_file_with_wrong_checksum_is_downloaded_again(server, home, capsys):
    server.routes["/data.bin"] = PAYLOAD
    home.mkdir(parents=True)
    (home / "data.bin").write_bytes(b"half a file")
    path = get_file("data.bin", server.url + "/data.bin", file_hash=sha256(PAYLOAD))
    assert pathlib.Path(path).read_bytes() == PAYLOAD
    assert server.requests == ["/data.bin"]
    assert "does not match" in capsys.readouterr().out
    get_file("data.bin", server.url + "/data.bin", file_hash=sha256(PAYLOAD))
    assert server.requests == ["/data.bin"]


def test_md5_hashes_and_force_download(server, home):
    server.routes["/data.bin"] = PAYLOAD
    md5 = hashlib.md5(PAYLOAD).hexdigest()
    path = get_file("data.bin", server.url + "/data.bin", file_hash=md5.upper())
    assert data_utils.validate_file(path, md5)
    assert data_utils.hash_file(path) == sha256(PAYLOAD)
    with pytest.warns(DeprecationWarning, match="file_hash"):
        get_file("data.bin", server.url + "/data.bin", md5_hash=md5)
    assert len(server.requests) == 1
    get_file("data.bin", server.url + "/data.bin", force_download=True)
    assert len(server.requests) == 2


def test_download_not_matching_its_checksum_leaves_nothing(server, home):
    server.routes["/data.bin"] = PAYLOAD
    url = server.url + "/data.bin"
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", url, file_hash="0" * 64)
    message = str(info.value)
    assert url in message and str(home / "data.bin") in message
    assert "sha256 hash is " + sha256(PAYLOAD) in message
    assert cache_files(home) == []


def test_connection_dropped_mid_file_leaves_nothing(server, home):
    server.routes["/data.bin"] = ("truncate", PAYLOAD)
    url = server.url + "/data.bin"
    with pytest.raises(DownloadError) as info:
        get_file("data.bin", url)  # no hash: the length check alone catches it
    message = str(info.value)
    assert url in message and str(home / "data.bin") in message
    assert f"closed after {len(PAYLOAD) // 2} of {len(PAYLOAD)} bytes" in message
    assert cache_files(home) == []


def test_a_stale_cached_file_is_kept_when_the_new_download_fails(server, home):
    server.routes["/data.bin"] = ("truncate", PAYLOAD)
    home.mkdir(parents=True)
    (home / "data.bin").write_bytes(b"old")
    with pytest.raises(DownloadError, match="does not match the expected checksum"):
        get_file("data.bin", server.url + "/data.bin", file_hash=sha256(PAYLOAD))
    assert cache_files(home) == ["data.bin"]
    assert (home / "data.bin").read_bytes() == b"old"


def test_http_404_is_a_clear_error(server, home):
    url = server.url + "/missing.npz"
    with pytest.raises(DownloadError) as info:
        get_file("missing.npz", url)
    message = str(info.value)
    assert "HTTP 404" in message and url in message and str(home / "missing.npz") in message
    assert cache_files(home) == []


def test_server_that_never_answers_times_out(home, monkeypatch):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)  # the kernel accepts the connection; nothing ever answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}/mnist.npz"
    monkeypatch.setattr(data_utils, "DOWNLOAD_TIMEOUT", 0.5)
    try:
        start = time.monotonic()
        with pytest.raises(DownloadError) as info:
            get_file("mnist.npz", url)
        assert time.monotonic() - start < 5
        with pytest.raises(DownloadError, match="no response within 0.2 s"):
            get_file("mnist.npz", url, timeout=0.2)
    finally:
        silent.close()
    message = str(info.value)
    assert "no response within 0.5 s" in message and "DOWNLOAD_TIMEOUT" in message
    assert url in message and str(home / "mnist.npz") in message
    assert cache_files(home) == []


def test_offline_connection_refused_names_url_path_and_reason(home):
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    url = f"http://127.0.0.1:{port}/imdb.npz"
    with pytest.raises(DownloadError) as info:
        get_file("imdb.npz", url, timeout=1)
    message = str(info.value)
    assert url in message and str(home / "imdb.npz") in message
    assert "refused" in message.lower()
    assert isinstance(info.value, OSError)


def test_file_placed_by_hand_is_used(home):
    home.mkdir(parents=True)
    (home / "mnist.npz").write_bytes(PAYLOAD)
    # an unreachable origin is never contacted when the cached copy matches
    path = get_file("mnist.npz", "http://127.0.0.1:9/mnist.npz", file_hash=sha256(PAYLOAD))
    assert path == str(home / "mnist.npz")


def _tar_gz(files):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _zip(files):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_tar_gz_extracted_with_keras_names(server, home):
    archive = _tar_gz({"batches/a.txt": b"A", "batches/sub/b.txt": b"B"})
    server.routes["/batches.tar.gz"] = archive
    url = server.url + "/batches.tar.gz"
    # a name without a dot names the folder; the archive is kept as NAME_archive
    path = get_file("batches-target", url, extract=True, file_hash=sha256(archive))
    assert path == str(home / "batches-target")
    assert (home / "batches-target" / "batches" / "sub" / "b.txt").read_bytes() == b"B"
    assert cache_files(home) == ["batches-target/batches/a.txt",
                                 "batches-target/batches/sub/b.txt", "batches-target_archive"]
    assert get_file("batches-target", url, extract=True, file_hash=sha256(archive)) == path
    assert server.requests == ["/batches.tar.gz"]
    # the archive may be deleted after extraction: the folder is still used
    os.remove(home / "batches-target_archive")
    assert get_file("batches-target", url, extract=True, file_hash=sha256(archive)) == path
    assert server.requests == ["/batches.tar.gz"]


def test_zip_extracted_with_a_dotted_name_and_url_name(server, home):
    archive = _zip({"x/one.txt": b"1"})
    server.routes["/pack.zip"] = archive
    path = get_file("pack.zip", server.url + "/pack.zip", extract=True)
    assert path == str(home / "pack_extracted")
    assert (home / "pack_extracted" / "x" / "one.txt").read_bytes() == b"1"
    assert (home / "pack.zip").read_bytes() == archive
    # no fname: the URL's name is the folder, the archive is NAME_archive
    path = get_file(origin=server.url + "/pack.zip", extract=True, archive_format="zip")
    assert path == str(home / "pack.zip")
    assert (home / "pack.zip_archive").exists()


def test_untar_extracts_next_to_the_archive_as_keras_2(server, home):
    # Keras 2: the archive is saved as fname + '.tar.gz', extracted into the cache
    # folder itself, and the path returned is <cache folder>/fname.
    server.routes["/t.tgz"] = _tar_gz({"t/f.txt": b"F", "t/sub/g.txt": b"G"})
    with pytest.warns(DeprecationWarning, match="extract=True"):
        path = get_file("t", server.url + "/t.tgz", untar=True)
    assert path == str(home / "t")
    assert cache_files(home) == ["t.tar.gz", "t/f.txt", "t/sub/g.txt"]
    server.routes.clear()  # cached: no second download, no second extraction
    with pytest.warns(DeprecationWarning):
        assert get_file("t", server.url + "/t.tgz", untar=True) == str(home / "t")


def test_untar_archive_without_the_named_folder_is_an_error(server, home):
    server.routes["/t.tar.gz"] = _tar_gz({"f.txt": b"F"})
    with pytest.warns(DeprecationWarning), \
            pytest.raises(ValueError, match=r"top-level folder 't'.*\['f.txt'\]"):
        get_file("t", server.url + "/t.tar.gz", untar=True)
    assert cache_files(home) == ["t.tar.gz"]  # downloaded; nothing extracted


def test_archive_members_outside_the_folder_are_skipped(server, home):
    server.routes["/evil.tar.gz"] = _tar_gz({"../escaped.txt": b"x", "ok.txt": b"y"})
    with pytest.warns(UserWarning, match="Skipping invalid path"):
        path = get_file("evil", server.url + "/evil.tar.gz", extract=True)
    assert os.listdir(path) == ["ok.txt"]
    assert not (home / "escaped.txt").exists()


def test_a_file_that_is_not_an_archive_is_an_error(server, home):
    server.routes["/plain.bin"] = PAYLOAD
    with pytest.raises(ValueError, match="not an archive"):
        get_file("plain", server.url + "/plain.bin", extract=True)
    assert cache_files(home) == ["plain_archive"]  # the download itself was fine


def test_progress_bar_only_when_asked_or_on_a_terminal(server, home, capsys):
    server.routes["/data.bin"] = PAYLOAD
    get_file("quiet.bin", server.url + "/data.bin", verbose=0)
    assert capsys.readouterr().out == ""
    get_file("auto.bin", server.url + "/data.bin")  # stdout is not a terminal here
    out = capsys.readouterr().out
    assert out == f"Downloading data from {server.url}/data.bin\n"
    get_file("bar.bin", server.url + "/data.bin", verbose=1)
    out = capsys.readouterr().out
    assert f"{len(PAYLOAD)}/{len(PAYLOAD)} [==============================]" in out


def test_archive_placed_by_hand_is_extracted_without_a_request(server, home):
    archive = _tar_gz({"inner/f.txt": b"F"})
    home.mkdir(parents=True)
    (home / "pack_archive").write_bytes(archive)  # the name the error message gives
    path = get_file("pack", server.url + "/pack.tar.gz", extract=True,
                    file_hash=sha256(archive))
    assert (home / "pack" / "inner" / "f.txt").read_bytes() == b"F"
    assert path == str(home / "pack") and server.requests == []
    assert cache_files(home) == ["pack/inner/f.txt", "pack_archive"]
