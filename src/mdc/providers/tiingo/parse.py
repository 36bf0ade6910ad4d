"""Tiingo JSON responses (typed msgspec decode) → events.

End-of-day rows (https://api.tiingo.com/documentation/end-of-day): ``date`` (midnight UTC of the
session), ``open/high/low/close/volume`` raw, ``adjOpen/adjHigh/adjLow/adjClose/adjVolume``
split- and dividend-adjusted (CRSP method), ``divCash`` (cash dividend on that ex-date) and
``splitFactor`` (1.0 unless a split took effect that day).
IEX rows (https://api.tiingo.com/documentation/iex): ``date`` (bar start, UTC) and the columns
asked for. Errors come back as an object ``{"detail": "..."}`` instead of a list.

Re-checked 2026-12-03 against those pages and the client Tiingo's docs list
(github.com/hydrosquall/tiingo-python ``tiingo/api.py``: ``Authorization: Token``,
``tiingo/daily/<ticker>/prices``, ``iex/<ticker>/prices`` with ``resampleFreq`` and ``columns``):
unchanged, except that since 2025-02-01 IEX's full TOPS data needs a market-data agreement
with IEX, and accounts without one get Tiingo's derived reference price. A field that needs the
agreement can come back ``null``; an IEX bar's ``volume`` may, and is stored as 0.0 (unknown),
never a reason to reject the page.
"""

from __future__ import annotations

import msgspec

from mdc.domain.events import Bar, CorporateAction
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.actions import day_actions
from mdc.providers.timestamps import parse_date_ns


class DailyRow(msgspec.Struct, rename="camel"):
    date: str
    open: float
    high: float
    low: float
    close: float
    volume: float
    adj_open: float | None = None
    adj_high: float | None = None
    adj_low: float | None = None
    adj_close: float | None = None
    adj_volume: float | None = None
    div_cash: float = 0.0
    split_factor: float = 1.0


class IexRow(msgspec.Struct):
    date: str
    open: float
    high: float
    low: float
    close: float
    volume: float | None = None


class Detail(msgspec.Struct):
    """Tiingo's error body."""

    detail: str


def daily_bars(
    rows: list[DailyRow], symbol: str, interval: str, adjusted: bool, venue: str, ts_recv: int
) -> list[Bar]:
    out = []
    for r in rows:
        if adjusted:
            if r.adj_open is None or r.adj_high is None or r.adj_low is None:
                raise ValueError(f"row {r.date} has no adjusted prices")
            if r.adj_close is None or r.adj_volume is None:
                raise ValueError(f"row {r.date} has no adjusted close or volume")
            prices = (r.adj_open, r.adj_high, r.adj_low, r.adj_close, r.adj_volume)
        else:
            prices = (r.open, r.high, r.low, r.close, r.volume)
        out.append(
            Bar(
                symbol=symbol,
                venue=venue,
                provider="tiingo",
                ts_event=parse_date_ns(r.date),
                ts_recv=ts_recv,
                interval=interval,
                open=prices[0],
                high=prices[1],
                low=prices[2],
                close=prices[3],
                volume=prices[4],
                adjusted=adjusted,
            )
        )
    return out


def iex_bars(rows: list[IexRow], symbol: str, interval: str, venue: str, ts_recv: int) -> list[Bar]:
    return [
        Bar(
            symbol=symbol,
            venue=venue,
            provider="tiingo",
            ts_event=rfc3339_ns(r.date),
            ts_recv=ts_recv,
            interval=interval,
            open=r.open,
            high=r.high,
            low=r.low,
            close=r.close,
            volume=r.volume or 0.0,
            adjusted=False,
        )
        for r in rows
    ]


def corporate_actions(
    rows: list[DailyRow], symbol: str, venue: str, ts_recv: int
) -> list[CorporateAction]:
    """Dividends (``divCash`` > 0) and splits (``splitFactor`` ≠ 1) from raw daily rows."""
    out = []
    for r in rows:
        out += day_actions(
            "tiingo",
            symbol,
            venue,
            parse_date_ns(r.date),
            ts_recv,
            ratio=r.split_factor if r.split_factor != 1.0 else None,
            amount=r.div_cash if r.div_cash > 0 else None,
        )
    return out
