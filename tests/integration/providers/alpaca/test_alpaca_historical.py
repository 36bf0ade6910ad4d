"""Alpaca Market Data v2 REST history against a local server speaking the documented format."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar, Quote, Trade
from mdc.providers.alpaca.historical import AlpacaHistorical
from mdc.providers.base import CredentialsError, NotInPlan, ProviderError, UnsupportedRequest

KEY_ID = "PKTESTKEYID0001"
SECRET = "sEcReT/alpaca+0001"
DAY = 86_400_000_000_000
JAN2 = 1_704_153_600_000_000_000  # 2024-01-02T00:00:00Z
TOKEN = "QUFQTHwyMDIyLTA0LTExVDEyOjAwOjM2LjAwMjk1MTk0Nlp8VnwwOTIyMzM3MjAzNjg1NDc3NTgwOQ=="


@pytest.fixture(autouse=True)
def _keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPACA_KEY_ID", KEY_ID)
    monkeypatch.setenv("ALPACA_SECRET_KEY", SECRET)


def cfg(hp: Any, server: HTTPServer, rest: dict[str, Any] | None = None, **section: Any) -> Any:
    return hp.config_for(
        "alpaca", {**section, "rest": {"url": server.url_for("/"), **(rest or {})}}
    )


def paged(pages: dict[str | None, dict[str, Any]], seen: list[dict[str, str]]) -> Any:
    """A handler serving ``pages[page_token]`` and recording every query it was sent."""

    def handler(request: Request) -> Response:
        seen.append(dict(request.args))
        assert request.headers["APCA-API-KEY-ID"] == KEY_ID
        assert request.headers["APCA-API-SECRET-KEY"] == SECRET
        body = pages[request.args.get("page_token")]
        return Response(json.dumps(body), content_type="application/json")

    return handler


def daily(t: str, o: float, c: float, v: int) -> dict[str, Any]:
    return {"t": t, "o": o, "h": c + 1, "l": o - 1, "c": c, "v": v, "n": v // 100, "vw": c - 0.5}


def test_daily_bars_over_three_pages(hp: Any, server: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    pages = {
        None: {
            "bars": [daily("2024-01-02T05:00:00Z", 187.15, 185.64, 82488700)],
            "symbol": "BRK.B",
            "next_page_token": "QlJLLkJ8RHwyMDI0LTAxLTAy",
        },
        "QlJLLkJ8RHwyMDI0LTAxLTAy": {
            "bars": [daily("2024-01-03T05:00:00Z", 184.22, 184.25, 58414500)],
            "symbol": "BRK.B",
            "next_page_token": "QlJLLkJ8RHwyMDI0LTAxLTAz",
        },
        "QlJLLkJ8RHwyMDI0LTAxLTAz": {
            "bars": [daily("2024-01-04T05:00:00Z", 182.15, 181.91, 71983600)],
            "symbol": "BRK.B",
            "next_page_token": None,
        },
    }
    server.expect_request("/v2/stocks/BRK.B/bars").respond_with_handler(paged(pages, seen))
    result, provider = hp.fetch(
        AlpacaHistorical, cfg(hp, server), "bars", "BRK.B", date(2024, 1, 2), date(2024, 1, 4), "1d"
    )
    base = {
        "timeframe": "1Day",
        "start": "2024-01-02T00:00:00Z",
        "end": "2024-01-05T00:00:00Z",
        "limit": "10000",
        "feed": "iex",
        "sort": "asc",
        "adjustment": "all",
    }
    assert seen == [
        base,
        {**base, "page_token": "QlJLLkJ8RHwyMDI0LTAxLTAy"},
        {**base, "page_token": "QlJLLkJ8RHwyMDI0LTAxLTAz"},
    ]
    assert [len(p) for p in result] == [1, 1, 1]
    common = {"symbol": "BRK.B", "venue": "IEX", "provider": "alpaca", "ts_recv": 0}
    assert hp.no_recv(hp.flat(result)) == [
        Bar(
            **common,
            ts_event=JAN2,
            interval="1d",
            open=187.15,
            high=186.64,
            low=186.15,
            close=185.64,
            volume=82488700,
            vwap=185.14,
            trades=824887,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=JAN2 + DAY,
            interval="1d",
            open=184.22,
            high=185.25,
            low=183.22,
            close=184.25,
            volume=58414500,
            vwap=183.75,
            trades=584145,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=JAN2 + 2 * DAY,
            interval="1d",
            open=182.15,
            high=182.91,
            low=181.15,
            close=181.91,
            volume=71983600,
            vwap=181.41,
            trades=719836,
            adjusted=True,
        ),
    ]
    assert provider.client.stats.requests == 3


def test_raw_minute_bars_are_clipped_to_the_range(hp: Any, server: HTTPServer) -> None:
    body = {
        "bars": [
            {"t": "2024-01-02T14:30:00Z", "o": 10, "h": 11, "l": 9, "c": 10.5, "v": 300},
            {"t": "2024-01-03T00:00:00Z", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1},
        ],
        "symbol": "AAPL",
        "next_page_token": None,
    }
    server.expect_request(
        "/v2/stocks/AAPL/bars",
        query_string={
            "timeframe": "15Min",
            "start": "2024-01-02T00:00:00Z",
            "end": "2024-01-03T00:00:00Z",
            "limit": "10000",
            "feed": "sip",
            "sort": "asc",
            "adjustment": "raw",
        },
    ).respond_with_json(body)
    result, _ = hp.fetch(
        AlpacaHistorical,
        cfg(hp, server, feed="sip"),
        "bars",
        "AAPL",
        date(2024, 1, 2),
        date(2024, 1, 2),
        "15m",
        adjusted=False,
    )
    assert hp.no_recv(hp.flat(result)) == [
        Bar(
            symbol="AAPL",
            venue="US",
            provider="alpaca",
            ts_event=1_704_205_800_000_000_000,
            ts_recv=0,
            interval="15m",
            open=10,
            high=11,
            low=9,
            close=10.5,
            volume=300,
            adjusted=False,
        )
    ]


def test_trades_over_two_pages(hp: Any, server: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    pages = {
        None: {
            "trades": [
                {
                    "t": "2022-04-11T12:00:36.002951946Z",
                    "x": "V",
                    "p": 168.04,
                    "s": 50,
                    "c": ["@", "T", "I"],
                    "i": 1,
                    "z": "C",
                }
            ],
            "symbol": "AAPL",
            "next_page_token": TOKEN,
        },
        TOKEN: {
            "trades": [
                {
                    "t": "2022-04-11T14:30:00.008348Z",
                    "x": "D",
                    "p": 166.48,
                    "s": 1,
                    "c": ["@", "I"],
                    "i": 50688,
                    "z": "C",
                }
            ],
            "symbol": "AAPL",
            "next_page_token": None,
        },
    }
    server.expect_request("/v2/stocks/AAPL/trades").respond_with_handler(paged(pages, seen))
    result, _ = hp.fetch(
        AlpacaHistorical, cfg(hp, server), "trades", "AAPL", date(2022, 4, 11), date(2022, 4, 11)
    )
    assert "timeframe" not in seen[0] and seen[1]["page_token"].startswith("QUFQTHwy")
    common = {"symbol": "AAPL", "venue": "IEX", "provider": "alpaca", "ts_recv": 0, "tape": "C"}
    assert hp.no_recv(hp.flat(result)) == [
        Trade(
            **common,
            ts_event=1_649_678_436_002_951_946,
            price=168.04,
            size=50,
            trade_id="1",
            exchange="V",
            conditions=["@", "T", "I"],
        ),
        Trade(
            **common,
            ts_event=1_649_687_400_008_348_000,
            price=166.48,
            size=1,
            trade_id="50688",
            exchange="D",
            conditions=["@", "I"],
        ),
    ]


def test_quotes(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v2/stocks/AAPL/quotes").respond_with_json(
        {
            "quotes": [
                {
                    "t": "2022-04-12T08:00:00.000177Z",
                    "ax": "Q",
                    "ap": 165.15,
                    "as": 4,
                    "bx": "K",
                    "bp": 165,
                    "bs": 2,
                    "c": ["R"],
                    "z": "C",
                }
            ],
            "symbol": "AAPL",
            "next_page_token": None,
        }
    )
    result, _ = hp.fetch(
        AlpacaHistorical, cfg(hp, server), "quotes", "AAPL", date(2022, 4, 12), date(2022, 4, 12)
    )
    assert hp.no_recv(hp.flat(result)) == [
        Quote(
            symbol="AAPL",
            venue="IEX",
            provider="alpaca",
            ts_event=1_649_750_400_000_177_000,
            ts_recv=0,
            bid_price=165,
            bid_size=2,
            ask_price=165.15,
            ask_size=4,
            bid_exchange="K",
            ask_exchange="Q",
            conditions=["R"],
            tape="C",
        )
    ]


EMPTY = {"bars": None, "symbol": "AAPL", "next_page_token": None}


def fetch_bars(hp: Any, server: HTTPServer, **section: Any) -> tuple[list[list[Bar]], Any]:
    result: tuple[list[list[Bar]], Any] = hp.fetch(
        AlpacaHistorical,
        cfg(hp, server, **section),
        "bars",
        "AAPL",
        date(2024, 1, 2),
        date(2024, 1, 2),
        "1h",
    )
    return result


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v2/stocks/AAPL/bars").respond_with_json(EMPTY)
    assert fetch_bars(hp, server)[0] == [[]]


def test_429_with_and_without_retry_headers(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request("/v2/stocks/AAPL/bars").respond_with_json(
        {"message": "too many requests."}, status=429
    )
    server.expect_ordered_request("/v2/stocks/AAPL/bars").respond_with_json(
        {"message": "too many requests."}, status=429, headers={"X-Ratelimit-Reset": "0"}
    )
    server.expect_ordered_request("/v2/stocks/AAPL/bars").respond_with_json(EMPTY)
    pages, provider = fetch_bars(hp, server)
    assert pages == [[]]
    assert provider.client.stats.retries == 2
    assert provider.client.stats.last_retry_after_s == 0.0


def test_5xx_then_success(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request("/v2/stocks/AAPL/bars").respond_with_data("", status=503)
    server.expect_ordered_request("/v2/stocks/AAPL/bars").respond_with_json(EMPTY)
    pages, provider = fetch_bars(hp, server)
    assert pages == [[]] and provider.client.stats.retries == 1


def test_timeout_then_success(hp: Any, server: HTTPServer) -> None:
    ok = Response(json.dumps(EMPTY), content_type="application/json")
    hp.fail_once(server, "/v2/stocks/AAPL/bars", "timeout", ok)
    pages, provider = fetch_bars(hp, server)
    assert pages == [[]] and provider.client.stats.retries == 1


@pytest.mark.parametrize(
    "body",
    ['{"bars": [{"t": "2024-01-02T14:30:00Z", "o": "ten"}]}', "Bad Gateway page", '{"bars": ['],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request("/v2/stocks/AAPL/bars").respond_with_data(body)
    with pytest.raises(ProviderError, match="alpaca: malformed bars page from"):
        fetch_bars(hp, server)


def test_malformed_timestamp(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v2/stocks/AAPL/bars").respond_with_json(
        {"bars": [{"t": "yesterday", "o": 1, "h": 1, "l": 1, "c": 1, "v": 1}]}
    )
    with pytest.raises(ProviderError, match=r"malformed bars page .*not an RFC 3339 timestamp"):
        fetch_bars(hp, server)


def test_auth_failure(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/v2/stocks/AAPL/bars").respond_with_json(
        {"message": "forbidden."}, status=403
    )
    with pytest.raises(CredentialsError) as info:
        fetch_bars(hp, server)
    message = str(info.value)
    assert message == (
        "alpaca: HTTP 403: rejected the credentials or the plan does not include this data"
        ": forbidden.; check ALPACA_KEY_ID, ALPACA_SECRET_KEY"
    )
    assert KEY_ID not in message and SECRET not in message


def test_sip_without_a_subscription_is_not_included_in_your_plan(
    hp: Any, server: HTTPServer
) -> None:
    server.expect_request("/v2/stocks/AAPL/bars").respond_with_json(
        {"message": "subscription does not permit querying recent SIP data"}, status=403
    )
    with pytest.raises(NotInPlan) as info:
        fetch_bars(hp, server)
    assert str(info.value) == (
        "alpaca: not included in your plan (HTTP 403: subscription does not permit querying "
        'recent SIP data); set providers.alpaca.rest.feed = "iex" (or "delayed_sip"), ask for '
        "data older than 15 minutes, or subscribe to Algo Trader Plus"
    )
    assert len(server.log) == 1


def test_timeframes(hp: Any, server: HTTPServer) -> None:
    provider = AlpacaHistorical(cfg(hp, server))
    for good in ("1m", "59m", "1h", "23h", "1d", "1w", "1mo", "6mo", "12mo"):
        assert provider.supports("bars", good), good
    for bad in ("60m", "24h", "2d", "2w", "5mo", "1s", "1y"):
        assert not provider.supports("bars", bad), bad
    assert provider.supports("trades") and provider.supports("quotes")
    assert provider.supports("corporate_actions")
    with pytest.raises(UnsupportedRequest, match="no 2d bars"):
        hp.fetch(
            AlpacaHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2024, 1, 2),
            date(2024, 1, 2),
            "2d",
        )


def test_corporate_actions_over_two_pages_at_their_ex_dates(hp: Any, server: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    pages = {
        None: {
            "corporate_actions": {
                "forward_splits": [
                    {
                        "symbol": "NVDA",
                        "new_rate": 10,
                        "old_rate": 1,
                        "process_date": "2024-06-10",
                        "ex_date": "2024-06-10",
                        "record_date": "2024-06-06",
                        "payable_date": "2024-06-07",
                    }
                ],
                "cash_dividends": [
                    {
                        "symbol": "NVDA",
                        "rate": 0.04,
                        "special": False,
                        "foreign": False,
                        "process_date": "2024-06-11",
                        "ex_date": "2024-06-11",
                        "record_date": "2024-06-11",
                        "payable_date": "2024-06-28",
                    }
                ],
                "name_changes": [
                    {"old_symbol": "X", "new_symbol": "Y", "process_date": "2024-06-01"}
                ],
            },
            "next_page_token": "TlZEQXwyMDI0LTA2LTEx",
        },
        "TlZEQXwyMDI0LTA2LTEx": {
            "corporate_actions": {
                "reverse_splits": [
                    {"symbol": "NVDA", "new_rate": 1, "old_rate": 4, "ex_date": "2024-05-31"}
                ],
                "stock_dividends": [{"symbol": "NVDA", "rate": 0.05, "ex_date": "2024-06-20"}],
                # processed inside the widened window, but its ex-date is outside the range
                "cash_dividends": [{"symbol": "NVDA", "rate": 0.01, "ex_date": "2024-07-05"}],
            },
            "next_page_token": None,
        },
    }
    server.expect_request("/v1/corporate-actions").respond_with_handler(paged(pages, seen))
    result, _ = hp.fetch(
        AlpacaHistorical,
        cfg(hp, server),
        "corporate_actions",
        "NVDA",
        date(2024, 5, 1),
        date(2024, 6, 30),
    )
    base = {
        "symbols": "NVDA",
        "types": "forward_split,reverse_split,stock_dividend,cash_dividend",
        "start": "2024-04-21",
        "end": "2024-07-10",
        "limit": "1000",
        "sort": "asc",
    }
    assert seen == [base, {**base, "page_token": "TlZEQXwyMDI0LTA2LTEx"}]
    (page,) = result
    got = [(a.ts_event, a.kind, a.ratio, a.amount, a.pay_date) for a in page]
    may31 = 1_717_113_600_000_000_000
    assert got == [
        (may31, "split", 0.25, None, None),
        (may31 + 10 * DAY, "split", 10.0, None, None),
        (may31 + 11 * DAY, "dividend", None, 0.04, "2024-06-28"),
        (may31 + 20 * DAY, "split", 1.05, None, None),
    ]
    assert {(a.symbol, a.provider, a.venue) for a in page} == {("NVDA", "alpaca", "IEX")}
