"""RFC 3339 timestamps to int nanoseconds, without losing the nanoseconds.

``datetime`` stops at microseconds, and feeds such as Alpaca and Coinbase send nine fractional
digits (``2021-02-22T15:51:45.335689322Z``). This parser is on the hot path (one call per
event), so each whole second is computed once and cached.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from mdc.domain.time import NS_PER_S, date_to_ns

_MAX_CACHED: Final = 65_536
_SCALE: Final[tuple[int, ...]] = (0, *(10 ** (9 - n) for n in range(1, 10)))
"""Multiplier that turns an n-digit fraction into nanoseconds."""
_second_ns: dict[str, int] = {}


def rfc3339_ns(text: str) -> int:
    """``YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`` as int ns UTC; ValueError if malformed.

    The fast path (UTC ``Z``, up to 9 fraction digits) costs one dict lookup per call: the
    whole-second prefix is cached, as consecutive events share their second.
    """
    prefix = text[:19]
    base = _second_ns.get(prefix)
    if base is None:
        base = _seconds(text)
        if len(_second_ns) >= _MAX_CACHED:
            _second_ns.clear()
        _second_ns[prefix] = base
    if len(text) == 20 and text[19] in "Zz":
        return base
    if text[19:20] == "." and text[-1] in "Zz" and 21 < len(text) <= 30:
        digits = text[20:-1]
        if digits.isdigit():
            return base + int(digits) * _SCALE[len(digits)]
    return base + _rest(text)


def _seconds(text: str) -> int:
    """The whole seconds of the timestamp, as ns (UTC, before any zone offset)."""
    if len(text) < 20 or text[10] not in "Tt " or text[13] != ":" or text[16] != ":":
        raise ValueError(f"not an RFC 3339 timestamp: {text!r}")
    day = date_to_ns(date.fromisoformat(text[:10]))
    return day + (int(text[11:13]) * 3600 + int(text[14:16]) * 60 + int(text[17:19])) * NS_PER_S


def _rest(text: str) -> int:
    """Fraction and zone offset, the general (slow) path."""
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
        return fraction
    if len(zone) == 6 and zone[0] in "+-" and zone[3] == ":":
        offset = (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60) * (1 if zone[0] == "+" else -1)
        return fraction - offset * NS_PER_S
    raise ValueError(f"bad zone in RFC 3339 timestamp: {text!r}")
