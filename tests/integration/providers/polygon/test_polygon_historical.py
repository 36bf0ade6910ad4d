"""Polygon REST history against a local server that replays ../shared/fixtures/polygon verbatim."""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction, Quote, Trade
from mdc.providers.base import (
    CredentialsError,
    NotFound,
    NotInPlan,
    ProviderError,
    RateLimited,
    UnsupportedRequest,
)
from mdc.providers.polygon.config import PolygonConfig
from mdc.providers.polygon.historical import PolygonHistorical

KEY = "pk_test_SECRET_0123456789"
AGGS = "polygon/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04.json"
AGGS_PATH = "/v2/aggs/ticker/AAPL/range/1/day/2005-04-01/2005-04-04"
CURSOR = (
    "YXA9MTkyODgxNjYmYXM9JmxpbWl0PTEwJm9yZGVyPWRlc2Mmc29ydD10aW1lc3RhbXAmdGltZXN0YW1wLmx0ZT0y"
    "MDIyLTA1LTEwVDE0JTNBMTElM0ExMi42OTA2NjExODla"
)
DAY_2005_04_01 = 1_112_313_600_000_000_000
DAY_2005_04_04 = 1_112_572_800_000_000_000


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", KEY)


def cfg(hp: Any, server: HTTPServer, **rest: Any) -> Any:
    return hp.config_for("polygon", {"rest": {"url": server.url_for("/"), **rest}})


def expected_aapl_bars() -> list[Bar]:
    common = {"symbol": "AAPL", "venue": "US", "provider": "polygon", "ts_recv": 0}
    return [
        Bar(
            **common,
            ts_event=DAY_2005_04_01,
            interval="1d",
            open=1.5032,
            high=1.5064,
            low=1.4489,
            close=1.4604,
            volume=642646396.0,
            vwap=1.469,
            trades=82132,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=DAY_2005_04_04,
            interval="1d",
            open=1.4639,
            high=1.4754,
            low=1.4343,
            close=1.4675,
            volume=578172308.0,
            vwap=1.4589,
            trades=65543,
            adjusted=True,
        ),
    ]


def test_daily_aggregates_from_fixture(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        AGGS_PATH,
        query_string={"adjusted": "true", "sort": "asc", "limit": "50000"},
        headers={"Authorization": f"Bearer {KEY}"},
    ).respond_with_data(hp.fixture_text(AGGS), content_type="application/json")
    pages, _ = hp.fetch(
        PolygonHistorical, cfg(hp, server), "bars", "AAPL", date(2005, 4, 1), date(2005, 4, 4), "1d"
    )
    server.check_assertions()
    assert len(pages) == 1
    assert hp.no_recv(pages[0]) == expected_aapl_bars()


def test_quotes_follow_next_url_across_pages(hp: Any, server: HTTPServer) -> None:
    # The cursor page is registered first: the plain handler below would also match it.
    server.expect_request("/v3/quotes/AAPL", query_string={"cursor": CURSOR}).respond_with_data(
        hp.fixture_text(f"polygon/v3/quotes/AAPL&cursor={CURSOR}.json"),
        content_type="application/json",
    )
    first = server.expect_request(
        "/v3/quotes/AAPL",
        query_string={
            "timestamp.gte": "1652140800000000000",
            "timestamp.lt": "1652227200000000000",
            "order": "asc",
            "sort": "timestamp",
            "limit": "50000",
        },
    )
    first.respond_with_data(
        hp.fixture_text("polygon/v3/quotes/AAPL.json"), content_type="application/json"
    )
    pages, provider = hp.fetch(
        PolygonHistorical, cfg(hp, server), "quotes", "AAPL", date(2022, 5, 10), date(2022, 5, 10)
    )
    server.check_assertions()
    assert [len(p) for p in pages] == [10, 10]
    assert provider.client.stats.requests == 2
    quotes: list[Quote] = hp.no_recv(hp.flat(pages))
    assert all(isinstance(q, Quote) and q.provider == "polygon" for q in quotes)
    # The fixtures were captured with order=desc; each page is put back in time order.
    for page in pages:
        assert [q.ts_event for q in page] == sorted(q.ts_event for q in page)
    assert quotes[0] == Quote(
        symbol="AAPL",
        venue="US",
        provider="polygon",
        ts_event=1652191872690661000,
        ts_recv=0,
        seq=19288166,
        bid_price=155.86,
        bid_size=2,
        ask_price=155.87,
        ask_size=2,
        bid_exchange="21",
        ask_exchange="19",
        tape="3",
    )
    assert quotes[9] == Quote(
        symbol="AAPL",
        venue="US",
        provider="polygon",
        ts_event=1652191872800638700,
        ts_recv=0,
        seq=19288684,
        bid_price=155.85,
        bid_size=4,
        ask_price=155.87,
        ask_size=3,
        bid_exchange="19",
        ask_exchange="15",
        tape="3",
    )
    assert quotes[10].ts_event == 1652191872663407429
    assert quotes[10].seq == 19288004
    assert quotes[19].ts_event == 1652191872690386918
    assert quotes[19].seq == 19288135
    # Every row of both fixture files is there, exactly once.
    raw = [
        json.loads(hp.fixture_text(name))["results"]
        for name in ("polygon/v3/quotes/AAPL.json", f"polygon/v3/quotes/AAPL&cursor={CURSOR}.json")
    ]
    assert sorted(q.seq for q in quotes if q.seq is not None) == sorted(
        r["sequence_number"] for rows in raw for r in rows
    )


def test_trades_from_fixture(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v3/trades/AAPL").respond_with_data(
        hp.fixture_text("polygon/v3/trades/AAPL&limit=2.json"), content_type="application/json"
    )
    pages, _ = hp.fetch(
        PolygonHistorical, cfg(hp, server), "trades", "AAPL", date(2022, 4, 28), date(2022, 4, 28)
    )
    common = {
        "symbol": "AAPL",
        "venue": "US",
        "provider": "polygon",
        "ts_event": 1651181822461979400,
        "ts_recv": 0,
        "seq": 7179341,
        "size": 10,
        "trade_id": "183276",
        "conditions": ["12", "37"],
        "tape": "3",
    }
    assert hp.no_recv(hp.flat(pages)) == [
        Trade(**common, price=156.43, exchange="11"),
        Trade(**common, price=157.43, exchange="12"),
    ]


def test_intraday_aggregates_use_millisecond_bounds(hp: Any, server: HTTPServer) -> None:
    body = {
        "ticker": "AAPL",
        "queryCount": 2,
        "resultsCount": 2,
        "adjusted": False,
        "results": [
            {"v": 100.0, "vw": 10.5, "o": 10, "c": 11, "h": 11.5, "l": 9.5, "t": 1704205800000},
            {"v": 200.0, "o": 11, "c": 12, "h": 12.5, "l": 10.5, "t": 1704206100000, "n": 7},
        ],
        "status": "OK",
        "request_id": "x",
        "count": 2,
    }
    server.expect_request(
        "/v2/aggs/ticker/BRK.B/range/5/minute/1704153600000/1704239999999",
        query_string={"adjusted": "false", "sort": "asc", "limit": "50000"},
    ).respond_with_json(body)
    pages, _ = hp.fetch(
        PolygonHistorical,
        cfg(hp, server),
        "bars",
        "BRK.B",
        date(2024, 1, 2),
        date(2024, 1, 2),
        "5m",
        adjusted=False,
    )
    bars = hp.no_recv(hp.flat(pages))
    assert [(b.ts_event, b.interval, b.close, b.vwap, b.trades, b.adjusted) for b in bars] == [
        (1704205800000000000, "5m", 11.0, 10.5, None, False),
        (1704206100000000000, "5m", 12.0, None, 7, False),
    ]
    assert {b.symbol for b in bars} == {"BRK.B"}


def test_splits_and_dividends_from_the_stocks_v1_endpoints_with_paging(
    hp: Any, server: HTTPServer
) -> None:
    """``/stocks/v1/splits`` and ``/stocks/v1/dividends`` (the ``/v3/reference`` ones are
    deprecated), each followed through ``next_url`` on the configured host."""
    split_cursor = "YXA9MjAyMC0wOC0zMSZsaW1pdD0xJnNvcnQ9ZXhlY3V0aW9uX2RhdGUuYXNj"
    server.expect_ordered_request(
        "/stocks/v1/splits",
        query_string={
            "ticker": "AAPL",
            "execution_date.gte": "2020-01-01",
            "execution_date.lte": "2020-12-31",
            "sort": "execution_date.asc",
            "limit": "5000",
        },
    ).respond_with_json(
        {
            "results": [
                {
                    "adjustment_type": "forward_split",
                    "execution_date": "2020-08-31",
                    "historical_adjustment_factor": 0.25,
                    "id": "E90a77bdf742661741ed7c8fc086415f0457c2816c45899d73aaa88bdc8ff6025",
                    "split_from": 1,
                    "split_to": 4,
                    "ticker": "AAPL",
                }
            ],
            "status": "OK",
            "request_id": "a1",
            "next_url": f"https://api.massive.com/stocks/v1/splits?cursor={split_cursor}",
        }
    )
    server.expect_ordered_request(
        "/stocks/v1/splits", query_string={"cursor": split_cursor}
    ).respond_with_json(
        {
            "results": [
                {
                    "adjustment_type": "stock_dividend",
                    "execution_date": "2020-12-01",
                    "historical_adjustment_factor": 0.952381,
                    "id": "E3b4f3c1c6d0a0f1d2b9e7c5a4f6e8d1b2c3a4f5e6d7c8b9a0f1e2d3c4b5a6f7",
                    "split_from": 1,
                    "split_to": 1.05,
                    "ticker": "AAPL",
                }
            ],
            "status": "OK",
            "request_id": "a2",
        }
    )
    server.expect_ordered_request(
        "/stocks/v1/dividends",
        query_string={
            "ticker": "AAPL",
            "ex_dividend_date.gte": "2020-01-01",
            "ex_dividend_date.lte": "2020-12-31",
            "sort": "ex_dividend_date.asc",
            "limit": "5000",
        },
    ).respond_with_json(
        {
            "results": [
                {
                    "cash_amount": 0.82,
                    "currency": "USD",
                    "declaration_date": "2020-07-30",
                    "distribution_type": "recurring",
                    "ex_dividend_date": "2020-08-07",
                    "frequency": 4,
                    "historical_adjustment_factor": 0.998,
                    "id": "Ed5f0b0bb6b6c0a9e1f55fb5ddc3b3d5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d9c",
                    "pay_date": "2020-08-13",
                    "record_date": "2020-08-10",
                    "split_adjusted_cash_amount": 0.205,
                    "ticker": "AAPL",
                },
                {
                    "cash_amount": 0.205,
                    "currency": "USD",
                    "declaration_date": "2020-10-29",
                    "distribution_type": "recurring",
                    "ex_dividend_date": "2020-11-06",
                    "frequency": 4,
                    "historical_adjustment_factor": 0.9985,
                    "id": "E0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b0c9d",
                    "pay_date": "2020-11-12",
                    "record_date": "2020-11-09",
                    "split_adjusted_cash_amount": 0.205,
                    "ticker": "AAPL",
                },
            ],
            "status": "OK",
            "request_id": "b1",
        }
    )
    pages, _ = hp.fetch(
        PolygonHistorical,
        cfg(hp, server),
        "corporate_actions",
        "AAPL",
        date(2020, 1, 1),
        date(2020, 12, 31),
    )
    common = {"symbol": "AAPL", "venue": "US", "provider": "polygon", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        CorporateAction(
            **common,
            ts_event=1596758400000000000,
            kind="dividend",
            amount=0.82,
            currency="USD",
            pay_date="2020-08-13",
        ),
        CorporateAction(**common, ts_event=1598832000000000000, kind="split", ratio=4.0),
        CorporateAction(
            **common,
            ts_event=1604620800000000000,
            kind="dividend",
            amount=0.205,
            currency="USD",
            pay_date="2020-11-12",
        ),
        CorporateAction(**common, ts_event=1606780800000000000, kind="split", ratio=1.05),
    ]
    assert [r.path for r, _ in server.log] == [
        "/stocks/v1/splits",
        "/stocks/v1/splits",
        "/stocks/v1/dividends",
    ]
    assert all(r.headers["Authorization"] == f"Bearer {KEY}" for r, _ in server.log)


def test_429_without_retry_after_then_success(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request(AGGS_PATH).respond_with_json(
        {"status": "ERROR", "request_id": "r", "error": "You've exceeded the maximum requests"},
        status=429,
    )
    server.expect_ordered_request(AGGS_PATH).respond_with_data(
        hp.fixture_text(AGGS), content_type="application/json"
    )
    pages, provider = hp.fetch(
        PolygonHistorical, cfg(hp, server), "bars", "AAPL", date(2005, 4, 1), date(2005, 4, 4), "1d"
    )
    assert hp.no_recv(hp.flat(pages)) == expected_aapl_bars()
    assert (provider.client.stats.requests, provider.client.stats.retries) == (2, 1)
    assert provider.client.stats.last_retry_after_s is None


def test_429_with_retry_after_is_honoured(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request(AGGS_PATH).respond_with_data(
        "Too Many Requests", status=429, headers={"Retry-After": "0"}
    )
    server.expect_ordered_request(AGGS_PATH).respond_with_data(
        hp.fixture_text(AGGS), content_type="application/json"
    )
    pages, provider = hp.fetch(
        PolygonHistorical, cfg(hp, server), "bars", "AAPL", date(2005, 4, 1), date(2005, 4, 4), "1d"
    )
    assert len(hp.flat(pages)) == 2
    assert provider.client.stats.last_retry_after_s == 0.0


def test_long_retry_after_gives_up_at_once(hp: Any, server: HTTPServer) -> None:
    server.expect_request(AGGS_PATH).respond_with_data(
        "slow down", status=429, headers={"Retry-After": "3600"}
    )
    with pytest.raises(RateLimited) as info:
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2005, 4, 1),
            date(2005, 4, 4),
            "1d",
        )
    assert info.value.retry_after == 3600.0
    assert len(server.log) == 1


def test_429_every_time_is_rate_limited(hp: Any, server: HTTPServer) -> None:
    server.expect_request(AGGS_PATH).respond_with_data("busy", status=429)
    with pytest.raises(RateLimited, match="HTTP 429: busy after 3 attempts") as info:
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2005, 4, 1),
            date(2005, 4, 4),
            "1d",
        )
    assert info.value.retry_after is None
    assert len(server.log) == 3


def test_5xx_then_success(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request("/v3/trades/AAPL").respond_with_data("oops", status=500)
    server.expect_ordered_request("/v3/trades/AAPL").respond_with_data("bad gw", status=502)
    server.expect_ordered_request("/v3/trades/AAPL").respond_with_data(
        hp.fixture_text("polygon/v3/trades/AAPL&limit=2.json"), content_type="application/json"
    )
    pages, provider = hp.fetch(
        PolygonHistorical, cfg(hp, server), "trades", "AAPL", date(2022, 4, 28), date(2022, 4, 28)
    )
    assert len(hp.flat(pages)) == 2
    assert provider.client.stats.retries == 2


def test_timeout_then_success(hp: Any, server: HTTPServer) -> None:
    ok = Response(hp.fixture_text(AGGS), content_type="application/json")
    hp.fail_once(server, AGGS_PATH, "timeout", ok)
    pages, provider = hp.fetch(
        PolygonHistorical, cfg(hp, server), "bars", "AAPL", date(2005, 4, 1), date(2005, 4, 4), "1d"
    )
    assert hp.no_recv(hp.flat(pages)) == expected_aapl_bars()
    assert provider.client.stats.retries == 1


@pytest.mark.parametrize(
    "body",
    [
        "<html>maintenance</html>",
        '{"results": [{"t": "yesterday", "o": 1}], "status": "OK"}',
        '{"results": [{"v": 1, "o": 1, "c": 1, "h": 1, "l": 1',
    ],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(AGGS_PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError, match="malformed aggregates page") as info:
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2005, 4, 1),
            date(2005, 4, 4),
            "1d",
        )
    assert AGGS_PATH in str(info.value)


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request(AGGS_PATH).respond_with_json(
        {
            "ticker": "AAPL",
            "queryCount": 0,
            "resultsCount": 0,
            "adjusted": True,
            "status": "OK",
            "request_id": "e",
            "count": 0,
        }
    )
    pages, _ = hp.fetch(
        PolygonHistorical, cfg(hp, server), "bars", "AAPL", date(2005, 4, 1), date(2005, 4, 4), "1d"
    )
    assert pages == [[]]


def test_auth_failure_names_the_variable_not_the_key(hp: Any, server: HTTPServer) -> None:
    server.expect_request(AGGS_PATH).respond_with_json(
        {"status": "ERROR", "request_id": "x", "error": f"Unknown API Key {KEY}"}, status=401
    )
    with pytest.raises(CredentialsError) as info:
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2005, 4, 1),
            date(2005, 4, 4),
            "1d",
        )
    message = str(info.value)
    assert "HTTP 401" in message and "POLYGON_API_KEY" in message and "Unknown API Key" in message
    assert KEY not in message
    assert len(server.log) == 1


def test_plan_without_the_data_is_not_included_in_your_plan(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v3/trades/AAPL").respond_with_json(
        {
            "status": "NOT_AUTHORIZED",
            "request_id": "3314f3bc552d76453891b3a8ada5e8d0",
            "message": "You are not entitled to this data. Please upgrade your plan at "
            "https://massive.com/pricing",
        },
        status=403,
    )
    with pytest.raises(NotInPlan) as info:
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "trades",
            "AAPL",
            date(2022, 4, 28),
            date(2022, 4, 28),
        )
    assert str(info.value) == (
        "polygon: not included in your plan (HTTP 403 NOT_AUTHORIZED: You are not entitled to "
        "this data.); ask for data your plan has, or upgrade at https://massive.com/pricing"
    )
    assert not isinstance(info.value, CredentialsError)
    assert len(server.log) == 1


def test_defaults_are_massive_hosts() -> None:
    assert PolygonConfig().stream_url == "wss://socket.massive.com/stocks"
    assert PolygonConfig().delayed_stream_url == "wss://delayed.massive.com/stocks"
    assert PolygonConfig().rest.url == "https://api.massive.com"
    old = Config(providers={"polygon": {"rest": {"url": "https://api.polygon.io"}}})
    provider = PolygonHistorical(old)
    assert provider.settings.url == "https://api.polygon.io"
    asyncio.run(provider.aclose())


def test_missing_key_fails_before_any_request(
    hp: Any, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POLYGON_API_KEY")
    with pytest.raises(CredentialsError, match=r"set the environment variable POLYGON_API_KEY"):
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "trades",
            "AAPL",
            date(2022, 4, 28),
            date(2022, 4, 28),
        )
    assert server.log == []


def test_not_found(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v3/trades/NOPE").respond_with_json(
        {"status": "NOT_FOUND", "request_id": "n", "message": "Ticker not found."}, status=404
    )
    with pytest.raises(NotFound, match=r"not found \(HTTP 404\).*Ticker not found"):
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "trades",
            "NOPE",
            date(2022, 4, 28),
            date(2022, 4, 28),
        )


def test_bad_interval_is_unsupported(hp: Any, server: HTTPServer) -> None:
    provider = PolygonHistorical(cfg(hp, server))
    assert provider.supports("bars", "15m") and provider.supports("bars", "1q")
    assert not provider.supports("bars", "1min")
    asyncio.run(provider.aclose())
    with pytest.raises(UnsupportedRequest):
        hp.fetch(
            PolygonHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2005, 4, 1),
            date(2005, 4, 4),
            "fortnight",
        )
