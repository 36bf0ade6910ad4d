"""The gap finder: what the archive lacks, per symbol, type and trading day.

Expected coverage comes from the exchange calendar (``calendar.py``): every session, each with
its own open and close (early closes, lunch breaks), no data expected on weekends and holidays;
crypto is open all day every day. Found against it:

* ``no_data`` — a session with nothing at all;
* ``hole`` — a stretch of a session with nothing for at least the tolerance
  (``backfill.gap_tolerance_s``; for bars at least one bar: a bar at ``t`` covers ``[t, t+step)``);
* ``gap_event`` — a span a live collector recorded as a ``Gap`` event, unless a backfill chunk
  of that symbol and type covering the day finished after the gap was recorded (repaired).

Daily bars are checked by date (one bar per session, stamped midnight UTC of the session date,
``domain/interval.py``); within-day ``Gap`` events do not concern them.

Only sessions that have **ended** (by the injected clock) are judged: a session under way or not
yet started cannot be missing anything. Without a start date the range begins at the symbol's
first stored event (to the nanosecond: the part of that session before it is not judged), so a
first ``mdc collect`` does not report the month before it as missing. :meth:`GapFinder.scope`
says what was judged, and the CLI and HTTP API print it beside the spans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final, Protocol

import msgspec
import numpy as np

from mdc.backfill.jobs import Chunk, JobStore, plan_days
from mdc.config.schema import Config
from mdc.domain.calendar import Session, sessions
from mdc.domain.events import Gap
from mdc.domain.interval import Interval
from mdc.domain.time import NS_PER_S, date_to_ns, iso, now_ns, ns_to_date

KINDS: Final = ("bars", "trades", "quotes")


class GapFinderError(ValueError):
    """A question the gap finder cannot answer (weekly bars, unknown kind)."""


class ArchiveView(Protocol):
    """What the gap finder reads from the archive."""

    def timestamps(
        self, kind: str, symbol: str, start_ns: int, end_ns: int, interval: str | None
    ) -> Sequence[int]:
        """Sorted ``ts_event`` of ``kind`` rows of ``symbol`` in ``[start_ns, end_ns)``;
        bars only of ``interval``."""

    def gap_events(self, symbol: str, start_ns: int, end_ns: int) -> list[Gap]:
        """Stored ``Gap`` events of ``symbol`` overlapping ``[start_ns, end_ns)``."""

    def first_ts(self, symbol: str) -> int | None:
        """The earliest stored ``ts_event`` of ``symbol`` (any type), None without data."""

    @property
    def corrupt(self) -> Mapping[Path, int]:
        """Lines skipped because they did not decode, per file."""


class MissingSpan(msgspec.Struct, frozen=True, kw_only=True):
    """``[from_ts, to_ts)`` of ``day``'s session has no ``kind`` data for ``symbol``."""

    symbol: str
    kind: str
    interval: str
    day: date
    from_ts: int
    to_ts: int
    reason: str
    """``no_data``, ``hole`` or ``gap_event`` (several joined by ``+`` where they overlap)."""
    detail: str = ""

    @property
    def seconds(self) -> float:
        return (self.to_ts - self.from_ts) / NS_PER_S

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = msgspec.to_builtins(self)
        data["seconds"] = self.seconds
        return data


@dataclass(frozen=True)
class Scope:
    """What the finder judged for one symbol."""

    symbol: str
    sessions: list[Session]
    """Ended sessions in the range (the first one clipped to ``from_ns``)."""
    from_ns: int | None
    """The first stored event, when the range starts there (no start date given)."""
    not_ended: list[Session]
    """Sessions in the range asked that had not ended: not judged."""
    unjudged: str = ""
    """Why nothing at all could be judged."""

    def describe(self) -> str:
        if self.unjudged:
            return f"{self.symbol}: nothing judged ({self.unjudged})"
        judged = (
            f"{len(self.sessions)} ended session(s) {self.sessions[0].day}..{self.sessions[-1].day}"
            if self.sessions
            else "no ended session"
        )
        origin = f" from the first stored data ({iso(self.from_ns)})" if self.from_ns else ""
        pending = (
            f"; not judged (not ended yet): {', '.join(str(s.day) for s in self.not_ended[:3])}"
            + (" …" if len(self.not_ended) > 3 else "")
            if self.not_ended
            else ""
        )
        return f"{self.symbol}: judged {judged}{origin}{pending}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "symbol": self.symbol,
            "sessions": len(self.sessions),
            "first_day": self.sessions[0].day.isoformat() if self.sessions else None,
            "last_day": self.sessions[-1].day.isoformat() if self.sessions else None,
            "from_ts": self.from_ns,
            "not_ended": [s.day.isoformat() for s in self.not_ended],
            "summary": self.describe(),
        }


@dataclass(frozen=True)
class GapReport:
    """The spans found, what was judged to find them, and the lines that could not be read."""

    spans: list[MissingSpan]
    scopes: list[Scope]
    skipped_lines: dict[str, int]
    """Lines that did not decode, per archive file (skipped, left in place)."""

    def notes(self) -> list[str]:
        return [scope.describe() for scope in self.scopes] + [
            f"skipped {count} unreadable line(s) in {path}"
            for path, count in self.skipped_lines.items()
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "spans": [span.to_dict() for span in self.spans],
            "scopes": [scope.to_dict() for scope in self.scopes],
            "skipped_lines": self.skipped_lines,
        }


@dataclass(frozen=True)
class _Repair:
    symbol: str
    kind: str
    start: date
    end: date
    finished_ns: int


class GapFinder:
    """Compares an archive with the calendar and its stored ``Gap`` events."""

    def __init__(
        self,
        config: Config,
        archive: ArchiveView,
        jobs: JobStore | None = None,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.config = config
        self.archive = archive
        self.jobs = jobs
        self.clock = clock

    def scope(self, symbol: str, start: date | None, end: date | None) -> Scope:
        """The sessions of ``symbol`` to judge: ended ones from ``start`` (default: its first
        stored event) to ``end`` (default: now)."""
        if start is not None and end is not None and end < start:
            raise GapFinderError(f"the range ends ({end}) before it starts ({start})")
        now = self.clock()
        from_ns = self.archive.first_ts(symbol) if start is None else None
        if start is None and from_ns is None:
            return Scope(symbol, [], None, [], unjudged="no stored data, no start date given")
        first = start or ns_to_date(from_ns or now)
        # Session dates can run a day ahead of UTC (Asia): look one day past today.
        last = end or ns_to_date(now) + timedelta(days=1)
        days = sessions(self.config.backfill.calendar_for(symbol), first, last)
        if from_ns is not None:
            days = [_clipped(s, from_ns) for s in days if s.close_ns > from_ns]
        ended = [s for s in days if s.close_ns <= now]
        today = ns_to_date(now)
        not_ended = [
            s
            for s in days
            if s.close_ns > now and (end is not None or s.open_ns <= now or s.day <= today)
        ]
        return Scope(symbol, ended, from_ns, not_ended)

    def report(
        self,
        symbols: Sequence[str],
        start: date | None,
        end: date | None,
        kinds: Sequence[str] = ("trades",),
        interval: str = "1m",
        tolerance_s: float | None = None,
    ) -> GapReport:
        """:meth:`find` with the :meth:`scope` of every symbol and the unreadable lines."""
        spans = self.find(symbols, start, end, kinds, interval, tolerance_s)
        scopes = [self.scope(symbol, start, end) for symbol in symbols]
        skipped = {str(path): n for path, n in self.archive.corrupt.items()}
        return GapReport(spans, scopes, skipped)

    def find(
        self,
        symbols: Iterable[str],
        start: date | None,
        end: date | None,
        kinds: Sequence[str] = ("trades",),
        interval: str = "1m",
        tolerance_s: float | None = None,
    ) -> list[MissingSpan]:
        """Missing spans in the ended sessions of :meth:`scope`, sorted by symbol, kind and
        time. ``interval`` applies to bars."""
        for kind in kinds:
            if kind not in KINDS:
                raise GapFinderError(f"cannot check {kind!r}: one of {', '.join(KINDS)}")
        bar_step = Interval.parse(interval)
        daily = bar_step.unit == "d" and bar_step.count == 1
        if "bars" in kinds and not bar_step.intraday and not daily:
            raise GapFinderError(f"gap finding for {interval} bars is not supported: use 1d")
        tolerance_ns = int((tolerance_s or self.config.backfill.gap_tolerance_s) * NS_PER_S)
        repairs = self._repairs()
        spans: list[MissingSpan] = []
        for symbol in symbols:
            days = self.scope(symbol, start, end).sessions
            if not days:
                continue
            for kind in kinds:
                if kind == "bars" and not bar_step.intraday:
                    spans += self._daily_bars(symbol, str(bar_step), days)
                    continue
                step = bar_step.seconds * NS_PER_S if kind == "bars" else 0
                label = str(bar_step) if kind == "bars" else "tick"
                found = self._intraday(symbol, kind, label, days, step, tolerance_ns)
                found += self._gap_events(symbol, kind, label, days, repairs)
                spans += _merge(found)
        return spans

    def _daily_bars(self, symbol: str, interval: str, days: list[Session]) -> list[MissingSpan]:
        start, end = days[0].day, days[-1].day
        stamps = self.archive.timestamps(
            "bars", symbol, date_to_ns(start), date_to_ns(end + timedelta(days=1)), interval
        )
        present = {ns_to_date(int(ts)) for ts in stamps}
        return [
            MissingSpan(
                symbol=symbol,
                kind="bars",
                interval=interval,
                day=s.day,
                from_ts=s.open_ns,
                to_ts=s.close_ns,
                reason="no_data",
            )
            for s in days
            if s.day not in present
        ]

    def _intraday(
        self,
        symbol: str,
        kind: str,
        interval: str,
        days: list[Session],
        step: int,
        tolerance_ns: int,
    ) -> list[MissingSpan]:
        first, last = days[0].open_ns - step, days[-1].close_ns
        stamps = np.asarray(
            self.archive.timestamps(
                kind, symbol, first, last, interval if kind == "bars" else None
            ),
            dtype=np.int64,
        )
        threshold = max(tolerance_ns, step)
        spans: list[MissingSpan] = []
        for session in days:
            day_spans: list[tuple[int, int]] = []
            empty = True
            for w_open, w_close in session.windows:
                lo = int(np.searchsorted(stamps, w_open - step, side="right"))
                hi = int(np.searchsorted(stamps, w_close, side="left"))
                points = stamps[lo:hi]
                empty = empty and len(points) == 0
                day_spans += _uncovered(points, step, w_open, w_close, threshold)
            reason = "no_data" if empty else "hole"
            spans += [
                MissingSpan(
                    symbol=symbol,
                    kind=kind,
                    interval=interval,
                    day=session.day,
                    from_ts=a,
                    to_ts=b,
                    reason=reason,
                )
                for a, b in day_spans
            ]
        return spans

    def _gap_events(
        self,
        symbol: str,
        kind: str,
        interval: str,
        days: list[Session],
        repairs: list[_Repair],
    ) -> list[MissingSpan]:
        return [
            MissingSpan(
                symbol=symbol,
                kind=kind,
                interval=interval,
                day=day,
                from_ts=a,
                to_ts=b,
                reason="gap_event",
                detail=gap.reason,
            )
            for day, gap, a, b, repaired in self.recorded(symbol, kind, days, repairs)
            if not repaired
        ]

    def recorded(
        self, symbol: str, kind: str, days: list[Session], repairs: list[_Repair] | None = None
    ) -> list[tuple[date, Gap, int, int, bool]]:
        """Stored ``Gap`` events of ``symbol`` within ``days``' session windows: the day, the
        gap, the part of it in the session, and whether a later backfill of ``kind`` repaired
        it."""
        if not days:
            return []
        repairs = self._repairs() if repairs is None else repairs
        gaps = self.archive.gap_events(symbol, days[0].open_ns, days[-1].close_ns)
        found: list[tuple[date, Gap, int, int, bool]] = []
        for gap in gaps:
            for session in days:
                repaired = _repaired(repairs, symbol, kind, session.day, gap.ts_recv)
                for w_open, w_close in session.windows:
                    a, b = max(gap.from_ts, w_open), min(gap.to_ts, w_close)
                    if a < b:
                        found.append((session.day, gap, a, b, repaired))
        return found

    def _repairs(self) -> list[_Repair]:
        if self.jobs is None:
            return []
        return [
            _Repair(chunk.symbol, job.spec.type, chunk.start, chunk.end, chunk.finished_ns)
            for job in self.jobs.list()
            for chunk in job.chunks
            if chunk.state == "done"
        ]


def _clipped(session: Session, from_ns: int) -> Session:
    """``session`` without what lies before ``from_ns``."""
    if session.open_ns >= from_ns:
        return session
    windows = tuple((max(a, from_ns), b) for a, b in session.windows if b > from_ns)
    return Session(session.day, windows)


def repair_chunks(spans: Iterable[MissingSpan], days_per_chunk: int) -> list[Chunk]:
    """Chunks that refetch exactly the days with something missing, symbol by symbol."""
    days: dict[str, list[date]] = {}
    for span in spans:
        days.setdefault(span.symbol, []).append(span.day)
    chunks: list[Chunk] = []
    for symbol, wanted in days.items():
        chunks += plan_days(symbol, wanted, days_per_chunk)
    return chunks


def _uncovered(
    points: np.ndarray[Any, np.dtype[np.int64]], step: int, w_open: int, w_close: int, min_ns: int
) -> list[tuple[int, int]]:
    """Spans of ``[w_open, w_close)`` at least ``min_ns`` long that no point covers
    (a point ``t`` covers ``[t, t+step)``; ``step`` 0 for ticks)."""
    if len(points) == 0:
        return [(w_open, w_close)] if w_close > w_open else []
    ends = np.maximum.accumulate(points + step)
    cursors = np.concatenate(([w_open], np.maximum(ends[:-1], w_open)))
    holes = np.nonzero(points - cursors >= min_ns)[0]
    spans = [(int(cursors[i]), int(points[i])) for i in holes]
    tail = max(int(ends[-1]), w_open)
    if w_close - tail >= min_ns:
        spans.append((tail, w_close))
    return spans


def _repaired(repairs: list[_Repair], symbol: str, kind: str, day: date, since_ns: int) -> bool:
    return any(
        r.symbol == symbol
        and r.kind == kind
        and r.start <= day <= r.end
        and r.finished_ns > since_ns
        for r in repairs
    )


def _merge(spans: list[MissingSpan]) -> list[MissingSpan]:
    """Overlapping spans of one day become one, naming every reason."""
    spans = sorted(spans, key=lambda s: (s.day, s.from_ts, s.to_ts))
    merged: list[MissingSpan] = []
    for span in spans:
        last = merged[-1] if merged else None
        if last is not None and last.day == span.day and span.from_ts <= last.to_ts:
            reasons = last.reason.split("+")
            if span.reason not in reasons:
                reasons.append(span.reason)
            detail = "; ".join(d for d in (last.detail, span.detail) if d)
            merged[-1] = msgspec.structs.replace(
                last,
                to_ts=max(last.to_ts, span.to_ts),
                reason="+".join(reasons),
                detail=detail,
            )
        else:
            merged.append(span)
    return merged
