"""Parquet parts: one writer per partition directory, row groups streamed into a part.

A part is written as ``part-{first_lsn:016d}-{writer}.parquet.inprogress`` and renamed to
``….parquet`` once its footer is written (finished). Readers only ever see finished parts.
``first_lsn`` in the name orders parts by write time and lets recovery find the parts a crashed
writer finished after the last checkpoint (see docs/durability.md, "Parquet parts").
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from pathlib import Path
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from mdc.domain.events import Event
from mdc.storage.arrow import schema, to_table

log = logging.getLogger(__name__)

COMPRESSION: Final = "zstd"
COMPRESSION_LEVEL: Final = 3
CONVERT_ROWS: Final = 4096
"""Buffered events are turned into Arrow at this count, while they are still in CPU cache."""
INPROGRESS: Final = ".inprogress"
INTENT_PREFIX: Final = "_compact-"
PART_RE: Final = re.compile(r"^part-(\d{16})-([0-9a-z]+)\.parquet(\.inprogress)?$")


class Intent(msgspec.Struct):
    """What ``mdc compact`` is about to do in a partition directory (see compact.py)."""

    output: str
    inputs: list[str]


def part_name(first_lsn: int, writer: str) -> str:
    return f"part-{first_lsn:016d}-{writer}.parquet"


def parse_part(name: str) -> tuple[int, str, bool] | None:
    """``(first_lsn, writer, in_progress)`` of a part file name."""
    match = PART_RE.match(name)
    if match is None:
        return None
    return int(match.group(1)), match.group(2), match.group(3) is not None


def new_writer_id() -> str:
    return secrets.token_hex(4)


def open_part(path: Path, cls: type[Event], writer: str) -> pq.ParquetWriter:
    meta = dict(schema(cls).metadata or {})
    meta[b"mdc.writer"] = writer.encode()
    return pq.ParquetWriter(
        path,
        schema(cls).with_metadata(meta),
        compression=COMPRESSION,
        compression_level=COMPRESSION_LEVEL,
        # Dictionary pages only where values repeat (they cost time and size on prices).
        use_dictionary=[f.name for f in schema(cls) if pa.types.is_dictionary(f.type)],
    )


class PartitionWriter:
    """Buffers one partition's events and writes them as row groups of a part."""

    def __init__(
        self,
        root: Path,
        rel: str,
        cls: type[Event],
        key: object,
        end_ns: int,
        lsn_before: int,
        row_group_rows: int,
    ) -> None:
        self.rel = rel
        self.dir = root / rel
        self.cls = cls
        self.key = key
        self.end_ns = end_ns
        self.writer = new_writer_id()
        self.row_group_rows = row_group_rows
        self.buffer: list[Event] = []
        self.converted: list[pa.Table] = []
        self.converted_rows = 0
        self.committed_lsn = lsn_before
        """Every event of records ``<= committed_lsn`` routed here is in a finished part."""
        self.last_lsn = lsn_before
        self.pending_lsn: int | None = None
        """The first record with rows not yet in a finished part."""
        self.rows = 0
        self.part_rows = 0
        self.part_started = 0.0
        self._part: pq.ParquetWriter | None = None
        self._part_path: Path | None = None
        self.dir.mkdir(parents=True, exist_ok=True)

    @property
    def pending(self) -> bool:
        return self.pending_lsn is not None

    @property
    def has_file(self) -> bool:
        """Whether the part's file is open (it counts against the open-file cap)."""
        return self._part is not None

    @property
    def row_group_due(self) -> bool:
        """A full row group is buffered (the store writes it when a file handle is free)."""
        return self.converted_rows >= self.row_group_rows

    @property
    def buffered(self) -> int:
        """Rows held in memory (Python events and converted Arrow), not yet in the file."""
        return len(self.buffer) + self.converted_rows

    def write(self, events: list[Event], lsn: int) -> None:
        if self.pending_lsn is None:
            self.pending_lsn = lsn
            self.part_started = time.monotonic()
        self.buffer.extend(events)
        self.last_lsn = lsn
        self.rows += len(events)
        if len(self.buffer) >= CONVERT_ROWS:
            self._convert()

    def _convert(self) -> None:
        if self.buffer:
            self.converted.append(to_table(self.cls, self.buffer))
            self.converted_rows += len(self.buffer)
            self.buffer = []

    def flush_row_group(self) -> None:
        """Write what is buffered as row groups of at most ``row_group_rows`` (opening the
        part's file if needed)."""
        self._convert()
        if not self.converted:
            return
        table = pa.concat_tables(self.converted)
        if self._part is None:
            assert self.pending_lsn is not None
            self._part_path = self.dir / (part_name(self.pending_lsn, self.writer) + INPROGRESS)
            self._part = open_part(self._part_path, self.cls, self.writer)
        self._part.write_table(table, row_group_size=self.row_group_rows)
        self.part_rows += table.num_rows
        self.converted = []
        self.converted_rows = 0

    def finish(self) -> Path | None:
        """Finish the part (footer, rename): its rows become committed. Returns the part."""
        self.flush_row_group()
        done: Path | None = None
        if self._part is not None and self._part_path is not None:
            self._part.add_key_value_metadata({"mdc.last_lsn": str(self.last_lsn)})
            self._part.close()
            done = self._part_path.with_name(self._part_path.name[: -len(INPROGRESS)])
            os.replace(self._part_path, done)
            self._part = None
            self._part_path = None
        self.committed_lsn = self.last_lsn
        self.pending_lsn = None
        self.part_rows = 0
        return done

    def abandon(self) -> None:
        """Drop buffered rows and the unfinished part (after an error; recovery rebuilds)."""
        self.buffer = []
        self.converted = []
        self.converted_rows = 0
        if self._part is not None:
            try:
                self._part.close()
            except OSError as exc:
                log.debug("closing an abandoned part failed: %s", exc)
            self._part = None
        if self._part_path is not None:
            self._part_path.unlink(missing_ok=True)
            self._part_path = None
        self.pending_lsn = None


def cut_writer(directory: Path, writer: str, lsn: int) -> list[Path]:
    """Delete what a crashed writer left beyond its committed ``lsn``: unfinished parts and
    finished parts that begin after it. Returns what was deleted."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    for path in directory.iterdir():
        parsed = parse_part(path.name)
        if parsed is None:
            continue
        first_lsn, owner, in_progress = parsed
        if in_progress or (owner == writer and first_lsn > lsn):
            path.unlink()
            removed.append(path)
    return removed
