"""Finding a member inside a ``.tar.zst`` package (one zstd frame per member), so a test can
damage exactly the file it means to."""

from __future__ import annotations

import io
import tarfile

import zstandard


def frames(data: bytes) -> list[tuple[int, int, bytes]]:
    """(start, end, decompressed bytes) of each zstd frame."""
    out, offset = [], 0
    while offset < len(data):
        d = zstandard.ZstdDecompressor().decompressobj()
        body = d.decompress(data[offset:])
        end = len(data) - len(d.unused_data)
        out.append((offset, end, body))
        offset = end
    return out


def member(frame: bytes) -> str:
    """The tar member a frame holds ("" for the end-of-archive blocks)."""
    try:
        with tarfile.open(fileobj=io.BytesIO(frame)) as tar:
            names = tar.getnames()
    except tarfile.ReadError:
        return ""
    return names[0] if names else ""


def frame_of(data: bytes, name: str) -> tuple[int, int]:
    """(start, end) of the frame holding member ``name``."""
    ((start, end),) = [(s, e) for s, e, body in frames(data) if member(body) == name]
    return start, end


def middle_of(data: bytes, name: str) -> int:
    """An offset in the middle of the frame holding member ``name``."""
    start, end = frame_of(data, name)
    return (start + end) // 2
