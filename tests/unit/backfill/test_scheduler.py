"""The scheduler: priority order and pre-emption, pause/cancel/resume, live-gap repairs, cron
schedules, and the service API the dashboard calls."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from tests.support.metrics import exposition, promtool_verdict, samples

from mdc.backfill.jobs import JobError, JobNotFound, JobSpec, JobStore
from mdc.backfill.scheduler import BackfillScheduler
from mdc.backfill.service import BackfillService
from mdc.config import Config, load_config
from mdc.domain.events import Event, Gap
from mdc.domain.time import datetime_to_ns
from mdc.monitoring.metrics import backfill_families


class ListWriter:
    def __init__(self) -> None:
        self.rows: list[Event] = []

    async def __call__(self, batch: list[Event]) -> None:
        self.rows.extend(batch)


class Clock:
    def __init__(self, when: datetime) -> None:
        self.now = when.timestamp()

    def __call__(self) -> float:
        return self.now


def make_config(tmp_path: Path, **env: str) -> Config:
    base = {"MDC_STORAGE__ROOT": str(tmp_path), "MDC_BACKFILL__PROVIDERS": '["simulated"]'}
    return load_config(env={**base, **env})


def spec(symbol: str, priority: int = 0, **kw: Any) -> JobSpec:
    return JobSpec(
        symbols=[symbol],
        start=date(2024, 7, 1),
        end=date(2024, 7, 3),
        granularity="1h",
        priority=priority,
        chunk_days=1,
        **kw,
    )


async def run_until_idle(scheduler: BackfillScheduler, timeout: float = 10) -> None:
    """Run the service loop until no job is runnable."""
    task = asyncio.create_task(scheduler.run())
    try:
        async with asyncio.timeout(timeout):
            while True:
                await asyncio.sleep(0.01)
                if scheduler.current is None and scheduler._next_job() is None:
                    return
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


def test_jobs_run_by_priority_then_age(tmp_path: Path) -> None:
    writer = ListWriter()
    scheduler = BackfillScheduler(make_config(tmp_path), writer)
    low = scheduler.submit(spec("LOW"))
    high = scheduler.submit(spec("HIGH", priority=5))
    mid = scheduler.submit(spec("MID", priority=1))
    asyncio.run(run_until_idle(scheduler))
    order = list(dict.fromkeys(r.symbol for r in writer.rows))
    assert order == ["HIGH", "MID", "LOW"]
    for job in (low, high, mid):
        assert scheduler.jobs.load(job.id).state == "done"
    assert len(writer.rows) == 3 * 3 * 7


def test_a_higher_priority_job_preempts_between_chunks(tmp_path: Path) -> None:
    writer = ListWriter()
    scheduler = BackfillScheduler(make_config(tmp_path), writer)
    first = scheduler.submit(spec("FIRST"))
    order: list[str] = []
    urgent: list[str] = []

    def on_chunk(job: Any, chunk: Any) -> None:
        order.append(chunk.symbol)
        if not urgent:  # after FIRST's first chunk a more urgent job arrives
            urgent.append(scheduler.submit(spec("URGENT", priority=9)).id)

    scheduler.runner.on_chunk = on_chunk
    asyncio.run(run_until_idle(scheduler))
    assert order == ["FIRST", "URGENT", "URGENT", "URGENT", "FIRST", "FIRST"]
    job = scheduler.jobs.load(first.id)
    assert job.state == "done" and job.counters()["chunks_done"] == 3


def test_pause_cancel_resume(tmp_path: Path) -> None:
    scheduler = BackfillScheduler(make_config(tmp_path), ListWriter())
    service = BackfillService(scheduler)
    a = service.start({"symbols": ["A"], "start": "2024-07-01", "end": "2024-07-02"})
    b = service.start({"symbols": ["B"], "start": "2024-07-01", "end": "2024-07-02"})
    assert service.pause(a["id"])["state"] == "paused"
    assert service.cancel(b["id"])["state"] == "cancelled"
    asyncio.run(run_until_idle(scheduler))
    assert service.progress(a["id"])["chunks_done"] == 0
    assert service.resume(a["id"])["state"] == "queued"
    assert service.resume(b["id"])["state"] == "cancelled"  # cancelled stays cancelled
    asyncio.run(run_until_idle(scheduler))
    progress = service.progress(a["id"])
    assert progress["state"] == "done"
    assert progress["rows_written"] == 2
    assert progress["symbols"]["A"]["providers"] == ["simulated"]
    assert [c["provider"] for c in progress["chunks"]] == ["simulated"]
    assert [j["id"] for j in service.list_jobs()] == [b["id"], a["id"]]


def test_cancel_reaches_a_job_running_elsewhere(tmp_path: Path) -> None:
    """A cancel for a job another runner holds is a request it honours at the next page."""
    config = make_config(tmp_path)
    scheduler = BackfillScheduler(config, ListWriter())
    job = scheduler.submit(spec("SPY"))
    seen: list[str] = []

    def on_chunk(j: Any, chunk: Any) -> None:
        seen.append(chunk.symbol)
        other = BackfillScheduler(config, ListWriter())  # e.g. the CLI or another process
        assert other.cancel(j.id).state == "running"

    scheduler.runner.on_chunk = on_chunk
    asyncio.run(run_until_idle(scheduler))
    final = scheduler.jobs.load(job.id)
    assert (final.state, seen, final.counters()["chunks_pending"]) == ("cancelled", ["SPY"], 2)
    assert scheduler.jobs.pending_request(job.id) is None


def test_service_refuses_bad_requests(tmp_path: Path) -> None:
    service = BackfillService(BackfillScheduler(make_config(tmp_path), ListWriter()))
    with pytest.raises(JobError, match=r"^end 2024-01-01 is before start 2024-02-01$"):
        service.start({"symbols": ["A"], "start": "2024-02-01", "end": "2024-01-01"})
    with pytest.raises(JobError, match="unknown provider 'nope'"):
        service.start(
            {"symbols": ["A"], "start": "2024-01-01", "end": "2024-01-02", "providers": ["nope"]}
        )
    with pytest.raises(JobError, match="repair needs the archive"):
        service.start(
            {"symbols": ["A"], "start": "2024-01-01", "end": "2024-01-02", "repair": True}
        )
    with pytest.raises(JobNotFound):
        service.progress("bf-nothing")


def test_live_gaps_become_one_repair_job_after_the_delay(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 7, 2, 15, 0, tzinfo=UTC))
    config = make_config(
        tmp_path,
        MDC_BACKFILL__AUTO_REPAIR="true",
        MDC_BACKFILL__REPAIR_DELAY_S="600",
        MDC_SYMBOLS='[{"symbol": "SPY", "quotes": false}, "QQQ"]',
    )
    writer = ListWriter()
    scheduler = BackfillScheduler(config, writer, clock=clock)

    def gap(symbol: str, a: datetime, b: datetime) -> Gap:
        return Gap(
            symbol=symbol, venue="X", provider="live", ts_event=datetime_to_ns(b),
            ts_recv=datetime_to_ns(b), from_ts=datetime_to_ns(a), to_ts=datetime_to_ns(b),
            reason="disconnect",
        )  # fmt: skip

    scheduler.on_gap(
        gap("SPY", datetime(2024, 7, 1, 19, 0, tzinfo=UTC), datetime(2024, 7, 2, 14, 0, tzinfo=UTC))
    )
    scheduler.on_gap(
        gap(
            "SPY",
            datetime(2024, 7, 2, 14, 30, tzinfo=UTC),
            datetime(2024, 7, 2, 14, 31, tzinfo=UTC),
        )
    )
    scheduler.on_gap(
        gap(
            "QQQ",
            datetime(2024, 7, 2, 14, 30, tzinfo=UTC),
            datetime(2024, 7, 2, 14, 31, tzinfo=UTC),
        )
    )
    scheduler._submit_repairs()
    assert scheduler.jobs.list() == []  # not due yet
    clock.now += 601
    scheduler._submit_repairs()
    jobs = scheduler.jobs.list()
    made = sorted(
        (j.spec.symbols[0], j.spec.type, [(c.start.day, c.end.day) for c in j.chunks]) for j in jobs
    )
    assert made == [
        ("QQQ", "quotes", [(2, 2)]),
        ("QQQ", "trades", [(2, 2)]),
        ("SPY", "trades", [(1, 1), (2, 2)]),  # SPY collects no quotes
    ]
    assert all(j.spec.repair and j.spec.priority == 10 for j in jobs)
    assert scheduler.repairs_submitted == 3 and scheduler.gaps_seen == 3
    text = exposition(backfill_families(BackfillService(scheduler)))
    got = samples(text)
    assert got[("mdc_backfill_live_gaps_total", ())] == 3
    assert got[("mdc_backfill_repairs_submitted_total", ())] == 3
    assert got[("mdc_backfill_jobs", (("state", "queued"),))] == 3
    assert promtool_verdict(text) == (0, "")

    off = BackfillScheduler(make_config(tmp_path / "off"), writer, clock=clock)
    off.on_gap(
        gap("SPY", datetime(2024, 7, 2, 14, 0, tzinfo=UTC), datetime(2024, 7, 2, 14, 1, tzinfo=UTC))
    )
    clock.now += 10_000
    off._submit_repairs()
    assert off.jobs.list() == []


def test_cron_schedule_creates_end_of_day_jobs(tmp_path: Path) -> None:
    clock = Clock(datetime(2024, 7, 8, 20, 0, tzinfo=UTC))  # Monday 16:00 New York
    config = make_config(
        tmp_path,
        MDC_SYMBOLS="SPY,AAPL",
        MDC_BACKFILL__SCHEDULES='[{"cron": "30 16 * * 1-5", "lookback_days": 3, "priority": 2}]',
    )
    scheduler = BackfillScheduler(config, ListWriter(), clock=clock)
    scheduler._fire_schedules()
    assert scheduler.jobs.list() == []
    assert scheduler._sleep_s() == 30.0  # polls the job directory meanwhile
    clock.now += 30 * 60
    scheduler._fire_schedules()
    (job,) = scheduler.jobs.list()
    assert job.spec.symbols == ["SPY", "AAPL"]
    assert (job.spec.start, job.spec.end) == (date(2024, 7, 6), date(2024, 7, 8))
    assert (job.spec.type, job.spec.granularity, job.spec.priority) == ("bars", "1d", 2)
    scheduler._fire_schedules()
    assert len(scheduler.jobs.list()) == 1  # next on Tuesday
    assert scheduler._schedules[0].next_at.isoformat() == "2024-07-09T16:30:00-04:00"


def test_interrupted_jobs_are_resumed(tmp_path: Path) -> None:
    config = make_config(tmp_path)
    jobs = JobStore(tmp_path)
    scheduler = BackfillScheduler(config, ListWriter(), jobs=jobs)
    job = scheduler.submit(spec("SPY"))
    job.state = "running"  # as a killed process leaves it
    jobs.save(job)
    assert jobs.effective_state(jobs.load(job.id)) == "interrupted"
    asyncio.run(run_until_idle(scheduler))
    assert jobs.load(job.id).state == "done"
