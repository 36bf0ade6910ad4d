"""Five-field cron expressions (``"30 16 * * 1-5"``) for scheduled backfills.

Own parser rather than a dependency: the grammar is small (``*``, lists, ranges, ``/step``,
month and weekday names) and we need only "does this minute match" and "when next". The usual
cron rule applies when both day-of-month and day-of-week are restricted: either may match.
Times are wall-clock times in the schedule's time zone; a wall time that a DST change skips
runs at the equivalent instant after the jump, an ambiguous one at its first occurrence.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Final
from zoneinfo import ZoneInfo

SEARCH_DAYS: Final = 366 * 5
"""How far ahead ``next_after`` looks (covers ``29 2`` on a leap day with a weekday filter)."""

_MONTHS: Final = {
    name: i + 1
    for i, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    )
}
_DAYS: Final = {name: i for i, name in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}
# (name, low, high, names) of each field, in order.
_FIELDS: Final[tuple[tuple[str, int, int, dict[str, int]], ...]] = (
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, _MONTHS),
    ("day of week", 0, 7, _DAYS),
)


class CronError(ValueError):
    """A malformed cron expression; the message names the field and the bad part."""


@dataclass(frozen=True)
class Cron:
    """A parsed expression: the set of allowed values of each field."""

    expression: str
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]
    """0 = Sunday … 6 = Saturday (7 is folded into 0)."""
    days_restricted: bool
    weekdays_restricted: bool

    def matches(self, when: datetime) -> bool:
        """Whether the wall-clock minute ``when`` (seconds ignored) is a firing time."""
        return (
            when.minute in self.minutes
            and when.hour in self.hours
            and self._day_matches(when.date())
        )

    def next_after(self, when: datetime, tz: ZoneInfo) -> datetime:
        """The first firing instant strictly after ``when`` (aware), as an aware time in ``tz``.

        Compared as instants, not wall times: in the repeated fall-back hour the wall clock
        runs backwards, and a wall-time comparison would return a time before ``when``.
        """
        after = when.timestamp()
        day = when.astimezone(tz).date() - timedelta(days=1)  # a skipped wall time moves later
        found: float | None = None
        for _ in range(SEARCH_DAYS):
            if self._day_matches(day):
                for hour in self.hours:
                    for minute in self.minutes:
                        # fold=0: an ambiguous wall time fires at its first occurrence, a
                        # skipped one at the same offset from the jump (zoneinfo's reading).
                        at = datetime.combine(day, time(hour, minute), tzinfo=tz).timestamp()
                        if at > after and (found is None or at < found):
                            found = at
            if found is not None and datetime.fromtimestamp(found, tz).date() < day:
                return datetime.fromtimestamp(found, tz)
            day += timedelta(days=1)
        if found is not None:
            return datetime.fromtimestamp(found, tz)
        raise CronError(f"{self.expression!r}: never fires within {SEARCH_DAYS} days")

    def _day_matches(self, day: date) -> bool:
        if day.month not in self.months:
            return False
        in_month = day.day in self.days
        in_week = (day.isoweekday() % 7) in self.weekdays
        if self.days_restricted and self.weekdays_restricted:
            return in_month or in_week
        return in_month and in_week


def parse_cron(expression: str) -> Cron:
    """Parse ``minute hour day-of-month month day-of-week``; raise :class:`CronError`."""
    parts = expression.split()
    if len(parts) != len(_FIELDS):
        raise CronError(
            f"{expression!r}: expected 5 fields (minute hour day-of-month month day-of-week), "
            f"got {len(parts)}"
        )
    values = [
        _parse_field(part, name, low, high, names)
        for part, (name, low, high, names) in zip(parts, _FIELDS, strict=True)
    ]
    weekdays = frozenset(d % 7 for d in values[4])
    return Cron(
        expression=expression,
        minutes=values[0],
        hours=values[1],
        days=values[2],
        months=values[3],
        weekdays=weekdays,
        days_restricted=parts[2] != "*",
        weekdays_restricted=parts[4] != "*",
    )


def _parse_field(
    text: str, name: str, low: int, high: int, names: dict[str, int]
) -> frozenset[int]:
    allowed: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = _number(step_text, name, item, names={}) if step_text else 1
        if step < 1:
            raise CronError(f"{name}: step must be at least 1 in {item!r}")
        if base == "*":
            first, last = low, high
        elif "-" in base:
            a, _, b = base.partition("-")
            first, last = _number(a, name, item, names), _number(b, name, item, names)
        else:
            first = _number(base, name, item, names)
            last = high if step_text else first
        if not (low <= first <= high and low <= last <= high):
            raise CronError(f"{name}: {item!r} is outside {low}-{high}")
        if first > last:
            raise CronError(f"{name}: range {item!r} runs backwards")
        allowed.update(range(first, last + 1, step))
    return frozenset(allowed)


def _number(text: str, name: str, item: str, names: dict[str, int]) -> int:
    if text.lower() in names:
        return names[text.lower()]
    if not text.isdigit():
        raise CronError(f"{name}: {text!r} is not a number in {item!r}")
    return int(text)
