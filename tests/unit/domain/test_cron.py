"""Cron expressions: parsing, errors that name the field, and next firing times across DST."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdc.domain.cron import CronError, parse_cron

NY = ZoneInfo("America/New_York")


def test_fields_ranges_steps_lists_and_names() -> None:
    cron = parse_cron("*/15 9-17/4 1,15 jan-mar mon-fri")
    assert cron.minutes == {0, 15, 30, 45}
    assert cron.hours == {9, 13, 17}
    assert cron.days == {1, 15}
    assert cron.months == {1, 2, 3}
    assert cron.weekdays == {1, 2, 3, 4, 5}
    assert parse_cron("0 0 * * 7").weekdays == {0}
    assert parse_cron("5/20 * * * *").minutes == {5, 25, 45}


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("* * * *", "expected 5 fields"),
        ("61 * * * *", "minute: '61' is outside 0-59"),
        ("* 5-2 * * *", "hour: range '5-2' runs backwards"),
        ("* * * * x", "day of week: 'x' is not a number"),
        ("*/0 * * * *", "minute: step must be at least 1"),
    ],
)
def test_errors_name_the_field(expression: str, message: str) -> None:
    with pytest.raises(CronError, match=message):
        parse_cron(expression)


def test_end_of_day_weekdays() -> None:
    cron = parse_cron("30 16 * * 1-5")
    friday_evening = datetime(2024, 7, 5, 21, 0, tzinfo=UTC)  # 17:00 New York
    nxt = cron.next_after(friday_evening, NY)
    assert nxt == datetime(2024, 7, 8, 16, 30, tzinfo=NY)
    assert cron.next_after(nxt, NY) == datetime(2024, 7, 9, 16, 30, tzinfo=NY)
    assert cron.matches(datetime(2024, 7, 8, 16, 30)) and not cron.matches(
        datetime(2024, 7, 6, 16, 30)
    )


def test_day_of_month_or_day_of_week_when_both_restricted() -> None:
    cron = parse_cron("0 12 13 * fri")  # the 13th, or any Friday
    start = datetime(2024, 9, 1, tzinfo=UTC)
    fired = []
    when = start
    for _ in range(4):
        when = cron.next_after(when, ZoneInfo("UTC"))
        fired.append(when.date().isoformat())
    assert fired == ["2024-09-06", "2024-09-13", "2024-09-20", "2024-09-27"]


def test_dst_change_keeps_wall_clock_time() -> None:
    cron = parse_cron("30 16 * * *")
    before = cron.next_after(datetime(2024, 3, 9, 22, 0, tzinfo=UTC), NY)  # after 16:30 EST
    assert before.astimezone(UTC) == datetime(2024, 3, 10, 20, 30, tzinfo=UTC)  # 16:30 EDT


def test_in_the_repeated_fall_back_hour_the_next_time_is_later() -> None:
    """01:10 EST is the second pass of 01:xx on 2024-11-03; 84010cb returned 01:11 EDT (earlier)."""
    second_pass = datetime(2024, 11, 3, 6, 10, tzinfo=UTC)  # 01:10 EST, fold=1
    every_minute = parse_cron("* * * * *").next_after(second_pass, NY)
    # Ambiguous wall times fire at their first occurrence only: the next one is 02:00 EST.
    assert every_minute.astimezone(UTC) == datetime(2024, 11, 3, 7, 0, tzinfo=UTC)
    daily = parse_cron("30 1 * * *").next_after(second_pass, NY)
    assert daily.astimezone(UTC) == datetime(2024, 11, 4, 6, 30, tzinfo=UTC)  # tomorrow, EST


def test_a_skipped_wall_time_runs_just_after_the_jump() -> None:
    cron = parse_cron("30 2 * * *")  # 02:30 does not exist in New York on 2024-03-10
    just_after = datetime(2024, 3, 10, 7, 10, tzinfo=UTC)  # 03:10 EDT
    assert cron.next_after(just_after, NY).astimezone(UTC) == datetime(
        2024, 3, 10, 7, 30, tzinfo=UTC
    )


ZONES = ["America/New_York", "Europe/London", "Australia/Sydney", "America/Santiago", "UTC"]


@settings(max_examples=150, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    # Instants within two hours of the 2024 DST changes of these zones, plus anywhere in 2024.
    offset_s=st.one_of(
        st.integers(min_value=-7200, max_value=7200).map(lambda s: ("dst", s)),
        st.integers(min_value=0, max_value=366 * 86400).map(lambda s: ("year", s)),
    ),
    expression=st.sampled_from(
        ["* * * * *", "*/7 * * * *", "30 1 * * *", "30 2 * * *", "0 0 * * *", "59 23 * * 0"]
    ),
    which=st.integers(min_value=0, max_value=1),
)
def test_next_after_is_always_later_than_its_input(
    zone: str, offset_s: tuple[str, int], expression: str, which: int
) -> None:
    tz = ZoneInfo(zone)
    kind, seconds = offset_s
    if kind == "dst":
        changes = _dst_changes_2024(tz) or [datetime(2024, 6, 1, tzinfo=UTC)]
        when = changes[which % len(changes)] + timedelta(seconds=seconds)
    else:
        when = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    cron = parse_cron(expression)
    nxt = cron.next_after(when, tz)
    assert nxt.timestamp() > when.timestamp()
    assert cron.next_after(nxt, tz).timestamp() > nxt.timestamp()


@functools.cache
def _dst_changes_2024(tz: ZoneInfo) -> list[datetime]:
    """The UTC instants in 2024 where ``tz`` changes offset (found hour by hour)."""
    out: list[datetime] = []
    t = datetime(2024, 1, 1, tzinfo=UTC)
    prev = t.astimezone(tz).utcoffset()
    while t.year == 2024:
        t += timedelta(hours=1)
        off = t.astimezone(tz).utcoffset()
        if off != prev:
            out.append(t)
            prev = off
    return out
