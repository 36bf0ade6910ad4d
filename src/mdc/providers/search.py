"""Symbol search: ranking shared by every provider, the crypto venues' product-list search, and
the fan-out that asks several providers at once.

The interface is :class:`~mdc.providers.base.SymbolSearchProvider` (``search`` and, where the
provider has one, ``listing``); each provider package that has reference data names its class
in ``SPEC.search`` (``providers/<name>/search.py``), IB's ``reqMatchingSymbols`` included.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import httpx

from mdc.config.schema import Config
from mdc.providers.base import ProviderError, ProviderSpec, SymbolInfo, SymbolSearchProvider
from mdc.providers.instruments import REST_TIMEOUT_S, InstrumentCache
from mdc.providers.registry import all_specs, get_spec, load_class


def flat(text: str) -> str:
    """``XBT/CHF`` → ``XBTCHF``, ``brk-b`` → ``BRKB``: compared without separators or case."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def rank(query: str, infos: Iterable[SymbolInfo], limit: int) -> list[SymbolInfo]:
    """Listings matching ``query`` (symbol, provider spelling or name, case and separators
    ignored), best first: exact symbol, symbol prefix, name prefix, then any substring."""
    q = flat(query)
    if not q:
        return []
    scored: list[tuple[int, str, SymbolInfo]] = []
    for info in infos:
        spellings = (flat(info.symbol), flat(info.provider_symbol))
        name = flat(info.name)
        if q in spellings:
            score = 0
        elif any(s.startswith(q) for s in spellings):
            score = 1
        elif name.startswith(q):
            score = 2
        elif any(q in s for s in spellings) or q in name:
            score = 3
        else:
            continue
        scored.append((score + (0 if info.active else 4), info.symbol, info))
    scored.sort(key=lambda t: (t[0], len(t[1]), t[1]))
    return [info for _, _, info in scored[:limit]]


class InstrumentSearch(SymbolSearchProvider):
    """Search over a venue's cached product list (the crypto venues); ``listing`` is the list."""

    spec: ClassVar[ProviderSpec]

    def __init__(self, cache: InstrumentCache) -> None:
        self.cache = cache

    async def search(self, query: str, limit: int = 20) -> list[SymbolInfo]:
        return rank(query, await self.listing(), limit)

    async def listing(self) -> list[SymbolInfo]:
        async with httpx.AsyncClient(timeout=REST_TIMEOUT_S) as client:
            table = await self.cache.get(client)
        return table.infos()


def searchable(names: Iterable[str] | None = None) -> list[str]:
    """Providers with a ``search`` class (all registered ones when ``names`` is None)."""
    chosen = list(all_specs()) if names is None else list(names)
    return [n for n in chosen if get_spec(n).search is not None]


def open_search(config: Config, name: str) -> SymbolSearchProvider:
    """The search provider ``name`` built from ``config``; ``ProviderError`` if it has none."""
    spec = get_spec(name)
    if spec.search is None:
        raise ProviderError(
            f"{name} has no symbol search; providers with one: {', '.join(searchable())}"
        )
    provider: SymbolSearchProvider = load_class(spec.search)(config)
    return provider


@dataclass
class Found:
    """What a fan-out search gathered: listings per provider and each failure in words."""

    listings: dict[str, list[SymbolInfo]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)


async def search_providers(
    config: Config, names: Sequence[str], query: str, limit: int = 20
) -> Found:
    """Ask every provider in ``names`` at once; one provider's failure (no key, unreachable)
    is reported, never fatal for the others."""
    found = Found()

    async def one(name: str) -> None:
        try:
            provider = open_search(config, name)
        except (ProviderError, ImportError) as exc:
            found.errors[name] = str(exc)
            return
        try:
            found.listings[name] = await provider.search(query, limit)
        except (ProviderError, OSError, TimeoutError) as exc:  # a socket API (IB) may refuse
            found.errors[name] = str(exc) or type(exc).__name__
        finally:
            await provider.aclose()

    await asyncio.gather(*(one(n) for n in names))
    return found
