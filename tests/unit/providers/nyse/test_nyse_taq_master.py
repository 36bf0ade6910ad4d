"""Daily TAQ master file: the pure parser, and ``mdc import taq`` into the reference table."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.config import load_config
from mdc.providers.nyse.taq_master import REFERENCE_NAME, MasterRecord, parse_master
from mdc.storage.reference import read_reference, reference_days, reference_path
from mdc.web.app import create_app

# v3.3 columns (Daily TAQ Client Spec), plus one a later version might add.
COLUMNS = (
    "Symbol|Security_Description|CUSIP|Security_Type|SIP_Symbol|Old_Symbol|Test_Symbol_Flag|"
    "Listed_Exchange|Tape|Unit_Of_Trade|Round_Lot|NYSE_Industry_Code|Shares_Outstanding|"
    "Halt_Delay_Reason|Specialist_Clearing_Agent|Specialist_Clearing_Number|"
    "Specialist_Post_Number|Specialist_Panel|TradedOnNYSEMKT|TradedOnNASDAQBX|TradedOnNSX|"
    "TradedOnFINRA|TradedOnISE|TradedOnEdgeA|TradedOnEdgeX|TradedOnCHX|TradedOnNYSE|"
    "TradedOnArca|TradedOnNasdaq|TradedOnCBOE|TradedOnPSX|TradedOnBATSY|TradedOnBATS|"
    "TradedOnIEX|Tick_Pilot_Indicator|Effective_Date|TradedOnLTSE|TradedOnMEMX|TradedOnMIAX|"
    "Future_Column"
)
VENUES = [c.removeprefix("TradedOn") for c in COLUMNS.split("|")[18:34]]
runner = CliRunner()


def row(i: int) -> str:
    flags = ["1" if (i + k) % 3 == 0 else "0" for k in range(16)]
    late = ["1" if i % 2 else "0", "0", "1"]
    cells = [
        f"S{i:03d}", f"Company {i} Inc", f"{i:09d}", "A" if i % 4 else "",
        "" if i % 5 else f"S{i}.X", "", "0" if i % 10 else "1", "NPQ"[i % 3], "ABC"[i % 3],
        "100", "100" if i % 7 else "",
        f"{1000 + i}", f"{i * 1_000_000}.5" if i % 6 else "", "", "AGT" if i == 1 else "", "", "",
        "", *flags, "", f"2025{(i % 12) + 1:02d}15", *late, "x" if i == 2 else "",
    ]  # fmt: skip
    return "|".join(cells)


def master_text(rows: int, bad: int) -> str:
    lines = [COLUMNS] + [row(i) for i in range(rows)]
    lines += ["|".join(["BAD", "x", "1", "A", "", "", "7"] + [""] * 33)] * bad  # flag 7
    lines.append(f"END|20251124|{rows + bad}")
    return "\n".join(lines) + "\n"


def test_parse_master_maps_every_documented_column() -> None:
    parsed = parse_master(master_text(30, 2).splitlines())
    assert (parsed.rows, parsed.bad_rows, len(parsed.records)) == (32, 2, 30)
    assert parsed.trailer == "END|20251124|32"
    assert "Test_Symbol_Flag: expected 0/1, got '7'" in parsed.bad_examples[0]
    one, two = parsed.records[1], parsed.records[2]
    assert one == MasterRecord(
        symbol="S001",
        description="Company 1 Inc",
        cusip="000000001",
        security_type="A",
        listed_exchange="P",
        tape="B",
        unit_of_trade=100,
        round_lot=100,
        industry_code="1001",
        shares_outstanding=1_000_000.5,
        effective_date="2025-02-15",
        traded_on=["NSX", "EdgeA", "NYSE", "CBOE", "BATS", "LTSE", "MIAX"],
        other={"Specialist_Clearing_Agent": "AGT"},
    )
    assert two.traded_on == [VENUES[k] for k in (1, 4, 7, 10, 13)] + ["MIAX"]
    assert two.other == {"Future_Column": "x"} and two.sip_symbol is None
    assert parsed.records[0].test_symbol is True and parsed.records[0].round_lot is None
    assert parsed.records[0].shares_outstanding is None and parsed.records[0].sip_symbol == "S0.X"


def test_import_master_stores_the_day_table_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "EQY_US_ALL_REF_MASTER_20251124.gz"
    text = master_text(250, 3)
    path.write_bytes(gzip.compress(text.encode()))
    cfg = tmp_path / "mdc.toml"
    cfg.write_text(f'[storage]\nroot = "{tmp_path / "data"}"\n')
    result = runner.invoke(app, ["import", "taq", str(path), "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["file_kind"], summary["rows"], summary["bad_rows"]) == ("master", 253, 3)
    assert (summary["records"], summary["date"]) == (250, "2025-11-24")
    root = tmp_path / "data"
    (day,) = reference_days(root, REFERENCE_NAME)
    stored = read_reference(root, REFERENCE_NAME, day, MasterRecord)
    assert stored == parse_master(text.splitlines()).records  # exact round trip
    table = reference_path(root, REFERENCE_NAME, day)
    sql = (
        f"SELECT count(*), count(*) FILTER (WHERE list_contains(traded_on, 'NYSE')) FROM '{table}'"
    )
    nyse = sum(1 for r in stored if "NYSE" in r.traded_on)
    assert duckdb.sql(sql).fetchall() == [(250, nyse)]
    again = runner.invoke(app, ["import", "taq", str(path), "-c", str(cfg), "--json"])
    assert again.exit_code == 0, again.output
    assert (
        len(read_reference(root, REFERENCE_NAME, day, MasterRecord)) == 250
    )  # replaced, not added
    listed = runner.invoke(app, ["import", "list", "-c", str(cfg), "--json"])
    (state,) = json.loads(listed.output)
    assert state["by_type"] == {"reference:nyse_taq_master": 250} and state["done"] is True
    web = TestClient(create_app(load_config(env={"MDC_STORAGE__ROOT": str(root)})))
    assert web.get("/api/reference").json() == {REFERENCE_NAME: ["2025-11-24"]}
    got = web.get(f"/api/reference/{REFERENCE_NAME}/latest", params={"symbol": "S007"}).json()
    assert got["total"] == 1 and got["rows"][0]["cusip"] == "000000007"
    assert got["rows"][0]["traded_on"] == stored[7].traded_on
    assert web.get(f"/api/reference/{REFERENCE_NAME}/2025-11-25").status_code == 404
    assert web.get("/api/reference/nope/latest").status_code == 404
