"""Polygon REST responses (typed msgspec decode) → events.

Formats: aggregates https://polygon.io/docs/stocks/get_v2_aggs_ticker__stocksticker__range__multiplier___timespan___from___to,
trades https://polygon.io/docs/stocks/get_v3_trades__stockticker,
quotes https://polygon.io/docs/stocks/get_v3_quotes__stockticker,
splits https://massive.com/docs/rest/stocks/corporate-actions/splits and dividends
https://massive.com/docs/rest/stocks/corporate-actions/dividends (``/stocks/v1/…``, which replaced
the ``/v3/reference/…`` endpoints on 2026-02-18; field names as in ``StockSplit`` and
``StockDividend`` of ``massive/rest/models/`` in https://github.com/massive-com/client-python,
both read 2026-12-02).
Trades and quotes are stamped with ``sip_timestamp`` (ns, always present, the key Polygon sorts
by, and what its WebSocket stream stamps) and keep ``sequence_number`` as ``seq``.
"""

from __future__ import annotations

from typing import Generic, TypeVar

import msgspec

from mdc.domain.events import Bar, CorporateAction, Quote, Trade
from mdc.domain.time import NS_PER_MS
from mdc.providers.ohlcv import ohlcv_bars
from mdc.providers.timestamps import parse_date_ns

T = TypeVar("T")


class Agg(msgspec.Struct):
    t: int
    o: float
    h: float
    l: float  # noqa: E741 - Polygon's field name
    c: float
    v: float
    vw: float | None = None
    n: int | None = None


class V3Trade(msgspec.Struct):
    sip_timestamp: int
    price: float
    size: float
    exchange: int | None = None
    id: str | None = None
    conditions: list[int] = []
    tape: int | None = None
    sequence_number: int | None = None


class V3Quote(msgspec.Struct):
    sip_timestamp: int
    bid_price: float = 0.0
    bid_size: float = 0.0
    ask_price: float = 0.0
    ask_size: float = 0.0
    bid_exchange: int | None = None
    ask_exchange: int | None = None
    conditions: list[int] = []
    tape: int | None = None
    sequence_number: int | None = None


class Split(msgspec.Struct):
    """``/stocks/v1/splits`` row; ``adjustment_type`` is ``forward_split``, ``reverse_split`` or
    ``stock_dividend`` (all share-count changes, so all become a split ratio)."""

    execution_date: str
    split_from: float
    split_to: float
    adjustment_type: str | None = None


class Dividend(msgspec.Struct):
    """``/stocks/v1/dividends`` row; ``distribution_type`` is ``recurring``, ``special``,
    ``supplemental``, ``irregular`` or ``unknown`` (all cash)."""

    ex_dividend_date: str
    cash_amount: float
    currency: str | None = None
    pay_date: str | None = None
    distribution_type: str | None = None


class Page(msgspec.Struct, Generic[T]):
    """Every Polygon list response: ``results`` plus ``next_url`` while more pages remain."""

    results: list[T] | None = None
    next_url: str | None = None
    status: str = ""
    error: str | None = None
    message: str | None = None


def bars(
    aggs: list[Agg],
    symbol: str,
    interval: str,
    daily: bool,
    adjusted: bool,
    venue: str,
    ts_recv: int,
) -> list[Bar]:
    starts = [a.t * NS_PER_MS for a in aggs]
    return ohlcv_bars(aggs, starts, "polygon", symbol, interval, daily, adjusted, venue, ts_recv)


def trades(rows: list[V3Trade], symbol: str, venue: str, ts_recv: int) -> list[Trade]:
    return [
        Trade(
            symbol=symbol,
            venue=venue,
            provider="polygon",
            ts_event=r.sip_timestamp,
            ts_recv=ts_recv,
            seq=r.sequence_number,
            price=r.price,
            size=r.size,
            trade_id=r.id,
            exchange=None if r.exchange is None else str(r.exchange),
            conditions=[str(c) for c in r.conditions],
            tape=None if r.tape is None else str(r.tape),
        )
        for r in rows
    ]


def quotes(rows: list[V3Quote], symbol: str, venue: str, ts_recv: int) -> list[Quote]:
    return [
        Quote(
            symbol=symbol,
            venue=venue,
            provider="polygon",
            ts_event=r.sip_timestamp,
            ts_recv=ts_recv,
            seq=r.sequence_number,
            bid_price=r.bid_price,
            bid_size=r.bid_size,
            ask_price=r.ask_price,
            ask_size=r.ask_size,
            bid_exchange=None if r.bid_exchange is None else str(r.bid_exchange),
            ask_exchange=None if r.ask_exchange is None else str(r.ask_exchange),
            conditions=[str(c) for c in r.conditions],
            tape=None if r.tape is None else str(r.tape),
        )
        for r in rows
    ]


def splits(rows: list[Split], symbol: str, venue: str, ts_recv: int) -> list[CorporateAction]:
    """``ratio`` = new shares per old (``split_to / split_from``: 4 for a 4-for-1)."""
    return [
        CorporateAction(
            symbol=symbol,
            venue=venue,
            provider="polygon",
            ts_event=parse_date_ns(r.execution_date),
            ts_recv=ts_recv,
            kind="split",
            ratio=r.split_to / r.split_from if r.split_from else None,
        )
        for r in rows
    ]


def dividends(rows: list[Dividend], symbol: str, venue: str, ts_recv: int) -> list[CorporateAction]:
    """Cash dividends at their ex-date."""
    return [
        CorporateAction(
            symbol=symbol,
            venue=venue,
            provider="polygon",
            ts_event=parse_date_ns(r.ex_dividend_date),
            ts_recv=ts_recv,
            kind="dividend",
            amount=r.cash_amount,
            currency=r.currency,
            pay_date=r.pay_date,
        )
        for r in rows
    ]
