"""What the CSV importers (Tardis, mapped CSV) share: opening plain/gzip/zstd text, counting
rows that do not parse (kept as examples, never fatal), and cutting events into batches in a
fixed order (the resumable import writer counts committed batches)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Final, TextIO

from mdc.domain.events import Event
from mdc.providers.files import open_decompressed

BATCH: Final = 10_000
MAX_EXAMPLES: Final = 10


def open_text(path: Path) -> TextIO:
    """``path`` as UTF-8 text, decompressed (gzip, zstd) when it is compressed."""
    return io.TextIOWrapper(open_decompressed(path), encoding="utf-8-sig", newline="")


class RowCounter:
    """Rows read, rows rejected and a few of the rejected ones with their reason."""

    def __init__(self) -> None:
        self.rows = 0
        self.bad_rows = 0
        self.bad_examples: list[str] = []

    def bad(self, line: int, reason: object, row: list[str]) -> None:
        self.bad_rows += 1
        if len(self.bad_examples) < MAX_EXAMPLES:
            self.bad_examples.append(f"line {line}: {reason}: {','.join(row)[:120]}")


def csv_rows(f: TextIO, delimiter: str = ",") -> tuple[list[str], Iterator[list[str]]]:
    """The header and the remaining non-empty rows of a CSV text."""
    reader = csv.reader(f, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        raise ValueError("empty file (no header line)")
    return [h.strip() for h in header], (row for row in reader if row)


def batched(events: Iterator[Event], size: int = BATCH) -> Iterator[list[Event]]:
    batch: list[Event] = []
    for ev in events:
        batch.append(ev)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
