"""Dataset jobs for the dashboard (package create/verify, re-derivation): each runs in a thread,
the route returns its id at once and the page polls it; the latest are kept in memory."""

from __future__ import annotations

import itertools
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Final, Literal

from mdc.domain.time import now_ns

MAX_JOBS: Final = 50
JobState = Literal["running", "done", "failed"]


class Job:
    def __init__(self, job_id: str, kind: str, params: dict[str, Any]) -> None:
        self.id = job_id
        self.kind = kind
        self.params = params
        self.state: JobState = "running"
        self.result: Any = None
        self.error = ""
        self.started_ns = now_ns()
        self.finished_ns: int | None = None

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "params": self.params,
            "state": self.state,
            "result": self.result,
            "error": self.error,
            "started_ns": self.started_ns,
            "finished_ns": self.finished_ns,
        }


class Jobs:
    """Start, list and read dataset jobs (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._ids = itertools.count(1)

    def start(self, kind: str, params: dict[str, Any], work: Callable[[], Any]) -> Job:
        """Run ``work`` in a thread; what it returns (plain data) is the job's result, what it
        raises its error (the message names the problem: the page shows it as is)."""
        with self._lock:
            job = Job(f"{kind}-{next(self._ids)}", kind, params)
            self._jobs[job.id] = job
            while len(self._jobs) > MAX_JOBS:
                self._jobs.popitem(last=False)

        def run() -> None:
            try:
                result = work()
            except Exception as exc:  # reported to the page; the server goes on
                with self._lock:
                    job.state, job.error = "failed", str(exc) or type(exc).__name__
                    job.finished_ns = now_ns()
                return
            with self._lock:
                job.state, job.result, job.finished_ns = "done", result, now_ns()

        threading.Thread(target=run, name=f"job-{job.id}", daemon=True).start()
        return job

    def get(self, job_id: str) -> dict[str, Any] | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return job.view() if job is not None else None

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [j.view() for j in reversed(self._jobs.values())]
