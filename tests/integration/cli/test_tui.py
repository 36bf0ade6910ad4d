"""``mdc tui`` with Textual's Pilot against a live ``mdc collect`` subprocess: the tape updates,
a symbol added from the TUI is subscribed in the collector and shows."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from mdc.cli.tui_app import CollectorApp


@pytest.fixture
def collector(tmp_path: Path) -> Iterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDC_")}
    env |= {"MDC_LOG_FORMAT": "json", "MDC_PROVIDERS__SIMULATED__RATE": "2000"}
    proc = subprocess.Popen(
        [
            *(sys.executable, "-m", "mdc.cli", "collect", "--data", str(tmp_path / "data")),
            *("--http-port", "0", "--symbols", "SPY,AAPL"),
        ],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    url = None
    deadline = time.monotonic() + 30
    while url is None and time.monotonic() < deadline:
        line = proc.stderr.readline()
        assert line, "mdc collect exited before serving HTTP"
        msg = json.loads(line)["msg"] if line.startswith("{") else ""
        if msg.startswith("dashboard on "):
            url = msg.removeprefix("dashboard on ").rstrip("/")
    assert url is not None
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(30)


async def until(pilot: Pilot[None], check: Callable[[], bool], seconds: float = 20) -> None:
    for _ in range(int(seconds / 0.1)):
        if check():
            return
        await pilot.pause(0.1)
    raise AssertionError("the TUI did not show it in time")


def test_tape_updates_and_a_symbol_added_from_the_tui_appears(collector: str) -> None:
    async def scenario() -> None:
        app = CollectorApp(collector, {}, "SPY")
        async with app.run_test(size=(160, 50)) as pilot:
            tape = app.query_one("#tape", DataTable)
            await until(pilot, lambda: tape.row_count > 0)
            first = tape.get_row_at(0)
            await until(pilot, lambda: tape.get_row_at(0) != first)  # new trades arrived
            providers = app.query_one("#providers", DataTable)
            assert providers.get_row_at(0)[:2] == ["simulated", "streaming"]
            await pilot.press("a", "i", "w", "m", "enter")
            await until(pilot, lambda: "IWM" in app.symbols)
            assert app.symbol == "IWM"
            await until(pilot, lambda: tape.row_count > 0 and "IWM" in str(tape.border_title))
            shown = str(app.query_one("#symbols", Static).render())
            assert "IWM" in shown and "SPY" in shown
            assert str(app.query_one("#health", Static).render()).startswith("health ")

    asyncio.run(scenario())
    subscribed = [s["symbol"] for s in httpx.get(f"{collector}/api/symbols", timeout=5).json()]
    assert subscribed == ["SPY", "AAPL", "IWM"]
