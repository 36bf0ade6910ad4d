"""RFC 3339 timestamps to int nanoseconds UTC — the one parser every feed and API uses.

``datetime`` stops at microseconds, and feeds such as Alpaca and Coinbase send nine fractional
digits (``2021-02-22T15:51:45.335689322Z``). The accepted forms are those of
``datetime.fromisoformat`` restricted to RFC 3339 (``T``/``t``/space separator, ``Z``/``z`` or
``±HH:MM``/``±HHMM`` zone), plus two choices: a missing zone means UTC (some REST APIs omit it),
and fraction digits beyond nine are truncated to the nanosecond (``fromisoformat`` truncates to
the microsecond).

This is on the hot path (one call per message): the whole-second prefix of each timestamp is
validated once and its nanoseconds cached, as consecutive messages share their second, so a
``…:SS.fffZ`` message costs one dict lookup and one ``int`` of its fraction.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Final

from mdc.domain.time import NS_PER_S, date_to_ns

CACHE_SIZE: Final = 4096
"""Second prefixes remembered; a feed moves through one per second, the bound keeps memory flat."""
_SECOND: Final = 19  # len("2021-04-17T16:43:37")
_SCALE: Final[tuple[int, ...]] = tuple(10 ** (9 - n) for n in range(10))
"""Nanoseconds per unit of an n-digit fraction."""
_FORM: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})"
    r"(?:\.(\d+))?"
    r"(?:([Zz])|([+-])(\d{2}):?(\d{2}))?",
    re.ASCII,
)
_seconds: dict[str, int] = {}
"""Whole-second prefix (validated) → its ns, before any zone offset."""


def rfc3339_ns(text: str) -> int:
    """``YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM]`` as int ns UTC; ValueError if malformed."""
    base = _seconds.get(text[:_SECOND])
    if base is not None:
        digits = len(text) - 21  # fraction digits of "…:SS.fffZ"
        if 0 < digits <= 9 and text[-1] == "Z" and text[19] == ".":
            fraction = text[20:-1]
            if fraction.isdigit() and fraction.isascii():
                return base + int(fraction) * _SCALE[digits]
        elif digits == -1 and text[19] == "Z":
            return base
    return _parse(text)


def _parse(text: str) -> int:
    """The general path: every form, every check; caches the validated second."""
    match = _FORM.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    year, month, day, hour, minute, second, fraction, _, sign, off_h, off_m = match.groups()
    h, m, s = int(hour), int(minute), int(second)
    if h > 23 or m > 59 or s > 59:
        raise ValueError(f"time of day out of range in RFC 3339 timestamp: {text!r}")
    try:
        midnight = date_to_ns(date(int(year), int(month), int(day)))
    except ValueError as exc:
        raise ValueError(f"{exc} in RFC 3339 timestamp: {text!r}") from None
    base = midnight + (h * 3600 + m * 60 + s) * NS_PER_S
    if len(_seconds) >= CACHE_SIZE:
        _seconds.clear()
    _seconds[text[:_SECOND]] = base
    ns = base
    if fraction:
        ns += int(fraction[:9]) * _SCALE[min(len(fraction), 9)]
    if sign:
        oh, om = int(off_h), int(off_m)
        if oh > 23 or om > 59:
            raise ValueError(f"zone offset out of range in RFC 3339 timestamp: {text!r}")
        offset = (oh * 3600 + om * 60) * NS_PER_S
        ns += -offset if sign == "+" else offset
    return ns
