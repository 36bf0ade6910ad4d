"""Subscriptions: list, add, change and remove symbols while the collector runs."""

from __future__ import annotations

from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field

from mdc.config.schema import SymbolConfig
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web, live_runtime

router = APIRouter(prefix="/api/symbols", tags=["symbols"])
Web = Annotated[WebState, Depends(get_web)]
SYMBOL_PATTERN: Final = r"^[A-Za-z0-9][A-Za-z0-9._:/^=-]{0,63}$"
"""Tickers, crypto pairs (BTC-USD, BTC/USD), futures (ES=F), indices (^GSPC)."""
Symbol = Annotated[str, Path(pattern=SYMBOL_PATTERN, description="Symbol, e.g. AAPL or BTC/USD.")]
"""Routes take the symbol as a ``path`` parameter: a server decodes ``BTC%2FUSD`` to ``BTC/USD``
before routing, so a plain ``{symbol}`` would never match a pair with a slash."""
MAX_ADD: Final = 100


class SymbolOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trades: bool = True
    quotes: bool = True
    depth: bool = True
    depth_levels: int = Field(10, ge=1, le=50)


class SymbolIn(SymbolOptions):
    symbol: str = Field(pattern=SYMBOL_PATTERN, description="Symbol, e.g. AAPL.")


class AddSymbols(BaseModel):
    model_config = ConfigDict(extra="forbid")
    symbols: list[SymbolIn] = Field(min_length=1, max_length=MAX_ADD)


def _config(symbol: str, options: SymbolOptions) -> SymbolConfig:
    return SymbolConfig(
        symbol=symbol,
        trades=options.trades,
        quotes=options.quotes,
        depth=options.depth,
        depth_levels=options.depth_levels,
    )


@router.get("", summary="Subscribed symbols with their options, counts and last event time")
async def list_symbols(web: Web) -> list[dict[str, Any]]:
    if web.runtime is None:
        return []
    rt = web.runtime
    return [
        {
            "symbol": name,
            "trades": cfg.trades,
            "quotes": cfg.quotes,
            "depth": cfg.depth,
            "depth_levels": cfg.depth_levels,
            "events": rt.symbol_counts.get(name, 0),
            "last_event_ns": rt.last_event_ns.get(name),
        }
        for name, cfg in rt.symbols.items()
    ]


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    dependencies=[MutatingRoute],
    summary="Subscribe to symbols now (already subscribed ones are left as they are)",
)
async def add_symbols(web: Web, body: AddSymbols) -> dict[str, list[str]]:
    runtime, _ = live_runtime(web)
    added = await runtime.add_symbols([_config(s.symbol, s) for s in body.symbols])
    existing = [s.symbol for s in body.symbols if s.symbol not in added]
    return {"added": added, "already_subscribed": existing}


@router.put(
    "/{symbol:path}",
    dependencies=[MutatingRoute],
    summary="Change what is collected for a subscribed symbol (resubscribes it)",
)
async def change_symbol(web: Web, symbol: Symbol, body: SymbolOptions) -> dict[str, Any]:
    runtime, _ = live_runtime(web)
    if symbol not in runtime.symbols:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{symbol!r} is not subscribed")
    await runtime.remove_symbols([symbol])
    await runtime.add_symbols([_config(symbol, body)])
    return {"symbol": symbol, **body.model_dump()}


@router.delete(
    "/{symbol:path}", dependencies=[MutatingRoute], summary="Unsubscribe from a symbol now"
)
async def remove_symbol(web: Web, symbol: Symbol) -> dict[str, list[str]]:
    runtime, _ = live_runtime(web)
    removed = await runtime.remove_symbols([symbol])
    if not removed:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{symbol!r} is not subscribed")
    return {"removed": removed}
