"""Simulated history: same data on every call, bars consistent across intervals, ticks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import date
from itertools import pairwise
from typing import TypeVar

import pytest

from mdc.config import load_config
from mdc.domain.events import Bar, Quote, Trade
from mdc.domain.time import date_to_ns, iso
from mdc.providers.base import UnsupportedRequest
from mdc.providers.simulated.historical import SimulatedHistory

T = TypeVar("T")


def collect(pages: AsyncIterator[list[T]]) -> list[list[T]]:
    async def gather() -> list[list[T]]:
        return [page async for page in pages]

    return asyncio.run(gather())


def history(**simulated: object) -> SimulatedHistory:
    env = {f"MDC_PROVIDERS__SIMULATED__{k.upper()}": str(v) for k, v in simulated.items()}
    return SimulatedHistory(load_config(env=env))


def test_daily_bars_are_the_same_on_every_call_and_for_any_range() -> None:
    h = history()
    pages = collect(h.bars("SPY", date(2023, 11, 1), date(2024, 2, 29), "1d"))
    wide = [b for p in pages for b in p]
    narrow = collect(h.bars("SPY", date(2024, 1, 2), date(2024, 1, 2), "1d"))
    again = collect(h.bars("SPY", date(2024, 1, 2), date(2024, 1, 2), "1d"))
    assert narrow == again
    assert narrow[0] == [b for b in wide if b.ts_event == date_to_ns(date(2024, 1, 2))]
    # Weekdays only, from 2023-11-01 (Wed) to 2024-02-29 (Thu): 87 sessions in 4 monthly pages.
    assert len(wide) == 87
    assert [len(p) for p in pages] == [22, 21, 23, 21]
    assert narrow[0][0].open == 450.0  # the anchor session opens at the start price
    assert narrow[0][0].interval == "1d"
    assert all(b.low <= min(b.open, b.close) <= max(b.open, b.close) <= b.high for b in wide)
    other = collect(history(seed=1).bars("SPY", date(2024, 1, 3), date(2024, 1, 3), "1d"))
    jan3 = next(b for b in wide if b.ts_event == date_to_ns(date(2024, 1, 3)))
    assert other[0][0].close != jan3.close


def test_coarser_bars_are_the_minute_bars_rolled_up() -> None:
    h = history()
    day = date(2024, 3, 5)
    (minutes,) = collect(h.bars("AAPL", day, day, "1m"))
    (hours,) = collect(h.bars("AAPL", day, day, "1h"))
    (daily,) = collect(h.bars("AAPL", day, day, "1d"))
    assert len(minutes) == 390
    assert iso(minutes[0].ts_event) == "2024-03-05T14:30:00.000000000Z"  # 09:30 New York (EST)
    assert iso(minutes[-1].ts_event) == "2024-03-05T20:59:00.000000000Z"
    assert [iso(b.ts_event)[11:16] for b in hours] == [
        "14:00", "15:00", "16:00", "17:00", "18:00", "19:00", "20:00"
    ]  # fmt: skip
    assert hours[0].volume == sum(b.volume for b in minutes[:30])
    (bar,) = daily
    assert bar.open == minutes[0].open
    assert bar.close == minutes[-1].close
    assert bar.high == max(b.high for b in minutes)
    assert bar.low == min(b.low for b in minutes)
    assert bar.volume == sum(b.volume for b in minutes)
    assert bar.trades == sum(b.trades or 0 for b in minutes)
    assert bar.high == max(b.high for b in hours)
    for a, b in pairwise(minutes):
        assert b.open == a.close


def test_summer_sessions_open_at_0930_new_york_daylight_time() -> None:
    (minutes,) = collect(history().bars("MSFT", date(2024, 7, 1), date(2024, 7, 1), "30m"))
    assert iso(minutes[0].ts_event) == "2024-07-01T13:30:00.000000000Z"
    assert len(minutes) == 13


def test_trades_and_quotes_are_deterministic_and_follow_the_day() -> None:
    h = history(history_events_per_day=4000)
    day = date(2024, 1, 2)
    trades = [t for p in collect(h.trades("AAPL", day, day)) for t in p]
    quotes = [q for p in collect(h.quotes("AAPL", day, day)) for q in p]
    assert trades == [t for p in collect(h.trades("AAPL", day, day)) for t in p]
    assert all(isinstance(t, Trade) for t in trades) and all(isinstance(q, Quote) for q in quotes)
    assert 3900 <= len(trades) + len(quotes) <= 4100
    (bar,) = collect(h.bars("AAPL", day, day, "1d"))[0]
    assert bar.open == 190.0
    assert all(abs(t.price - bar.close) / bar.close < 0.1 for t in trades)
    assert all(q.bid_price < q.ask_price for q in quotes)
    stamps = [t.ts_event for t in trades]
    assert stamps == sorted(stamps)
    assert iso(stamps[0])[:13] == "2024-01-02T14" and iso(stamps[-1])[:13] == "2024-01-02T20"
    assert all(t.ts_recv == t.ts_event for t in trades)


def test_weekends_have_no_data() -> None:
    h = history()
    assert collect(h.bars("SPY", date(2024, 1, 6), date(2024, 1, 7), "1d")) == []
    assert collect(h.trades("SPY", date(2024, 1, 6), date(2024, 1, 7))) == []


@pytest.mark.parametrize(
    ("interval", "message"),
    [
        ("1s", "interval must be Nm, Nh or 1d, got '1s'"),
        ("2d", "only 1d daily bars, got '2d'"),
        ("25h", "intraday bars up to 24h, got '25h'"),
        ("0m", "interval must be Nm, Nh or 1d, got '0m'"),
    ],
)
def test_unsupported_intervals_say_why(interval: str, message: str) -> None:
    with pytest.raises(UnsupportedRequest, match=message):
        collect(history().bars("SPY", date(2024, 1, 2), date(2024, 1, 2), interval))


def test_dates_outside_the_simulated_history_are_refused() -> None:
    with pytest.raises(UnsupportedRequest, match=r"covers 1990-01-01\.\.2099-12-31"):
        collect(history().bars("SPY", date(1985, 1, 1), date(1985, 1, 31), "1d"))


def test_bar_type_is_the_event_model_bar() -> None:
    (page,) = collect(history().bars("QQQ", date(2024, 1, 2), date(2024, 1, 2), "1d"))
    assert type(page[0]) is Bar
    assert (page[0].venue, page[0].provider, page[0].adjusted) == ("SIM", "simulated", True)
