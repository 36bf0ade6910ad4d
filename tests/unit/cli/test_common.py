"""What every command shares: which config is read (and said), and tables that stay readable
at 80 columns and when piped."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from typer.testing import CliRunner

from mdc.cli import common
from mdc.cli.main import app
from mdc.config.sample import SAMPLE_CONFIG

runner = CliRunner()

ROWS = [
    (
        "alpaca",
        "trades, quotes, depth (50 levels), bars",
        "missing: ALPACA_KEY_ID, ALPACA_SECRET_KEY",
    ),
    ("coinbase", "trades, quotes, depth (full book)", "none needed"),
]


@pytest.fixture(autouse=True)
def no_mdc_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(__import__("os").environ):
        if name.startswith("MDC_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)


def test_init_then_validate_reads_the_file_just_written(tmp_path: Path) -> None:
    before = runner.invoke(app, ["config", "validate"])
    assert before.exit_code == 0
    assert before.output.splitlines() == [
        "config: built-in defaults (no mdc.toml here)",
        "config OK",
    ]
    assert runner.invoke(app, ["config", "init"]).exit_code == 0
    assert (tmp_path / "mdc.toml").read_text() == SAMPLE_CONFIG
    after = runner.invoke(app, ["config", "validate"])
    assert after.output.splitlines() == ["config: mdc.toml", "config OK"]
    # ./mdc.toml is really read: a bad value in it fails validation, naming the key
    (tmp_path / "mdc.toml").write_text("[pipeline]\ncapacity = 0\n")
    bad = runner.invoke(app, ["config", "validate"])
    assert bad.exit_code == 2
    assert bad.output.splitlines()[-1] == "error: pipeline.capacity: must be at least 1, got 0"


def test_an_explicit_config_wins_over_the_local_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "mdc.toml").write_text('provider = "coinbase"\n')
    other = tmp_path / "other.toml"
    other.write_text('provider = "kraken"\n')
    shown = runner.invoke(app, ["config", "show", "--format", "json", "--config", str(other)])
    assert shown.exit_code == 0
    assert shown.stderr.splitlines() == [f"config: {other}"]
    assert '"provider": "kraken"' in shown.stdout
    monkeypatch.setenv("MDC_CONFIG", str(other))
    monkeypatch.setenv("MDC_SYMBOLS", "BTC-USD")
    env = runner.invoke(app, ["config", "show"])
    assert env.stderr.splitlines() == [f"config: {other} + MDC_SYMBOLS"]
    assert 'provider = "kraken"' in env.stdout.splitlines()
    local = runner.invoke(app, ["config", "show"], env={"MDC_CONFIG": None, "MDC_SYMBOLS": None})
    assert 'provider = "coinbase"' in local.stdout.splitlines()


def test_piped_tables_are_tab_separated_values(capsys: pytest.CaptureFixture[str]) -> None:
    common.print_table(("provider", "data", "credentials"), ROWS)
    lines = capsys.readouterr().out.splitlines()
    assert lines == [
        "provider\tdata\tcredentials",
        "alpaca\ttrades, quotes, depth (50 levels), bars\t"
        "missing: ALPACA_KEY_ID, ALPACA_SECRET_KEY",
        "coinbase\ttrades, quotes, depth (full book)\tnone needed",
    ]


def terminal(monkeypatch: pytest.MonkeyPatch, width: int) -> io.StringIO:
    out = io.StringIO()
    console = Console(file=out, width=width, force_terminal=True, color_system=None)
    monkeypatch.setattr(common, "console", console)
    return out


def test_an_80_column_terminal_gets_one_block_per_row_with_every_word_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = terminal(monkeypatch, 80)
    common.print_table(("provider", "data", "credentials"), ROWS)
    lines = out.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 80
    assert [line.rstrip() for line in lines] == [
        "alpaca",
        "  data         trades, quotes, depth (50 levels), bars",
        "  credentials  missing: ALPACA_KEY_ID, ALPACA_SECRET_KEY",
        "coinbase",
        "  data         trades, quotes, depth (full book)",
        "  credentials  none needed",
    ]


def test_a_wide_terminal_gets_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    out = terminal(monkeypatch, 140)
    common.print_table(("provider", "data", "credentials"), ROWS)
    lines = [line.rstrip() for line in out.getvalue().splitlines() if line.strip()]
    assert lines[0].split() == ["provider", "data", "credentials"]
    assert any(line.split()[0] == "alpaca" and line.endswith("ALPACA_SECRET_KEY") for line in lines)


@pytest.mark.parametrize(
    "args",
    [["providers"], ["query", "SELECT 1 AS one"], ["archive", "ls"]],
)
def test_commands_print_tsv_when_piped(args: list[str], tmp_path: Path) -> None:
    (tmp_path / "data").mkdir()
    result = runner.invoke(app, [*args, *(["-d", "data"] if args[0] != "providers" else [])])
    assert result.exit_code == 0, result.output
    if args[0] == "providers":
        header, *rows = result.stdout.splitlines()
        assert header.split("\t") == [
            "provider",
            "data",
            "assets",
            "live",
            "history",
            "credentials",
        ]
        assert all(len(row.split("\t")) == 6 for row in rows) and len(rows) >= 10
    elif args[0] == "query":
        assert result.stdout.splitlines() == ["one", "1"]
        assert result.stderr.splitlines() == ["1 rows"]
    else:
        assert result.stdout.splitlines() == ["no data in data"]


@pytest.mark.parametrize("command", [["collect"], ["archive", "verify"], ["providers"]])
def test_help_shows_no_type_tags_on_flags_and_fits_80_columns(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert max(len(line) for line in result.output.splitlines()) <= 80


def test_collect_help_shows_the_defaults() -> None:
    text = " ".join(runner.invoke(app, ["collect", "--help"], env={"COLUMNS": "80"}).output.split())
    for shown in (
        "--provider NAME",
        "[default: simulated]",
        "[default: SPY,AAPL,MSFT]",
        "[default: ./data]",
        "[default: 127.0.0.1]",
        "[default: 8080]",
        "--no-http Do not serve the dashboard/API.",
    ):
        assert shown in text
