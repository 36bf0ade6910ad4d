"""The write-ahead log: segmented, framed, CRC32C-checked, with group-commit fsync.

A record is one batch (see docs/durability.md for the byte layout). ``WalWriter`` appends on the
caller's thread with one ``os.writev`` per batch; with ``fsync = "interval"`` a daemon thread
fsyncs every interval (group commit), with ``"always"`` the append fsyncs before returning.
``scan_segment`` validates a segment and finds every intact record even after damage in the
middle; ``recover_segments`` quarantines and truncates what is damaged; ``iter_records`` is the
read-only side channel tools and tests use to see what was acknowledged.
"""

from __future__ import annotations

import logging
import os
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import crc32c
import msgspec

from mdc.domain.events import Event
from mdc.storage.fsutil import fsync_dir, write_all

log = logging.getLogger(__name__)

FsyncPolicy = Literal["always", "interval", "off"]

SEGMENT_MAGIC: Final = b"MDCWAL\x00\x01"
SEGMENT_HEADER: Final = struct.Struct("<8sQ")
RECORD_MAGIC: Final = b"\xa7MR\x01"
RECORD_HEADER: Final = struct.Struct("<4sIIBBHQI")
"""magic, payload length, crc32c (of everything after it), kind, flags, reserved, lsn, count."""
CRC_START: Final = 12
"""Offset in the header where the CRC-covered bytes begin (kind …)."""
KIND_MSGPACK: Final = 1
"""Payload: the batch as MessagePack (``list[Event]``)."""
KIND_JSONL: Final = 2
"""Payload: the batch as JSON lines — the very bytes the JSONL files get, grouped by file."""
KINDS: Final = frozenset({KIND_MSGPACK, KIND_JSONL})
MAX_IOV: Final = 512
FLAG_DEDUP: Final = 1
MAX_RECORD_BYTES: Final = 1 << 30
MAX_RECORD_EVENTS: Final = 100_000
"""Larger batches are split into several records (bounded memory on replay)."""
SEGMENT_SUFFIX: Final = ".wal"
FSYNC_SAMPLES: Final = 256

_msgpack_decoder: Final = msgspec.msgpack.Decoder(list[Event])
_json_decoder: Final = msgspec.json.Decoder(list[Event])


class WalError(OSError):
    """A WAL write or fsync failed; the record was cut back and is *not* acknowledged."""


@dataclass(frozen=True, slots=True)
class RecordRef:
    """Where an intact record is: enough to read its payload again."""

    lsn: int
    kind: int
    flags: int
    count: int
    offset: int
    """Offset of the payload in the segment."""
    length: int


@dataclass(frozen=True, slots=True)
class Damage:
    """A byte range of a segment that holds no intact record."""

    segment: Path
    start: int
    end: int
    tail: bool
    """True when no intact record follows (a torn or corrupt end of the log)."""
    next_lsn: int | None = None
    """The LSN of the intact record right after the damage (the records lost are below it)."""

    @property
    def kind(self) -> str:
        return "wal_torn_tail" if self.tail else "wal_corrupt_record"


@dataclass
class SegmentScan:
    path: Path
    first_lsn: int
    records: list[RecordRef] = field(default_factory=list)
    damage: list[Damage] = field(default_factory=list)
    header_ok: bool = True
    last_lsn: int = 0
    """The newest intact record's LSN, whether or not it is above ``after_lsn``."""
    torn_lsn: int = 0
    """The highest LSN a damaged tail may have held (0 without one): never to be reused."""


def segment_name(first_lsn: int) -> str:
    return f"{first_lsn:020d}{SEGMENT_SUFFIX}"


def list_segments(wal_dir: Path) -> list[tuple[int, Path]]:
    """Segments as ``(first_lsn, path)`` in LSN order."""
    if not wal_dir.is_dir():
        return []
    out = []
    for path in wal_dir.iterdir():
        stem = path.name[: -len(SEGMENT_SUFFIX)]
        if path.name.endswith(SEGMENT_SUFFIX) and stem.isdigit():
            out.append((int(stem), path))
    return sorted(out)


def frame(chunks: Sequence[bytes], kind: int, lsn: int, count: int, flags: int = 0) -> bytes:
    """The header of a record whose payload is ``chunks`` concatenated."""
    length = sum(map(len, chunks))
    head = RECORD_HEADER.pack(RECORD_MAGIC, length, 0, kind, flags, 0, lsn, count)
    crc = crc32c.crc32c(head[CRC_START:])
    for chunk in chunks:
        crc = crc32c.crc32c(chunk, crc)
    return head[:8] + crc.to_bytes(4, "little") + head[CRC_START:]


def _record_at(data: bytes | memoryview, pos: int, after_lsn: int) -> RecordRef | None:
    """The intact record starting at ``pos``, or ``None``."""
    end = pos + RECORD_HEADER.size
    if end > len(data):
        return None
    magic, length, crc, kind, flags, _, lsn, count = RECORD_HEADER.unpack_from(data, pos)
    if magic != RECORD_MAGIC or kind not in KINDS or length > MAX_RECORD_BYTES:
        return None
    if end + length > len(data) or lsn <= after_lsn:
        return None
    view = memoryview(data)
    if crc32c.crc32c(view[pos + CRC_START : end + length]) != crc:
        return None
    return RecordRef(lsn, kind, flags, count, end, length)


def scan_segment(path: Path, data: bytes, after_lsn: int = 0) -> SegmentScan:
    """Every intact record of a segment (LSNs increasing, above ``after_lsn``) and the damage.

    ``after_lsn`` is the last LSN of the previous segment: a record must be newer than it.
    """
    first_lsn = int(path.name[: -len(SEGMENT_SUFFIX)])
    scan = SegmentScan(path, first_lsn)
    if len(data) < SEGMENT_HEADER.size:
        if data:
            scan.damage.append(Damage(path, 0, len(data), tail=True))
        scan.header_ok = False
        return scan
    magic, header_lsn = SEGMENT_HEADER.unpack_from(data, 0)
    scan.header_ok = magic == SEGMENT_MAGIC and header_lsn == first_lsn
    pos = SEGMENT_HEADER.size
    last = after_lsn
    size = len(data)
    while pos < size:
        rec = _record_at(data, pos, last)
        if rec is not None:
            scan.records.append(rec)
            last = rec.lsn
            pos = rec.offset + rec.length
            continue
        nxt = data.find(RECORD_MAGIC, pos + 1)
        found = None
        while nxt != -1:
            found = _record_at(data, nxt, last)
            if found is not None:
                break
            nxt = data.find(RECORD_MAGIC, nxt + 1)
        if found is None:
            scan.damage.append(Damage(path, pos, size, tail=True))
            scan.torn_lsn = _torn_lsn(data, pos, last)
            break
        scan.damage.append(Damage(path, pos, nxt, tail=False, next_lsn=found.lsn))
        pos = nxt
    return scan


def _torn_lsn(data: bytes, start: int, last: int) -> int:
    """The highest LSN the damaged tail from ``start`` may hold. Records are written in LSN
    order, so it held ``last + 1`` … one per record magic in it — at least one (a record torn
    inside its magic). Counting a stray magic only skips an LSN, which is harmless."""
    return last + max(1, data.count(RECORD_MAGIC, start))


def recover_segments(
    wal_dir: Path, after_lsn: int, quarantine_dir: Path, sync: bool
) -> Iterator[tuple[SegmentScan, bytes]]:
    """Scan segments that may hold records ``> after_lsn``; quarantine damage, cut torn tails.

    Yields each scanned segment with its bytes (one segment in memory at a time).
    """
    segments = list_segments(wal_dir)
    last = 0
    for i, (_, path) in enumerate(segments):
        is_last = i == len(segments) - 1
        if not is_last and segments[i + 1][0] - 1 <= after_lsn:
            continue  # every record in it is already committed
        data = path.read_bytes()
        scan = scan_segment(path, data, last)
        for damage in scan.damage:
            _quarantine(data, damage, quarantine_dir, sync)
        tail = next((d for d in scan.damage if d.tail), None)
        if tail is not None:
            keep = max(tail.start, SEGMENT_HEADER.size if scan.header_ok else 0)
            with path.open("r+b") as f:
                f.truncate(keep)
                if sync:
                    os.fsync(f.fileno())
        if scan.records:
            last = scan.last_lsn = scan.records[-1].lsn
        scan.records = [r for r in scan.records if r.lsn > after_lsn]
        if not scan.header_ok:
            log.warning("WAL %s: segment header damaged; records read anyway", path.name)
        yield scan, data


def _quarantine(data: bytes, damage: Damage, quarantine_dir: Path, sync: bool) -> None:
    quarantine_dir.mkdir(parents=True, exist_ok=True)
    target = quarantine_dir / f"{damage.segment.name}.{damage.start}-{damage.end}.bad"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        write_all(fd, data[damage.start : damage.end])
        if sync:
            os.fsync(fd)
    finally:
        os.close(fd)
    log.error(
        "WAL %s: %d damaged bytes at offset %d (%s) moved to %s",
        damage.segment.name,
        damage.end - damage.start,
        damage.start,
        "torn tail" if damage.tail else "corrupt record",
        target,
    )


def last_lsn(wal_dir: Path) -> int:
    """The newest intact record's LSN in the WAL (0 when empty); read-only."""
    for _, path in reversed(list_segments(wal_dir)):
        scan = scan_segment(path, path.read_bytes())
        if scan.records or scan.torn_lsn:
            return max([scan.torn_lsn, *(r.lsn for r in scan.records[-1:])])
    return 0


def _intact(wal_dir: Path, after_lsn: int) -> Iterator[tuple[bytes, RecordRef]]:
    """Every intact record above ``after_lsn`` with its segment's bytes, in LSN order."""
    last = 0
    for _, path in list_segments(wal_dir):
        data = path.read_bytes()
        for rec in scan_segment(path, data, last).records:
            last = rec.lsn
            if rec.lsn > after_lsn:
                yield data, rec


def pending(wal_dir: Path, after_lsn: int) -> tuple[int, int]:
    """``(records, events)`` of the intact records above ``after_lsn``; read-only."""
    counts = [rec.count for _, rec in _intact(wal_dir, after_lsn)]
    return len(counts), sum(counts)


def decode_lines(lines: bytes) -> list[Event]:
    """The events of JSON lines (a KIND_JSONL payload, or one group of it)."""
    body = lines.rstrip(b"\n").replace(b"\n", b",")
    events: list[Event] = _json_decoder.decode(b"[" + body + b"]")
    return events


def decode_payload(data: bytes, rec: RecordRef) -> list[Event]:
    payload = memoryview(data)[rec.offset : rec.offset + rec.length]
    if rec.kind == KIND_JSONL:
        events = decode_lines(bytes(payload))
    else:
        events = _msgpack_decoder.decode(payload)
    return events


def iter_records(wal_dir: Path, after_lsn: int = 0) -> Iterator[tuple[int, int, list[Event]]]:
    """Read-only: ``(lsn, flags, events)`` of every intact record, in LSN order."""
    for data, rec in _intact(wal_dir, after_lsn):
        yield rec.lsn, rec.flags, decode_payload(data, rec)


class WalWriter:
    """Appends records to the newest segment; rolls by size and age; fsyncs per policy."""

    def __init__(
        self,
        wal_dir: Path,
        next_lsn: int,
        policy: FsyncPolicy,
        interval_ms: int,
        segment_max_bytes: int,
        segment_max_age_s: float,
    ) -> None:
        self.dir = wal_dir
        self.policy: FsyncPolicy = policy
        self.interval_s = interval_ms / 1000
        self.segment_max_bytes = segment_max_bytes
        self.segment_max_age_s = segment_max_age_s
        self.next_lsn = next_lsn
        self.written_lsn = next_lsn - 1
        self.durable_lsn = next_lsn - 1
        self.fsyncs = 0
        self.fsync_seconds = 0.0
        self.fsync_max_s = 0.0
        self.fsync_samples: deque[float] = deque(maxlen=FSYNC_SAMPLES)
        self.bytes_written = 0
        self.errors = 0
        self.last_error = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.hold: Callable[[], int | None] = lambda: None
        """The lowest position of the WAL's other consumers (storage/positions.py), if any."""
        self._segments = list_segments(wal_dir)
        self._fd = -1
        self._size = 0
        self._opened = 0.0
        self.dir.mkdir(parents=True, exist_ok=True)
        try:
            self._open_segment()
        except OSError as exc:  # a full disk at start: the store starts paused
            self.errors += 1
            self.last_error = f"cannot start a WAL segment: {exc.strerror or exc}"
            log.error("%s; retried when writing resumes", self.last_error)
        self._thread: threading.Thread | None = None
        if policy == "interval":
            self._thread = threading.Thread(target=self._sync_loop, name="wal-fsync", daemon=True)
            self._thread.start()

    # -- writing ---------------------------------------------------------------------------
    @property
    def is_open(self) -> bool:
        """Whether a segment is open for appends (not after a failed start on a full disk)."""
        return self._fd >= 0

    def ensure_open(self) -> None:
        """Open the segment a failed start could not; raises :class:`WalError`."""
        if self._fd < 0:
            try:
                self._open_segment()
            except OSError as exc:
                self.last_error = f"cannot start a WAL segment: {exc.strerror or exc}"
                raise WalError(exc.errno, self.last_error) from exc

    def append(self, chunks: Sequence[bytes], kind: int, count: int, flags: int = 0) -> int:
        """Write one record (payload = ``chunks`` joined); returns its LSN. Raises
        :class:`WalError` with nothing written."""
        self.ensure_open()
        if self._size >= self.segment_max_bytes or (
            time.monotonic() - self._opened >= self.segment_max_age_s
            and self._size > SEGMENT_HEADER.size
        ):
            self.roll()
        lsn = self.next_lsn
        if len(chunks) > MAX_IOV:
            chunks = [b"".join(chunks)]
        header = frame(chunks, kind, lsn, count, flags)
        parts = [header, *chunks]
        total = sum(map(len, parts))
        try:
            written = os.writev(self._fd, parts)
            if written < total:
                write_all(self._fd, b"".join(parts)[written:])
        except OSError as exc:
            self._cut_back(exc)
        if self.policy == "always":
            try:
                self._fsync(self._fd)
            except OSError as exc:
                self._cut_back(exc)
            self.durable_lsn = lsn
        elif self.policy == "off":
            self.durable_lsn = lsn
        self._size += total
        self.bytes_written += total
        self.next_lsn = lsn + 1
        self.written_lsn = lsn
        return lsn

    def _cut_back(self, exc: OSError) -> None:
        """Remove a partly written record so the WAL holds only whole, acknowledged ones."""
        self.errors += 1
        self.last_error = f"WAL write failed: {exc.strerror or exc}"
        try:
            os.ftruncate(self._fd, self._size)
        except OSError as trunc_exc:
            log.error("cannot cut back WAL after a failed write: %s", trunc_exc)
        raise WalError(exc.errno, self.last_error) from exc

    def roll(self) -> None:
        """Close the current segment (fsynced) and start a new one named by the next LSN."""
        with self._lock:
            if self._fd >= 0:
                if self.policy != "off":
                    self._fsync(self._fd)
                    self.durable_lsn = self.written_lsn
                os.close(self._fd)
                self._fd = -1
            self._open_segment()

    def _open_segment(self) -> None:
        path = self.dir / segment_name(self.next_lsn)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        try:
            write_all(fd, SEGMENT_HEADER.pack(SEGMENT_MAGIC, self.next_lsn))
            if self.policy != "off":
                os.fsync(fd)
                fsync_dir(self.dir)
        except OSError:
            os.close(fd)
            path.unlink(missing_ok=True)
            raise
        self._fd = fd
        self._size = SEGMENT_HEADER.size
        self._opened = time.monotonic()
        self._segments = [s for s in self._segments if s[0] != self.next_lsn]
        self._segments.append((self.next_lsn, path))

    # -- durability ------------------------------------------------------------------------
    def _fsync(self, fd: int) -> None:
        start = time.perf_counter()
        os.fsync(fd)
        elapsed = time.perf_counter() - start
        self.fsyncs += 1
        self.fsync_seconds += elapsed
        self.fsync_max_s = max(self.fsync_max_s, elapsed)
        self.fsync_samples.append(elapsed)

    def sync(self) -> int:
        """fsync now (unless the policy is ``off``); returns the LSN that is now durable."""
        with self._lock:
            target = self.written_lsn
            if self.policy != "off" and target > self.durable_lsn:
                self._fsync(self._fd)
            self.durable_lsn = max(self.durable_lsn, target)
            return target

    def _sync_loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            if self.written_lsn > self.durable_lsn:
                try:
                    self.sync()
                except OSError as exc:
                    self.errors += 1
                    self.last_error = f"WAL fsync failed: {exc.strerror or exc}"
                    log.error("%s", self.last_error)

    # -- segments --------------------------------------------------------------------------
    def segments(self) -> list[tuple[int, Path]]:
        with self._lock:
            return list(self._segments)

    def drop_through(self, lsn: int, archive_dir: Path | None) -> int:
        """Delete (or move to ``archive_dir``) segments whose records are all ``<= lsn`` and
        behind every other consumer's position (``hold``)."""
        held = self.hold()
        if held is not None:
            lsn = min(lsn, held)
        with self._lock:
            victims = [
                path
                for (_, path), (nxt, _) in zip(self._segments, self._segments[1:], strict=False)
                if nxt - 1 <= lsn
            ]
            self._segments = [s for s in self._segments if s[1] not in victims]
        for path in victims:
            if archive_dir is not None:
                archive_dir.mkdir(parents=True, exist_ok=True)
                os.replace(path, archive_dir / path.name)
            else:
                path.unlink(missing_ok=True)
        return len(victims)

    def disk_bytes(self) -> int:
        total = 0
        for _, path in self.segments():
            try:
                total += path.stat().st_size
            except FileNotFoundError:
                continue
        return total

    def close(self) -> None:
        """Stop the fsync thread, make everything durable (per policy) and close the file."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        if self._fd >= 0:
            try:
                self.sync()
            finally:
                os.close(self._fd)
                self._fd = -1
