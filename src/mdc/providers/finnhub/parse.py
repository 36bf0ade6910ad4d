"""Finnhub candle responses (typed msgspec decode) → bars.

Format (https://finnhub.io/docs/api/stock-candles): parallel arrays ``o, h, l, c, v, t`` (``t`` in
Unix seconds) and a status ``s`` of ``ok`` or ``no_data``. Daily and longer candles are stamped
00:00 UTC of the session date.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from mdc.domain.events import Bar
from mdc.domain.interval import session_day_ns
from mdc.domain.time import NS_PER_S


class Candles(msgspec.Struct):
    s: str
    o: list[float] = []
    h: list[float] = []
    l: list[float] = []  # noqa: E741 - Finnhub's field name
    c: list[float] = []
    v: list[float] = []
    t: list[int] = []


def bars(
    candles: Candles,
    symbol: str,
    interval: str,
    daily: bool,
    venue: str,
    ts_recv: int,
) -> list[Bar]:
    if candles.s == "no_data":
        return []
    if candles.s != "ok":
        raise ValueError(f"status {candles.s!r}")
    n = len(candles.t)
    if not (len(candles.o) == len(candles.h) == len(candles.l) == len(candles.c) == n):
        raise ValueError(f"price arrays differ in length from {n} timestamps")
    volumes = candles.v or [0.0] * n
    out = []
    for i, t in enumerate(candles.t):
        ts = t * NS_PER_S
        if daily:
            ts = session_day_ns(datetime.fromtimestamp(t, tz=UTC).date())
        out.append(
            Bar(
                symbol=symbol,
                venue=venue,
                provider="finnhub",
                ts_event=ts,
                ts_recv=ts_recv,
                interval=interval,
                open=candles.o[i],
                high=candles.h[i],
                low=candles.l[i],
                close=candles.c[i],
                volume=volumes[i],
                adjusted=daily,
            )
        )
    return out
