"""``mdc providers check``: the real providers' HTTP code against the local protocol servers,
one outcome per way a key can fail, through the library, the HTTP API and the CLI."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pytest_httpserver import HTTPServer
from replay_server import ReplayServer, read_rest_capture

from mdc.config import Config, load_config
from mdc.providers.check import CheckResult, check_provider
from mdc.providers.registry import get_spec
from mdc.web.app import create_app

KEY = "pk_test_SECRET_0123456789"
TODAY = date(2005, 4, 4)
SPY_PATH = "/v2/aggs/ticker/SPY/range/1/day/2005-03-28/2005-04-04"
SPY_ANY_RANGE = re.compile(r"/v2/aggs/ticker/SPY/range/1/day/[-0-9]+/[-0-9]+")
AGGS = "polygon/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json"


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", KEY)
    monkeypatch.setenv("ALPACA_KEY_ID", "AK_TEST")
    monkeypatch.setenv("ALPACA_SECRET_KEY", KEY)


def polygon(hp: Any, url: str) -> Config:
    config: Config = hp.config_for("polygon", {"rest": {"url": url}})
    return config


def run_check(name: str, config: Config) -> CheckResult:
    return asyncio.run(check_provider(get_spec(name), config, today=TODAY))


def test_good_key_is_ok_after_one_request(hp: Any, server: HTTPServer) -> None:
    server.expect_request(SPY_PATH).respond_with_data(
        hp.fixture_text(AGGS), content_type="application/json"
    )
    result = run_check("polygon", polygon(hp, server.url_for("/")))
    assert result == CheckResult(
        provider="polygon",
        outcome="ok",
        message="polygon: ok (daily bars of SPY 2005-03-28..2005-04-04: 2 bars)",
        probe="daily bars of SPY 2005-03-28..2005-04-04",
    )
    assert len(server.log) == 1
    assert server.log[0][0].headers["Authorization"] == f"Bearer {KEY}"  # the key was sent


def test_rejected_key_is_bad_key_naming_the_variable_not_the_key(
    hp: Any, server: HTTPServer
) -> None:
    server.expect_request(SPY_PATH).respond_with_json(
        {"status": "ERROR", "request_id": "x", "error": f"Unknown API Key {KEY}"}, status=401
    )
    result = run_check("polygon", polygon(hp, server.url_for("/")))
    assert result.outcome == "bad_key"
    assert "HTTP 401" in result.message and "Unknown API Key" in result.message
    assert result.message.endswith("store a valid key with `mdc credentials set POLYGON_API_KEY`")
    assert KEY not in result.message
    assert len(server.log) == 1


def test_plan_without_the_data_is_not_in_plan(hp: Any, server: HTTPServer) -> None:
    server.expect_request(SPY_PATH).respond_with_json(
        {
            "status": "NOT_AUTHORIZED",
            "request_id": "r",
            "message": "You are not entitled to this data. Please upgrade your plan at "
            "https://massive.com/pricing",
        },
        status=403,
    )
    result = run_check("polygon", polygon(hp, server.url_for("/")))
    assert result.outcome == "not_in_plan"
    assert result.message == (
        "polygon: not included in your plan (HTTP 403 NOT_AUTHORIZED: You are not entitled to "
        "this data.); ask for data your plan has, or upgrade at https://massive.com/pricing"
    )


def test_alpaca_subscription_note_is_not_in_plan(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v2/stocks/SPY/bars").respond_with_json(
        {"message": "subscription does not permit querying recent SIP data"}, status=403
    )
    config = hp.config_for("alpaca", {"rest": {"url": server.url_for("/")}})
    result = run_check("alpaca", config)
    assert result.outcome == "not_in_plan"
    assert 'set providers.alpaca.rest.feed = "iex"' in result.message
    assert server.log[0][0].headers["APCA-API-KEY-ID"] == "AK_TEST"


def test_throttled_key_is_rate_limited(hp: Any, server: HTTPServer) -> None:
    server.expect_request(SPY_PATH).respond_with_data("slow down", status=429)
    result = run_check("polygon", polygon(hp, server.url_for("/")))
    assert result.outcome == "rate_limited"
    assert result.message.endswith("the key was accepted, try again later")
    assert len(server.log) == hp.fast_rest["max_attempts"]


def test_closed_port_is_unreachable(hp: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result = run_check("polygon", polygon(hp, f"http://127.0.0.1:{port}"))
    assert result.outcome == "unreachable"
    assert f"cannot reach http://127.0.0.1:{port}" in result.message
    assert "point providers.polygon at a reachable host" in result.message


def test_missing_key_sends_nothing(
    hp: Any, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYGON_API_KEY")
    result = run_check("polygon", polygon(hp, server.url_for("/")))
    assert result.outcome == "missing"
    assert "set the environment variable POLYGON_API_KEY" in result.message
    assert server.log == []


def test_search_only_provider_checks_with_a_search(fixtures_dir: Path) -> None:
    async def go() -> tuple[CheckResult, list[str]]:
        rest = read_rest_capture([fixtures_dir / "crypto" / "COINBASE.0"])
        async with ReplayServer([], rest) as srv:
            config = Config(providers={"coinbase": {"rest_url": srv.http_url}})
            result = await check_provider(get_spec("coinbase"), config)
            return result, srv.stats.http_requests

    result, requests = asyncio.run(go())
    assert (result.outcome, result.probe) == ("ok", "symbol search for 'SPY'")
    assert requests == ["/products"]


def test_api_route_checks_and_refuses_unknown_names(
    hp: Any, server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request(SPY_ANY_RANGE).respond_with_json({"error": "bad key"}, status=401)
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(tmp_path),
            "MDC_PROVIDERS__POLYGON__REST__URL": server.url_for("/"),
            "MDC_PROVIDERS__POLYGON__REST__MAX_ATTEMPTS": "1",
        }
    )
    with TestClient(create_app(config)) as client:
        res = client.post("/api/providers/polygon/check")
        assert res.status_code == 200
        body = res.json()
        assert body["provider"] == "polygon" and body["outcome"] == "bad_key"
        assert "POLYGON_API_KEY" in body["message"] and KEY not in res.text
        missing = client.post("/api/providers/nosuch/check")
        assert missing.status_code == 404
        assert "unknown provider 'nosuch'" in missing.json()["detail"]


def test_cli_prints_one_line_per_provider_and_exits_1_on_failure(
    hp: Any, server: HTTPServer, tmp_path: Path
) -> None:
    server.expect_request(SPY_ANY_RANGE).respond_with_data(  # the CLI checks with today's date
        hp.fixture_text(AGGS), content_type="application/json"
    )
    config = tmp_path / "mdc.toml"
    config.write_text(
        f'provider = "simulated"\n[storage]\nroot = "{tmp_path / "data"}"\n'
        f'[providers.polygon.rest]\nurl = "{server.url_for("/")}"\nmax_attempts = 1\n'
    )
    env = {**os.environ, "MDC_CONFIG": str(config)}
    env.pop("ALPACA_KEY_ID")
    out = subprocess.run(
        [sys.executable, "-m", "mdc.cli", "providers", "check", "polygon", "alpaca", "simulated"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 1, out.stderr
    lines = out.stdout.splitlines()
    assert [line.split()[:2] for line in lines] == [
        ["polygon", "ok"],
        ["alpaca", "missing"],
        ["simulated", "ok"],
    ]
    assert lines[0].endswith(": 0 bars)")  # the fixture's 2005 bars lie outside this week
    assert KEY not in out.stdout + out.stderr
