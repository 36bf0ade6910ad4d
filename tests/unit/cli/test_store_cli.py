"""`mdc store` and `mdc collect --publish`: bad settings fail before anything starts."""

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


def test_a_bad_durable_name_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["store", "--durable", "a.b", "-d", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "--durable 'a.b': use letters, digits" in result.output
    assert not (tmp_path / "w").exists()


def test_a_bad_server_url_is_refused_without_its_password(tmp_path: Path) -> None:
    url = "http://me:s3cret@bus:4222"
    result = runner.invoke(app, ["store", "--from", url, "-d", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "give nats://HOST:PORT" in result.output
    assert "s3cret" not in result.output
    result = runner.invoke(
        app, ["collect", "--publish", url, "--no-http", "-d", str(tmp_path / "c")]
    )
    assert result.exit_code == 2, result.output
    assert "s3cret" not in result.output
    assert not (tmp_path / "c").exists()


def test_a_missing_credentials_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "mdc.toml").write_text('[distributed]\ncreds_file = "/nonexistent/user.creds"\n')
    result = runner.invoke(app, ["store", "-c", "mdc.toml", "-d", str(tmp_path / "w")])
    assert result.exit_code == 2
    assert "distributed.creds_file = '/nonexistent/user.creds': no such file" in result.output


def test_no_server_is_a_clear_error(tmp_path: Path) -> None:
    from tests.support.net import free_port

    url = f"nats://127.0.0.1:{free_port()}"
    result = runner.invoke(app, ["store", "--from", url, "-d", str(tmp_path / "w")])
    assert result.exit_code == 1
    assert f"cannot connect to NATS at {url}" in result.output
    assert "is nats-server running with JetStream" in result.output


def test_config_show_masks_bus_and_sink_secrets(tmp_path: Path) -> None:
    (tmp_path / "mdc.toml").write_text(
        '[distributed]\ntoken = "t0ken-s3cret"\npassword = "pw-s3cret"\n'
        '[[sinks]]\nname = "pg"\nkind = "postgres"\n'
        'dsn = "postgresql://mdc:dsn-s3cret@db/market"\n'
    )
    result = runner.invoke(app, ["config", "show", "-c", "mdc.toml"])
    assert result.exit_code == 0, result.output
    assert "s3cret" not in result.output
    assert "pg" in result.output
