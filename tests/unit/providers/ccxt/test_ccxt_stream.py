"""The ccxt provider's errors without a network: missing extra, missing exchange or method."""

from __future__ import annotations

import sys

import pytest

from mdc.providers.base import ProviderError
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.stream import BinanceProtocol
from mdc.providers.ccxt.stream import INSTALL_HINT, accepted_limit, load_ccxt_pro


def test_missing_extra_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ccxt.pro", None)  # what an absent package looks like
    with pytest.raises(ProviderError) as info:
        load_ccxt_pro()
    assert str(info.value) == INSTALL_HINT
    assert "pip install 'mdc[ccxt]'" in INSTALL_HINT


def test_binance_reconnects_before_its_24_hour_limit() -> None:
    protocol = BinanceProtocol(BinanceConfig())
    assert protocol.max_connection_age_s == 86_100.0
    assert BinanceProtocol(BinanceConfig(max_connection_age_s=60)).max_connection_age_s == 60


@pytest.mark.parametrize(
    ("refusal", "wanted", "expected"),
    [
        ("kraken watchOrderBook accepts limit values of 10, 25, 100, 500 and 1000 only", 20, 25),
        (
            "kraken watchOrderBook accepts limit values of 10, 25, 100, 500 and 1000 only",
            2000,
            1000,
        ),
        ("bitfinex watchOrderBook limit argument must be None, 25 or 100", 50, 100),
        ("kucoin watchOrderBook 'limit' argument must be None, 5, 20, 50 or 100", 10, 20),
        (
            "bybit watchOrderBookForSymbols(): for spot markets limit can be one of: [1,50,200]",
            30,
            50,
        ),
        ("Subscription depth not supported", 25, None),
        ("htx watchOrderBook market accepts limits of 5, 20, 150 or 400 only", 150, 400),
    ],
)
def test_accepted_limit(refusal: str, wanted: int, expected: int | None) -> None:
    assert accepted_limit(refusal, wanted) == expected
