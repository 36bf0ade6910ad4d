"""``mdc sink``: an entry that is not in the config, or a sink kind whose client is missing, is
refused with the fix before anything connects."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdc.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./mdc.toml of the repo's
    monkeypatch.setenv("COLUMNS", "200")


def test_an_unknown_sink_name_lists_the_configured_ones(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text('[[sinks]]\nname = "pg"\nkind = "postgres"\ndsn = "host=x"\n')
    result = runner.invoke(app, ["sink", "-c", str(cfg), "--sink", "mq"])
    assert result.exit_code == 2, result.output
    assert "--sink 'mq': no [[sinks]] entry of that name; the config has: pg" in result.output


def test_no_sinks_at_all_says_how_to_add_one() -> None:
    result = runner.invoke(app, ["sink", "--sink", "pg"])
    assert result.exit_code == 2, result.output
    assert "none (add a [[sinks]] entry to the config)" in result.output


def test_a_bad_durable_name_is_refused(tmp_path: Path) -> None:
    cfg = tmp_path / "s.toml"
    cfg.write_text('[[sinks]]\nname = "pg"\nkind = "postgres"\ndsn = "host=x"\n')
    result = runner.invoke(app, ["sink", "-c", str(cfg), "--sink", "pg", "--durable", "a.b"])
    assert result.exit_code == 2, result.output
    assert "--durable 'a.b'" in result.output
