"""The checkpoint: how far the archive is committed, and how to cut every output back to it.

``Checkpoint.lsn`` (L) says every record ``<= L`` is in committed output; each ``Entry`` names an
output that may hold bytes of later records, with its committed length (JSONL) or writer id
(Parquet) and the LSN its committed content reaches. The file is JSON with a CRC32C trailer,
replaced atomically. :class:`Checkpointer` writes full checkpoints on a worker thread (the fsyncs
are slow) and synchronous *registrations* (one more entry, same L) before a new output's first
write. See docs/durability.md.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import crc32c
import msgspec

from mdc.domain.time import now_ns
from mdc.storage.fsutil import atomic_write, fsync_dir, fsync_path
from mdc.storage.wal import WalWriter

log = logging.getLogger(__name__)

VERSION: Final = 1
TRAILER: Final = b"crc32c "


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    path: str
    """Relative to the root: a JSONL file, or a Parquet partition directory."""
    kind: Literal["jsonl", "parquet"]
    lsn: int
    length: int = 0
    writer: str = ""

    @property
    def key(self) -> str:
        """Identity for coverage: a new Parquet writer in the same directory is a new output."""
        return f"{self.path}#{self.writer}" if self.kind == "parquet" else self.path


class Checkpoint(msgspec.Struct, kw_only=True):
    version: int = VERSION
    lsn: int = 0
    created_ns: int = 0
    entries: list[Entry] = []


class CheckpointCorrupt(ValueError):
    """The checkpoint file exists but cannot be trusted."""


def encode(cp: Checkpoint) -> bytes:
    body = msgspec.json.encode(cp)
    return body + b"\n" + TRAILER + f"{crc32c.crc32c(body):08x}".encode() + b"\n"


def decode(data: bytes) -> Checkpoint:
    body, sep, trailer = data.rstrip(b"\n").rpartition(b"\n")
    if not sep or not trailer.startswith(TRAILER):
        raise CheckpointCorrupt("no CRC trailer (truncated or not a checkpoint)")
    try:
        expected = int(trailer[len(TRAILER) :], 16)
    except ValueError:
        raise CheckpointCorrupt("unreadable CRC trailer") from None
    if crc32c.crc32c(body) != expected:
        raise CheckpointCorrupt("CRC mismatch")
    try:
        cp = msgspec.json.decode(body, type=Checkpoint)
    except msgspec.DecodeError as exc:
        raise CheckpointCorrupt(f"invalid content: {exc}") from None
    if cp.version != VERSION:
        raise CheckpointCorrupt(f"unsupported version {cp.version}")
    return cp


def read(path: Path) -> Checkpoint | None:
    """The checkpoint, ``None`` when there is none; raises :class:`CheckpointCorrupt`."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    return decode(data)


@dataclass
class Job:
    """One full checkpoint: what to make durable, then what to record."""

    lsn: int
    entries: list[Entry]
    fds: list[int] = field(default_factory=list)
    """Duplicated descriptors of outputs written since the last checkpoint (closed after)."""
    paths: list[Path] = field(default_factory=list)
    """Closed or finished files to fsync by name."""
    dirs: set[Path] = field(default_factory=set)


class Checkpointer:
    """Owns the checkpoint file: background full checkpoints and synchronous registrations."""

    def __init__(
        self,
        path: Path,
        wal: WalWriter | None,
        sync: bool,
        wal_archive: Path | None,
        last: Checkpoint,
    ) -> None:
        self.path = path
        self.wal = wal
        self.sync = sync
        self.wal_archive = wal_archive
        self.last = last
        """The checkpoint as it is on disk."""
        self.covered: set[str] = {e.key for e in last.entries}
        """Outputs that may be written without registering first."""
        self.count = 0
        self.registrations = 0
        self.errors = 0
        self.last_error = ""
        self.last_ns = last.created_ns
        self._lock = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="checkpoint")
        self._future: Future[None] | None = None

    @property
    def busy(self) -> bool:
        return self._future is not None and not self._future.done()

    def submit(self, job: Job) -> None:
        """Start a checkpoint in the background (the caller makes sure none is in flight)."""
        self.wait()
        self.covered = {e.key for e in job.entries}
        self._future = self._pool.submit(self._run, job)

    def run_now(self, job: Job) -> None:
        """A checkpoint on the calling thread (close, after recovery); raises on failure."""
        self.wait()
        self.covered = {e.key for e in job.entries}
        self._run(job, raise_errors=True)

    def wait(self) -> None:
        future, self._future = self._future, None
        if future is not None:
            future.result()

    def register(self, entries: Iterable[Entry]) -> None:
        """Add outputs to the checkpoint on disk before they are written (same L)."""
        new = list(entries)
        if not new:
            return
        self.wait()
        with self._lock:
            merged = {e.path: e for e in self.last.entries}
            merged.update((e.path, e) for e in new)
            cp = Checkpoint(lsn=self.last.lsn, created_ns=now_ns(), entries=list(merged.values()))
            atomic_write(self.path, encode(cp), sync=self.sync)
            self.last = cp
            self.covered.update(e.key for e in new)
            self.registrations += len(new)

    def _run(self, job: Job, raise_errors: bool = False) -> None:
        try:
            if self.wal is not None:
                self.wal.sync()
            if self.sync:
                for fd in job.fds:
                    os.fsync(fd)
                for path in job.paths:
                    fsync_path(path)
                for directory in job.dirs:
                    fsync_dir(directory)
            cp = Checkpoint(lsn=job.lsn, created_ns=now_ns(), entries=job.entries)
            with self._lock:
                atomic_write(self.path, encode(cp), sync=self.sync)
                self.last = cp
            self.count += 1
            self.last_ns = cp.created_ns
            if self.wal is not None:
                self.wal.drop_through(job.lsn, self.wal_archive)
        except OSError as exc:
            self.errors += 1
            self.last_error = f"checkpoint failed: {exc.strerror or exc}"
            log.error("%s", self.last_error)
            if raise_errors:
                raise
        finally:
            for fd in job.fds:
                os.close(fd)

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._pool.shutdown(wait=True)
