"""Symbol search over the venues' captured product lists, served over local HTTP."""

from __future__ import annotations

import asyncio
from pathlib import Path

from replay_server import ReplayServer, read_rest_capture

from mdc.config import Config
from mdc.providers.binance.search import BinanceSearch
from mdc.providers.coinbase.search import CoinbaseSearch
from mdc.providers.kraken.search import KrakenSearch


def test_search_each_venue(fixtures_dir: Path) -> None:
    asyncio.run(_search(fixtures_dir / "crypto"))


async def _search(crypto: Path) -> None:
    rest = read_rest_capture([crypto / "COINBASE.0", crypto / "BINANCE.0", crypto / "KRAKEN.0"])
    async with ReplayServer([], rest) as server:
        urls = {"rest_url": server.http_url}
        config = Config(providers={"coinbase": urls, "binance": urls, "kraken": urls})
        coinbase = CoinbaseSearch(config)
        hits = await coinbase.search("skl-usd")
        assert [h.symbol for h in hits] == ["SKL-USD"]
        assert (hits[0].tick_size, hits[0].lot_size, hits[0].venue) == (0.0001, 0.1, "coinbase")
        skl = await coinbase.search("SKL", limit=10)
        assert {h.symbol for h in skl} == {"SKL-USD", "SKL-BTC", "SKL-EUR", "SKL-GBP"}
        assert server.stats.http_requests == ["/products"]  # the second search used the cache
        (nkn,) = await BinanceSearch(config).search("NKNUSDT")
        assert (nkn.symbol, nkn.name, nkn.tick_size) == ("NKN-USDT", "NKNUSDT", 0.0001)
        (xbt,) = await KrakenSearch(config).search("XBT/CHF")
        assert (xbt.symbol, xbt.name, xbt.tick_size) == ("BTC-CHF", "XBT/CHF", 0.1)
