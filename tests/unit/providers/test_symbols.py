"""Ticker spelling between providers: BRK.B vs BRK-B vs BRK/B vs brk-b.us."""

from __future__ import annotations

import pytest

from mdc.providers.registry import get_spec
from mdc.providers.symbols import canonical, from_provider, to_provider


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("BRK.B", "BRK.B"),
        ("brk-b", "BRK.B"),
        ("BRK/B", "BRK.B"),
        ("BRK B", "BRK.B"),
        (" aapl ", "AAPL"),
        ("BF-A", "BF.A"),
        ("BTC-USD", "BTC-USD"),
        ("EUR/USD", "EUR/USD"),
        ("SPY", "SPY"),
    ],
)
def test_canonical(raw: str, expected: str) -> None:
    assert canonical(raw) == expected


@pytest.mark.parametrize(
    ("provider", "aapl", "brkb"),
    [
        ("alpaca", "AAPL", "BRK.B"),
        ("polygon", "AAPL", "BRK.B"),
        ("finnhub", "AAPL", "BRK.B"),
        ("nasdaqdatalink", "AAPL", "BRK.B"),
        ("tiingo", "AAPL", "BRK-B"),
        ("yahoo", "AAPL", "BRK-B"),
        ("alphavantage", "AAPL", "BRK-B"),
        ("stooq", "aapl.us", "brk-b.us"),
    ],
)
def test_each_provider_spelling_round_trips(provider: str, aapl: str, brkb: str) -> None:
    style = get_spec(provider).symbol_style
    assert to_provider("AAPL", style) == aapl
    assert to_provider("BRK.B", style) == brkb
    assert to_provider("BRK/B", style) == brkb
    assert from_provider(aapl, style) == "AAPL"
    assert from_provider(brkb, style) == "BRK.B"


def test_stooq_market_suffix_and_overrides() -> None:
    assert to_provider("VOD", "stooq", market="UK") == "vod.uk"
    assert to_provider("^SPX", "stooq", overrides={"^SPX": "^spx"}) == "^spx"
    overrides = {"BRK.B": "BRK-B-OLD"}
    assert to_provider("brk.b", "dot", overrides) == "BRK-B-OLD"
    assert from_provider("BRK-B-OLD", "dot", overrides) == "BRK.B"
