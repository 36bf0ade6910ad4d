"""Filling the registry: providers' full lists (``mdc symbols refresh``, the schedule), search
results kept as they come, and OpenFIGI mappings of chosen symbols.

A provider that fails (no key, unreachable, refused) is reported and skipped; the registry
keeps its last listing of that provider.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from mdc.config.schema import Config
from mdc.domain.cron import parse_cron
from mdc.instruments.registry import Refreshed, Registry, RegistryError
from mdc.providers.base import ProviderError, SymbolInfo, UnsupportedRequest
from mdc.providers.registry import get_spec
from mdc.providers.search import open_search, searchable

log = logging.getLogger(__name__)


@dataclass
class RefreshReport:
    refreshed: list[Refreshed] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)


def default_providers(config: Config) -> list[str]:
    """``instruments.providers``, else every provider with a list and its credentials set."""
    if config.instruments.providers:
        return list(config.instruments.providers)
    names = [n for n in searchable() if n not in ("ib", "openfigi", "ccxt")]
    names = [n for n in names if not get_spec(n).missing_credentials()]
    if "ccxt" in config.providers and config.providers["ccxt"].get("exchange"):
        names.append("ccxt")
    return names


def lookup_providers(config: Config) -> list[str]:
    """Whom a live search asks by default: ``instruments.providers``, else every provider with
    a search but IB (it needs a running TWS) and ccxt (it needs an exchange)."""
    if config.instruments.providers:
        return list(config.instruments.providers)
    return [n for n in searchable() if n not in ("ib", "ccxt")]


async def refresh(
    config: Config, registry: Registry, providers: Sequence[str], day: date
) -> RefreshReport:
    """Load each provider's full listing into the registry (one at a time: their rate limits
    are their own, but the registry is one file)."""
    report = RefreshReport()
    for name in providers:
        try:
            search = open_search(config, name)
        except (ProviderError, ImportError) as exc:
            report.errors[name] = str(exc)
            continue
        try:
            listing = await search.listing()
            stored = await asyncio.to_thread(registry.store, name, listing, day)
            report.refreshed.append(stored)
        except UnsupportedRequest as exc:
            report.errors[name] = f"{exc} (use `mdc symbols search --provider {name}`)"
        except (ProviderError, RegistryError) as exc:
            report.errors[name] = str(exc)
        finally:
            await search.aclose()
    return report


def keep_found(registry: Registry, found: dict[str, list[SymbolInfo]], day: date) -> None:
    """Add live search results to the registry (never closing what a full list holds)."""
    for provider, infos in found.items():
        if infos:
            registry.store(provider, infos, day, complete=False)


async def map_symbols(
    config: Config, registry: Registry, symbols: Sequence[str], day: date
) -> dict[str, int]:
    """OpenFIGI mapping of ``symbols`` into the registry; FIGI listings found per symbol."""
    from mdc.providers.openfigi.search import OpenFigiSearch

    search = OpenFigiSearch(config)
    try:
        mapped = await search.map_tickers(list(symbols))
    finally:
        await search.aclose()
    keep_found(registry, {"openfigi": [i for infos in mapped.values() for i in infos]}, day)
    return {symbol: len(infos) for symbol, infos in mapped.items()}


class ScheduledRefresh:
    """``instruments.refresh_cron`` as a service of ``mdc collect``."""

    def __init__(
        self,
        config: Config,
        registry: Registry,
        now: Callable[[ZoneInfo], datetime] = datetime.now,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self.registry = registry
        self.cron = parse_cron(config.instruments.refresh_cron)
        self.zone = ZoneInfo(config.instruments.timezone)
        self._now = now
        self._sleep = sleep
        self.last: RefreshReport | None = None

    async def run(self) -> None:
        while True:
            now = self._now(self.zone)
            at = self.cron.next_after(now, self.zone)
            await self._sleep(max(0.0, (at - now).total_seconds()))
            self.last = await refresh(
                self.config, self.registry, default_providers(self.config), at.date()
            )
            for name, error in self.last.errors.items():
                log.warning("instrument refresh: %s: %s", name, error)
            for done in self.last.refreshed:
                log.info(
                    "instrument refresh: %s listed %d (+%d, ~%d, -%d)",
                    done.provider,
                    done.listed,
                    done.added,
                    done.changed,
                    done.removed,
                )
