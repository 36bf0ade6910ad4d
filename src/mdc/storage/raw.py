"""Raw capture and bad-frame quarantine: provider frames as received, with receive timestamps.

``_raw/{provider}/{date}.jsonl.zst`` holds ``{"ts_recv": ns, "frame": "..."}`` per line (Tardis
style: enough to re-run a fixed parser over history); ``_bad/{provider}/{date}.jsonl`` holds
frames that failed to parse with the error. Frames that are not UTF-8 are stored base64-encoded
under ``frame_b64``. Not WAL-backed (raw volume is many times the event volume): lines are
buffered and written as one zstd frame per flush, so a crash loses at most what was buffered; a
torn last frame or line is cut when the file is opened again.
"""

from __future__ import annotations

import base64
import mmap
import os
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from typing import Final

import msgspec
import zstandard

from mdc.domain.time import NS_PER_DAY
from mdc.storage.fsutil import path_component, write_all
from mdc.storage.jsonl import complete_length, iter_frames, split_lines

FLUSH_BYTES: Final = 256 * 1024
"""Uncompressed bytes buffered per file before a frame is written."""
MAX_OPEN: Final = 64
RAW_ZSTD_LEVEL: Final = 1
"""Raw volume is several times the event volume: level 1 compresses provider JSON about as
well as 3 (measured on the simulated feed: 6.5x vs 6.0x) in 80 % of the time."""
EPOCH: Final = date(1970, 1, 1)

_encoder = msgspec.json.Encoder()


class RawRecord(msgspec.Struct, kw_only=True):
    """One line of a raw-capture file."""

    ts_recv: int
    frame: str | None = None
    frame_b64: str | None = None

    def data(self) -> bytes | str:
        """The frame as received: text, or the bytes of a non-UTF-8 frame."""
        if self.frame is not None:
            return self.frame
        return base64.b64decode(self.frame_b64 or "")


_record_decoder = msgspec.json.Decoder(RawRecord)


def raw_days(directory: Path, provider: str) -> list[tuple[date, Path]]:
    """The raw-capture files of ``provider`` under ``directory`` (``_raw``), by day."""
    folder = directory / path_component(provider)
    out = []
    for path in folder.glob("*.jsonl.zst") if folder.is_dir() else []:
        try:
            out.append((date.fromisoformat(path.name.removesuffix(".jsonl.zst")), path))
        except ValueError:
            continue
    return sorted(out)


def read_raw(path: Path) -> Iterator[RawRecord]:
    """The records of one raw file in the order received, frame by frame (streamed from a
    memory map); a torn last frame (a collector is writing it) is left out."""
    with path.open("rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size == 0:
            return
        with mmap.mmap(f.fileno(), size, prot=mmap.PROT_READ) as mm:
            for _, end, chunk in iter_frames(mm, "zstd"):  # type: ignore[arg-type]
                if end < 0:
                    return
                for line in split_lines(chunk):
                    yield _record_decoder.decode(line)


def frame_fields(data: bytes | str) -> dict[str, str]:
    if isinstance(data, str):
        return {"frame": data}
    try:
        return {"frame": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"frame_b64": base64.b64encode(data).decode("ascii")}


class _FrameFile:
    __slots__ = ("buf", "dirty", "fd", "path")

    def __init__(self, path: Path, compressed: bool) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o644)
        _cut_torn_tail(self.fd, "zstd" if compressed else "none")
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


class FrameLog:
    """Daily files per provider under one directory; compressed (raw) or not (bad frames)."""

    def __init__(self, directory: Path, compressed: bool) -> None:
        self.dir = directory
        self.compressed = compressed
        self.suffix = ".jsonl.zst" if compressed else ".jsonl"
        self.files: OrderedDict[tuple[str, str], _FrameFile] = OrderedDict()
        self.frames = 0
        self.bytes = 0
        self.errors = 0
        self._cctx = zstandard.ZstdCompressor(level=RAW_ZSTD_LEVEL) if compressed else None
        self._day = -1
        self._day_iso = ""
        """The UTC day (``ts_recv // NS_PER_DAY``) of the last frame and its file name part:
        the date is formatted once a day, not once a frame."""

    def write(self, provider: str, ts_recv: int, fields: Mapping[str, object]) -> None:
        """One line: ``ts_recv`` first, then ``fields`` in their order."""
        f = self._file(provider, ts_recv)
        f.buf += _encoder.encode({"ts_recv": ts_recv, **fields})
        f.buf += b"\n"
        self._written(f)

    def write_frame(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        """The line ``write(provider, ts_recv, frame_fields(data))`` writes, built without
        the dict (this runs once per frame received)."""
        if isinstance(data, bytes):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                self.write(provider, ts_recv, frame_fields(data))
                return
        else:
            text = data
        f = self._file(provider, ts_recv)
        buf = f.buf
        buf += b'{"ts_recv":%d,"frame":' % ts_recv
        buf += _encoder.encode(text)
        buf += b"}\n"
        self._written(f)

    def _file(self, provider: str, ts_recv: int) -> _FrameFile:
        day = ts_recv // NS_PER_DAY
        if day != self._day:
            self._day_iso = (EPOCH + timedelta(days=day)).isoformat()
            self._day = day
        key = (provider, self._day_iso)
        f = self.files.get(key)
        if f is None:
            path = self.dir / path_component(provider) / f"{key[1]}{self.suffix}"
            f = self.files[key] = _FrameFile(path, self.compressed)
            while len(self.files) > MAX_OPEN:
                _, old = self.files.popitem(last=False)
                try:
                    self._flush(old)
                finally:
                    os.close(old.fd)
        else:
            self.files.move_to_end(key)
        return f

    def _written(self, f: _FrameFile) -> None:
        self.frames += 1
        if len(f.buf) >= FLUSH_BYTES:
            self._flush(f)

    def _flush(self, f: _FrameFile) -> None:
        if not f.buf:
            return
        data = self._cctx.compress(f.buf) if self._cctx is not None else f.buf
        f.buf = bytearray()
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

    def open_fds(self) -> list[int]:
        return [f.fd for f in self.files.values()]
