"""``mdc import lean`` on bad input: malformed rows are counted and shown while the rest is
imported, an unreadable zip is named and fails the command without stopping the others, zips
that are not Lean data are listed; an interrupted import resumes from its last batch. And
``mdc export lean``'s argument errors."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdc.backfill.imports import run_import
from mdc.cli.main import app
from mdc.config import load_config
from mdc.domain.events import Event
from mdc.integrations.lean.importer import ReadStats, read_batches, scan
from mdc.storage import open_store
from mdc.storage.archive import open_archive

runner = CliRunner()


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def lean_zip(path: Path, entry: str, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(entry, body)


def test_bad_rows_unreadable_zips_and_foreign_zips(tmp_path: Path) -> None:
    lean = tmp_path / "lean"
    rows = [
        "34200000,1674300,1675200,1674100,1674400,816453",
        "34260000,abc,1,1,1,1",
        "34320000,1674400,1674500",
        "34380000,1674400,1674800,1674300,1674700,290000",
        "34440000,1674700,1674700,1674600,1674600,100",
    ]
    good = lean / "equity/usa/minute/spy/20131007_trade.zip"
    lean_zip(good, "20131007_spy_minute_trade.csv", "\r\n".join(rows).encode() + b"\r\n")
    (lean / "equity/usa/daily").mkdir(parents=True)
    (lean / "equity/usa/daily/qqq.zip").write_bytes(b"not a zip at all")
    lean_zip(lean / "equity/usa/factor_files/factor_files_20240101.zip", "spy.csv", b"x")
    data = tmp_path / "data"
    result = runner.invoke(app, ["import", "lean", str(lean), "--data", str(data)])
    assert result.exit_code == 1
    assert "row 2: 34260000,abc,1,1,1,1 (not a decimal: 'abc')" in result.output
    assert "row 3: 34320000,1674400,1674500 (trade bar: 6 columns expected, got 3)" in result.output
    assert "not a Lean equity/crypto data zip, skipped: equity/usa/factor_files/" in result.output
    assert "unreadable:" in result.output and "qqq.zip: not a readable zip" in result.output
    bars = open_archive(data).events("bars", "SPY")
    assert [b.ts_event % 86_400_000_000_000 // 60_000_000_000 for b in bars] == [810, 813, 814]
    again = runner.invoke(app, ["import", "lean", str(lean), "--data", str(data), "--json"])
    files = json.loads(again.stdout)["files"]
    assert [(f["file"], f["skipped"], f["events"], f["bad_rows"]) for f in files] == [
        ("equity/usa/minute/spy/20131007_trade.zip", True, 3, 0),
    ]


def test_an_interrupted_import_resumes_after_its_last_committed_batch(
    tmp_path: Path, fixtures_dir: Path
) -> None:
    lean = tmp_path / "lean"
    rel = "equity/usa/tick/ibm/20131007_quote.zip"  # 109,067 rows: batches of 50,000
    (lean / rel).parent.mkdir(parents=True)
    shutil.copy(fixtures_dir / "lean" / rel, lean / rel)
    data = tmp_path / "data"
    (source,), _ = scan(lean)

    def crash_after_first(batches: Iterator[list[Event]]) -> Iterator[list[Event]]:
        for n, batch in enumerate(batches):
            if n == 1:
                raise KeyboardInterrupt  # the process dies here
            yield batch

    config = load_config(None, env={"MDC_STORAGE__ROOT": str(data)})
    store = open_store(config.storage)
    with pytest.raises(KeyboardInterrupt):
        run_import(
            store, data, "lean", source.path, crash_after_first(read_batches(source, ReadStats()))
        )  # type: ignore[arg-type]
    store.close()
    assert len(open_archive(data).events("quotes", "IBM")) == 50_000
    result = runner.invoke(app, ["import", "lean", str(lean), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["files"]
    assert (entry["skipped"], entry["events"], entry["written"]) == (False, 109_067, 59_067)
    quotes: list[Event] = open_archive(data).events("quotes", "IBM")
    assert len(quotes) == 109_067
    assert [q.seq for q in quotes] == list(range(1, 109_068))


def test_export_arguments_name_the_fix(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    base = ["export", "lean", "-s", "SPY", "--out", str(tmp_path / "out"), "-d", str(data)]
    result = runner.invoke(app, [*base, "--from", "2024-03-01", "--to", "2024-03-01", "-r", "week"])
    assert result.exit_code == 2 and "--resolution: must be one of tick, second" in result.output
    result = runner.invoke(app, [*base, "--from", "2024-03-02", "--to", "2024-03-01"])
    assert result.exit_code == 2 and "--to 2024-03-01 is before --from 2024-03-02" in result.output
    result = runner.invoke(app, [*base, "--from", "March", "--to", "2024-03-01"])
    assert result.exit_code == 2 and "--from: expected a date YYYY-MM-DD" in result.output
    result = runner.invoke(app, [*base, "--from", "2024-03-01", "--to", "2024-03-01"])
    assert (
        result.exit_code == 0 and "SPY: no minute data in 2024-03-01..2024-03-01" in result.output
    )


def test_import_killed_with_sigkill_resumes_exactly(tmp_path: Path, fixtures_dir: Path) -> None:
    lean = tmp_path / "lean"
    rel = "equity/usa/tick/ibm/20131007_quote.zip"  # 3 batches
    (lean / rel).parent.mkdir(parents=True)
    shutil.copy(fixtures_dir / "lean" / rel, lean / rel)
    data = tmp_path / "data"
    args = [sys.executable, "-m", "mdc.cli", "import", "lean", str(lean), "--data", str(data)]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    states = data / "_mdc" / "imports"
    committed = 0
    try:
        for _ in range(6000):  # poll until the first batch is committed (a bound, not a timing)
            for path in states.glob("lean-*.json") if states.is_dir() else []:
                try:
                    state = json.loads(path.read_text())
                except ValueError:
                    continue
                if state["batches"] >= 1 and not state["done"]:
                    committed = state["batches"]
            if committed or proc.poll() is not None:
                break
            time.sleep(0.005)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        proc.kill()
        proc.wait()
    assert committed in (1, 2), "the import finished before it could be killed"
    result = runner.invoke(app, ["import", "lean", str(lean), "--data", str(data), "--json"])
    assert result.exit_code == 0, result.output
    (entry,) = json.loads(result.stdout)["files"]
    assert entry["events"] == 109_067 and entry["written"] <= 109_067 - 50_000 * committed
    quotes: list[Event] = open_archive(data).events("quotes", "IBM")
    assert sorted(q.seq or 0 for q in quotes) == list(range(1, 109_068))
