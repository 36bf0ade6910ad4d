"""Live data for the dashboard: recent trades, BBO, order-book top N, price path, throughput."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Annotated, Any, Final

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, status

from mdc.web.live import BOOK_LEVELS, LiveView
from mdc.web.responses import EventStream, sse_message
from mdc.web.state import WebState, get_web, live_runtime

router = APIRouter(prefix="/api/live", tags=["live"])
Web = Annotated[WebState, Depends(get_web)]
Symbol = Annotated[str, Path(min_length=1, max_length=64, description="A subscribed symbol.")]
"""A ``path`` parameter, so pairs such as BTC/USD route; ``/stream`` is declared first."""
Levels = Annotated[int, Query(ge=1, le=50, description="Order-book levels per side.")]
Trades = Annotated[int, Query(ge=1, le=200, description="Most recent trades to include.")]
LIVE_INTERVAL_S: Final = 0.2


def _subscribed(web: WebState, symbol: str) -> LiveView:
    runtime, live = live_runtime(web)
    if symbol not in runtime.symbols:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=f"{symbol!r} is not subscribed")
    return live


@router.get("/throughput", summary="Events per second, once a second, for the last 10 minutes")
async def throughput(web: Web) -> list[dict[str, Any]]:
    _, live = live_runtime(web)
    return [{"ts": ts, "events_per_s": n, "by_type": t} for ts, n, t in live.throughput]


@router.get(
    "/{symbol:path}/stream",
    summary="Server-Sent Events: a full snapshot, then only what changed, 5 times a second",
    response_class=EventStream,
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def stream(
    web: Web, symbol: Symbol, request: Request, levels: Levels = BOOK_LEVELS
) -> EventStream:
    live = _subscribed(web, symbol)

    async def events() -> AsyncIterator[bytes]:
        first = live.snapshot(symbol, 50, levels)
        yield b"retry: 1000\n\n" + sse_message(web.redactor, first, "snapshot")
        sent = first["trade_count"]
        last_price_ts = first["prices"][-1][0] if first["prices"] else 0
        last_body: Any = None
        while not web.closing.is_set() and not await request.is_disconnected():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(web.closing.wait(), LIVE_INTERVAL_S)
            snap = live.snapshot(symbol, 50, levels)
            new = min(snap["trade_count"] - sent, 50)
            prices = [p for p in snap["prices"] if p[0] >= last_price_ts]
            body = {
                "trades": snap["trades"][:new] if new > 0 else [],
                "prices": prices,
                "bbo": snap["bbo"],
                "book": snap["book"],
                "trade_count": snap["trade_count"],
            }
            sent = snap["trade_count"]
            if prices:
                last_price_ts = prices[-1][0]
            if body != last_body:
                yield sse_message(web.redactor, body, "update")
                last_body = body

    return EventStream(events())


@router.get("/{symbol:path}", summary="Recent trades, BBO, order book and price path of a symbol")
async def snapshot(
    web: Web, symbol: Symbol, levels: Levels = BOOK_LEVELS, trades: Trades = 50
) -> dict[str, Any]:
    return _subscribed(web, symbol).snapshot(symbol, trades, levels)
