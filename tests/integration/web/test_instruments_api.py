"""The instrument, watchlist and index routes of a running collector, and ``mdc symbols
add|remove|import --subscribe`` through them; provider calls go to a local server speaking
Polygon's documented format with the real ticker pages of ../shared/fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from tests.support.collector import CollectorThread, scripted
from tests.support.feed import scripted_config
from typer.testing import CliRunner
from werkzeug import Request, Response

from mdc.cli.main import app

REFERENCE = "polygon/v3/reference"
runner = CliRunner()


@pytest.fixture
def polygon(httpserver: HTTPServer, fixtures_dir: Path) -> HTTPServer:
    first = (fixtures_dir / REFERENCE / "tickers.json").read_text()
    (cursor_page,) = (fixtures_dir / REFERENCE).glob("tickers&cursor=*")

    def tickers(request: Request) -> Response:
        body = cursor_page.read_text() if "cursor" in request.args else first
        return Response(body, content_type="application/json")

    httpserver.expect_request("/v3/reference/tickers").respond_with_handler(tickers)
    return httpserver


@pytest.fixture
def running(
    tmp_path: Path, polygon: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CollectorThread]:
    monkeypatch.setenv("POLYGON_API_KEY", "pk_SECRET")
    config = scripted_config(
        tmp_path / "data",
        MDC_PROVIDERS__POLYGON__REST__URL=polygon.url_for("/").rstrip("/"),
        MDC_PROVIDERS__POLYGON__REST__MAX_ATTEMPTS="1",
        MDC_INSTRUMENTS__PROVIDERS="polygon",
        MDC_PROVIDERS__OPENFIGI__BASE_URL=polygon.url_for("/").rstrip("/"),
    )
    with CollectorThread(config, scripted) as collector:
        yield collector


def test_refresh_then_offline_search_show_and_lookup(
    running: CollectorThread, polygon: HTTPServer
) -> None:
    with httpx.Client(base_url=running.url, timeout=10) as client:
        assert client.get("/api/instruments/search", params={"q": "aa"}).json() == []
        done = client.post("/api/instruments/refresh", json={}).json()
        assert done["errors"] == {}
        assert [(r["provider"], r["listed"], r["added"]) for r in done["refreshed"]] == [
            ("polygon", 4, 4)
        ]
        hits = client.get("/api/instruments/search", params={"q": "aa", "limit": 3}).json()
        assert [h["symbol"] for h in hits] == ["AA", "AAA", "AAAU"]
        assert hits[0]["subscribed"] is False
        shown = client.get("/api/instruments/AAAU").json()
        assert (shown["mic"], shown["asset_class"], shown["composite_figi"]) == (
            "BATS",
            "etf",
            "BBG00LPXX872",
        )
        assert shown["history"][0]["valid_to"] is None
        assert client.get("/api/instruments/NOPE").status_code == 404
        summary = client.get("/api/instruments/registry").json()
        assert summary["providers"][0]["listings"] == 4
        looked = client.post(
            "/api/instruments/lookup", json={"query": "aa", "providers": ["polygon"]}
        ).json()
        assert looked["results"]["polygon"][:2] == ["AA", "AAA"]
        polygon.expect_request("/v3/mapping", method="POST").respond_with_json(
            [
                {
                    "data": [
                        {
                            "figi": "BBG000C2V3D6",
                            "ticker": "A",
                            "name": "AGILENT TECHNOLOGIES",
                            "exchCode": "US",
                            "compositeFIGI": "BBG000C2V3D6",
                            "marketSector": "Equity",
                            "securityType": "Common Stock",
                        }
                    ]
                }
            ]
        )
        assert client.post("/api/instruments/map", json={"symbols": ["A"]}).json() == {"A": 1}
        agilent = client.get("/api/instruments/A").json()
        listed = {p: s["symbol"] for p, s in agilent["spellings"].items() if s["from"] == "listed"}
        assert listed == {"openfigi": "A", "polygon": "A"}  # one FIGI, two providers
        bad = client.post("/api/instruments/refresh", json={"providers": ["tiingo"]})
        assert bad.status_code == 422 and "has no symbol search" in bad.json()["detail"]


def test_watchlists_save_export_subscribe_delete(running: CollectorThread) -> None:
    with httpx.Client(base_url=running.url, timeout=10) as client:
        body = {"symbols": [{"symbol": "zzz", "depth_levels": 3}, {"symbol": "AAA"}]}
        assert client.put("/api/watchlists/mine", json=body).json() == {
            "name": "mine",
            "symbols": 2,
        }
        csv = client.get("/api/watchlists/mine", params={"format": "csv"})
        assert csv.text == (
            "symbol,provider,trades,quotes,depth,depth_levels\n"
            "ZZZ,,true,true,true,3\nAAA,,true,true,true,10\n"
        )
        twice = {"symbols": [{"symbol": "A"}, {"symbol": "a"}]}
        res = client.put("/api/watchlists/two", json=twice)
        assert res.status_code == 422 and "row 2, column symbol" in res.json()["detail"]
        added = client.post("/api/watchlists/mine/subscribe").json()
        assert added == {"added": ["ZZZ"], "already_subscribed": ["AAA"]}
        listed = client.get("/api/watchlists/mine").json()
        assert [s["subscribed"] for s in listed["symbols"]] == [True, True]
        assert client.delete("/api/watchlists/mine").json() == {"deleted": "mine"}
        assert client.get("/api/watchlists/mine").status_code == 404
        dow = client.get("/api/indexes/dow30").json()
        assert (len(dow["members"]), dow["as_of"]) == (30, "2026-10-09")


def test_cli_add_remove_and_import_subscribe_go_through_the_api(
    running: CollectorThread, tmp_path: Path
) -> None:
    url = running.url
    result = runner.invoke(app, ["symbols", "add", "NEW1", "NEW2", "--no-depth", "--url", url])
    assert result.exit_code == 0, result.stderr
    assert "added: NEW1, NEW2" in result.stdout
    symbols = {s["symbol"]: s for s in httpx.get(f"{url}/api/symbols").json()}
    assert symbols["NEW1"]["depth"] is False
    result = runner.invoke(app, ["symbols", "remove", "NEW1", "--url", url])
    assert result.exit_code == 0 and "removed: NEW1" in result.stdout
    assert "NEW1" not in {s["symbol"] for s in httpx.get(f"{url}/api/symbols").json()}
    again = runner.invoke(app, ["symbols", "remove", "NEW1", "--url", url])
    assert again.exit_code == 1 and "is not subscribed" in again.stderr
    export = runner.invoke(app, ["symbols", "export", "--subscribed", "--url", url])
    assert "NEW2,,true,true,false,10" in export.stdout
    gone = runner.invoke(app, ["symbols", "add", "X", "--url", "http://127.0.0.1:9"])
    assert gone.exit_code == 1 and "no collector answers at http://127.0.0.1:9" in gone.stderr
