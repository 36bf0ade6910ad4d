from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from mdc.domain.book import SPREAD_CROSSED, SPREAD_LOCKED, SPREAD_NORMAL, OrderBook


def make_book(depth: int = 10, max_levels: int = 5_000) -> OrderBook:
    return OrderBook("AAPL", "XNAS", "sim", depth=depth, max_levels=max_levels)


def test_new_book_is_empty_and_waits_for_a_snapshot() -> None:
    book = make_book()
    assert book.best_bid() is None
    assert book.best_ask() is None
    assert book.top() == ([], [])
    assert len(book) == 0
    assert book.needs_snapshot is True
    assert book.crossed is False
    assert book.locked is False
    assert book.spread_state() == SPREAD_NORMAL


def test_snapshot_in_any_order_gives_best_first_and_skips_zero_levels() -> None:
    book = make_book()
    bad = book.apply_snapshot(
        bids=[(99.0, 5.0), (100.0, 3.0), (98.5, 0.0), (99.5, 7.0)],
        asks=[(101.0, 2.0), (100.5, 4.0), (102.0, 1.0)],
    )
    assert bad == 0
    assert book.needs_snapshot is False
    assert book.top() == (
        [(100.0, 3.0), (99.5, 7.0), (99.0, 5.0)],
        [(100.5, 4.0), (101.0, 2.0), (102.0, 1.0)],
    )
    assert book.best_bid() == (100.0, 3.0)
    assert book.best_ask() == (100.5, 4.0)
    assert (book.bid_levels, book.ask_levels, len(book)) == (3, 3, 6)


def test_snapshot_repeated_price_keeps_last_size_and_zero_removes_it() -> None:
    book = make_book()
    book.apply_snapshot(bids=[(10.0, 1.0), (10.0, 4.0), (9.0, 2.0), (9.0, 0.0)], asks=[])
    assert book.top() == ([(10.0, 4.0)], [])


def test_snapshot_replaces_everything_before_it() -> None:
    book = make_book()
    book.apply_snapshot(bids=[(10.0, 1.0), (9.0, 1.0)], asks=[(11.0, 1.0)])
    book.apply_delta(True, 9.5, 3.0)
    book.apply_snapshot(bids=[(8.0, 2.0)], asks=[(12.0, 6.0), (13.0, 1.0)])
    assert book.top() == ([(8.0, 2.0)], [(12.0, 6.0), (13.0, 1.0)])


def test_snapshot_leaves_out_invalid_levels_and_counts_them() -> None:
    book = make_book()
    bad = book.apply_snapshot(
        bids=[(10.0, 1.0), (math.nan, 1.0), (9.0, -2.0)],
        asks=[(math.inf, 1.0), (11.0, math.nan), (12.0, 3.0)],
    )
    assert bad == 4
    assert book.top() == ([(10.0, 1.0)], [(12.0, 3.0)])


def test_deltas_against_a_hand_computed_book() -> None:
    book = make_book()
    book.apply_snapshot(
        bids=[(100.00, 500.0), (99.99, 300.0), (99.98, 100.0)],
        asks=[(100.01, 200.0), (100.02, 400.0), (100.03, 600.0)],
    )
    assert book.apply_delta(True, 99.99, 800.0)  # size change at an existing level
    assert book.apply_delta(True, 100.00, 0.0)  # best bid removed: 99.99 is best
    assert book.apply_delta(False, 100.015, 50.0)  # new ask between levels
    assert book.apply_delta(False, 100.03, 0.0)  # worst ask removed
    assert book.apply_delta(True, 99.95, 10.0)  # new worst bid
    assert book.apply_delta(False, 99.0, 0.0)  # removing a missing level changes nothing
    assert book.top() == (
        [(99.99, 800.0), (99.98, 100.0), (99.95, 10.0)],
        [(100.01, 200.0), (100.015, 50.0), (100.02, 400.0)],
    )
    assert book.size_at(True, 99.98) == 100.0
    assert book.size_at(False, 100.03) == 0.0


def test_top_n_and_default_depth() -> None:
    book = make_book(depth=2)
    book.apply_snapshot(
        bids=[(float(p), 1.0) for p in range(90, 100)],
        asks=[(float(p), 2.0) for p in range(101, 111)],
    )
    assert book.top() == ([(99.0, 1.0), (98.0, 1.0)], [(101.0, 2.0), (102.0, 2.0)])
    assert book.top(3) == (
        [(99.0, 1.0), (98.0, 1.0), (97.0, 1.0)],
        [(101.0, 2.0), (102.0, 2.0), (103.0, 2.0)],
    )
    assert book.top(0) == ([], [])
    assert len(book.top(50)[0]) == 10


def test_levels_beyond_depth_are_kept_and_surface_when_the_top_goes() -> None:
    book = make_book(depth=1)
    book.apply_snapshot(bids=[(10.0, 1.0), (9.0, 2.0), (8.0, 3.0)], asks=[])
    book.apply_delta(True, 10.0, 0.0)
    book.apply_delta(True, 9.0, 0.0)
    assert book.top() == ([(8.0, 3.0)], [])


def test_max_levels_drops_the_worst_level() -> None:
    book = make_book(depth=2, max_levels=3)
    book.apply_snapshot(bids=[(10.0, 1.0), (9.0, 1.0), (8.0, 1.0), (7.0, 1.0)], asks=[])
    assert book.top(10)[0] == [(10.0, 1.0), (9.0, 1.0), (8.0, 1.0)]
    book.apply_delta(True, 11.0, 5.0)  # new best: the worst bid (8) goes
    book.apply_delta(False, 20.0, 1.0)
    book.apply_delta(False, 21.0, 1.0)
    book.apply_delta(False, 22.0, 1.0)
    book.apply_delta(False, 19.0, 1.0)  # new best ask: the worst ask (22) goes
    assert book.top(10) == (
        [(11.0, 5.0), (10.0, 1.0), (9.0, 1.0)],
        [(19.0, 1.0), (20.0, 1.0), (21.0, 1.0)],
    )


def test_invalid_delta_is_refused_and_changes_nothing() -> None:
    book = make_book()
    book.apply_snapshot(bids=[(10.0, 1.0)], asks=[(11.0, 1.0)])
    assert book.apply_delta(True, math.nan, 1.0) is False
    assert book.apply_delta(True, math.inf, 1.0) is False
    assert book.apply_delta(False, 11.0, -1.0) is False
    assert book.apply_delta(False, 11.0, math.nan) is False
    assert book.top() == ([(10.0, 1.0)], [(11.0, 1.0)])


def test_crossed_and_locked() -> None:
    book = make_book()
    book.apply_snapshot(bids=[(10.0, 1.0)], asks=[(11.0, 1.0)])
    assert (book.crossed, book.locked, book.spread_state()) == (False, False, SPREAD_NORMAL)
    book.apply_delta(True, 11.0, 1.0)
    assert (book.crossed, book.locked, book.spread_state()) == (False, True, SPREAD_LOCKED)
    book.apply_delta(True, 11.5, 1.0)
    assert (book.crossed, book.locked, book.spread_state()) == (True, False, SPREAD_CROSSED)
    book.apply_delta(False, 11.0, 0.0)  # one side empty: neither
    assert (book.crossed, book.locked, book.spread_state()) == (False, False, SPREAD_NORMAL)


def test_negative_prices_sort_correctly() -> None:
    book = make_book()
    book.apply_snapshot(bids=[(-5.0, 1.0), (-3.0, 2.0)], asks=[(-1.0, 1.0), (0.0, 4.0)])
    assert book.top() == ([(-3.0, 2.0), (-5.0, 1.0)], [(-1.0, 1.0), (0.0, 4.0)])
    book.apply_delta(False, 0.0, 0.0)
    assert book.top() == ([(-3.0, 2.0), (-5.0, 1.0)], [(-1.0, 1.0)])


def test_clear_forgets_levels_and_waits_for_a_snapshot() -> None:
    book = make_book()
    book.apply_snapshot(bids=[(10.0, 1.0)], asks=[(11.0, 1.0)])
    book.clear()
    assert len(book) == 0
    assert book.needs_snapshot is True
    assert book.top() == ([], [])


PRICES = st.integers(min_value=1, max_value=60).map(lambda tick: tick * 0.25)
DELTAS = st.lists(
    st.tuples(st.booleans(), PRICES, st.sampled_from([0.0, 0.0, 1.0, 2.5, 100.0, 7.0])),
    max_size=300,
)


@settings(max_examples=300, deadline=None)
@given(
    snapshot_bids=st.lists(st.tuples(PRICES, st.floats(0.0, 1e6)), max_size=20),
    snapshot_asks=st.lists(st.tuples(PRICES, st.floats(0.0, 1e6)), max_size=20),
    deltas=DELTAS,
)
def test_random_deltas_match_a_reference_dict_model(
    snapshot_bids: list[tuple[float, float]],
    snapshot_asks: list[tuple[float, float]],
    deltas: list[tuple[bool, float, float]],
) -> None:
    book = make_book(depth=5)
    book.apply_snapshot(snapshot_bids, snapshot_asks)
    model: dict[bool, dict[float, float]] = {True: {}, False: {}}
    for is_bid, levels in ((True, snapshot_bids), (False, snapshot_asks)):
        for price, size in levels:
            if size > 0:
                model[is_bid][price] = size
            else:
                model[is_bid].pop(price, None)
    for is_bid, price, size in deltas:
        assert book.apply_delta(is_bid, price, size)
        if size > 0:
            model[is_bid][price] = size
        else:
            model[is_bid].pop(price, None)
    expected_bids = sorted(model[True].items(), reverse=True)
    expected_asks = sorted(model[False].items())
    assert book.top(1_000) == (expected_bids, expected_asks)
    assert book.top() == (expected_bids[:5], expected_asks[:5])
    assert book.best_bid() == (expected_bids[0] if expected_bids else None)
    assert book.best_ask() == (expected_asks[0] if expected_asks else None)
    if expected_bids and expected_asks:
        assert book.crossed == (expected_bids[0][0] > expected_asks[0][0])
        assert book.locked == (expected_bids[0][0] == expected_asks[0][0])
