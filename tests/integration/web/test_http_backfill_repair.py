"""A repair job started through the API fetches exactly the days the archive lacks."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from tests.support.collector import CollectorThread

from mdc.domain.time import ns_to_date
from mdc.storage.archive import open_archive

SPAN = {"symbols": ["AAPL"], "type": "bars", "granularity": "1h", "providers": ["simulated"]}
DAYS_STORED = ["2024-07-01", "2024-07-02", "2024-07-03", "2024-07-05", "2024-07-09"]
BARS_PER_DAY = 7  # 09:30 … 15:30, hourly


def wait_done(client: httpx.Client, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/api/backfill/jobs/{job_id}").json()
        if job["state"] in ("done", "failed", "cancelled"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish")


def rows_by_day(root: Path) -> dict[str, int]:
    events = open_archive(root).events("bars", "AAPL")
    days = [ns_to_date(e.ts_event).isoformat() for e in events]
    return {d: days.count(d) for d in sorted(set(days))}


def wait_committed(root: Path, expected: dict[str, int]) -> None:
    """Backfilled rows go through the WAL; wait until the store has written them to files."""
    deadline = time.monotonic() + 15
    while rows_by_day(root) != expected:
        assert time.monotonic() < deadline, rows_by_day(root)
        time.sleep(0.05)


def test_repair_job_through_the_api_fetches_only_missing_days(
    collector: CollectorThread, client: httpx.Client
) -> None:
    root = Path(collector.config.storage.root)
    for start, end in (("2024-07-01", "2024-07-05"), ("2024-07-09", "2024-07-09")):
        res = client.post("/api/backfill/jobs", json=SPAN | {"start": start, "end": end})
        assert res.status_code == 201, res.text
        assert wait_done(client, res.json()["id"])["state"] == "done"
    # The simulator trades the 4th of July (a holiday the calendar does not expect).
    stored = dict.fromkeys(DAYS_STORED, BARS_PER_DAY) | {"2024-07-04": BARS_PER_DAY}
    wait_committed(root, stored)

    repair = SPAN | {"start": "2024-07-01", "end": "2024-07-09", "repair": True}
    res = client.post("/api/backfill/jobs", json=repair)
    assert res.status_code == 201, res.text
    job = wait_done(client, res.json()["id"])
    assert job["state"] == "done"
    assert job["spec"]["repair"] is True
    assert [(c["start"], c["end"], c["state"]) for c in job["chunks"]] == [
        ("2024-07-08", "2024-07-08", "done")
    ]
    assert job["rows_written"] == BARS_PER_DAY
    wait_committed(root, stored | {"2024-07-08": BARS_PER_DAY})
