"""Timestamps as the venues write them, to and from int nanoseconds UTC.

``datetime`` stops at microseconds; Alpaca and Polygon give nanoseconds, so RFC 3339 strings are
parsed by hand here. Streaming feeds stamp every message (Coinbase ISO-8601, Kraken decimal
seconds), where ``datetime`` parsing per message would cost more than the rest of the parse:
:class:`IsoParser` caches the nanoseconds of each whole-second prefix and converts only the
fraction with integer arithmetic, and decimal seconds never go through ``float`` (which cannot hold
nanoseconds exactly).
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


SECOND_CACHE_SIZE: Final = 4096
"""Second prefixes remembered; a feed moves through one per second, the bound keeps memory flat."""
_SECOND: Final = 19  # len("2021-04-17T16:43:37")
_PAD: Final = "000000000"
_SCALE: Final[tuple[int, ...]] = tuple(10 ** (9 - n) for n in range(10))
"""Nanoseconds per unit of an n-digit fraction."""


class IsoParser:
    """``YYYY-MM-DDTHH:MM:SS[.f…]Z`` → int ns: the whole-second prefix is cached, so a message
    costs a dict lookup and one ``int`` of its fraction. Other forms (offsets, more than 9
    fraction digits) take the general RFC 3339 path."""

    __slots__ = ("_seconds",)

    def __init__(self) -> None:
        self._seconds: dict[str, int] = {}

    def ns(self, text: str) -> int:
        base = self._seconds.get(text[:_SECOND])
        if base is None:
            base = self._second(text)
        digits = len(text) - 21  # fraction digits of "…:SS.fffZ"
        if 0 < digits <= 9 and text[19] == "." and text[-1] == "Z":
            return base + int(text[20:-1]) * _SCALE[digits]
        if digits == -1 and text[19] == "Z":
            return base
        return parse_rfc3339_ns(text)

    __call__ = ns

    def _second(self, text: str) -> int:
        prefix = text[:_SECOND]
        base = parse_rfc3339_ns(prefix + "Z")
        if len(self._seconds) >= SECOND_CACHE_SIZE:
            self._seconds.clear()
        self._seconds[prefix] = base
        return base


def decimal_seconds_ns(text: str) -> int:
    """``"1618678123.481570"`` → ``1618678123481570000`` exactly (no float rounding)."""
    seconds, _, fraction = text.partition(".")
    if fraction:
        return int(seconds) * NS_PER_S + int((fraction + _PAD)[:9])
    return int(seconds) * NS_PER_S
