"""Time helpers: every timestamp in the system is int nanoseconds since the epoch, UTC."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from typing import Final

NS_PER_S: Final = 1_000_000_000
NS_PER_MS: Final = 1_000_000
NS_PER_US: Final = 1_000
NS_PER_DAY: Final = 86_400 * NS_PER_S

Clock = Callable[[], float]
"""Monotonic seconds (``time.monotonic``); injected where pacing or waiting must be testable."""
Sleep = Callable[[float], Awaitable[None]]
"""``asyncio.sleep``, injected together with a :data:`Clock`."""


def now_ns() -> int:
    return time.time_ns()


def ns_to_datetime(ts: int) -> datetime:
    return datetime.fromtimestamp(ts / NS_PER_S, tz=UTC)


def datetime_to_ns(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * NS_PER_US


def ns_to_date(ts: int) -> date:
    return ns_to_datetime(ts).date()


def date_to_ns(d: date) -> int:
    return datetime_to_ns(datetime(d.year, d.month, d.day, tzinfo=UTC))


def iso(ts: int) -> str:
    """ISO-8601 with nanoseconds kept (datetime itself stops at microseconds)."""
    base = ns_to_datetime(ts - ts % NS_PER_S).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ts % NS_PER_S:09d}Z"


def today_utc() -> date:
    """Today's date in UTC (the day registry refreshes are dated by)."""
    return datetime.now(UTC).date()
