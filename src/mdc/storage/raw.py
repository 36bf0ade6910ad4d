"""Raw capture and bad-frame quarantine: provider frames as received, with receive timestamps.

``_raw/{provider}/{date}.frames.zst`` holds binary records, ``ts_recv`` (int64 ns) then the
frame's length (uint32) then its bytes, little-endian (Tardis style: enough to re-run a fixed
parser over history). The read loop only appends a record to a buffer; every 256 KiB (and at
every checkpoint) the buffer goes to a worker thread that compresses it into one zstd frame and
writes it, so neither JSON escaping nor compression runs on the read loop. Archives written
before this format hold ``{date}.jsonl.zst`` (``{"ts_recv": ns, "frame": "..."}`` lines, non-UTF-8
frames base64 under ``frame_b64``); :func:`iter_raw` reads both. ``_bad/{provider}/{date}.jsonl``
holds frames that failed to parse with the error, one JSON line each.

Not WAL-backed (raw volume is many times the event volume): a crash loses at most what was
buffered since the last checkpoint (which waits for the worker); a torn last zstd frame or line
is cut when the file is opened again, so a file always ends in whole records.
"""

from __future__ import annotations

import base64
import mmap
import os
import struct
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import msgspec
import zstandard

from mdc.domain.time import NS_PER_DAY
from mdc.storage.fsutil import path_component, write_all
from mdc.storage.jsonl import complete_length, iter_frames, split_lines

FLUSH_BYTES: Final = 256 * 1024
"""Uncompressed bytes buffered per file before they are written (raw: compressed)."""
MAX_OPEN: Final = 64
MAX_PENDING: Final = 8
"""Raw batches handed to the worker and not yet written before ``write_frame`` waits for the
oldest: bounds the memory a slow disk can take (8 × 256 KiB)."""
RAW_ZSTD_LEVEL: Final = 1
"""Raw volume is several times the event volume: level 1 compresses provider JSON about as
well as 3 (measured on the simulated feed: 6.5x vs 6.0x) in 80 % of the time."""
RAW_SUFFIX: Final = ".frames.zst"
LEGACY_RAW_SUFFIX: Final = ".jsonl.zst"
RECORD_HEAD: Final = struct.Struct("<qI")
"""A raw record's head: ``ts_recv`` (ns), the frame's length in bytes."""
EPOCH: Final = date(1970, 1, 1)

_encoder = msgspec.json.Encoder()


class _LegacyLine(msgspec.Struct):
    ts_recv: int
    frame: str | None = None
    frame_b64: str | None = None


_legacy_decoder = msgspec.json.Decoder(_LegacyLine)


def frame_fields(data: bytes | str) -> dict[str, str]:
    if isinstance(data, str):
        return {"frame": data}
    try:
        return {"frame": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"frame_b64": base64.b64encode(data).decode("ascii")}


# -- writing ---------------------------------------------------------------------------------


class _FrameFile:
    __slots__ = ("buf", "dirty", "fd", "path")

    def __init__(self, path: Path, codec: str) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        _cut_torn_tail(self.fd, codec)
        self.buf = bytearray()
        self.dirty = False


def _cut_torn_tail(fd: int, codec: str) -> None:
    size = os.fstat(fd).st_size
    if size == 0:
        return
    with mmap.mmap(fd, size, prot=mmap.PROT_READ) as mm:
        good = complete_length(mm, codec)  # type: ignore[arg-type]
    if good < size:
        os.ftruncate(fd, good)


class _DailyFiles:
    """Daily files per provider under one directory, written through a buffer each."""

    suffix = ".jsonl"
    codec = "none"

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.files: OrderedDict[tuple[str, str], _FrameFile] = OrderedDict()
        self.frames = 0
        self.bytes = 0
        self.errors = 0
        self._day = -1
        self._day_iso = ""
        """The UTC day (``ts_recv // NS_PER_DAY``) of the last frame and its file name part:
        the date is formatted once a day, not once a frame."""
        self._last: tuple[str, _FrameFile] | None = None
        """The provider and file of the last frame (most frames go where the one before went)."""

    def _file(self, provider: str, ts_recv: int) -> _FrameFile:
        day = ts_recv // NS_PER_DAY
        last = self._last
        if last is not None and day == self._day and provider == last[0]:
            return last[1]  # the file of the frame before (most recent: nothing to reorder)
        if day != self._day:
            self._day_iso = (EPOCH + timedelta(days=day)).isoformat()
            self._day = day
        key = (provider, self._day_iso)
        f = self.files.get(key)
        if f is None:
            path = self.dir / path_component(provider) / f"{key[1]}{self.suffix}"
            f = self.files[key] = self._open(path)
            while len(self.files) > MAX_OPEN:
                _, old = self.files.popitem(last=False)
                self._retire(old)
        else:
            self.files.move_to_end(key)
        self._last = (provider, f)
        return f

    def _open(self, path: Path) -> _FrameFile:
        return _FrameFile(path, self.codec)

    def _retire(self, f: _FrameFile) -> None:
        """Write what ``f`` buffers and close it (too many files open)."""
        try:
            self._flush(f)
        finally:
            os.close(f.fd)

    def _flush(self, f: _FrameFile) -> None:
        if not f.buf:
            return
        data, f.buf = f.buf, bytearray()
        self.bytes += write_all(f.fd, data)
        f.dirty = True

    def flush(self) -> None:
        """Write every buffer (best effort: a failure is counted, the frames are dropped)."""
        for f in self.files.values():
            try:
                self._flush(f)
            except OSError:
                self.errors += 1

    def dirty_fds(self) -> list[int]:
        """Duplicated descriptors of files written since the last call (for a checkpoint)."""
        fds = []
        for f in self.files.values():
            if f.dirty:
                fds.append(os.dup(f.fd))
                f.dirty = False
        return fds

    def open_paths(self) -> set[Path]:
        return {f.path for f in self.files.values()}

    def close(self) -> None:
        try:
            self.flush()
        finally:
            for f in self.files.values():
                os.close(f.fd)
            self.files.clear()
            self._last = None

    def open_fds(self) -> list[int]:
        return [f.fd for f in self.files.values()]


class FrameLog(_DailyFiles):
    """Bad frames: one JSON line per frame."""

    def write(self, provider: str, ts_recv: int, fields: Mapping[str, object]) -> None:
        """One line: ``ts_recv`` first, then ``fields`` in their order."""
        f = self._file(provider, ts_recv)
        f.buf += _encoder.encode({"ts_recv": ts_recv, **fields})
        f.buf += b"\n"
        self.frames += 1
        if len(f.buf) >= FLUSH_BYTES:
            self._flush(f)


class RawLog(_DailyFiles):
    """Raw capture: binary records, compressed and written in batches by one worker thread.

    The worker runs the jobs in order, so a file's batches land in order and its close comes
    after its last batch. ``flush`` (every checkpoint) waits for all of them. A failed write
    is counted in ``errors`` and reported through ``on_error``; its batch is dropped.
    """

    suffix = RAW_SUFFIX
    codec = "zstd"

    def __init__(self, directory: Path, on_error: Callable[[str], None]) -> None:
        super().__init__(directory)
        self._on_error = on_error
        self._cctx = zstandard.ZstdCompressor(level=RAW_ZSTD_LEVEL)
        """Used by the worker thread only (a compressor is not thread-safe)."""
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="mdc-raw")
        self._jobs: deque[Future[int]] = deque()

    def write_frame(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        """Append one record (this runs once per frame received: no encoding, no copy but
        into the buffer)."""
        if isinstance(data, str):
            data = data.encode("utf-8")
        f = self._file(provider, ts_recv)
        buf = f.buf
        buf += RECORD_HEAD.pack(ts_recv, len(data))
        buf += data
        self.frames += 1
        if len(buf) >= FLUSH_BYTES:
            self._flush(f)

    def _flush(self, f: _FrameFile) -> None:
        if not f.buf:
            return
        batch, f.buf = f.buf, bytearray()
        self._jobs.append(self._worker.submit(self._write_batch, f, batch))
        self._reap(MAX_PENDING)

    def _write_batch(self, f: _FrameFile, batch: bytearray) -> int:
        written = write_all(f.fd, self._cctx.compress(batch))
        f.dirty = True
        return written

    def _open(self, path: Path) -> _FrameFile:
        # A file retired and opened again must not be cut while its last batch is written.
        self._reap(0)
        return _FrameFile(path, self.codec)

    def _retire(self, f: _FrameFile) -> None:
        self._flush(f)
        self._jobs.append(self._worker.submit(_close, f.fd))

    def _reap(self, keep: int) -> None:
        """Collect finished jobs; wait for the oldest while more than ``keep`` are pending."""
        jobs = self._jobs
        while jobs and (len(jobs) > keep or jobs[0].done()):
            try:
                self.bytes += jobs.popleft().result()
            except OSError as exc:
                self.errors += 1
                self._on_error(f"raw capture write failed: {exc.strerror or exc}")

    def flush(self) -> None:
        for f in self.files.values():
            self._flush(f)
        self._reap(0)

    def close(self) -> None:
        try:
            for f in self.files.values():
                self._retire(f)
            self.files.clear()
            self._last = None
            self._reap(0)
        finally:
            self._worker.shutdown()


def _close(fd: int) -> int:
    os.close(fd)
    return 0


# -- reading ---------------------------------------------------------------------------------


def iter_raw(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(ts_recv, frame bytes)`` of every record of a raw capture file, in order, in either
    format (``.frames.zst`` or the older ``.jsonl.zst``; text frames come back UTF-8 encoded).

    An unfinished last zstd frame (a file being written, or cut by a crash) is left out; a
    record that runs past its frame raises ``ValueError`` (the file is damaged).
    """
    legacy = path.name.endswith(LEGACY_RAW_SUFFIX)
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        if size == 0:
            return
        with mmap.mmap(fh.fileno(), size, prot=mmap.PROT_READ) as mm:
            for _, end, content in iter_frames(mm, "zstd"):  # type: ignore[arg-type]
                if end < 0:
                    return
                yield from _legacy_records(content) if legacy else _records(content, path)


def _records(content: bytes, path: Path) -> Iterator[tuple[int, bytes]]:
    head = RECORD_HEAD.size
    pos = 0
    total = len(content)
    while pos < total:
        if pos + head > total:
            raise ValueError(f"{path}: a raw record head is cut at byte {pos} of a frame")
        ts_recv, length = RECORD_HEAD.unpack_from(content, pos)
        start = pos + head
        pos = start + length
        if pos > total:
            raise ValueError(f"{path}: a raw record runs past its frame at byte {start}")
        yield ts_recv, content[start:pos]


def _legacy_records(content: bytes) -> Iterator[tuple[int, bytes]]:
    for line in split_lines(content):
        rec = _legacy_decoder.decode(line)
        if rec.frame is not None:
            yield rec.ts_recv, rec.frame.encode("utf-8")
        else:
            yield rec.ts_recv, base64.b64decode(rec.frame_b64 or "")


def raw_paths(directory: Path) -> list[Path]:
    """A provider's raw capture files (``_raw/{provider}``) oldest first; on the day a root
    moved to the binary format, the older JSON-lines file comes first."""
    found = [
        p
        for p in directory.iterdir()
        if p.name.endswith(RAW_SUFFIX) or p.name.endswith(LEGACY_RAW_SUFFIX)
    ]
    return sorted(found, key=lambda p: (p.name.split(".", 1)[0], p.name.endswith(RAW_SUFFIX)))


def raw_days(directory: Path, provider: str) -> list[tuple[date, Path]]:
    """A provider's raw capture files under ``directory`` (``_raw``) with their day, oldest
    first (both formats; a day can have one file of each)."""
    folder = directory / path_component(provider)
    if not folder.is_dir():
        return []
    out = []
    for path in raw_paths(folder):
        try:
            out.append((date.fromisoformat(path.name.split(".", 1)[0]), path))
        except ValueError:
            continue  # not a day's file
    return out
