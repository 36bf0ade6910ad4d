"""Interval notation and the time span conventions of historical requests."""

from __future__ import annotations

from datetime import date

import pytest

from mdc.domain.interval import (
    Interval,
    IntervalError,
    day_range_ns,
    local_date,
    session_day_ns,
)


@pytest.mark.parametrize(
    ("text", "count", "unit", "seconds"),
    [
        ("1m", 1, "m", 60),
        ("5m", 5, "m", 300),
        ("1h", 1, "h", 3600),
        ("1d", 1, "d", 86_400),
        ("1w", 1, "w", 604_800),
        ("1mo", 1, "mo", 2_592_000),
        ("3mo", 3, "mo", 7_776_000),
        ("30s", 30, "s", 30),
    ],
)
def test_parse(text: str, count: int, unit: str, seconds: int) -> None:
    interval = Interval.parse(text)
    assert (interval.count, interval.unit, interval.seconds) == (count, unit, seconds)
    assert str(interval) == text


@pytest.mark.parametrize("bad", ["", "m", "0m", "1min", "1D", "-1d", "1.5h", "1 d x"])
def test_bad_interval(bad: str) -> None:
    with pytest.raises(IntervalError, match="expected <count><unit>"):
        Interval.parse(bad)


def test_intraday_and_order() -> None:
    assert Interval.parse("23h").intraday
    assert not Interval.parse("1d").intraday
    assert Interval.parse("59m").seconds < Interval.parse("1h").seconds


def test_day_range_is_half_open_utc() -> None:
    assert day_range_ns(date(2024, 1, 2), date(2024, 1, 3)) == (
        1_704_153_600_000_000_000,
        1_704_326_400_000_000_000,
    )
    with pytest.raises(ValueError, match="before start"):
        day_range_ns(date(2024, 1, 3), date(2024, 1, 2))


def test_session_dates() -> None:
    assert session_day_ns(date(2005, 4, 1)) == 1_112_313_600_000_000_000
    # Polygon stamps the 2005-04-01 daily bar 05:00Z (midnight New York, EST) …
    assert local_date(1_112_331_600_000_000_000) == date(2005, 4, 1)
    # … and Alpaca stamps summer daily bars 04:00Z (midnight New York, EDT).
    assert local_date(1_649_649_600_000_000_000) == date(2022, 4, 11)
