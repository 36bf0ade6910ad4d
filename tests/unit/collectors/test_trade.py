from __future__ import annotations

import math

import pytest

from mdc.collectors.chain import Collectors
from mdc.domain.events import BookSnapshot, Event, Quote, Side, Trade
from mdc.domain.time import NS_PER_S

T0 = 1_700_000_000_000_000_000


def quote(
    bid: float,
    ask: float,
    ts: int = 0,
    *,
    bid_size: float = 100.0,
    ask_size: float = 100.0,
    venue: str = "XNAS",
) -> Quote:
    return Quote(
        symbol="AAPL",
        venue=venue,
        provider="feed",
        ts_event=T0 + ts,
        ts_recv=T0 + ts + 1,
        bid_price=bid,
        bid_size=bid_size,
        ask_price=ask,
        ask_size=ask_size,
    )


def trade(
    price: float, ts: int = 1, side: Side = "unknown", venue: str = "XNAS", seq: int | None = None
) -> Trade:
    return Trade(
        symbol="AAPL",
        venue=venue,
        provider="feed",
        ts_event=T0 + ts,
        ts_recv=T0 + ts + 1,
        seq=seq,
        price=price,
        size=10.0,
        side=side,
    )


def sides(events: list[Event]) -> list[str]:
    return [e.side for e in events if isinstance(e, Trade)]


@pytest.mark.parametrize(
    ("price", "expected"),
    [
        (10.02, "buy"),  # at the ask
        (10.05, "buy"),  # above the ask
        (10.00, "sell"),  # at the bid
        (9.90, "sell"),  # below the bid
        (10.01, "unknown"),  # inside the spread, no previous trade
    ],
)
def test_quote_rule(price: float, expected: str) -> None:
    c = Collectors()
    out = c.process([quote(10.00, 10.02), trade(price)])
    assert sides(out) == [expected]
    assert c.stats()["sides_inferred"] == (0 if expected == "unknown" else 1)


def test_tick_rule_inside_the_spread_and_without_quotes() -> None:
    c = Collectors()
    # No quote: first print unknown, then up-tick buy, zero-tick keeps buy, down-tick sell,
    # zero-tick keeps sell.
    out = c.process(
        [trade(10.0, 1), trade(10.1, 2), trade(10.1, 3), trade(10.05, 4), trade(10.05, 5)]
    )
    assert sides(out) == ["unknown", "buy", "buy", "sell", "sell"]
    # Inside the spread the tick rule decides.
    out = c.process([quote(9.0, 11.0, 6), trade(10.07, 7), trade(10.06, 8)])
    assert sides(out) == ["buy", "sell"]


def test_zero_tick_without_a_previous_change_stays_unknown() -> None:
    out = Collectors().process([trade(10.0, 1), trade(10.0, 2)])
    assert sides(out) == ["unknown", "unknown"]


def test_side_given_by_the_feed_is_kept_and_feeds_the_tick_rule() -> None:
    c = Collectors()
    out = c.process([quote(10.0, 10.02), trade(10.0, 2, side="buy"), trade(10.01, 3)])
    assert sides(out) == ["buy", "buy"]  # 10.01 is an up-tick from 10.00
    assert c.stats()["sides_inferred"] == 1


@pytest.mark.parametrize(
    "bad_quote",
    [
        quote(10.02, 10.02),  # locked
        quote(10.03, 10.02),  # crossed
        quote(10.00, 10.02, ask_size=0.0),  # one side empty
    ],
)
def test_unusable_quote_falls_back_to_the_tick_rule(bad_quote: Quote) -> None:
    out = Collectors().process([trade(10.05, -1), bad_quote, trade(10.02, 1)])
    assert sides(out) == ["unknown", "sell"]


def test_stale_quote_is_not_used() -> None:
    c = Collectors(stale_after_ns=5 * NS_PER_S)
    fresh = c.process([quote(10.0, 10.02, 0), trade(10.02, 5 * NS_PER_S)])
    assert sides(fresh) == ["buy"]
    c = Collectors(stale_after_ns=5 * NS_PER_S)
    stale = c.process([quote(10.0, 10.02, 0), trade(10.02, 5 * NS_PER_S + 1)])
    assert sides(stale) == ["unknown"]


def test_book_top_is_used_when_the_stream_has_no_quotes() -> None:
    snap = BookSnapshot(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0,
        ts_recv=T0 + 1,
        bids=[(10.0, 5.0)],
        asks=[(10.02, 5.0)],
    )
    out = Collectors().process([snap, trade(10.02), trade(9.99, 2)])
    assert sides(out) == ["buy", "sell"]


def test_quote_of_another_venue_is_not_used() -> None:
    out = Collectors().process([quote(10.0, 10.02, venue="ARCX"), trade(10.02)])
    assert sides(out) == ["unknown"]


def test_late_trade_does_not_move_the_tick_state() -> None:
    c = Collectors(seq_rules={"feed": ("symbol", True)})
    out = c.process(
        [trade(10.0, 1, seq=1), trade(10.5, 2, seq=2), trade(9.0, 3, seq=1), trade(10.5, 4, seq=3)]
    )
    # The late print is inferred against the current state (down-tick) but is not the new
    # reference: the next print at 10.5 is a zero-tick after the up-tick to 10.5.
    assert sides(out) == ["unknown", "buy", "sell", "buy"]


def test_trade_with_a_non_finite_price_stays_unknown_and_is_not_a_reference() -> None:
    out = Collectors().process([trade(10.0, 1), trade(math.nan, 2), trade(10.1, 3)])
    assert sides(out) == ["unknown", "unknown", "buy"]
