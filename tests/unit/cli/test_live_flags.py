"""``--live`` on ``mdc collect`` and ``mdc serve``: refused with the fix before anything starts
when it cannot work (two servers, a prefix inside the stream's subjects, a bad URL)."""

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


def test_publish_and_live_on_two_servers_are_refused(tmp_path: Path) -> None:
    args = ["collect", "--publish", "nats://a:4222", "--live", "nats://b:4222", "--no-http"]
    result = runner.invoke(app, [*args, "-d", str(tmp_path / "c")])
    assert result.exit_code == 2, result.output
    assert "--publish and --live name different servers" in result.output
    assert not (tmp_path / "c").exists()


def test_a_live_prefix_inside_the_stream_subjects_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MDC_DISTRIBUTED__LIVE_PREFIX", "mdc.live")
    result = runner.invoke(
        app, ["collect", "--live", "nats://127.0.0.1:4222", "--no-http", "-d", str(tmp_path / "c")]
    )
    assert result.exit_code == 2, result.output
    assert "live_prefix = 'mdc.live' is inside subject_prefix 'mdc'" in result.output
    (tmp_path / "a").mkdir()
    result = runner.invoke(app, ["serve", "-d", str(tmp_path / "a"), "--live", "nats://x:1"])
    assert result.exit_code == 2 and "inside subject_prefix" in result.output


def test_serve_live_wants_a_nats_url(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    result = runner.invoke(app, ["serve", "-d", str(tmp_path / "a"), "--live", "http://x:1"])
    assert result.exit_code == 2, result.output
    assert "give nats://HOST:PORT" in result.output
