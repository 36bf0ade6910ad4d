"""Page helpers: time order, clipping to a range, date windows."""

from __future__ import annotations

from datetime import date

import pytest

from mdc.domain.events import Trade
from mdc.providers.paging import date_windows, in_time_order, within


def trade(ts: int) -> Trade:
    return Trade(symbol="X", venue="V", provider="p", ts_event=ts, ts_recv=0, price=1, size=1)


def test_in_time_order_keeps_sorted_pages_and_sorts_others_stably() -> None:
    ordered = [trade(1), trade(2), trade(2), trade(5)]
    assert in_time_order(ordered) is ordered
    a, b, c = trade(3), trade(1), trade(3)
    assert in_time_order([a, b, c]) == [b, a, c]
    assert in_time_order([]) == []


def test_within_is_half_open() -> None:
    events = [trade(t) for t in (9, 10, 15, 20, 21)]
    assert [e.ts_event for e in within(events, 10, 20)] == [10, 15]


def test_date_windows() -> None:
    assert date_windows(date(2024, 1, 1), date(2024, 1, 10), 4) == [
        (date(2024, 1, 1), date(2024, 1, 4)),
        (date(2024, 1, 5), date(2024, 1, 8)),
        (date(2024, 1, 9), date(2024, 1, 10)),
    ]
    assert date_windows(date(2024, 1, 1), date(2024, 1, 1), 7) == [
        (date(2024, 1, 1), date(2024, 1, 1))
    ]
    assert date_windows(date(2024, 1, 2), date(2024, 1, 1), 7) == []
    with pytest.raises(ValueError, match="at least one day"):
        date_windows(date(2024, 1, 1), date(2024, 1, 2), 0)
