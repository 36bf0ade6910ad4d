"""A real ``mdc backfill`` process is SIGKILLed mid-job and rerun: the archive it leaves equals,
row for row, the archive of a run that was never interrupted."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ARGS = [
    "backfill",
    "--symbols",
    "AAPL,MSFT,SPY",
    "--from",
    "2024-07-01",
    "--to",
    "2024-07-12",
    "--type",
    "trades",
]


def mdc(root: Path, *args: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "MDC_BACKFILL__PROVIDERS": '["simulated"]',
        "MDC_STORAGE__ROOT": str(root),
        "COLUMNS": "120",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def job_file(root: Path) -> Path | None:
    files = list((root / "_backfill" / "jobs").glob("bf-*.json"))
    return files[0] if files else None


def chunks_done(path: Path) -> int:
    try:
        job = json.loads(path.read_text())
    except (OSError, ValueError):
        return 0
    return sum(1 for c in job["chunks"] if c["state"] != "pending")


def archive_rows(root: Path) -> list[dict[str, Any]]:
    rows = []
    for path in sorted(root.glob("*/trades/*.jsonl")):
        rows += [json.loads(line) for line in path.read_text().splitlines()]
    return sorted(rows, key=lambda r: (r["symbol"], r["ts_event"], r["trade_id"]))


@pytest.mark.slow
def test_killed_backfill_resumes_to_the_same_archive(tmp_path: Path) -> None:
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    done = mdc(clean, *ARGS)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 0, err

    victim = mdc(killed, *ARGS)
    deadline = time.monotonic() + 60
    while (path := job_file(killed)) is None or chunks_done(path) < 5:
        assert victim.poll() is None, "the job finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    job = json.loads(path.read_text())
    assert job["state"] == "running"
    interrupted_at = chunks_done(path)
    assert 5 <= interrupted_at < len(job["chunks"])

    rerun = mdc(killed, *ARGS)  # the same command resumes the interrupted job
    out, err = rerun.communicate(timeout=120)
    assert rerun.returncode == 0, err
    assert f"resuming unfinished job {job['id']}" in out
    final = json.loads(path.read_text())
    assert final["state"] == "done"
    assert [c["state"] for c in final["chunks"]].count("pending") == 0
    assert len(list((killed / "_backfill" / "jobs").glob("bf-*.json"))) == 1

    expected, got = archive_rows(clean), archive_rows(killed)
    assert len(expected) > 10_000
    assert got == expected
