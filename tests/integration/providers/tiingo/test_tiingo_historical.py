"""Tiingo REST history against a local server speaking the documented JSON."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.base import (
    CredentialsError,
    NotFound,
    ProviderError,
    RateLimited,
    UnsupportedRequest,
)
from mdc.providers.tiingo.historical import TiingoHistorical

TOKEN = "tiingo-test-token-0123456789abcdef"
DAY = 86_400_000_000_000
AUG28 = 1_598_572_800_000_000_000  # 2020-08-28T00:00:00Z
DAILY_PATH = "/tiingo/daily/AAPL/prices"

# Three sessions around AAPL's 4-for-1 split (ex-date 2020-08-31) and a dividend (2020-08-07
# style row moved here to exercise divCash), in Tiingo's end-of-day format.
DAILY_ROWS = [
    {
        "date": "2020-08-28T00:00:00.000Z",
        "close": 499.23,
        "high": 505.77,
        "low": 498.31,
        "open": 504.05,
        "volume": 46907479,
        "adjClose": 121.457,
        "adjHigh": 123.048,
        "adjLow": 121.233,
        "adjOpen": 122.628,
        "adjVolume": 187629916,
        "divCash": 0.0,
        "splitFactor": 1.0,
    },
    {
        "date": "2020-08-31T00:00:00.000Z",
        "close": 129.04,
        "high": 131.0,
        "low": 126.0,
        "open": 127.58,
        "volume": 225702700,
        "adjClose": 125.565,
        "adjHigh": 127.472,
        "adjLow": 122.607,
        "adjOpen": 124.143,
        "adjVolume": 225702700,
        "divCash": 0.0,
        "splitFactor": 4.0,
    },
    {
        "date": "2020-09-01T00:00:00.000Z",
        "close": 134.18,
        "high": 134.8,
        "low": 130.53,
        "open": 132.76,
        "volume": 151948100,
        "adjClose": 130.566,
        "adjHigh": 131.17,
        "adjLow": 127.015,
        "adjOpen": 129.185,
        "adjVolume": 151948100,
        "divCash": 0.205,
        "splitFactor": 1.0,
    },
]


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIINGO_API_KEY", TOKEN)


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for("tiingo", {"base_url": server.url_for("/"), **section})


def daily(hp: Any, server: HTTPServer, adjusted: bool = True, **section: Any) -> Any:
    return hp.fetch(
        TiingoHistorical,
        cfg(hp, server, **section),
        "bars",
        "AAPL",
        date(2020, 8, 28),
        date(2020, 9, 1),
        "1d",
        adjusted=adjusted,
    )


def test_daily_adjusted(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        DAILY_PATH,
        query_string={
            "startDate": "2020-08-28",
            "endDate": "2020-09-01",
            "resampleFreq": "daily",
            "format": "json",
        },
        headers={"Authorization": f"Token {TOKEN}"},
    ).respond_with_json(DAILY_ROWS)
    pages, _ = daily(hp, server)
    common = {"symbol": "AAPL", "venue": "US", "provider": "tiingo", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        Bar(
            **common,
            ts_event=AUG28,
            interval="1d",
            open=122.628,
            high=123.048,
            low=121.233,
            close=121.457,
            volume=187629916,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=AUG28 + 3 * DAY,
            interval="1d",
            open=124.143,
            high=127.472,
            low=122.607,
            close=125.565,
            volume=225702700,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=AUG28 + 4 * DAY,
            interval="1d",
            open=129.185,
            high=131.17,
            low=127.015,
            close=130.566,
            volume=151948100,
            adjusted=True,
        ),
    ]


def test_daily_raw(hp: Any, server: HTTPServer) -> None:
    server.expect_request(DAILY_PATH).respond_with_json(DAILY_ROWS)
    pages, _ = daily(hp, server, adjusted=False)
    bars = hp.no_recv(hp.flat(pages))
    assert [(b.open, b.high, b.low, b.close, b.volume, b.adjusted) for b in bars] == [
        (504.05, 505.77, 498.31, 499.23, 46907479, False),
        (127.58, 131.0, 126.0, 129.04, 225702700, False),
        (132.76, 134.8, 130.53, 134.18, 151948100, False),
    ]


def test_dividends_and_splits(hp: Any, server: HTTPServer) -> None:
    server.expect_request(DAILY_PATH).respond_with_json(DAILY_ROWS)
    pages, _ = hp.fetch(
        TiingoHistorical,
        cfg(hp, server),
        "corporate_actions",
        "AAPL",
        date(2020, 8, 28),
        date(2020, 9, 1),
    )
    common = {"symbol": "AAPL", "venue": "US", "provider": "tiingo", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        CorporateAction(**common, ts_event=AUG28 + 3 * DAY, kind="split", ratio=4.0),
        CorporateAction(**common, ts_event=AUG28 + 4 * DAY, kind="dividend", amount=0.205),
    ]


def test_iex_intraday_in_windows(hp: Any, server: HTTPServer) -> None:
    seen: list[tuple[str, str]] = []
    rows = {
        # Padded first window: 2024-01-01 .. 2024-01-02. A bar on the 1st is outside the range.
        "2024-01-01": [
            {"date": "2024-01-01T23:59:00.000Z", "open": 1, "high": 1, "low": 1, "close": 1},
            {
                "date": "2024-01-02T14:30:00.000Z",
                "open": 185.5,
                "high": 186.0,
                "low": 185.1,
                "close": 185.9,
                "volume": 1200,
            },
        ],
        # Second window 2024-01-03 .. 2024-01-04: the after-hours bar past midnight UTC of the
        # 3rd belongs to the 4th, outside the range.
        "2024-01-03": [
            {
                "date": "2024-01-03T20:59:00.000Z",
                "open": 184.0,
                "high": 184.3,
                "low": 183.9,
                "close": 184.25,
                "volume": 3400,
            },
            {"date": "2024-01-04T00:01:00.000Z", "open": 2, "high": 2, "low": 2, "close": 2},
        ],
    }

    def handler(request: Request) -> Response:
        assert request.args["resampleFreq"] == "1min"
        assert request.args["columns"] == "open,high,low,close,volume"
        seen.append((request.args["startDate"], request.args["endDate"]))
        return Response(
            json.dumps(rows[request.args["startDate"]]), content_type="application/json"
        )

    server.expect_request("/iex/BRK-B/prices").respond_with_handler(handler)
    pages, _ = hp.fetch(
        TiingoHistorical,
        cfg(hp, server, iex_window_days=2),
        "bars",
        "BRK.B",
        date(2024, 1, 2),
        date(2024, 1, 3),
        "1m",
        adjusted=False,
    )
    assert seen == [("2024-01-01", "2024-01-02"), ("2024-01-03", "2024-01-04")]
    common = {"symbol": "BRK.B", "venue": "IEX", "provider": "tiingo", "ts_recv": 0}
    assert [hp.no_recv(p) for p in pages] == [
        [
            Bar(
                **common,
                ts_event=1_704_205_800_000_000_000,
                interval="1m",
                open=185.5,
                high=186.0,
                low=185.1,
                close=185.9,
                volume=1200,
            )
        ],
        [
            Bar(
                **common,
                ts_event=1_704_315_540_000_000_000,
                interval="1m",
                open=184.0,
                high=184.3,
                low=183.9,
                close=184.25,
                volume=3400,
            )
        ],
    ]


def test_iex_bar_with_null_volume_is_kept(hp: Any, server: HTTPServer) -> None:
    """Without an IEX agreement (since 2025-02-01) IEX fields may be null: the bar stays."""
    row = {"date": "2024-01-02T14:30:00.000Z", "open": 185.5, "high": 186.0, "low": 185.1,
           "close": 185.9, "volume": None}  # fmt: skip
    server.expect_request("/iex/AAPL/prices").respond_with_json([row])
    pages, _ = hp.fetch(
        TiingoHistorical,
        cfg(hp, server),
        "bars",
        "AAPL",
        date(2024, 1, 2),
        date(2024, 1, 2),
        "1m",
        adjusted=False,
    )
    (bar,) = hp.flat(pages)
    assert (bar.ts_event, bar.close, bar.volume) == (1_704_205_800_000_000_000, 185.9, 0.0)


def test_intervals_and_adjustment(hp: Any, server: HTTPServer) -> None:
    provider = TiingoHistorical(cfg(hp, server))
    assert provider.supports("bars", "1d", adjusted=True)
    assert provider.supports("bars", "1mo", adjusted=False)
    assert provider.supports("bars", "5m", adjusted=False)
    assert not provider.supports("bars", "5m", adjusted=True)
    assert not provider.supports("bars", "2d")
    assert not provider.supports("trades") and provider.supports("corporate_actions")
    with pytest.raises(UnsupportedRequest, match="unadjusted only"):
        hp.fetch(
            TiingoHistorical,
            cfg(hp, server),
            "bars",
            "AAPL",
            date(2024, 1, 2),
            date(2024, 1, 2),
            "5m",
        )


@pytest.mark.parametrize(
    "scenario", ["429", "429-retry-after", "503-retry-after-date", "500", "timeout"]
)
def test_transient_failure_then_success(hp: Any, server: HTTPServer, scenario: str) -> None:
    ok = Response(json.dumps(DAILY_ROWS[:1]), content_type="application/json")
    hp.fail_once(server, DAILY_PATH, scenario, ok)
    pages, provider = daily(hp, server)
    assert [b.close for b in hp.flat(pages)] == [121.457]
    assert provider.client.stats.retries == 1


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request(DAILY_PATH).respond_with_json([])
    assert daily(hp, server)[0] == [[]]


@pytest.mark.parametrize(
    "body",
    [
        '[{"date": "2020-08-28T00:00:00.000Z", "close": "n/a"}]',
        "<html>oops</html>",
        '[{"date": "28/08/2020", "open": 1, "high": 1, "low": 1, "close": 1, "volume": 1}]',
    ],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(DAILY_PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError, match="tiingo: malformed daily prices"):
        daily(hp, server, adjusted=False)


def test_auth_failure(hp: Any, server: HTTPServer) -> None:
    server.expect_request(DAILY_PATH).respond_with_json({"detail": "Invalid token."}, status=401)
    with pytest.raises(CredentialsError, match=r"Invalid token\.; check TIINGO_API_KEY") as info:
        daily(hp, server)
    assert TOKEN not in str(info.value)


def test_unknown_ticker_and_quota_notes(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request(DAILY_PATH).respond_with_json(
        {"detail": "Error: Ticker 'AAPL' not found"}, status=404
    )
    server.expect_ordered_request(DAILY_PATH).respond_with_json(
        {"detail": "Error: You have run over your hourly request allocation."}
    )
    with pytest.raises(NotFound, match="Ticker 'AAPL' not found"):
        daily(hp, server)
    with pytest.raises(RateLimited, match="hourly request allocation"):
        daily(hp, server)
