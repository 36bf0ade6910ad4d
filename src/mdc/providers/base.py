"""What a provider is: its capabilities, its config, and the protocols it implements.

A provider is one package under ``providers/`` that exposes ``SPEC`` (a :class:`ProviderSpec`)
from its ``__init__``; ``providers/registry.py`` lists the packages. The classes named by the spec
are imported only when used, so ``mdc providers`` does not import every SDK.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar, Literal, Protocol

import msgspec

from mdc.config.schema import Config, SymbolConfig
from mdc.domain.capabilities import Capabilities
from mdc.domain.events import Bar, CorporateAction, Event, Quote, Trade
from mdc.providers import keychain
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.symbols import SymbolStyle

DataKind = Literal["bars", "trades", "quotes", "corporate_actions"]
FeedCounter = Literal[
    "book_checksums_ok",
    "book_checksum_failures",
    "book_updates_unvalidated",
    "book_updates_stale",
    "book_precisions_guessed",
    "book_sync_restarts",
    "duplicates_dropped",
    "messages_ignored",
    "connection_handovers",
    "failover_switches",
]
"""Feed-level counts a provider may report beyond :class:`ConnectionState` (``/metrics`` gives
each its own metric, ``/api/providers`` lists them)."""


@dataclass(frozen=True)
class ProviderSpec:
    """The registry entry of one provider package."""

    name: str
    description: str
    capabilities: Capabilities
    config: type[msgspec.Struct]
    """Struct for the ``[providers.<name>]`` section (endpoint URLs and options)."""
    credentials: tuple[str, ...] = ()
    """Credential names: environment variables, or entries of the OS keyring by the same name
    (never stored in config files or logs)."""
    streaming: str | None = None
    """``module:Class`` of the :class:`StreamingProvider`, if any."""
    historical: str | None = None
    search: str | None = None
    extra: str | None = None
    """pip extra that must be installed (``mdc[ccxt]``), if any."""
    plan_notes: str = ""
    """What a free key can and cannot get (shown by ``mdc providers`` and ``/api/providers``)."""
    symbol_style: SymbolStyle = "dot"
    """How the provider spells share classes (``providers/symbols.py``): ``BRK.B``, ``BRK-B``,
    ``brk-b.us``."""

    def missing_credentials(self, env: Mapping[str, str] | None = None) -> list[str]:
        """Names found neither in ``env`` (default: the process environment) nor the keyring."""
        env = os.environ if env is None else env
        return [n for n in self.credentials if not env.get(n) and keychain.get(n) is None]


class StreamSink(Protocol):
    """Where a streaming provider hands what it receives (implemented by the pipeline)."""

    async def publish(self, events: list[Event]) -> None:
        """Queue a parsed batch; waits only when the ingest queue is full (backpressure)."""

    def raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        """Record a raw frame for the raw capture (never blocks)."""

    def bad_frame(self, provider: str, ts_recv: int, data: bytes | str, error: str) -> None:
        """A frame that could not be parsed: counted and kept for inspection, never fatal."""


@dataclass
class ConnectionState:
    """Live view of a provider's connection for /status and metrics (plain counters)."""

    connected: bool = False
    state: str = "idle"
    url: str = ""
    since_ns: int = 0
    last_message_ns: int = 0
    messages: int = 0
    reconnects: int = 0
    errors: int = 0
    last_error: str = ""
    bad_frames: int = 0
    events: int = 0
    gaps: int = 0
    subscribed: set[str] = field(default_factory=set)
    details: dict[str, Any] = field(default_factory=dict)
    """Provider-specific facts for /status and the Providers page, plain data refreshed by the
    provider (IB: server version, data farms, lines in use; NYSE XDP: per-channel sequence,
    A/B duplicates, gaps)."""


class StreamingProvider(ABC):
    """A live feed. ``run`` connects, subscribes and publishes until cancelled."""

    spec: ClassVar[ProviderSpec]

    def __init__(self, config: Config, sink: StreamSink) -> None:
        self.config = config
        self.sink = sink
        self.state = ConnectionState()

    @abstractmethod
    async def run(self, symbols: list[SymbolConfig]) -> None:
        """Stream ``symbols`` until cancelled, reconnecting on failure; raise only on errors
        that retrying cannot fix (bad credentials), with a message that says what to do."""

    @abstractmethod
    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        """Add symbols while running."""

    @abstractmethod
    async def unsubscribe(self, symbols: list[str]) -> None:
        """Remove symbols while running."""

    def counters(self) -> dict[FeedCounter, int]:
        """Feed-level counts that only grow (read at scrape time, never on the hot path)."""
        return {}

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Send fresh book snapshots for ``symbols`` (their books were reset after a gap).

        The default subscribes again, which is enough for feeds that answer a subscription
        with a snapshot; feeds that sync books themselves (REST snapshot, checksums) may
        leave this as it is or override it."""
        await self.subscribe(symbols)


class HistoricalProvider(ABC):
    """History over REST. Each method yields pages (batches) in time order.

    ``start..end`` are dates, both inclusive, covering the UTC instants
    ``[start 00:00Z, end+1 00:00Z)``; intervals use the ``Interval`` notation (``1m``, ``1h``,
    ``1d`` …) and daily bars carry midnight UTC of their session date (``domain/interval.py``).
    Every event carries the symbol as the caller wrote it and ``provider = spec.name``.

    Errors, so a failover chain can decide what to do next:
    ``UnsupportedRequest`` (this provider lacks the data type, interval or adjustment — try the
    next one; ``NotInPlan`` when the key's plan lacks it), ``RateLimited`` (still throttled
    after the retries; ``retry_after`` seconds if the provider said), ``CredentialsError``
    (missing or rejected keys), ``NotFound`` (unknown symbol or resource), ``ProviderError``
    (anything else, after retries).
    """

    spec: ClassVar[ProviderSpec]

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.config = config
        self.limiter = limiter if limiter is not None else RateLimiter()
        """Shared by every provider of a process that should share rate budgets."""

    def supports(
        self, kind: DataKind, interval: str | None = None, adjusted: bool | None = None
    ) -> bool:
        """Whether this provider can serve the request, decided without network access.

        The default reads the capability flags; providers refine it with their intervals and
        adjustment modes (``bars(adjusted=...)`` raises ``UnsupportedRequest`` when they cannot
        deliver the requested adjustment, rather than silently delivering the other one).
        """
        caps = self.spec.capabilities
        flags = {
            "bars": caps.bars,
            "trades": caps.trades,
            "quotes": caps.quotes,
            "corporate_actions": caps.corporate_actions,
        }
        return flags[kind]

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        raise UnsupportedRequest(f"{self.spec.name} does not serve bars")
        yield []  # pragma: no cover - makes this an async generator

    async def trades(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Trade]]:
        raise UnsupportedRequest(f"{self.spec.name} does not serve trades")
        yield []  # pragma: no cover

    async def quotes(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Quote]]:
        raise UnsupportedRequest(f"{self.spec.name} does not serve quotes")
        yield []  # pragma: no cover

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        raise UnsupportedRequest(f"{self.spec.name} does not serve corporate actions")
        yield []  # pragma: no cover

    async def aclose(self) -> None:  # noqa: B027 - optional hook, most providers need none
        """Release connections."""

    async def __aenter__(self) -> HistoricalProvider:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()


class SymbolInfo(msgspec.Struct, frozen=True, kw_only=True):
    """One provider's listing of an instrument, as its reference data gives it.

    ``symbol`` is the archive's spelling (``providers/symbols.py``: ``BRK.B``, ``BTC-USD``);
    ``provider_symbol`` how the provider writes it (``BRK-B``, ``XBT/USD``; empty means the
    same). Identifiers are empty when the provider does not give them. The instrument registry
    (``mdc.instruments``) merges listings of several providers into one ``Instrument``.
    """

    symbol: str
    name: str = ""
    venue: str = ""
    """The provider's exchange label (``NASDAQ``, ``coinbase``)."""
    asset_class: str = ""
    """``equity``, ``etf``, ``crypto``, ``fx``, ``future``, ``option``, ``index`` (lower case)."""
    tick_size: float | None = None
    lot_size: float | None = None
    provider: str = ""
    provider_symbol: str = ""
    mic: str = ""
    """ISO 10383 market identifier of the primary exchange (``XNAS``), when known."""
    currency: str = ""
    figi: str = ""
    composite_figi: str = ""
    share_class_figi: str = ""
    isin: str = ""
    cusip: str = ""
    active: bool = True


class SymbolSearchProvider(ABC):
    """Reference data of one provider: ``search`` answers a user's text (ticker or name);
    ``listing`` gives every instrument at once for the local registry, where the provider can.

    Implementations live in ``providers/<name>/search.py`` and are named by ``spec.search``;
    the constructor takes the :class:`Config`. Errors are the ``ProviderError`` family.
    """

    spec: ClassVar[ProviderSpec]

    @abstractmethod
    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        """Best matches first (exact symbol, then symbol prefix, then name)."""

    async def listing(self) -> list[SymbolInfo]:
        """Every instrument the provider lists (for ``mdc symbols refresh``)."""
        raise UnsupportedRequest(f"{self.spec.name} has no instrument list, only search")

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""


class ProviderError(RuntimeError):
    """A provider failure with a message meant for the user."""


class CredentialsError(ProviderError):
    """Credentials missing or rejected: retrying will not help."""


class UnsupportedRequest(ProviderError):
    """The provider does not offer this data (failover moves to the next one)."""


class NotInPlan(UnsupportedRequest):
    """The key is valid but its plan does not include this data: a new key will not help, a
    plan that includes it (or another provider) will. The message says which."""


class Unreachable(ProviderError):
    """The provider's host did not answer (connection refused, DNS, timeout) after the retries:
    the network, a proxy or the configured URL is at fault, not the key."""


class RateLimited(ProviderError):
    """Still throttled after the retries (HTTP 429, or a quota note in the body)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        """Seconds the provider asked to wait, when it said; ``None`` when unknown."""


class NotFound(ProviderError):
    """The provider does not know this symbol or resource (HTTP 404 or equivalent)."""
