"""RFC 3339 timestamps to int nanoseconds, without losing the nanoseconds.

``datetime`` stops at microseconds, and feeds such as Alpaca and Coinbase send nine fractional
digits (``2021-02-22T15:51:45.335689322Z``). This parser is on the hot path (one call per
event), so the date part is cached: a stream's timestamps share very few dates.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from mdc.domain.time import NS_PER_S, date_to_ns

_MAX_CACHED_DAYS: Final = 4096
_day_ns: dict[str, int] = {}


def rfc3339_ns(text: str) -> int:
    """``YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`` as int ns UTC; ValueError if malformed."""
    day = text[:10]
    base = _day_ns.get(day)
    if base is None:
        base = date_to_ns(date.fromisoformat(day))
        if len(_day_ns) >= _MAX_CACHED_DAYS:
            _day_ns.clear()
        _day_ns[day] = base
    if len(text) < 20 or text[10] not in "Tt ":
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    seconds = int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])
    fraction = 0
    end = 19
    if text[19] == ".":
        end = 20
        while end < len(text) and text[end].isdigit():
            end += 1
        digits = text[20:end]
        if not digits:
            raise ValueError(f"empty fraction in RFC 3339 timestamp: {text!r}")
        fraction = int((digits + "000000000")[:9])
    zone = text[end:]
    if zone in ("Z", "z", "+00:00", "-00:00"):
        offset = 0
    elif len(zone) == 6 and zone[0] in "+-" and zone[3] == ":":
        offset = (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * (1 if zone[0] == "+" else -1)
    else:
        raise ValueError(f"bad zone in RFC 3339 timestamp: {text!r}")
    return base + (seconds - offset) * NS_PER_S + fraction
