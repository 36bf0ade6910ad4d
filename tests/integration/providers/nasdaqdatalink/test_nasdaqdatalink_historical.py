"""Nasdaq Data Link (Tables and time-series APIs) against a local server in the documented JSON."""

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
    NotInPlan,
    ProviderError,
    UnsupportedRequest,
)
from mdc.providers.nasdaqdatalink.historical import NasdaqDataLinkHistorical

KEY = "ndl-SECRET-0123"
PATH = "/datatables/QUOTEMEDIA/PRICES.json"
AUG28 = 1_598_572_800_000_000_000
DAY = 86_400_000_000_000
COLUMNS = [
    {"name": "ticker", "type": "String"},
    {"name": "date", "type": "Date"},
    {"name": "open", "type": "BigDecimal(34,12)"},
    {"name": "high", "type": "BigDecimal(34,12)"},
    {"name": "low", "type": "BigDecimal(34,12)"},
    {"name": "close", "type": "BigDecimal(34,12)"},
    {"name": "volume", "type": "BigDecimal(37,15)"},
    {"name": "dividend", "type": "BigDecimal(34,12)"},
    {"name": "split", "type": "double"},
    {"name": "adj_open", "type": "BigDecimal(34,12)"},
    {"name": "adj_high", "type": "BigDecimal(34,12)"},
    {"name": "adj_low", "type": "BigDecimal(34,12)"},
    {"name": "adj_close", "type": "BigDecimal(34,12)"},
    {"name": "adj_volume", "type": "double"},
]
ROWS = {
    # Unsorted across and within pages, as the Tables API allows.
    None: [
        ["AAPL", "2020-09-01", 132.76, 134.8, 130.53, 134.18, 151948100.0, 0.205, 1.0,
         129.185, 131.17, 127.015, 130.566, 151948100.0],
    ],
    "c1": [
        ["AAPL", "2020-08-31", 127.58, 131.0, 126.0, 129.04, 225702700.0, 0.0, 4.0,
         124.143, 127.472, 122.607, 125.565, 225702700.0],
    ],
    "c2": [
        ["AAPL", "2020-08-28", 504.05, 505.77, 498.31, 499.23, 46907479.0, 0.0, 1.0,
         122.628, 123.048, 121.233, 121.457, 187629916.0],
    ],
}  # fmt: skip
NEXT = {None: "c1", "c1": "c2", "c2": None}


@pytest.fixture(autouse=True)
def _key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NASDAQ_DATA_LINK_API_KEY", KEY)


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for("nasdaqdatalink", {"base_url": server.url_for("/"), **section})


def paged(seen: list[dict[str, str]]) -> Any:
    def handler(request: Request) -> Response:
        seen.append(dict(request.args))
        cursor = request.args.get("qopts.cursor_id")
        body = {
            "datatable": {"data": ROWS[cursor], "columns": COLUMNS},
            "meta": {"next_cursor_id": NEXT[cursor]},
        }
        return Response(json.dumps(body), content_type="application/json")

    return handler


def fetch(hp: Any, server: HTTPServer, method: str = "bars", **kwargs: Any) -> Any:
    args: tuple[Any, ...] = ("AAPL", date(2020, 8, 28), date(2020, 9, 1))
    if method == "bars":
        args += (kwargs.pop("interval", "1d"),)
    return hp.fetch(
        NasdaqDataLinkHistorical,
        cfg(hp, server, **kwargs.pop("section", {})),
        method,
        *args,
        **kwargs,
    )


def test_datatable_cursor_pages_sorted_and_adjusted(hp: Any, server: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    server.expect_request(PATH).respond_with_handler(paged(seen))
    pages, _ = fetch(hp, server)
    base = {
        "ticker": "AAPL",
        "date.gte": "2020-08-28",
        "date.lte": "2020-09-01",
        "qopts.per_page": "10000",
    }
    assert seen == [base, {**base, "qopts.cursor_id": "c1"}, {**base, "qopts.cursor_id": "c2"}]
    common = {"symbol": "AAPL", "venue": "US", "provider": "nasdaqdatalink", "ts_recv": 0}
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


def test_raw_bars_and_corporate_actions(hp: Any, server: HTTPServer) -> None:
    seen: list[dict[str, str]] = []
    server.expect_request(PATH).respond_with_handler(paged(seen))
    pages, _ = fetch(hp, server, adjusted=False)
    assert [(b.open, b.close, b.volume, b.adjusted) for b in hp.flat(pages)] == [
        (504.05, 499.23, 46907479, False),
        (127.58, 129.04, 225702700, False),
        (132.76, 134.18, 151948100, False),
    ]
    actions, _ = fetch(hp, server, "corporate_actions")
    common = {"symbol": "AAPL", "venue": "US", "provider": "nasdaqdatalink", "ts_recv": 0}
    assert hp.no_recv(hp.flat(actions)) == [
        CorporateAction(**common, ts_event=AUG28 + 3 * DAY, kind="split", ratio=4.0),
        CorporateAction(**common, ts_event=AUG28 + 4 * DAY, kind="dividend", amount=0.205),
    ]


def test_time_series_dataset(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        "/datasets/WIKI/BRK.B/data.json",
        query_string={
            "start_date": "2018-03-26",
            "end_date": "2018-03-27",
            "order": "asc",
        },
        headers={"X-Api-Token": KEY},
    ).respond_with_json(
        {
            "dataset_data": {
                "limit": None,
                "transform": None,
                "column_index": None,
                "column_names": [
                    "Date", "Open", "High", "Low", "Close", "Volume", "Ex-Dividend",
                    "Split Ratio", "Adj. Open", "Adj. High", "Adj. Low", "Adj. Close",
                    "Adj. Volume",
                ],
                "start_date": "2018-03-26",
                "end_date": "2018-03-27",
                "frequency": "daily",
                "data": [
                    ["2018-03-26", 199.0, 203.4, 197.5, 203.1, 4821521.0, 0.0, 1.0,
                     199.0, 203.4, 197.5, 203.1, 4821521.0],
                    ["2018-03-27", 203.5, 204.95, 198.03, 199.29, 4407426.0, 0.0, 1.0,
                     203.5, 204.95, 198.03, 199.29, 4407426.0],
                ],
                "collapse": None,
                "order": "asc",
            }
        }
    )  # fmt: skip
    pages, _ = hp.fetch(
        NasdaqDataLinkHistorical,
        cfg(hp, server, dataset="WIKI/{symbol}"),
        "bars",
        "BRK.B",
        date(2018, 3, 26),
        date(2018, 3, 27),
        "1d",
    )
    bars = hp.no_recv(hp.flat(pages))
    assert [(b.ts_event, b.open, b.high, b.low, b.close, b.volume) for b in bars] == [
        (1_522_022_400_000_000_000, 199.0, 203.4, 197.5, 203.1, 4821521),
        (1_522_108_800_000_000_000, 203.5, 204.95, 198.03, 199.29, 4407426),
    ]
    assert {(b.symbol, b.provider, b.adjusted) for b in bars} == {("BRK.B", "nasdaqdatalink", True)}


def test_missing_adjusted_columns_is_unsupported(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {
            "datatable": {
                "data": [["AAPL", "2020-08-28", 1, 2, 0.5, 1.5, 10]],
                "columns": COLUMNS[:7],
            },
            "meta": {"next_cursor_id": None},
        }
    )
    with pytest.raises(UnsupportedRequest, match="no 'adj_open' column for adj_open"):
        fetch(hp, server)
    pages, _ = fetch(hp, server, adjusted=False)
    assert [b.close for b in hp.flat(pages)] == [1.5]


def test_only_daily(hp: Any, server: HTTPServer) -> None:
    provider = NasdaqDataLinkHistorical(cfg(hp, server))
    assert provider.supports("bars", "1d") and not provider.supports("bars", "1h")
    with pytest.raises(UnsupportedRequest, match="daily bars only"):
        fetch(hp, server, interval="1w")


@pytest.mark.parametrize(
    "scenario", ["429", "429-retry-after", "503-retry-after-date", "500", "timeout"]
)
def test_transient_failure_then_success(hp: Any, server: HTTPServer, scenario: str) -> None:
    body = {"datatable": {"data": ROWS["c2"], "columns": COLUMNS}, "meta": {"next_cursor_id": None}}
    hp.fail_once(
        server, PATH, scenario, Response(json.dumps(body), content_type="application/json")
    )
    pages, provider = fetch(hp, server)
    assert [b.close for b in hp.flat(pages)] == [121.457]
    assert provider.client.stats.retries == 1


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_json(
        {"datatable": {"data": [], "columns": COLUMNS}, "meta": {"next_cursor_id": None}}
    )
    assert fetch(hp, server)[0] == [[]]


@pytest.mark.parametrize(
    "body",
    [
        '{"datatable": {"data": [["AAPL"]], "columns": []}}',
        '{"datatable": {"data": "none", "columns": []}, "meta": {}}',
        "<!DOCTYPE html>",
    ],
)
def test_malformed_body(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError) as info:
        fetch(hp, server, adjusted=False)
    assert "nasdaqdatalink" in str(info.value)
    assert KEY not in str(info.value)


def test_bad_cell_is_malformed(hp: Any, server: HTTPServer) -> None:
    row = ["AAPL", "2020-08-28", "n/a", 2, 0.5, 1.5, 10, 0, 1, 1, 2, 0.5, 1.5, 10]
    server.expect_request(PATH).respond_with_json(
        {"datatable": {"data": [row], "columns": COLUMNS}, "meta": {"next_cursor_id": None}}
    )
    with pytest.raises(ProviderError, match=r"nasdaqdatalink: malformed table .*n/a"):
        fetch(hp, server, adjusted=False)


def test_auth_and_not_found_codes(hp: Any, server: HTTPServer) -> None:
    server.expect_ordered_request(PATH).respond_with_json(
        {
            "quandl_error": {
                "code": "QEAx01",
                "message": "We could not recognize your API key. Please check your API key.",
            }
        },
        status=400,
    )
    server.expect_ordered_request(PATH).respond_with_json(
        {
            "quandl_error": {
                "code": "QECx02",
                "message": "You have submitted an incorrect Quandl code.",
            }
        },
        status=404,
    )
    with pytest.raises(CredentialsError, match=r"QEAx01: .*check NASDAQ_DATA_LINK_API_KEY"):
        fetch(hp, server)
    with pytest.raises(NotFound, match="incorrect Quandl code") as info:
        fetch(hp, server)
    assert KEY not in str(info.value)
    assert all(r.headers["X-Api-Token"] == KEY and "api_key" not in r.args for r, _ in server.log)


def test_table_without_a_subscription_is_not_included_in_your_plan(
    hp: Any, server: HTTPServer
) -> None:
    server.expect_request(PATH).respond_with_json(
        {
            "quandl_error": {
                "code": "QEPx04",
                "message": "You do not have permission to view this dataset. Please subscribe "
                "to this database to get access.",
            }
        },
        status=403,
    )
    with pytest.raises(NotInPlan) as info:
        fetch(hp, server)
    assert str(info.value) == (
        "nasdaqdatalink: QEPx04: You do not have permission to view this dataset. Please "
        "subscribe to this database to get access.; QUOTEMEDIA/PRICES is not included in your "
        "plan: subscribe to it on data.nasdaq.com, or set providers.nasdaqdatalink.datatable (or "
        "dataset) to data your key may read"
    )
    assert len(server.log) == 1
