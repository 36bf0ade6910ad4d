from __future__ import annotations

from typing import Any

from mdc.collectors.chain import Collectors
from mdc.domain.events import BookDelta, BookSnapshot, Event, Integrity, Severity, Trade

T0 = 1_700_000_000_000_000_000


def delta(
    side: Any,
    price: float,
    size: float,
    ts: int,
    *,
    symbol: str = "AAPL",
    venue: str = "XNAS",
    provider: str = "feed",
    seq: int | None = None,
    recv: int | None = None,
) -> BookDelta:
    return BookDelta(
        symbol=symbol,
        venue=venue,
        provider=provider,
        ts_event=T0 + ts,
        ts_recv=T0 + (ts + 1 if recv is None else recv),
        seq=seq,
        side=side,
        price=price,
        size=size,
    )


def snapshot(
    bids: list[tuple[float, float]],
    asks: list[tuple[float, float]],
    ts: int,
    *,
    symbol: str = "AAPL",
    venue: str = "XNAS",
    provider: str = "feed",
    seq: int | None = None,
) -> BookSnapshot:
    return BookSnapshot(
        symbol=symbol,
        venue=venue,
        provider=provider,
        ts_event=T0 + ts,
        ts_recv=T0 + ts + 1,
        seq=seq,
        bids=bids,
        asks=asks,
    )


def integrity(
    trigger: Event,
    kind: str,
    severity: Severity,
    detail: str,
    *,
    symbol: str | None = None,
    venue: str | None = None,
) -> Integrity:
    return Integrity(
        symbol=symbol or trigger.symbol,
        venue=venue or trigger.venue,
        provider=trigger.provider,
        ts_event=trigger.ts_event,
        ts_recv=trigger.ts_recv,
        kind=kind,
        severity=severity,
        detail=detail,
    )


BASE = snapshot(
    bids=[(100.00, 500.0), (99.99, 300.0), (99.98, 100.0)],
    asks=[(100.01, 200.0), (100.02, 400.0), (100.03, 600.0)],
    ts=0,
)


def test_snapshot_and_deltas_build_the_hand_computed_book() -> None:
    c = Collectors(depth_levels=2)
    batch: list[Event] = [
        BASE,
        delta("bid", 99.99, 800.0, 10),
        delta("bid", 100.00, 0.0, 10),
        delta("ask", 100.015, 50.0, 20),
        delta("ask", 100.01, 0.0, 30),
    ]
    assert c.process(list(batch)) == batch
    book = c.book("AAPL")
    assert book is not None
    assert book.top() == ([(99.99, 800.0), (99.98, 100.0)], [(100.015, 50.0), (100.02, 400.0)])
    assert book.top(5) == (
        [(99.99, 800.0), (99.98, 100.0)],
        [(100.015, 50.0), (100.02, 400.0), (100.03, 600.0)],
    )
    assert (book.ts_event, book.ts_recv) == (T0 + 30, T0 + 31)
    assert c.book("AAPL", "XNAS") is book
    assert c.book("AAPL", "ARCX") is None
    assert c.book("MSFT") is None
    assert c.stats()["books"] == 1


def test_crossed_book_is_reported_once_per_episode() -> None:
    c = Collectors()
    cross = delta("bid", 100.02, 10.0, 10)
    deeper = delta("bid", 100.03, 10.0, 20)  # still crossed: same episode
    uncross_1 = delta("bid", 100.03, 0.0, 30)
    uncross_2 = delta("bid", 100.02, 0.0, 40)
    again = delta("ask", 99.95, 10.0, 50)
    out = c.process([BASE, cross, deeper, uncross_1, uncross_2, again])
    assert out == [
        BASE,
        cross,
        integrity(cross, "crossed_book", "warning", "best bid 100.02 above best ask 100.01"),
        deeper,
        uncross_1,
        uncross_2,
        again,
        integrity(again, "crossed_book", "warning", "best bid 100.0 above best ask 99.95"),
    ]
    stats = c.stats()
    assert stats["integrity.crossed_book"] == 2
    assert stats["books_crossed"] == 1


def test_locked_then_crossed_are_separate_episodes() -> None:
    c = Collectors()
    lock = delta("bid", 100.01, 10.0, 10)
    cross = delta("ask", 100.0, 10.0, 20)
    out = c.process([BASE, lock, cross])
    assert out == [
        BASE,
        lock,
        integrity(lock, "locked_book", "info", "best bid equals best ask 100.01"),
        cross,
        integrity(cross, "crossed_book", "warning", "best bid 100.01 above best ask 100.0"),
    ]


def test_book_crossed_only_inside_one_message_is_not_reported() -> None:
    c = Collectors()
    # One message (one ts_event): the price moves up, the new bid comes before the old ask goes.
    message = [
        delta("bid", 100.01, 50.0, 10),
        delta("bid", 100.02, 70.0, 10),
        delta("ask", 100.01, 0.0, 10),
        delta("ask", 100.02, 0.0, 10),
        delta("ask", 100.04, 10.0, 10),
    ]
    batch: list[Event] = [BASE, *message]
    assert c.process(list(batch)) == batch
    book = c.book("AAPL")
    assert book is not None
    assert book.best_bid() == (100.02, 70.0)
    assert book.best_ask() == (100.03, 600.0)


def test_crossed_report_follows_the_last_delta_of_the_message() -> None:
    c = Collectors()
    first = delta("bid", 100.05, 10.0, 10)
    last = delta("bid", 99.5, 10.0, 10)
    trade = Trade(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 11,
        ts_recv=T0 + 12,
        price=100.0,
        size=1.0,
        side="buy",
    )
    out = c.process([BASE, first, last, trade])
    assert out == [
        BASE,
        first,
        last,
        integrity(last, "crossed_book", "warning", "best bid 100.05 above best ask 100.01"),
        trade,
    ]


def test_crossed_snapshot_is_reported_and_a_new_snapshot_starts_a_new_episode() -> None:
    c = Collectors()
    crossed = snapshot([(10.0, 1.0)], [(9.0, 1.0)], 0)
    again = snapshot([(10.0, 1.0)], [(9.5, 1.0)], 10)
    out = c.process([crossed, again])
    assert out == [
        crossed,
        integrity(crossed, "crossed_book", "warning", "best bid 10.0 above best ask 9.0"),
        again,
        integrity(again, "crossed_book", "warning", "best bid 10.0 above best ask 9.5"),
    ]


def test_deltas_before_the_snapshot_are_dropped_and_reported_once() -> None:
    c = Collectors()
    early_1 = delta("bid", 50.0, 1.0, 10, symbol="MSFT")
    early_2 = delta("ask", 51.0, 1.0, 20, symbol="MSFT")
    msft = snapshot([(49.0, 2.0)], [(52.0, 3.0)], 30, symbol="MSFT")
    after = delta("bid", 49.5, 4.0, 40, symbol="MSFT")
    out = c.process([BASE, early_1, early_2, msft, after])
    assert out == [
        BASE,
        early_1,
        integrity(
            early_1,
            "delta_before_snapshot",
            "warning",
            "book awaits a snapshot; deltas are dropped until it arrives",
        ),
        early_2,
        msft,
        after,
    ]
    book = c.book("MSFT")
    assert book is not None
    assert book.top() == ([(49.5, 4.0), (49.0, 2.0)], [(52.0, 3.0)])


def test_provider_without_snapshots_builds_books_from_deltas() -> None:
    c = Collectors()
    batch: list[Event] = [
        delta("bid", 10.0, 1.0, 1),
        delta("ask", 11.0, 2.0, 2),
        delta("bid", 10.5, 3.0, 3),
    ]
    assert c.process(list(batch)) == batch
    book = c.book("AAPL")
    assert book is not None
    assert book.top() == ([(10.5, 3.0), (10.0, 1.0)], [(11.0, 2.0)])
    assert c.stats()["books_awaiting_snapshot"] == 0


def test_stale_delta_is_dropped_as_out_of_order() -> None:
    c = Collectors()
    newer = delta("bid", 99.0, 5.0, 50)
    stale = delta("bid", 99.0, 1.0, 40)
    same_time = delta("bid", 98.0, 2.0, 50)
    out = c.process([BASE, newer, stale, same_time])
    assert out == [
        BASE,
        newer,
        stale,
        integrity(
            stale,
            "out_of_order",
            "warning",
            f"book delta ts_event {T0 + 40} older than the book's last update {T0 + 50}",
        ),
        same_time,
    ]
    book = c.book("AAPL")
    assert book is not None
    assert book.size_at(True, 99.0) == 5.0
    assert book.size_at(True, 98.0) == 2.0


def test_sequence_gap_resets_the_book_until_the_next_snapshot() -> None:
    c = Collectors(seq_rules={"feed": ("symbol", True)})
    snap = snapshot(BASE.bids, BASE.asks, 0, seq=10)
    ok = delta("bid", 99.0, 1.0, 10, seq=11)
    hole = delta("bid", 98.0, 1.0, 20, seq=13)
    dropped = delta("ask", 101.0, 1.0, 30, seq=14)
    resync = snapshot([(90.0, 1.0)], [(91.0, 1.0)], 40, seq=50)
    applied = delta("bid", 90.5, 2.0, 50, seq=51)
    out = c.process([snap, ok, hole, dropped])
    assert out == [
        snap,
        ok,
        hole,
        out[3],  # the Gap (its fields are tested with the sequence tracker)
        integrity(hole, "sequence_gap", "error", "expected 12 got 13"),
        integrity(
            hole, "book_reset", "warning", "sequence gap: book cleared until the next snapshot"
        ),
        integrity(
            hole,
            "delta_before_snapshot",
            "warning",
            "book awaits a snapshot; deltas are dropped until it arrives",
        ),
        dropped,
    ]
    book = c.book("AAPL")
    assert book is not None
    assert len(book) == 0
    assert book.needs_snapshot is True
    assert c.stats()["books_awaiting_snapshot"] == 1
    assert c.awaiting_snapshot() == [book]
    assert c.process([resync, applied]) == [resync, applied]
    assert book.top() == ([(90.5, 2.0), (90.0, 1.0)], [(91.0, 1.0)])
    assert c.stats()["integrity.book_reset"] == 1


def test_feed_gap_resets_every_book_of_that_venue_only() -> None:
    c = Collectors(seq_rules={"feed": ("feed", True)})
    aapl = snapshot([(10.0, 1.0)], [(11.0, 1.0)], 0, seq=1)
    msft = snapshot([(20.0, 1.0)], [(21.0, 1.0)], 1, seq=2, symbol="MSFT")
    arca = snapshot([(30.0, 1.0)], [(31.0, 1.0)], 2, seq=1, symbol="MSFT", venue="ARCX")
    hole = Trade(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 10,
        ts_recv=T0 + 11,
        seq=5,
        price=10.5,
        size=1.0,
        side="buy",
    )
    out = c.process([aapl, msft, arca, hole])
    assert [e.kind for e in out if isinstance(e, Integrity)] == [
        "sequence_gap",
        "book_reset",
        "book_reset",
    ]
    resets = [e for e in out if isinstance(e, Integrity) and e.kind == "book_reset"]
    assert [(e.symbol, e.venue, e.ts_event) for e in resets] == [
        ("AAPL", "XNAS", T0 + 10),
        ("MSFT", "XNAS", T0 + 10),
    ]
    assert len(c.book("MSFT", "XNAS") or ()) == 0
    assert len(c.book("MSFT", "ARCX") or ()) == 2


def test_duplicate_delta_is_not_applied() -> None:
    c = Collectors(seq_rules={"feed": ("symbol", False)})
    first = delta("bid", 99.0, 5.0, 10, seq=7)
    resent = delta("bid", 99.0, 1.0, 10, seq=7, recv=99)
    out = c.process([BASE, first, resent])
    assert isinstance(out[-1], Integrity) and out[-1].kind == "duplicate"
    book = c.book("AAPL")
    assert book is not None
    assert book.size_at(True, 99.0) == 5.0


def test_bad_levels_are_reported_and_left_out() -> None:
    c = Collectors()
    bad = delta("bid", float("nan"), 1.0, 10)
    negative = delta("ask", 101.0, -3.0, 20)
    wrong_side = delta("buy", 99.0, 1.0, 30)
    snap = snapshot([(10.0, 1.0), (float("inf"), 1.0)], [(11.0, 1.0)], 40, symbol="MSFT")
    out = c.process([BASE, bad, negative, wrong_side, snap])
    assert out == [
        BASE,
        bad,
        integrity(bad, "bad_value", "warning", "bad level bid nan x 1.0"),
        negative,
        integrity(negative, "bad_value", "warning", "bad level ask 101.0 x -3.0"),
        wrong_side,
        integrity(wrong_side, "bad_value", "warning", "bad level buy 99.0 x 1.0"),
        snap,
        integrity(snap, "bad_value", "warning", "1 invalid levels left out of the snapshot"),
    ]
    book = c.book("AAPL")
    assert book is not None
    assert book.top() == (list(BASE.bids), list(BASE.asks))


def test_books_per_venue_and_provider_are_separate_and_newest_is_returned() -> None:
    c = Collectors()
    c.process(
        [
            delta("bid", 10.0, 1.0, 10, venue="XNAS"),
            delta("bid", 20.0, 1.0, 30, venue="ARCX"),
            delta("bid", 30.0, 1.0, 20, venue="XNAS", provider="other"),
        ]
    )
    assert c.stats()["books"] == 3
    newest = c.book("AAPL")
    assert newest is not None and newest.venue == "ARCX"
    xnas = c.book("AAPL", "XNAS")
    assert xnas is not None and (xnas.provider, xnas.best_bid()) == ("other", (30.0, 1.0))
