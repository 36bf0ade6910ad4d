"""Product lists (captured REST bodies) → symbol tables with tick and lot sizes."""

from __future__ import annotations

from pathlib import Path

import pytest

from mdc.providers.binance.symbols import parse_exchange_info
from mdc.providers.binance.symbols import venue_symbol as binance_symbol
from mdc.providers.coinbase.symbols import parse_products
from mdc.providers.instruments import UnknownSymbol
from mdc.providers.kraken.symbols import common_symbol, parse_asset_pairs
from mdc.providers.kraken.symbols import venue_symbol as kraken_symbol


def body(fixtures_dir: Path, name: str) -> bytes:
    line = (fixtures_dir / "crypto" / name).read_bytes().splitlines()[0]
    return line.split(b": ", 1)[1]


def test_coinbase_products(fixtures_dir: Path) -> None:
    table = parse_products(body(fixtures_dir, "COINBASE.0"))
    btc = table.get("BTC-GBP")
    assert (btc.venue_symbol, btc.tick_size, btc.lot_size, btc.trading) == (
        "BTC-GBP",
        0.01,
        0.00000001,
        True,
    )
    with pytest.raises(UnknownSymbol, match=r"coinbase does not list 'BTC-XYZ'.*BTC-GBP"):
        table.get("BTC-XYZ")


def test_binance_exchange_info(fixtures_dir: Path) -> None:
    table = parse_exchange_info(body(fixtures_dir, "BINANCE.0"))
    nkn = table.get("NKN-USDT")
    assert (nkn.venue_symbol, nkn.tick_size, nkn.lot_size) == ("NKNUSDT", 0.0001, 1.0)
    assert table.by_venue["NKNUSDT"].symbol == "NKN-USDT"
    assert binance_symbol("nkn-usdt") == "NKNUSDT"


def test_kraken_asset_pairs(fixtures_dir: Path) -> None:
    table = parse_asset_pairs(body(fixtures_dir, "KRAKEN.0"))
    chf = table.get("BTC-CHF")
    assert (chf.venue_symbol, chf.tick_size, chf.lot_size) == ("XBT/CHF", 0.1, 1e-8)
    assert table.get("DOGE-USD").venue_symbol == "XDG/USD"
    assert common_symbol("XBT/USD") == "BTC-USD" and kraken_symbol("BTC-USD") == "XBT/USD"
    infos = {i.symbol: i for i in table.infos()}
    assert infos["ADA-BTC"].tick_size == pytest.approx(1e-8) and infos["ADA-BTC"].venue == "kraken"
