"""Lean exports started from the dashboard: jobs of a serial runner (exports are I/O-bound),
each kept for download.

A job writes Lean's folder under ``<root>/_exports/<id>/`` (the archive reader skips ``_``
folders) and, when done, one ``<id>.zip`` of that folder for the browser to download (stored,
not recompressed: Lean's zips inside are deflated already). The files stay on disk until
removed.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Final

from mdc.integrations.lean.export import ExportedFile, LeanExporter, SecurityChoice
from mdc.integrations.lean.paths import Resolution
from mdc.storage.archive import open_archive
from mdc.web.jobs import Job, Jobs

EXPORTS_DIR: Final = "_exports"


@dataclass(frozen=True)
class ExportSpec:
    """What to export."""

    symbols: list[str]
    start: date
    end: date
    resolution: Resolution
    security_type: SecurityChoice = "auto"
    market: str | None = None


@dataclass
class ExportOutput:
    """What an export wrote so far (files appear as they are written)."""

    files: list[ExportedFile] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    folder: str = ""
    bundle: str = ""
    bundle_bytes: int = 0

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)


ExportJob = Job[ExportSpec, ExportOutput]
ExportJobs = Jobs[ExportSpec, ExportOutput]


def new_export_jobs() -> ExportJobs:
    return Jobs(serial=True)


def start_export(jobs: ExportJobs, root: Path, spec: ExportSpec) -> ExportJob:
    """Queue the export of ``spec`` from the archive at ``root``; the job's id names its folder."""
    output = ExportOutput()

    def work(job_id: str) -> ExportOutput:
        folder = root / EXPORTS_DIR / job_id
        exporter = LeanExporter(
            open_archive(root),
            folder,
            spec.resolution,
            spec.security_type,
            spec.market,
            on_file=output.files.append,
        )
        result = exporter.export(spec.symbols, spec.start, spec.end)
        output.empty, output.problems = result.empty, result.problems
        output.folder = str(folder)
        if output.files:
            bundle = folder.with_suffix(".zip")
            _bundle(folder, bundle)
            output.bundle, output.bundle_bytes = str(bundle), bundle.stat().st_size
        return output

    return jobs.start("lean", spec, work, progress=output)


def _bundle(folder: Path, bundle: Path) -> None:
    tmp = bundle.with_name(f".{bundle.name}.tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                zf.write(path, path.relative_to(folder).as_posix())
    os.replace(tmp, bundle)
