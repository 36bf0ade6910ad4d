"""Crypto in Lean's crypto layout, round trip: a folder made of the rows Lean's own tests and
repository files show (``LeanDataTests`` l.945-974 and the crypto files quoted in
``../shared/research/lean-format.md`` §4; Lean's repo has no crypto fixture copy here) is
imported and exported again byte for byte, per venue folder, float noise digits included."""

from __future__ import annotations

import zipfile
from pathlib import Path

from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.integrations.lean.zipfiles import read_entry
from mdc.storage.archive import open_archive

runner = CliRunner()
FILES = {
    "crypto/coinbase/tick/btcusd/20160217_trade.zip": (
        "20160217_btcusd_tick_trade.csv",
        ["34200000,1,2,0", "34200001.5,411.25,0.01,1"],
    ),
    "crypto/coinbase/tick/btcusd/20160217_quote.zip": (
        "20160217_btcusd_tick_quote.csv",
        ["34200000,1.25,2,1.5,4,1", "34200000,-1,0,-1,0,0"],
    ),
    "crypto/coinbase/second/btcusd/20160217_trade.zip": (
        "20160217_btcusd_second_trade.csv",
        ["4000,611.78,611.87,611.78,611.87,0.60046"],
    ),
    "crypto/binance/minute/btcusdt/20221219_trade.zip": (
        "20221219_btcusdt_minute_trade.csv",
        ["0,17212.12,17216.55,17208.88,17208.88,110.66042"],
    ),
    "crypto/bybit/minute/btcusdt/20221219_quote.zip": (
        "20221219_btcusdt_minute_quote.csv",
        [
            "0,17207.18,17211.24,17205,17205.01,0.00531,17208.86,17213,17206.29,17206.77,0.00416",
            "60000,,,,,0,6,7,8,9,10",
        ],
    ),
    "crypto/binance/hour/btcusdt_trade.zip": (
        "btcusdt.csv",
        ["20180501 00:00,9246.01,9248.99,8934.44,8955.01,5263.799551"],
    ),
    "crypto/coinbase/daily/btcusd_quote.zip": (
        "btcusd.csv",
        [
            "20150427 00:00,219.16,219.83,219.16,219.58,5.8133,"
            "219.18,220.03,219.18,219.6,0.0100001",
            "20150428 00:00,225.1,226.2,224,225.5,31.115892870000003,225.2,226.3,224.1,225.6,1",
        ],
    ),
}
EXPORTS = [
    ("tick", "BTC/USD", "2016-02-17", "2016-02-17"),
    ("second", "BTC/USD", "2016-02-17", "2016-02-17"),
    ("minute", "BTC/USDT", "2022-12-19", "2022-12-19"),
    ("hour", "BTC/USDT", "2018-05-01", "2018-05-01"),
    ("daily", "BTC/USD", "2015-04-27", "2015-04-28"),
]


def test_crypto_files_come_back_byte_for_byte(tmp_path: Path) -> None:
    lean, data, out = tmp_path / "lean", tmp_path / "data", tmp_path / "out"
    for rel, (entry, rows) in FILES.items():
        (lean / rel).parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(lean / rel, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr(entry, "\n".join(rows))
    result = runner.invoke(app, ["import", "lean", str(lean), "--data", str(data)])
    assert result.exit_code == 0, result.output
    archive = open_archive(data)
    assert archive.symbols() == ["BTC/USD", "BTC/USDT"]
    noisy = archive.events("quote_bars", "BTC/USD")[1]
    assert noisy.bid_size == 31.115892870000003  # type: ignore[union-attr]
    for resolution, symbol, start, end in EXPORTS:
        args = ["export", "lean", "-s", symbol, "--from", start, "--to", end, "-r", resolution]
        result = runner.invoke(app, [*args, "--out", str(out), "--data", str(data)])
        assert result.exit_code == 0, result.output
    produced = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.zip"))
    assert produced == sorted(FILES)  # bybit's quotes stay in bybit/, binance's trades in binance/
    for rel, (entry, rows) in FILES.items():
        assert read_entry(out / rel) == (entry, "\n".join(rows).encode()), rel
    assert not list(out.rglob("*.csv"))  # factor and map files are equity-only
