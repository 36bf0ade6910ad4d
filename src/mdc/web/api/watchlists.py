"""Watchlists: list, read (JSON or the CSV file), save, delete, and subscribe a whole list to
the running collector."""

from __future__ import annotations

from typing import Annotated, Any, Final

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Path, Query, status
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from mdc.instruments.watchlists import NAME_PATTERN, Entry, WatchlistError, Watchlists, dumps
from mdc.providers.registry import all_specs
from mdc.web.api.symbols import SYMBOL_PATTERN
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web, live_runtime

router = APIRouter(prefix="/api/watchlists", tags=["watchlists"])
Web = Annotated[WebState, Depends(get_web)]
Name = Annotated[str, Path(pattern=NAME_PATTERN.pattern, description="Watchlist name.")]
MAX_ENTRIES: Final = 5000


class EntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbol: str = Field(pattern=SYMBOL_PATTERN)
    provider: str = ""
    trades: bool = True
    quotes: bool = True
    depth: bool = True
    depth_levels: int = Field(10, ge=1, le=50)


class WatchlistIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbols: list[EntryIn] = Field(max_length=MAX_ENTRIES)


def lists(web: WebState) -> Watchlists:
    return Watchlists(web.root, web.config)


def _entries(web: WebState, name: str) -> list[Entry]:
    try:
        return lists(web).get(name)
    except KeyError as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc.args[0])) from None
    except WatchlistError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, detail=str(exc)) from None


@router.get("", summary="Every watchlist: name, where it is defined, size")
async def list_watchlists(web: Web) -> list[dict[str, Any]]:
    wl = lists(web)
    return [
        {"name": name, "source": source, "symbols": len(_entries(web, name))}
        for name, source in wl.names().items()
    ]


@router.get(
    "/{name}",
    summary="One watchlist (format=csv or json gives the file export writes)",
    responses={200: {"content": {"text/csv": {}, "application/json": {}}}},
)
async def get_watchlist(
    web: Web, name: Name, format: Annotated[str | None, Query(pattern="^(csv|json)$")] = None
) -> Any:
    entries = _entries(web, name)
    if format is not None:
        media = "text/csv" if format == "csv" else "application/json"
        return Response(dumps(entries, "csv" if format == "csv" else "json"), media_type=media)
    subscribed = set(web.runtime.symbols) if web.runtime is not None else set()
    return {
        "name": name,
        "source": lists(web).names().get(name),
        "symbols": [
            {**msgspec.to_builtins(e), "subscribed": e.symbol in subscribed} for e in entries
        ],
    }


@router.put("/{name}", dependencies=[MutatingRoute], summary="Save a watchlist (replaces it)")
async def put_watchlist(web: Web, name: Name, body: WatchlistIn) -> dict[str, Any]:
    known = all_specs()
    seen: set[str] = set()
    entries = []
    for i, s in enumerate(body.symbols, start=1):
        if s.provider and s.provider not in known:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"row {i}, column provider: unknown provider {s.provider!r}",
            )
        symbol = s.symbol.upper()
        if symbol in seen:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                detail=f"row {i}, column symbol: {symbol!r} is listed twice",
            )
        seen.add(symbol)
        entries.append(Entry(**{**s.model_dump(), "symbol": symbol}))
    try:
        lists(web).save(name, entries)
    except WatchlistError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    return {"name": name, "symbols": len(entries)}


@router.delete("/{name}", dependencies=[MutatingRoute], summary="Delete a saved watchlist")
async def delete_watchlist(web: Web, name: Name) -> dict[str, str]:
    try:
        deleted = lists(web).delete(name)
    except WatchlistError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
    if not deleted:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"no saved watchlist {name!r}")
    return {"deleted": name}


@router.post(
    "/{name}/subscribe",
    dependencies=[MutatingRoute],
    summary="Subscribe the running collector to every symbol of a watchlist",
)
async def subscribe_watchlist(web: Web, name: Name) -> dict[str, list[str]]:
    runtime, _ = live_runtime(web)
    entries = _entries(web, name)
    added = await runtime.add_symbols([e.symbol_config() for e in entries])
    return {
        "added": added,
        "already_subscribed": [e.symbol for e in entries if e.symbol not in added],
    }
