from __future__ import annotations

from mdc.collectors.chain import Collectors
from mdc.domain.capabilities import Capabilities, SeqScope
from mdc.domain.events import BookDelta, BookSnapshot, Event, Gap, Integrity, Quote, Severity, Trade

T0 = 1_700_000_000_000_000_000


def trade(
    seq: int | None,
    ts: int,
    symbol: str = "AAPL",
    venue: str = "XNAS",
    provider: str = "feed",
    recv: int | None = None,
) -> Trade:
    return Trade(
        symbol=symbol,
        venue=venue,
        provider=provider,
        ts_event=T0 + ts,
        ts_recv=T0 + (ts + 1 if recv is None else recv),
        seq=seq,
        price=10.0,
        size=1.0,
        side="buy",
    )


def gap(trigger: Event, from_ts: int, detail: str) -> Gap:
    return Gap(
        symbol=trigger.symbol,
        venue=trigger.venue,
        provider=trigger.provider,
        ts_event=trigger.ts_event,
        ts_recv=trigger.ts_recv,
        from_ts=from_ts,
        to_ts=trigger.ts_event,
        reason="sequence_gap",
        detail=detail,
    )


def integrity(trigger: Event, kind: str, severity: Severity, detail: str) -> Integrity:
    return Integrity(
        symbol=trigger.symbol,
        venue=trigger.venue,
        provider=trigger.provider,
        ts_event=trigger.ts_event,
        ts_recv=trigger.ts_recv,
        kind=kind,
        severity=severity,
        detail=detail,
    )


def collectors(scope: SeqScope = "symbol", contiguous: bool = True) -> Collectors:
    c = Collectors()
    c.register_provider("feed", Capabilities(seq_scope=scope, seq_contiguous=contiguous))
    return c


def test_contiguous_hole_emits_gap_and_integrity_right_after_the_trigger() -> None:
    a, b, c, d = trade(1, 10), trade(2, 20), trade(4, 40), trade(5, 50)
    out = collectors().process([a, b, c, d])
    assert out == [
        a,
        b,
        c,
        gap(c, T0 + 20, "expected 3 got 4"),
        integrity(c, "sequence_gap", "error", "expected 3 got 4"),
        d,
    ]


def test_duplicate_and_out_of_order_are_reported_and_do_not_move_the_position() -> None:
    c = collectors()
    a, b, dup, late, d = trade(1, 10), trade(3, 30), trade(3, 31), trade(2, 32), trade(4, 40)
    out = c.process([a, b, dup, late, d])
    assert out == [
        a,
        b,
        gap(b, T0 + 10, "expected 2 got 3"),
        integrity(b, "sequence_gap", "error", "expected 2 got 3"),
        dup,
        integrity(dup, "duplicate", "info", "seq 3 seen again"),
        late,
        integrity(late, "out_of_order", "warning", "seq 2 after 3"),
        d,
    ]
    stats = c.stats()
    assert stats["gaps"] == 1
    assert stats["integrity.sequence_gap"] == 1
    assert stats["integrity.duplicate"] == 1
    assert stats["integrity.out_of_order"] == 1
    assert stats["integrity"] == 3


def test_non_contiguous_feed_never_raises_gaps() -> None:
    c = collectors(contiguous=False)
    a, b, dup, late, d = trade(10, 1), trade(15, 2), trade(15, 3), trade(12, 4), trade(900, 5)
    out = c.process([a, b, dup, late, d])
    assert out == [
        a,
        b,
        dup,
        integrity(dup, "duplicate", "info", "seq 15 seen again"),
        late,
        integrity(late, "out_of_order", "warning", "seq 12 after 15"),
        d,
    ]
    assert c.stats()["gaps"] == 0


def test_per_symbol_sequences_are_independent() -> None:
    batch: list[Event] = [
        trade(1, 1, "AAPL"),
        trade(1, 2, "MSFT"),
        trade(2, 3, "AAPL"),
        trade(2, 4, "MSFT"),
        trade(3, 5, "MSFT"),
    ]
    assert collectors().process(list(batch)) == batch


def test_per_feed_sequence_spans_symbols_and_is_per_venue() -> None:
    c = collectors(scope="feed")
    a = trade(1, 10, "AAPL")
    b = trade(2, 20, "MSFT")
    other_venue = trade(1, 25, "MSFT", venue="ARCX")
    d = trade(3, 30, "AAPL")
    e = trade(5, 50, "MSFT")
    out = c.process([a, b, other_venue, d, e])
    assert out == [
        a,
        b,
        other_venue,
        d,
        e,
        gap(e, T0 + 30, "expected 4 got 5"),
        integrity(e, "sequence_gap", "error", "expected 4 got 5"),
    ]
    assert c.stats()["sequences"] == 2


def test_same_symbol_numbers_on_a_feed_scope_are_reordering() -> None:
    c = collectors(scope="feed")
    a, b = trade(1, 10, "AAPL"), trade(1, 20, "MSFT")
    assert c.process([a, b]) == [a, b, integrity(b, "duplicate", "info", "seq 1 seen again")]


def test_events_without_seq_are_ignored_by_the_tracker() -> None:
    batch: list[Event] = [trade(1, 1), trade(None, 2), trade(2, 3), trade(None, 4), trade(3, 5)]
    assert collectors().process(list(batch)) == batch


def test_providers_without_a_rule_or_with_scope_none_are_not_tracked() -> None:
    c = Collectors()
    c.register_provider("feed", Capabilities(seq_scope="none", seq_contiguous=True))
    batch: list[Event] = [
        trade(1, 1),
        trade(5, 2),
        trade(5, 3),
        trade(2, 4),
        trade(7, 5, provider="other"),
    ]
    assert c.process(list(batch)) == batch
    assert c.stats()["sequences"] == 0


def test_rules_given_to_the_constructor() -> None:
    c = Collectors(seq_rules={"feed": ("symbol", True)})
    a, b = trade(1, 1), trade(3, 2)
    assert c.process([a, b])[2:] == [
        gap(b, T0 + 1, "expected 2 got 3"),
        integrity(b, "sequence_gap", "error", "expected 2 got 3"),
    ]


def test_position_carries_across_batches() -> None:
    c = collectors()
    c.process([trade(1, 1), trade(2, 2)])
    b = trade(4, 3)
    assert c.process([b]) == [
        b,
        gap(b, T0 + 2, "expected 3 got 4"),
        integrity(b, "sequence_gap", "error", "expected 3 got 4"),
    ]


def test_events_of_one_message_share_seq_without_being_duplicates() -> None:
    c = collectors()
    parts = [
        BookDelta(
            symbol="AAPL",
            venue="XNAS",
            provider="feed",
            ts_event=T0,
            ts_recv=T0 + 5,
            seq=1,
            side="bid",
            price=10.0 - i,
            size=1.0,
        )
        for i in range(3)
    ]
    resent = BookDelta(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0,
        ts_recv=T0 + 9,
        seq=1,
        side="bid",
        price=10.0,
        size=1.0,
    )
    out = c.process([*parts, resent])
    assert out == [*parts, resent, integrity(resent, "duplicate", "info", "seq 1 seen again")]
    book = c.book("AAPL")
    assert book is not None
    assert book.top()[0] == [(10.0, 1.0), (9.0, 1.0), (8.0, 1.0)]


def test_snapshot_resets_the_per_symbol_baseline() -> None:
    c = collectors()
    snap = BookSnapshot(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 30,
        ts_recv=T0 + 31,
        seq=100,
        bids=[(9.0, 1.0)],
        asks=[(11.0, 1.0)],
    )
    unsequenced = BookSnapshot(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 60,
        ts_recv=T0 + 61,
        bids=[(9.0, 1.0)],
        asks=[(11.0, 1.0)],
    )
    batch: list[Event] = [
        trade(1, 10),
        trade(2, 20),
        snap,
        trade(101, 40),
        trade(102, 50),
        unsequenced,
        trade(7, 70),
        trade(8, 80),
    ]
    assert c.process(list(batch)) == batch


def test_snapshot_on_a_feed_scope_is_an_ordinary_member_of_the_sequence() -> None:
    c = collectors(scope="feed")
    snap = BookSnapshot(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 30,
        ts_recv=T0 + 31,
        seq=3,
        bids=[(9.0, 1.0)],
        asks=[(11.0, 1.0)],
    )
    a = trade(1, 10)
    assert c.process([a, snap]) == [
        a,
        snap,
        gap(snap, T0 + 10, "expected 2 got 3"),
        integrity(snap, "sequence_gap", "error", "expected 2 got 3"),
    ]


def test_late_quote_does_not_replace_the_bbo() -> None:
    c = collectors()
    q1 = Quote(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 10,
        ts_recv=T0 + 11,
        seq=2,
        bid_price=10.0,
        bid_size=1.0,
        ask_price=10.1,
        ask_size=1.0,
    )
    late = Quote(
        symbol="AAPL",
        venue="XNAS",
        provider="feed",
        ts_event=T0 + 5,
        ts_recv=T0 + 12,
        seq=1,
        bid_price=9.0,
        bid_size=1.0,
        ask_price=9.1,
        ask_size=1.0,
    )
    c.process([q1, late])
    assert c.bbo("AAPL") is q1


def test_reset_provider_restarts_its_sequences() -> None:
    c = collectors(scope="feed")
    c.process([trade(500, 1), trade(501, 2)])
    c.reset_provider("feed")
    batch: list[Event] = [trade(1, 3), trade(2, 4)]
    assert c.process(list(batch)) == batch


def test_a_non_integer_seq_is_a_bad_event_and_does_not_poison_the_sequence() -> None:
    c = collectors()
    bad = trade("7", 1)  # type: ignore[arg-type]
    a, b = trade(1, 2), trade(2, 3)
    out = c.process([bad, a, b])
    assert out == [
        bad,
        integrity(
            bad,
            "bad_event",
            "error",
            "Trade not processed: TypeError: seq must be an integer, got str '7'",
        ),
        a,
        b,
    ]
