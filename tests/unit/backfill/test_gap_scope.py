"""Gaps are judged only over sessions that have ended, from the first stored data unless a start
is given — with the clock injected (XNYS, July 2024: Monday 8th, Tuesday 9th)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mdc.backfill.gaps import ArchiveView, GapFinder, GapFinderError
from mdc.backfill.jobs import JobStore
from mdc.config import load_config
from mdc.domain.events import Event, Trade
from mdc.domain.time import NS_PER_S, datetime_to_ns, iso

NY = ZoneInfo("America/New_York")
ArchiveOf = Callable[[Path, list[Event]], ArchiveView]


def ny(day: int, hh: int, mm: int) -> int:
    return datetime_to_ns(datetime(2024, 7, day, hh, mm, tzinfo=NY))


def first_collect(start: int, end: int) -> list[Event]:
    """What a first `mdc collect` from ``start`` to ``end`` stores: a trade every 10 s."""
    return [
        Trade(symbol="SPY", venue="X", provider="p", ts_event=ts, ts_recv=ts, price=1.0, size=1.0,
              trade_id=str(ts))
        for ts in range(start, end, 10 * NS_PER_S)
    ]  # fmt: skip


def finder_at(tmp_path: Path, archive_of: ArchiveOf, events: list[Event], now: int) -> GapFinder:
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    return GapFinder(config, archive_of(tmp_path, events), JobStore(tmp_path), clock=lambda: now)


def test_right_after_a_first_collect_nothing_is_missing(
    tmp_path: Path, archive_of: ArchiveOf
) -> None:
    # Collected Tuesday 10:00-10:05; it is 10:06 now and today's session is under way.
    events = first_collect(ny(9, 10, 0), ny(9, 10, 5))
    finder = finder_at(tmp_path, archive_of, events, now=ny(9, 10, 6))
    assert finder.find(["SPY"], None, None, kinds=["trades"]) == []
    scope = finder.scope("SPY", None, None)
    assert scope.sessions == []
    assert [s.day for s in scope.not_ended] == [date(2024, 7, 9)]
    assert scope.describe() == (
        "SPY: judged no ended session from the first stored data "
        f"({iso(ny(9, 10, 0))}); not judged (not ended yet): 2024-07-09"
    )


def test_before_todays_open_only_ended_sessions_since_the_first_data_count(
    tmp_path: Path, archive_of: ArchiveOf
) -> None:
    # Collected Monday 14:00-15:00; it is Tuesday 08:00, before the open.
    events = first_collect(ny(8, 14, 0), ny(8, 15, 0))
    finder = finder_at(tmp_path, archive_of, events, now=ny(9, 8, 0))
    found = finder.find(["SPY"], None, None, kinds=["trades"], tolerance_s=60)
    # Monday before 14:00 was never collected, so it is not judged; 15:00-16:00 is a hole.
    assert [(s.day, s.from_ts, s.to_ts, s.reason) for s in found] == [
        (date(2024, 7, 8), ny(8, 14, 59) + 50 * NS_PER_S, ny(8, 16, 0), "hole")
    ]
    scope = finder.scope("SPY", None, None)
    assert scope.describe() == (
        "SPY: judged 1 ended session(s) 2024-07-08..2024-07-08 from the first stored data "
        f"({iso(ny(8, 14, 0))}); not judged (not ended yet): 2024-07-09"
    )


def test_an_asked_range_is_judged_whole_but_never_past_now(
    tmp_path: Path, archive_of: ArchiveOf
) -> None:
    events = first_collect(ny(8, 14, 0), ny(8, 15, 0))
    finder = finder_at(tmp_path, archive_of, events, now=ny(9, 12, 0))
    found = finder.find(["SPY"], date(2024, 7, 1), date(2024, 7, 12), kinds=["trades"])
    # Every ended session from the 1st (the 4th is a holiday) is judged; the 9th is under way.
    assert sorted({s.day.day for s in found}) == [1, 2, 3, 5, 8]
    scope = finder.scope("SPY", date(2024, 7, 1), date(2024, 7, 12))
    assert [s.day.day for s in scope.not_ended] == [9, 10, 11, 12]
    assert scope.to_dict()["sessions"] == 5
    assert scope.describe().endswith("not judged (not ended yet): 2024-07-09, 2024-07-10, "
                                     "2024-07-11 …")  # fmt: skip


def test_a_symbol_without_data_and_without_a_start_is_not_judged(
    tmp_path: Path, archive_of: ArchiveOf
) -> None:
    finder = finder_at(tmp_path, archive_of, first_collect(ny(8, 14, 0), ny(8, 15, 0)), ny(9, 8, 0))
    assert finder.find(["QQQ"], None, None, kinds=["trades", "quotes"]) == []
    assert finder.scope("QQQ", None, None).describe() == (
        "QQQ: nothing judged (no stored data, no start date given)"
    )


def test_a_range_that_ends_before_it_starts_is_refused(
    tmp_path: Path, archive_of: ArchiveOf
) -> None:
    finder = finder_at(tmp_path, archive_of, first_collect(ny(8, 14, 0), ny(8, 15, 0)), ny(9, 8, 0))
    with pytest.raises(GapFinderError, match=r"the range ends \(2024-07-01\) before it starts"):
        finder.find(["SPY"], date(2024, 7, 8), date(2024, 7, 1))
