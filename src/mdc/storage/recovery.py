"""Recovery: cut every output back to what the checkpoint vouches for, then replay the WAL.

Step 4 (:func:`cut_outputs`) removes the provisional tail of each output so that step 5
(:func:`replay_wal`, through the store's normal write path) adds exactly what is missing. The
steps are in docs/durability.md ("Recovery").
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

import msgspec

from mdc.domain.events import Event
from mdc.storage.checkpoint import Checkpoint, Entry
from mdc.storage.jsonl import codec_of, complete_length
from mdc.storage.layout import CONTROL_DIR, PARQUET_DIR
from mdc.storage.parquet import INPROGRESS, cut_writer
from mdc.storage.wal import FLAG_DEDUP, decode_payload, recover_segments

log = logging.getLogger(__name__)

Severity = Literal["info", "warning", "error"]
ISSUE_SYMBOL: Final = "*"
"""The ``symbol`` of Integrity events about the archive itself rather than an instrument."""


@dataclass(frozen=True)
class Issue:
    """Something recovery found: becomes an ``Integrity`` event, a log line and a counter."""

    kind: str
    severity: Severity
    detail: str


def cut_outputs(root: Path, cp: Checkpoint, sync: bool) -> tuple[list[Issue], int, list[Entry]]:
    """Truncate JSONL entries to their committed length and remove what Parquet writers left
    uncommitted. Returns the issues, the number of bytes/parts cut and the entries as they now
    are (a file damaged outside mdc keeps its shorter, clean length)."""
    issues: list[Issue] = []
    cut = 0
    entries: list[Entry] = []
    for entry in cp.entries:
        path = root / entry.path
        if entry.kind == "jsonl":
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                size = 0
                if entry.length == 0:
                    entries.append(entry)
                    continue
            if size < entry.length:
                clean = _cut_to_whole(root, path, entry, size, sync)
                issues.append(
                    Issue(
                        "archive_truncated",
                        "error",
                        f"{entry.path}: {size} bytes on disk, checkpoint committed "
                        f"{entry.length}; data was lost outside mdc"
                        + (
                            f"; cut to {clean} bytes (the last whole "
                            f"{'line' if codec_of(path.name) == 'none' else 'frame'}), the "
                            f"torn rest moved to {CONTROL_DIR}/quarantine"
                            if clean < size
                            else ""
                        ),
                    )
                )
                entry = msgspec.structs.replace(entry, length=clean)
            elif size > entry.length:
                _truncate(path, entry.length, sync)
                cut += size - entry.length
        else:
            removed = cut_writer(path, entry.writer, entry.lsn)
            cut += len(removed)
            for part in removed:
                log.info("recovery: removed uncommitted part %s", part.relative_to(root))
        entries.append(entry)
    return issues, cut, entries


def _cut_to_whole(root: Path, path: Path, entry: Entry, size: int, sync: bool) -> int:
    """A file shorter than its checkpoint ends wherever the damage left it: cut it back to
    its last whole line (zstd frame, gzip member) so what is appended next stays readable,
    keeping the torn bytes in the quarantine. Returns the new length."""
    if size == 0:
        return 0
    data = path.read_bytes()
    clean = complete_length(data, codec_of(path.name))
    if clean < size:
        quarantine = root / CONTROL_DIR / "quarantine"
        quarantine.mkdir(parents=True, exist_ok=True)
        name = entry.path.replace("/", "__")
        (quarantine / f"archive.{name}.{clean}-{size}.bad").write_bytes(data[clean:])
        _truncate(path, clean, sync)
    return clean


def _truncate(path: Path, length: int, sync: bool) -> None:
    with path.open("r+b") as f:
        f.truncate(length)
        if sync:
            os.fsync(f.fileno())


def remove_unfinished_parts(root: Path) -> int:
    """Without a checkpoint: unfinished parts are never valid (their rows are in the WAL)."""
    removed = 0
    base = root / PARQUET_DIR
    if not base.is_dir():
        return 0
    for path in base.rglob(f"*{INPROGRESS}"):
        path.unlink()
        removed += 1
    return removed


@dataclass
class ReplayResult:
    last_lsn: int
    """The newest LSN found in the WAL, intact or torn: the next record must be above it."""
    records: int = 0
    events: int = 0
    corrupt_records: int = 0
    quarantined_bytes: int = 0


def replay_wal(
    control: Path,
    after: int,
    dedup_all: bool,
    sync: bool,
    write: Callable[[list[Event], int, bool], None],
    issue: Callable[[str, Severity, str], None],
) -> ReplayResult:
    """Feed every intact record above ``after`` to ``write(events, lsn, dedup)`` in LSN order;
    damaged bytes are quarantined and reported through ``issue``. ``dedup_all`` (no
    checkpoint: no known start) also turns off the check for missing records."""
    result = ReplayResult(last_lsn=after)
    expected: int | None = None if dedup_all else after + 1
    for scan, data in recover_segments(control / "wal", after, control / "quarantine", sync):
        for damage in scan.damage:
            result.quarantined_bytes += damage.end - damage.start
            if damage.next_lsn is not None and damage.next_lsn - 1 <= after:
                log.warning(
                    "WAL %s: damaged bytes at offset %d held only records the checkpoint "
                    "already committed; nothing lost",
                    scan.path.name,
                    damage.start,
                )
                continue
            result.corrupt_records += 1
            issue(
                damage.kind,
                "error",
                f"WAL segment {scan.path.name}: {damage.end - damage.start} bytes at offset "
                f"{damage.start} hold no intact record; moved to {CONTROL_DIR}/quarantine",
            )
        for rec in scan.records:
            if expected is not None and rec.lsn != expected:
                issue(
                    "wal_missing_records",
                    "error",
                    f"WAL records {expected}..{rec.lsn - 1} are missing (a segment was cut or "
                    f"lost before {scan.path.name})",
                )
            expected = rec.lsn + 1
            events = decode_payload(data, rec)
            write(events, rec.lsn, dedup_all or bool(rec.flags & FLAG_DEDUP))
            result.records += 1
            result.events += len(events)
        result.last_lsn = max(result.last_lsn, scan.last_lsn, scan.torn_lsn)
    if result.records:
        log.info(
            "recovery: replayed %d WAL records (%d events) after LSN %d",
            result.records,
            result.events,
            after,
        )
    return result
