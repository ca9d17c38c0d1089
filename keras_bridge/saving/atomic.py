"""Atomic file writes: the target is replaced whole, or not at all.

A save writes a temporary file in the target's folder (same file system, so the
rename is atomic), flushes it to disk, then renames it over the target with
``os.replace``. A crash, an exception or a SIGKILL in the middle leaves the previous
file as it was; only a hidden ``.<name>.*.tmp`` file may be left behind by a kill.
"""

import contextlib
import os
import tempfile


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
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
        else:
            _link_no_clobber(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_folder(folder)


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
