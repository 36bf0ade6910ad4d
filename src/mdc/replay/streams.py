"""One archive file as a stream of event chunks, without loading the file whole.

JSONL (plain, gzip members or zstd frames) is decompressed and split into lines a chunk at a
time; Parquet is read a record batch at a time. A torn last line (a collector writing the file
right now) ends the stream where the complete lines end.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator
from contextlib import closing
from typing import Final, Protocol

import pyarrow as pa
import pyarrow.parquet as pq
import zstandard

from mdc.domain.events import Event
from mdc.storage.archive import ArchiveFile, Partition, Source
from mdc.storage.arrow import from_table, plain_schema
from mdc.storage.jsonl import codec_of
from mdc.storage.reader import decode_lines, read_parquet_table

CHUNK_BYTES: Final = 1 << 20
PARQUET_BATCH_ROWS: Final = 8192


class _Reader(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...
    def close(self) -> None: ...


def _open(file: ArchiveFile) -> _Reader:
    codec = codec_of(file.path.name)
    if codec == "gzip":
        return gzip.open(file.path, "rb")
    raw = open(file.path, "rb")  # noqa: SIM115 - closed by the caller (with the wrapper)
    if codec == "zstd":
        return zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
    return raw


def jsonl_chunks(file: ArchiveFile, cls: type[Event]) -> Iterator[list[Event]]:
    rest = b""
    with closing(_open(file)) as fh:
        while True:
            try:
                data = fh.read(CHUNK_BYTES)
            except (EOFError, OSError, zlib.error, zstandard.ZstdError):
                return  # a torn compressed tail: the complete part was streamed
            if not data:
                return
            data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield decode_lines(cls, data[:cut])


def parquet_chunks(file: ArchiveFile, cls: type[Event]) -> Iterator[list[Event]]:
    pf = pq.ParquetFile(file.path)
    if not set(plain_schema(cls).names) <= set(pf.schema_arrow.names):
        yield from_table(cls, read_parquet_table(file.path, cls))  # an older part: widened
        return
    for batch in pf.iter_batches(batch_size=PARQUET_BATCH_ROWS):
        yield from_table(cls, pa.Table.from_batches([batch]))


def partition_chunks(
    partitions: list[Partition], cls: type[Event], source: Source, lo: int, hi: int
) -> Iterator[list[Event]]:
    """Chunks of the events of ``partitions`` (time order) with ``lo <= ts_event < hi``."""
    for p in partitions:
        if p.end_ns <= lo or p.start_ns >= hi:
            continue
        inside = lo <= p.start_ns and p.end_ns <= hi
        for f in p.files(source):
            chunks = parquet_chunks(f, cls) if f.format == "parquet" else jsonl_chunks(f, cls)
            for chunk in chunks:
                yield chunk if inside else [e for e in chunk if lo <= e.ts_event < hi]
