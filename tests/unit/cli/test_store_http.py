"""``mdc store --http-port``: a bind that cannot be served safely is refused before the writer's
archive exists."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from mdc.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no ./mdc.toml of the repo's
    monkeypatch.delenv("MDC_API_KEY", raising=False)
    monkeypatch.setenv("COLUMNS", "200")


def test_a_non_loopback_metrics_bind_without_a_key_is_refused(tmp_path: Path) -> None:
    args = ["store", "--from", "nats://127.0.0.1:4222", "-d", str(tmp_path / "w")]
    result = runner.invoke(app, [*args, "--http-port", "0", "--http-host", "0.0.0.0"])
    assert result.exit_code == 2, result.output
    assert "MDC_API_KEY" in result.output
    assert not (tmp_path / "w").exists()
