"""``mdc compact``: merge the small Parquet parts of closed partitions into one part each.

Crash-safe by an intent file: ``_compact-{id}.json`` (inputs, output) is written first, the
merged part is written as ``….inprogress`` and renamed, then the inputs and the intent are
deleted. An interrupted compaction is finished (output present) or undone (output absent) by
the next run, before anything else. While a collector runs on the root, partitions it may still
write (named in its checkpoint, or ended less than ``ACTIVE_GRACE_S`` ago) are left alone.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.parquet as pq

from mdc.domain.events import TYPES_BY_NAME
from mdc.domain.time import NS_PER_S, now_ns
from mdc.storage import checkpoint as ckpt
from mdc.storage.archive import Archive, Partition
from mdc.storage.arrow import schema
from mdc.storage.fsutil import DirLock, atomic_write, fsync_dir
from mdc.storage.layout import CONTROL_DIR
from mdc.storage.parquet import (
    INPROGRESS,
    INTENT_PREFIX,
    Intent,
    new_writer_id,
    open_part,
    parse_part,
    part_name,
)

log = logging.getLogger(__name__)

ACTIVE_GRACE_S: Final = 3600
"""With a collector running, partitions that ended less than this long ago are skipped."""
ROW_GROUP_ROWS: Final = 131_072


@dataclass
class CompactResult:
    directory: str
    parts_in: int
    rows: int
    bytes_in: int
    bytes_out: int
    output: str


def finish_interrupted(directory: Path) -> int:
    """Complete or undo compactions a crash interrupted in ``directory``; returns how many."""
    done = 0
    for intent_path in sorted(directory.glob(f"{INTENT_PREFIX}*.json")):
        try:
            intent = msgspec.json.decode(intent_path.read_bytes(), type=Intent)
        except (OSError, msgspec.DecodeError):
            intent_path.unlink()
            continue
        output = directory / intent.output
        if output.exists():
            for name in intent.inputs:
                (directory / name).unlink(missing_ok=True)
        else:
            (directory / (intent.output + INPROGRESS)).unlink(missing_ok=True)
        fsync_dir(directory)
        intent_path.unlink()
        done += 1
    return done


def compact(
    root: Path,
    min_parts: int = 2,
    dry_run: bool = False,
    progress: Callable[[Partition], None] | None = None,
) -> list[CompactResult]:
    """Merge the parts of every eligible partition with at least ``min_parts`` parts."""
    archive = Archive(root, source="parquet")
    active, running = _active_dirs(root)
    cutoff = now_ns() - ACTIVE_GRACE_S * NS_PER_S
    results = []
    for partition in archive.partitions():
        if not partition.parquet:
            continue
        directory = partition.parquet[0].path.parent
        rel = str(directory.relative_to(root)).replace(os.sep, "/")
        if rel in active or (running and partition.end_ns > cutoff):
            continue
        if not dry_run:
            finish_interrupted(directory)
        parts = sorted(p for p in directory.iterdir() if _finished(p.name))
        if len(parts) < min_parts:
            continue
        if progress is not None:
            progress(partition)
        results.append(_merge(directory, rel, partition.type_name, parts, dry_run))
    return results


def _finished(name: str) -> bool:
    parsed = parse_part(name)
    return parsed is not None and not parsed[2]


def _active_dirs(root: Path) -> tuple[set[str], bool]:
    """Partition directories a running collector may write, and whether one runs."""
    if not DirLock(root / CONTROL_DIR / "LOCK").held_by_other():
        return set(), False
    try:
        cp = ckpt.read(root / CONTROL_DIR / "checkpoint.json")
    except ckpt.CheckpointCorrupt:
        cp = None
    return ({e.path for e in cp.entries} if cp is not None else set()), True


def _merge(
    directory: Path, rel: str, type_name: str, parts: list[Path], dry_run: bool
) -> CompactResult:
    cls = TYPES_BY_NAME[type_name]
    first_lsn = parse_part(parts[0].name)[0]  # type: ignore[index]
    writer = "c" + new_writer_id()
    name = part_name(first_lsn, writer)
    bytes_in = sum(p.stat().st_size for p in parts)
    rows = sum(pq.ParquetFile(p).metadata.num_rows for p in parts)
    result = CompactResult(rel, len(parts), rows, bytes_in, 0, name)
    if dry_run:
        return result
    intent = directory / f"{INTENT_PREFIX}{writer}.json"
    atomic_write(intent, msgspec.json.encode(Intent(name, [p.name for p in parts])))
    tmp = directory / (name + INPROGRESS)
    target = schema(cls)
    out = open_part(tmp, cls, writer)
    try:
        pending: list[pa.Table] = []
        pending_rows = 0
        for part in parts:
            for batch in pq.ParquetFile(part).iter_batches(batch_size=ROW_GROUP_ROWS):
                pending.append(_widen(pa.Table.from_batches([batch]), target))
                pending_rows += batch.num_rows
                if pending_rows >= ROW_GROUP_ROWS:
                    out.write_table(pa.concat_tables(pending), row_group_size=pending_rows)
                    pending, pending_rows = [], 0
        if pending:
            out.write_table(pa.concat_tables(pending), row_group_size=pending_rows)
    finally:
        out.close()
    fd = os.open(tmp, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    final = directory / name
    os.replace(tmp, final)
    fsync_dir(directory)
    for part in parts:
        part.unlink()
    fsync_dir(directory)
    intent.unlink()
    result.bytes_out = final.stat().st_size
    log.info("compacted %d parts of %s into %s", len(parts), rel, name)
    return result


def _widen(table: pa.Table, target: pa.Schema) -> pa.Table:
    """Older parts may lack columns added since: fill them with nulls, in schema order."""
    columns = [
        table.column(f.name).cast(f.type)
        if f.name in table.column_names
        else pa.nulls(table.num_rows, f.type)
        for f in target
    ]
    return pa.Table.from_arrays(columns, schema=target)
