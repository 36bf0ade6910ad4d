"""The memory soak: the end-to-end path under continuous load, resident memory sampled.

Frames come from a :class:`~frames.FramePool` (one generated stretch replayed with shifted seq
and time), so the load is as high as the path can take rather than as high as the generator
can make it. The store is reopened in a fresh directory whenever the files pass the disk
budget, so an hour's run does not fill a shared disk; collectors and fan-out live for the whole
run. Reported: the samples and the least-squares slope of RSS over time after warm-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from frames import FramePool
from report import rate, rss_mb, table
from stages import EndToEnd

POOL_EVENTS: Final = 300_000
"""Events in the replayed stretch (per pass)."""
MAX_ROWS: Final = 24
"""Samples shown in the report (evenly picked; the slope uses all of them)."""


@dataclass
class Sample:
    seconds: float
    rss_mb: float
    events: int
    disk_mb: float


@dataclass
class SoakResult:
    mix: str
    seconds: float
    events: int
    samples: list[Sample]
    rotations: int
    store: str

    @property
    def slope_mb_per_min(self) -> float | None:
        """Least-squares RSS slope after the first sample (the warm-up)."""
        points = self.samples[1:]
        if len(points) < 3:
            return None
        n = len(points)
        mean_t = sum(p.seconds for p in points) / n
        mean_r = sum(p.rss_mb for p in points) / n
        var_t = sum((p.seconds - mean_t) ** 2 for p in points)
        cov = sum((p.seconds - mean_t) * (p.rss_mb - mean_r) for p in points)
        return cov / var_t * 60


def disk_mb(root: Path) -> float:
    total = 0
    for directory, _, files in os.walk(root):
        for name in files:
            with contextlib.suppress(FileNotFoundError):  # the store may be rotating files
                total += os.stat(os.path.join(directory, name)).st_size
    return total / 2**20


def soak(
    seconds: float,
    mix: str,
    frame_events: int,
    symbol_count: int,
    tmp_root: Path,
    disk_budget_mb: float,
    interval_s: float,
) -> SoakResult:
    pool = FramePool(mix, POOL_EVENTS, frame_events, symbol_count)

    async def main() -> SoakResult:
        store_dir = tmp_root / "store-0"
        path = EndToEnd(store_dir)
        rotations = 0
        start = time.perf_counter()
        samples = [Sample(0.0, rss_mb(), 0, 0.0)]
        next_sample = start + interval_s
        for frame in pool:
            await path.process(frame)
            now = time.perf_counter()
            if now >= next_sample:
                next_sample += interval_s
                used = disk_mb(tmp_root)
                samples.append(Sample(now - start, rss_mb(), path.events, used))
                print(
                    f"  soak {now - start:7.0f} s  rss {samples[-1].rss_mb:8.1f} MB  "
                    f"{path.events:>13,} events  disk {used:8.0f} MB",
                    flush=True,
                )
                if used > disk_budget_mb:
                    rotations += 1
                    old, store_dir = store_dir, tmp_root / f"store-{rotations}"
                    path.reopen_store(store_dir)
                    shutil.rmtree(old, ignore_errors=True)
            if now - start >= seconds:
                break
        elapsed = time.perf_counter() - start
        await path.close()
        return SoakResult(mix, elapsed, path.events, samples, rotations, path.store_name)

    return asyncio.run(main())


def render(result: SoakResult, machine: str, interval_s: float, disk_budget_mb: float) -> str:
    samples = result.samples
    step = max(1, -(-len(samples) // MAX_ROWS))
    shown = samples[::step]
    if shown[-1] is not samples[-1]:
        shown.append(samples[-1])
    rows = [
        [f"{s.seconds:,.0f}", f"{s.rss_mb:,.1f}", f"{s.events:,}", f"{s.disk_mb:,.0f}"]
        for s in shown
    ]
    slope = result.slope_mb_per_min
    slope_text = (
        "n/a (fewer than 4 samples: run longer than 4 sample intervals)"
        if slope is None
        else f"{slope:+.3f} MB/min ({slope * 60:+.1f} MB/h)"
    )
    after_warmup = samples[1].rss_mb if len(samples) > 1 else samples[0].rss_mb
    return (
        "## Memory soak (end to end)\n\n"
        f"{machine}\n\n"
        f"- Mix `{result.mix}` for {result.seconds:,.0f} s: {result.events:,} events "
        f"({rate(result.events / result.seconds)} events/s sustained), store: {result.store}, "
        f"reopened {result.rotations}× at the {disk_budget_mb:,.0f} MB disk budget.\n"
        f"- RSS sampled every {interval_s:g} s: {after_warmup:,.1f} MB after warm-up → "
        f"{samples[-1].rss_mb:,.1f} MB at the end; slope after warm-up: **{slope_text}**.\n\n"
        + table(["t (s)", "RSS (MB)", "events", "disk (MB)"], rows)
    )
