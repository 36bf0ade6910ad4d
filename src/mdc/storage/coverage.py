"""Per-day coverage of an archive: for each type and symbol, which partitions hold data and how
many rows.

Cheap by construction, so a dashboard can refresh it: the partitions come from the file listing
``open_archive`` already makes; Parquet rows come from file footers; JSONL rows are complete lines,
counted in a streaming read only within a byte budget per call (files past it report ``None``)
and remembered per file by size and mtime, so an unchanged file is never read twice. Rows are
those of the files a reader reads (Parquet when a partition has finished parts, else JSONL).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Final, Literal

from mdc.storage.archive import Archive
from mdc.storage.layout import ALL
from mdc.storage.rowcount import RowCounter

MAX_COLUMNS: Final = 366
"""Most days (or months) one call reports."""
MAX_SERIES: Final = 500
"""Most (type, symbol, provider) rows one call reports."""
COUNT_BUDGET_BYTES: Final = 256 * 1024 * 1024
"""JSONL bytes (on disk) one call may read to count rows; the rest report ``rows = None``."""

Unit = Literal["day", "month", "all"]


@dataclass
class Cell:
    rows: int | None = 0
    """``None`` when a file of the cell was not counted (over the budget)."""
    files: int = 0
    bytes: int = 0

    def add(self, rows: int | None, size: int) -> None:
        self.rows = None if rows is None or self.rows is None else self.rows + rows
        self.files += 1
        self.bytes += size


@dataclass
class Series:
    type_name: str
    symbol: str
    provider: str | None
    cells: dict[str, Cell] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        total = Cell()
        for cell in self.cells.values():
            total.rows = None if cell.rows is None or total.rows is None else total.rows + cell.rows
            total.files += cell.files
            total.bytes += cell.bytes
        return {
            "type": self.type_name,
            "symbol": self.symbol,
            "provider": self.provider,
            "rows": total.rows,
            "files": total.files,
            "bytes": total.bytes,
            "cells": {k: vars(c) for k, c in sorted(self.cells.items())},
        }


def column_of(label: str, partition: str) -> str:
    """The grid column of a partition label: its day (hourly partitions share their day)."""
    return label[:10] if partition == "hourly" else label


def columns_between(first: str, last: str, unit: Unit) -> list[str]:
    """Every day (``YYYY-MM-DD``) or month (``YYYY-MM``) from ``first`` to ``last``."""
    if unit == "all":
        return [ALL]
    if unit == "month":
        y, m = int(first[:4]), int(first[5:7])
        out = []
        while f"{y:04d}-{m:02d}" <= last:
            out.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
    day, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(day + timedelta(days=i)).isoformat() for i in range((end - day).days + 1)]


def coverage(
    archive: Archive,
    counter: RowCounter,
    type_name: str | None = None,
    symbol: str | None = None,
    end: str | None = None,
    columns: int = 31,
) -> dict[str, Any]:
    """The last ``columns`` days (months for monthly partitions) up to ``end`` (default: the
    last day holding data), with rows, files and bytes per series and day."""
    partition = archive.spec.partition
    unit: Unit = "all" if partition == "none" else "month" if partition == "monthly" else "day"
    parts = archive.partitions(type_name, symbol)
    labels = sorted({column_of(p.partition, partition) for p in parts})
    out: dict[str, Any] = {
        "partition": partition,
        "unit": unit,
        "first": labels[0] if labels else None,
        "last": labels[-1] if labels else None,
        "columns": [],
        "series": [],
        "series_truncated": False,
        "uncounted_files": 0,
    }
    if not labels:
        return out
    last = end[: len(labels[-1])] if end else labels[-1]
    if unit == "all":
        cols = [ALL]
    else:
        first = _back(last, unit, max(1, min(columns, MAX_COLUMNS)) - 1)
        cols = columns_between(first, last, unit)
    wanted = set(cols)
    budget = [COUNT_BUDGET_BYTES]
    series: dict[tuple[str, str, str | None], Series] = {}
    truncated = False
    for p in parts:
        col = column_of(p.partition, partition)
        if col not in wanted:
            continue
        key = (p.type_name, p.symbol, p.provider)
        s = series.get(key)
        if s is None:
            if len(series) >= MAX_SERIES:
                truncated = True
                continue
            s = series[key] = Series(*key)
        cell = s.cells.setdefault(col, Cell())
        for f in archive.files_of(p):
            rows = counter.rows(f, budget)
            if rows is None:
                out["uncounted_files"] += 1
            cell.add(rows, f.size)
    out["columns"] = cols
    out["series"] = [
        s.to_dict() for s in sorted(series.values(), key=lambda s: (s.symbol, s.type_name))
    ]
    out["series_truncated"] = truncated
    return out


def holdings(archive: Archive) -> dict[str, Any]:
    """What the archive holds, in one glance: its symbols, the event types with how many
    symbols each, the first and last partition, and the files and bytes a reader reads."""
    parts = archive.partitions(None, None)
    partition = archive.spec.partition
    labels = sorted({column_of(p.partition, partition) for p in parts})
    by_type: dict[str, set[str]] = {}
    files = size = 0
    for p in parts:
        by_type.setdefault(p.type_name, set()).add(p.symbol)
        for f in p.files(archive.source):
            files += 1
            size += f.size
    return {
        "symbols": sorted({p.symbol for p in parts}),
        "types": {t: len(symbols) for t, symbols in sorted(by_type.items())},
        "partition": partition,
        "first": labels[0] if labels else None,
        "last": labels[-1] if labels else None,
        "files": files,
        "bytes": size,
    }


def _back(label: str, unit: Unit, n: int) -> str:
    """``n`` days (or months) before ``label``."""
    if unit == "month":
        months = int(label[:4]) * 12 + int(label[5:7]) - 1 - n
        return f"{months // 12:04d}-{months % 12 + 1:02d}"
    return (date.fromisoformat(label) - timedelta(days=n)).isoformat()
