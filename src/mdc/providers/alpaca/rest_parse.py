"""Alpaca Market Data v2 REST responses (typed msgspec decode) → events.

Format: https://alpaca.markets/docs/api-references/market-data-api/stock-pricing-data/historical/
``GET /v2/stocks/{symbol}/bars|trades|quotes`` return objects ``t, o, h, l, c, v, n, vw`` (bars),
``t, x, p, s, c, i, z`` (trades) and ``t, ax, ap, as, bx, bp, bs, c, z`` (quotes) with RFC 3339
timestamps of up to nanoseconds, and ``next_page_token`` while more pages remain.

Corporate actions: https://docs.alpaca.markets/reference/corporateactions
``GET /v1/corporate-actions`` returns ``{"corporate_actions": {"forward_splits": [...],
"reverse_splits": [...], "stock_dividends": [...], "cash_dividends": [...], ...},
"next_page_token": ...}``; splits carry ``new_rate``/``old_rate``, dividends ``rate``, all of
them ``ex_date``, ``process_date`` and (mostly) ``payable_date``.
"""

from __future__ import annotations

from typing import Literal

import msgspec

from mdc.domain.events import Bar, CorporateAction, Quote, Trade
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.ohlcv import ohlcv_bars
from mdc.providers.timestamps import parse_date_ns


class AlpacaBar(msgspec.Struct):
    t: str
    o: float
    h: float
    l: float  # noqa: E741 - Alpaca's field name
    c: float
    v: float
    n: int | None = None
    vw: float | None = None


class AlpacaTrade(msgspec.Struct):
    t: str
    p: float
    s: float
    x: str | None = None
    i: int | str | None = None
    c: list[str] | None = None
    z: str | None = None


class AlpacaQuote(msgspec.Struct, rename={"ask_size": "as"}):
    t: str
    ap: float = 0.0
    ask_size: float = 0.0
    bp: float = 0.0
    bs: float = 0.0
    ax: str | None = None
    bx: str | None = None
    c: list[str] | None = None
    z: str | None = None


class BarsPage(msgspec.Struct):
    bars: list[AlpacaBar] | None = None
    next_page_token: str | None = None


class TradesPage(msgspec.Struct):
    trades: list[AlpacaTrade] | None = None
    next_page_token: str | None = None


class QuotesPage(msgspec.Struct):
    quotes: list[AlpacaQuote] | None = None
    next_page_token: str | None = None


class AlpacaSplit(msgspec.Struct):
    symbol: str
    new_rate: float
    old_rate: float
    ex_date: str


class AlpacaDividend(msgspec.Struct):
    symbol: str
    rate: float
    ex_date: str
    payable_date: str | None = None


class AlpacaActions(msgspec.Struct):
    """The action types this collector keeps; the others (mergers, spin-offs…) are ignored."""

    forward_splits: list[AlpacaSplit] = []
    reverse_splits: list[AlpacaSplit] = []
    stock_dividends: list[AlpacaDividend] = []
    cash_dividends: list[AlpacaDividend] = []


class ActionsPage(msgspec.Struct):
    corporate_actions: AlpacaActions = msgspec.field(default_factory=AlpacaActions)
    next_page_token: str | None = None


def actions(body: AlpacaActions, symbol: str, venue: str, ts_recv: int) -> list[CorporateAction]:
    """Each action at its ex-date: a split's ``ratio`` is new shares per old (``new_rate /
    old_rate``), a stock dividend of ``rate`` is a split of ``1 + rate`` (5 % more shares), a
    cash dividend's ``amount`` is ``rate`` per share."""

    def action(
        ex_date: str,
        kind: Literal["split", "dividend"],
        ratio: float | None = None,
        amount: float | None = None,
        pay_date: str | None = None,
    ) -> CorporateAction:
        return CorporateAction(
            symbol=symbol,
            venue=venue,
            provider="alpaca",
            ts_event=parse_date_ns(ex_date),
            ts_recv=ts_recv,
            kind=kind,
            ratio=ratio,
            amount=amount,
            pay_date=pay_date,
        )

    out = [
        action(s.ex_date, "split", ratio=s.new_rate / s.old_rate if s.old_rate else None)
        for s in (*body.forward_splits, *body.reverse_splits)
    ]
    out += [action(d.ex_date, "split", ratio=1.0 + d.rate) for d in body.stock_dividends]
    out += [
        action(d.ex_date, "dividend", amount=d.rate, pay_date=d.payable_date)
        for d in body.cash_dividends
    ]
    return out


def bars(
    rows: list[AlpacaBar],
    symbol: str,
    interval: str,
    daily: bool,
    adjusted: bool,
    venue: str,
    ts_recv: int,
) -> list[Bar]:
    starts = [rfc3339_ns(r.t) for r in rows]
    return ohlcv_bars(rows, starts, "alpaca", symbol, interval, daily, adjusted, venue, ts_recv)


def trades(rows: list[AlpacaTrade], symbol: str, venue: str, ts_recv: int) -> list[Trade]:
    return [
        Trade(
            symbol=symbol,
            venue=venue,
            provider="alpaca",
            ts_event=rfc3339_ns(r.t),
            ts_recv=ts_recv,
            price=r.p,
            size=r.s,
            trade_id=None if r.i is None else str(r.i),
            exchange=r.x,
            conditions=r.c or [],
            tape=r.z,
        )
        for r in rows
    ]


def quotes(rows: list[AlpacaQuote], symbol: str, venue: str, ts_recv: int) -> list[Quote]:
    return [
        Quote(
            symbol=symbol,
            venue=venue,
            provider="alpaca",
            ts_event=rfc3339_ns(r.t),
            ts_recv=ts_recv,
            bid_price=r.bp,
            bid_size=r.bs,
            ask_price=r.ap,
            ask_size=r.ask_size,
            bid_exchange=r.bx,
            ask_exchange=r.ax,
            conditions=r.c or [],
            tape=r.z,
        )
        for r in rows
    ]
