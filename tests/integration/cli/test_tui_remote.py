"""``mdc tui --nats`` with Textual's Pilot: two collectors on the simulated feed publish their live
views on the real nats-server (as ``mdc collect --live`` does); the TUI lists both collectors and
shows each one's own symbols, switching with ``n``."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.support.collector import CollectorThread
from tests.support.nats_server import shared_server
from textual.pilot import Pilot
from textual.widgets import DataTable

from mdc.cli.tui_remote import RemoteApp
from mdc.config import load_config
from mdc.config.schema import DistributedConfig

FEEDS = {"c1": "SPY,AAPL", "c2": "MSFT"}


@pytest.fixture
def collectors(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Two collectors on the simulated feed, publishing their live views."""
    server = shared_server()
    prefix = f"mdclive-tui-{os.getpid()}"
    configs = [
        load_config(
            env={
                "MDC_STORAGE__ROOT": str(tmp_path / cid),
                "MDC_SYMBOLS": symbols,
                "MDC_PROVIDERS__SIMULATED__RATE": "200",
                "MDC_STORAGE__RAW_CAPTURE": "false",
                "MDC_DISTRIBUTED__SERVERS": f'["{server}"]',
                "MDC_DISTRIBUTED__LIVE_PUBLISH": "true",
                "MDC_DISTRIBUTED__LIVE_PREFIX": prefix,
                "MDC_DISTRIBUTED__LIVE_INTERVAL_S": "0.3",
                "MDC_DISTRIBUTED__COLLECTOR_ID": cid,
            }
        )
        for cid, symbols in FEEDS.items()
    ]
    with CollectorThread(configs[0]), CollectorThread(configs[1]):
        yield server, prefix


async def until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 40) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        await pilot.pause(0.1)
    raise AssertionError("the TUI did not show it in time")


def column(table: DataTable[object], index: int) -> list[str]:
    return [str(table.get_row_at(i)[index]) for i in range(table.row_count)]


def test_the_remote_tui_lists_both_collectors_and_their_own_symbols(
    collectors: tuple[str, str],
) -> None:
    server, prefix = collectors
    cfg = DistributedConfig(servers=[server], live_prefix=prefix, live_watch=True)

    async def scenario() -> None:
        app = RemoteApp(cfg)
        async with app.run_test(size=(150, 40)) as pilot:
            listed = app.query_one("#collectors", DataTable)
            symbols = app.query_one("#symbols", DataTable)

            def shows(cid: str) -> bool:
                want = sorted(FEEDS[cid].split(","))
                return app.collector == cid and column(symbols, 0) == want

            await until(pilot, lambda: listed.row_count == 2 and shows("c1"))
            assert column(listed, 0) == ["[b]c1[/]", "c2"]
            assert column(listed, 1) == ["streaming", "streaming"]
            assert column(listed, 2) == ["simulated", "simulated"]
            await pilot.press("n")
            await until(pilot, lambda: shows("c2"))
            assert int(str(symbols.get_row_at(0)[1]).replace(",", "")) > 0  # MSFT's trades
            assert str(symbols.get_row_at(0)[3]) != "-"  # and its last price
            assert app.remote.bad_messages == 0

    asyncio.run(scenario())
