"""Small filesystem primitives the durability protocol is built from.

Atomic replace (write, fsync, rename, fsync the directory), the single-writer lock, free space,
and the path-safe form of a symbol. Everything here is synchronous and raises ``OSError``.
"""

from __future__ import annotations

import ctypes
import errno
import fcntl
import os
from pathlib import Path
from typing import Final
from urllib.parse import quote, unquote

SAFE_CHARS: Final = ".-^+@"
"""Besides ASCII letters and digits, the characters a path component keeps as they are."""
RESERVED_NAMES: Final = frozenset({"parquet", ".", ".."})


class StorageError(RuntimeError):
    """The store cannot start on this root; ``str()`` says why and what to do."""


class StorageLocked(StorageError):
    """Another process writes this archive root."""


class ArchiveRootError(StorageError):
    """The archive root cannot be used as it is (not a directory, unreadable control files):
    a usage error the user fixes (the CLI exits 2); ``str()`` names the path and the fix."""


def fsync_dir(path: str | Path) -> None:
    """Make a rename or a new file in ``path`` durable (the directory entry itself)."""
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_path(path: str | Path) -> None:
    """fsync a file by name (it may already be closed by its writer)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, sync: bool = True) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves either the old or the new file."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, data)
        if sync:
            os.fsync(fd)
    except OSError:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written temporary behind
        raise
    finally:
        os.close(fd)
    os.replace(tmp, path)
    if sync:
        fsync_dir(path.parent)


def write_all(fd: int, data: bytes | bytearray | memoryview) -> int:
    """``os.write`` until everything is written (regular files may take short writes).

    No memoryview outlives a failed write, so the caller can still clear its buffer.
    """
    total = len(data)
    done = os.write(fd, data)
    while done < len(data):
        data = bytes(data[done:])
        done = os.write(fd, data)
    return total


def free_bytes(path: str | Path) -> int:
    """Bytes available to an unprivileged writer on the filesystem holding ``path``."""
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize


def is_no_space(exc: OSError) -> bool:
    return exc.errno in (errno.ENOSPC, errno.EDQUOT)


def path_component(name: str) -> str:
    """A symbol or provider as one safe path component (reversible with :func:`from_component`).

    Percent-encodes everything but letters, digits and ``.-^+@``; a leading ``_`` or ``.`` and
    the reserved top-level names are encoded too, so no value can escape the root or collide
    with the store's own directories.
    """
    out = quote(name, safe=SAFE_CHARS)
    if not out:
        return "%00"
    if out[0] in "_." or out in RESERVED_NAMES:
        out = f"%{ord(out[0]):02X}{out[1:]}"
    return out


def from_component(component: str) -> str:
    return "" if component == "%00" else unquote(component)


class DirLock:
    """An exclusive ``flock`` on ``{root}/_mdc/LOCK`` held for the life of a store."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode("ascii", "replace").strip() or "unknown"
            os.close(fd)
            raise StorageLocked(
                f"archive {self.path.parent.parent} is in use by another mdc process "
                f"(pid {holder}); stop it, or send backfills through the running collector"
            ) from None
        os.ftruncate(fd, 0)
        try:
            os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        except OSError as exc:  # the flock is what locks; the pid is a courtesy
            if not is_no_space(exc):
                os.close(fd)
                raise
        self._fd = fd

    def held_by_other(self) -> bool:
        """True when another process holds the lock (for read-only tools such as compact)."""
        if not self.path.exists():
            return False
        fd = os.open(self.path, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


RENAME_EXCHANGE: Final = 2
AT_FDCWD: Final = -100


def exchange_paths(a: Path, b: Path) -> None:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``): a reader
    sees either the old or the new one, never neither."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except AttributeError:
        raise OSError(errno.ENOSYS, "renameat2 is not available on this system") from None
    if renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"cannot swap {a} and {b}: {os.strerror(code)}")
