"""Retention: delete whole time partitions by age and by total size, oldest first.

The scan (walking a possibly large tree) runs on a worker thread and only *reads*; deletion
happens on the store's thread, which knows which outputs are open or still named by the
checkpoint, so a file can never be deleted while it is being written. Partitions labelled
``all`` (``partition = "none"``) have no age and are never deleted.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mdc.domain.time import NS_PER_DAY, now_ns
from mdc.storage.layout import (
    ALL,
    BAD_DIR,
    CONTROL_DIR,
    PARQUET_DIR,
    RAW_DIR,
    Layout,
    label_range,
)
from mdc.storage.parquet import parse_part

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Unit:
    """What retention deletes at once: a JSONL file, a Parquet partition directory, or a day of
    raw capture / bad frames."""

    path: Path
    start_ns: int
    end_ns: int
    size: int


@dataclass
class RetentionReport:
    files: int = 0
    bytes: int = 0
    deleted: list[str] = field(default_factory=list)

    def add(self, other: RetentionReport) -> None:
        self.files += other.files
        self.bytes += other.bytes
        self.deleted = (self.deleted + other.deleted)[-100:]


def scan_units(root: Path, layout: Layout) -> list[Unit]:
    """Every deletable unit of the archive (read-only; safe on a worker thread)."""
    units: list[Unit] = []
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        top = rel_dir.split(os.sep, 1)[0]
        if top == CONTROL_DIR:
            dirnames.clear()
            continue
        if top == PARQUET_DIR:
            info = layout.parse_parquet_dir(rel_dir.replace(os.sep, "/"))
            if info is not None:
                parts = [f for f in filenames if parse_part(f) is not None]
                size = sum(_size(Path(dirpath, f)) for f in parts)
                if parts and info.partition != ALL:
                    start, end = label_range(info.partition)
                    units.append(Unit(Path(dirpath), start, end, size))
                dirnames.clear()
            continue
        for name in filenames:
            path = Path(dirpath, name)
            label = (
                _raw_label(name)
                if top in (RAW_DIR, BAD_DIR)
                else _jsonl_label(layout, os.path.relpath(path, root).replace(os.sep, "/"))
            )
            if label is None or label == ALL:
                continue
            start, end = label_range(label)
            units.append(Unit(path, start, end, _size(path)))
    return units


def _jsonl_label(layout: Layout, rel: str) -> str | None:
    info = layout.parse_jsonl(rel)
    return None if info is None else info.partition


def _raw_label(name: str) -> str | None:
    label = name.split(".", 1)[0]
    try:
        label_range(label)
    except ValueError:
        return None
    return label


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def plan(units: list[Unit], days: int, max_bytes: int, now_ns: int) -> list[Unit]:
    """Units to delete: whole time partitions (every symbol and type of a day, say), those
    older than ``days`` first, then the oldest until the archive is under ``max_bytes``.
    Partitions that have not ended are never chosen."""
    groups: dict[tuple[int, int], list[Unit]] = {}
    for u in units:
        if u.end_ns <= now_ns:
            groups.setdefault((u.start_ns, u.end_ns), []).append(u)
    oldest_first = sorted(groups)
    chosen: list[tuple[int, int]] = []
    if days:
        cutoff = now_ns - days * NS_PER_DAY
        chosen = [span for span in oldest_first if span[1] <= cutoff]
    if max_bytes:
        total = sum(u.size for u in units) - sum(u.size for span in chosen for u in groups[span])
        for span in oldest_first:
            if total <= max_bytes:
                break
            if span not in chosen:
                chosen.append(span)
                total -= sum(u.size for u in groups[span])
    return [u for span in chosen for u in sorted(groups[span], key=lambda u: u.path)]


def delete(units: list[Unit], root: Path, protected: Callable[[Path], bool]) -> RetentionReport:
    """Delete the units that are not protected; empty parent directories go too."""
    report = RetentionReport()
    for unit in units:
        if protected(unit.path):
            continue
        try:
            if unit.path.is_dir():
                files = sum(1 for p in unit.path.iterdir() if p.is_file())
                shutil.rmtree(unit.path)
            else:
                files = 1
                unit.path.unlink()
        except FileNotFoundError:
            continue
        report.files += files
        report.bytes += unit.size
        report.deleted.append(str(unit.path.relative_to(root)))
        _remove_empty_parents(unit.path.parent, root)
        log.info("retention: deleted %s (%d bytes)", unit.path.relative_to(root), unit.size)
    return report


def _remove_empty_parents(directory: Path, root: Path) -> None:
    while directory != root and root in directory.parents:
        try:
            directory.rmdir()
        except OSError:
            return
        directory = directory.parent


class RetentionTask:
    """Retention for a running store: scans on a worker thread, deletes on the caller's.

    ``protected`` says which paths the store holds open or still names in its checkpoint.
    """

    def __init__(
        self,
        root: Path,
        layout: Layout,
        days: int,
        max_bytes: int,
        protected: Callable[[Path], bool],
    ) -> None:
        self.root = root
        self.layout = layout
        self.days = days
        self.max_bytes = max_bytes
        self.protected = protected
        self.report = RetentionReport()
        self.errors = 0
        self.last_error = ""
        self.job: Future[list[Unit]] | None = None
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="retention")

    def start(self) -> None:
        """Start a scan unless retention is off or one is running."""
        if not (self.days or self.max_bytes) or self.job is not None:
            return
        self.job = self._pool.submit(scan_units, self.root, self.layout)

    def collect(self) -> None:
        """Delete what a finished scan chose (no-op while it runs)."""
        job = self.job
        if job is None or not job.done():
            return
        self.job = None
        try:
            units = job.result()
        except OSError as exc:
            self.errors += 1
            self.last_error = f"retention scan failed: {exc.strerror or exc}"
            log.error("%s", self.last_error)
            return
        chosen = plan(units, self.days, self.max_bytes, now_ns())
        if chosen:
            self.report.add(delete(chosen, self.root, self.protected))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
