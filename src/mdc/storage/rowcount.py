"""Rows per archive file, cheaply and remembered: Parquet from its footer, JSONL by counting
complete lines (streamed, through gzip or zstd). Used by the coverage grid and by the archive
reader to tell a complete copy of a partition from a partial one."""

from __future__ import annotations

import gzip
import os
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Final, Protocol

import pyarrow.parquet as pq
import zstandard

from mdc.storage.jsonl import codec_of

if TYPE_CHECKING:
    from mdc.storage.archive import ArchiveFile

CACHE_FILES: Final = 50_000
READ_CHUNK: Final = 1 << 20


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class RowCounter:
    """Rows per file, remembered by (path, size, mtime); safe to share between threads."""

    def __init__(self, max_files: int = CACHE_FILES) -> None:
        self._cache: OrderedDict[tuple[str, int, int], int] = OrderedDict()
        self._max = max_files
        self._lock = threading.Lock()

    def rows(self, f: ArchiveFile, budget: list[int]) -> int | None:
        """Rows of ``f``; reading JSONL spends ``budget[0]`` bytes (``None`` once spent)."""
        try:
            st = os.stat(f.path)
        except OSError:
            return None
        key = (str(f.path), st.st_size, st.st_mtime_ns)
        with self._lock:
            known = self._cache.get(key)
            if known is not None:
                self._cache.move_to_end(key)
                return known
        try:
            if f.format == "parquet":
                rows = int(pq.read_metadata(f.path).num_rows)
            else:
                if st.st_size > budget[0]:
                    return None
                budget[0] -= st.st_size
                rows = count_lines(f)
        except (OSError, ValueError):
            return None
        with self._lock:
            self._cache[key] = rows
            while len(self._cache) > self._max:
                self._cache.popitem(last=False)
        return rows


def count_lines(f: ArchiveFile) -> int:
    """Complete lines of a JSONL file, streamed; an unfinished last frame or line (a file
    being written) is not counted."""
    codec = codec_of(f.path.name)
    count = 0
    with open(f.path, "rb") as raw:
        stream: _Readable
        if codec == "gzip":
            stream = gzip.GzipFile(fileobj=raw)
        elif codec == "zstd":
            stream = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        else:
            stream = raw
        try:
            while chunk := stream.read(READ_CHUNK):
                count += chunk.count(b"\n")
        except (EOFError, zstandard.ZstdError, gzip.BadGzipFile):
            pass  # the tail a running collector has not finished: the lines before it count
    return count
