"""``mdc collect`` on the simulated feed, SIGKILLed at random moments and restarted, then run to
the end with ``--duration``: the archive (JSONL and Parquet alike) holds exactly the events the
WAL acknowledged — none missing, none doubled.

The side channel is the WAL itself: with ``fsync = "always"`` an append returns only once its
record is on disk, so the records are the acknowledged batches, and with ``keep_segments`` the
store moves them to ``_mdc/wal-archive`` instead of deleting them.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.support.wal_audit import acknowledged, assert_exactly_once

from mdc.providers.simulated.wire import FRAME_DECODER
from mdc.storage.raw import iter_raw, raw_paths
from mdc.storage.wal import iter_records, list_segments, scan_segment

ROUNDS = int(os.environ.get("MDC_CRASH_ROUNDS", "12"))
"""SIGKILL rounds (12 in CI); a soak run raises it: MDC_CRASH_ROUNDS=200 (docs/durability.md)."""


def collect_env(round_no: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
    env.update(
        {
            "MDC_LOG_LEVEL": "WARNING",
            "MDC_STORAGE__FORMAT": "both",
            "MDC_STORAGE__COMPRESSION": ("zstd", "none", "gzip")[round_no % 3],
            "MDC_STORAGE__CHECKPOINT_INTERVAL_S": "0.1",
            "MDC_STORAGE__MAX_OPEN_FILES": "4",
            "MDC_STORAGE__PARQUET_PART_MAX_AGE_S": "1",
            "MDC_STORAGE__MIN_FREE_MB": "0",
            "MDC_STORAGE__WAL__FSYNC": "always",
            "MDC_STORAGE__WAL__KEEP_SEGMENTS": "true",
            "MDC_STORAGE__WAL__SEGMENT_MAX_MB": "1",
            "MDC_PROVIDERS__SIMULATED__RATE": "20000",
            "MDC_PROVIDERS__SIMULATED__SEED": str(round_no),
        }
    )
    return env


def collect(root: Path, round_no: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mdc.cli",
            "collect",
            "--provider",
            "simulated",
            "--no-http",
            "--symbols",
            "AAPL,MSFT,SPY",
            "--data",
            str(root),
            *extra,
        ],
        env=collect_env(round_no),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _newest_lsn(wal_dir: Path) -> int:
    for _, path in reversed(list_segments(wal_dir)):
        try:
            records = scan_segment(path, path.read_bytes()).records
        except FileNotFoundError:  # archived meanwhile: the other folder has it
            continue
        if records:
            return records[-1].lsn
    return -1


def last_lsn(root: Path) -> int:
    """The highest WAL position on disk (live segments and archived ones); -1 before any.

    Only the newest segments with records are read, without decoding them: reading the whole
    WAL on every poll made each poll slower while the collector kept writing, so on a loaded
    machine the rounds grew the WAL to gigabytes."""
    return max(_newest_lsn(root / "_mdc/wal-archive"), _newest_lsn(root / "_mdc/wal"))


def wait_for_first_write(proc: subprocess.Popen[str], root: Path, limit_s: float = 120.0) -> None:
    """Return once this run has appended a WAL record, so each kill lands in a writing run."""
    before = last_lsn(root)
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()[1]
        if last_lsn(root) > before:
            return
        time.sleep(0.1)
    raise AssertionError(f"mdc collect wrote no WAL record in {limit_s:g}s")


@pytest.mark.slow
def test_mdc_collect_killed_at_random_moments_keeps_every_acknowledged_event_once(
    tmp_path: Path,
) -> None:
    root = tmp_path / "archive"
    rng = random.Random(7)
    wal_records = []
    for r in range(ROUNDS):
        proc = collect(root, r)
        wait_for_first_write(proc, root)  # a loaded machine may take seconds just to start
        time.sleep(rng.uniform(0.0, 2.0))
        assert proc.poll() is None, proc.communicate()[1]
        proc.kill()
        proc.wait()
        wal_records.append(sum(1 for _ in iter_records(root / "_mdc/wal")))
    finished = collect(root, ROUNDS, "--duration", "1.5")
    _, err = finished.communicate(timeout=60)
    assert finished.returncode == 0, err
    assert sum(1 for n in wal_records if n) >= ROUNDS // 2, "most kills must hit a writing run"
    expected = acknowledged(root)
    assert sum(expected["trades"].values()) > 1000
    assert sum(expected["book_deltas"].values()) > 1000
    for source in ("jsonl", "parquet"):
        assert_exactly_once(root, source)
    # Raw capture after 20 kills: every file ends in whole records, each a whole frame.
    frames = [f for p in raw_paths(root / "_raw/simulated") for _, f in iter_raw(p)]
    # A frame a run on average: how many more depends on how fast the machine runs the feed.
    assert len(frames) >= ROUNDS
    for frame in frames:
        FRAME_DECODER.decode(frame)
