"""JSONL archive files: one event per line, optionally gzip or zstd, appended through a buffer.

Compressed files are a sequence of complete gzip members / zstd frames: a frame is ended at every
checkpoint, so a committed length is always a frame boundary and truncating to it leaves a valid
file (gzip, zstd, DuckDB, pandas and polars all read multi-member/multi-frame files).
"""

from __future__ import annotations

import os
import time
import zlib
from collections import OrderedDict
from collections.abc import Iterator
from pathlib import Path
from typing import Final, Protocol

import zstandard

from mdc.storage.fsutil import write_all

FLUSH_BYTES: Final = 64 * 1024
"""A file's buffer is written to the OS when it holds this much."""
ZSTD_LEVEL: Final = 3
GZIP_LEVEL: Final = 6
FRAME_SCAN_CHUNK: Final = 1 << 20


class _Compressor(Protocol):
    def compress(self, data: bytes) -> bytes: ...

    def flush(self, mode: int) -> bytes: ...


class JsonlFile:
    """An open JSONL output: raw fd, our own buffer, the current compression frame."""

    __slots__ = (
        "_comp",
        "_frame_open",
        "buf",
        "compression",
        "created",
        "dirty",
        "end_ns",
        "fd",
        "key",
        "last_lsn",
        "length",
        "path",
        "rel",
        "touched",
    )

    def __init__(
        self, root: Path, rel: str, compression: str, key: object, end_ns: int, lsn: int
    ) -> None:
        self.rel = rel
        self.path = root / rel
        self.key = key
        self.compression = compression
        self.end_ns = end_ns
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.created = not self.path.exists()
        self.fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        self.length = os.fstat(self.fd).st_size
        self.buf = bytearray()
        self.dirty = False
        self.last_lsn = lsn
        self.touched = time.monotonic()
        self._comp: _Compressor | None = None
        self._frame_open = False

    @property
    def size(self) -> int:
        return self.length + len(self.buf)

    def write(self, data: bytes, lsn: int) -> None:
        if self.compression != "none":
            if not self._frame_open:
                self._comp = _new_compressor(self.compression)
                self._frame_open = True
            assert self._comp is not None
            data = self._comp.compress(data)
        self.buf += data
        self.dirty = True
        self.last_lsn = lsn
        if len(self.buf) >= FLUSH_BYTES:
            self.flush()

    def flush(self) -> None:
        if self.buf:
            write_all(self.fd, self.buf)
            self.length += len(self.buf)
            self.buf.clear()

    def end_frame(self) -> None:
        """Finish the gzip member / zstd frame and write everything buffered."""
        if self._frame_open and self._comp is not None:
            mode = (
                zstandard.COMPRESSOBJ_FLUSH_FINISH if self.compression == "zstd" else zlib.Z_FINISH
            )
            self.buf += self._comp.flush(mode)
            self._comp = None
            self._frame_open = False
        self.flush()

    def close(self) -> None:
        try:
            self.end_frame()
        finally:
            os.close(self.fd)
            self.fd = -1

    def abandon(self) -> None:
        """Close without writing what is buffered (after a write error; recovery rebuilds)."""
        self.buf.clear()
        self._comp = None
        self._frame_open = False
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1


def _new_compressor(compression: str) -> _Compressor:
    if compression == "zstd":
        return zstandard.ZstdCompressor(level=ZSTD_LEVEL).compressobj()
    return zlib.compressobj(GZIP_LEVEL, zlib.DEFLATED, 31)


class JsonlFiles:
    """The open JSONL outputs, least recently used first (capped by ``max_open``)."""

    def __init__(self, max_open: int) -> None:
        self.max_open = max_open
        self.open: OrderedDict[object, JsonlFile] = OrderedDict()

    def get(self, key: object) -> JsonlFile | None:
        f = self.open.get(key)
        if f is not None:
            self.open.move_to_end(key)
        return f

    def add(self, f: JsonlFile) -> list[JsonlFile]:
        """Track a newly opened file; returns the files evicted to stay under the cap."""
        self.open[f.key] = f
        evicted = []
        while len(self.open) > self.max_open:
            _, old = self.open.popitem(last=False)
            evicted.append(old)
        return evicted

    def pop(self, key: object) -> JsonlFile | None:
        return self.open.pop(key, None)


def split_lines(data: bytes) -> list[bytes]:
    """Complete lines of a JSONL body (a trailing partial line is dropped)."""
    lines = data.split(b"\n")
    return [line for line in lines[:-1] if line]


def read_jsonl_bytes(path: Path, strict: bool = False) -> bytes:
    """The decompressed content of a JSONL file (codec by extension).

    A file being written ends in an unfinished frame (or line) until the next checkpoint: it
    is left out, unless ``strict`` (verification), which raises ``ValueError`` instead.
    """
    data = path.read_bytes()
    codec = codec_of(path.name)
    out = bytearray()
    if codec == "none":
        out += data
    else:
        for _, end, chunk in iter_frames(data, codec):
            if end < 0:
                if strict:
                    raise ValueError(f"{path.name}: unfinished {codec} frame at the end")
                break
            out += chunk
    if out and not out.endswith(b"\n"):
        if strict:
            raise ValueError(f"{path.name}: last line is incomplete")
        del out[out.rfind(b"\n") + 1 :]
    return bytes(out)


def codec_of(name: str) -> str:
    if name.endswith(".zst"):
        return "zstd"
    if name.endswith(".gz"):
        return "gzip"
    return "none"


class _Decompressor(Protocol):
    @property
    def eof(self) -> bool: ...

    @property
    def unused_data(self) -> bytes: ...

    def decompress(self, data: bytes | memoryview) -> bytes: ...


def _decompressor(codec: str) -> _Decompressor:
    if codec == "zstd":
        return zstandard.ZstdDecompressor().decompressobj()
    return zlib.decompressobj(31)


def iter_frames(data: bytes, codec: str) -> Iterator[tuple[int, int, bytes]]:
    """``(start, end, content)`` of each zstd frame / gzip member; a torn or corrupt last one
    is reported once with ``end = -1``. Linear in the size (fed in chunks)."""
    view = memoryview(data)
    pos = 0
    size = len(data)
    while pos < size:
        dobj = _decompressor(codec)
        parts: list[bytes] = []
        cur = pos
        while True:
            chunk = view[cur : cur + FRAME_SCAN_CHUNK]
            if not chunk:
                yield pos, -1, b"".join(parts)
                return
            try:
                parts.append(dobj.decompress(chunk))
            except (zstandard.ZstdError, zlib.error):
                yield pos, -1, b"".join(parts)
                return
            if dobj.eof:
                end = cur + len(chunk) - len(dobj.unused_data)
                yield pos, end, b"".join(parts)
                pos = end
                break
            cur += len(chunk)


def complete_length(data: bytes, codec: str) -> int:
    """Length of the prefix made of complete frames (or lines, uncompressed): cuts a torn tail."""
    if codec == "none":
        return data.rfind(b"\n") + 1
    good = 0
    for _, end, _ in iter_frames(data, codec):
        if end < 0:
            break
        good = end
    return good
