"""The feed timestamp parsers agree with the general RFC 3339 parser, to the nanosecond."""

from __future__ import annotations

import pytest

from mdc.providers.timestamps import IsoParser, decimal_seconds_ns, parse_rfc3339_ns


@pytest.mark.parametrize(
    "text",
    [
        "2021-04-17T16:43:37.075687Z",
        "2021-04-17T16:43:37Z",
        "2021-04-17T16:43:37.1Z",
        "2021-04-17T16:43:37.123456789Z",
        "2021-04-17T16:43:37.075687+00:00",
        "2014-11-07T08:19:28.464459Z",
    ],
)
def test_iso_parser(text: str) -> None:
    parse = IsoParser()
    assert parse(text) == parse_rfc3339_ns(text)
    assert parse(text) == parse_rfc3339_ns(text)  # from the cache


def test_iso_parser_rejects_garbage() -> None:
    parse = IsoParser()
    for text in ("garbage", "2021-04-17T16:43:37.07x687Z", ""):
        with pytest.raises(ValueError):
            parse(text)


def test_decimal_seconds() -> None:
    assert decimal_seconds_ns("1618678123.481570") == 1_618_678_123_481_570_000
    assert decimal_seconds_ns("1618678123") == 1_618_678_123_000_000_000
