"""The instrument registry: offline search, one instrument's identity and spellings, what the
archive holds for it, refreshes from providers, live provider search and OpenFIGI mapping."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from pydantic import BaseModel, ConfigDict, Field

from mdc.domain.time import today_utc
from mdc.instruments.holdings import describe, holdings
from mdc.instruments.refresh import (
    default_providers,
    keep_found,
    lookup_providers,
    map_symbols,
    refresh,
)
from mdc.instruments.registry import Registry
from mdc.providers.base import ProviderError
from mdc.providers.registry import UnknownProvider, get_spec
from mdc.providers.search import search_providers, searchable
from mdc.web.api.symbols import SYMBOL_PATTERN
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/instruments", tags=["instruments"])
Web = Annotated[WebState, Depends(get_web)]
MAX_LIMIT: Final = 100
MAX_MAP: Final = 500
ProviderName = Annotated[str | None, Query(max_length=64, description="Only this provider.")]
AsOf = Annotated[date | None, Query(description="Answer as the registry stood on this day.")]


class Providers(BaseModel):
    model_config = ConfigDict(extra="forbid")
    providers: list[str] = Field(
        default_factory=list, description="Empty: instruments.providers, else every one set up."
    )


class Lookup(BaseModel):
    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1, max_length=64)
    providers: list[str] = Field(
        default_factory=list, description="Empty: instruments.providers, else every searchable."
    )
    limit: int = Field(20, ge=1, le=MAX_LIMIT)


class MapSymbols(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbols: list[Annotated[str, Field(pattern=SYMBOL_PATTERN)]] = Field(
        min_length=1, max_length=MAX_MAP
    )


def registry(web: WebState) -> Registry:
    return Registry(web.root)


def _subscribed(web: WebState) -> set[str]:
    return set(web.runtime.symbols) if web.runtime is not None else set()


def _check(names: list[str], search: bool = True) -> None:
    for name in names:
        try:
            spec = get_spec(name)
        except UnknownProvider as exc:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None
        if search and spec.search is None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"{name!r} has no symbol search; with one: {', '.join(searchable())}",
            )


@router.get("/search", summary="Search the local registry (offline): symbol, spelling or name")
async def search(
    web: Web,
    q: Annotated[str, Query(min_length=1, max_length=64, description="Text typed.")],
    provider: ProviderName = None,
    asset_class: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 10,
    as_of: AsOf = None,
) -> list[dict[str, Any]]:
    found = await asyncio.to_thread(
        registry(web).search,
        q,
        provider=provider,
        asset_class=asset_class,
        limit=limit,
        as_of=as_of,
    )
    subscribed = _subscribed(web)
    return [{**describe(i), "subscribed": i.symbol in subscribed} for i in found]


@router.get("/registry", summary="Listings per provider and their last refresh")
async def registry_summary(web: Web) -> dict[str, Any]:
    reg = registry(web)
    return {
        "path": str(reg.path.relative_to(web.root)) if reg.exists else None,
        "providers": await asyncio.to_thread(reg.summary),
        "refresh_cron": web.config.instruments.refresh_cron or None,
        "searchable": searchable(),
    }


@router.post(
    "/refresh",
    dependencies=[MutatingRoute],
    summary="Load providers' full instrument lists into the registry now",
)
async def refresh_now(web: Web, body: Providers) -> dict[str, Any]:
    names = body.providers or default_providers(web.config)
    _check(names)
    report = await refresh(web.config, registry(web), names, today_utc())
    return {
        "refreshed": [r.__dict__ for r in report.refreshed],
        "errors": report.errors,
    }


@router.post(
    "/lookup",
    dependencies=[MutatingRoute],
    summary="Search providers live (results are kept in the registry)",
)
async def lookup(web: Web, body: Lookup) -> dict[str, Any]:
    names = body.providers or lookup_providers(web.config)
    _check(names)
    found = await search_providers(web.config, names, body.query, body.limit)
    await asyncio.to_thread(keep_found, registry(web), found.listings, today_utc())
    return {
        "results": {
            name: [i.symbol for i in infos] for name, infos in sorted(found.listings.items())
        },
        "errors": found.errors,
    }


@router.post(
    "/map",
    dependencies=[MutatingRoute],
    summary="Map symbols to FIGIs through OpenFIGI (kept in the registry)",
)
async def map_figi(web: Web, body: MapSymbols) -> dict[str, int]:
    try:
        return await map_symbols(web.config, registry(web), body.symbols, today_utc())
    except ProviderError as exc:
        raise HTTPException(status.HTTP_502_BAD_GATEWAY, detail=str(exc)) from None


@router.get("/{symbol:path}", summary="One instrument: identity, spellings, history, archive")
async def show(
    web: Web,
    symbol: Annotated[str, Path(pattern=SYMBOL_PATTERN, description="Any provider's spelling.")],
    as_of: AsOf = None,
) -> dict[str, Any]:
    reg = registry(web)
    found = await asyncio.to_thread(reg.get, symbol, as_of)
    if found is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            detail=f"{symbol!r} is not in the instrument registry; refresh it "
            "(mdc symbols refresh) or look it up live (mdc symbols search --live)",
        )
    history = await asyncio.to_thread(reg.history, found.key)
    held = await asyncio.to_thread(holdings, web.root, found.symbol)
    return {
        **describe(found),
        "subscribed": found.symbol in _subscribed(web),
        "history": history,
        "archive": held,
    }
