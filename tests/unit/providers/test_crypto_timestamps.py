"""Decimal-seconds timestamps (Kraken) to int ns, without float rounding."""

from __future__ import annotations

from mdc.providers.timestamps import decimal_seconds_ns


def test_decimal_seconds() -> None:
    assert decimal_seconds_ns("1618678123.481570") == 1_618_678_123_481_570_000
    assert decimal_seconds_ns("1618678123") == 1_618_678_123_000_000_000
