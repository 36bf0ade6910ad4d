"""``mdc symbols`` import/export (byte-identical round trips, bad rows named by row and column),
watchlists from the config and the archive, index lists (shipped and refreshed from a page in
Wikipedia's format), search and show over a seeded registry."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.instruments.registry import Registry
from mdc.providers.base import SymbolInfo

runner = CliRunner()
WATCHLIST = (
    "symbol,provider,trades,quotes,depth,depth_levels\n"
    "AAPL,alpaca,true,true,false,10\n"
    "BRK.B,,true,false,true,25\n"
    "BTC-USD,coinbase,true,true,true,50\n"
)


@pytest.fixture(autouse=True)
def wide(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "mdc.toml"
    path.write_text(
        f'symbols = ["SPY", {{symbol = "QQQ", depth = false}}]\n'
        f'[storage]\nroot = "{tmp_path / "data"}"\n'
        '[watchlists]\nmegacaps = ["AAPL", "MSFT", {symbol = "NVDA", depth_levels = 5}]\n'
    )
    return path


def mdc(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_export_import_export_is_byte_identical(tmp_path: Path, fmt: str) -> None:
    cfg = str(config_file(tmp_path))
    source = tmp_path / "in.csv"
    source.write_text(WATCHLIST)
    assert mdc("symbols", "import", str(source), "--name", "mine", "-c", cfg)[0] == 0
    first = tmp_path / f"first.{fmt}"
    second = tmp_path / f"second.{fmt}"
    assert mdc("symbols", "export", "-w", "mine", "-o", str(first), "-c", cfg)[0] == 0
    assert mdc("symbols", "import", str(first), "--name", "again", "-c", cfg)[0] == 0
    assert mdc("symbols", "export", "-w", "again", "-o", str(second), "-c", cfg)[0] == 0
    assert first.read_bytes() == second.read_bytes()
    if fmt == "csv":
        assert first.read_text() == WATCHLIST
    else:
        rows = json.loads(first.read_text())
        assert [(r["symbol"], r["depth_levels"]) for r in rows] == [
            ("AAPL", 10),
            ("BRK.B", 25),
            ("BTC-USD", 50),
        ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            WATCHLIST + "MSFT,,true,true,true,80\n",
            "row 4, column depth_levels: must be 1..50, got '80'",
        ),
        (
            WATCHLIST + "MSFT,,maybe,true,true,10\n",
            "row 4, column trades: must be true or false, got 'maybe'",
        ),
        (
            WATCHLIST + "MSFT,nosuch,true,true,true,10\n",
            "row 4, column provider: unknown provider 'nosuch'",
        ),
        (WATCHLIST + "MS FT,,true,true,true,10\n", "row 4, column symbol: 'MS FT' is not a symbol"),
        (WATCHLIST + "aapl,,true,true,true,10\n", "row 4, column symbol: 'AAPL' repeats row 1"),
        ("symbol,levels\nAAPL,3\n", "header: unknown column 'levels'"),
        (
            '[{"symbol": "AAPL"}, {"symbol": "MSFT", "depth_levels": 0}]',
            "row 2, column depth_levels",
        ),
    ],
)
def test_a_bad_row_names_row_and_column(tmp_path: Path, text: str, message: str) -> None:
    cfg = str(config_file(tmp_path))
    source = tmp_path / ("bad.json" if text.startswith("[") else "bad.csv")
    source.write_text(text)
    code, _, err = mdc("symbols", "import", str(source), "-c", cfg)
    assert code == 2
    assert message in " ".join(err.split())
    assert mdc("symbols", "watchlists", "-c", cfg)[1].count("\n") == 2  # nothing saved


def test_watchlists_from_config_and_archive(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    (tmp_path / "w.csv").write_text(WATCHLIST)
    mdc("symbols", "import", str(tmp_path / "w.csv"), "-c", cfg)
    code, out, _ = mdc("symbols", "watchlists", "-c", cfg)
    assert code == 0
    assert out.splitlines()[1:] == [
        "megacaps\tconfig\t3\tAAPL, MSFT, NVDA",
        "w\tarchive\t3\tAAPL, BRK.B, BTC-USD",
    ]
    code, out, _ = mdc("symbols", "export", "-w", "megacaps", "-c", cfg)
    assert out.splitlines()[3] == "NVDA,,true,true,true,5"
    code, out, _ = mdc("symbols", "export", "-c", cfg)  # default: the config's symbols
    assert out.splitlines()[1:] == ["SPY,,true,true,true,10", "QQQ,,true,true,false,10"]


def test_index_lists_ship_with_source_and_date(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    code, out, _ = mdc("symbols", "index", "-c", cfg)
    assert code == 0
    rows = [line.split("\t") for line in out.splitlines()[1:]]
    assert [(r[0], r[2], r[3]) for r in rows] == [
        ("sp500", "503", "2026-10-09"),
        ("nasdaq100", "102", "2026-10-09"),
        ("dow30", "30", "2026-10-09"),
    ]
    code, out, _ = mdc("symbols", "index", "dow30", "--save-as", "dow", "-c", cfg)
    assert code == 0 and "AAPL\tApple\t2015-03-19" in out
    assert "dow\tarchive\t30" in mdc("symbols", "watchlists", "-c", cfg)[1]


def test_index_refresh_reads_the_constituents_table(tmp_path: Path, httpserver: HTTPServer) -> None:
    cfg = str(config_file(tmp_path))
    rows = "".join(
        f"<tr><td><a href='/x'>T{i}</a></td><td>Company {i}</td><td>2001-01-0{i % 9 + 1}</td></tr>"
        for i in range(29)
    )
    page = (
        "<html><body><table class='wikitable'><tr><th>Other</th></tr><tr><td>1</td></tr></table>"
        "<table class='wikitable sortable' id='constituents'><tbody>"
        "<tr><th>Symbol</th><th>Company</th><th>Date added</th></tr>"
        "<tr><td>BRK-B</td><td>Berkshire<br>Hathaway</td><td>2024-01-02</td></tr>"
        f"{rows}</tbody></table></body></html>"
    )
    httpserver.expect_request("/dow").respond_with_data(page, content_type="text/html")
    url = httpserver.url_for("/dow")
    code, out, err = mdc("symbols", "index", "dow30", "--refresh", "--source", url, "-c", cfg)
    assert code == 0, err
    assert "BRK.B\tBerkshire Hathaway\t2024-01-02" in out
    code, out, _ = mdc("symbols", "index", "-c", cfg)
    dow = out.splitlines()[3].split("\t")
    assert dow[2] == "30" and dow[3] == date.today().isoformat() and url in dow[4]
    httpserver.expect_request("/short").respond_with_data(page.replace(rows, ""))
    code, _, err = mdc(
        "symbols",
        "index",
        "dow30",
        "--refresh",
        "--source",
        httpserver.url_for("/short"),
        "-c",
        cfg,
    )
    assert code == 1 and "gave 1 members, expected about 30" in " ".join(err.split())


def test_search_and_show_over_the_registry(tmp_path: Path) -> None:
    cfg = str(config_file(tmp_path))
    registry = Registry(tmp_path / "data")
    common = {"asset_class": "equity", "composite_figi": "BBG000DWG505"}
    registry.store(
        "polygon",
        [
            SymbolInfo(
                symbol="BRK.B",
                provider="polygon",
                provider_symbol="BRK.B",
                name="Berkshire Hathaway",
                mic="XNYS",
                **common,
            )
        ],
        date(2026, 1, 2),
    )
    registry.store(
        "openfigi",
        [SymbolInfo(symbol="BRK.B", provider="openfigi", provider_symbol="BRK/B", **common)],
        date(2026, 1, 2),
    )
    code, out, _ = mdc("symbols", "search", "berk", "-c", cfg)
    assert code == 0
    assert out.splitlines()[1] == (
        "BRK.B\tBerkshire Hathaway\tequity\tXNYS\tBBG000DWG505\topenfigi:BRK/B, polygon:BRK.B"
    )
    code, out, _ = mdc("symbols", "show", "brk-b.us", "--json", "-c", cfg)
    assert code == 0, out
    shown = json.loads(out)
    spelled = {p: s["symbol"] for p, s in shown["spellings"].items()}
    assert (spelled["openfigi"], spelled["yahoo"], spelled["stooq"]) == (
        "BRK/B",
        "BRK-B",
        "brk-b.us",
    )
    assert shown["spellings"]["yahoo"]["from"] == "derived"
    code, _, err = mdc("symbols", "show", "NOPE", "-c", cfg)
    assert code == 1 and "not in the instrument registry" in err


def test_a_bad_watchlist_name_in_the_config_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "mdc.toml"
    path.write_text('[watchlists]\n"my list" = ["AAPL"]\n')
    code, _, err = mdc("symbols", "watchlists", "-c", str(path))
    assert code == 2
    assert "watchlists: name 'my list' must be letters, digits" in " ".join(err.split())
