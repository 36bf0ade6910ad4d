"""Finnhub candles against a local server answering in the documented array format."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar
from mdc.providers.base import CredentialsError, NotInPlan, ProviderError, UnsupportedRequest
from mdc.providers.finnhub import SPEC
from mdc.providers.finnhub.historical import FinnhubHistorical

TOKEN = "finnhub-SECRET-token-123"
PATH = "/stock/candle"
NOV4 = 1_572_825_600_000_000_000  # 2019-11-04T00:00:00Z
DAY = 86_400_000_000_000
DAILY = {
    "c": [257.5, 257.13, 257.24],
    "h": [257.845, 258.19, 260.35],
    "l": [255.38, 256.32, 256.92],
    "o": [257.33, 257.19, 258.74],
    "s": "ok",
    "t": [1572825600, 1572912000, 1572998400],
    "v": [25817952, 19974427, 19180000],
}


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FINNHUB_API_KEY", TOKEN)


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for("finnhub", {"base_url": server.url_for("/"), **section})


def daily(hp: Any, server: HTTPServer) -> Any:
    return hp.fetch(
        FinnhubHistorical,
        cfg(hp, server),
        "bars",
        "AAPL",
        date(2019, 11, 4),
        date(2019, 11, 6),
        "1d",
    )


def test_daily_candles(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        PATH,
        query_string={
            "symbol": "AAPL",
            "resolution": "D",
            "from": "1572825600",
            "to": "1573084799",
        },
        headers={"X-Finnhub-Token": TOKEN},
    ).respond_with_json(DAILY)
    pages, _ = daily(hp, server)
    common = {"symbol": "AAPL", "venue": "US", "provider": "finnhub", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        Bar(
            **common,
            ts_event=NOV4,
            interval="1d",
            open=257.33,
            high=257.845,
            low=255.38,
            close=257.5,
            volume=25817952,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=NOV4 + DAY,
            interval="1d",
            open=257.19,
            high=258.19,
            low=256.32,
            close=257.13,
            volume=19974427,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=NOV4 + 2 * DAY,
            interval="1d",
            open=258.74,
            high=260.35,
            low=256.92,
            close=257.24,
            volume=19180000,
            adjusted=True,
        ),
    ]


def test_intraday_windows(hp: Any, server: HTTPServer) -> None:
    seen: list[tuple[str, str]] = []
    bodies = {
        "1704153600": {
            "c": [185.9],
            "h": [186.0],
            "l": [185.1],
            "o": [185.5],
            "s": "ok",
            "t": [1704205800],
            "v": [1200],
        },
        "1704240000": {"s": "no_data"},
        "1704326400": {
            "c": [181.5, 181.6],
            "h": [181.7, 181.8],
            "l": [181.2, 181.4],
            "o": [181.3, 181.5],
            "s": "ok",
            "t": [1704378600, 1704378900],
            "v": [900, 950],
        },
    }

    def handler(request: Request) -> Response:
        assert request.args["resolution"] == "5"
        assert request.args["symbol"] == "BRK.B"
        seen.append((request.args["from"], request.args["to"]))
        return Response(json.dumps(bodies[request.args["from"]]), content_type="application/json")

    server.expect_request(PATH).respond_with_handler(handler)
    pages, _ = hp.fetch(
        FinnhubHistorical,
        cfg(hp, server, intraday_window_days=1),
        "bars",
        "BRK.B",
        date(2024, 1, 2),
        date(2024, 1, 4),
        "5m",
        adjusted=False,
    )
    assert seen == [
        ("1704153600", "1704239999"),
        ("1704240000", "1704326399"),
        ("1704326400", "1704412799"),
    ]
    assert [len(p) for p in pages] == [1, 0, 2]
    bars = hp.no_recv(hp.flat(pages))
    assert [(b.ts_event, b.open, b.close, b.volume, b.adjusted) for b in bars] == [
        (1_704_205_800_000_000_000, 185.5, 185.9, 1200, False),
        (1_704_378_600_000_000_000, 181.3, 181.5, 900, False),
        (1_704_378_900_000_000_000, 181.5, 181.6, 950, False),
    ]
    assert {(b.symbol, b.interval, b.provider) for b in bars} == {("BRK.B", "5m", "finnhub")}


def test_adjustment_rules(hp: Any, server: HTTPServer) -> None:
    provider = FinnhubHistorical(cfg(hp, server))
    assert provider.supports("bars", "1d") and provider.supports("bars", "5m")
    assert not provider.supports("bars", "5m", adjusted=True)
    assert not provider.supports("bars", "1d", adjusted=False)
    assert not provider.supports("bars", "2m")
    assert not provider.supports("trades")
    with pytest.raises(UnsupportedRequest, match="intraday candles are unadjusted only"):
        hp.fetch(
            FinnhubHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2024, 1, 2),
            date(2024, 1, 2),
            "1m",
        )


@pytest.mark.parametrize(
    "scenario", ["429", "429-retry-after", "503-retry-after-date", "500", "timeout"]
)
def test_transient_failure_then_success(hp: Any, server: HTTPServer, scenario: str) -> None:
    hp.fail_once(
        server, PATH, scenario, Response(json.dumps(DAILY), content_type="application/json")
    )
    pages, provider = daily(hp, server)
    assert len(hp.flat(pages)) == 3
    assert provider.client.stats.retries == 1


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json({"s": "no_data"})
    assert daily(hp, server)[0] == [[]]


@pytest.mark.parametrize(
    "body",
    [
        '{"c": [1, 2], "h": [1], "l": [1], "o": [1], "s": "ok", "t": [1572825600], "v": [1]}',
        '{"s": "ok", "t": ["monday"]}',
        '{"s": "error"}',
        "upstream timeout",
    ],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError, match="finnhub: malformed candles"):
        daily(hp, server)


def test_free_key_is_told_candles_are_paid_only(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {"error": "You don't have access to this resource."}, status=403
    )
    with pytest.raises(NotInPlan) as info:
        daily(hp, server)
    assert str(info.value) == (
        "finnhub: stock candles are paid-only on Finnhub, and this key's plan does not include "
        "them (HTTP 403: You don't have access to this resource.); subscribe at "
        "https://finnhub.io/pricing or use another provider"
    )
    assert len(server.log) == 1


def test_rejected_key_names_the_variable(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json({"error": "Invalid API key"}, status=401)
    with pytest.raises(CredentialsError) as info:
        daily(hp, server)
    assert str(info.value).endswith(": Invalid API key; check FINNHUB_API_KEY")
    assert TOKEN not in str(info.value)


def test_spec_says_candles_are_paid() -> None:
    assert SPEC.plan_notes.startswith("stock candles are paid-only")
