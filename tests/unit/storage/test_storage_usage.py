"""The Storage page's headline figures: measured write rate, projection, lag, checkpoint age."""

from __future__ import annotations

from typing import Any

import msgspec

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.time import NS_PER_S
from mdc.storage.usage import (
    DAY_S,
    MB,
    DiskFigures,
    WriteRate,
    archive_growth_bytes,
    usage_summary,
)

T0 = 1_700_000_000 * NS_PER_S


class Clock:
    def __init__(self) -> None:
        self.t = T0

    def __call__(self) -> int:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += int(seconds * NS_PER_S)


def store_stats(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "writable": True,
        "paused": False,
        "pause_reason": None,
        "fsync_policy": "interval",
        "wal_lsn": 120,
        "acknowledged_lsn": 118,
        "checkpoint_lsn": 100,
        "wal_bytes": 4096,
        "wal_segments": 2,
        "wal_bytes_written": 10_000,
        "bytes_written": 7_000,
        "raw_bytes": 3_000,
        "last_checkpoint_ns": T0 - 3 * NS_PER_S // 2,
        "checkpoints": 9,
        "errors": 0,
        "last_error": None,
    }
    return base | over


def test_rate_is_the_growth_over_the_window_and_none_before_two_seconds() -> None:
    clock = Clock()
    rate = WriteRate(window_s=10, clock=clock)
    rate.sample(0)
    clock.advance(1)
    rate.sample(500)
    assert rate.bytes_per_s() is None  # one second is not a rate yet
    for _ in range(4):
        clock.advance(1)
        rate.sample(rate.samples[-1][1] + 1000)
    assert rate.span_s == 5.0
    assert rate.bytes_per_s() == 4500 / 5
    # Past the window, only the last 10 s count: 1000 B/s from then on.
    for _ in range(20):
        clock.advance(1)
        rate.sample(rate.samples[-1][1] + 1000)
    assert rate.span_s == 10.0
    assert rate.bytes_per_s() == 1000.0


def test_a_counter_that_goes_back_restarts_the_window() -> None:
    clock = Clock()
    rate = WriteRate(clock=clock)
    rate.sample(1_000_000)
    clock.advance(5)
    rate.sample(10)
    assert len(rate.samples) == 1
    assert rate.bytes_per_s() is None


def test_growth_counts_outputs_and_raw_and_the_wal_only_when_kept() -> None:
    stats = store_stats()
    assert archive_growth_bytes(stats, StorageConfig()) == 10_000
    kept = StorageConfig(wal=WalConfig(keep_segments=True))
    assert archive_growth_bytes(stats, kept) == 20_000


def test_summary_of_a_running_store() -> None:
    clock = Clock()
    rate = WriteRate(clock=clock)
    rate.sample(0)
    clock.advance(10)
    rate.sample(10 * 2 * MB)  # 2 MiB/s
    config = StorageConfig(min_free_mb=100, retention_max_mb=1024, checkpoint_interval_s=1.0)
    disk = DiskFigures(used_bytes=512 * MB, free_bytes=900 * MB, total_bytes=2000 * MB)
    out = usage_summary(store_stats(), disk, config, rate, T0)
    assert out["writing"] is True
    assert out["disk"] == {
        "used_bytes": 512 * MB,
        "free_bytes": 900 * MB,
        "total_bytes": 2000 * MB,
        "min_free_bytes": 100 * MB,
        "headroom_bytes": 800 * MB,
        "budget_bytes": 1024 * MB,
        "budget_used": 0.5,
    }
    assert out["write_rate_bytes_per_s"] == 2 * MB
    assert out["rate_window_s"] == 10.0
    assert out["projected_daily_bytes"] == 2 * MB * DAY_S
    assert out["pause_in_s"] == 400.0  # 800 MiB of headroom at 2 MiB/s
    assert out["budget_reached_in_s"] == 256.0  # 512 MiB left of the budget
    assert out["wal"] == {
        "lag_records": 20,
        "unsynced_records": 2,
        "bytes": 4096,
        "segments": 2,
        "fsync": "interval",
    }
    assert out["checkpoint"] == {
        "last_ns": T0 - 3 * NS_PER_S // 2,
        "age_s": 1.5,
        "interval_s": 1.0,
        "count": 9,
    }
    assert (out["errors"], out["last_error"], out["writable"], out["paused"]) == (
        0,
        None,
        True,
        False,
    )
    msgspec.json.encode(out)  # plain JSON data


def test_summary_of_a_paused_store_with_errors_and_no_checkpoint_yet() -> None:
    stats = store_stats(
        paused=True,
        pause_reason="free space 50 MB < min_free_mb 100 MB",
        errors=3,
        last_error="ENOSPC",
        last_checkpoint_ns=0,
    )
    disk = DiskFigures(used_bytes=0, free_bytes=50 * MB, total_bytes=1000 * MB)
    out = usage_summary(stats, disk, StorageConfig(), WriteRate(), T0)
    assert out["disk"]["headroom_bytes"] == 0
    assert out["disk"]["budget_bytes"] is None and out["disk"]["budget_used"] is None
    assert out["write_rate_bytes_per_s"] is None and out["projected_daily_bytes"] is None
    assert out["pause_in_s"] is None and out["budget_reached_in_s"] is None
    assert out["checkpoint"]["last_ns"] is None and out["checkpoint"]["age_s"] is None
    assert (out["errors"], out["last_error"]) == (3, "ENOSPC")
    assert out["paused"] is True
    assert out["pause_reason"] == "free space 50 MB < min_free_mb 100 MB"


def test_summary_of_an_archive_without_a_collector_has_only_disk_figures() -> None:
    disk = DiskFigures(used_bytes=10 * MB, free_bytes=500 * MB, total_bytes=1000 * MB)
    out = usage_summary(None, disk, StorageConfig(retention_days=30), None, T0)
    assert out["writing"] is False
    assert out["disk"]["used_bytes"] == 10 * MB
    assert out["write_rate_bytes_per_s"] is None and out["rate_window_s"] is None
    assert out["retention_days"] == 30
    assert "wal" not in out and "checkpoint" not in out and "errors" not in out
