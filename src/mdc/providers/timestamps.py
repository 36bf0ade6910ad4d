"""Timestamps as the REST APIs write them, to and from int nanoseconds UTC.

``datetime`` stops at microseconds; Alpaca and Polygon give nanoseconds, so RFC 3339 strings are
parsed by hand here.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Final
from zoneinfo import ZoneInfo

from mdc.domain.time import NS_PER_S, date_to_ns

_RFC3339: Final = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})[Tt ](?P<h>\d{2}):(?P<m>\d{2}):(?P<s>\d{2})"
    r"(?:\.(?P<frac>\d{1,9})\d*)?(?P<zone>[Zz]|[+-]\d{2}:?\d{2})?$"
)


def parse_rfc3339_ns(text: str) -> int:
    """``2022-04-11T12:00:36.002951946Z`` → ns; no zone means UTC. ``ValueError`` if malformed."""
    match = _RFC3339.match(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    seconds = int(match["h"]) * 3600 + int(match["m"]) * 60 + int(match["s"])
    zone = match["zone"]
    if zone and zone not in "Zz":
        sign = -1 if zone[0] == "-" else 1
        digits = zone[1:].replace(":", "")
        seconds -= sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)
    frac = match["frac"] or ""
    return (
        date_to_ns(date.fromisoformat(match["date"]))
        + seconds * NS_PER_S
        + int(frac.ljust(9, "0") or 0)
    )


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
