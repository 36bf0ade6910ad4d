"""The health model: named checks, each healthy / degraded / unhealthy, and the worst one wins.

A :class:`HealthMonitor` is sampled about once a second (by the web app's monitor task) so the
rate checks (drops, integrity events) look at a sliding window rather than at totals since
start. It reads only the runtime's plain counters; it never touches the hot path.
``/ready`` asks the narrower question "can we accept and store data now?" (:meth:`ready`).
"""

from __future__ import annotations

import os
import shutil
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from mdc.config.schema import Config
from mdc.domain.calendar import MarketHours
from mdc.domain.time import NS_PER_S, now_ns

if TYPE_CHECKING:
    from mdc.pipeline.runtime import Runtime
    from mdc.pipeline.storage_stats import StorageStats
    from mdc.providers.base import ConnectionState

Status = Literal["healthy", "degraded", "unhealthy"]
RANK: Final[dict[str, int]] = {"healthy": 0, "degraded": 1, "unhealthy": 2}

WINDOW_S: Final = 60.0
"""Rate checks compare the newest sample with the oldest one this recent."""
DROP_RATE_DEGRADED: Final = 0.01
DROP_RATE_UNHEALTHY: Final = 0.5
QUEUE_DEGRADED: Final = 0.8
"""Fraction of a live consumer's or the ingest queue's capacity in use."""
INGEST_UNHEALTHY: Final = 0.99
"""A full ingest queue stalls the providers' socket reads: data backs up at the source."""
INTEGRITY_MIN_EVENTS: Final = 5
INTEGRITY_RATE_DEGRADED: Final = 0.01
INTEGRITY_RATE_UNHEALTHY: Final = 0.2
"""Integrity events as a fraction of all events in the window."""
DISK_DEGRADED_FACTOR: Final = 2.0
"""Free space below this multiple of ``storage.min_free_mb`` is degraded, below 1x unhealthy."""
PROVIDER_GRACE_S: Final = 10.0
"""A provider still connecting this soon after start is degraded, not unhealthy."""
MIN_SAMPLE_GAP_NS: Final = NS_PER_S // 2
"""Samples closer together than this are not kept (bounds the window's size)."""
PROBE_INTERVAL_S: Final = 1.0
PROBE_NAME: Final = ".mdc-health-probe"
MAX_LISTED: Final = 10
ALWAYS_OPEN_ASSET_CLASSES: Final = frozenset({"crypto", "synthetic"})
"""Asset classes traded around the clock; other feeds are held to the NYSE session calendar
unless their capabilities say ``always_open``."""


@dataclass(frozen=True)
class Check:
    name: str
    status: Status
    detail: str
    value: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "value": self.value,
        }


@dataclass(frozen=True)
class HealthReport:
    status: Status
    checks: list[Check]
    ts_ns: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "ts_ns": self.ts_ns,
            "checks": [c.to_dict() for c in self.checks],
        }


def worst(statuses: list[Status]) -> Status:
    return max(statuses, key=RANK.__getitem__, default="healthy")


@dataclass
class _Sample:
    t_ns: int
    events: int
    integrity: int
    consumers: dict[str, tuple[int, int]]
    """Per live consumer: (published, dropped)."""


@dataclass
class _Probe:
    t: float = 0.0
    ok: bool = True
    detail: str = ""


@dataclass
class HealthMonitor:
    """Evaluates the checks for a running collector (``runtime``) or a bare archive."""

    config: Config
    runtime: Runtime | None = None
    clock: Callable[[], int] = now_ns
    window_s: float = WINDOW_S
    provider_grace_s: float = PROVIDER_GRACE_S
    samples: deque[_Sample] = field(default_factory=deque)
    first_seen: dict[str, int] = field(default_factory=dict)
    _probe: _Probe = field(default_factory=_Probe)

    @property
    def root(self) -> Path:
        return Path(self.config.storage.root)

    # -- sampling -----------------------------------------------------------------------------
    def sample(self) -> None:
        """Record the counters the rate checks need (call about once a second)."""
        rt = self.runtime
        if rt is None:
            return
        current = self._current()
        now = current.t_ns
        if self.samples and now - self.samples[-1].t_ns < MIN_SAMPLE_GAP_NS:
            return
        self.samples.append(current)
        horizon = now - int(self.window_s * NS_PER_S)
        while len(self.samples) > 2 and self.samples[1].t_ns <= horizon:
            self.samples.popleft()
        for symbol in rt.symbols:
            self.first_seen.setdefault(symbol, now)
        for gone in set(self.first_seen) - set(rt.symbols):
            del self.first_seen[gone]

    def _current(self) -> _Sample:
        rt = self.runtime
        assert rt is not None
        return _Sample(
            t_ns=self.clock(),
            events=rt.events_in,
            integrity=rt.events_by_type.get("integrity", 0),
            consumers={q.name: (q.published, q.dropped) for q in rt.fanout.consumers.values()},
        )

    # -- evaluation ---------------------------------------------------------------------------
    def evaluate(self) -> HealthReport:
        checks = [self._storage_writable(), self._disk_space()]
        if self.runtime is not None:
            self.sample()
            checks = [
                self._pipeline(),
                self._providers(),
                self._freshness(),
                self._queues(),
                self._drop_rate(),
                self._integrity_rate(),
                *checks,
            ]
        return HealthReport(worst([c.status for c in checks]), checks, self.clock())

    def ready(self) -> tuple[bool, str]:
        """Accepting data, receiving it and able to store it: what a load balancer or
        supervisor needs. A collector whose every provider is down past the start-up grace is
        not ready, with the same words ``/health`` uses (``cannot resolve …``)."""
        rt = self.runtime
        if rt is not None and not rt.accepting:
            return False, "pipeline is not accepting data"
        if rt is not None:
            providers = self._providers()
            if providers.status == "unhealthy":
                return False, providers.detail
        writable = self._storage_writable()
        if writable.status == "unhealthy":
            return False, writable.detail
        return True, "ready"

    def _pipeline(self) -> Check:
        rt = self.runtime
        assert rt is not None
        if rt.fatal_error:
            return Check("pipeline", "unhealthy", f"stopped: {rt.fatal_error}")
        if not rt.accepting:
            return Check("pipeline", "unhealthy", "not accepting data (starting or stopping)")
        return Check("pipeline", "healthy", "accepting data")

    def _providers(self) -> Check:
        rt = self.runtime
        assert rt is not None
        if not rt.providers:
            return Check("providers", "unhealthy", "no streaming provider running")
        down = sorted(name for name, p in rt.providers.items() if not p.state.connected)
        if not down:
            return Check("providers", "healthy", f"{len(rt.providers)} connected", 0)
        states = "; ".join(_down_text(n, rt.providers[n].state) for n in down)
        uptime = (self.clock() - rt.started_ns) / NS_PER_S
        if len(down) < len(rt.providers) or uptime < self.provider_grace_s:
            return Check("providers", "degraded", f"not connected: {states}", len(down))
        return Check("providers", "unhealthy", f"not connected: {states}", len(down))

    def _freshness(self) -> Check:
        rt = self.runtime
        assert rt is not None
        if not rt.symbols:
            return Check("freshness", "healthy", "no symbols subscribed", 0)
        if not self._market_open():
            return Check("freshness", "healthy", "market closed: freshness not checked", 0)
        now = self.clock()
        limit_ns = int(self.config.pipeline.stale_after_s * NS_PER_S)
        stale = []
        for symbol in rt.symbols:
            since = max(
                rt.last_event_ns.get(symbol, 0),
                rt.started_ns,
                self.first_seen.get(symbol, 0),
            )
            if now - since > limit_ns:
                stale.append(symbol)
        if not stale:
            return Check("freshness", "healthy", f"{len(rt.symbols)} streams fresh", 0)
        listed = ", ".join(sorted(stale)[:MAX_LISTED]) + (" …" if len(stale) > MAX_LISTED else "")
        detail = (
            f"{len(stale)} of {len(rt.symbols)} streams silent for more than "
            f"{self.config.pipeline.stale_after_s:g} s: {listed}"
        )
        status: Status = "unhealthy" if len(stale) == len(rt.symbols) else "degraded"
        return Check("freshness", status, detail, len(stale))

    def _market_open(self) -> bool:
        rt = self.runtime
        assert rt is not None
        for provider in rt.providers.values():
            spec = getattr(provider, "spec", None)
            if spec is None:
                continue
            caps = spec.capabilities
            if caps.always_open or set(caps.asset_classes) & ALWAYS_OPEN_ASSET_CLASSES:
                return True
        return _nyse().is_open(self.clock())

    def _queues(self) -> Check:
        rt = self.runtime
        assert rt is not None
        ingest = rt.ingest.qsize() / rt.ingest.maxsize if rt.ingest.maxsize else 0.0
        usage = {"ingest": ingest} | {q.name: q.utilisation for q in rt.fanout.consumers.values()}
        name, top = max(usage.items(), key=lambda kv: kv[1])
        detail = f"fullest: {name} at {top:.0%}"
        if ingest >= INGEST_UNHEALTHY:
            return Check("queue_utilisation", "unhealthy", f"ingest queue full ({ingest:.0%})", top)
        if top >= QUEUE_DEGRADED:
            return Check("queue_utilisation", "degraded", detail, top)
        return Check("queue_utilisation", "healthy", detail, top)

    def _window(self) -> tuple[_Sample, _Sample] | None:
        """The oldest sample in the window and the counters now."""
        if not self.samples:
            return None
        return self.samples[0], self._current()

    def _drop_rate(self) -> Check:
        window = self._window()
        if window is None:
            return Check("drop_rate", "healthy", "collecting samples", 0.0)
        old, new = window
        published = dropped = 0
        for name, (pub, drop) in new.consumers.items():
            pub0, drop0 = old.consumers.get(name, (0, 0))
            published += pub - pub0
            dropped += drop - drop0
        rate = dropped / published if published > 0 else 0.0
        detail = f"{dropped} of {published} events dropped by live consumers in the last window"
        if rate >= DROP_RATE_UNHEALTHY:
            return Check("drop_rate", "unhealthy", detail, rate)
        if rate >= DROP_RATE_DEGRADED:
            return Check("drop_rate", "degraded", detail, rate)
        return Check("drop_rate", "healthy", detail, rate)

    def _integrity_rate(self) -> Check:
        window = self._window()
        if window is None:
            return Check("integrity_rate", "healthy", "collecting samples", 0.0)
        old, new = window
        events = new.events - old.events
        integrity = new.integrity - old.integrity
        rate = integrity / events if events > 0 else 0.0
        detail = f"{integrity} integrity events in {events} events in the last window"
        if integrity >= INTEGRITY_MIN_EVENTS and rate >= INTEGRITY_RATE_UNHEALTHY:
            return Check("integrity_rate", "unhealthy", detail, rate)
        if integrity >= INTEGRITY_MIN_EVENTS and rate >= INTEGRITY_RATE_DEGRADED:
            return Check("integrity_rate", "degraded", detail, rate)
        return Check("integrity_rate", "healthy", detail, rate)

    def _disk_space(self) -> Check:
        try:
            free = shutil.disk_usage(_existing(self.root)).free
        except OSError as exc:
            return Check("disk_space", "unhealthy", f"cannot stat the archive disk: {exc}")
        min_free = self.config.storage.min_free_mb * 1024 * 1024
        stats = self._store_stats()
        counters = (stats.counters if stats is not None else None) or {}
        detail = f"{free / 1024**2:,.0f} MiB free (minimum {self.config.storage.min_free_mb} MiB)"
        if counters.get("disk_paused") or free < min_free:
            return Check("disk_space", "unhealthy", f"writing paused: {detail}", free)
        if free < min_free * DISK_DEGRADED_FACTOR:
            return Check("disk_space", "degraded", detail, free)
        return Check("disk_space", "healthy", detail, free)

    def _storage_writable(self) -> Check:
        stats = self._store_stats()
        if stats is not None and stats.error is not None:  # a failing store is itself a finding
            return Check("storage_writable", "unhealthy", stats.error)
        counters = (stats.counters if stats is not None else None) or {}
        if counters.get("writable") is False:
            reason = counters.get("last_error") or "the store reports it cannot write"
            return Check("storage_writable", "unhealthy", str(reason))
        probe = self._probe
        if time.monotonic() - probe.t >= PROBE_INTERVAL_S:
            probe.ok, probe.detail = probe_writable(self.root)
            probe.t = time.monotonic()
        if not probe.ok:
            return Check("storage_writable", "unhealthy", probe.detail)
        return Check("storage_writable", "healthy", probe.detail)

    def _store_stats(self) -> StorageStats | None:
        return self.runtime.storage_stats() if self.runtime is not None else None


def _down_text(name: str, state: ConnectionState) -> str:
    """``coinbase (backoff: cannot resolve …)``: the provider, its state and its last error."""
    error = f": {state.last_error}" if state.last_error else ""
    return f"{name} ({state.state}{error})"


def probe_writable(root: Path) -> tuple[bool, str]:
    """Create, write and remove a small file in the archive root (or its nearest parent)."""
    target = root if root.exists() else _existing(root)
    if not target.is_dir():
        return False, f"archive root {root} is not a directory"
    probe = target / PROBE_NAME
    try:
        fd = os.open(probe, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
        try:
            os.write(fd, b"ok")
        finally:
            os.close(fd)
        probe.unlink()
    except OSError as exc:
        return False, f"archive {root} is not writable: {exc.strerror or exc}"
    return True, f"archive {root} is writable"


def _existing(path: Path) -> Path:
    path = path.absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


@cache
def _nyse() -> MarketHours:
    return MarketHours("XNYS")
