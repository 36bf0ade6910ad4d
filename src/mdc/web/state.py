"""What every route reads: the config, the runtime (None when serving a bare archive) and the
monitoring pieces built around it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from fastapi import HTTPException, Request, status
from prometheus_client import CollectorRegistry

from mdc.config.schema import Config
from mdc.distributed.remote import RemoteSet
from mdc.monitoring.health import HealthMonitor
from mdc.storage.rowcount import RowCounter
from mdc.storage.usage import WriteRate, archive_growth_bytes
from mdc.web.exports import ExportJobs, new_export_jobs
from mdc.web.jobs import Jobs
from mdc.web.live import LiveView
from mdc.web.responses import Redactor
from mdc.web.verifier import ArchiveVerifier

if TYPE_CHECKING:
    from mdc.backfill.service import BackfillService
    from mdc.pipeline.reload import ConfigReloader
    from mdc.pipeline.runtime import Runtime
    from mdc.quality.alerts import AlertManager

TICK_S: Final = 1.0
DatasetJobs = Jobs[dict[str, Any], Any]
"""Package and re-derivation jobs: plain-data params and results, shown as they are."""
log = logging.getLogger(__name__)


@dataclass
class WebState:
    config: Config
    runtime: Runtime | None
    health: HealthMonitor
    live: LiveView | None
    registry: CollectorRegistry
    redactor: Redactor
    api_key: str | None
    reads_need_key: bool
    """GETs need the key too (non-loopback bind, or ``http.require_key_for_reads``)."""
    backfill: BackfillService | None = None
    """The running collector's backfill service (None when serving a bare archive)."""
    alerts: AlertManager | None = None
    """The running collector's alert rules (None when serving a bare archive)."""
    reloader: ConfigReloader | None = None
    """Hot reload of the running collector's config (None: no collector, or not from a file)."""
    remote: RemoteSet | None = None
    """The remote collector set watched on core NATS (``distributed.live_watch``), or None."""
    rows: RowCounter = field(default_factory=RowCounter)
    """Row counts of archive files for the coverage grid (remembered between requests)."""
    verifier: ArchiveVerifier = field(init=False)
    write_rate: WriteRate = field(default_factory=WriteRate)
    """The archive's measured growth (sampled by the monitor while a collector writes)."""
    jobs: DatasetJobs = field(default_factory=Jobs)
    """Package and re-derivation jobs started from the dashboard."""
    exports: ExportJobs = field(default_factory=new_export_jobs)
    """Lean exports started from the dashboard (``web/exports.py``), one at a time."""
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    started: float = field(default_factory=time.time)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.verifier = ArchiveVerifier(self.root)

    @property
    def root(self) -> Path:
        return Path(self.config.storage.root)

    @property
    def mode(self) -> str:
        return "live" if self.runtime is not None else "archive"

    def reconfigure(self, config: Config) -> None:
        """A reloaded config: what the API shows and the health checks measure against."""
        self.config = config
        self.health.config = config

    def start(self) -> None:
        """Background tasks: the dashboard's consumer and the 1 Hz monitor."""
        if self.live is not None:
            self._tasks.append(asyncio.create_task(self.live.run(), name="dashboard-consumer"))
        self._tasks.append(asyncio.create_task(self._monitor(), name="monitor"))
        if self.remote is not None:
            self._tasks.append(asyncio.create_task(self.remote.run(), name="remote-watch"))

    async def stop(self) -> None:
        self.closing.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    async def _monitor(self) -> None:
        while not self.closing.is_set():
            self.health.sample()
            if self.live is not None:
                self.live.tick()
            if self.runtime is not None:
                self._sample_write_rate(self.runtime)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.closing.wait(), TICK_S)

    def _sample_write_rate(self, runtime: Runtime) -> None:
        try:
            stats = runtime.store.stats()
        except Exception as exc:  # a failing store is the health checks' finding, not a crash
            log.debug("no write-rate sample: %s", exc)
            return
        self.write_rate.sample(archive_growth_bytes(stats, self.config.storage))


def get_web(request: Request) -> WebState:
    web: WebState = request.app.state.web
    return web


def live_runtime(web: WebState) -> tuple[Runtime, LiveView]:
    """The running collector, or 409 when this server only serves an archive."""
    if web.runtime is None or web.live is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="no live collector here: this server serves an archive (mdc serve); "
            "live data and subscriptions need `mdc collect`",
        )
    return web.runtime, web.live
