"""The gap finder over an archive with known holes across a holiday, an early close and a
weekend (XNYS, 2024-07-01..09: Independence Day on Thursday 4th, 13:00 close on Wednesday 3rd),
plus crypto around the clock and stored ``Gap`` events."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mdc.backfill.gaps import ArchiveView, GapFinder, GapFinderError, MissingSpan, repair_chunks
from mdc.backfill.jobs import Chunk, JobSpec, JobStore
from mdc.config import load_config
from mdc.domain.calendar import sessions
from mdc.domain.events import Bar, Event, Gap, Trade
from mdc.domain.time import NS_PER_S, datetime_to_ns

NY = ZoneInfo("America/New_York")
START, END = date(2024, 7, 1), date(2024, 7, 9)


def ny(day: int, hh: int, mm: int, ss: int = 0) -> int:
    return datetime_to_ns(datetime(2024, 7, day, hh, mm, ss, tzinfo=NY))


# Holes cut out of otherwise complete data (ns, half-open).
HOLES = [
    (ny(2, 11, 0), ny(2, 11, 30)),  # a plain intraday hole
    (ny(3, 12, 0), ny(5, 10, 0)),  # early close, then the holiday, then Friday's open
    (ny(5, 15, 0), ny(9, 0, 0)),  # Friday afternoon, the weekend, all of Monday
]


def in_hole(ts: int) -> bool:
    return any(a <= ts < b for a, b in HOLES)


def minute_bars(symbol: str) -> Iterator[Bar]:
    for s in sessions("XNYS", START, END):
        for ts in range(s.open_ns, s.close_ns, 60 * NS_PER_S):
            if not in_hole(ts):
                yield Bar(
                    symbol=symbol, venue="X", provider="p", ts_event=ts, ts_recv=ts,
                    interval="1m", open=1, high=1, low=1, close=1, volume=1,
                )  # fmt: skip


def trades(symbol: str) -> Iterator[Trade]:
    for s in sessions("XNYS", START, END):
        for i, ts in enumerate(range(s.open_ns, s.close_ns, 10 * NS_PER_S)):
            if not in_hole(ts):
                yield Trade(
                    symbol=symbol, venue="X", provider="p", ts_event=ts, ts_recv=ts,
                    price=1.0, size=1.0, trade_id=str(i),
                )  # fmt: skip


def daily_bars(symbol: str) -> Iterator[Bar]:
    for s in sessions("XNYS", START, END):
        if s.day != date(2024, 7, 8):
            ts = datetime_to_ns(datetime(s.day.year, s.day.month, s.day.day, tzinfo=UTC))
            yield Bar(
                symbol=symbol, venue="X", provider="p", ts_event=ts, ts_recv=ts, interval="1d",
                open=1, high=1, low=1, close=1, volume=1,
            )  # fmt: skip


def span(kind: str, day: int, a: int, b: int, reason: str, interval: str = "tick") -> tuple:
    return (kind, interval, date(2024, 7, day), a, b, reason)


def rows(spans: list[MissingSpan]) -> list[tuple]:
    return [(s.kind, s.interval, s.day, s.from_ts, s.to_ts, s.reason) for s in spans]


ArchiveOf = Callable[[Path, list[Event]], ArchiveView]


@pytest.fixture
def finder(tmp_path: Path, archive_of: ArchiveOf) -> GapFinder:
    events: list[Event] = [*minute_bars("SPY"), *trades("SPY"), *daily_bars("SPY")]
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    return GapFinder(config, archive_of(tmp_path, events), JobStore(tmp_path))


def test_minute_bars_holes_respect_holiday_early_close_and_weekend(finder: GapFinder) -> None:
    found = finder.find(["SPY"], START, END, kinds=["bars"], interval="1m", tolerance_s=60)
    assert rows(found) == [
        span("bars", 2, ny(2, 11, 0), ny(2, 11, 30), "hole", "1m"),
        span("bars", 3, ny(3, 12, 0), ny(3, 13, 0), "hole", "1m"),  # early close: not to 16:00
        span("bars", 5, ny(5, 9, 30), ny(5, 10, 0), "hole", "1m"),  # nothing on the 4th
        span("bars", 5, ny(5, 15, 0), ny(5, 16, 0), "hole", "1m"),
        span("bars", 8, ny(8, 9, 30), ny(8, 16, 0), "no_data", "1m"),  # nothing on 6th, 7th
    ]
    assert found[0].seconds == 1800


def test_trade_holes_are_measured_from_the_last_print(finder: GapFinder) -> None:
    found = finder.find(["SPY"], START, END, kinds=["trades"], tolerance_s=60)
    assert rows(found) == [
        span("trades", 2, ny(2, 10, 59, 50), ny(2, 11, 30), "hole"),
        span("trades", 3, ny(3, 11, 59, 50), ny(3, 13, 0), "hole"),
        span("trades", 5, ny(5, 9, 30), ny(5, 10, 0), "hole"),
        span("trades", 5, ny(5, 14, 59, 50), ny(5, 16, 0), "hole"),
        span("trades", 8, ny(8, 9, 30), ny(8, 16, 0), "no_data"),
    ]
    # A tolerance longer than every hole but the whole missing day finds only that day.
    assert rows(finder.find(["SPY"], START, END, kinds=["trades"], tolerance_s=7200)) == [
        span("trades", 8, ny(8, 9, 30), ny(8, 16, 0), "no_data"),
    ]


def test_daily_bars_are_checked_by_session_date(finder: GapFinder) -> None:
    found = finder.find(["SPY"], START, END, kinds=["bars"], interval="1d")
    assert rows(found) == [span("bars", 8, ny(8, 9, 30), ny(8, 16, 0), "no_data", "1d")]


def test_no_data_at_all_lists_every_session_only(finder: GapFinder) -> None:
    found = finder.find(["QQQ"], START, END, kinds=["quotes"])
    assert [s.day.day for s in found] == [1, 2, 3, 5, 8, 9]
    assert {s.reason for s in found} == {"no_data"}
    assert found[2].to_ts == ny(3, 13, 0)


def test_gap_events_are_reported_until_a_later_backfill_covers_them(
    tmp_path: Path, archive_of: ArchiveOf
) -> None:
    recorded = ny(9, 10, 1)
    gap = Gap(
        symbol="SPY", venue="X", provider="live", ts_event=recorded, ts_recv=recorded,
        from_ts=ny(9, 10, 0), to_ts=ny(9, 10, 0, 5), reason="sequence", detail="seq 7..9",
    )  # fmt: skip
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    jobs = JobStore(tmp_path)
    finder = GapFinder(config, archive_of(tmp_path, [*trades("SPY"), gap]), jobs)
    found = finder.find(["SPY"], date(2024, 7, 9), date(2024, 7, 9), kinds=["trades"])
    assert rows(found) == [span("trades", 9, ny(9, 10, 0), ny(9, 10, 0, 5), "gap_event")]
    assert found[0].detail == "sequence"

    # A backfill of that day finished before the gap was recorded does not repair it …
    repair = JobSpec(symbols=["SPY"], start=date(2024, 7, 9), end=date(2024, 7, 9), type="trades")
    chunk = Chunk(symbol="SPY", start=date(2024, 7, 9), end=date(2024, 7, 9), state="done")
    chunk.finished_ns = recorded - 1
    job = jobs.create(repair, [chunk])
    assert len(finder.find(["SPY"], date(2024, 7, 9), date(2024, 7, 9), kinds=["trades"])) == 1
    # … one finished after it does; quotes of that day are still not repaired.
    job.chunks[0].finished_ns = recorded + 1
    jobs.save(job)
    assert finder.find(["SPY"], date(2024, 7, 9), date(2024, 7, 9), kinds=["trades"]) == []
    quotes = finder.find(["SPY"], date(2024, 7, 9), date(2024, 7, 9), kinds=["quotes"])
    assert [s.reason for s in quotes] == ["no_data+gap_event"]


def test_crypto_trades_around_the_clock(tmp_path: Path, archive_of: ArchiveOf) -> None:
    symbol = "BTC/USD"
    first = datetime_to_ns(datetime(2024, 7, 6, tzinfo=UTC))  # a Saturday
    hole = (first + 3 * 3600 * NS_PER_S, first + 4 * 3600 * NS_PER_S)
    events: list[Event] = [
        Trade(symbol=symbol, venue="X", provider="p", ts_event=ts, ts_recv=ts, price=1, size=1)
        for ts in range(first, first + 2 * 86_400 * NS_PER_S, 30 * NS_PER_S)
        if not hole[0] <= ts < hole[1]
    ]
    config = load_config(env={"MDC_STORAGE__ROOT": str(tmp_path)})
    finder = GapFinder(config, archive_of(tmp_path, events), None)
    found = finder.find([symbol], date(2024, 7, 6), date(2024, 7, 7), kinds=["trades"])
    assert rows(found) == [
        span("trades", 6, hole[0] - 30 * NS_PER_S, hole[1], "hole"),
    ]


def test_repair_chunks_from_spans(finder: GapFinder) -> None:
    found = finder.find(["SPY"], START, END, kinds=["bars"], interval="1m", tolerance_s=60)
    chunks = repair_chunks(found, 2)
    assert [(c.symbol, c.start.day, c.end.day) for c in chunks] == [
        ("SPY", 2, 3),
        ("SPY", 5, 5),
        ("SPY", 8, 8),
    ]


def test_unsupported_questions(finder: GapFinder) -> None:
    with pytest.raises(GapFinderError, match="1w bars is not supported"):
        finder.find(["SPY"], START, END, kinds=["bars"], interval="1w")
    with pytest.raises(GapFinderError, match="cannot check 'book'"):
        finder.find(["SPY"], START, END, kinds=["book"])


def test_weekend_only_range_has_nothing_to_check(finder: GapFinder) -> None:
    assert finder.find(["SPY"], date(2024, 7, 6), date(2024, 7, 7), kinds=["trades"]) == []
    assert START + timedelta(days=8) == END
