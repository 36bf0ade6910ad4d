"""The one RFC 3339 parser: exact nanoseconds, and ``datetime.fromisoformat`` semantics."""

from __future__ import annotations

import contextlib
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mdc.domain import rfc3339
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.domain.time import NS_PER_S


@pytest.mark.parametrize(
    ("text", "ns"),
    [
        ("2021-02-22T15:51:45.335689322Z", 1_614_009_105_335_689_322),
        ("2021-02-22T15:51:44.208Z", 1_614_009_104_208_000_000),
        ("2021-02-22T19:15:00Z", 1_614_021_300_000_000_000),
        ("2021-02-22T14:15:00-05:00", 1_614_021_300_000_000_000),
        ("2021-02-22T20:15:00.5+01:00", 1_614_021_300_500_000_000),
        ("2022-04-11T17:30:36.5+0530", 1_649_678_436_500_000_000),
        ("2022-04-11T12:00:36", 1_649_678_436_000_000_000),  # no zone: UTC
        ("2022-04-11t12:00:36z", 1_649_678_436_000_000_000),
        ("2022-04-11 12:00:36.0029519461234Z", 1_649_678_436_002_951_946),  # cut to the ns
        ("2021-04-17T16:43:37.075687+00:00", 1_618_677_817_075_687_000),
    ],
)
def test_nanoseconds_and_zones(text: str, ns: int) -> None:
    assert rfc3339_ns(text) == ns
    assert rfc3339_ns(text) == ns  # the second time from the cached second


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "x",
        "2021-02-22",
        "12:00:36Z",
        "2022-04-11T12:00Z",
        "2021-02-22T15:51:45.Z",
        "2021-02-22T15:51:45Q",
        "2021-02-22T15:51:60Z",
        "2021-02-22T24:00:00Z",
        "2021-02-30T00:00:00Z",
        "2021-02-22T15:51:45+24:00",
        "2021-04-17T16:43:37.07x687Z",
        "2021-04-17T16:43:37.1_0Z",
        "2021-04-17T16:43:37.\u0663Z",
    ],
)
def test_malformed_is_a_value_error(bad: str) -> None:
    rfc3339_ns("2021-02-22T15:51:45Z")  # warm the cache for the same second
    with pytest.raises(ValueError, match="RFC 3339"):
        rfc3339_ns(bad)


def test_zone_less_after_a_cached_z_is_utc_not_an_index_error() -> None:
    """84010cb's cached parser raised IndexError here."""
    assert rfc3339_ns("2024-05-01T10:00:00Z") == rfc3339_ns("2024-05-01T10:00:00")
    assert rfc3339_ns("2024-05-01T10:00:00.25") == rfc3339_ns("2024-05-01T10:00:00.25Z")


def test_the_cache_stays_bounded() -> None:
    for second in range(rfc3339.CACHE_SIZE + 10):
        rfc3339_ns(datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    assert len(rfc3339._seconds) <= rfc3339.CACHE_SIZE


def _two(n: int) -> str:
    return f"{n:02d}"


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    """RFC 3339 texts, valid and near-valid (fields out of range, odd separators and digits)."""
    wide = draw(st.integers(0, 3)) == 0  # a quarter with fields that may be out of range
    year = draw(st.integers(1, 9999))
    month = draw(st.integers(0, 13) if wide else st.integers(1, 12))
    day = draw(st.integers(0, 32) if wide else st.integers(1, 28))
    hour = draw(st.integers(0, 25) if wide else st.integers(0, 23))
    minute = draw(st.integers(0, 61) if wide else st.integers(0, 59))
    second = draw(st.integers(0, 61) if wide else st.integers(0, 59))
    sep = draw(st.sampled_from(["T", "T", "t", " ", "_"]))
    fraction = draw(
        st.one_of(
            st.just(""), st.text("0123456789", min_size=0, max_size=14).map(lambda d: "." + d)
        )
    )
    zone = draw(
        st.one_of(
            st.sampled_from(["", "Z", "z", "+00:00", "-00:00", "Q"]),
            st.builds(
                lambda sign, h, m, colon: f"{sign}{_two(h)}{colon}{_two(m)}",
                st.sampled_from("+-"),
                st.integers(0, 25),
                st.integers(0, 61),
                st.sampled_from([":", ""]),
            ),
        )
    )
    text = f"{year:04d}-{_two(month)}-{_two(day)}{sep}{_two(hour)}:{_two(minute)}:{_two(second)}"
    text += fraction + zone
    if (
        draw(st.integers(0, 3)) == 0
    ):  # one character replaced by anything, digits of other scripts too
        at = draw(st.integers(0, len(text) - 1))
        text = text[:at] + draw(st.sampled_from("0x.:-+Z\u0663_ ")) + text[at + 1 :]
    return text


def _reference(text: str) -> int | None:
    """``datetime.fromisoformat`` on RFC 3339 texts: ns UTC to the µs, or None if refused.

    fromisoformat takes more than RFC 3339 (any separator, ``±HH``, ``±HH:MM:SS``, ``+00:60``, an
    empty fraction, junk after the sixth fraction digit); those texts are refused here first.
    """
    body, zone = text, ""
    if text.endswith(("Z", "z")):
        body, zone = text[:-1], "Z"
    else:
        sign_at = max(text.rfind("+"), text.rfind("-"))
        if sign_at >= 19:
            body, zone = text[:sign_at], text[sign_at:]
    if zone not in ("", "Z"):
        offset = re.fullmatch(r"[+-](\d\d):?(\d\d)", zone, re.ASCII)
        if offset is None or int(offset[1]) > 23 or int(offset[2]) > 59:
            return None  # RFC 3339 offsets are HH 00-23 and MM 00-59
    digits = body[:4] + body[5:7] + body[8:10] + body[11:13] + body[14:16] + body[17:19]
    layout = body[4] + body[7] + body[10] + body[13] + body[16] if len(body) >= 19 else ""
    if layout not in ("--T::", "--t::", "-- ::") or not re.fullmatch(r"\d{14}", digits, re.ASCII):
        return None
    fraction = body[19:]
    if fraction and not re.fullmatch(r"\.\d+", fraction, re.ASCII):
        return None
    try:
        parsed = datetime.fromisoformat(body + zone)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    delta = parsed - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * NS_PER_S + delta.microseconds * 1000


@settings(max_examples=600, deadline=None)
@given(timestamps(), st.booleans())
def test_agrees_with_fromisoformat(text: str, warm: bool) -> None:
    if warm and len(text) >= 19:
        with contextlib.suppress(ValueError):  # the same second seen before, via the cache
            rfc3339_ns(text[:19] + "Z")
    expected = _reference(text)
    if expected is None:
        with pytest.raises(ValueError, match="RFC 3339"):
            rfc3339_ns(text)
        return
    ns = rfc3339_ns(text)
    assert ns // 1000 == expected // 1000  # fromisoformat stops at the microsecond
    fraction = re.match(r"\.(\d*)", text[19:])
    sub_us = (fraction[1] if fraction else "").ljust(9, "0")[6:9]
    assert ns % 1000 == int(sub_us)  # the nanoseconds are kept exactly
