"""The backfill API the dashboard calls: plain dicts in and out, errors with clear messages.

``JobError`` (a bad request: HTTP 400) and ``JobNotFound`` (HTTP 404) are the only exceptions
meant for the client; their ``str()`` is the message to show.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from mdc.backfill.failover import check_providers
from mdc.backfill.gaps import ArchiveView, GapFinder, repair_chunks
from mdc.backfill.jobs import Job, JobError, JobNotFound, chunk_days_for, parse_spec
from mdc.backfill.scheduler import BackfillScheduler

RECENT_CHUNKS: Final = 20
"""Chunks listed in ``progress`` (the most recent, plus every failed one)."""

__all__ = ["BackfillService", "JobError", "JobNotFound"]


class BackfillService:
    """Start, watch, pause and cancel jobs of a running collector's scheduler."""

    def __init__(self, scheduler: BackfillScheduler, archive: ArchiveView | None = None) -> None:
        self.scheduler = scheduler
        self.jobs = scheduler.jobs
        self.archive = archive

    def list_jobs(self) -> list[dict[str, Any]]:
        """Every job, newest first."""
        return [self._summary(job) for job in reversed(self.jobs.list())]

    def skipped(self) -> dict[str, dict[str, Any]]:
        """What could not be read, as of the latest listing and gap search: job files (with
        the reason) and archive lines (per file)."""
        corrupt = self.archive.corrupt.items() if self.archive is not None else ()
        return {
            "unreadable_job_files": {str(p): why for p, why in self.jobs.unreadable.items()},
            "corrupt_archive_lines": {str(p): n for p, n in corrupt},
        }

    def start(self, spec: dict[str, Any]) -> dict[str, Any]:
        """Validate ``spec`` (the fields of :class:`JobSpec`) and queue the job."""
        parsed = parse_spec(spec)
        check_providers(
            parsed.providers or self.scheduler.config.backfill.providers,
            self.scheduler.runner.source,
        )
        chunks = None
        if parsed.repair:
            if self.archive is None:
                raise JobError("repair needs the archive, which this service was not given")
            finder = GapFinder(self.scheduler.config, self.archive, self.jobs)
            spans = finder.find(
                parsed.symbols,
                parsed.start,
                parsed.end,
                kinds=[parsed.type],
                interval=parsed.granularity if parsed.type == "bars" else "1m",
            )
            chunks = repair_chunks(spans, chunk_days_for(parsed, self.scheduler.config.backfill))
        return self._summary(self.scheduler.submit(parsed, chunks))

    def cancel(self, job_id: str) -> dict[str, Any]:
        return self._summary(self.scheduler.cancel(job_id))

    def pause(self, job_id: str) -> dict[str, Any]:
        return self._summary(self.scheduler.pause(job_id))

    def resume(self, job_id: str) -> dict[str, Any]:
        return self._summary(self.scheduler.resume(job_id))

    def progress(self, job_id: str) -> dict[str, Any]:
        """Counters, per-symbol totals and the latest chunks (with every provider attempt)."""
        job = self.jobs.load(job_id)
        shown = [c for c in job.chunks if c.state == "failed"]
        finished = sorted(
            (c for c in job.chunks if c.state != "pending" and c not in shown),
            key=lambda c: c.finished_ns,
        )
        shown += finished[-RECENT_CHUNKS:]
        return {
            **self._summary(job),
            "symbols": job.by_symbol(),
            "chunks": [msgspec.to_builtins(c) for c in shown],
        }

    def _summary(self, job: Job) -> dict[str, Any]:
        data = job.to_dict()
        data["state"] = self.jobs.effective_state(job)
        data["running_here"] = self.scheduler.current == job.id
        return data
