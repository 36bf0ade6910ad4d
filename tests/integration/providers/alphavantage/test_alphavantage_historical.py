"""Alpha Vantage time series against a local server answering in the documented JSON, including
the notices a free key gets for premium requests."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.alphavantage.historical import AlphaVantageHistorical
from mdc.providers.base import (
    CredentialsError,
    NotFound,
    NotInPlan,
    ProviderError,
    RateLimited,
    UnsupportedRequest,
)

KEY = "AVSECRETKEY0042"
PATH = "/query"
AUG28 = 1_598_572_800_000_000_000
DAY = 86_400_000_000_000


def row(o: str, h: str, lo: str, c: str, adj: str, v: str, div: str, split: str) -> dict[str, str]:
    return {
        "1. open": o,
        "2. high": h,
        "3. low": lo,
        "4. close": c,
        "5. adjusted close": adj,
        "6. volume": v,
        "7. dividend amount": div,
        "8. split coefficient": split,
    }


DAILY_ADJUSTED = {
    "Meta Data": {
        "1. Information": "Daily Time Series with Splits and Dividend Events",
        "2. Symbol": "AAPL",
        "3. Last Refreshed": "2020-09-02",
        "4. Output Size": "Full size",
        "5. Time Zone": "US/Eastern",
    },
    "Time Series (Daily)": {
        "2020-09-02": row(
            "137.59", "137.98", "127.0", "131.4", "131.4", "200119000", "0.0000", "1.0"
        ),
        "2020-09-01": row(
            "132.75", "134.75", "130.5", "134.0", "134.0", "151948100", "0.2050", "1.0"
        ),
        "2020-08-31": row(
            "127.5", "131.0", "126.0", "129.0", "129.0", "225702700", "0.0000", "4.0"
        ),
        "2020-08-28": row("510.0", "516.0", "506.0", "512.0", "96.0", "46907479", "0.0000", "1.0"),
    },
}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALPHAVANTAGE_API_KEY", KEY)


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for("alphavantage", {"base_url": server.url_for(PATH), **section})


PREMIUM_NOTICE = {
    "Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may "
    "subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly "
    "unlock all premium endpoints"
}
FULL_NOTICE = {
    "Information": "Thank you for using Alpha Vantage! The outputsize=full parameter value is a "
    "premium feature for the TIME_SERIES_DAILY endpoint. You may subscribe to any of the premium "
    "plans at https://www.alphavantage.co/premium/ to instantly unlock all premium features"
}


def daily(hp: Any, server: HTTPServer, adjusted: bool = True, **section: Any) -> Any:
    return hp.fetch(
        AlphaVantageHistorical,
        cfg(hp, server, **({"premium": True} if adjusted else {}) | section),
        "bars",
        "AAPL",
        date(2020, 8, 28),
        date(2020, 9, 1),
        "1d",
        adjusted=adjusted,
    )


def test_daily_adjusted(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        PATH,
        query_string={
            "function": "TIME_SERIES_DAILY_ADJUSTED",
            "outputsize": "full",
            "symbol": "AAPL",
            "datatype": "json",
            "apikey": KEY,
        },
    ).respond_with_json(DAILY_ADJUSTED)
    pages, _ = daily(hp, server)
    common = {"symbol": "AAPL", "venue": "US", "provider": "alphavantage", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        Bar(
            **common,
            ts_event=AUG28,
            interval="1d",
            open=95.625,
            high=96.75,
            low=94.875,
            close=96.0,
            volume=46907479,
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


def test_daily_raw_is_what_a_free_key_gets(hp: Any, server: HTTPServer) -> None:
    raw = {
        "Meta Data": {"1. Information": "Daily Prices", "5. Time Zone": "US/Eastern"},
        "Time Series (Daily)": {
            "2020-08-28": {
                "1. open": "504.05",
                "2. high": "505.77",
                "3. low": "498.31",
                "4. close": "499.23",
                "5. volume": "46907479",
            }
        },
    }
    server.expect_request(PATH).respond_with_json(raw)
    pages, _ = daily(hp, server, adjusted=False)
    assert len(server.log) == 1
    assert server.log[0][0].args["function"] == "TIME_SERIES_DAILY"
    assert server.log[0][0].args["outputsize"] == "compact"
    assert hp.no_recv(hp.flat(pages)) == [
        Bar(
            symbol="AAPL",
            venue="US",
            provider="alphavantage",
            ts_event=AUG28,
            ts_recv=0,
            interval="1d",
            open=504.05,
            high=505.77,
            low=498.31,
            close=499.23,
            volume=46907479,
            adjusted=False,
        )
    ]


def test_intraday_one_page_per_month(hp: Any, server: HTTPServer) -> None:
    def bar(o: str, c: str, v: str) -> dict[str, str]:
        return {"1. open": o, "2. high": c, "3. low": o, "4. close": c, "5. volume": v}

    months = {
        "2024-01": {
            "Meta Data": {"2. Symbol": "BRK-B", "6. Time Zone": "US/Eastern"},
            "Time Series (5min)": {
                "2024-01-31 19:55:00": bar("355.1", "355.2", "300"),
                "2024-01-30 09:30:00": bar("350.0", "351.0", "100"),
            },
        },
        "2024-02": {
            "Meta Data": {"2. Symbol": "BRK-B", "6. Time Zone": "US/Eastern"},
            "Time Series (5min)": {
                "2024-02-02 04:00:00": bar("360.0", "360.5", "50"),
                "2024-02-01 09:30:00": bar("356.0", "357.0", "700"),
            },
        },
    }
    seen: list[str] = []

    def handler(request: Request) -> Response:
        assert request.args["function"] == "TIME_SERIES_INTRADAY"
        assert request.args["interval"] == "5min"
        assert request.args["adjusted"] == "false"
        assert request.args["extended_hours"] == "true"
        assert request.args["symbol"] == "BRK-B"
        seen.append(request.args["month"])
        return Response(json.dumps(months[request.args["month"]]), content_type="application/json")

    server.expect_request(PATH).respond_with_handler(handler)
    pages, _ = hp.fetch(
        AlphaVantageHistorical,
        cfg(hp, server),
        "bars",
        "BRK.B",
        date(2024, 1, 31),
        date(2024, 2, 1),
        "5m",
        adjusted=False,
    )
    assert seen == ["2024-01", "2024-02"]
    # 19:55 New York on Jan 31 is 00:55Z on Feb 1; 09:30 on Feb 1 is 14:30Z; the rest is
    # outside 2024-01-31..2024-02-01 UTC.
    assert [[(b.ts_event, b.open, b.close, b.volume) for b in hp.no_recv(p)] for p in pages] == [
        [(1_706_748_900_000_000_000, 355.1, 355.2, 300)],
        [(1_706_797_800_000_000_000, 356.0, 357.0, 700)],
    ]
    assert {(b.symbol, b.interval, b.adjusted) for b in hp.flat(pages)} == {("BRK.B", "5m", False)}


def test_free_key_never_asks_for_premium_daily_data(hp: Any, server: HTTPServer) -> None:
    provider = AlphaVantageHistorical(cfg(hp, server))
    assert not provider.supports("bars", "1d", adjusted=True)
    assert provider.supports("bars", "1d", adjusted=False)
    assert provider.supports("bars", "1w", adjusted=True) and provider.supports("bars", "5m")
    with pytest.raises(NotInPlan) as info:
        daily(hp, server, adjusted=True, premium=False)
    assert str(info.value) == (
        "alphavantage: adjusted daily bars (TIME_SERIES_DAILY_ADJUSTED) are not included in a "
        "free plan; ask for raw bars (adjusted = false), or use a premium key (and set "
        "providers.alphavantage.premium = true) or another provider"
    )
    assert server.log == []


def test_compact_series_refuses_a_range_it_cannot_cover(hp: Any, server: HTTPServer) -> None:
    bar = {"1. open": "1", "2. high": "1", "3. low": "1", "4. close": "1", "5. volume": "1"}
    first = date(2024, 1, 2).toordinal()
    series = {date.fromordinal(first + i).isoformat(): bar for i in range(100)}
    server.expect_request(PATH).respond_with_json(
        {"Meta Data": {"5. Time Zone": "US/Eastern"}, "Time Series (Daily)": series}
    )
    with pytest.raises(NotInPlan) as info:
        daily(hp, server, adjusted=False)  # asks for 2020-08-28 onwards
    assert str(info.value) == (
        "alphavantage: a free key's daily series covers only the latest 100 sessions (from "
        "2024-01-02), not 2020-08-28; the whole history (outputsize=full) is not included in a "
        "free plan: use a premium key (and set providers.alphavantage.premium = true) or another "
        "provider"
    )


@pytest.mark.parametrize("notice", [PREMIUM_NOTICE, FULL_NOTICE])
def test_premium_notice_is_not_included_in_your_plan(
    hp: Any, server: HTTPServer, notice: dict[str, str]
) -> None:
    server.expect_request(PATH).respond_with_json(notice)
    with pytest.raises(NotInPlan) as info:
        daily(hp, server, adjusted=False, outputsize="full")
    message = str(info.value)
    assert message.startswith("alphavantage: not included in your plan: Thank you for using")
    assert message.endswith(
        "; use a premium key (and set providers.alphavantage.premium = true) or another provider"
    )
    assert "check ALPHAVANTAGE_API_KEY" not in message and not isinstance(
        info.value, CredentialsError
    )
    assert len(server.log) == 1


DIVIDENDS = {
    "symbol": "AAPL",
    "data": [
        {
            "ex_dividend_date": "2020-11-06",
            "declaration_date": "2020-10-29",
            "record_date": "2020-11-09",
            "payment_date": "2020-11-12",
            "amount": "0.205",
        },
        {
            "ex_dividend_date": "2020-08-07",
            "declaration_date": "None",
            "record_date": "None",
            "payment_date": "None",
            "amount": "0.82",
        },
    ],
}
SPLITS = {
    "symbol": "AAPL",
    "data": [
        {"effective_date": "2020-08-31", "split_factor": "4.0000"},
        {"effective_date": "2014-06-09", "split_factor": "7.0000"},
    ],
}


def test_dividends_and_splits_from_their_free_functions(hp: Any, server: HTTPServer) -> None:
    def by_function(request: Request) -> Response:
        body = DIVIDENDS if request.args["function"] == "DIVIDENDS" else SPLITS
        return Response(json.dumps(body), content_type="application/json")

    server.expect_request(PATH).respond_with_handler(by_function)
    pages, _ = hp.fetch(
        AlphaVantageHistorical,
        cfg(hp, server),
        "corporate_actions",
        "AAPL",
        date(2020, 8, 1),
        date(2020, 11, 6),
    )
    assert [(r.args["function"], r.args["symbol"], r.args["apikey"]) for r, _ in server.log] == [
        ("DIVIDENDS", "AAPL", KEY),
        ("SPLITS", "AAPL", KEY),
    ]
    common = {"symbol": "AAPL", "venue": "US", "provider": "alphavantage", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        CorporateAction(**common, ts_event=AUG28 - 21 * DAY, kind="dividend", amount=0.82),
        CorporateAction(**common, ts_event=AUG28 + 3 * DAY, kind="split", ratio=4.0),
        CorporateAction(
            **common,
            ts_event=AUG28 + 70 * DAY,
            kind="dividend",
            amount=0.205,
            pay_date="2020-11-12",
        ),
    ]


@pytest.mark.parametrize(
    ("body", "error", "text", "retry_after"),
    [
        (
            {
                "Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 "
                "calls per minute and 500 calls per day. Please visit "
                "https://www.alphavantage.co/premium/ if you would like to target a higher API "
                "call frequency."
            },
            RateLimited,
            "Note: Thank you",
            60.0,
        ),
        (
            {
                "Information": "Thank you for using Alpha Vantage! Our standard API rate limit is "
                "25 requests per day. Please subscribe to any of the premium plans at "
                "https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."
            },
            RateLimited,
            "25 requests per day",
            None,
        ),
        (PREMIUM_NOTICE, NotInPlan, "not included in your plan: .*premium endpoint", None),
        (
            {
                "Error Message": "Invalid API call. Please retry or visit the documentation "
                "(https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY_ADJUSTED."
            },
            NotFound,
            "Error Message: Invalid API call.*; check the symbol",
            None,
        ),
    ],
)
def test_notes_in_a_200_body_are_errors(
    hp: Any,
    server: HTTPServer,
    body: dict[str, str],
    error: type[ProviderError],
    text: str,
    retry_after: float | None,
) -> None:
    server.expect_request(PATH).respond_with_json(body)
    with pytest.raises(error, match=text) as info:
        daily(hp, server)
    assert type(info.value) is error
    if isinstance(info.value, RateLimited):
        assert info.value.retry_after == retry_after
    assert len(server.log) == 1


def test_auth_failure(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {
            "Error Message": "the parameter apikey is invalid or missing. Please claim your free "
            "API key on (https://www.alphavantage.co/support/#api-key)."
        }
    )
    with pytest.raises(
        CredentialsError, match=r"apikey is invalid or missing.*check ALPHAVANTAGE_API_KEY"
    ):
        daily(hp, server)


@pytest.mark.parametrize(
    "scenario", ["429", "429-retry-after", "503-retry-after-date", "500", "timeout"]
)
def test_transient_failure_then_success(hp: Any, server: HTTPServer, scenario: str) -> None:
    hp.fail_once(
        server,
        PATH,
        scenario,
        Response(json.dumps(DAILY_ADJUSTED), content_type="application/json"),
    )
    pages, provider = daily(hp, server)
    assert len(hp.flat(pages)) == 3
    assert provider.client.stats.retries == 1


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {"Meta Data": {"5. Time Zone": "US/Eastern"}, "Time Series (Daily)": {}}
    )
    assert daily(hp, server)[0] == [[]]


@pytest.mark.parametrize(
    "body",
    [
        '{"Meta Data": {}}',
        '{"Time Series (Daily)": {"2020-08-28": {"1. open": "abc"}}}',
        "<html>maintenance</html>",
        '{"Time Series (Daily)": {"28/08/2020": '
        '{"1. open": "1", "2. high": "1", "3. low": "1", "4. close": "1", "5. adjusted close": "1",'
        ' "6. volume": "1"}}}',
    ],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError, match="alphavantage: malformed time series") as info:
        daily(hp, server)
    assert KEY not in str(info.value) and "apikey=****" in str(info.value)


def test_intervals(hp: Any, server: HTTPServer) -> None:
    provider = AlphaVantageHistorical(cfg(hp, server))
    for good in ("1m", "5m", "15m", "30m", "1h", "1d", "1w", "1mo"):
        assert provider.supports("bars", good), good
    assert not provider.supports("bars", "2h") and not provider.supports("quotes")
    with pytest.raises(UnsupportedRequest, match="no 10m bars"):
        hp.fetch(
            AlphaVantageHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2024, 1, 2),
            date(2024, 1, 2),
            "10m",
        )
