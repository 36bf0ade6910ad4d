"""Each symbol search provider against a local server speaking its documented format, and the
registry merging what they list into one instrument per FIGI.

Polygon's ticker pages are the real responses in ../shared/fixtures/polygon/v3/reference/
(two pages joined by ``next_url``). Alpaca, Finnhub and OpenFIGI bodies follow their docs
(cited in each provider's ``search.py``).
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from mdc.config.schema import Config
from mdc.instruments.refresh import map_symbols, refresh
from mdc.instruments.registry import Registry
from mdc.providers.alpaca.search import AlpacaSearch
from mdc.providers.base import CredentialsError, SymbolSearchProvider
from mdc.providers.finnhub.search import FinnhubSearch
from mdc.providers.openfigi.search import OpenFigiSearch
from mdc.providers.polygon.search import PolygonSearch

TICKERS = "polygon/v3/reference/tickers.json"
CURSOR_PAGE = (
    "polygon/v3/reference/tickers&cursor=YWN0aXZlPXRydWUmZGF0ZT0yMDIyLTA0LTI3JmxpbWl0PTImb3Jk"
    "ZXI9YXNjJnBhZ2VfbWFya2VyPUFBJTdDZjEyMmJjYmY4YWQwNzRmZmJlMTZmNjkxOWQ0ZDc3NjZlMzA3MWNmNmU1"
    "Nzg3OGE0OGU1NjQ1YzQyM2U3NzJhOSZzb3J0PXRpY2tlcg.json"
)
DAY = date(2026, 12, 3)
AAPL_FIGI = "BBG000B9XRY4"
BRKB_FIGI = "BBG000DWG505"
ALPACA_ASSETS = [
    {
        "id": "b0b6dd9d-8b9b-48a9-ba46-b9d54906e415",
        "class": "us_equity",
        "exchange": "NASDAQ",
        "symbol": "AAPL",
        "name": "Apple Inc. Common Stock",
        "status": "active",
        "tradable": True,
        "marginable": True,
        "shortable": True,
        "easy_to_borrow": True,
        "fractionable": True,
        "price_increment": "0.01",
        "min_trade_increment": "1",
    },
    {
        "id": "e2f0d7c8-1a0b-4a1e-9f0e-2c3d4e5f6a7b",
        "class": "us_equity",
        "exchange": "NYSE",
        "symbol": "BRK.B",
        "name": "Berkshire Hathaway Inc. Class B",
        "status": "active",
        "tradable": True,
        "marginable": True,
        "shortable": True,
        "easy_to_borrow": True,
        "fractionable": True,
    },
    {
        "id": "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b",
        "class": "us_equity",
        "exchange": "OTC",
        "symbol": "OLDCO",
        "name": "Old Co",
        "status": "active",
        "tradable": False,
    },
]
ALPACA_CRYPTO = [
    {
        "id": "276e2673-764b-4ab6-a611-caf665ca6340",
        "class": "crypto",
        "exchange": "CRYPTO",
        "symbol": "BTC/USD",
        "name": "Bitcoin  / US Dollar",
        "status": "active",
        "tradable": True,
        "min_order_size": "0.0001",
        "min_trade_increment": "0.000000001",
        "price_increment": "1",
    },
]
FINNHUB_US = [
    {
        "currency": "USD",
        "description": "APPLE INC",
        "displaySymbol": "AAPL",
        "figi": AAPL_FIGI,
        "isin": None,
        "mic": "XNAS",
        "shareClassFIGI": "BBG001S5N8V8",
        "symbol": "AAPL",
        "symbol2": "",
        "type": "Common Stock",
    },
    {
        "currency": "USD",
        "description": "BERKSHIRE HATHAWAY INC-CL B",
        "displaySymbol": "BRK.B",
        "figi": BRKB_FIGI,
        "isin": None,
        "mic": "XNYS",
        "shareClassFIGI": "BBG001S5WTP3",
        "symbol": "BRK.B",
        "symbol2": "",
        "type": "Common Stock",
    },
    {
        "currency": "USD",
        "description": "AGILENT TECHNOLOGIES INC",
        "displaySymbol": "A",
        "figi": "BBG000C2V3D6",
        "isin": None,
        "mic": "XNYS",
        "shareClassFIGI": "BBG001SCTQY4",
        "symbol": "A",
        "symbol2": "",
        "type": "Common Stock",
    },
]


def figi_record(
    ticker: str, name: str, figi: str, exch: str = "US", **extra: Any
) -> dict[str, Any]:
    return {
        "figi": figi,
        "name": name,
        "ticker": ticker,
        "exchCode": exch,
        "compositeFIGI": extra.get("composite", figi),
        "securityType": "Common Stock",
        "marketSector": "Equity",
        "shareClassFIGI": extra.get("share"),
        "securityType2": "Common Stock",
        "securityDescription": ticker,
    }


def run(provider: SymbolSearchProvider, method: str, *args: Any) -> Any:
    async def go() -> Any:
        try:
            return await getattr(provider, method)(*args)
        finally:
            await provider.aclose()

    return asyncio.run(go())


def polygon_pages(server: HTTPServer, hp: Any) -> None:
    """The two real ticker pages; the first's ``next_url`` (on api.massive.com) is rebased."""
    first, second = hp.fixture_text(TICKERS), hp.fixture_text(CURSOR_PAGE)
    cursor = CURSOR_PAGE.split("cursor=", 1)[1].removesuffix(".json")

    def tickers(request: Request) -> Response:
        assert request.headers["Authorization"] == "Bearer pk_SECRET"
        body = second if request.args.get("cursor") == cursor else first
        return Response(body, content_type="application/json")

    server.expect_request("/v3/reference/tickers").respond_with_handler(tickers)


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POLYGON_API_KEY", "pk_SECRET")
    monkeypatch.setenv("FINNHUB_API_KEY", "fh_SECRET")
    monkeypatch.setenv("ALPACA_KEY_ID", "AK_ID")
    monkeypatch.setenv("ALPACA_SECRET_KEY", "AK_SECRET")
    monkeypatch.delenv("OPENFIGI_API_KEY", raising=False)


def providers_config(hp: Any, server: HTTPServer) -> Config:
    base = server.url_for("/").rstrip("/")
    fast = hp.fast_rest
    return Config(
        providers={
            "polygon": {"rest": {**fast, "url": base}},
            "alpaca": {"rest": {**fast, "trading_url": base}},
            "finnhub": {"base_url": base, "rest": fast},
            "openfigi": {
                "base_url": base,
                "rest": {**fast, "rate_limits": {}, "keyed_rate_limits": {}},
            },
        }
    )


def test_polygon_lists_every_page_of_the_real_responses(
    server: HTTPServer, hp: Any, keys: None
) -> None:
    polygon_pages(server, hp)
    config = providers_config(hp, server)
    listing = run(PolygonSearch(config), "listing")
    assert [(i.symbol, i.mic, i.asset_class) for i in listing] == [
        ("A", "XNYS", "equity"),
        ("AA", "XNYS", "equity"),
        ("AAA", "ARCX", "etf"),
        ("AAAU", "BATS", "etf"),
    ]
    assert listing[0].composite_figi == "BBG000C2V3D6"
    assert listing[0].share_class_figi == "BBG001SCTQY4"
    assert listing[0].currency == "USD"
    assert [r.query_string.decode() for r, _ in server.log] == [
        "market=stocks&active=true&order=asc&sort=ticker&limit=1000",
        CURSOR_PAGE.split("&", 1)[1].removesuffix(".json"),
    ]


def test_polygon_search_sends_the_text_and_ranks_exact_first(
    server: HTTPServer, hp: Any, keys: None
) -> None:
    polygon_pages(server, hp)
    hits = run(PolygonSearch(providers_config(hp, server)), "search", "aa", 3)
    assert [h.symbol for h in hits] == ["AA", "AAA", "AAAU"]
    assert server.log[0][0].args["search"] == "aa"


def test_alpaca_assets_each_class_with_its_headers(server: HTTPServer, hp: Any, keys: None) -> None:
    def assets(request: Request) -> Response:
        assert request.headers["APCA-API-KEY-ID"] == "AK_ID"
        assert request.headers["APCA-API-SECRET-KEY"] == "AK_SECRET"
        assert request.args["status"] == "active"
        body = ALPACA_CRYPTO if request.args["asset_class"] == "crypto" else ALPACA_ASSETS
        return Response(json.dumps(body), content_type="application/json")

    server.expect_request("/v2/assets").respond_with_handler(assets)
    listing = run(AlpacaSearch(providers_config(hp, server)), "listing")
    assert len(listing) == 4
    aapl, brk, old, btc = listing
    assert (aapl.symbol, aapl.mic, aapl.tick_size, aapl.lot_size) == ("AAPL", "XNAS", 0.01, 1.0)
    assert (brk.symbol, brk.provider_symbol, brk.mic) == ("BRK.B", "BRK.B", "XNYS")
    assert old.active is False  # listed but not tradable
    assert (btc.symbol, btc.provider_symbol, btc.asset_class, btc.currency) == (
        "BTC-USD",
        "BTC/USD",
        "crypto",
        "USD",
    )
    assert len(server.log) == 2


def test_alpaca_without_keys_names_them(
    server: HTTPServer, hp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ALPACA_KEY_ID", raising=False)
    monkeypatch.delenv("ALPACA_SECRET_KEY", raising=False)
    with pytest.raises(CredentialsError, match="ALPACA_KEY_ID, ALPACA_SECRET_KEY"):
        run(AlpacaSearch(providers_config(hp, server)), "listing")
    assert server.log == []


def test_finnhub_lookup_and_stock_symbols(server: HTTPServer, hp: Any, keys: None) -> None:
    lookup = {
        "count": 3,
        "result": [
            {
                "description": "APPLE INC",
                "displaySymbol": "AAPL",
                "symbol": "AAPL",
                "type": "Common Stock",
            },
            {
                "description": "APPLE INC",
                "displaySymbol": "AAPL.SW",
                "symbol": "AAPL.SW",
                "type": "Common Stock",
            },
            {
                "description": "APPLIED MATERIALS INC",
                "displaySymbol": "AMAT",
                "symbol": "AMAT",
                "type": "Common Stock",
            },
        ],
    }
    server.expect_request(
        "/search", query_string="q=apple", headers={"X-Finnhub-Token": "fh_SECRET"}
    ).respond_with_json(lookup)
    server.expect_request("/stock/symbol", query_string="exchange=US").respond_with_json(FINNHUB_US)
    config = providers_config(hp, server)
    hits = run(FinnhubSearch(config), "search", "apple", 10)
    assert [h.symbol for h in hits] == ["AAPL", "AAPL.SW", "AMAT"]
    listing = run(FinnhubSearch(config), "listing")
    assert [(i.symbol, i.figi, i.composite_figi, i.mic) for i in listing] == [
        ("AAPL", AAPL_FIGI, AAPL_FIGI, "XNAS"),
        ("BRK.B", BRKB_FIGI, BRKB_FIGI, "XNYS"),
        ("A", "BBG000C2V3D6", "BBG000C2V3D6", "XNYS"),
    ]


def test_openfigi_search_pages_and_mapping_batches_without_a_key(
    server: HTTPServer, hp: Any, keys: None
) -> None:
    pages = {
        None: {"data": [figi_record("AAPL", "APPLE INC", AAPL_FIGI)], "next": "QW5vdGhlcg=="},
        "QW5vdGhlcg==": {
            "data": [figi_record("APLE", "APPLE HOSPITALITY REIT INC", "BBG006HCQ7M5")]
        },
    }

    def search(request: Request) -> Response:
        assert "X-OPENFIGI-APIKEY" not in request.headers
        body = json.loads(request.data)
        assert (body["query"], body["exchCode"]) == ("apple", "US")
        return Response(json.dumps(pages[body.get("start")]), content_type="application/json")

    jobs_seen: list[int] = []

    def mapping(request: Request) -> Response:
        jobs = json.loads(request.data)
        jobs_seen.append(len(jobs))
        out = []
        for job in jobs:
            assert job["idType"] == "TICKER" and job["exchCode"] == "US"
            if job["idValue"] == "BRK/B":
                out.append(
                    {"data": [figi_record("BRK/B", "BERKSHIRE HATHAWAY INC-CL B", BRKB_FIGI)]}
                )
            else:
                out.append({"warning": "No identifier found."})
        return Response(json.dumps(out), content_type="application/json")

    server.expect_request("/v3/search", method="POST").respond_with_handler(search)
    server.expect_request("/v3/mapping", method="POST").respond_with_handler(mapping)
    config = providers_config(hp, server)
    hits = run(OpenFigiSearch(config), "search", "apple", 10)
    assert [(h.symbol, h.figi) for h in hits] == [("AAPL", AAPL_FIGI), ("APLE", "BBG006HCQ7M5")]
    symbols = ["BRK.B"] + [f"NOPE{i}" for i in range(11)]
    mapped = run(OpenFigiSearch(config), "map_tickers", symbols)
    assert jobs_seen == [10, 2]  # 10 jobs per request without a key
    assert [i.provider_symbol for i in mapped["BRK.B"]] == ["BRK/B"]
    assert mapped["BRK.B"][0].symbol == "BRK.B"
    assert sum(len(v) for v in mapped.values()) == 1


def test_openfigi_with_a_key_sends_it_and_uses_the_keyed_limits(
    server: HTTPServer, hp: Any, keys: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENFIGI_API_KEY", "of_SECRET")
    jobs_seen: list[int] = []

    def mapping(request: Request) -> Response:
        assert request.headers["X-OPENFIGI-APIKEY"] == "of_SECRET"
        jobs = json.loads(request.data)
        jobs_seen.append(len(jobs))
        return Response(
            json.dumps([{"warning": "No identifier found."}] * len(jobs)),
            content_type="application/json",
        )

    server.expect_request("/v3/mapping", method="POST").respond_with_handler(mapping)
    provider = OpenFigiSearch(Config(providers={"openfigi": {"base_url": server.url_for("/")}}))
    assert provider.jobs_per_request == 100
    assert provider.client.settings.rate_limits == {"search": "20/1m", "mapping": "25/6s"}
    run(provider, "map_tickers", [f"S{i}" for i in range(120)])
    assert jobs_seen == [100, 20]
    plain = OpenFigiSearch(Config())
    monkeypatch.delenv("OPENFIGI_API_KEY")
    assert OpenFigiSearch(Config()).client.settings.rate_limits == {
        "search": "5/1m",
        "mapping": "25/1m",
    }
    asyncio.run(plain.aclose())


def test_registry_merges_the_same_figi_from_several_providers(
    server: HTTPServer, hp: Any, keys: None, tmp_path: Path
) -> None:
    polygon_pages(server, hp)
    server.expect_request("/v2/assets").respond_with_handler(
        lambda r: Response(
            json.dumps(ALPACA_CRYPTO if r.args["asset_class"] == "crypto" else ALPACA_ASSETS),
            content_type="application/json",
        )
    )
    server.expect_request("/stock/symbol").respond_with_json(FINNHUB_US)
    server.expect_request("/v3/mapping", method="POST").respond_with_json(
        [
            {
                "data": [
                    figi_record(
                        "BRK/B", "BERKSHIRE HATHAWAY INC-CL B", BRKB_FIGI, share="BBG001S5WTP3"
                    )
                ]
            }
        ]
    )
    config = providers_config(hp, server)
    registry = Registry(tmp_path)
    report = asyncio.run(refresh(config, registry, ["polygon", "alpaca", "finnhub"], DAY))
    assert report.errors == {}
    assert [(r.provider, r.listed) for r in report.refreshed] == [
        ("polygon", 4),
        ("alpaca", 4),
        ("finnhub", 3),
    ]
    asyncio.run(map_symbols(config, registry, ["BRK.B"], DAY))

    agilent = registry.get("A")
    assert agilent is not None
    assert agilent.key == "figi:BBG000C2V3D6"
    assert agilent.spellings == {"polygon": "A", "finnhub": "A"}
    assert agilent.name == "Agilent Technologies Inc."  # polygon's name outranks finnhub's

    brk = registry.get("brk-b")  # any spelling finds it
    assert brk is not None
    assert brk.key == f"figi:{BRKB_FIGI}"
    assert brk.spellings == {"openfigi": "BRK/B", "finnhub": "BRK.B", "alpaca": "BRK.B"}
    assert (brk.mic, brk.share_class_figi) == ("XNYS", "BBG001S5WTP3")

    aapl = registry.get("AAPL")
    assert aapl is not None
    assert aapl.spellings == {"finnhub": "AAPL", "alpaca": "AAPL"}  # joined by symbol
    assert (aapl.composite_figi, aapl.tick_size) == (AAPL_FIGI, 0.01)

    hits = registry.search("aa")
    assert [h.symbol for h in hits][:4] == ["AA", "AAA", "AAAU", "AAPL"]
    # every instrument but OLDCO has an "a" in a spelling or its name
    assert len(registry.search("a", limit=100)) == 7
