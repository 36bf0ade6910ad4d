"""A simulated trading day with known faults (quality tests): quotes and trades every 10 s."""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, date, datetime

from mdc.domain.events import Event, Gap, Quote, Status, Trade
from mdc.domain.time import NS_PER_S, datetime_to_ns

STEP_S = 10
"""A trade every 10 s, a quote 5 s before each."""


def at(day: date, hh: int, mm: int, ss: int = 0) -> int:
    return datetime_to_ns(datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=UTC))


def price_at(i: int) -> float:
    return round(100 + 0.05 * math.sin(i / 20), 4)


def day_events(
    day: date,
    open_ns: int,
    close_ns: int,
    provider: str = "sim",
    symbol: str = "AAPL",
    skip: Sequence[tuple[int, int]] = (),
    spikes: Collection[int] = (),
    crossed: Collection[int] = (),
    offset_bp: Callable[[int], float] = lambda ts: 0.0,
) -> list[Event]:
    """Quotes and trades through ``[open_ns, close_ns)`` except the ``skip`` spans; the trade
    at ``spikes`` instants 5 % high, the quote at ``crossed`` instants crossed."""
    events: list[Event] = []
    ts = open_ns
    i = 0
    while ts < close_ns:
        if not any(a <= ts < b for a, b in skip):
            quote_ts = ts + 5 * NS_PER_S
            trade_ts = ts
            p = price_at(i) * (1 + offset_bp(ts) / 10_000)
            events.append(
                Trade(
                    symbol=symbol,
                    venue="XNAS",
                    provider=provider,
                    ts_event=trade_ts,
                    ts_recv=trade_ts + 1000,
                    price=round(p * 1.05, 4) if trade_ts in spikes else p,
                    size=100 + (i % 7) * 10,
                )
            )
            if quote_ts < close_ns:
                bid, ask = p - 0.02, p + 0.02
                if quote_ts in crossed:
                    bid, ask = ask + 0.01, bid
                events.append(
                    Quote(
                        symbol=symbol,
                        venue="XNAS",
                        provider=provider,
                        ts_event=quote_ts,
                        ts_recv=quote_ts + 1000,
                        bid_price=round(bid, 4),
                        bid_size=200,
                        ask_price=round(ask, 4),
                        ask_size=300,
                    )
                )
        ts += STEP_S * NS_PER_S
        i += 1
    return events


def status(symbol: str, ts: int, state: str) -> Status:
    return Status(
        symbol=symbol,
        venue="XNAS",
        provider="sim",
        ts_event=ts,
        ts_recv=ts + 1000,
        kind="trading",
        state=state,
    )


def gap(symbol: str, from_ts: int, to_ts: int) -> Gap:
    return Gap(
        symbol=symbol,
        venue="XNAS",
        provider="sim",
        ts_event=to_ts,
        ts_recv=to_ts,
        from_ts=from_ts,
        to_ts=to_ts,
        reason="disconnect",
    )


TUESDAY = date(2024, 11, 26)  # regular session 14:30–21:00 UTC
WEDNESDAY = date(2024, 11, 27)  # nothing recorded
FRIDAY = date(2024, 11, 29)  # after Thanksgiving: closes 13:00 New York, 18:00 UTC


def faulty_tuesday() -> list[Event]:
    d = TUESDAY
    events = day_events(
        d,
        at(d, 14, 30),
        at(d, 21, 0),
        skip=[(at(d, 15, 0), at(d, 15, 20)), (at(d, 16, 0), at(d, 16, 10))],
        spikes={at(d, 17, 0), at(d, 19, 30)},
        crossed={at(d, 18, 0, 5), at(d, 20, 0, 5)},
    )
    events += [
        gap("AAPL", at(d, 15, 0), at(d, 15, 20)),
        status("AAPL", at(d, 16, 0), "halted"),
        status("AAPL", at(d, 16, 10), "resumed"),
    ]
    return events


def faulty_week() -> list[Event]:
    """The faulty Tuesday and a clean early-close Friday (Wednesday empty, Thursday a holiday)."""
    return faulty_tuesday() + day_events(FRIDAY, at(FRIDAY, 14, 30), at(FRIDAY, 18, 0))
