"""``mdc archive verify``: re-read every file and check it against what its path promises.

Errors (exit code 1): a file that cannot be read or decoded, an unfinished zstd/gzip frame or a
partial last line, a Parquet schema or row count that does not match, a row whose symbol,
provider or partition is not the file's. Warnings: rows out of ``ts_event`` order, rows whose
natural key repeats within a partition, files the layout does not explain, interrupted
compactions.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any, Literal

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from mdc.domain.events import TYPES_BY_NAME, Event
from mdc.storage.archive import Archive, ArchiveFile
from mdc.storage.arrow import from_table, plain_schema, schema
from mdc.storage.dedup import KEYS
from mdc.storage.jsonl import read_jsonl_bytes, split_lines

Status = Literal["ok", "warning", "error"]


@dataclass
class FileReport:
    rel: str
    format: str
    type_name: str
    symbol: str
    partition: str
    rows: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    out_of_order: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def status(self) -> Status:
        return "error" if self.errors else "warning" if self.warnings else "ok"

    def to_dict(self) -> dict[str, Any]:
        """The report as ``mdc archive verify --json`` and the verify API show it."""
        return {
            "file": self.rel,
            "format": self.format,
            "type": self.type_name,
            "symbol": self.symbol,
            "partition": self.partition,
            "status": self.status,
            "rows": self.rows,
            "first_ts": self.first_ts,
            "last_ts": self.last_ts,
            "out_of_order": self.out_of_order,
            "duplicates": self.duplicates,
            "errors": self.errors,
            "warnings": self.warnings,
        }


def verify(
    archive: Archive, progress: Callable[[ArchiveFile], None] | None = None
) -> list[FileReport]:
    """One report per data file (JSONL and Parquet alike), plus one per unexplained file."""
    reports: list[FileReport] = []
    for partition in archive.partitions():
        rows: dict[str, int] = {}
        first: FileReport | None = None
        for files in (partition.jsonl, partition.parquet):
            seen: set[Hashable] = set()
            for f in files:
                if progress is not None:
                    progress(f)
                report = verify_file(archive, f, seen)
                rows[f.format] = rows.get(f.format, 0) + report.rows
                first = first or report
                reports.append(report)
        if len(rows) == 2 and rows["jsonl"] != rows["parquet"] and first is not None:
            # Written with format = "both" they agree; a changed `format` leaves one partial.
            first.warnings.append(
                f"formats disagree: {rows['jsonl']} rows in JSONL, {rows['parquet']} in "
                "Parquet (normal while a collector writes the partition; readers use Parquet)"
            )
    for path in archive.unknown_files:
        rel = str(path.relative_to(archive.root))
        report = FileReport(rel, "?", "?", "?", "?")
        if path.name.startswith("_compact-"):
            report.warnings.append("interrupted compaction (run `mdc compact` to finish it)")
        else:
            report.warnings.append("not an archive file for this layout")
        reports.append(report)
    return reports


def verify_file(archive: Archive, f: ArchiveFile, seen: set[Hashable]) -> FileReport:
    report = FileReport(f.rel, f.format, f.type_name, f.symbol, f.partition)
    cls = TYPES_BY_NAME.get(f.type_name)
    if cls is None:
        report.errors.append(f"unknown event type {f.type_name!r}")
        return report
    try:
        events = (
            _read_jsonl(f, cls, report) if f.format == "jsonl" else _read_parquet(f, cls, report)
        )
    except (OSError, ValueError, pa.ArrowException) as exc:
        report.errors.append(f"unreadable: {exc}")
        return report
    _check_rows(archive, f, cls, events, report, seen)
    return report


def _read_jsonl(f: ArchiveFile, cls: type[Event], report: FileReport) -> list[Event]:
    decoder = msgspec.json.Decoder(cls)
    try:
        body = read_jsonl_bytes(f.path, strict=True)
    except ValueError as exc:
        report.errors.append(str(exc))
        body = read_jsonl_bytes(f.path)
    events: list[Event] = []
    bad = 0
    for number, line in enumerate(split_lines(body), start=1):
        try:
            events.append(decoder.decode(line))
        except msgspec.DecodeError as exc:
            bad += 1
            if bad == 1:
                report.errors.append(f"line {number}: {exc}")
    if bad > 1:
        report.errors.append(f"{bad} lines do not decode as {f.type_name}")
    return events


def _read_parquet(f: ArchiveFile, cls: type[Event], report: FileReport) -> list[Event]:
    pf = pq.ParquetFile(f.path)
    expected = schema(cls)
    actual = pf.schema_arrow
    missing = [n for n in expected.names if n not in actual.names]
    extra = [n for n in actual.names if n not in expected.names]
    wrong = [
        n
        for n in expected.names
        if n in actual.names and actual.field(n).type != expected.field(n).type
    ]
    if extra or wrong:
        report.errors.append(
            "schema differs: "
            + "; ".join(
                part
                for part in (
                    f"unexpected columns {extra}" if extra else "",
                    f"wrong types for {wrong}" if wrong else "",
                )
                if part
            )
        )
    if missing:
        report.warnings.append(f"older schema: columns {missing} absent (read as null)")
    table = pf.read()
    if table.num_rows != pf.metadata.num_rows:
        report.errors.append(f"{table.num_rows} rows read, footer says {pf.metadata.num_rows}")
    plain = plain_schema(cls)
    columns = [
        table.column(fld.name).cast(fld.type)
        if fld.name in table.column_names
        else pa.nulls(table.num_rows, fld.type)
        for fld in plain
    ]
    return from_table(cls, pa.Table.from_arrays(columns, schema=plain))


def _check_rows(
    archive: Archive,
    f: ArchiveFile,
    cls: type[Event],
    events: list[Event],
    report: FileReport,
    seen: set[Hashable],
) -> None:
    report.rows = len(events)
    if not events:
        return
    layout = archive.layout
    wrong_symbol = sum(1 for e in events if e.symbol != f.symbol)
    if wrong_symbol:
        report.errors.append(f"{wrong_symbol} rows belong to another symbol")
    wrong_partition = sum(1 for e in events if layout.label_of(e.ts_event) != f.partition)
    if wrong_partition:
        report.errors.append(f"{wrong_partition} rows belong to another partition")
    if f.provider is not None:
        wrong_provider = sum(1 for e in events if e.provider != f.provider)
        if wrong_provider:
            report.errors.append(f"{wrong_provider} rows come from another provider")
    ts = [e.ts_event for e in events]
    report.first_ts, report.last_ts = min(ts), max(ts)
    report.out_of_order = sum(1 for a, b in pairwise(ts) if b < a)
    if report.out_of_order:
        report.warnings.append(f"{report.out_of_order} rows earlier than the row before")
    key = KEYS[cls]
    before = len(seen)
    for e in events:
        seen.add(key(e))
    report.duplicates = len(events) - (len(seen) - before)
    if report.duplicates:
        report.warnings.append(f"{report.duplicates} rows repeat a natural key")
