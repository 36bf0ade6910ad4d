"""Recovery step 4: cut every output back to what the checkpoint vouches for.

Replay (step 5) goes through the store's normal write path; this module only removes the
provisional tail of each output so that the replay adds exactly what is missing.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from mdc.storage.checkpoint import Checkpoint
from mdc.storage.layout import PARQUET_DIR
from mdc.storage.parquet import INPROGRESS, cut_writer

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


def cut_outputs(root: Path, cp: Checkpoint, sync: bool) -> tuple[list[Issue], int]:
    """Truncate JSONL entries to their committed length and remove what Parquet writers left
    uncommitted. Returns the issues and the number of bytes/parts cut."""
    issues: list[Issue] = []
    cut = 0
    for entry in cp.entries:
        path = root / entry.path
        if entry.kind == "jsonl":
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                size = 0
                if entry.length == 0:
                    continue
            if size < entry.length:
                issues.append(
                    Issue(
                        "archive_truncated",
                        "error",
                        f"{entry.path}: {size} bytes on disk, checkpoint committed "
                        f"{entry.length}; data was lost outside mdc",
                    )
                )
            elif size > entry.length:
                with path.open("r+b") as f:
                    f.truncate(entry.length)
                    if sync:
                        os.fsync(f.fileno())
                cut += size - entry.length
        else:
            removed = cut_writer(path, entry.writer, entry.lsn)
            cut += len(removed)
            for part in removed:
                log.info("recovery: removed uncommitted part %s", part.relative_to(root))
    return issues, cut


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
