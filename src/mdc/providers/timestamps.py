"""Timestamps as the venues write them, to and from int nanoseconds UTC.

RFC 3339 strings go through the one parser, :func:`mdc.domain.rfc3339.rfc3339_ns`; this module
holds the other forms: dates, exchange wall-clock times, and decimal seconds (Kraken), which
never go through ``float`` (it cannot hold nanoseconds exactly).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from mdc.domain.time import NS_PER_S, date_to_ns

_PAD: Final = "000000000"


def parse_date_ns(text: str) -> int:
    """``2024-01-02`` (or any text starting with a date) → midnight UTC of that date."""
    return date_to_ns(date.fromisoformat(text[:10]))


def local_wall_ns(text: str, zone: ZoneInfo) -> int:
    """``2024-01-02 09:30:00`` wall-clock time in ``zone`` → ns UTC (DST-aware)."""
    naive = datetime.fromisoformat(text)
    aware = naive.replace(tzinfo=zone).astimezone(UTC)
    return int(aware.timestamp()) * NS_PER_S + aware.microsecond * 1000


def rfc3339(ts_ns: int) -> str:
    """ns → ``2024-01-02T00:00:00Z`` (whole seconds; enough for request bounds)."""
    moment = datetime.fromtimestamp(ts_ns // NS_PER_S, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def decimal_seconds_ns(text: str) -> int:
    """``"1618678123.481570"`` → ``1618678123481570000`` exactly (no float rounding)."""
    seconds, _, fraction = text.partition(".")
    if fraction:
        return int(seconds) * NS_PER_S + int((fraction + _PAD)[:9])
    return int(seconds) * NS_PER_S
