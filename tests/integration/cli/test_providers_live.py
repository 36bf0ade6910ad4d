"""``mdc providers show ib`` against a running collector streaming from the TWS stand-in: the
connection state, server version, data farms and market-data lines in use, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.collector import CollectorThread
from tests.support.fake_tws import Listing
from tests.support.net import free_port
from tests.support.tws_thread import ib_collector
from typer.testing import CliRunner

from mdc.cli.main import app

runner = CliRunner()
LISTINGS = [Listing("AAPL", 265598, name="APPLE INC"), Listing("MSFT", 272093, name="MICROSOFT")]


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorThread]:
    with ib_collector(tmp_path_factory.mktemp("ib-live") / "data", LISTINGS) as running:
        yield running


def test_show_prints_the_live_connection_and_ib_details(
    collector: CollectorThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    result = runner.invoke(app, ["providers", "show", "ib", "--url", collector.url])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert f"live ({collector.url}): streaming (connected)" in lines
    assert "  server version: 176" in lines
    assert "  farms: usfarm ok, ushmds ok, secdefnj ok" in lines
    # AllLast and BidAsk tick-by-tick for each of two symbols, depth for each, no fallbacks.
    assert "  lines: tick by tick 4, depth 2, mkt data 0" in lines
    assert "  fallbacks: 0" in lines
    assert "  subscribed: AAPL, MSFT" in lines
    assert any(line.startswith("  counters: messages ") for line in lines)


def test_show_json_carries_the_connection(collector: CollectorThread) -> None:
    result = runner.invoke(app, ["providers", "show", "ib", "--json", "--url", collector.url])
    assert result.exit_code == 0, result.output
    live = json.loads(result.output)["live"]
    assert (live["url"], live["error"]) == (collector.url, None)
    assert live["connection"]["connected"] is True
    assert live["connection"]["details"]["server_version"] == 176
    assert live["connection"]["details"]["lines"] == {"tick_by_tick": 4, "depth": 2, "mkt_data": 0}


def test_a_provider_the_collector_does_not_run(collector: CollectorThread) -> None:
    result = runner.invoke(app, ["providers", "show", "simulated", "--url", collector.url])
    assert result.exit_code == 0, result.output
    assert f"live: the collector at {collector.url} does not run simulated" in result.output


def test_no_collector_at_an_explicit_url_fails_and_at_the_default_is_a_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./mdc.toml
    port = free_port()
    gone = runner.invoke(app, ["providers", "show", "ib", "--url", f"http://127.0.0.1:{port}"])
    assert gone.exit_code == 1
    assert f"no collector answers at http://127.0.0.1:{port}" in " ".join(gone.output.split())
    monkeypatch.setenv("MDC_HTTP__PORT", str(port))
    default = runner.invoke(app, ["providers", "show", "ib"])
    assert default.exit_code == 0, default.output
    assert f"live: no collector answers at http://127.0.0.1:{port}" in " ".join(
        default.output.split()
    )


def test_an_api_key_is_sent_and_a_refusal_names_the_fix(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen: list[str | None] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("X-API-Key"))
        return httpx.Response(401, json={"detail": "missing or wrong X-API-Key"})

    client = httpx.Client(transport=httpx.MockTransport(refuse))

    def request(method: str, url: str, headers: dict[str, str], timeout: float) -> httpx.Response:
        return client.request(method, url, headers=headers)

    monkeypatch.setattr(httpx, "request", request)
    monkeypatch.setenv("MDC_API_KEY", "k-123")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["providers", "show", "ib", "--url", "http://collector:8080"])
    assert result.exit_code == 1
    assert seen == ["k-123"]
    text = " ".join(result.output.split())
    assert "refused the request (401): set MDC_API_KEY to its API key" in text
    assert "k-123" not in result.output
