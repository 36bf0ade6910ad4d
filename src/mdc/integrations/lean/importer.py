"""Lean data folders into mdc events: every supported zip under a root, row by row.

A malformed row never stops the file: it is counted, the first few are kept (file, row number,
text, reason) for the report, and the rest of the file is read. Zips that are not Lean data of a
supported kind (factor/map files, options, futures) are listed as skipped.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mdc.domain.events import Event
from mdc.integrations.lean.codec import LeanFormatError, RowReader
from mdc.integrations.lean.paths import LeanFile, parse_path
from mdc.integrations.lean.zipfiles import read_entry, rows

BATCH_ROWS: Final = 50_000
BAD_EXAMPLES: Final = 20


@dataclass
class LeanSource:
    path: Path
    rel: str
    """The path relative to Lean's data root (``equity/usa/daily/spy.zip``)."""
    file: LeanFile


@dataclass
class ReadStats:
    rows: int = 0
    bad_rows: int = 0
    bad_examples: list[str] = field(default_factory=list)
    entry_name: str = ""


def scan(root: Path) -> tuple[list[LeanSource], list[str]]:
    """Lean data zips under ``root`` (sorted by path) and the other zips found there."""
    found: list[LeanSource] = []
    skipped: list[str] = []
    for path in sorted(root.rglob("*.zip")):
        rel = path.relative_to(root).as_posix()
        file = parse_path(rel)
        if file is None:
            # A folder pointing inside a data tree (``…/equity/usa``) is read the same way.
            for n in range(1, 4):
                longer = "/".join([*_parts_above(root, n), rel])
                file = parse_path(longer)
                if file is not None:
                    rel = longer
                    break
        if file is None:
            skipped.append(rel)
        else:
            found.append(LeanSource(path, rel, file))
    return found, skipped


def _parts_above(root: Path, n: int) -> list[str]:
    return list(root.resolve().parts[-n:])


def read_batches(source: LeanSource, stats: ReadStats) -> Iterator[list[Event]]:
    """The file's events in row order, in batches (the same batches on every run, so an
    interrupted import resumes where it stopped)."""
    name, content = read_entry(source.path)
    stats.entry_name = name
    reader = RowReader(source.file)
    batch: list[Event] = []
    for number, row in enumerate(rows(content), start=1):
        stats.rows += 1
        try:
            batch.append(reader.read(row, number))
        except LeanFormatError as exc:
            stats.bad_rows += 1
            if len(stats.bad_examples) < BAD_EXAMPLES:
                stats.bad_examples.append(f"{source.rel} row {number}: {','.join(row)} ({exc})")
            continue
        if len(batch) >= BATCH_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch
