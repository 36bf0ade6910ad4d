"""The Providers page of a collector on the NYSE feed (loopback multicast) with a stand-in
Request Server: one packet is lost on both lines, asked for, retransmitted on the channel's
retransmission line, and the page shows it; a TAQ master day appears as a reference table."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from datetime import date

import httpx
import pytest
from playwright.sync_api import Page, expect
from tests.e2e.conftest import screenshot
from tests.support import xdp
from tests.support.collector import CollectorThread
from tests.support.net import free_udp_port
from tests.support.xdp_request_server import StandInServer
from tests.unit.providers.nyse.test_nyse_parse import SYMBOLS

from mdc.config.schema import Config, StorageConfig
from mdc.providers.nyse.stream import NyseStream
from mdc.providers.nyse.taq_master import REFERENCE_NAME, MasterRecord
from mdc.storage.reference import write_reference

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PORT = free_udp_port()  # per process: parallel runs never hear each other's packets
LINES = [("239.255.46.1", PORT), ("239.255.47.1", PORT), ("239.255.48.1", PORT)]
DROP = 15


class ServerThread:
    """The stand-in Request Server on its own event loop."""

    def __init__(self, market: xdp.Market) -> None:
        self.out = xdp.multicast_sender()
        self.server = StandInServer(
            market, lambda _ch, data: self.out.sendto(data, LINES[2]), "MDCE2E"
        )
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> ServerThread:
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.out.close()


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorThread]:
    xdp.ensure_loopback_multicast()
    root = tmp_path_factory.mktemp("e2e-nyse") / "data"
    write_reference(root, REFERENCE_NAME, date(2025, 11, 24), [MasterRecord(symbol="IBM")])
    market = xdp.Market(51, SYMBOLS)
    market.open()
    market.run(600)
    os.environ["NYSE_SOURCE_ID"] = "MDCE2E"
    try:
        with ServerThread(market) as server:
            config = Config(
                provider="nyse",
                symbols=list(SYMBOLS),
                storage=StorageConfig(root=str(root)),
                providers={
                    "nyse": {
                        "interface": "127.0.0.1",
                        "channels": [{"id": 1, "lines": [f"{g}:{p}" for g, p in LINES]}],
                        "request_server": {"address": f"127.0.0.1:{server.server.port}"},
                    }
                },
            )
            with CollectorThread(config, NyseStream) as running:
                publish(running, market)
                yield running
    finally:
        del os.environ["NYSE_SOURCE_ID"]


def publish(running: CollectorThread, market: xdp.Market) -> None:
    """Every packet but one on lines A and B, then wait until the hole is filled."""
    with httpx.Client(base_url=running.url, timeout=10) as client:
        deadline = time.monotonic() + 15
        while not (details := feed(client)).get("request_server", {}).get("connected"):
            assert time.monotonic() < deadline, f"the provider never came up: {details}"
            time.sleep(0.02)
        out = xdp.multicast_sender()
        for i, data in enumerate(market.packets):
            if i != DROP:
                for group, port in LINES[:2]:
                    out.sendto(data, (group, port))
            if i % 20 == 0:
                time.sleep(0.001)
        out.close()
        while feed(client)["channels"][0]["next_seq"] != market.seq:
            assert time.monotonic() < deadline, f"the hole was not filled: {feed(client)}"
            time.sleep(0.05)


def feed(client: httpx.Client) -> dict[str, object]:
    (nyse,) = [p for p in client.get("/api/providers").json() if p["name"] == "nyse"]
    connection = nyse["connection"] or {}
    details: dict[str, object] = connection.get("details") or {}
    return details


def test_providers_page_shows_the_retransmission_and_the_reference_table(page: Page) -> None:
    page.goto("/ui/#/providers")
    # The provider's details render generically: one table per list of records, one line per
    # other value (web/static/pages/providers.js).
    panel = page.locator('[data-detail="nyse"]')
    row = panel.locator('table[data-table="channels"] tr').filter(
        has=page.locator('td[data-col="channel"]', has_text="1")
    )
    expect(row.locator('td[data-col="retransmission_requests"]')).to_have_text("1")
    expect(row.locator('td[data-col="gaps"]')).to_have_text("0")
    session = panel.locator('[data-key="request server"] dd')
    expect(session).to_contain_text("accepted 1")
    expect(session).not_to_contain_text("MDCE2E")
    table = page.locator(f'#reference-list tr[data-table="{REFERENCE_NAME}"]')
    expect(table).to_contain_text("2025-11-24")
    screenshot(page, "providers-nyse")
