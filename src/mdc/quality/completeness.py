"""Completeness per symbol, type and session day, against the exchange calendar.

The expected coverage of a day is its session (``backfill/calendar.py``: early closes and lunch
breaks included, holidays and weekends have none, ``24/7`` symbols have the whole UTC day) less
the spans the symbol was halted (``Status`` halted/paused … resumed): no data is expected then.
Against it, per day:

* ``missing_s`` — what the gap finder (``backfill/gaps.py``) reports missing (holes longer than
  the tolerance, a day without data, recorded ``Gap`` events not yet repaired), inside the
  expected spans;
* ``empty_minutes`` — whole minutes of the expected spans holding no event (a bar covers its
  interval);
* ``known_gaps`` / ``repaired_gaps`` — recorded ``Gap`` events overlapping the session, and how
  many of them a later backfill repaired.

The day's score (docs/quality.md)::

    C = 1 - missing_s / expected_s          (1 when nothing is expected)
    M = 1 - empty_minutes / expected_minutes
    score = round(100 * (0.6 * C + 0.4 * M), 1)

Daily bars have one bar per session: their score is 100 with it and 0 without.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any, Final

import msgspec
import numpy as np

from mdc.backfill.gaps import GapFinder, MissingSpan
from mdc.domain.calendar import Session, early_closes, sessions
from mdc.domain.events import Status
from mdc.domain.interval import Interval
from mdc.domain.time import NS_PER_S, now_ns
from mdc.quality.anomalies import HALT_STATES, RESUME_STATES
from mdc.quality.spans import Span, intersect, length, subtract, union

MINUTE_NS: Final = 60 * NS_PER_S
WEIGHT_COVERAGE: Final = 0.6
WEIGHT_MINUTES: Final = 0.4


class DayCompleteness(msgspec.Struct, frozen=True, kw_only=True):
    """How complete one symbol's ``kind`` data is on one session day."""

    symbol: str
    kind: str
    interval: str
    day: date
    calendar: str
    early_close: bool
    open_ns: int
    close_ns: int
    session_s: float
    halted_s: float
    expected_s: float
    missing_s: float
    expected_minutes: int
    empty_minutes: int
    known_gaps: int
    repaired_gaps: int
    score: float
    missing: list[MissingSpan] = []
    """The gap finder's spans of the day, halts taken out."""
    halts: list[tuple[int, int]] = []
    """Halted spans within the session."""

    @property
    def covered_pct(self) -> float:
        if self.expected_s <= 0:
            return 100.0
        return round(100 * (1 - self.missing_s / self.expected_s), 2)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        data["covered_pct"] = self.covered_pct
        data["missing"] = [span.to_dict() for span in self.missing]
        return data


def day_score(expected_s: float, missing_s: float, expected_minutes: int, empty: int) -> float:
    """The 0–100 score of the module doc."""
    coverage = 1 - missing_s / expected_s if expected_s > 0 else 1.0
    minutes = 1 - empty / expected_minutes if expected_minutes > 0 else 1.0
    return round(100 * (WEIGHT_COVERAGE * coverage + WEIGHT_MINUTES * minutes), 1)


def halted_spans(statuses: Iterable[Status], until_ns: int) -> list[Span]:
    """Spans between a halt (or pause) and the next resumption; an open halt lasts until
    ``until_ns``."""
    spans: list[Span] = []
    start: int | None = None
    for status in sorted(statuses, key=lambda s: s.ts_event):
        if status.state in HALT_STATES and start is None:
            start = status.ts_event
        elif status.state in RESUME_STATES and start is not None:
            spans.append((start, status.ts_event))
            start = None
    if start is not None and start < until_ns:
        spans.append((start, until_ns))
    return spans


class CompletenessChecker:
    """Scores session days from the gap finder's view of an archive: ended sessions only (one
    still open, or in the future, is not judged: its data has yet to come)."""

    def __init__(self, finder: GapFinder, clock: Callable[[], int] = now_ns) -> None:
        self.finder = finder
        self.config = finder.config
        self.clock = clock

    def check(
        self,
        symbols: Iterable[str],
        start: date,
        end: date,
        kinds: Sequence[str] = ("trades", "quotes"),
        interval: str = "1m",
        halts: dict[str, list[Span]] | None = None,
    ) -> list[DayCompleteness]:
        """One row per symbol, kind and session day from ``start`` to ``end``, in that order;
        ``halts`` holds each symbol's halted spans (:func:`halted_spans`)."""
        step = Interval.parse(interval)
        rows: list[DayCompleteness] = []
        for symbol in symbols:
            code = self.config.backfill.calendar_for(symbol)
            ended = self.clock()
            days = [s for s in sessions(code, start, end) if s.close_ns <= ended]
            if not days:
                continue
            first, last = days[0].day, days[-1].day
            short = early_closes(code, first, last)
            halted = (halts or {}).get(symbol, [])
            for kind in kinds:
                spans = self.finder.find([symbol], first, last, [kind], interval)
                by_day: dict[date, list[MissingSpan]] = {}
                for span in spans:
                    by_day.setdefault(span.day, []).append(span)
                recorded = self.finder.recorded(symbol, kind, days)
                label = str(step) if kind == "bars" else "tick"
                if kind == "bars" and not step.intraday:
                    stamps = None
                else:
                    stamps = self._stamps(symbol, kind, days, label, step)
                step_ns = step.seconds * NS_PER_S if kind == "bars" and step.intraday else 0
                for session in days:
                    gaps = [r for r in recorded if r[0] == session.day]
                    rows.append(
                        self._day(
                            symbol,
                            kind,
                            label,
                            code,
                            session,
                            session.day in short,
                            halted,
                            by_day.get(session.day, []),
                            stamps,
                            step_ns,
                            len({id(g[1]) for g in gaps}),
                            len({id(g[1]) for g in gaps if g[4]}),
                        )
                    )
        return rows

    def _stamps(
        self, symbol: str, kind: str, days: list[Session], label: str, step: Interval
    ) -> np.ndarray[Any, np.dtype[np.int64]]:
        back = step.seconds * NS_PER_S if kind == "bars" else 0
        return np.asarray(
            self.finder.archive.timestamps(
                kind,
                symbol,
                days[0].open_ns - back,
                days[-1].close_ns,
                label if kind == "bars" else None,
            ),
            dtype=np.int64,
        )

    def _day(
        self,
        symbol: str,
        kind: str,
        label: str,
        code: str,
        session: Session,
        early: bool,
        halts: list[Span],
        spans: list[MissingSpan],
        stamps: np.ndarray[Any, np.dtype[np.int64]] | None,
        step_ns: int,
        known: int,
        repaired: int,
    ) -> DayCompleteness:
        windows = list(session.windows)
        halted = intersect(halts, windows)
        expected = subtract(windows, halted)
        tolerance = int(self.config.backfill.gap_tolerance_s * NS_PER_S)
        kept: list[MissingSpan] = []
        for span in spans:
            for a, b in intersect([(span.from_ts, span.to_ts)], expected):
                if span.reason == "hole" and b - a < tolerance:
                    continue  # the quiet edge of a halt, not a hole of its own
                kept.append(msgspec.structs.replace(span, from_ts=a, to_ts=b))
        missing_ns = length((s.from_ts, s.to_ts) for s in kept)
        if stamps is None:  # daily bars: the session's bar is there or not
            expected_minutes = empty = 0
            score = 0.0 if kept else 100.0
        else:
            expected_minutes, empty = _minutes(expected, stamps, step_ns)
            score = day_score(length(expected), missing_ns, expected_minutes, empty)
        return DayCompleteness(
            symbol=symbol,
            kind=kind,
            interval=label,
            day=session.day,
            calendar=code,
            early_close=early,
            open_ns=session.open_ns,
            close_ns=session.close_ns,
            session_s=length(windows) / NS_PER_S,
            halted_s=length(halted) / NS_PER_S,
            expected_s=length(expected) / NS_PER_S,
            missing_s=missing_ns / NS_PER_S,
            expected_minutes=expected_minutes,
            empty_minutes=empty,
            known_gaps=known,
            repaired_gaps=repaired,
            score=score,
            missing=kept,
            halts=halted,
        )


def _minutes(
    expected: list[Span], stamps: np.ndarray[Any, np.dtype[np.int64]], step_ns: int
) -> tuple[int, int]:
    """Whole minutes inside ``expected`` (on each span's own minute grid) and how many of them
    no point covers (a point ``t`` covers ``[t, t + step_ns)``, a tick only its instant)."""
    starts: list[int] = []
    for a, b in union(expected):
        starts += range(a, b - MINUTE_NS + 1, MINUTE_NS)
    if not starts:
        return 0, 0
    grid = np.asarray(starts, dtype=np.int64)
    last = np.searchsorted(stamps, grid + MINUTE_NS, side="left") - 1
    has = last >= 0
    covered = np.zeros(len(grid), dtype=bool)
    reach = stamps[last[has]] + max(step_ns, 1)
    covered[has] = reach > grid[has]
    return len(grid), int((~covered).sum())


def overall_score(days: Iterable[DayCompleteness]) -> float | None:
    """Days' scores weighted by their expected seconds (``None`` without days)."""
    rows = list(days)
    weight = sum(max(d.expected_s, 1.0) for d in rows)
    if not rows:
        return None
    return round(sum(d.score * max(d.expected_s, 1.0) for d in rows) / weight, 1)
