"""Bars from the OHLCV rows Alpaca's and Polygon's REST histories both send (``o h l c v vw n``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from mdc.domain.events import Bar
from mdc.domain.interval import local_date, session_day_ns


class OhlcvRow(Protocol):
    @property
    def o(self) -> float: ...
    @property
    def h(self) -> float: ...
    @property
    def l(self) -> float: ...  # noqa: E743 - the wire's name
    @property
    def c(self) -> float: ...
    @property
    def v(self) -> float: ...
    @property
    def vw(self) -> float | None: ...
    @property
    def n(self) -> int | None: ...


def ohlcv_bars(
    rows: Sequence[OhlcvRow],
    starts_ns: Sequence[int],
    provider: str,
    symbol: str,
    interval: str,
    daily: bool,
    adjusted: bool,
    venue: str,
    ts_recv: int,
) -> list[Bar]:
    """One bar per row, starting at ``starts_ns`` (row for row); daily and longer bars, which the
    providers stamp at the exchange's midnight, move to midnight UTC of their session date."""
    out = []
    for r, ts in zip(rows, starts_ns, strict=True):
        if daily:
            ts = session_day_ns(local_date(ts))
        out.append(
            Bar(
                symbol=symbol,
                venue=venue,
                provider=provider,
                ts_event=ts,
                ts_recv=ts_recv,
                interval=interval,
                open=r.o,
                high=r.h,
                low=r.l,
                close=r.c,
                volume=r.v,
                vwap=r.vw,
                trades=r.n,
                adjusted=adjusted,
            )
        )
    return out
