"""``mdc collect --provider polygon|alpaca``: clear credential errors, and a real run into the
archive against a local protocol server (the endpoint set through its MDC_* variable)."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from stream_servers import PolygonServer
from typer.testing import CliRunner

from mdc.cli.main import app

runner = CliRunner()
pytestmark = pytest.mark.usefixtures("registry_of_streaming_providers")


@pytest.mark.parametrize(
    ("provider", "variables"),
    [("alpaca", "ALPACA_KEY_ID, ALPACA_SECRET_KEY"), ("polygon", "POLYGON_API_KEY")],
)
def test_missing_credentials_name_the_variables(
    provider: str, variables: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for name in ("ALPACA_KEY_ID", "ALPACA_SECRET_KEY", "POLYGON_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    result = runner.invoke(
        app,
        [
            "collect",
            "--provider",
            provider,
            "--symbols",
            "AAPL,MSFT",
            "--no-http",
            "--data",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 2
    assert variables in result.output


@pytest.fixture
def polygon_server() -> Iterator[tuple[PolygonServer, asyncio.AbstractEventLoop]]:
    """A Polygon server on its own event loop thread (the CLI runs its own loop)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    server = asyncio.run_coroutine_threadsafe(PolygonServer().start(), loop).result(5)
    yield server, loop
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def test_collect_stores_what_the_stream_sends(
    polygon_server: tuple[PolygonServer, asyncio.AbstractEventLoop],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    server, loop = polygon_server
    monkeypatch.setenv("POLYGON_API_KEY", "POLYKEY")
    monkeypatch.setenv("MDC_PROVIDERS__POLYGON__STREAM_URL", server.url())

    async def feed() -> None:
        await server.wait_for(lambda: server.subscribed("T", ["AAPL", "MSFT"]), timeout=10)
        await server.send(
            [
                {
                    "ev": "T",
                    "sym": "AAPL",
                    "x": 4,
                    "i": "1",
                    "z": 3,
                    "p": 190.5,
                    "s": 100,
                    "t": 1710253800123,
                    "q": 11,
                },
                {
                    "ev": "T",
                    "sym": "MSFT",
                    "x": 4,
                    "i": "2",
                    "z": 3,
                    "p": 410.25,
                    "s": 5,
                    "t": 1710253800124,
                    "q": 12,
                },
            ]
        )

    feeding = asyncio.run_coroutine_threadsafe(feed(), loop)
    result = runner.invoke(
        app,
        [
            "collect",
            "--provider",
            "polygon",
            "--symbols",
            "AAPL,MSFT",
            "--no-http",
            "--data",
            str(tmp_path),
            "--duration",
            "2",
        ],
    )
    feeding.result(5)
    assert result.exit_code == 0, result.output
    stored = sorted(
        (row["symbol"], row["price"], row["seq"])
        for path in tmp_path.rglob("*.jsonl")
        for row in map(json.loads, path.read_text().splitlines())
        if row["type"] == "trade"
    )
    assert stored == [("AAPL", 190.5, 11), ("MSFT", 410.25, 12)]
