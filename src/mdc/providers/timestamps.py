"""Fast exchange timestamp parsing into int nanoseconds (UTC), the hot path of crypto feeds.

Venues stamp every message with text: ISO-8601 (``2021-04-17T16:43:37.075687Z``, Coinbase) or
decimal seconds (``1618678123.481570``, Kraken). ``datetime`` parsing per message costs more than
the rest of the parse, so :class:`IsoParser` caches the nanoseconds of each minute prefix and only
converts the seconds field with integer arithmetic; decimal seconds never go through ``float``
(which cannot hold nanoseconds exactly).
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from mdc.domain.time import NS_PER_S, datetime_to_ns

MINUTE_CACHE_SIZE: Final = 4096
"""Minute prefixes remembered; a feed moves through a handful, the bound keeps memory flat."""
_PREFIX: Final = 17  # len("2021-04-17T16:43:")
_PAD: Final = "000000000"


class IsoParser:
    """``YYYY-MM-DDTHH:MM:SS[.fffffffff]Z`` → int ns, with the minute prefix cached."""

    __slots__ = ("_minutes",)

    def __init__(self) -> None:
        self._minutes: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        prefix = text[:_PREFIX]
        base = self._minutes.get(prefix)
        if base is None:
            base = self._minute(prefix)
        rest = text[_PREFIX:].rstrip("Z")
        seconds, _, fraction = rest.partition(".")
        if fraction:
            return base + int(seconds) * NS_PER_S + int((fraction + _PAD)[:9])
        return base + int(seconds) * NS_PER_S

    def _minute(self, prefix: str) -> int:
        if len(prefix) != _PREFIX or prefix[10] != "T" or prefix[16] != ":":
            raise ValueError(f"not an ISO-8601 UTC timestamp: {prefix!r}")
        base = datetime_to_ns(datetime.fromisoformat(prefix + "00+00:00"))
        if len(self._minutes) >= MINUTE_CACHE_SIZE:
            self._minutes.clear()
        self._minutes[prefix] = base
        return base


def decimal_seconds_ns(text: str) -> int:
    """``"1618678123.481570"`` → ``1618678123481570000`` exactly (no float rounding)."""
    seconds, _, fraction = text.partition(".")
    if fraction:
        return int(seconds) * NS_PER_S + int((fraction + _PAD)[:9])
    return int(seconds) * NS_PER_S
