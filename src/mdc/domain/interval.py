"""Bar intervals (``1m``, ``1h``, ``1d``, ``1w``, ``1mo`` …) and the time span of a request.

One notation for the whole system (``Bar.interval``, ``mdc backfill --granularity``); each provider
maps an :class:`Interval` to its own parameter or refuses it with ``UnsupportedRequest``.

Conventions every historical provider follows, so rows from different providers dedup on the same
natural key:

* A request for ``start..end`` (dates, both inclusive) covers UTC instants
  ``[start 00:00Z, end+1 00:00Z)`` (:func:`day_range_ns`).
* Intraday bars (< 1 day) carry the provider's bar start time in ``ts_event``.
* Daily and longer bars carry midnight UTC of the session date (the date in the exchange's time
  zone) in ``ts_event`` (:func:`session_day_ns`), whatever instant the provider stamps them with.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Final, Literal
from zoneinfo import ZoneInfo

from mdc.domain.time import NS_PER_S, date_to_ns

Unit = Literal["s", "m", "h", "d", "w", "mo", "q", "y"]

UNIT_SECONDS: Final[dict[str, int]] = {
    "s": 1,
    "m": 60,
    "h": 3600,
    "d": 86_400,
    "w": 7 * 86_400,
    # Calendar units have no fixed length; these are only used to order intervals.
    "mo": 30 * 86_400,
    "q": 91 * 86_400,
    "y": 365 * 86_400,
}
_PATTERN: Final = re.compile(r"^(?P<count>[1-9][0-9]{0,3})(?P<unit>s|m|h|d|w|mo|q|y)$")
US_EASTERN: Final = ZoneInfo("America/New_York")


class IntervalError(ValueError):
    """An interval string that is not ``<count><unit>``."""


@dataclass(frozen=True, order=True)
class Interval:
    """``count`` × ``unit``; ``str()`` gives the canonical form stored in ``Bar.interval``."""

    count: int
    unit: Unit

    @classmethod
    def parse(cls, text: str) -> Interval:
        match = _PATTERN.match(text.strip())
        if match is None:
            raise IntervalError(
                f"bad interval {text!r}: expected <count><unit>, unit one of "
                "s, m, h, d, w, mo, q, y (e.g. 1m, 5m, 1h, 1d, 1w, 1mo)"
            )
        unit: Unit = match.group("unit")  # type: ignore[assignment]
        return cls(int(match.group("count")), unit)

    @property
    def seconds(self) -> int:
        """Nominal length (exact below a week, approximate for calendar units)."""
        return self.count * UNIT_SECONDS[self.unit]

    @property
    def intraday(self) -> bool:
        return self.seconds < 86_400

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


def day_range_ns(start: date, end: date) -> tuple[int, int]:
    """``[start 00:00Z, end+1 00:00Z)`` in ns; the span a ``start..end`` request covers."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    return date_to_ns(start), date_to_ns(end + timedelta(days=1))


def session_day_ns(day: date) -> int:
    """``ts_event`` of a daily (or longer) bar for session ``day``: midnight UTC of that date."""
    return date_to_ns(day)


def local_date(ts_ns: int, zone: tzinfo = US_EASTERN) -> date:
    """The calendar date of instant ``ts_ns`` in ``zone`` (a session date from a UTC stamp)."""
    return datetime.fromtimestamp(ts_ns // NS_PER_S, tz=zone).date()
