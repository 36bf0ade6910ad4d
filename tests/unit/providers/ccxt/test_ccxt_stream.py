"""The ccxt provider's errors without a network: missing extra, missing exchange or method."""

from __future__ import annotations

import sys

import pytest

from mdc.providers.base import ProviderError
from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.stream import BinanceProtocol
from mdc.providers.ccxt.stream import INSTALL_HINT, load_ccxt_pro


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
