"""Lean exports started from the dashboard: one at a time, in a thread, each kept for download.

A job writes Lean's folder under ``<root>/_exports/<id>/`` (the archive reader skips ``_``
folders) and, when done, one ``<id>.zip`` of that folder for the browser to download (stored,
not recompressed: Lean's zips inside are deflated already). Jobs are listed for the lifetime
of the server; the files stay on disk until removed.
"""

from __future__ import annotations

import itertools
import os
import threading
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final, Literal

from mdc.domain.time import now_ns
from mdc.integrations.lean.export import ExportedFile, LeanExporter, SecurityChoice
from mdc.integrations.lean.paths import Resolution
from mdc.storage.archive import open_archive

EXPORTS_DIR: Final = "_exports"
MAX_JOBS: Final = 50
"""Jobs listed at most (oldest dropped from the list, not from disk)."""

JobState = Literal["queued", "running", "done", "failed"]


@dataclass
class ExportJob:
    id: str
    symbols: list[str]
    start: date
    end: date
    resolution: Resolution
    security_type: SecurityChoice
    market: str | None
    state: JobState = "queued"
    created_ns: int = field(default_factory=now_ns)
    finished_ns: int | None = None
    files: list[ExportedFile] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    error: str = ""
    folder: str = ""
    bundle: str = ""
    bundle_bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


class ExportJobs:
    """The exports of one archive root (a single worker: exports are I/O-bound)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._jobs: list[ExportJob] = []
        self._counter = itertools.count(1)
        self._worker = threading.Lock()

    def submit(
        self,
        symbols: list[str],
        start: date,
        end: date,
        resolution: Resolution,
        security_type: SecurityChoice = "auto",
        market: str | None = None,
    ) -> ExportJob:
        job_id = f"lean-{now_ns() // 1_000_000}-{next(self._counter)}"
        job = ExportJob(job_id, symbols, start, end, resolution, security_type, market)
        with self._lock:
            self._jobs.insert(0, job)
            del self._jobs[MAX_JOBS:]
        threading.Thread(
            target=self._run, args=(job,), name=f"export-{job_id}", daemon=True
        ).start()
        return job

    def jobs(self) -> list[ExportJob]:
        with self._lock:
            return list(self._jobs)

    def get(self, job_id: str) -> ExportJob | None:
        with self._lock:
            return next((j for j in self._jobs if j.id == job_id), None)

    def _run(self, job: ExportJob) -> None:
        with self._worker:
            job.state = "running"
            folder = self.root / EXPORTS_DIR / job.id
            try:
                archive = open_archive(self.root)
                exporter = LeanExporter(
                    archive,
                    folder,
                    job.resolution,
                    job.security_type,
                    job.market,
                    on_file=job.files.append,
                )
                result = exporter.export(job.symbols, job.start, job.end)
                job.empty, job.problems = result.empty, result.problems
                job.folder = str(folder)
                if job.files:
                    bundle = folder.with_suffix(".zip")
                    _bundle(folder, bundle)
                    job.bundle, job.bundle_bytes = str(bundle), bundle.stat().st_size
                job.state = "done"
            except Exception as exc:  # reported to the page; the server goes on
                job.state, job.error = "failed", f"{type(exc).__name__}: {exc}"
            finally:
                job.finished_ns = now_ns()


def _bundle(folder: Path, bundle: Path) -> None:
    tmp = bundle.with_name(f".{bundle.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                zf.write(path, path.relative_to(folder).as_posix())
    os.replace(tmp, bundle)
