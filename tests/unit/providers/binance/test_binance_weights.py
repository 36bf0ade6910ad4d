"""Request weights per site, as each site documents them (binance.com and Binance.US differ)."""

from __future__ import annotations

import pytest

from mdc.providers.binance.config import BinanceConfig
from mdc.providers.binance.rest import EXCHANGE_INFO_WEIGHT, depth_weight


@pytest.mark.parametrize(
    ("limit", "binance", "binance_us"),
    [(5, 5, 1), (100, 5, 1), (101, 25, 5), (500, 25, 5), (1000, 50, 10), (5000, 250, 50)],
)
def test_depth_weight_per_site(limit: int, binance: int, binance_us: int) -> None:
    assert depth_weight(limit) == depth_weight(limit, "market-data") == binance
    assert depth_weight(limit, "binance-us") == binance_us


def test_binance_us_budget_and_exchange_info_weight() -> None:
    assert BinanceConfig(site="binance-us").rate_limits()["all"] == "1200/1m"
    assert BinanceConfig().rate_limits()["all"] == "6000/1m"
    assert (EXCHANGE_INFO_WEIGHT["binance"], EXCHANGE_INFO_WEIGHT["binance-us"]) == (20, 10)
