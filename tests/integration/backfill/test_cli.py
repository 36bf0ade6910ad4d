"""``mdc backfill`` and ``mdc gaps`` as a user runs them (real processes, real store)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from tests.support.cli import run_mdc

from mdc.config.schema import StorageConfig
from mdc.storage import open_store


def mdc(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MDC_BACKFILL__PROVIDERS": '["simulated"]',
        "MDC_STORAGE__ROOT": str(root),
        "COLUMNS": "150",
    }
    return run_mdc(*args, env=env)


@pytest.mark.slow
def test_backfill_gaps_and_repair(tmp_path: Path) -> None:
    ran = mdc(tmp_path, "backfill", "-s", "AAPL", "--from", "2024-07-01", "--to", "2024-07-09",
              "-g", "1h", "--chunk-days", "3")  # fmt: skip
    assert ran.returncode == 0, ran.stderr
    assert "AAPL" in ran.stdout and "simulated" in ran.stdout
    # The simulator trades the 4th of July; the calendar does not expect it: no gaps.
    gaps = mdc(tmp_path, "gaps", "-s", "AAPL", "--from", "2024-07-01", "--to", "2024-07-09",
               "-t", "bars", "-g", "1h", "--json")  # fmt: skip
    assert gaps.returncode == 0, gaps.stderr
    assert gaps.stdout == ""

    (tmp_path / "AAPL" / "bars" / "2024-07-08.jsonl").unlink()  # lose a day
    gaps = mdc(tmp_path, "gaps", "-s", "AAPL", "--from", "2024-07-01", "--to", "2024-07-09",
               "-t", "bars", "-g", "1h", "--json")  # fmt: skip
    spans = [json.loads(line) for line in gaps.stdout.splitlines()]
    assert [(s["day"], s["reason"], s["seconds"]) for s in spans] == [
        ("2024-07-08", "no_data", 6.5 * 3600)
    ]
    table = mdc(tmp_path, "gaps", "-s", "AAPL", "--from", "2024-07-01", "--to", "2024-07-09",
                "-t", "bars", "-g", "1h")  # fmt: skip
    assert "2024-07-08 │ 09:30:00 │ 16:00:00 │   390.0 │ no_data" in table.stdout

    repair = mdc(tmp_path, "backfill", "--repair", "-s", "AAPL", "--from", "2024-07-01",
                 "--to", "2024-07-09", "-g", "1h")  # fmt: skip
    assert repair.returncode == 0, repair.stderr
    assert "repair: 1 missing spans on 1 symbol-days" in repair.stdout
    assert "job bf-" in repair.stdout and ": 1 chunks" in repair.stdout
    gaps = mdc(tmp_path, "gaps", "-s", "AAPL", "--from", "2024-07-01", "--to", "2024-07-09",
               "-t", "bars", "-g", "1h", "--json")  # fmt: skip
    assert gaps.stdout == ""
    again = mdc(tmp_path, "backfill", "--repair", "-s", "AAPL", "--from", "2024-07-01",
                "--to", "2024-07-09", "-g", "1h")  # fmt: skip
    assert again.returncode == 0 and "nothing to do" in again.stdout

    listed = mdc(tmp_path, "backfill", "--list")
    assert listed.stdout.count("done") == 2


def test_a_locked_archive_leaves_the_job_queued_for_the_collector(tmp_path: Path) -> None:
    store = open_store(StorageConfig(root=str(tmp_path)))  # as a running `mdc collect` holds it
    try:
        ran = mdc(tmp_path, "backfill", "-s", "SPY", "--from", "2024-07-01", "--to", "2024-07-02")
    finally:
        store.close()
    assert ran.returncode == 0, ran.stderr
    assert "in use by another mdc process" in ran.stdout
    (path,) = (tmp_path / "_backfill" / "jobs").glob("bf-*.json")
    job = json.loads(path.read_text())
    assert f"job {job['id']} stays queued" in ran.stdout
    assert job["state"] == "queued"
    resumed = mdc(tmp_path, "backfill", "--resume", job["id"])
    assert resumed.returncode == 0, resumed.stderr
    assert json.loads(path.read_text())["state"] == "done"


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    bad = mdc(tmp_path, "backfill", "-s", "A", "--from", "2024-07-02", "--to", "2024-07-01")
    assert (bad.returncode, bad.stderr.strip()) == (
        2,
        "error: end 2024-07-01 is before start 2024-07-02",
    )
    bad = mdc(tmp_path, "backfill", "-s", "A", "--from", "2024-07-01", "--to", "2024-07-02",
              "-p", "nope")  # fmt: skip
    assert bad.returncode == 2 and "unknown provider 'nope'" in bad.stderr
    bad = mdc(tmp_path, "backfill", "--resume", "bf-missing")
    assert (bad.returncode, bad.stderr.strip()) == (2, "error: no backfill job 'bf-missing'")
    assert not (tmp_path / "_backfill" / "jobs").exists() or not list(
        (tmp_path / "_backfill" / "jobs").glob("*.json")
    )
