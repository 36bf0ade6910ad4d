"""Background jobs for the dashboard (package create/verify, re-derivation, Lean exports): each
runs in a thread, the route returns its id at once and the page polls it; the latest are kept
in memory."""

from __future__ import annotations

import contextlib
import copy
import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Final, Generic, Literal, TypeVar

from mdc.domain.time import now_ns

MAX_JOBS: Final = 50
"""Jobs listed at most (the oldest dropped from the list; what they wrote stays on disk)."""
JobState = Literal["queued", "running", "done", "failed"]
P = TypeVar("P")
R = TypeVar("R")


class Job(Generic[P, R]):
    """One job: what it was asked (``params``), where it stands, what it produced."""

    def __init__(self, job_id: str, kind: str, params: P, result: R | None, state: JobState):
        self.id = job_id
        self.kind = kind
        self.params = params
        self.state: JobState = state
        self.result = result
        self.error = ""
        self.created_ns = now_ns()
        self.finished_ns: int | None = None


class Jobs(Generic[P, R]):
    """Start, list and read jobs (thread-safe).

    ``serial`` runs one job at a time (the others wait as ``queued``): for I/O-bound work where
    running side by side only slows each one down.
    """

    def __init__(self, *, serial: bool = False) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job[P, R]] = OrderedDict()
        self._ids = itertools.count(1)
        self._worker = threading.Lock() if serial else None

    def start(
        self, kind: str, params: P, work: Callable[[str], R], progress: R | None = None
    ) -> Job[P, R]:
        """Run ``work(job_id)`` in a thread; what it returns is the job's result, what it
        raises its error (the message names the problem: the page shows it as is).

        ``progress`` is the result while the job runs (a record ``work`` fills in as it goes,
        so the page shows it and a failed job keeps what it got to). The id carries the start
        time in ms: ids stay unique across restarts, so what a job writes under its id on disk
        (``work`` gets it for that) never meets an earlier server's.
        """
        with self._lock:
            job_id = f"{kind}-{now_ns() // 1_000_000}-{next(self._ids)}"
            state: JobState = "running" if self._worker is None else "queued"
            job = Job(job_id, kind, params, progress, state)
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)
        threading.Thread(
            target=self._run, args=(job, work), name=f"job-{job.id}", daemon=True
        ).start()
        return copy.copy(job)

    def _run(self, job: Job[P, R], work: Callable[[str], R]) -> None:
        with self._worker or contextlib.nullcontext():
            with self._lock:
                job.state = "running"
            try:
                result = work(job.id)
            except Exception as exc:  # reported to the page; the server goes on
                with self._lock:
                    job.state, job.error = "failed", str(exc) or type(exc).__name__
                    job.finished_ns = now_ns()
                return
            with self._lock:
                job.state, job.result, job.finished_ns = "done", result, now_ns()

    def get(self, job_id: str) -> Job[P, R] | None:
        """A snapshot of the job (state, result and finish time read together)."""
        with self._lock:
            job = self._jobs.get(job_id)
            return copy.copy(job) if job is not None else None

    def list(self) -> list[Job[P, R]]:
        """Snapshots of the jobs, newest first."""
        with self._lock:
            return [copy.copy(j) for j in reversed(self._jobs.values())]
