"""Stooq CSV history against a local server answering like ``/q/d/l/``: CSV for a request that
carries the key, an HTML page (HTTP 200) for one that does not, as Stooq has since 2026."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar
from mdc.providers.base import CredentialsError, ProviderError, RateLimited, UnsupportedRequest
from mdc.providers.stooq.historical import StooqHistorical

PATH = "/q/d/l/"
JAN2 = 1_704_153_600_000_000_000
DAY = 86_400_000_000_000
CSV = (
    "Date,Open,High,Low,Close,Volume\r\n"
    "2024-01-02,187.15,188.44,183.885,185.64,82488674\r\n"
    "2024-01-03,184.22,185.88,183.43,184.25,58414460\r\n"
    "2024-01-04,182.15,183.0872,180.88,181.91,71983570\r\n"
)


KEY = "stq-SECRET-42"
KEY_PAGE = (
    "<!DOCTYPE html><html><head><title>Stooq - API key</title></head><body>"
    "<p>Get your apikey: https://stooq.com/q/d/?s=spy.us&amp;get_apikey</p></body></html>"
)


@pytest.fixture(autouse=True)
def stooq_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STOOQ_API_KEY", KEY)


def stand_in(server: HTTPServer, csv: str = CSV, param: str = "apikey") -> None:
    """Stooq as it answers today: the CSV only for the right key, else its key page."""

    def answer(request: Request) -> Response:
        if request.args.get(param) != KEY:
            return Response(KEY_PAGE, content_type="text/html; charset=utf-8")
        return Response(csv, content_type="text/csv")

    server.expect_request(PATH).respond_with_handler(answer)


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for("stooq", {"base_url": server.url_for("/"), **section})


def fetch(
    hp: Any, server: HTTPServer, symbol: str = "AAPL", section: Any = None, **kwargs: Any
) -> Any:
    return hp.fetch(
        StooqHistorical,
        cfg(hp, server, **(section or {})),
        "bars",
        symbol,
        date(2024, 1, 2),
        date(2024, 1, 4),
        kwargs.pop("interval", "1d"),
        **kwargs,
    )


def test_daily_csv(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        PATH,
        query_string={"s": "brk-b.us", "d1": "20240102", "d2": "20240104", "i": "d", "apikey": KEY},
    ).respond_with_data(CSV, content_type="text/csv")
    pages, _ = fetch(hp, server, "BRK.B")
    common = {"symbol": "BRK.B", "venue": "US", "provider": "stooq", "ts_recv": 0}
    assert hp.no_recv(hp.flat(pages)) == [
        Bar(
            **common,
            ts_event=JAN2,
            interval="1d",
            open=187.15,
            high=188.44,
            low=183.885,
            close=185.64,
            volume=82488674,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=JAN2 + DAY,
            interval="1d",
            open=184.22,
            high=185.88,
            low=183.43,
            close=184.25,
            volume=58414460,
            adjusted=True,
        ),
        Bar(
            **common,
            ts_event=JAN2 + 2 * DAY,
            interval="1d",
            open=182.15,
            high=183.0872,
            low=180.88,
            close=181.91,
            volume=71983570,
            adjusted=True,
        ),
    ]


def test_api_key_is_sent_and_never_shown(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_data("Bad request", status=400)
    with pytest.raises(ProviderError) as info:
        fetch(hp, server)
    assert server.log[0][0].args["apikey"] == KEY
    assert KEY not in str(info.value) and "apikey=****" in str(info.value)


def test_without_a_key_nothing_is_sent_and_the_message_names_the_variable(
    hp: Any, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("STOOQ_API_KEY")
    stand_in(server)
    with pytest.raises(CredentialsError) as info:
        fetch(hp, server)
    assert str(info.value) == (
        "stooq: credentials missing; set the environment variable STOOQ_API_KEY "
        "(or store it in the OS keyring: mdc credentials set NAME)"
    )
    assert server.log == []


def test_key_page_instead_of_csv_names_the_fix(
    hp: Any, server: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STOOQ_API_KEY", "not-the-key")
    stand_in(server)
    with pytest.raises(CredentialsError) as info:
        fetch(hp, server)
    message = str(info.value)
    assert message == (
        "stooq: Stooq returned a web page, not CSV (page title 'Stooq - API key'): set "
        "STOOQ_API_KEY to a valid key from https://stooq.com/q/d/?s=spy.us&get_apikey (sent as "
        "the 'apikey' query parameter, providers.stooq.api_key_param)"
    )
    assert "not-the-key" not in message and "CSV header" not in message
    assert len(server.log) == 1  # a web page is not retried


def test_key_parameter_name_is_configurable(hp: Any, server: HTTPServer) -> None:
    stand_in(server, param="key")
    pages, _ = fetch(hp, server, section={"api_key_param": "key"})
    assert len(hp.flat(pages)) == 3
    assert server.log[0][0].args["key"] == KEY and "apikey" not in server.log[0][0].args


@pytest.mark.parametrize(
    "page",
    [
        "<html><body>Sorry</body></html>",
        "\n  <!doctype html><html><head><TITLE> Just a\n moment </TITLE></head></html>",
        "<script>location.href='/q/d/'</script>",
    ],
)
def test_any_html_body_is_a_web_page(hp: Any, server: HTTPServer, page: str) -> None:
    server.expect_request(PATH).respond_with_data(page, content_type="text/html")
    with pytest.raises(CredentialsError, match=r"^stooq: Stooq returned a web page, not CSV"):
        fetch(hp, server)


def test_index_without_volume_and_weekly(hp: Any, server: HTTPServer) -> None:
    server.expect_request(
        PATH,
        query_string={"s": "^spx", "d1": "20240102", "d2": "20240104", "i": "w", "apikey": KEY},
    ).respond_with_data("Date,Open,High,Low,Close\n2024-01-05,4745.2,4754.33,4682.11,4697.24\n")
    pages, _ = hp.fetch(
        StooqHistorical,
        cfg(hp, server, symbol_map={"^SPX": "^spx"}),
        "bars",
        "^SPX",
        date(2024, 1, 2),
        date(2024, 1, 4),
        "1w",
    )
    # The weekly row is dated by Stooq after the requested range, so it is clipped away.
    assert pages == [[]]


def test_empty_range(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_data("No data")
    assert fetch(hp, server)[0] == [[]]


@pytest.mark.parametrize(
    "body", ["Exceeded the daily hits limit", "<html><body>Exceeded the daily hits limit</body>"]
)
def test_daily_quota_note_is_rate_limited(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body)
    with pytest.raises(RateLimited) as info:
        fetch(hp, server)
    assert str(info.value) == "stooq: Exceeded the daily hits limit"
    assert info.value.retry_after is None


@pytest.mark.parametrize(
    "body",
    [
        "Ticker,Open,High,Low,Close,Volume\nAAPL,1,1,1,1,1\n",
        "Date,Open,High,Low,Close,Volume\n2024-01-02,187.15,188.44\n",
        "Date,Open,High,Low,Close,Volume\n2024-01-02,abc,188.44,183.885,185.64,1\n",
        "Date,Open,High,Low,Close,Volume\n02/01/2024,1,1,1,1,1\n",
    ],
)
def test_malformed_csv(hp: Any, server: HTTPServer, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body)
    with pytest.raises(ProviderError, match="stooq: malformed CSV"):
        fetch(hp, server)


@pytest.mark.parametrize(
    "scenario", ["429", "429-retry-after", "503-retry-after-date", "500", "timeout"]
)
def test_transient_failure_then_success(hp: Any, server: HTTPServer, scenario: str) -> None:
    hp.fail_once(server, PATH, scenario, Response(CSV, content_type="text/csv"))
    pages, provider = fetch(hp, server)
    assert len(hp.flat(pages)) == 3
    assert provider.client.stats.retries == 1


def test_only_adjusted_daily_and_longer(hp: Any, server: HTTPServer) -> None:
    provider = StooqHistorical(cfg(hp, server))
    assert provider.supports("bars", "1d") and provider.supports("bars", "1y")
    assert not provider.supports("bars", "1h")
    assert not provider.supports("bars", "1d", adjusted=False)
    assert not provider.supports("trades")
    with pytest.raises(UnsupportedRequest, match="no 1h bars"):
        fetch(hp, server, interval="1h")
    with pytest.raises(UnsupportedRequest, match="raw bars are not served"):
        fetch(hp, server, adjusted=False)


def test_auth_failure_points_at_the_key(hp: Any, server: HTTPServer) -> None:
    server.expect_request(PATH).respond_with_data("Access denied", status=403)
    with pytest.raises(CredentialsError, match=r"Access denied; check STOOQ_API_KEY$"):
        fetch(hp, server)
