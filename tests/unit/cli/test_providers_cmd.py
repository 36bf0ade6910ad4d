"""``mdc providers``: capabilities, credentials present or missing (never values), every key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.providers import registry

runner = CliRunner()


@pytest.fixture(autouse=True)
def only_streaming_providers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("COLUMNS", "200")  # rich tables wrap at the terminal width
    monkeypatch.setattr(registry, "BUILTIN", ("simulated", "alpaca", "polygon"))
    registry.all_specs.cache_clear()
    yield
    registry.all_specs.cache_clear()


def test_list_says_which_credentials_are_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_KEY_ID", "kid-VALUE-1")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "secret-VALUE-2")
    monkeypatch.delenv("POLYGON_API_KEY", raising=False)
    result = runner.invoke(app, ["providers", "--json"])
    assert result.exit_code == 0, result.output
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["alpaca"]["credentials"] == {"ALPACA_KEY_ID": True, "ALPACA_SECRET_KEY": True}
    assert rows["polygon"]["credentials"] == {"POLYGON_API_KEY": False}
    assert rows["alpaca"]["capabilities"]["asset_classes"] == ["equity", "crypto"]
    assert rows["polygon"]["capabilities"]["bars"] is True
    table = runner.invoke(app, ["providers"])
    assert table.exit_code == 0
    assert "missing: POLYGON_API_KEY" in table.output
    assert "VALUE" not in table.output + result.output


def test_list_says_what_a_free_key_cannot_get() -> None:
    result = runner.invoke(app, ["providers", "--json"])
    rows = {row["name"]: row for row in json.loads(result.output)}
    assert rows["polygon"]["plan_notes"].startswith("free key: 5 requests/min")
    assert rows["alpaca"]["plan_notes"].startswith("free (Basic) plan: IEX")
    table = runner.invoke(app, ["providers"])
    text = " ".join(table.output.split())
    assert "plans alpaca: free (Basic) plan: IEX" in text
    assert "polygon: free key: 5 requests/min, aggregates and splits/dividends; trades," in text
    show = runner.invoke(app, ["providers", "show", "polygon"])
    assert "plans: free key: 5 requests/min" in " ".join(show.output.split())


def test_show_lists_every_endpoint_with_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDC_PROVIDERS__ALPACA__STREAM_URL", "wss://proxy.example/v2/{feed}")
    result = runner.invoke(app, ["providers", "show", "alpaca", "--json"])
    assert result.exit_code == 0, result.output
    keys = {row["key"]: row for row in json.loads(result.output)["config"]}
    assert [k for k in keys][:2] == ["stream_url", "crypto_stream_url"]
    assert keys["stream_url"] == {
        "key": "stream_url",
        "value": "wss://proxy.example/v2/{feed}",
        "env": "MDC_PROVIDERS__ALPACA__STREAM_URL",
    }
    assert keys["feed"]["value"] == "iex"
    assert keys["reconnect_max_s"]["env"] == "MDC_PROVIDERS__ALPACA__RECONNECT_MAX_S"
    polygon = runner.invoke(app, ["providers", "show", "polygon"])
    assert polygon.exit_code == 0
    assert "MDC_PROVIDERS__POLYGON__DELAYED_STREAM_URL" in polygon.output
    assert "wss://delayed.massive.com/stocks" in polygon.output


def test_unknown_provider_and_bad_keys_are_usage_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    result = runner.invoke(app, ["providers", "show", "nope"])
    assert result.exit_code == 2 and "unknown provider 'nope'" in result.output
    monkeypatch.setenv("MDC_PROVIDERS__POLYGON__DELAYD", "true")
    bad = runner.invoke(app, ["providers", "show", "polygon"])
    assert bad.exit_code == 2 and "providers.polygon.delayd: unknown key" in bad.output
