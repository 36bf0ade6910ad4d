"""Files a provider or an importer reads (captures, vendor files), decompressed as they are."""

from __future__ import annotations

import gzip
import io
from pathlib import Path
from typing import BinaryIO

import zstandard


def open_decompressed(path: Path) -> BinaryIO:
    """The decompressed byte stream of ``path``: gzip or zstd by their magic bytes, else as is
    (files arrive either way, whatever their names say)."""
    raw = path.open("rb")
    head = raw.read(4)
    raw.seek(0)
    if head[:2] == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=raw)  # type: ignore[return-value]
    if head == b"\x28\xb5\x2f\xfd":
        reader = zstandard.ZstdDecompressor().stream_reader(raw, closefd=True)
        return io.BufferedReader(reader)
    return raw
