"""The ``PythonData`` classes (``mdc.integrations.lean.pythondata``) against a stand-in of Lean's
types (``tests/support/lean_standin.py``; Lean is not installable here), running the example
algorithm of docs/lean.md over an archive of a simulated day; and the simulated day exported
with ``mdc export lean`` read back with Lean's format rules (our reader)."""

from __future__ import annotations

import importlib
import runpy
from datetime import date, datetime
from pathlib import Path

import pytest
from tests.conftest import ROOT
from tests.support import lean_standin
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.config.schema import StorageConfig
from mdc.domain.events import Quote, Trade
from mdc.integrations.lean.archive_source import ArchiveSource
from mdc.integrations.lean.importer import ReadStats, read_batches, scan
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.historical import day_ticks, minute_bars
from mdc.storage import open_store

DAY = date(2024, 3, 1)
runner = CliRunner()


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("sim") / "data"
    store = open_store(StorageConfig(root=str(root), raw_capture=False, min_free_mb=0))
    settings = SimulatedConfig()
    for symbol in ("SPY", "BTC/USD"):
        store.append(list(day_ticks(settings, symbol, DAY)))
    store.append(list(minute_bars(settings, "SPY", DAY)))
    store.close()
    return root


def sim(symbol: str) -> tuple[list[Trade], list[Quote]]:
    ticks = day_ticks(SimulatedConfig(), symbol, DAY)
    return [t for t in ticks if isinstance(t, Trade)], [q for q in ticks if isinstance(q, Quote)]


def test_example_algorithm_reads_the_archive_through_pythondata(
    archive: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lean_standin.install()
    monkeypatch.setenv("MDC_ARCHIVE", str(archive))
    pythondata = importlib.import_module("mdc.integrations.lean.pythondata")
    example = runpy.run_path(str(ROOT / "docs/examples/lean_mdc_algorithm.py"))
    algo = lean_standin.run(example["MdcArchiveAlgorithm"])
    trades, quotes = sim("SPY")
    assert (algo.trade_count, algo.quote_count) == (len(trades), len(quotes))
    assert algo.first_price == trades[0].price
    assert algo.holdings == {"SPY": 0.5} and algo.logs[0].startswith("bought at ")
    assert algo.logs[-1] == f"trades seen: {len(trades)}, quotes seen: {len(quotes)}"
    # one point, field by field
    config = lean_standin.SubscriptionDataConfig(
        lean_standin.Symbol("SPY"), pythondata.MdcTrade, "UTC"
    )
    source = pythondata.MdcTrade().GetSource(config, datetime(2024, 3, 1), False)
    assert source.Source == str(archive / "SPY/trades/2024-03-01.jsonl")
    first = Path(source.Source).read_text().splitlines()[0]
    point = pythondata.MdcTrade().Reader(config, first, datetime(2024, 3, 1), False)
    assert point.Value == trades[0].price and point["size"] == trades[0].size
    ts = trades[0].ts_event
    assert point.Time == datetime(2024, 3, 1, 14, 30, 7, 58823)  # naive UTC, µs
    assert (ts // 1000) % 60_000_000 == 7_058_823
    assert pythondata.MdcTrade().Reader(config, '{"type": "trade", "torn', None, False) is None


def test_archive_source_refuses_what_lean_cannot_read(archive: Path) -> None:
    with pytest.raises(ValueError, match="type must be one of trades, quotes, bars"):
        ArchiveSource(archive, "book_deltas")
    bars = ArchiveSource(archive, "bars")
    point = bars.parse(Path(bars.path("SPY", DAY)).read_text().splitlines()[0])
    assert point is not None and (point.end_time - point.time).total_seconds() == 60
    assert bars.parse("") is None and bars.parse("not json") is None


def test_simulated_day_exported_reads_back_with_lean_rules(archive: Path, tmp_path: Path) -> None:
    out = tmp_path / "lean"
    base = ["export", "lean", "--from", "2024-03-01", "--to", "2024-03-01", "--out", str(out)]
    for res in ("tick", "minute", "daily"):
        result = runner.invoke(app, [*base, "-s", "SPY,BTC/USD", "-r", res, "-d", str(archive)])
        assert result.exit_code == 0, result.output
    produced = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.zip"))
    assert produced == [
        "crypto/sim/daily/btcusd_quote.zip",
        "crypto/sim/daily/btcusd_trade.zip",
        "crypto/sim/minute/btcusd/20240301_quote.zip",
        "crypto/sim/minute/btcusd/20240301_trade.zip",
        "crypto/sim/tick/btcusd/20240301_quote.zip",
        "crypto/sim/tick/btcusd/20240301_trade.zip",
        "equity/usa/daily/spy.zip",
        "equity/usa/minute/spy/20240301_quote.zip",
        "equity/usa/minute/spy/20240301_trade.zip",
        "equity/usa/tick/spy/20240301_quote.zip",
        "equity/usa/tick/spy/20240301_trade.zip",
    ]
    sources, skipped = scan(out)
    assert skipped == []
    back = {}
    for s in sources:
        stats = ReadStats()
        back[s.rel] = [e for b in read_batches(s, stats) for e in b]
        assert stats.bad_rows == 0, stats.bad_examples
    trades, quotes = sim("SPY")
    got = back["equity/usa/tick/spy/20240301_trade.zip"]
    assert [(t.ts_event, t.price, t.size) for t in got] == [  # type: ignore[union-attr]
        (t.ts_event, t.price, t.size) for t in trades
    ]
    got_q = back["equity/usa/tick/spy/20240301_quote.zip"]
    assert [(q.ts_event, q.bid_price, q.ask_size) for q in got_q] == [  # type: ignore[union-attr]
        (q.ts_event, q.bid_price, q.ask_size) for q in quotes
    ]
    minute = back["equity/usa/minute/spy/20240301_trade.zip"]
    bars = minute_bars(SimulatedConfig(), "SPY", DAY)
    assert [(b.ts_event, b.open, b.close, b.volume) for b in minute] == [  # type: ignore[union-attr]
        (b.ts_event, b.open, b.close, b.volume) for b in bars
    ]
    (daily,) = back["equity/usa/daily/spy.zip"]
    regular = [t for t in trades if 14 * 3600 + 1800 <= t.ts_event // 10**9 % 86400 < 21 * 3600]
    assert daily.volume == sum(t.size for t in regular)  # type: ignore[union-attr]
    assert daily.ts_event == 1709251200 * 10**9  # midnight UTC of the session date
    crypto = back["crypto/sim/tick/btcusd/20240301_trade.zip"]
    assert [e.symbol for e in crypto[:1]] == ["BTC/USD"]
    assert len(crypto) == len(sim("BTC/USD")[0])
