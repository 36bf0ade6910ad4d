"""The gap finder's view of the archive, read straight from the files the store commits.

Every archive file holds one symbol and one type (in every layout, docs/durability.md), and every
JSONL line is a self-describing event, so the reader needs no knowledge of the layout: it learns
what a file holds from its first line (remembered per file) and reads only the files of the
symbol and type asked for. JSONL may be plain, gzip or zstd; Parquet parts are read through their
Hive-style ``type=…/symbol=…`` directories. Directories named ``_…`` (control, WAL, raw capture,
backfill state) are not archive data.

A line that does not decode (a torn tail the store has yet to repair, or damage from outside) is
skipped, never fatal, but not silently: :attr:`FileArchive.corrupt` holds the count per file,
the first sighting of each file is logged with its path, and the gap finder's output and
``/metrics`` (``mdc_backfill_archive_corrupt_lines``) show them.
"""

from __future__ import annotations

import gzip
import io
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Final, cast
from urllib.parse import unquote

import msgspec

from mdc.config.schema import Config
from mdc.domain.events import TAGS, TYPES_BY_NAME, Gap, decode_json_event

JSONL_SUFFIXES: Final = (".jsonl", ".jsonl.gz", ".jsonl.zst")
PARQUET_DIR: Final = "parquet"
log = logging.getLogger(__name__)


class _Head(msgspec.Struct):
    """What the first line of a file tells about all of it."""

    type: str
    symbol: str
    ts_event: int | None = None


class _Stamp(msgspec.Struct):
    type: str
    symbol: str
    ts_event: int
    interval: str | None = None


_head = msgspec.json.Decoder(_Head)
_stamp = msgspec.json.Decoder(_Stamp)


class FileArchive:
    """:class:`~mdc.backfill.gaps.ArchiveView` over an archive root."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._heads: dict[Path, tuple[int, _Head | None]] = {}
        self.corrupt: dict[Path, int] = {}
        """Lines that did not decode, per file, as of the latest read of that file."""

    def first_ts(self, symbol: str) -> int | None:
        """The earliest ``ts_event`` stored for ``symbol`` in any type: the first line of each
        JSONL file (files are written in arrival order) and the minimum of each Parquet part."""
        firsts = [
            head.ts_event
            for path in _jsonl_files(self.root)
            if (head := self._head(path)) is not None
            and head.symbol == symbol
            and head.ts_event is not None
        ]
        for part in self._parquet_parts(None, symbol):
            import pyarrow.compute as pc
            import pyarrow.parquet as pq

            first = pc.min(pq.read_table(part, columns=["ts_event"])["ts_event"]).as_py()
            if first is not None:
                firsts.append(first)
        return min(firsts, default=None)

    def timestamps(
        self, kind: str, symbol: str, start_ns: int, end_ns: int, interval: str | None
    ) -> list[int]:
        tag = TAGS[TYPES_BY_NAME[kind]]
        stamps: list[int] = []
        for path in self._files(tag, symbol):
            bad = 0
            for line in _lines(path):
                try:
                    row = _stamp.decode(line)
                except msgspec.DecodeError:
                    bad += 1
                    continue
                if start_ns <= row.ts_event < end_ns and (
                    interval is None or row.interval == interval
                ):
                    stamps.append(row.ts_event)
            self._note(path, bad)
        stamps += self._parquet_stamps(kind, symbol, start_ns, end_ns, interval)
        return sorted(set(stamps))

    def gap_events(self, symbol: str, start_ns: int, end_ns: int) -> list[Gap]:
        gaps: list[Gap] = []
        for path in self._files(TAGS[Gap], symbol):
            bad = 0
            for line in _lines(path):
                try:
                    event = decode_json_event(line)
                except msgspec.DecodeError:
                    bad += 1
                    continue
                if isinstance(event, Gap) and event.from_ts < end_ns and event.to_ts > start_ns:
                    gaps.append(event)
            self._note(path, bad)
        return gaps

    def _files(self, tag: str, symbol: str) -> Iterator[Path]:
        for path in _jsonl_files(self.root):
            head = self._head(path)
            if head is not None and head.type == tag and head.symbol == symbol:
                yield path

    def _note(self, path: Path, bad: int) -> None:
        """Record how many lines of ``path`` did not decode in the read just done; log a file
        the first time it has them (or more of them)."""
        before = self.corrupt.get(path, 0)
        if bad:
            self.corrupt[path] = bad
            if bad > before:
                log.warning(
                    "%s: %d line(s) are not readable events; skipped (left in the file) when "
                    "finding gaps — `mdc verify` checks the archive",
                    path,
                    bad,
                )
        elif before:
            del self.corrupt[path]

    def _head(self, path: Path) -> _Head | None:
        size = path.stat().st_size
        known = self._heads.get(path)
        if known is not None and (known[1] is not None or known[0] == size):
            return known[1]
        head = None
        for line in _lines(path):
            try:
                head = _head.decode(line)
            except msgspec.DecodeError:
                head = None
            break
        self._heads[path] = (size, head)
        return head

    def _parquet_stamps(
        self, kind: str, symbol: str, start_ns: int, end_ns: int, interval: str | None
    ) -> list[int]:
        parts = self._parquet_parts(kind, symbol)
        if not parts:
            return []
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        stamps: list[int] = []
        for part in parts:
            columns = ["ts_event", "interval"] if interval is not None else ["ts_event"]
            table = pq.read_table(part, columns=columns)
            mask = pc.and_(
                pc.greater_equal(table["ts_event"], start_ns), pc.less(table["ts_event"], end_ns)
            )
            if interval is not None:
                mask = pc.and_(mask, pc.equal(table["interval"], interval))
            stamps += table.filter(mask)["ts_event"].to_pylist()
        return stamps

    def _parquet_parts(self, kind: str | None, symbol: str) -> list[Path]:
        base = self.root / PARQUET_DIR
        if not base.is_dir():
            return []
        return [
            p
            for p in base.rglob("*.parquet")
            if (kind is None or f"type={kind}" in p.parts) and _symbol_of(p) == symbol
        ]


def open_view(config: Config) -> FileArchive:
    return FileArchive(config.storage.root)


def _jsonl_files(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*.jsonl*")):
        relative = path.relative_to(root).parts
        if relative[0].startswith("_") or relative[0] == PARQUET_DIR:
            continue
        if path.name.endswith(JSONL_SUFFIXES):
            yield path


def _symbol_of(path: Path) -> str | None:
    for part in path.parts:
        if part.startswith("symbol="):
            return unquote(part.removeprefix("symbol="))
    return None


def _lines(path: Path) -> Iterator[bytes]:
    with _open(path) as f:
        for line in f:
            if line.strip():
                yield line


def _open(path: Path) -> BinaryIO:
    if path.name.endswith(".gz"):
        return cast(BinaryIO, gzip.open(path, "rb"))
    if path.name.endswith(".zst"):
        import zstandard

        raw = path.open("rb")
        reader = zstandard.ZstdDecompressor().stream_reader(raw, read_across_frames=True)
        return io.BufferedReader(reader)
    return path.open("rb")
