"""Symbol search over the venues' captured product lists, served over local HTTP."""

from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from replay_server import ReplayServer, read_rest_capture

from mdc.config import Config
from mdc.instruments.registry import Registry
from mdc.providers.binance.search import BinanceSearch
from mdc.providers.ccxt.search import CcxtSearch
from mdc.providers.coinbase.search import CoinbaseSearch
from mdc.providers.kraken.search import KrakenSearch

DAY = date(2026, 12, 3)


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


def test_ccxt_markets_and_one_pair_across_venues(fixtures_dir: Path, tmp_path: Path) -> None:
    asyncio.run(_across_venues(fixtures_dir / "crypto", tmp_path))


async def _across_venues(crypto: Path, root: Path) -> None:
    rest = read_rest_capture([crypto / "COINBASE.0", crypto / "KRAKEN.0"])
    async with ReplayServer([], rest) as server:
        urls = {"rest_url": server.http_url}
        ccxt = {"exchange": "coinbaseexchange", "api_urls": {"public": server.http_url}}
        config = Config(providers={"coinbase": urls, "kraken": urls, "ccxt": ccxt})
        listing = await CcxtSearch(config).listing()
        coinbase = await CoinbaseSearch(config).listing()
        assert len(listing) == len(coinbase)  # the same /products list, read by ccxt
        (skl,) = [i for i in listing if i.symbol == "SKL-USD"]
        assert (skl.provider_symbol, skl.tick_size, skl.lot_size) == ("SKL-USD", 0.0001, 0.1)
        registry = Registry(root)
        registry.store("coinbase", coinbase, DAY)
        registry.store("kraken", await KrakenSearch(config).listing(), DAY)
        registry.store("ccxt", listing, DAY)
    btc = registry.get("BTC-USD")
    assert btc is not None
    assert btc.key == "crypto:BTC-USD"
    assert btc.spellings == {"coinbase": "BTC-USD", "kraken": "XBT/USD", "ccxt": "BTC-USD"}
    assert registry.get("XBT/USD") == btc  # the venue's spelling finds the same instrument
