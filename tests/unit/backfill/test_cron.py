"""Cron expressions: parsing, errors that name the field, and next firing times across DST."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from mdc.backfill.cron import CronError, parse_cron

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
