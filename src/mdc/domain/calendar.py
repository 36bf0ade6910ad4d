"""Trading sessions from exchange-calendars: which days trade, and when (early closes, breaks).

The gap finder compares the archive against these windows, jobs skip chunks in which the market
never opened, and the stream watchdog (:class:`MarketHours`) stays quiet while the market is
closed. Crypto trades around the clock: its calendar is exchange-calendars' own
``"24/7"`` (one session per UTC day). Which calendar a symbol follows is explicit config
(``backfill.calendars``, ``BackfillConfig.calendar_for``), with ``backfill.calendar`` as the
default; a ccxt-style pair (``BTC/USDT``) defaults to ``24/7``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any, Final

ALWAYS_OPEN: Final = "24/7"
FIRST_YEAR: Final = 1990
"""Calendars are built from this year on, so old history (2005 Polygon data) has sessions."""
YEARS_AHEAD: Final = 2
"""…and up to this many years after today's (exchange-calendars refuses unbounded ranges)."""
EARLIEST_YEAR: Final = 1900
"""Years before this (or after the years ahead) are refused rather than built."""


_NAT: Final = -(2**63)
"""pandas' integer form of NaT (a session without a lunch break)."""


class CalendarError(ValueError):
    """Unknown calendar code or a range outside what the calendar covers."""


@dataclass(frozen=True)
class Session:
    """One trading day: ``windows`` are the ``[start, end)`` spans (ns, UTC) trading happens in;
    two of them when the exchange breaks for lunch."""

    day: date
    windows: tuple[tuple[int, int], ...]

    @property
    def open_ns(self) -> int:
        return self.windows[0][0]

    @property
    def close_ns(self) -> int:
        return self.windows[-1][1]


def sessions(code: str, start: date, end: date) -> list[Session]:
    """Every session of calendar ``code`` from ``start`` to ``end`` inclusive, in order."""
    if end < start:
        return []
    schedule = _schedule(code, start.year, end.year)
    rows = schedule.loc[start.isoformat() : end.isoformat()]
    days = [label.date() for label in rows.index]
    opens = rows["open"].array.asi8.tolist()
    closes = rows["close"].array.asi8.tolist()
    if "break_start" in rows.columns:
        break_starts = rows["break_start"].array.asi8.tolist()
        break_ends = rows["break_end"].array.asi8.tolist()
    else:
        break_starts = break_ends = [_NAT] * len(days)
    result: list[Session] = []
    for day, open_ns, close_ns, b_start, b_end in zip(
        days, opens, closes, break_starts, break_ends, strict=True
    ):
        if b_start == _NAT or b_end == _NAT:
            result.append(Session(day=day, windows=((open_ns, close_ns),)))
        else:
            result.append(Session(day=day, windows=((open_ns, b_start), (b_end, close_ns))))
    return result


def session_days(code: str, start: date, end: date) -> list[date]:
    return [s.day for s in sessions(code, start, end)]


def early_closes(code: str, start: date, end: date) -> set[date]:
    """Sessions of ``code`` from ``start`` to ``end`` that close earlier than a regular day."""
    index = _calendar(code, start.year, end.year).early_closes
    return {d for d in (label.date() for label in index) if start <= d <= end}


def timezone_of(code: str) -> str:
    """The exchange's local time zone (for display)."""
    return str(_calendar(code, date.today().year, date.today().year).tz)


def _schedule(code: str, first_year: int, last_year: int) -> Any:
    return _calendar(code, first_year, last_year).schedule


def _calendar(code: str, first_year: int, last_year: int) -> Any:
    ahead = date.today().year + YEARS_AHEAD
    if first_year < EARLIEST_YEAR or last_year > ahead:
        # Unknown sessions, and a calendar of centuries takes minutes to build.
        raise CalendarError(
            f"calendar {code!r}: sessions are known from {EARLIEST_YEAR} to {ahead}; "
            f"{first_year if first_year < EARLIEST_YEAR else last_year} is outside (narrow "
            "the range)"
        )
    return _build(code, min(first_year, FIRST_YEAR), max(last_year, ahead))


@cache
def _build(code: str, first_year: int, last_year: int) -> Any:
    import exchange_calendars as xc

    try:
        return xc.get_calendar(code, start=f"{first_year}-01-01", end=f"{last_year}-12-31")
    except xc.errors.InvalidCalendarName:
        raise CalendarError(
            f"unknown calendar {code!r} (use an exchange-calendars code such as XNYS, XLON, "
            f"or {ALWAYS_OPEN!r} for crypto)"
        ) from None
    except ValueError as exc:
        raise CalendarError(f"calendar {code!r}: {exc}") from None


class MarketHours:
    """Is an exchange in session at a given time? Cached until the next open or close."""

    def __init__(self, calendar: str) -> None:
        import exchange_calendars

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas deprecations inside exchange_calendars
            self.calendar = exchange_calendars.get_calendar(calendar)
        self._open = False
        self._valid_until = -1
        self._valid_from = 0

    def is_open(self, ts: int) -> bool:
        if self._valid_from <= ts < self._valid_until:
            return self._open
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pandas deprecations inside exchange_calendars
            return self._lookup(ts)

    def _lookup(self, ts: int) -> bool:
        import pandas as pd

        minute = pd.Timestamp(ts, unit="ns", tz="UTC").floor("min")
        cal = self.calendar
        if not cal.first_minute <= minute < cal.last_minute:
            return True  # beyond the calendar's range: watch rather than guess
        self._open = bool(cal.is_open_on_minute(minute))
        edge = cal.next_close(minute) if self._open else cal.next_open(minute)
        self._valid_from = int(minute.value)
        self._valid_until = int(edge.value)
        return self._open
