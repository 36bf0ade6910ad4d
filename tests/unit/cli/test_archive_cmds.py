"""``mdc archive ls|stats|verify``, ``mdc query`` and ``mdc compact`` on a real small archive."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.config.schema import StorageConfig
from mdc.domain.events import Event, Quote, Trade
from mdc.storage import open_store
from mdc.storage.archive import open_archive
from mdc.storage.parquet import INTENT_PREFIX

runner = CliRunner()
T = 1_709_303_400_000_000_000
DAY = 86_400 * 10**9


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def events(day: int, n: int) -> list[Event]:
    out: list[Event] = []
    for i in range(n):
        ts = T + day * DAY + i
        out.append(
            Trade(
                symbol="AAPL",
                venue="X",
                provider="sim",
                ts_event=ts,
                ts_recv=ts,
                seq=i,
                price=100.0 + i,
                size=1.0,
            )
        )
        out.append(
            Quote(
                symbol="MSFT",
                venue="X",
                provider="sim",
                ts_event=ts,
                ts_recv=ts,
                bid_price=1.0,
                bid_size=2.0,
                ask_price=1.5,
                ask_size=3.0,
            )
        )
    return out


@pytest.fixture
def root(tmp_path: Path) -> Path:
    root = tmp_path / "archive"
    for day in range(2):
        for fmt in ("both", "parquet"):  # two stores: two parts per Parquet partition
            store = open_store(StorageConfig(root=str(root), format=fmt, min_free_mb=0))
            store.append(events(day, 5) if fmt == "both" else [])
            store.close()
    store = open_store(StorageConfig(root=str(root), format="parquet", min_free_mb=0))
    store.append(events(0, 5), dedup=True)  # nothing new: no part
    store.append(events(1, 7)[10:], dedup=False)  # 2 more trades and quotes on day 1
    store.close()
    return root


def test_ls_lists_symbols_types_and_partitions(root: Path) -> None:
    result = runner.invoke(app, ["archive", "ls", "--data", str(root), "--json"])
    assert result.exit_code == 0, result.output
    rows = {(r["type"], r["symbol"]): r for r in json.loads(result.output)}
    assert set(rows) == {("trades", "AAPL"), ("quotes", "MSFT")}
    assert rows[("trades", "AAPL")]["first"] == "2024-03-01"
    assert rows[("trades", "AAPL")]["last"] == "2024-03-02"
    assert rows[("trades", "AAPL")]["jsonl_files"] == 2
    assert rows[("trades", "AAPL")]["parquet_files"] == 3
    table = runner.invoke(app, ["archive", "ls", "-d", str(root), "--symbol", "MSFT"])
    assert "quotes" in table.output and "AAPL" not in table.output


def test_stats_counts_rows_per_type(root: Path) -> None:
    result = runner.invoke(app, ["archive", "stats", "-d", str(root), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    types = {t["type"]: t for t in body["types"]}
    assert types["trades"]["rows"] == 12  # 5 + 7, read from Parquet where it exists
    assert types["quotes"]["symbols"] == 1
    assert body["wal"]["collector_running"] is False
    assert body["wal"]["checkpoint_lsn"] >= 1


def test_verify_passes_then_catches_a_damaged_file(root: Path) -> None:
    result = runner.invoke(app, ["archive", "verify", "-d", str(root)])
    assert result.exit_code == 0, result.output
    assert "with errors" in result.output
    jsonl = root / "AAPL/trades/2024-03-02.jsonl"
    jsonl.write_bytes(jsonl.read_bytes() + b'{"type":"trade","symbol":"AAPL"}\n')
    part = next((root / "parquet/type=quotes/date=2024-03-01/symbol=MSFT").glob("*.parquet"))
    part.write_bytes(part.read_bytes()[:-20])
    result = runner.invoke(app, ["archive", "verify", "-d", str(root), "--json"])
    assert result.exit_code == 1
    reports = {r["file"]: r for r in json.loads(result.output)}
    bad_line = reports["AAPL/trades/2024-03-02.jsonl"]
    assert bad_line["status"] == "error"
    assert "line 6" in bad_line["errors"][0]
    assert reports[str(part.relative_to(root))]["errors"][0].startswith("unreadable")


def test_verify_warns_about_out_of_order_rows_and_repeated_keys(tmp_path: Path) -> None:
    store = open_store(StorageConfig(root=str(tmp_path), min_free_mb=0))
    batch = events(0, 3)
    store.append(batch[::-1])
    store.append(batch[:2])
    store.close()
    result = runner.invoke(app, ["archive", "verify", "-d", str(tmp_path), "--json"])
    assert result.exit_code == 0
    trades = {r["file"]: r for r in json.loads(result.output)}["AAPL/trades/2024-03-01.jsonl"]
    assert trades["status"] == "warning"
    assert (trades["rows"], trades["out_of_order"], trades["duplicates"]) == (4, 2, 1)


def test_query_runs_sql_over_jsonl_and_parquet(root: Path) -> None:
    sql = "SELECT symbol, count(*) AS n FROM trades GROUP BY symbol"
    result = runner.invoke(app, ["query", sql, "-d", str(root), "--format", "json"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line) for line in result.stdout.splitlines()] == [
        {"symbol": "AAPL", "n": 12}
    ]
    # Day 1 went on in Parquet only: its fuller copy is read, and the output says so.
    assert result.stderr.splitlines() == [
        "trades AAPL 2024-03-02: read parquet (7 rows), not the partial jsonl copy (5 rows)",
        "quotes MSFT 2024-03-02: read parquet (7 rows), not the partial jsonl copy (5 rows)",
    ]
    jsonl_only = runner.invoke(
        app, ["query", sql, "-d", str(root), "-f", "csv", "--source", "jsonl"]
    )
    assert jsonl_only.output.splitlines() == ['"symbol","n"', '"AAPL",10']
    table = runner.invoke(app, ["query", "SELECT max(price) AS top FROM trades", "-d", str(root)])
    assert "106" in table.output and "1 rows" in table.output
    bad = runner.invoke(app, ["query", "SELECT * FROM nope", "-d", str(root)])
    assert bad.exit_code == 2
    assert "nope" in bad.output


def test_after_switching_both_to_jsonl_the_complete_jsonl_copy_is_read(tmp_path: Path) -> None:
    root = tmp_path / "archive"
    for fmt, batch in (("both", events(0, 5)), ("jsonl", events(0, 9)[10:])):
        store = open_store(StorageConfig(root=str(root), format=fmt, min_free_mb=0))
        store.append(batch)
        store.close()
    sql = "SELECT count(*) AS n, max(price) AS top FROM trades"
    result = runner.invoke(app, ["query", sql, "-d", str(root), "-f", "csv"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ['"n","top"', "9,108"]  # not the Parquet copy's 5
    assert "trades AAPL 2024-03-01: read jsonl (9 rows), not the partial parquet copy (5 rows)" in (
        result.stderr.splitlines()
    )
    forced = runner.invoke(app, ["query", sql, "-d", str(root), "-f", "csv", "--source", "parquet"])
    assert forced.stdout.splitlines() == ['"n","top"', "5,104"]
    assert open_archive(root).trades("AAPL")["price"].tolist() == [100.0 + i for i in range(9)]


def test_compact_merges_parts_and_keeps_every_row(root: Path) -> None:
    before = open_archive(root, source="parquet").read("trades", as_="arrow").to_pylist()
    dry = runner.invoke(app, ["compact", "-d", str(root), "--dry-run"])
    assert dry.exit_code == 0 and "would merge" in dry.output
    result = runner.invoke(app, ["compact", "-d", str(root)])
    assert result.exit_code == 0, result.output
    directory = root / "parquet/type=trades/date=2024-03-02/symbol=AAPL"
    assert len(list(directory.glob("*.parquet"))) == 1
    after = open_archive(root, source="parquet").read("trades", as_="arrow").to_pylist()
    assert after == before
    again = runner.invoke(app, ["compact", "-d", str(root)])
    assert "nothing to compact" in again.output


def test_an_interrupted_compaction_is_finished_and_never_read_twice(root: Path) -> None:
    from mdc.storage.compact import _merge, finish_interrupted

    directory = root / "parquet/type=trades/date=2024-03-02/symbol=AAPL"
    parts = sorted(directory.glob("*.parquet"))
    rows = open_archive(root, source="parquet").read("trades", as_="arrow").num_rows
    result = _merge(directory, "x", "trades", parts, dry_run=False)
    # Simulate the crash between the rename and the deletes: inputs back, intent back.
    for p in parts:
        p.write_bytes(b"")  # placeholder names; content irrelevant once superseded
    intent = directory / f"{INTENT_PREFIX}test.json"
    intent.write_text(json.dumps({"output": result.output, "inputs": [p.name for p in parts]}))
    assert open_archive(root, source="parquet").read("trades", as_="arrow").num_rows == rows
    assert finish_interrupted(directory) == 1
    assert sorted(p.name for p in directory.iterdir()) == [result.output]


def test_a_missing_root_is_a_usage_error(tmp_path: Path) -> None:
    result = runner.invoke(app, ["archive", "ls", "-d", str(tmp_path / "nope")])
    assert result.exit_code == 2
    assert "does not exist" in result.output
