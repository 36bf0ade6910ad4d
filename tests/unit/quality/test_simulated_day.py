"""A simulated day with injected faults yields exactly those findings, on the right days."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from tests.support.quality_day import (
    FRIDAY,
    TUESDAY,
    WEDNESDAY,
    at,
    day_events,
    faulty_tuesday,
    faulty_week,
)

from mdc.backfill.archive import FileArchive
from mdc.backfill.gaps import GapFinder
from mdc.config.schema import Config
from mdc.domain.events import Bar, Event, Integrity
from mdc.quality.completeness import CompletenessChecker
from mdc.quality.report import build_report


def test_faults_of_a_day_are_found_exactly(
    tmp_path: Path, archive_config: Callable[[Path, list[Event]], Config]
) -> None:
    friday = day_events(FRIDAY, at(FRIDAY, 14, 30), at(FRIDAY, 18, 0))
    config = archive_config(tmp_path, faulty_tuesday() + friday)

    report = build_report(config, ["AAPL"], TUESDAY, FRIDAY, ["trades", "quotes"])

    found = [(f.kind, f.ts_event, f.severity) for f in report.findings]
    d = TUESDAY
    assert sorted(found) == sorted(
        [
            ("price_spike", at(d, 17, 0), "error"),
            ("price_spike", at(d, 19, 30), "error"),
            ("crossed_quote", at(d, 18, 0, 5), "error"),
            ("crossed_quote", at(d, 20, 0, 5), "error"),
        ]
    )
    rows = {(r.kind, r.day): r for r in report.days}
    # Thanksgiving (28th) has no session: three days per kind.
    assert sorted(rows) == sorted(
        (k, day) for k in ("trades", "quotes") for day in (TUESDAY, WEDNESDAY, FRIDAY)
    )
    for kind in ("trades", "quotes"):
        tue = rows[(kind, TUESDAY)]
        assert (tue.session_s, tue.halted_s, tue.expected_s) == (23_400, 600, 22_800)
        # The 20-minute disconnect from the last print before it to the first after it; the
        # halt's quiet edges are no hole.
        assert tue.missing_s == 1210
        assert [m.reason for m in tue.missing] == ["hole+gap_event"]
        assert (tue.expected_minutes, tue.empty_minutes) == (380, 20)
        assert (tue.known_gaps, tue.repaired_gaps) == (1, 0)
        assert tue.score == 94.7  # 100 * (0.6 * (1 - 1210/22800) + 0.4 * (1 - 20/380))
        wed = rows[(kind, WEDNESDAY)]
        assert (wed.missing_s, wed.empty_minutes, wed.score) == (23_400, 390, 0.0)
        assert [m.reason for m in wed.missing] == ["no_data"]
        fri = rows[(kind, FRIDAY)]
        assert fri.early_close and not tue.early_close
        assert (fri.session_s, fri.expected_minutes, fri.empty_minutes) == (12_600, 210, 0)
        assert (fri.missing_s, fri.score) == (0, 100.0)
    (score,) = report.scores
    assert (score.errors, score.warnings) == (4, 0)
    # Weighted by expected seconds: 22800·94.7 + 23400·0 + 12600·100 over 58800.
    assert score.completeness == round((22_800 * 94.7 + 12_600 * 100) / 58_800, 1)
    assert score.score == round(score.completeness - 4 * 5 / 3, 1)


def test_one_diverging_provider_is_one_finding(
    tmp_path: Path, archive_config: Callable[[Path, list[Event]], Config]
) -> None:
    d = TUESDAY
    ramp_up, top, ramp_down, end = at(d, 17, 0), at(d, 17, 30), at(d, 18, 0), at(d, 18, 30)

    def drift(ts: int) -> float:
        """0 → 100 bp over 30 minutes, held 30 minutes, back to 0 over 30 minutes."""
        if ramp_up <= ts < top:
            return 100 * (ts - ramp_up) / (top - ramp_up)
        if top <= ts < ramp_down:
            return 100.0
        if ramp_down <= ts < end:
            return 100 * (end - ts) / (end - ramp_down)
        return 0.0

    events = day_events(d, at(d, 14, 30), at(d, 21, 0), provider="alpha")
    events += day_events(d, at(d, 14, 30), at(d, 21, 0), provider="beta", offset_bp=drift)
    config = archive_config(tmp_path, events)

    report = build_report(config, ["AAPL"], d, d, ["trades"])

    (finding,) = report.findings
    assert (finding.kind, finding.provider, finding.severity) == (
        "provider_divergence",
        "alpha+beta",
        "warning",
    )
    assert finding.detail.startswith("price: ")
    # Over 50 bp from 17:15 on: the first diverging minute is when it is dated.
    assert finding.ts_event == at(d, 17, 15)


def test_crypto_is_expected_all_day_every_day(
    tmp_path: Path, archive_config: Callable[[Path, list[Event]], Config]
) -> None:
    saturday, sunday = date(2024, 11, 30), date(2024, 12, 1)
    events = day_events(saturday, at(saturday, 0, 0), at(sunday, 0, 0), symbol="BTC/USD")
    config = archive_config(tmp_path, events)

    report = build_report(config, ["BTC/USD"], saturday, sunday, ["trades"])

    sat, sun = report.days
    assert (sat.day, sat.calendar, sat.session_s, sat.expected_minutes) == (
        saturday,
        "24/7",
        86_400,
        1440,
    )
    assert (sat.empty_minutes, sat.missing_s, sat.score) == (0, 0, 100.0)
    assert (sun.day, sun.empty_minutes, sun.score) == (sunday, 1440, 0.0)
    assert report.findings == []


def test_minute_bars_cover_their_interval(
    tmp_path: Path, archive_config: Callable[[Path, list[Event]], Config]
) -> None:
    d = TUESDAY
    minute = 60 * 1_000_000_000
    bars: list[Event] = [
        Bar(
            symbol="AAPL",
            venue="XNAS",
            provider="sim",
            ts_event=ts,
            ts_recv=ts + minute,
            interval="1m",
            open=100,
            high=101,
            low=99,
            close=100.5,
            volume=1000,
        )
        for ts in range(at(d, 14, 30), at(d, 21, 0), minute)
        if not at(d, 18, 0) <= ts < at(d, 18, 10)  # ten bars missing
    ]
    config = archive_config(tmp_path, bars)

    report = build_report(config, ["AAPL"], d, d, ["bars"], "1m")

    (day,) = report.days
    assert (day.kind, day.interval, day.expected_minutes) == ("bars", "1m", 390)
    assert (day.empty_minutes, day.missing_s) == (10, 600)
    assert [(m.from_ts, m.to_ts) for m in day.missing] == [(at(d, 18, 0), at(d, 18, 10))]
    assert report.findings == []


def test_the_collectors_stored_findings_are_reported_the_live_ones_found_again(
    tmp_path: Path, archive_config: Callable[[Path, list[Event]], Config]
) -> None:
    d = TUESDAY

    def stored(kind: str, ts: int) -> Integrity:
        return Integrity(
            symbol="AAPL", venue="XNAS", provider="sim", ts_event=ts, ts_recv=ts, kind=kind
        )

    recorded = [stored("sequence_gap", at(d, 15, 30)), stored("price_spike", at(d, 17, 0))]
    config = archive_config(tmp_path, faulty_tuesday() + recorded)

    report = build_report(config, ["AAPL"], d, d, ["trades"])

    assert [(f.kind, f.ts_event) for f in report.findings] == [
        ("sequence_gap", at(d, 15, 30)),
        ("price_spike", at(d, 17, 0)),  # once: the replay's, not the stored copy as well
        ("crossed_quote", at(d, 18, 0, 5)),
        ("price_spike", at(d, 19, 30)),
        ("crossed_quote", at(d, 20, 0, 5)),
    ]


def test_a_session_not_yet_ended_is_not_judged(
    tmp_path: Path, archive_config: Callable[[Path, list[Event]], Config]
) -> None:
    config = archive_config(tmp_path, faulty_week())
    finder = GapFinder(config, FileArchive(tmp_path))
    during_friday = at(FRIDAY, 16, 0)  # Friday's session runs until 18:00 UTC

    days = CompletenessChecker(finder, clock=lambda: during_friday).check(
        ["AAPL"], TUESDAY, FRIDAY, ["trades"]
    )

    assert [d.day for d in days] == [TUESDAY, WEDNESDAY]
