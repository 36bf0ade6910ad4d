"""Runs queued backfill jobs inside ``mdc collect``: by priority, on schedules, and for live gaps.

One job runs at a time (providers' rate limits are the bottleneck, not the CPU); the highest
priority queued job goes first, oldest first among equals, and a job pre-empts a running one of
lower priority at the next chunk boundary (the pre-empted job goes back to the queue and resumes
where it stopped). Jobs found ``running`` without a live owner (the process was killed) are
resumed. Cron schedules from ``backfill.schedules`` create jobs when they fire. Live ``Gap``
events (``on_gap``) become repair jobs after ``repair_delay_s`` when ``backfill.auto_repair`` is
on; gaps of one symbol and kind that arrive before the repair is due share one job.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final
from zoneinfo import ZoneInfo

from mdc.backfill.failover import REGISTRY, ProviderSource
from mdc.backfill.jobs import (
    FINISHED,
    Chunk,
    Job,
    JobBusy,
    JobSpec,
    JobStore,
    chunk_days_for,
    plan_chunks,
    plan_days,
)
from mdc.backfill.runner import JobRunner, Writer
from mdc.config.schema import Config, ScheduleConfig
from mdc.domain.cron import Cron, parse_cron
from mdc.domain.events import Gap
from mdc.domain.time import ns_to_date

log = logging.getLogger(__name__)

POLL_S: Final = 30.0
"""Longest sleep between looks at the job directory (jobs created by other processes)."""
MAX_REPAIR_DAYS: Final = 31
"""A live gap longer than this is repaired over its last this-many days only."""


@dataclass
class _Schedule:
    config: ScheduleConfig
    cron: Cron
    zone: ZoneInfo
    next_at: datetime


@dataclass
class _PendingRepair:
    due: float
    days: set[date] = field(default_factory=set)


class BackfillScheduler:
    """The backfill service of a running collector (``runtime.add_service("backfill", s.run)``)."""

    def __init__(
        self,
        config: Config,
        writer: Writer,
        jobs: JobStore | None = None,
        symbols: Callable[[], list[str]] | None = None,
        source: ProviderSource = REGISTRY,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.config = config
        self.jobs = jobs if jobs is not None else JobStore(config.storage.root)
        self.runner = JobRunner(config, self.jobs, writer, source)
        self.symbols = symbols if symbols is not None else _configured(config)
        self.clock = clock
        self.current: str | None = None
        """Id of the job running now."""
        self.gaps_seen = 0
        self.repairs_submitted = 0
        self._wake = asyncio.Event()
        self._repairs: dict[tuple[str, str], _PendingRepair] = {}
        self._schedules = self._plan_schedules(config)

    def reconfigure(self, config: Config) -> None:
        """A reloaded config (``Runtime.config_listeners``): its ``backfill`` settings and cron
        schedules apply from now on; queued and running jobs keep their own specs."""
        self.config = config
        self.runner.config = config
        self._schedules = self._plan_schedules(config)
        self._wake.set()

    def _plan_schedules(self, config: Config) -> list[_Schedule]:
        now = datetime.fromtimestamp(self.clock(), tz=UTC)
        return [
            _Schedule(s, cron, ZoneInfo(s.timezone), cron.next_after(now, ZoneInfo(s.timezone)))
            for s in config.backfill.schedules
            for cron in [parse_cron(s.cron)]
        ]

    # -- what the API and the runtime call ---------------------------------------------------
    def submit(self, spec: JobSpec, chunks: list[Chunk] | None = None) -> Job:
        """Queue a job (chunks planned from the spec unless given) and wake the loop."""
        if chunks is None:
            chunks = plan_chunks(spec, chunk_days_for(spec, self.config.backfill))
        job = self.jobs.create(spec, chunks)
        self._wake.set()
        return job

    def on_gap(self, gap: Gap) -> None:
        """A live ``Gap``: schedule a repair of its days (if ``backfill.auto_repair``)."""
        self.gaps_seen += 1
        if not self.config.backfill.auto_repair or gap.to_ts < gap.from_ts:
            return
        first, last = ns_to_date(gap.from_ts), ns_to_date(gap.to_ts)
        first = max(first, last - timedelta(days=MAX_REPAIR_DAYS - 1))
        wanted = self._repair_kinds(gap.symbol)
        due = self.clock() + self.config.backfill.repair_delay_s
        for kind in wanted:
            pending = self._repairs.setdefault((gap.symbol, kind), _PendingRepair(due=due))
            day = first
            while day <= last:
                pending.days.add(day)
                day += timedelta(days=1)
        self._wake.set()

    def pause(self, job_id: str) -> Job:
        return self._control(job_id, "pause")

    def cancel(self, job_id: str) -> Job:
        return self._control(job_id, "cancel")

    def resume(self, job_id: str) -> Job:
        """Queue a paused, failed or interrupted job again (failed chunks are retried)."""
        with self.jobs.lock(job_id):
            job = self.jobs.load(job_id)
            if job.state in ("done", "cancelled"):
                return job
            for chunk in job.chunks:
                if chunk.state == "failed":
                    chunk.state, chunk.reason = "pending", ""
            job.state = "queued"
            self.jobs.save(job)
        self._wake.set()
        return job

    # -- the service loop -------------------------------------------------------------------
    async def run(self) -> None:
        """Run jobs until cancelled (by the collector's shutdown)."""
        busy: set[str] = set()
        while True:
            self._fire_schedules()
            self._submit_repairs()
            job = self._next_job(exclude=busy)
            if job is None:
                busy.clear()
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self._sleep_s())
                continue
            self.current = job.id
            try:
                await self.runner.run(
                    job.id,
                    should_yield=functools.partial(self._outranked, job.spec.priority),
                    interrupt_state="queued",
                )
            except JobBusy:
                busy.add(job.id)  # run by another process; look again after the next sleep
            except Exception:
                log.exception("backfill job %s", job.id)
                busy.add(job.id)
            finally:
                self.current = None

    def _next_job(self, exclude: Collection[str] = ()) -> Job | None:
        runnable = [
            job for job in self.jobs.list() if job.id not in exclude and self._runnable(job)
        ]
        if not runnable:
            return None
        return min(runnable, key=lambda j: (-j.spec.priority, j.created_ns, j.id))

    def _runnable(self, job: Job) -> bool:
        state = self.jobs.effective_state(job)
        return state in ("queued", "interrupted")

    def _outranked(self, priority: int) -> bool:
        return any(
            job.spec.priority > priority and self._runnable(job)
            for job in self.jobs.list()
            if job.id != self.current
        )

    def _control(self, job_id: str, action: str) -> Job:
        try:
            with self.jobs.lock(job_id):
                job = self.jobs.load(job_id)
                if job.state not in FINISHED:
                    job.state = "cancelled" if action == "cancel" else "paused"
                    self.jobs.save(job)
                return job
        except JobBusy:
            self.jobs.request(job_id, "cancel" if action == "cancel" else "pause")
            return self.jobs.load(job_id)

    def _fire_schedules(self) -> None:
        now = datetime.fromtimestamp(self.clock(), tz=UTC)
        for schedule in self._schedules:
            if schedule.next_at > now:
                continue
            s = schedule.config
            today = now.astimezone(schedule.zone).date()
            symbols = s.symbols or self.symbols()
            if symbols:
                spec = JobSpec(
                    symbols=list(dict.fromkeys(symbols)),
                    start=today - timedelta(days=s.lookback_days - 1),
                    end=today,
                    type=s.type,
                    granularity=s.granularity,
                    priority=s.priority,
                )
                job = self.submit(spec)
                log.info("schedule %r: job %s", s.cron, job.id)
            schedule.next_at = schedule.cron.next_after(now, schedule.zone)

    def _submit_repairs(self) -> None:
        now = self.clock()
        for key, pending in list(self._repairs.items()):
            if pending.due > now:
                continue
            del self._repairs[key]
            symbol, kind = key
            days = sorted(pending.days)
            spec = JobSpec(
                symbols=[symbol],
                start=days[0],
                end=days[-1],
                type=kind,  # type: ignore[arg-type]
                granularity="tick",
                priority=self.config.backfill.repair_priority,
                repair=True,
            )
            chunks = plan_days(symbol, days, chunk_days_for(spec, self.config.backfill))
            job = self.submit(spec, chunks)
            self.repairs_submitted += 1
            log.info("repair of %s %s %s..%s: job %s", symbol, kind, days[0], days[-1], job.id)

    def _sleep_s(self) -> float:
        now = self.clock()
        due = [p.due - now for p in self._repairs.values()]
        due += [s.next_at.timestamp() - now for s in self._schedules]
        return max(0.0, min([POLL_S, *due]))

    def _repair_kinds(self, symbol: str) -> list[str]:
        kinds: list[str] = list(self.config.backfill.repair_types)
        for s in self.config.symbol_configs():
            if s.symbol == symbol:
                kinds = [k for k in kinds if (s.trades if k == "trades" else s.quotes)]
        return kinds


def _configured(config: Config) -> Callable[[], list[str]]:
    return lambda: [s.symbol for s in config.symbol_configs()]
