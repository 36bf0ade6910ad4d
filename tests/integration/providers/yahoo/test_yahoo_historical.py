"""Yahoo chart API history against a local server answering in the chart JSON shape."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.base import CredentialsError, NotFound, ProviderError, UnsupportedRequest
from mdc.providers.yahoo.historical import YahooHistorical

DAY = 86_400_000_000_000
AUG28 = 1_598_572_800_000_000_000  # 2020-08-28T00:00:00Z
PATH = "/v8/finance/chart/AAPL"
META = {
    "currency": "USD",
    "symbol": "AAPL",
    "exchangeName": "NMS",
    "instrumentType": "EQUITY",
    "firstTradeDate": 345479400,
    "regularMarketTime": 1599076802,
    "gmtoffset": -14400,
    "timezone": "EDT",
    "exchangeTimezoneName": "America/New_York",
    "regularMarketPrice": 131.4,
    "chartPreviousClose": 124.808,
    "priceHint": 2,
    "dataGranularity": "1d",
    "range": "",
    "validRanges": ["1d", "5d", "1mo", "3mo", "6mo", "1y", "2y", "5y", "10y", "ytd", "max"],
}


def chart(result: dict[str, Any]) -> dict[str, Any]:
    return {"chart": {"result": [result], "error": None}}


DAILY = chart(
    {
        "meta": META,
        # Session opens, 09:30 New York.
        "timestamp": [1598621400, 1598880600, 1598967000],
        "events": {
            "dividends": {"1596807000": {"amount": 0.205, "date": 1596807000}},
            "splits": {
                "1598880600": {
                    "date": 1598880600,
                    "numerator": 4,
                    "denominator": 1,
                    "splitRatio": "4:1",
                }
            },
        },
        "indicators": {
            "quote": [
                {
                    "open": [127.5, 127.5, 132.75],
                    "high": [129.0, 131.0, 134.75],
                    "low": [126.5, 126.0, 130.5],
                    "close": [128.0, 129.0, 134.0],
                    "volume": [187629916, 225702700, 151948100],
                }
            ],
            "adjclose": [{"adjclose": [96.0, 129.0, 134.0]}],
        },
    }
)


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for("yahoo", {"base_url": server.url_for("/"), **section})


def daily(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.fetch(
        YahooHistorical,
        cfg(hp, server, **section),
        "bars",
        "AAPL",
        date(2020, 8, 28),
        date(2020, 9, 1),
        "1d",
    )


def test_daily_bars_are_fully_adjusted_and_dated_by_session(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        PATH,
        query_string={
            "period1": "1598572800",
            "period2": "1599004800",
            "interval": "1d",
            "includeAdjustedClose": "true",
            "includePrePost": "true",
        },
    ).respond_with_json(DAILY)
    pages, _ = daily(hp, server)
    common = {"symbol": "AAPL", "venue": "US", "provider": "yahoo", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        Bar(
            **common,
            ts_event=AUG28,
            interval="1d",
            open=95.625,
            high=96.75,
            low=94.875,
            close=96.0,
            volume=187629916,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=AUG28 + 3 * DAY,
            interval="1d",
            open=127.5,
            high=131.0,
            low=126.0,
            close=129.0,
            volume=225702700,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=AUG28 + 4 * DAY,
            interval="1d",
            open=132.75,
            high=134.75,
            low=130.5,
            close=134.0,
            volume=151948100,
            adjusted=True,
        ),
    ]


def test_dividends_and_splits(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(DAILY)
    pages, _ = hp.fetch(
        YahooHistorical,
        cfg(hp, server),
        "corporate_actions",
        "AAPL",
        date(2020, 8, 1),
        date(2020, 9, 1),
    )
    assert server.log[0][0].args["events"] == "div|split"
    common = {"symbol": "AAPL", "venue": "US", "provider": "yahoo", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        CorporateAction(
            **common,
            ts_event=1_596_758_400_000_000_000,
            kind="dividend",
            amount=0.205,
            currency="USD",
        ),
        CorporateAction(**common, ts_event=AUG28 + 3 * DAY, kind="split", ratio=4.0),
    ]


def test_intraday_windows_skip_null_rows(hp: Any, server: HTTPServer) -> None:
    windows = {
        "1704153600": chart(
            {
                "meta": {**META, "dataGranularity": "1m"},
                "timestamp": [1704205800, 1704205860],
                "indicators": {
                    "quote": [
                        {
                            "open": [187.15, None],
                            "high": [187.5, None],
                            "low": [186.9, None],
                            "close": [187.2, None],
                            "volume": [1250000, None],
                        }
                    ]
                },
            }
        ),
        "1704240000": chart(
            {
                "meta": {**META, "dataGranularity": "1m"},
                "timestamp": [1704292200],
                "indicators": {
                    "quote": [
                        {
                            "open": [184.22],
                            "high": [184.3],
                            "low": [184.0],
                            "close": [184.1],
                            "volume": [None],
                        }
                    ]
                },
            }
        ),
    }
    seen: list[tuple[str, str]] = []

    def handler(request: Request) -> Response:
        seen.append((request.args["period1"], request.args["period2"]))
        assert request.args["interval"] == "1m"
        body = windows[request.args["period1"]]
        return Response(json.dumps(body), content_type="application/json")

    server.expect_request("/v8/finance/chart/BRK-B").respond_with_handler(handler)
    pages, _ = hp.fetch(
        YahooHistorical,
        cfg(hp, server, minute_window_days=1),
        "bars",
        "BRK.B",
        date(2024, 1, 2),
        date(2024, 1, 3),
        "1m",
    )
    assert seen == [("1704153600", "1704240000"), ("1704240000", "1704326400")]
    common = {"symbol": "BRK.B", "venue": "US", "provider": "yahoo", "ts_recv": 0}
    assert [hp.no_recv(p) for p in pages] == [
        [
            Bar(
                **common,
                ts_event=1_704_205_800_000_000_000,
                interval="1m",
                open=187.15,
                high=187.5,
                low=186.9,
                close=187.2,
                volume=1250000,
                adjusted=True,
            )
        ],
        [
            Bar(
                **common,
                ts_event=1_704_292_200_000_000_000,
                interval="1m",
                open=184.22,
                high=184.3,
                low=184.0,
                close=184.1,
                volume=0.0,
                adjusted=True,
            )
        ],
    ]


def test_intervals_and_raw_bars(hp: Any, server: HTTPServer) -> None:
    provider = YahooHistorical(cfg(hp, server))
    for good in ("1m", "2m", "90m", "1h", "1d", "5d", "1w", "1mo", "3mo"):
        assert provider.supports("bars", good), good
    for bad in ("3m", "2h", "2d", "2w", "6mo"):
        assert not provider.supports("bars", bad), bad
    assert not provider.supports("bars", "1d", adjusted=False)
    with pytest.raises(UnsupportedRequest, match="raw bars are not served"):
        hp.fetch(
            YahooHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2020, 8, 28),
            date(2020, 9, 1),
            "1d",
            adjusted=False,
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
    server.expect_request(PATH).respond_with_json(
        chart({"meta": META, "indicators": {"quote": [{}], "adjclose": [{}]}})
    )
    assert daily(hp, server)[0] == [[]]


@pytest.mark.parametrize(
    "body",
    [
        '{"chart": {"result": [{"timestamp": ["x"]}], "error": null}}',
        "Will be right back",
        json.dumps(
            chart(
                {
                    "meta": META,
                    "timestamp": [1598621400, 1598880600],
                    "indicators": {"quote": [{"open": [1], "high": [1], "low": [1], "close": [1]}]},
                }
            )
        ),
    ],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError, match="yahoo: malformed chart"):
        daily(hp, server)


def test_unknown_symbol(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {
            "chart": {
                "result": None,
                "error": {
                    "code": "Not Found",
                    "description": "No data found, symbol may be delisted",
                },
            }
        },
        status=404,
    )
    with pytest.raises(NotFound, match="No data found, symbol may be delisted"):
        daily(hp, server)


def test_auth_failure(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {
            "finance": {
                "result": None,
                "error": {"code": "Unauthorized", "description": "Invalid Crumb"},
            }
        },
        status=401,
    )
    with pytest.raises(CredentialsError, match=r"HTTP 401: .*: Invalid Crumb$"):
        daily(hp, server)
