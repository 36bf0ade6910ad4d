"""The failover chain: providers in priority order, the first that can serve a chunk serves it.

For each chunk the chain starts again at the top (``backfill.providers`` or the job's own list).
A provider is passed over for the chunk when it cannot serve the request (``supports()`` says no,
or it raises ``UnsupportedRequest`` / ``NotFound``), when it fails (``ProviderError`` or anything
unexpected, after its own retries), when it is still rate-limited after its retries
(``RateLimited``), or when it delivers no page for ``stall_timeout_s`` (a rate-limit wait beyond
the threshold, or a hung connection). Missing or rejected credentials rule a provider out for the
whole run. After ``trip_after`` consecutive failed chunks a provider is benched for ``bench_s``
(or for its ``Retry-After``, if longer) so a dead provider does not cost every chunk a timeout.

Rows go to a :class:`ChunkSpool`, cleared before each attempt: what reaches the archive comes from
one provider, whose name is the ``provider`` field of every row (the provenance), and whose rows
carry the job's (canonical, ``providers/symbols.py``) symbol: each provider spells it its own way
in its requests (``BRK.B`` → ``BRK-B`` for Yahoo) and must answer under the name it was asked.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import os
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal, Protocol

from mdc.backfill.jobs import Attempt, JobError
from mdc.backfill.spool import ChunkSpool
from mdc.backfill.usage import RestUsage, rest_stats_of
from mdc.config.schema import BackfillType, Config
from mdc.domain.events import Event
from mdc.domain.interval import day_range_ns
from mdc.providers.base import (
    CredentialsError,
    HistoricalProvider,
    NotFound,
    ProviderSpec,
    RateLimited,
    UnsupportedRequest,
)
from mdc.providers.credentials import missing_hint
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.registry import UnknownProvider, get_spec, load_class
from mdc.providers.rest import redact as rest_redact

log = logging.getLogger(__name__)

ERROR_CHARS: Final = 300
"""Longest error text kept per attempt (job files and the API stay small)."""


class ChunkInterrupted(Exception):
    """A pause or cancel request arrived while a chunk was being fetched."""


@dataclass(frozen=True)
class ChunkRequest:
    """One chunk as the chain sees it (``interval`` is ``tick`` for non-bar kinds)."""

    symbol: str
    start: date
    end: date
    kind: BackfillType
    interval: str
    adjusted: bool = True


@dataclass
class ChunkResult:
    provider: str | None
    """Who served the chunk (its rows are in the spool); ``None`` if nobody did."""
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def state(self) -> Literal["done", "skipped", "failed"]:
        """``skipped`` when no provider offers this data at all, ``failed`` when one should have."""
        if self.provider is not None:
            return "done"
        if all(a.outcome in ("unsupported", "unavailable") for a in self.attempts):
            return "skipped"
        return "failed"

    @property
    def reason(self) -> str:
        if self.provider is not None:
            return ""
        return "; ".join(
            f"{a.provider}: {a.outcome}" + (f" ({a.error})" if a.error else "")
            for a in self.attempts
        )


class ProviderSource(Protocol):
    """Where the chain finds providers by name (the registry; tests add their own)."""

    def spec(self, name: str) -> ProviderSpec:
        """The provider's spec; ``UnknownProvider`` if there is none."""

    def create(self, name: str, config: Config, limiter: RateLimiter) -> HistoricalProvider:
        """A new client of the provider's historical API."""


class RegistrySource:
    """The providers of ``providers/registry.py`` (built in and entry points)."""

    def spec(self, name: str) -> ProviderSpec:
        return get_spec(name)

    def create(self, name: str, config: Config, limiter: RateLimiter) -> HistoricalProvider:
        target = self.spec(name).historical
        if target is None:
            raise UnsupportedRequest(f"{name} has no historical data")
        cls = load_class(target)
        # Providers written before the shared limiter existed take only the config.
        if "limiter" in inspect.signature(cls).parameters:
            provider: HistoricalProvider = cls(config, limiter=limiter)
        else:
            provider = cls(config)
        return provider


REGISTRY: Final = RegistrySource()


def check_providers(names: Sequence[str], source: ProviderSource = REGISTRY) -> None:
    """Refuse unknown names and stream-only providers before a job starts."""
    if not names:
        raise JobError(
            "no backfill providers: set backfill.providers in the config "
            '(e.g. MDC_BACKFILL__PROVIDERS=\'["polygon", "alpaca"]\') or pass --provider'
        )
    for name in names:
        try:
            spec = source.spec(name)
        except UnknownProvider as exc:
            raise JobError(str(exc)) from None
        if spec.historical is None:
            raise JobError(f"provider {name!r} has no historical data (it is streaming only)")


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """Error text with credentials masked (URL parameters and known values), and shortened."""
    text = rest_redact(text, secrets)
    return text if len(text) <= ERROR_CHARS else text[: ERROR_CHARS - 1] + "…"


class FailoverChain:
    """Serves chunks from the first provider that can; keeps one client per provider."""

    def __init__(
        self,
        config: Config,
        names: Sequence[str],
        source: ProviderSource = REGISTRY,
        clock: Callable[[], float] = time.monotonic,
        *,
        limiter: RateLimiter | None = None,
        usage: RestUsage | None = None,
    ) -> None:
        self.config = config
        self.names = list(names)
        self.source = source
        self.clock = clock
        self.limiter = limiter if limiter is not None else RateLimiter()
        """Shared by every provider of the chain (and, given one, by every chain of the runner):
        limits belong to the API key, not to a job."""
        self.usage = usage if usage is not None else RestUsage()
        self._providers: dict[str, HistoricalProvider] = {}
        self._unavailable: dict[str, str] = {}
        self._failures: dict[str, int] = {}
        self._benched_until: dict[str, float] = {}

    async def fetch(
        self,
        request: ChunkRequest,
        spool: ChunkSpool,
        interrupted: Callable[[], bool] = lambda: False,
    ) -> ChunkResult:
        """Fill ``spool`` with the chunk from the first provider able to serve it."""
        result = ChunkResult(provider=None)
        for name in self.names:
            attempt = await self._try(name, request, spool, interrupted)
            result.attempts.append(attempt)
            if attempt.outcome == "ok":
                result.provider = name
                return result
            log.info(
                "%s %s %s..%s: %s %s",
                name,
                request.symbol,
                request.start,
                request.end,
                attempt.outcome,
                attempt.error,
            )
        spool.clear()
        return result

    async def aclose(self) -> None:
        for name, provider in self._providers.items():
            stats = rest_stats_of(provider)
            if stats is not None:
                self.usage.release(name, stats)
            try:
                await provider.aclose()
            except Exception as exc:  # closing must not hide the job's own outcome
                log.warning("closing %s: %s", provider.spec.name, redact(str(exc)))
        self._providers.clear()

    async def _try(
        self,
        name: str,
        request: ChunkRequest,
        spool: ChunkSpool,
        interrupted: Callable[[], bool],
    ) -> Attempt:
        if name in self._unavailable:
            return Attempt(provider=name, outcome="unavailable", error=self._unavailable[name])
        if self._benched_until.get(name, 0.0) > self.clock():
            return Attempt(provider=name, outcome="benched")
        try:
            provider = self._get(name)
        except (CredentialsError, UnsupportedRequest) as exc:
            self._unavailable[name] = redact(str(exc))
            return Attempt(provider=name, outcome="unavailable", error=self._unavailable[name])
        interval = None if request.interval == "tick" else request.interval
        adjusted = request.adjusted if request.kind == "bars" else None
        if not provider.supports(request.kind, interval, adjusted):
            return Attempt(provider=name, outcome="unsupported", error="not offered")
        spool.clear()
        started = self.clock()
        outcome: Literal["ok", "unsupported", "unavailable", "failed", "stalled", "not_found"]
        outcome, error, outside = "ok", "", 0
        retry_after: float | None = None
        try:
            outside = await self._fetch_into(provider, name, request, spool, interrupted)
        except (ChunkInterrupted, asyncio.CancelledError):
            spool.clear()
            raise
        except UnsupportedRequest as exc:
            outcome, error = "unsupported", str(exc)
        except NotFound as exc:
            outcome, error = "not_found", str(exc)
        except CredentialsError as exc:
            outcome, error = "unavailable", str(exc)
            self._unavailable[name] = redact(error, self._secrets(name))
        except RateLimited as exc:
            outcome, error, retry_after = "failed", f"rate limited: {exc}", exc.retry_after
        except TimeoutError:
            stall = self.config.backfill.stall_timeout_s
            outcome, error = "stalled", f"no data for {stall:g} s"
        except Exception as exc:  # a provider bug must not end the job: try the next one
            outcome, error = "failed", f"{type(exc).__name__}: {exc}"
        seconds = round(self.clock() - started, 3)
        if outcome != "ok":
            spool.clear()
            if outcome in ("failed", "stalled"):
                self._count_failure(name, retry_after)
            error = redact(error, self._secrets(name))
            return Attempt(provider=name, outcome=outcome, error=error, seconds=seconds)
        self._failures[name] = 0
        return Attempt(
            provider=name, outcome="ok", rows=spool.rows, outside=outside, seconds=seconds
        )

    async def _fetch_into(
        self,
        provider: HistoricalProvider,
        name: str,
        request: ChunkRequest,
        spool: ChunkSpool,
        interrupted: Callable[[], bool],
    ) -> int:
        """Spool every page; return how many rows fell outside the requested days (dropped)."""
        low, high = day_range_ns(request.start, request.end)
        stall = self.config.backfill.stall_timeout_s
        outside = 0
        pages = _pages(provider, request.symbol, request)
        try:
            while True:
                try:
                    async with asyncio.timeout(stall):
                        page: list[Event] = await anext(pages)
                except StopAsyncIteration:
                    break
                if interrupted():
                    raise ChunkInterrupted
                kept = []
                for event in page:
                    if not low <= event.ts_event < high:
                        outside += 1
                        continue
                    if event.symbol != request.symbol:
                        event.symbol = request.symbol
                    if event.provider != name:
                        event.provider = name
                    kept.append(event)
                spool.add(kept)
        finally:
            aclose = getattr(pages, "aclose", None)
            if aclose is not None:
                await aclose()
        return outside

    def _get(self, name: str) -> HistoricalProvider:
        provider = self._providers.get(name)
        if provider is None:
            missing = self.source.spec(name).missing_credentials()
            if missing:
                raise CredentialsError(f"missing credentials: {missing_hint(missing)}")
            provider = self._providers[name] = self.source.create(name, self.config, self.limiter)
            stats = rest_stats_of(provider)
            if stats is not None:
                self.usage.track(name, stats)
        return provider

    def _secrets(self, name: str) -> list[str]:
        """The provider's credential values, masked wherever they might appear in an error."""
        return [os.environ.get(var, "") for var in self.source.spec(name).credentials]

    def _count_failure(self, name: str, retry_after: float | None) -> None:
        failures = self._failures.get(name, 0) + 1
        self._failures[name] = failures
        pause = max(self.config.backfill.bench_s, retry_after or 0.0)
        if failures >= self.config.backfill.trip_after and pause > 0:
            self._benched_until[name] = self.clock() + pause
            self._failures[name] = 0
            log.warning("%s failed %d chunks in a row: benched for %.0f s", name, failures, pause)


def _pages(
    provider: HistoricalProvider, symbol: str, request: ChunkRequest
) -> AsyncIterator[list[Event]]:
    """The provider's page iterator for the request's kind (typed as a list of events)."""
    if request.kind == "bars":
        return provider.bars(  # type: ignore[return-value]
            symbol, request.start, request.end, request.interval, adjusted=request.adjusted
        )
    if request.kind == "trades":
        return provider.trades(symbol, request.start, request.end)  # type: ignore[return-value]
    if request.kind == "quotes":
        return provider.quotes(symbol, request.start, request.end)  # type: ignore[return-value]
    return provider.corporate_actions(  # type: ignore[return-value]
        symbol, request.start, request.end
    )
