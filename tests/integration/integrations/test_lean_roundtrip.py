"""Lean's own sample data (``../shared/fixtures/lean``, 9 zips from QuantConnect/Lean's
``Data/equity/usa``) imported with ``mdc import lean`` and exported again with ``mdc export lean``
comes back byte for byte: same relative zip path, one entry of the same name, identical
decompressed content. Zip metadata differs by design (our fixed 1980 timestamp and Python's
deflate stream vs SharpZipLib's Zip64 headers), and the test pins that too."""

from __future__ import annotations

import json
import zipfile
import zlib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.integrations.lean.zipfiles import read_entry
from mdc.storage.archive import open_archive

runner = CliRunner()
EXPORTS = [
    ("tick", "IBM", "2013-10-07", "2013-10-07"),
    ("minute", "SPY", "2013-10-07", "2013-10-08"),
    ("hour", "SPY", "1998-01-01", "2021-12-31"),
    ("daily", "SPY,AAPL", "1998-01-01", "2021-12-31"),
]
ROWS = {
    "equity/usa/tick/ibm/20131007_trade.zip": 24_293,
    "equity/usa/tick/ibm/20131007_quote.zip": 109_067,
    "equity/usa/minute/spy/20131007_trade.zip": 828,
    "equity/usa/minute/spy/20131008_trade.zip": 828,
    "equity/usa/minute/spy/20131007_quote.zip": 908,
    "equity/usa/minute/spy/20131008_quote.zip": 910,
    "equity/usa/hour/spy.zip": 40_832,
    "equity/usa/daily/spy.zip": 5_849,
    "equity/usa/daily/aapl.zip": 5_849,
}


@pytest.fixture(scope="module")
def lean_dir(fixtures_dir: Path) -> Path:
    return fixtures_dir / "lean"


@pytest.fixture(scope="module")
def exported(lean_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("lean")
    config = tmp / "mdc.toml"
    # Monthly partitions: 24 years of daily and hourly bars in a few hundred files.
    config.write_text(
        f'[storage]\nroot = "{tmp / "data"}"\npartition = "monthly"\n[storage.wal]\nfsync = "off"\n'
    )
    result = runner.invoke(app, ["import", "lean", str(lean_dir), "-c", str(config), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert {f["file"]: f["events"] for f in summary["files"]} == ROWS
    assert summary["not_lean"] == [] and summary["unreadable"] == []
    out = tmp / "out"
    for resolution, symbols, start, end in EXPORTS:
        args = ["export", "lean", "-s", symbols, "--from", start, "--to", end]
        args += ["-r", resolution, "--out", str(out), "-c", str(config), "--json"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
    return tmp / "data", out


def test_every_fixture_zip_comes_back_byte_for_byte(
    lean_dir: Path, exported: tuple[Path, Path]
) -> None:
    _, out = exported
    fixtures = sorted(p.relative_to(lean_dir).as_posix() for p in lean_dir.rglob("*.zip"))
    produced = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.zip"))
    assert produced == fixtures == sorted(ROWS)
    for rel in fixtures:
        want_name, want = read_entry(lean_dir / rel)
        got_name, got = read_entry(out / rel)
        assert got_name == want_name, rel
        assert got == want, rel
        assert got.count(b"\n") + 1 == ROWS[rel] and not got.endswith(b"\n")


def test_factor_and_map_files_without_corporate_actions(exported: tuple[Path, Path]) -> None:
    _, out = exported
    aux = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.csv"))
    assert aux == [
        f"equity/usa/{kind}/{t}.csv"
        for kind in ("factor_files", "map_files")
        for t in ("aapl", "ibm", "spy")
    ]
    assert (out / "equity/usa/map_files/spy.csv").read_bytes() == b"19980102,spy\n20501231,spy\n"
    assert (
        out / "equity/usa/factor_files/aapl.csv"
    ).read_bytes() == b"19980102,1,1,0\n20501231,1,1,0"
    assert (out / "equity/usa/map_files/ibm.csv").read_bytes() == b"20131007,ibm\n20501231,ibm\n"


def test_zip_metadata_differs_only_where_lean_is_not_reproducible(
    lean_dir: Path, exported: tuple[Path, Path]
) -> None:
    _, out = exported
    rel = "equity/usa/minute/spy/20131007_trade.zip"
    with zipfile.ZipFile(lean_dir / rel) as a, zipfile.ZipFile(out / rel) as b:
        (ia,), (ib,) = a.infolist(), b.infolist()
    assert (ia.CRC, ia.file_size, ia.compress_type) == (ib.CRC, ib.file_size, ib.compress_type)
    assert zlib.crc32(read_entry(out / rel)[1]) == ia.CRC
    assert ib.date_time == (1980, 1, 1, 0, 0, 0)  # ours: fixed, so exports are reproducible
    assert ia.date_time != ib.date_time and ia.extra != ib.extra  # SharpZipLib: Zip64 extra
    again = (out / rel).read_bytes()
    runner_args = ["export", "lean", "-s", "SPY", "--from", "2013-10-07", "--to", "2013-10-07"]
    config = exported[0].parent / "mdc.toml"
    result = runner.invoke(app, [*runner_args, "--out", str(out), "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert (out / rel).read_bytes() == again  # same data, same bytes


def test_import_is_idempotent_and_reads_back_exact_values(
    lean_dir: Path, exported: tuple[Path, Path]
) -> None:
    data, _ = exported
    config = data.parent / "mdc.toml"
    result = runner.invoke(app, ["import", "lean", str(lean_dir), "-c", str(config), "--json"])
    assert result.exit_code == 0
    assert all(f["skipped"] for f in json.loads(result.output)["files"])
    forced = ["import", "lean", str(lean_dir / "equity/usa/minute"), "-c", str(config), "--force"]
    assert runner.invoke(app, forced).exit_code == 0
    archive = open_archive(data)
    bars = archive.events("bars", "SPY", "2013-10-07T13:30:00Z", "2013-10-07T13:31:00Z")
    (bar,) = [b for b in bars if b.interval == "1m"]  # type: ignore[union-attr]
    # 34200000,1674300,1675200,1674100,1674400,816453 = 09:30 New York (EDT)
    assert (bar.open, bar.high, bar.low, bar.close, bar.volume) == (  # type: ignore[union-attr]
        167.43,
        167.52,
        167.41,
        167.44,
        816453.0,
    )
    assert len(archive.events("quote_bars", "SPY")) == 908 + 910  # forced re-import: no dups
    trades = archive.events("trades", "IBM")
    assert len(trades) == 24_293
    assert trades[0].exchange == "P" and trades[0].conditions == ["20002020"]  # type: ignore[union-attr]
    quotes = archive.events("quotes", "IBM")
    assert quotes[-1].conditions == ["1", "suspicious"]  # type: ignore[union-attr]
    assert sum("suspicious" in q.conditions for q in quotes) == 1  # type: ignore[union-attr]


def test_daily_and_hour_bars_rolled_up_from_lean_minutes_match_leans_own(
    lean_dir: Path, tmp_path: Path
) -> None:
    """An archive with SPY's minute bars only: the daily and hour files built from them against
    Lean's own (built by QuantConnect from ticks with other filters): every time and volume
    equal, 2013-10-07's daily row identical, 54 of 64 prices equal; the largest difference is a
    $1.26 high in the last hour of 2013-10-08 that Lean's filters left out."""
    data, out = tmp_path / "data", tmp_path / "out"
    minute = lean_dir / "equity/usa/minute"
    assert runner.invoke(app, ["import", "lean", str(minute), "--data", str(data)]).exit_code == 0
    for res in ("daily", "hour"):
        args = ["export", "lean", "-s", "SPY", "--from", "2013-10-07", "--to", "2013-10-08"]
        result = runner.invoke(app, [*args, "-r", res, "--out", str(out), "--data", str(data)])
        assert result.exit_code == 0, result.output
    # (rows, identical rows, equal prices of 4 per row, largest price difference in deci-cents)
    expected = {"daily": (2, 1, 7, 100), "hour": (14, 7, 47, 12_600)}
    for res, (rows, same_rows, same_prices, worst) in expected.items():
        ours = read_entry(out / f"equity/usa/{res}/spy.zip")[1].decode().split("\n")
        theirs = read_entry(lean_dir / f"equity/usa/{res}/spy.zip")[1].decode().split("\n")
        theirs = [r for r in theirs if r[:8] in ("20131007", "20131008")]
        assert len(ours) == len(theirs) == rows
        assert [r.split(",")[5] for r in ours] == [r.split(",")[5] for r in theirs]  # volume
        assert [r.split(",")[0] for r in ours] == [r.split(",")[0] for r in theirs]  # time
        cents = [
            abs(int(a) - int(b))
            for x, y in zip(ours, theirs, strict=True)
            for a, b in zip(x.split(",")[1:5], y.split(",")[1:5], strict=True)
        ]
        assert sum(x == y for x, y in zip(ours, theirs, strict=True)) == same_rows
        assert (sum(c == 0 for c in cents), max(cents)) == (same_prices, worst)
    daily = read_entry(out / "equity/usa/daily/spy.zip")[1].decode().split("\n")
    assert daily[0] == "20131007 00:00,1674300,1684500,1672500,1674200,81489219"
