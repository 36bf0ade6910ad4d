"""Run one job: chunk after chunk through the failover chain into the archive, checkpointing.

A chunk's rows are written only once a provider has delivered all of it (see ``spool.py``); the
job file is saved after the chunk's rows were handed to the store, so after a kill the chunk is
either done (its rows acknowledged) or still pending (fetched again; the store's dedup on
natural keys drops what was already there). Between pages and chunks the runner honours pause
and cancel requests and, for the scheduler, yields to a queued job of higher priority.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Final

from mdc.backfill.failover import (
    REGISTRY,
    ChunkInterrupted,
    ChunkRequest,
    FailoverChain,
    ProviderSource,
    check_providers,
    redact,
)
from mdc.backfill.jobs import Chunk, Job, JobError, JobState, JobStore
from mdc.backfill.spool import ChunkSpool
from mdc.backfill.usage import RestUsage
from mdc.config.schema import Config
from mdc.domain.calendar import CalendarError, session_days, sessions
from mdc.domain.events import Event
from mdc.domain.time import now_ns
from mdc.providers.ratelimit import RateLimiter
from mdc.storage.base import EventStore
from mdc.storage.store import StoragePaused

log = logging.getLogger(__name__)

SPOOL_DIR: Final = ("_backfill", "spool")

Writer = Callable[[list[Event]], Awaitable[None]]
"""Where finished chunks go: the store's ``append`` (CLI) or the running collector's."""
ChunkHook = Callable[[Job, Chunk], None]


def store_writer(store: EventStore) -> Writer:
    """A :data:`Writer` over the store, used from the event loop's thread.

    Appends are flagged ``dedup``: a chunk fetched again (a resumed or repeated job, a repair
    of what live collection partly caught) leaves one copy of each row. When the store pauses
    (disk full) the writer waits for it and writes the rest of the page.
    """

    async def write(batch: list[Event]) -> None:
        while batch:
            try:
                store.append(batch, dedup=True)
            except StoragePaused as exc:
                log.warning("backfill waits for the store: %s", exc.reason)
                batch = batch[exc.acknowledged :]
                await store.wait_writable()
                continue
            break
        await asyncio.sleep(0)  # inside ``mdc collect``, let the live pipeline run between pages

    return write


def _never() -> bool:
    return False


def _ignore(job: Job, chunk: Chunk) -> None:
    return None


class JobRunner:
    """Executes jobs of one :class:`JobStore`; one instance can run many jobs in turn."""

    def __init__(
        self,
        config: Config,
        jobs: JobStore,
        writer: Writer,
        source: ProviderSource = REGISTRY,
        on_chunk: ChunkHook = _ignore,
        on_chunk_start: ChunkHook = _ignore,
        limiter: RateLimiter | None = None,
    ) -> None:
        self.config = config
        self.limiter = limiter if limiter is not None else RateLimiter()
        """One for every job this runner runs: a plan's published limits hold across jobs."""
        self.usage = RestUsage()
        """REST client counters of every job this runner ran (for ``/metrics``)."""
        self.jobs = jobs
        self.writer = writer
        self.source = source
        self.on_chunk = on_chunk
        self.on_chunk_start = on_chunk_start
        self.spool_dir = Path(config.storage.root).joinpath(*SPOOL_DIR)

    async def run(
        self,
        job_id: str,
        should_yield: Callable[[], bool] = _never,
        interrupt_state: JobState = "paused",
    ) -> Job:
        """Run ``job_id`` until done, failed, paused, cancelled or pre-empted; return its state.

        ``interrupt_state`` is what a cancelled task (Ctrl+C, shutdown) leaves the job in:
        ``paused`` for the CLI (resume is explicit), ``queued`` for the collector's scheduler.
        Raises :class:`JobBusy` if another process runs the job.
        """
        with self.jobs.lock(job_id):
            job = self.jobs.load(job_id)
            if job.state in ("done", "cancelled"):
                return job
            names = job.spec.providers or self.config.backfill.providers
            try:
                check_providers(names, self.source)
                self._check_calendars(job)
            except (JobError, CalendarError) as exc:
                job.state, job.error = "failed", str(exc)
                self.jobs.save(job)
                return job
            chain = FailoverChain(
                self.config, names, self.source, limiter=self.limiter, usage=self.usage
            )
            job.state, job.error = "running", ""
            job.started_ns = job.started_ns or now_ns()
            self.jobs.save(job)
            self._clear_spools(job)
            started = time.monotonic()
            try:
                await self._chunks(job, chain, should_yield)
            except asyncio.CancelledError:
                job.state = interrupt_state
                raise
            except ChunkInterrupted:
                self._apply_request(job)
            except Exception as exc:  # a store failure (disk full …): stop, keep the state
                job.state, job.error = "failed", redact(f"{type(exc).__name__}: {exc}")
                log.exception("backfill job %s stopped", job.id)
            finally:
                job.elapsed_s += time.monotonic() - started
                if job.state in ("done", "failed", "cancelled"):
                    job.finished_ns = now_ns()
                self.jobs.save(job)
                await chain.aclose()
            return job

    async def _chunks(
        self, job: Job, chain: FailoverChain, should_yield: Callable[[], bool]
    ) -> None:
        for index, chunk in enumerate(job.chunks):
            if chunk.state != "pending":
                continue
            if self.jobs.pending_request(job.id) is not None:
                self._apply_request(job)
                return
            if should_yield():
                job.state = "queued"
                return
            self.on_chunk_start(job, chunk)
            await self._chunk(job, index, chunk, chain)
            self.jobs.save(job)
            self.on_chunk(job, chunk)
        job.state = "failed" if any(c.state == "failed" for c in job.chunks) else "done"

    async def _chunk(self, job: Job, index: int, chunk: Chunk, chain: FailoverChain) -> None:
        spec = job.spec
        code = self.config.backfill.calendar_for(chunk.symbol)
        if spec.type != "corporate_actions" and not session_days(code, chunk.start, chunk.end):
            chunk.state, chunk.reason = "skipped", f"no {code} sessions"
            chunk.finished_ns = now_ns()
            return
        request = ChunkRequest(
            symbol=chunk.symbol,
            start=chunk.start,
            end=chunk.end,
            kind=spec.type,
            interval=spec.interval,
            adjusted=spec.adjusted,
        )
        spool = ChunkSpool(self.spool_dir / f"{job.id}-{index}.spool")
        try:
            result = await chain.fetch(
                request, spool, lambda: self.jobs.pending_request(job.id) is not None
            )
            if result.provider is not None:
                for page in spool.pages():
                    await self.writer(page)
            chunk.rows = spool.rows
        finally:
            spool.clear()
        chunk.state, chunk.provider, chunk.reason = result.state, result.provider, result.reason
        chunk.attempts = result.attempts
        chunk.finished_ns = now_ns()

    def _apply_request(self, job: Job) -> None:
        request = self.jobs.pending_request(job.id)
        job.state = "cancelled" if request == "cancel" else "paused"
        self.jobs.clear_request(job.id)

    def _check_calendars(self, job: Job) -> None:
        for symbol in job.spec.symbols:
            sessions(self.config.backfill.calendar_for(symbol), job.spec.start, job.spec.start)

    def _clear_spools(self, job: Job) -> None:
        """Spill files a killed run left behind (their chunks are pending and will refetch)."""
        if self.spool_dir.is_dir():
            for path in self.spool_dir.glob(f"{job.id}-*.spool"):
                path.unlink(missing_ok=True)
