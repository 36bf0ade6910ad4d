from __future__ import annotations

from typing import Any

from mdc.collectors.chain import Collectors
from mdc.collectors.emit import INTEGRITY_KINDS
from mdc.domain.capabilities import Capabilities
from mdc.domain.events import (
    Bar,
    BookDelta,
    BookSnapshot,
    Event,
    Gap,
    Integrity,
    Quote,
    Status,
    Trade,
)

T0 = 1_700_000_000_000_000_000


def common(ts: int, symbol: str = "AAPL", provider: str = "feed", **extra: Any) -> dict[str, Any]:
    return {
        "symbol": symbol,
        "venue": "XNAS",
        "provider": provider,
        "ts_event": T0 + ts,
        "ts_recv": T0 + ts + 1,
        **extra,
    }


def test_process_returns_the_same_list() -> None:
    c = Collectors()
    batch: list[Event] = [Trade(**common(1), price=1.0, size=1.0)]
    assert c.process(batch) is batch
    assert c.process([]) == []


def test_bad_data_never_raises_and_is_reported() -> None:
    c = Collectors()
    good = Trade(**common(1), price=10.0, size=1.0)
    no_price = BookDelta(**common(2), side="bid", price=None, size=1.0)  # type: ignore[arg-type]
    broken_snapshot = BookSnapshot(**common(3), bids=[(1.0,)], asks=[])  # type: ignore[list-item]
    text_price = Trade(**common(4), price="10.1", size=1.0)  # type: ignore[arg-type]
    not_an_event = {"symbol": "AAPL"}
    after = Trade(**common(5), price=10.2, size=1.0)
    batch: list[Any] = [good, no_price, broken_snapshot, text_price, not_an_event, after]
    out = c.process(batch)
    flagged = [(e.symbol, e.ts_event, e.detail) for e in out if isinstance(e, Integrity)]
    assert flagged == [
        (
            "AAPL",
            T0 + 2,
            "BookDelta not processed: TypeError: '<' not supported between "
            "instances of 'float' and 'NoneType'",
        ),
        (
            "AAPL",
            T0 + 3,
            "BookSnapshot not processed: ValueError: not enough values to unpack "
            "(expected 2, got 1)",
        ),
        (
            "AAPL",
            T0 + 4,
            "Trade not processed: TypeError: '>' not supported between instances "
            "of 'str' and 'float'",
        ),
        ("", 0, "dict not processed: AttributeError: 'dict' object has no attribute 'seq'"),
    ]
    assert [type(e).__name__ for e in out] == [
        "Trade",
        "BookDelta",
        "Integrity",
        "BookSnapshot",
        "Integrity",
        "Trade",
        "Integrity",
        "dict",
        "Integrity",
        "Trade",
    ]
    assert after.side == "buy"  # the collectors went on: 10.2 is an up-tick from 10.0
    assert c.stats()["integrity.bad_event"] == 4
    # The snapshot that failed left no half-built book behind.
    book = c.book("AAPL")
    assert book is not None and len(book) == 0


def test_derived_and_other_events_pass_through() -> None:
    c = Collectors(seq_rules={"feed": ("symbol", True)})
    batch: list[Event] = [
        Gap(**common(1), from_ts=T0, to_ts=T0 + 1, reason="disconnect"),
        Integrity(**common(2), kind="checksum"),
        Status(**common(3), kind="halt", state="halted"),
        Bar(**common(4), seq=1, interval="1m", open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0),
        Bar(**common(5), seq=2, interval="1m", open=1.0, high=2.0, low=0.5, close=1.5, volume=10.0),
    ]
    assert c.process(list(batch)) == batch


def test_stats_has_every_counter() -> None:
    c = Collectors()
    c.process(
        [
            Quote(**common(1), bid_price=1.0, bid_size=1.0, ask_price=2.0, ask_size=1.0),
            Trade(**common(2), price=2.0, size=1.0),
        ]
    )
    stats = c.stats()
    assert stats == {
        "events": 2,
        "kernel_events": 0,
        "sides_inferred": 1,
        "bbo_streams": 1,
        "sequences": 0,
        "gaps": 0,
        "integrity": 0,
        "books": 0,
        "books_awaiting_snapshot": 0,
        "books_crossed": 0,
        "books_locked": 0,
        **{f"integrity.{kind}": 0 for kind in INTEGRITY_KINDS},
    }


def test_reset_one_symbol_or_everything() -> None:
    c = Collectors()
    c.register_provider("feed", Capabilities(seq_scope="symbol", seq_contiguous=True))
    for symbol in ("AAPL", "MSFT"):
        c.process(
            [
                BookSnapshot(**common(1, symbol), seq=10, bids=[(1.0, 1.0)], asks=[(2.0, 1.0)]),
                Quote(
                    **common(2, symbol),
                    seq=11,
                    bid_price=1.0,
                    bid_size=1.0,
                    ask_price=2.0,
                    ask_size=1.0,
                ),
            ]
        )
    c.reset("AAPL")
    assert c.book("AAPL") is None and c.bbo("AAPL") is None
    assert c.book("MSFT") is not None and c.bbo("MSFT") is not None
    assert c.stats()["sequences"] == 1
    # AAPL starts afresh: a low sequence number is no longer out of order.
    restart: list[Event] = [Trade(**common(3), seq=1, price=1.5, size=1.0)]
    assert c.process(list(restart)) == restart
    c.reset()
    assert c.book("MSFT") is None and c.bbo("MSFT") is None
    assert c.stats()["books"] == 0
    assert c.stats()["sequences"] == 0


def test_reset_provider_keeps_other_providers() -> None:
    c = Collectors()
    c.process(
        [
            BookDelta(**common(1), side="bid", price=1.0, size=1.0),
            BookDelta(**common(1, provider="other"), side="bid", price=2.0, size=1.0),
        ]
    )
    c.reset_provider("feed")
    book = c.book("AAPL")
    assert book is not None and book.provider == "other"


def test_a_provider_gap_restarts_sequence_tracking() -> None:
    """After an outage the provider reported, numbering may restart: no false reorder."""
    c = Collectors()
    c.register_provider("feed", Capabilities(seq_scope="symbol", seq_contiguous=True))
    before = [Trade(**common(i, seq=100 + i), price=1.0, size=1.0) for i in range(3)]
    outage = Gap(**common(3), from_ts=T0 + 2, to_ts=T0 + 4, reason="disconnect")
    after = [Trade(**common(4 + i, seq=1 + i), price=1.0, size=1.0) for i in range(3)]
    out = c.process([*before, outage, *after])
    assert [e for e in out if isinstance(e, Integrity | Gap) and e is not outage] == []
    assert c.stats()["gaps"] == 0
