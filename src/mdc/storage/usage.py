"""What an operator asks of the archive's disk: how full, how fast it grows, how far behind.

The store's :meth:`~mdc.storage.store.Store.stats` holds ~40 plain counters for metrics and
debugging; :func:`usage_summary` turns them into the few figures the dashboard's Storage page
and ``GET /api/storage/stats`` lead with. The write rate is measured, not guessed:
:class:`WriteRate` keeps samples of the bytes the archive has grown by (output files, raw
capture, kept WAL segments) over a sliding window, with an injected clock so tests control time.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from mdc.config.schema import StorageConfig
from mdc.domain.time import NS_PER_S, now_ns

MB: Final = 1024 * 1024
DAY_S: Final = 86_400
RATE_WINDOW_S: Final = 300.0
"""The write rate is the growth over (at most) the last five minutes: long enough to smooth
the checkpoint-paced bursts of JSONL and the part-sized steps of Parquet, short enough to
follow a change of symbols."""
MIN_RATE_SPAN_S: Final = 2.0
"""No rate until the samples span this long (a single checkpoint is not a rate)."""


def archive_growth_bytes(stats: Mapping[str, Any], config: StorageConfig) -> int:
    """Bytes the store has added to the disk for good since it started: output files and raw
    capture, plus the WAL when its segments are kept (otherwise they are deleted behind the
    checkpoint and do not accumulate)."""
    grown = int(stats.get("bytes_written", 0)) + int(stats.get("raw_bytes", 0))
    if config.wal.keep_segments:
        grown += int(stats.get("wal_bytes_written", 0))
    return grown


@dataclass
class WriteRate:
    """Archive growth in bytes per second over a sliding window of samples."""

    window_s: float = RATE_WINDOW_S
    clock: Callable[[], int] = now_ns
    samples: deque[tuple[int, int]] = field(default_factory=deque, init=False)
    """(clock ns, growth bytes), oldest first."""

    def sample(self, grown_bytes: int) -> None:
        """Record the growth counter now (call about once a second). A counter that went
        backwards (the store restarted) starts the window afresh."""
        now = self.clock()
        samples = self.samples
        if samples and grown_bytes < samples[-1][1]:
            samples.clear()
        samples.append((now, grown_bytes))
        horizon = now - int(self.window_s * NS_PER_S)
        while len(samples) > 2 and samples[1][0] <= horizon:
            samples.popleft()

    @property
    def span_s(self) -> float:
        """Seconds between the oldest and the newest sample."""
        samples = self.samples
        return (samples[-1][0] - samples[0][0]) / NS_PER_S if len(samples) > 1 else 0.0

    def bytes_per_s(self) -> float | None:
        """The measured rate, or None while the samples span less than ``MIN_RATE_SPAN_S``."""
        span = self.span_s
        if span < MIN_RATE_SPAN_S:
            return None
        return (self.samples[-1][1] - self.samples[0][1]) / span


@dataclass(frozen=True)
class DiskFigures:
    """The archive's size and its filesystem's free and total space."""

    used_bytes: int
    free_bytes: int
    total_bytes: int


def usage_summary(
    stats: Mapping[str, Any] | None,
    disk: DiskFigures,
    config: StorageConfig,
    rate: WriteRate | None,
    now: int,
) -> dict[str, Any]:
    """The Storage page's headline figures. ``stats`` and ``rate`` are None when no collector
    writes (``mdc serve``): then only the disk figures and the budget are known."""
    min_free = config.min_free_mb * MB
    budget = config.retention_max_mb * MB or None
    bytes_per_s = rate.bytes_per_s() if rate is not None else None
    daily = round(bytes_per_s * DAY_S) if bytes_per_s is not None else None
    headroom = max(0, disk.free_bytes - min_free)
    out: dict[str, Any] = {
        "writing": stats is not None,
        "disk": {
            "used_bytes": disk.used_bytes,
            "free_bytes": disk.free_bytes,
            "total_bytes": disk.total_bytes,
            "min_free_bytes": min_free,
            "headroom_bytes": headroom,
            "budget_bytes": budget,
            "budget_used": round(disk.used_bytes / budget, 4) if budget else None,
        },
        "write_rate_bytes_per_s": round(bytes_per_s, 1) if bytes_per_s is not None else None,
        "rate_window_s": round(rate.span_s, 1) if rate is not None else None,
        "projected_daily_bytes": daily,
        "pause_in_s": _time_to(headroom, bytes_per_s),
        "budget_reached_in_s": _time_to(budget - disk.used_bytes, bytes_per_s) if budget else None,
        "retention_days": config.retention_days or None,
    }
    if stats is None:
        return out
    last_cp = int(stats.get("last_checkpoint_ns") or 0)
    out.update(
        wal={
            "lag_records": max(0, int(stats["wal_lsn"]) - int(stats["checkpoint_lsn"])),
            "unsynced_records": max(0, int(stats["wal_lsn"]) - int(stats["acknowledged_lsn"])),
            "bytes": int(stats["wal_bytes"]),
            "segments": int(stats["wal_segments"]),
            "fsync": stats["fsync_policy"],
        },
        checkpoint={
            "last_ns": last_cp or None,
            "age_s": round((now - last_cp) / NS_PER_S, 3) if last_cp else None,
            "interval_s": config.checkpoint_interval_s,
            "count": int(stats["checkpoints"]),
        },
        errors=int(stats["errors"]),
        last_error=stats.get("last_error") or None,
        writable=bool(stats["writable"]),
        paused=bool(stats["paused"]),
        pause_reason=stats.get("pause_reason") or None,
    )
    return out


def _time_to(remaining: int, bytes_per_s: float | None) -> float | None:
    """Seconds until ``remaining`` bytes are written at the measured rate (None: not growing)."""
    if bytes_per_s is None or bytes_per_s <= 0:
        return None
    return round(max(0, remaining) / bytes_per_s, 1)
