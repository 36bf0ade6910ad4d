"""``mdc archive verify`` for the dashboard: one run at a time, in a thread, result kept.

Verifying re-reads every file, which can take minutes on a large archive: the route starts a
run and returns at once; the page polls the state (files done of total) and shows the table when
it is done. The table is the CLI's (``storage/verify.py``), problems first.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, Final, Literal

from mdc.domain.time import now_ns
from mdc.storage.archive import open_archive
from mdc.storage.verify import FileReport, verify

MAX_REPORTS: Final = 5000
"""Rows of the result table kept; problems come first, so only clean files are left out."""
ORDER: Final = {"error": 0, "warning": 1, "ok": 2}

State = Literal["idle", "running", "done", "failed"]


class ArchiveVerifier:
    """The latest verification of one archive root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock = threading.Lock()
        self._state: State = "idle"
        self._started_ns = 0
        self._finished_ns = 0
        self._total = 0
        self._done = 0
        self._error = ""
        self._reports: list[FileReport] = []

    def start(self) -> bool:
        """Start a run (False when one is already running)."""
        with self._lock:
            if self._state == "running":
                return False
            self._state, self._error, self._reports = "running", "", []
            self._started_ns, self._finished_ns, self._total, self._done = now_ns(), 0, 0, 0
        threading.Thread(target=self._run, name="archive-verify", daemon=True).start()
        return True

    def _run(self) -> None:
        try:
            archive = open_archive(self.root)
            with self._lock:
                self._total = len(archive.files())
            reports = verify(archive, progress=self._advance)
        except Exception as exc:  # reported to the page; the server goes on
            with self._lock:
                self._state, self._error = "failed", f"{type(exc).__name__}: {exc}"
                self._finished_ns = now_ns()
            return
        reports.sort(key=lambda r: (ORDER[r.status], r.rel))
        with self._lock:
            self._state, self._reports, self._finished_ns = "done", reports, now_ns()

    def _advance(self, _: object) -> None:
        with self._lock:
            self._done += 1

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            reports = list(self._reports)
            out: dict[str, Any] = {
                "state": self._state,
                "started_ns": self._started_ns or None,
                "finished_ns": self._finished_ns or None,
                "files_total": self._total,
                "files_done": self._done,
                "error": self._error,
            }
        counts = dict.fromkeys(ORDER, 0)
        for r in reports:
            counts[r.status] += 1
        out["summary"] = counts
        out["reports"] = [r.to_dict() for r in reports[:MAX_REPORTS]]
        out["reports_truncated"] = len(reports) > MAX_REPORTS
        return out
