"""The XDP feed handler against packets built from the spec tables (tests/support/xdp.py)."""

from __future__ import annotations

from collections import Counter

from tests.support import xdp

from mdc.domain.events import (
    BookDelta,
    BookSnapshot,
    Event,
    Gap,
    Integrity,
    OrderUpdate,
    Status,
    Trade,
)
from mdc.domain.time import NS_PER_S
from mdc.providers.nyse import messages as m
from mdc.providers.nyse.book import Order
from mdc.providers.nyse.parse import XdpFeed

SYMBOLS = {"IBM": 2, "BRK A": 4, "T": 2}


def day(seed: int = 7, messages: int = 3000) -> xdp.Market:
    market = xdp.Market(seed, SYMBOLS)
    market.open()
    market.run(messages)
    return market


def replay(packets: list[bytes], lines: tuple[str, ...] = ("A",)) -> tuple[XdpFeed, list[Event]]:
    feed = XdpFeed()
    for i, data in enumerate(packets):
        for line in lines:
            feed.packet(1, line, data, 1_000 + i)
    feed.flush(10**12)
    return feed, feed.take()


def l2_books(events: list[Event]) -> dict[str, dict[str, dict[float, float]]]:
    """Final books rebuilt from the published snapshots and deltas."""
    books: dict[str, dict[str, dict[float, float]]] = {}
    for ev in events:
        if isinstance(ev, BookSnapshot):
            books[ev.symbol] = {"bid": dict(ev.bids), "ask": dict(ev.asks)}
        elif isinstance(ev, BookDelta):
            side = books[ev.symbol][ev.side]
            if ev.size:
                side[ev.price] = ev.size
            else:
                side.pop(ev.price, None)
    return books


def expected_books(market: xdp.Market) -> dict[str, dict[str, dict[float, float]]]:
    return {
        x.symbol: {
            "bid": dict(x.book.levels(True, x.divisor)),
            "ask": dict(x.book.levels(False, x.divisor)),
        }
        for x in market.listings.values()
    }


def assert_matches(market: xdp.Market, feed: XdpFeed, events: list[Event]) -> None:
    trades = [e for e in events if isinstance(e, Trade)]
    counts = Counter(t.symbol for t in trades)
    volumes: Counter[str] = Counter()
    for t in trades:
        volumes[t.symbol] += int(t.size)
    for x in market.listings.values():
        assert counts[x.symbol] == x.trades, x.symbol
        assert volumes[x.symbol] == x.volume, x.symbol
    assert l2_books(events) == expected_books(market)
    for x in market.listings.values():  # the handler's own order-by-order book, exactly
        sym = next(s for s in feed.symbols.values() if s.symbol == x.symbol)
        assert sym.book.orders == x.book.orders


def test_layout_table_sizes_match_the_spec() -> None:
    sizes = {t: layout.size for t, layout in m.LAYOUTS.items()}
    assert sizes == {
        1: 14, 2: 16, 3: 44, 31: 14, 32: 20, 34: 46, 35: 16, 100: 39, 101: 35, 102: 25,
        103: 42, 104: 42, 105: 67, 106: 43, 110: 33, 111: 29, 112: 20, 113: 24, 114: 17, 223: 36,
    }  # fmt: skip


def test_direct_replay_builds_exact_books_trades_and_volumes() -> None:
    market = day()
    feed, events = replay(market.packets)
    assert_matches(market, feed, events)
    assert not any(isinstance(e, Gap | Integrity) for e in events)
    assert feed.bad_packets == feed.bad_messages == feed.unknown_orders == 0
    ch = feed.channels[1]
    assert ch.messages == market.seq - 1
    assert ch.next_seq == market.seq


def test_ab_duplicates_are_applied_once_and_counted_per_line() -> None:
    market = day(seed=11, messages=1500)
    _single_feed, single = replay(market.packets)
    feed, events = replay(market.packets, lines=("A", "B"))
    assert_matches(market, feed, events)
    assert [type(e) for e in events] == [type(e) for e in single]
    ch = feed.channels[1]
    # the reset packet's copy is recognised by its publish time; every other B copy by seq
    assert ch.duplicates == {"B": len(market.packets)}
    assert ch.packets == {"A": len(market.packets), "B": len(market.packets)}


def test_b_line_fills_a_hole_on_line_a_without_a_gap() -> None:
    market = day(seed=3, messages=800)
    feed = XdpFeed()
    for i, data in enumerate(market.packets):
        if i != 40:
            feed.packet(1, "A", data, i)
        feed.packet(1, "B", data, i)  # B delivers packet 40 after A moved past it
    events = feed.take()
    assert not any(isinstance(e, Gap) for e in events)
    assert_matches(market, feed, events)


def test_one_dropped_packet_gives_exactly_one_gap_with_its_range() -> None:
    market = day(seed=5, messages=2000)
    drop = 60
    header = m.PACKET_HEADER.unpack_from(market.packets[drop])
    first, count = header[3], header[2]
    feed = XdpFeed()
    for i, data in enumerate(market.packets):
        if i == drop:
            continue
        feed.packet(1, "A", data, i)
        feed.packet(1, "B", data, i)
    events = feed.take()
    gaps = [e for e in events if isinstance(e, Gap)]
    assert len(gaps) == 1
    gap = gaps[0]
    assert gap.symbol == "channel:1"
    assert gap.seq == first
    assert gap.detail == f"channel 1: messages {first}..{first + count - 1} missing ({count})"
    assert gap.from_ts < gap.to_ts
    assert feed.channels[1].missing == count
    # every published book of the channel was reset and stays stale
    resets = [e for e in events if isinstance(e, Integrity) and e.kind == "book_reset"]
    assert sorted(e.symbol for e in resets) == sorted(SYMBOLS)
    assert feed.stale_symbols() == sorted(SYMBOLS)
    after = events.index(gap)
    assert not any(isinstance(e, BookDelta | BookSnapshot) for e in events[after:])
    # trades go on: all but those in the lost packet
    lost_trades = sum(1 for t in _decoded(market.packets[drop]) if t in (103, 110))
    trades = sum(1 for e in events if isinstance(e, Trade))
    assert trades == sum(x.trades for x in market.listings.values()) - lost_trades


def _decoded(data: bytes) -> list[int]:
    types, offset = [], m.PACKET_HEADER_SIZE
    for _ in range(data[3]):
        msg_type, size, _fields = m.decode_message(data, offset)
        types.append(msg_type)
        offset += size
    return types


def test_a_hole_waits_for_the_other_line_until_the_timeout() -> None:
    market = day(seed=9, messages=200)
    feed = XdpFeed(gap_timeout_ms=10)
    t0 = 1_000_000_000
    for i, data in enumerate(market.packets[:20]):
        feed.packet(1, "A", data, t0 + i)
        feed.packet(1, "B", data, t0 + i)
    feed.packet(1, "A", market.packets[21], t0 + 100)  # 20 lost on A; B has not passed it
    feed.tick(t0 + 100 + 9_000_000)
    assert not any(isinstance(e, Gap) for e in feed.take())
    feed.tick(t0 + 100 + 10_000_000)  # B never came: the hole is a gap
    assert [type(e) for e in feed.take() if isinstance(e, Gap)] == [Gap]


def test_statuses_imbalance_cross_cancel_and_time_reference() -> None:
    market = xdp.Market(1, {"IBM": 2})
    market.open()
    sec = market.second
    market.send(
        [
            xdp.security_status(sec * NS_PER_S + 5, 1, 1, b"4", b"M"),
            xdp.security_status(sec * NS_PER_S + 6, 1, 2, b"5"),
            xdp.security_status(sec * NS_PER_S + 7, 1, 3, b"A"),
            xdp.imbalance(sec * NS_PER_S + 8, 1, 4, 12345, 900, b"B"),
        ]
    )
    market.send(
        [
            xdp.source_time_reference(1, sec + 2),
            xdp.cross_trade(77, 1, 5, 9, 12350, 4000),
            xdp.trade_cancel(78, 1, 6, 9),
            xdp.cross_correction(79, 1, 7, 9, 3500),
        ]
    )
    _feed, events = replay(market.packets)
    statuses = [(e.kind, e.state, e.detail) for e in events if isinstance(e, Status)]
    assert statuses[0] == ("halt", "halted", "condition LULD pause")
    assert statuses[1] == ("halt", "resumed", "")
    assert statuses[2][:2] == ("ssr", "activated")
    kind, state, detail = statuses[3]
    assert (kind, state) == ("imbalance", "closing")
    assert "reference 123.45" in detail and "imbalance 900" in detail
    assert "unpaired 250 B" in detail  # the v2.3a extension at offset 67
    (cross,) = [e for e in events if isinstance(e, Trade)]
    assert (cross.trade_id, cross.price, cross.size) == ("X9", 123.5, 4000.0)
    assert cross.ts_event == (sec + 2) * NS_PER_S + 77  # seconds from the latest STR
    assert cross.conditions == ["cross", "6"]
    notices = [(e.kind, e.detail) for e in events if isinstance(e, Integrity)]
    assert notices == [
        ("trade_cancel", "trade 9 cancelled"),
        ("trade_correction", "cross X9 volume now 3500"),
    ]


def test_longer_messages_and_unknown_types_are_skipped_by_size() -> None:
    market = xdp.Market(1, {"IBM": 2})
    market.open()
    longer = bytearray(xdp.add_order(10, 1, 1, 55, 10000, 300, b"B")) + b"\xee" * 9
    longer[0:2] = len(longer).to_bytes(2, "little")  # a later release appended 9 bytes
    unknown = xdp.Spec(12, 999, "x:I@4")(x=1)
    market.send([bytes(longer), unknown, xdp.add_order(11, 1, 2, 56, 10001, 200, b"S")])
    feed, events = replay(market.packets)
    assert l2_books(events) == {"IBM": {"bid": {100.0: 300.0}, "ask": {100.01: 200.0}}}
    assert feed.channels[1].skipped == 1
    assert feed.bad_messages == 0


def test_bad_packets_are_counted_not_fatal() -> None:
    market = day(seed=2, messages=100)
    feed = XdpFeed()
    feed.packet(1, "A", b"\x01\x02", 0)
    truncated = market.packets[3][:-5]
    feed.packet(1, "A", truncated, 0)
    for i, data in enumerate(market.packets):
        feed.packet(1, "A", data, i)
    assert feed.bad_packets == 2
    assert_matches(market, feed, feed.take())


def test_mid_session_join_starts_books_stale() -> None:
    market = day(seed=4, messages=400)
    feed, events = replay(market.packets[1:])  # missed the reset packet (sequence 1)
    assert not any(isinstance(e, BookDelta | BookSnapshot) for e in events)
    assert feed.stale_symbols() == sorted(SYMBOLS)
    assert sum(isinstance(e, Trade) for e in events) == sum(
        x.trades for x in market.listings.values()
    )


def orders_from_l3(events: list[Event], divisors: dict[str, int]) -> dict[str, dict[int, Order]]:
    """Every symbol's live orders rebuilt from the OrderUpdate events alone."""
    books: dict[str, dict[int, Order]] = {}
    for ev in events:
        if not isinstance(ev, OrderUpdate):
            continue
        orders = books.setdefault(ev.symbol, {})
        oid, price, size = int(ev.order_id), round(ev.price * divisors[ev.symbol]), int(ev.size)
        if ev.action == "add":
            orders[oid] = (ev.side == "bid", price, size)
        elif ev.action == "modify":
            orders[oid] = (orders[oid][0], price, size)
        elif ev.action == "replace":
            assert ev.new_order_id is not None
            orders[int(ev.new_order_id)] = (orders.pop(oid)[0], price, size)
        elif ev.action == "delete":
            assert orders.pop(oid)[1:] == (price, size)
        else:
            is_bid, resting, left = orders[oid]
            assert ev.side == ("bid" if is_bid else "ask") and ev.trade_id is not None
            if left > size:
                orders[oid] = (is_bid, resting, left - size)
            else:
                del orders[oid]
    return books


def test_order_events_are_off_by_default_and_exact_when_on() -> None:
    market = day(seed=9, messages=4000)
    _, plain = replay(market.packets)
    assert not any(isinstance(e, OrderUpdate) for e in plain)
    feed = XdpFeed(order_events=True)
    for i, data in enumerate(market.packets):
        feed.packet(1, "A", data, 1_000 + i)
    events = feed.take()
    updates = [e for e in events if isinstance(e, OrderUpdate)]
    assert Counter((u.symbol, u.action) for u in updates) == Counter(
        {(x.symbol, a): n for x in market.listings.values() for a, n in x.actions.items()}
    )
    assert len(updates) == sum(sum(x.actions.values()) for x in market.listings.values())
    assert all(u.side in ("bid", "ask") for u in updates)  # a trusted book knows every order
    divisors = {x.symbol: x.divisor for x in market.listings.values()}
    assert orders_from_l3(events, divisors) == {
        x.symbol: x.book.orders for x in market.listings.values()
    }
    executions = {u.trade_id for u in updates if u.action == "execute"}
    trades = {
        t.trade_id for t in events if isinstance(t, Trade) and "non_displayed" not in t.conditions
    }
    assert executions == trades
    assert_matches(market, feed, events)  # L2 output is unchanged by L3 on
