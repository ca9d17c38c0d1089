"""Atomic file writes: the target is replaced whole, or not at all.

A save writes a temporary file in the target's folder (same file system, so the
rename is atomic), flushes it to disk, then renames it over the target with
``os.replace``. A crash, an exception, Ctrl-C or a SIGKILL in the middle leaves the
previous file as it was. Only a kill can leave the temporary file behind: Ctrl-C is
held back while the file is made and its cleanup armed, and while it is removed.

The temporary file is ``.<name>.<pid>-<host>.<random>.tmp``: the next save to the same
path removes those of this host whose process has ended (a save still running in
another process keeps its own; POSIX only, where a process can be probed).
"""

import contextlib
import os
import socket
import tempfile
import threading
import zlib

from keras_bridge import guards


def _default_mode():
    """0o666 minus the process umask: the mode ``open(path, 'w')`` would give."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("Umask:"):
                    return 0o666 & ~int(line.split()[1], 8)
    except OSError:
        pass
    umask = os.umask(0o022)  # no other portable way to read it
    os.umask(umask)
    return 0o666 & ~umask


def check_overwrite(path, overwrite):
    if not overwrite and os.path.exists(path):
        raise FileExistsError(f"'{path}' already exists and overwrite=False. Pass "
                              "overwrite=True to replace it, or choose another path.")


@contextlib.contextmanager
def atomic_write(path, overwrite=True):
    """Open a temporary binary file to write; on success it becomes ``path``.

    Args:
        path: The file to create or replace.
        overwrite: If False and ``path`` exists, raise ``FileExistsError`` (also when
            the file appears while writing) instead of replacing it.

    Example:
        with atomic_write("model.keras") as f:
            f.write(data)
    """
    path = os.fspath(path)
    check_overwrite(path, overwrite)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"Cannot save to '{path}': the folder '{folder}' does not "
                                "exist.")
    mode = os.stat(path).st_mode & 0o777 if os.path.exists(path) else _default_mode()
    name = os.path.basename(path)
    # The lock is taken with Ctrl-C held back: a KeyboardInterrupt raised as a ``with``
    # block ends can skip its exit and leave the lock held for good.
    with guards.uninterrupted(), _writing_lock:
        _remove_stale(folder, name)
    tmp = f = None
    try:
        # No Ctrl-C between making the file and naming it for the cleanup below; no
        # other thread's _remove_stale before it is listed as being written.
        with guards.uninterrupted(), _writing_lock:
            fd, tmp = tempfile.mkstemp(prefix=f".{name}.{_owner()}.", suffix=".tmp",
                                       dir=folder)
            _writing.add(tmp)
            f = os.fdopen(fd, "wb")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
    except BaseException:
        with guards.uninterrupted():
            if f is not None:
                f.close()
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
        raise
    finally:
        _writing.discard(tmp)
    _fsync_folder(folder)


_writing = set()  # the temporary files this process is writing now
_writing_lock = threading.Lock()


def _owner():
    """``<pid>-<host>``: which process writes a temporary file (the host as a short
    hash, so the name stays one plain word)."""
    return f"{os.getpid()}-{zlib.crc32(socket.gethostname().encode()) & 0xFFFFFF:06x}"


def _remove_stale(folder, name):
    """Remove the temporary files of saves to ``name`` killed on this host: their
    process is gone (or is this one, which is not writing them: a reused pid)."""
    if os.name != "posix":  # os.kill(pid, 0) would not probe there
        return
    prefix, host = f".{name}.", _owner().split("-")[1]
    try:
        entries = os.listdir(folder)
    except OSError:
        return
    for entry in entries:
        parts = entry[len(prefix):].split(".") if entry.startswith(prefix) else ()
        if len(parts) != 3 or parts[2] != "tmp":  # <pid>-<host>.<random>.tmp
            continue
        pid, _, owner_host = parts[0].partition("-")
        full = os.path.join(folder, entry)
        if owner_host != host or not pid.isdigit() or full in _writing or \
                (int(pid) != os.getpid() and _alive(int(pid))):
            continue
        with contextlib.suppress(OSError):
            os.unlink(full)


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _link_no_clobber(tmp, path):
    """Move ``tmp`` to ``path`` unless ``path`` exists (checked atomically with a hard
    link where the file system has them)."""
    try:
        os.link(tmp, path)
    except FileExistsError:
        raise FileExistsError(f"'{path}' was created while saving and overwrite=False; "
                              "it was left as it is.") from None
    except OSError:  # no hard links here: check, then rename
        check_overwrite(path, False)
        os.replace(tmp, path)
        return
    os.unlink(tmp)


def _fsync_folder(folder):
    """Make the rename itself durable (POSIX); a no-op where folders cannot be opened."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
