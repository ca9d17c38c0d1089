"""``get_file``: download a file once into the Keras cache and reuse it afterwards.

The cache is Keras's: ``$KERAS_HOME/datasets`` (default ``~/.keras/datasets``), with
Keras's file names, so a file that Keras already downloaded is found and not fetched
again.

Policy:

- **Atomic.** A download goes to a hidden temporary file in the destination folder
  (``.NAME.XXXX.part``); its size and checksum are checked, and only then is it renamed
  onto the final name (``os.replace``, atomic on one file system). An archive is
  extracted into a temporary folder that is renamed into place the same way. An
  interrupted, truncated or corrupt download is deleted and never becomes a file that a
  later run trusts.
- **Never a hang.** Every network wait (connect, each read) is bounded by ``timeout``
  seconds, ``DOWNLOAD_TIMEOUT`` (30 s) unless ``get_file(timeout=...)`` says otherwise.
- **Actionable errors.** A failed download raises ``DownloadError`` naming the URL, the
  reason, and the cache path where a copy of the file fetched by other means can be
  placed by hand.
- **Checked cache.** With a ``file_hash``, a cached file whose checksum does not match is
  fetched again; without one, any cached file is used.
"""

import hashlib
import os
import secrets
import shutil
import sys
import tarfile
import tempfile
import urllib.parse
import warnings
import zipfile

from keras_bridge import config
from keras_bridge.utils.enqueuers import GeneratorEnqueuer, OrderedEnqueuer  # noqa: F401
from keras_bridge.utils.py_dataset import Sequence  # noqa: F401 (Keras 2's module path)

#: Seconds any single network wait (connecting, each read) may take before a download
#: fails. ``get_file(timeout=...)`` overrides it for one call.
DOWNLOAD_TIMEOUT = 30.0

#: Bytes read from the network per step.
CHUNK_SIZE = 1 << 16


class DownloadError(OSError):
    """A file could not be downloaded; the message names the URL, the reason, and
    where a copy of the file can be placed by hand."""


def get_file(fname=None, origin=None, untar=False, md5_hash=None, file_hash=None,
             cache_subdir="datasets", hash_algorithm="auto", extract=False,
             archive_format="auto", cache_dir=None, force_download=False, *,
             timeout=None, verbose=None):
    """Downloads a file from a URL if it is not already in the cache.

    By default the file at ``origin`` is saved as ``fname`` in ``$KERAS_HOME/datasets``
    (``~/.keras/datasets`` unless ``KERAS_HOME`` is set): ``example.txt`` ends up at
    ``~/.keras/datasets/example.txt``. Archives (``.tar``, ``.tar.gz``, ``.tar.bz2``,
    ``.zip``) can be extracted. The layout of names is Keras 3's.

    Args:
        fname: the file's name in the cache. ``None`` takes the last part of the
            ``origin`` URL. With ``extract=True``, a name without a ``.`` names the
            extraction folder (the archive is kept as ``NAME_archive``); a name with a
            ``.`` names the archive and the folder is ``STEM_extracted``.
        origin: URL of the file (``http://``, ``https://``, ``file://``).
        untar: deprecated; use ``extract=True``. Keras 2's layout: the tar archive is
            saved as ``fname + ".tar.gz"`` and extracted next to it, into the cache
            folder itself, and the path returned is ``<cache folder>/fname``, the
            top-level folder the archive is expected to hold.
        md5_hash: deprecated; use ``file_hash=``. The md5 of the file.
        file_hash: the expected sha256 or md5 hex digest of the file. A download that
            does not match is discarded; a cached file that does not match is fetched
            again.
        cache_subdir: folder under the cache where the file goes; an absolute path is
            used as it is.
        hash_algorithm: ``"sha256"``, ``"md5"`` or ``"auto"`` (sha256 for a 64-digit
            hash, else md5).
        extract: whether to extract the file as an archive.
        archive_format: ``"auto"`` (tar then zip), ``"tar"``, ``"zip"``, a list of
            those, or ``None``.
        cache_dir: the cache's base folder; ``None`` means ``$KERAS_HOME``
            (``~/.keras``). When it cannot be written, ``<tmp>/.keras`` is used, as in
            Keras.
        force_download: fetch the file even if it is cached.
        timeout: seconds any network wait may take; ``None`` uses
            ``DOWNLOAD_TIMEOUT`` (30).
        verbose: ``0`` prints nothing, ``1`` prints the URL and a progress bar;
            ``None`` prints the URL, and the bar only when stdout is a terminal.

    Returns:
        The path of the file, or of the extraction folder when extracting.

    Raises:
        DownloadError: the file could not be fetched (offline, HTTP error, timeout,
            connection lost, checksum mismatch). Nothing is left in the cache.

    Example:

    ```python
    path = get_file("mnist.npz",
                    "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz")
    ```

    Downloading carries a risk: pass ``file_hash`` when the file's hash is known, so
    that the file you get is the one you expect.
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (the URL of the file to '
                         "download).")
    if untar:
        warnings.warn("get_file(untar=True) is Keras 2's spelling; use extract=True.",
                      DeprecationWarning, stacklevel=2)
    if md5_hash is not None:
        warnings.warn("get_file(md5_hash=...) is Keras 2's spelling; use file_hash=... "
                      "(md5 and sha256 are both recognized).", DeprecationWarning,
                      stacklevel=2)
        if file_hash is None:
            file_hash, hash_algorithm = md5_hash, "md5"
    if hash_algorithm not in ("auto", "sha256", "md5"):
        raise ValueError("Expected hash_algorithm to be one of 'auto', 'sha256', 'md5'. "
                         f"Received: hash_algorithm={hash_algorithm!r}")
    provided_fname = fname is not None and os.fspath(fname) != ""
    if provided_fname:
        fname = os.fspath(fname)
    else:
        fname = os.path.basename(urllib.parse.urlsplit(origin).path)
        if not fname:
            raise ValueError(f"Can't parse the file name from the origin provided: "
                             f"{origin!r}. Please specify the `fname` argument.")
    extract = bool(extract or untar)
    if untar:
        archive_format = "tar"

    base = os.path.expanduser(os.fspath(cache_dir)) if cache_dir else config.keras_home()
    target, extraction_dir = _layout(base, cache_subdir, fname, provided_fname, extract, untar)
    if not force_download:
        found = _cached(target, extraction_dir, file_hash, hash_algorithm, archive_format,
                        untar)
        if found:
            return found
    if not _writable(os.path.dirname(target)):
        # As in Keras: an unwritable cache falls back to <tmp>/.keras.
        base = os.path.join(tempfile.gettempdir(), ".keras")
        target, extraction_dir = _layout(base, cache_subdir, fname, provided_fname, extract,
                                         untar)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        if not force_download:
            found = _cached(target, extraction_dir, file_hash, hash_algorithm, archive_format,
                            untar)
            if found:
                return found

    stale = os.path.exists(target) and not force_download and file_hash is not None
    if stale:
        algorithm = _algorithm(hash_algorithm, file_hash)
        _print(verbose, f"A local file was found at {target}, but it seems to be incomplete "
                        f"or outdated because its {algorithm} hash does not match the "
                        f"expected value {file_hash}, so it will be downloaded again.")
    _print(verbose, f"Downloading data from {origin}")
    _download(origin, target, file_hash, hash_algorithm,
              DOWNLOAD_TIMEOUT if timeout is None else timeout, verbose, stale)
    if extract:
        _extract(target, extraction_dir, archive_format, untar)
        return extraction_dir
    return target


def _layout(base, cache_subdir, fname, provided_fname, extract, untar=False):
    """Keras 3's names: (download target, extraction folder or None); with ``untar``
    Keras 2's (``fname.tar.gz``, and the folder ``fname`` beside it)."""
    datadir = os.path.join(base, cache_subdir)
    if untar:
        return os.path.join(datadir, fname + ".tar.gz"), os.path.join(datadir, fname)
    if not extract:
        return os.path.join(datadir, fname), None
    if provided_fname and "." in fname:
        stem = fname[: fname.find(".")]
        return os.path.join(datadir, fname), os.path.join(datadir, f"{stem}_extracted")
    return os.path.join(datadir, f"{fname}_archive"), os.path.join(datadir, fname)


def _cached(target, extraction_dir, file_hash, hash_algorithm, archive_format, untar=False):
    """The path to return when the cache already holds what is asked for, else None."""
    file_ok = os.path.isfile(target) and (
        file_hash is None or validate_file(target, file_hash, hash_algorithm))
    if extraction_dir is None:
        return target if file_ok else None
    if os.path.isdir(extraction_dir) and (file_ok or not os.path.exists(target)):
        # Extracted before (the archive may since have been deleted to save space).
        return extraction_dir
    if file_ok and _writable(os.path.dirname(extraction_dir)):
        _extract(target, extraction_dir, archive_format, untar)
        return extraction_dir
    return None


def _extract(archive, extraction_dir, archive_format, untar):
    if untar:
        _extract_beside(archive, extraction_dir)
    else:
        _extract_into_place(archive, extraction_dir, archive_format)


def _extract_beside(archive, expected_dir):
    """Keras 2's ``untar``: the archive's top-level entries land in its own folder
    (staged in a temporary folder, then each renamed into place); the archive must hold
    the folder ``expected_dir`` names."""
    parent = os.path.dirname(expected_dir) or "."
    staging = _fresh_path(parent, os.path.basename(expected_dir))
    os.mkdir(staging)
    try:
        if not extract_archive(archive, staging, "tar"):
            raise ValueError(f"Could not extract {archive}: get_file(untar=True) expects a "
                             "tar archive (tar, tar.gz, tar.bz2 or tar.xz).")
        entries = os.listdir(staging)
        name = os.path.basename(expected_dir)
        if name not in entries:
            raise ValueError(
                f"get_file(untar=True) expects the archive {archive} to hold a top-level "
                f"folder {name!r} (Keras 2 returns {expected_dir}); it holds {sorted(entries)}. "
                "Nothing was extracted. Use extract=True to extract it into a folder of "
                "its own.")
        for entry in entries:
            final = os.path.join(parent, entry)
            if os.path.isdir(final) and not os.path.islink(final):
                shutil.rmtree(final)
            elif os.path.lexists(final):
                os.remove(final)
            os.rename(os.path.join(staging, entry), final)
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


def _writable(folder):
    try:
        os.makedirs(folder, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


def _print(verbose, message):
    if verbose != 0:
        print(message, flush=True)


def _algorithm(hash_algorithm, file_hash):
    if hash_algorithm == "auto":
        return "sha256" if file_hash is not None and len(file_hash) == 64 else "md5"
    return hash_algorithm


class _Truncated(Exception):
    """The server closed the connection before sending Content-Length bytes."""


def _download(origin, target, file_hash, hash_algorithm, timeout, verbose, stale=False):
    """Fetch ``origin`` into a temporary file, check it, and rename it onto ``target``."""
    import http.client
    import urllib.error
    import urllib.request

    def fail(reason):
        return DownloadError(_failure(origin, target, reason, stale))

    folder = os.path.dirname(target) or "."
    os.makedirs(folder, exist_ok=True)
    part = _fresh_path(folder, os.path.basename(target))
    try:
        # Mode 0o666 less the umask, as a plain download would have (not mkstemp's 0o600).
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                     0o666)
        try:
            with os.fdopen(fd, "wb") as out:
                request = urllib.request.Request(origin,
                                                 headers={"User-Agent": "keras-bridge"})
                with urllib.request.urlopen(request, timeout=timeout) as response:
                    _copy_with_progress(response, out, verbose)
        except urllib.error.HTTPError as e:
            e.close()
            raise fail(f"HTTP {e.code} {e.reason}") from None
        except urllib.error.URLError as e:
            reason = e.reason
            if isinstance(reason, TimeoutError):
                reason = _timeout_reason(timeout)
            raise fail(reason) from e
        except TimeoutError as e:
            raise fail(_timeout_reason(timeout)) from e
        except _Truncated as e:
            raise fail(str(e)) from None
        except (OSError, http.client.HTTPException, ValueError) as e:
            reason = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
            raise fail(reason) from e
        if file_hash is not None:
            algorithm = _algorithm(hash_algorithm, file_hash)
            actual = hash_file(part, algorithm)
            if actual != str(file_hash).lower():
                raise fail(f"the downloaded file's {algorithm} hash is {actual}, expected "
                           f"{file_hash} (the transfer was corrupted or the file on the "
                           "server changed)")
        os.replace(part, target)
    except BaseException:
        try:
            os.remove(part)
        except OSError:
            pass
        raise


def _copy_with_progress(response, out, verbose):
    length = response.headers.get("Content-Length")
    total = int(length) if length and length.strip().isdigit() else None
    bar = None
    if total and (verbose == 1 or (verbose is None and sys.stdout.isatty())):
        from keras_bridge.training.progbar import Progbar
        bar = Progbar(total)
    received = 0
    while True:
        chunk = response.read(CHUNK_SIZE)
        if not chunk:
            break
        out.write(chunk)
        received += len(chunk)
        if bar is not None and received < total:
            bar.update(received)
    if total is not None and received != total:
        raise _Truncated(f"the connection closed after {received} of {total} bytes")
    if bar is not None:
        bar.update(total, steps=max(total, 1))


def _timeout_reason(timeout):
    return (f"no response within {timeout:g} s (the timeout: pass get_file(timeout=...) "
            "or set keras_bridge.utils.data_utils.DOWNLOAD_TIMEOUT)")


def _failure(origin, target, reason, stale):
    note = ""
    if stale and os.path.exists(target):
        note = " (the file there now does not match the expected checksum)"
    return (f"Could not download {origin}: {reason}. Nothing was saved. If you are offline "
            f"or the URL is blocked, get the file another way and place it at {target}"
            f"{note}; it will be used from there.")


def _fresh_path(folder, name):
    """A hidden name next to the final one (``.NAME.1a2b3c4d.part``) that is not taken."""
    while True:
        path = os.path.join(folder, f".{name}.{secrets.token_hex(4)}.part")
        if not os.path.lexists(path):
            return path


def _extract_into_place(archive, extraction_dir, archive_format):
    """Extract into a temporary sibling folder, then rename it onto ``extraction_dir``."""
    parent = os.path.dirname(extraction_dir) or "."
    staging = _fresh_path(parent, os.path.basename(extraction_dir))
    os.mkdir(staging)
    try:
        if not extract_archive(archive, staging, archive_format):
            raise ValueError(
                f"Could not extract {archive}: it is not an archive of the format(s) "
                f"{archive_format!r} (tar, tar.gz, tar.bz2, tar.xz or zip). Pass "
                "extract=False to keep the file as it is.")
        if os.path.isdir(extraction_dir):
            shutil.rmtree(extraction_dir)
        elif os.path.exists(extraction_dir):
            os.remove(extraction_dir)
        try:
            os.rename(staging, extraction_dir)
        except OSError:
            if not os.path.isdir(extraction_dir):  # not a concurrent extraction
                raise
    finally:
        if os.path.isdir(staging):
            shutil.rmtree(staging)


def resolve_hasher(algorithm, file_hash=None):
    """The hashlib object for ``algorithm`` ("auto": sha256 for a 64-digit hash)."""
    return hashlib.sha256() if _algorithm(algorithm, file_hash) == "sha256" else hashlib.md5()


def hash_file(fpath, algorithm="sha256", chunk_size=65535):
    """The sha256 (or md5) hex digest of a file.

    Args:
        fpath: path of the file.
        algorithm: ``"sha256"``, ``"md5"``, or a hashlib object.
        chunk_size: bytes read at a time.

    Returns:
        The hex digest, lower case.
    """
    hasher = resolve_hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath, file_hash, algorithm="auto", chunk_size=65535):
    """Whether a file's sha256 or md5 digest is ``file_hash`` (case-insensitive)."""
    hasher = resolve_hasher(algorithm, file_hash)
    return hash_file(fpath, hasher, chunk_size) == str(file_hash).lower()


def _inside(base, name):
    path = os.path.realpath(os.path.join(base, name))
    return os.path.commonpath([path, base]) == base


def _safe_tar_members(archive, base):
    for member in archive.getmembers():
        if member.islnk():
            ok = _inside(base, member.name) and _inside(base, member.linkname)
        elif member.issym():
            ok = _inside(base, member.name) and _inside(
                base, os.path.join(os.path.dirname(member.name), member.linkname))
        else:
            ok = _inside(base, member.name)
        if ok:
            yield member
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: "
                          f"{member.name!r}.", stacklevel=3)


def _safe_zip_members(archive, base):
    for info in archive.infolist():
        if _inside(base, info.filename):
            yield info
        else:
            warnings.warn(f"Skipping invalid path during archive extraction: "
                          f"{info.filename!r}.", stacklevel=3)


def extract_archive(file_path, path=".", archive_format="auto"):
    """Extracts a tar or zip archive into ``path``, as Keras does.

    Members that would land outside ``path`` (absolute names, ``..``, links pointing
    out) are skipped with a warning.

    Args:
        file_path: the archive.
        path: the folder to extract into.
        archive_format: ``"auto"`` (``["tar", "zip"]``), ``"tar"`` (tar, tar.gz,
            tar.bz2, tar.xz), ``"zip"``, a list of those, or ``None``.

    Returns:
        ``True`` if a format matched and the archive was extracted, else ``False``.
    """
    if archive_format is None:
        return False
    if archive_format == "auto":
        archive_format = ["tar", "zip"]
    if isinstance(archive_format, str):
        archive_format = [archive_format]
    file_path, path = os.fspath(file_path), os.fspath(path)
    for kind in archive_format:
        if kind == "tar":
            if not tarfile.is_tarfile(file_path):
                continue
            os.makedirs(path, exist_ok=True)
            base = os.path.realpath(path)
            with tarfile.open(file_path) as archive:
                members = list(_safe_tar_members(archive, base))
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4 / 3.10.12
                    archive.extractall(path, members=members, filter="data")
                else:
                    archive.extractall(path, members=members)
            return True
        if kind == "zip":
            if not zipfile.is_zipfile(file_path):
                continue
            os.makedirs(path, exist_ok=True)
            base = os.path.realpath(path)
            with zipfile.ZipFile(file_path) as archive:
                archive.extractall(path, members=list(_safe_zip_members(archive, base)))
            return True
        raise ValueError(f"Expected archive_format to be 'auto', 'tar', 'zip', a list of "
                         f"those, or None. Received: {kind!r}")
    return False


__all__ = ["get_file", "DownloadError", "DOWNLOAD_TIMEOUT", "extract_archive",
           "hash_file", "validate_file"]
