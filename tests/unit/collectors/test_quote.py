from __future__ import annotations

import math

from mdc.collectors.chain import Collectors
from mdc.domain.events import BookDelta, BookSnapshot, Quote

T0 = 1_700_000_000_000_000_000


def quote(bid: float, ask: float, ts: int, venue: str = "XNAS", provider: str = "feed") -> Quote:
    return Quote(
        symbol="AAPL",
        venue=venue,
        provider=provider,
        ts_event=T0 + ts,
        ts_recv=T0 + ts + 1,
        bid_price=bid,
        bid_size=100.0,
        ask_price=ask,
        ask_size=200.0,
    )


def test_bbo_is_the_newest_quote() -> None:
    c = Collectors()
    first, second = quote(10.0, 10.1, 1), quote(10.05, 10.1, 2)
    c.process([first, second])
    assert c.bbo("AAPL") is second
    assert c.bbo("MSFT") is None
    assert c.stats()["bbo_streams"] == 1


def test_bbo_across_venues_and_providers() -> None:
    c = Collectors()
    xnas, arcx = quote(10.0, 10.1, 5), quote(10.01, 10.1, 3, "ARCX")
    other = quote(9.0, 9.1, 9, "XNAS", "b")
    c.process([xnas, arcx, other])
    assert c.bbo("AAPL") is other
    assert c.bbo("AAPL", "ARCX") is arcx
    assert c.bbo("AAPL", "BATS") is None


def test_bbo_from_the_book_top_when_there_are_no_quotes() -> None:
    c = Collectors()
    snap = BookSnapshot(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0,
        ts_recv=T0 + 1,
        seq=4,
        bids=[(10.0, 5.0), (9.9, 1.0)],
        asks=[(10.2, 7.0)],
    )
    c.process([snap])
    assert c.bbo("AAPL") == Quote(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0,
        ts_recv=T0 + 1,
        seq=4,
        bid_price=10.0,
        bid_size=5.0,
        ask_price=10.2,
        ask_size=7.0,
    )


def test_one_sided_book_gives_nan_for_the_missing_side() -> None:
    c = Collectors()
    c.process(
        [
            BookDelta(
                symbol="AAPL",
                venue="XNAS",
                provider="feed",
                ts_event=T0,
                ts_recv=T0,
                side="bid",
                price=10.0,
                size=3.0,
            )
        ]
    )
    bbo = c.bbo("AAPL")
    assert bbo is not None
    assert (bbo.bid_price, bbo.bid_size, bbo.ask_size) == (10.0, 3.0, 0.0)
    assert math.isnan(bbo.ask_price)


def test_empty_book_has_no_bbo() -> None:
    c = Collectors()
    c.process(
        [
            BookSnapshot(
                symbol="AAPL",
                venue="XNAS",
                provider="feed",
                ts_event=T0,
                ts_recv=T0,
                bids=[],
                asks=[],
            )
        ]
    )
    assert c.book("AAPL") is not None
    assert c.bbo("AAPL") is None
