"""Yahoo chart API history against a local server that speaks Yahoo's handshake (session cookie
from the cookie URL, crumb from ``/v1/test/getcrumb``, ``crumb`` on every chart request, 401 for a
stale crumb, 429 for a client it blocks) and answers in the chart JSON shape."""

from __future__ import annotations

import asyncio
import json
import socket
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.base import CredentialsError, NotFound, ProviderError, UnsupportedRequest
from mdc.providers.yahoo.historical import YahooHistorical
from mdc.providers.yahoo.session import Blocked

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


COOKIE = "A3=d=AQABBKx7ZWcCE; Path=/; HttpOnly"
CRUMB = "Xq1bC0okI9a"
INVALID_CRUMB = {
    "finance": {"result": None, "error": {"code": "Unauthorized", "description": "Invalid Crumb"}}
}


@dataclass
class Handshake:
    """Yahoo's side of the handshake: which crumb is valid, and what was asked."""

    crumb: str = CRUMB
    cookies: int = 0
    crumbs: int = 0
    paths: list[str] = field(default_factory=list)

    def valid(self, request: Request) -> bool:
        return "A3" in request.cookies and request.args.get("crumb") == self.crumb


@pytest.fixture
def yahoo(server: HTTPServer) -> Handshake:
    """Cookie and crumb endpoints: a crumb only for a client holding the cookie."""
    state = Handshake()

    def cookie(request: Request) -> Response:
        state.cookies += 1
        state.paths.append(request.path)
        # fc.yahoo.com answers 404 with the cookie; the status carries no meaning.
        return Response("Not Found", status=404, headers={"Set-Cookie": COOKIE})

    def crumb(request: Request) -> Response:
        state.crumbs += 1
        state.paths.append(request.path)
        if "A3" not in request.cookies:
            return Response("", status=401)
        return Response(state.crumb, content_type="text/plain")

    server.expect_request("/fc").respond_with_handler(cookie)
    server.expect_request("/v1/test/getcrumb").respond_with_handler(crumb)
    return state


def cfg(hp: Any, server: HTTPServer, **section: Any) -> Any:
    return hp.config_for(
        "yahoo",
        {
            "base_url": server.url_for("/"),
            "cookie_url": server.url_for("/fc"),
            "browser_tls": "off",
            **section,
        },
    )


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


def test_daily_bars_are_fully_adjusted_and_dated_by_session(
    hp: Any, server: HTTPServer, yahoo: Handshake
) -> None:
    server.expect_request(
        PATH,
        query_string={
            "period1": "1598572800",
            "period2": "1599004800",
            "interval": "1d",
            "includeAdjustedClose": "true",
            "includePrePost": "true",
            "crumb": CRUMB,
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


def test_dividends_and_splits(hp: Any, server: HTTPServer, yahoo: Handshake) -> None:
    server.expect_request(PATH).respond_with_json(DAILY)
    pages, _ = hp.fetch(
        YahooHistorical,
        cfg(hp, server),
        "corporate_actions",
        "AAPL",
        date(2020, 8, 1),
        date(2020, 9, 1),
    )
    assert [r.args["events"] for r, _ in server.log if r.path == PATH] == ["div|split"]
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


def test_intraday_windows_skip_null_rows(hp: Any, server: HTTPServer, yahoo: Handshake) -> None:
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
    ("status", "headers"),
    [(500, {}), (503, {"Retry-After": "0"}), (502, {})],
)
def test_server_errors_are_retried(
    hp: Any, server: HTTPServer, yahoo: Handshake, status: int, headers: dict[str, str]
) -> None:
    answers = [Response("busy", status=status, headers=headers)]

    def chart_once_failing(request: Request) -> Response:
        if answers:
            return answers.pop()
        return Response(json.dumps(DAILY), content_type="application/json")

    server.expect_request(PATH).respond_with_handler(chart_once_failing)
    pages, provider = daily(hp, server)
    assert len(hp.flat(pages)) == 3
    assert provider.client.stats.retries == 1
    assert (yahoo.cookies, yahoo.crumbs) == (1, 1)


def test_empty_range(hp: Any, server: HTTPServer, yahoo: Handshake) -> None:
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
def test_malformed_body(hp: Any, server: HTTPServer, yahoo: Handshake, body: str) -> None:
    server.expect_request(PATH).respond_with_data(body, content_type="application/json")
    with pytest.raises(ProviderError, match="yahoo: malformed chart"):
        daily(hp, server)


def test_unknown_symbol(hp: Any, server: HTTPServer, yahoo: Handshake) -> None:
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


def test_handshake_then_one_refetch_on_a_stale_crumb(
    hp: Any, server: HTTPServer, yahoo: Handshake
) -> None:
    """Cookie, crumb, chart; the crumb expires; the 401 brings one new handshake and a retry."""
    charts: list[int] = []

    def chart_endpoint(request: Request) -> Response:
        ok = yahoo.valid(request)
        charts.append(200 if ok else 401)
        yahoo.paths.append(request.path)
        if not ok:
            return Response(json.dumps(INVALID_CRUMB), status=401, content_type="application/json")
        if len(charts) == 1:
            yahoo.crumb = "Zr2cD1plJ0b"  # Yahoo rotates the crumb after the first answer
        return Response(json.dumps(DAILY), content_type="application/json")

    server.expect_request("/v8/finance/chart/AAPL").respond_with_handler(chart_endpoint)

    async def two_requests() -> tuple[list[Any], YahooHistorical]:
        provider = YahooHistorical(cfg(hp, server))
        try:
            pages = [
                p async for p in provider.bars("AAPL", date(2020, 8, 28), date(2020, 9, 1), "1d")
            ]
            pages += [
                p
                async for p in provider.corporate_actions(
                    "AAPL", date(2020, 8, 1), date(2020, 9, 1)
                )
            ]
        finally:
            await provider.aclose()
        return pages, provider

    pages, provider = asyncio.run(two_requests())
    assert charts == [200, 401, 200]
    assert yahoo.paths == [
        "/fc",
        "/v1/test/getcrumb",
        PATH,
        PATH,
        "/fc",
        "/v1/test/getcrumb",
        PATH,
    ]
    assert [len(p) for p in pages] == [3, 2]
    assert isinstance(provider, YahooHistorical) and provider.session.handshakes == 2
    assert provider.client.stats.retries == 0  # a stale crumb is not a transient failure


def test_a_fresh_crumb_refused_too_is_a_block(
    hp: Any, server: HTTPServer, yahoo: Handshake
) -> None:
    server.expect_request(PATH).respond_with_json(INVALID_CRUMB, status=401)
    with pytest.raises(Blocked) as info:
        daily(hp, server)
    assert str(info.value) == (
        "yahoo: Yahoo blocked this client (a fresh cookie and crumb were refused too, HTTP 401); "
        "install mdc[yahoo] (curl_cffi, browser TLS) or use another provider"
    )
    assert isinstance(info.value, CredentialsError)  # a failover chain moves on
    assert (yahoo.cookies, yahoo.crumbs) == (2, 2)
    assert [r.path for r, _ in server.log].count(PATH) == 2


@pytest.mark.parametrize("status", [429, 403])
def test_429_on_the_chart_is_a_block_not_a_rate_limit(
    hp: Any, server: HTTPServer, yahoo: Handshake, status: int
) -> None:
    server.expect_request(PATH).respond_with_data("Too Many Requests", status=status)
    with pytest.raises(Blocked) as info:
        daily(hp, server)
    assert str(info.value) == (
        f"yahoo: Yahoo blocked this client (HTTP {status}: Too Many Requests); install "
        "mdc[yahoo] (curl_cffi, browser TLS) or use another provider"
    )
    assert [r.path for r, _ in server.log].count(PATH) == 1  # not retried


def test_429_on_the_crumb_is_a_block(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/fc").respond_with_data("", headers={"Set-Cookie": COOKIE})
    server.expect_request("/v1/test/getcrumb").respond_with_data("Too Many Requests", status=429)
    with pytest.raises(Blocked, match=r"^yahoo: Yahoo blocked this client \(HTTP 429 on the crumb"):
        daily(hp, server)
    assert [r.path for r, _ in server.log] == ["/fc", "/v1/test/getcrumb"]


def test_no_crumb_without_the_cookie_is_a_block(hp: Any, server: HTTPServer) -> None:
    server.expect_request("/fc").respond_with_data("Not Found", status=404)  # sets no cookie
    server.expect_request("/v1/test/getcrumb").respond_with_data(
        "<html><body>Unauthorized</body></html>", status=401, content_type="text/html"
    )
    with pytest.raises(Blocked) as info:
        daily(hp, server)
    assert str(info.value).startswith(
        "yahoo: Yahoo blocked this client (no crumb from /v1/test/getcrumb: HTTP 401 "
    )


CONSENT_PAGE = """<!DOCTYPE html><html><head>
<title>Yahoo is part of the Yahoo family of brands</title></head><body>
<form method="post" action="/v2/collectConsent?sessionId=3_cc-session_7f2a">
<input type="hidden" name="csrfToken" value="Xr4tQ9">
<input type="hidden" name="sessionId" value="3_cc-session_7f2a">
<input type="hidden" name="originalDoneUrl" value="https://finance.yahoo.com/?guccounter=1">
<input type="hidden" name="namespace" value="yahoo">
<button type="submit" class="reject-all" name="reject" value="reject">Reject all</button>
<button type="submit" class="accept-all" name="agree" value="agree">Accept all</button>
</form></body></html>"""


def test_consent_form_is_accepted_on_the_way_to_the_cookie(hp: Any, server: HTTPServer) -> None:
    posted: list[dict[str, str]] = []

    def consent(request: Request) -> Response:
        return Response(CONSENT_PAGE, content_type="text/html; charset=utf-8")

    def collect(request: Request) -> Response:
        posted.append(dict(request.form))
        assert request.headers["Referer"].endswith("/consent?brandType=nonEu")
        return Response("", status=302, headers={"Location": "/done", "Set-Cookie": COOKIE})

    def crumb(request: Request) -> Response:
        return Response(CRUMB if "A3" in request.cookies else "", status=200)

    def chart_endpoint(request: Request) -> Response:
        assert "A3" in request.cookies and request.args["crumb"] == CRUMB
        return Response(json.dumps(DAILY), content_type="application/json")

    server.expect_request("/fc").respond_with_data(
        "", status=302, headers={"Location": "/consent?brandType=nonEu"}
    )
    server.expect_request("/consent").respond_with_handler(consent)
    server.expect_request("/v2/collectConsent", method="POST").respond_with_handler(collect)
    server.expect_request("/done").respond_with_data("ok")
    server.expect_request("/v1/test/getcrumb").respond_with_handler(crumb)
    server.expect_request(PATH).respond_with_handler(chart_endpoint)
    pages, _ = daily(hp, server)
    assert len(hp.flat(pages)) == 3
    assert posted == [
        {
            "csrfToken": "Xr4tQ9",
            "sessionId": "3_cc-session_7f2a",
            "originalDoneUrl": "https://finance.yahoo.com/?guccounter=1",
            "namespace": "yahoo",
            "agree": "agree",
        }
    ]
    assert [r.path for r, _ in server.log] == [
        "/fc",
        "/consent",
        "/v2/collectConsent",
        "/done",
        "/v1/test/getcrumb",
        PATH,
    ]


def test_browser_tls_through_curl_cffi(hp: Any, server: HTTPServer, yahoo: Handshake) -> None:
    """The same handshake and chart through curl_cffi: the server sees a browser's headers."""
    agents: list[str] = []

    def chart_endpoint(request: Request) -> Response:
        agents.append(request.headers.get("User-Agent", ""))
        assert yahoo.valid(request)
        return Response(json.dumps(DAILY), content_type="application/json")

    server.expect_request(PATH).respond_with_handler(chart_endpoint)
    pages, _ = daily(hp, server, browser_tls="on")
    assert len(hp.flat(pages)) == 3
    assert (yahoo.cookies, yahoo.crumbs) == (1, 1)
    assert "Chrome/" in agents[0] and "mdc" not in agents[0]


def test_blocked_even_with_browser_tls_says_so(
    hp: Any, server: HTTPServer, yahoo: Handshake
) -> None:
    server.expect_request(PATH).respond_with_data("Too Many Requests", status=429)
    with pytest.raises(Blocked) as info:
        daily(hp, server, browser_tls="on")
    assert str(info.value).endswith(
        "it already uses browser TLS (curl_cffi); try again later or from another network, or "
        "use another provider"
    )


def test_unreachable_cookie_host_names_the_fix(hp: Any, server: HTTPServer) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ProviderError) as info:
        daily(hp, server, cookie_url=f"http://127.0.0.1:{port}/")
    message = str(info.value)
    assert message.startswith(f"yahoo: cannot reach http://127.0.0.1:{port} (ConnectError")
    assert message.endswith(
        "check the network, proxy or firewall, or point providers.yahoo at a reachable host"
    )
