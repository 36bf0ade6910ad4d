"""A collector running the NYSE provider on loopback multicast: its channel counters reach
``/api/providers`` and the events go through the collectors into the archive."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
from tests.support import xdp
from tests.support.collector import CollectorThread
from tests.support.net import free_udp_port
from tests.unit.providers.nyse.test_nyse_parse import SYMBOLS

from mdc.config.schema import Config, StorageConfig
from mdc.providers.nyse.stream import NyseStream
from mdc.storage.archive import open_archive

PORT = free_udp_port()  # per process: parallel runs never hear each other's packets
LINES = [("239.255.43.1", PORT), ("239.255.44.1", PORT)]


def test_channel_counters_in_the_api_and_events_in_the_archive(tmp_path: Path) -> None:
    xdp.ensure_loopback_multicast()
    market = xdp.Market(41, SYMBOLS)
    market.open()
    market.run(600)
    drop = 10
    config = Config(
        provider="nyse",
        symbols=list(SYMBOLS),
        storage=StorageConfig(root=str(tmp_path / "data")),
        providers={
            "nyse": {
                "interface": "127.0.0.1",
                "channels": [{"id": 7, "lines": [f"{g}:{p}" for g, p in LINES]}],
            }
        },
    )
    with (
        CollectorThread(config, NyseStream) as collector,
        httpx.Client(base_url=collector.url, timeout=10) as client,
    ):
        deadline = time.monotonic() + 10
        while not _joined(client):
            assert time.monotonic() < deadline, "the provider never joined its groups"
            time.sleep(0.02)
        out = xdp.multicast_sender()
        for i, data in enumerate(market.packets):
            if i != drop:
                for group, port in LINES:
                    out.sendto(data, (group, port))
            if i % 20 == 0:
                time.sleep(0.001)
        out.close()
        sent = len(market.packets) - 1
        while True:
            feed = _nyse(client)["connection"]["details"]
            channel = feed["channels"][0] if feed else {}
            if channel.get("packets") == {"A": sent, "B": sent}:
                break
            assert time.monotonic() < deadline + 10, f"not all packets arrived: {channel}"
            time.sleep(0.05)
        assert channel["channel"] == 7
        assert channel["duplicates"] == {"B": sent}
        assert channel["gaps"] == 1
        assert channel["next_seq"] == market.seq
        assert feed["stale_books"] == len(SYMBOLS)
        assert _nyse(client)["connection"]["gaps"] == 1
    archive = open_archive(tmp_path / "data")
    (gap,) = archive.events("gaps")
    assert gap.symbol == "channel:7"
    assert len(archive.events("trades")) > 0
    assert len(archive.events("book_deltas")) > 0
    kinds = {e.kind for e in archive.events("integrity")}  # type: ignore[union-attr]
    assert "delta_before_snapshot" not in kinds  # each book opens with a snapshot


def _nyse(client: httpx.Client) -> dict[str, Any]:
    listed = {p["name"]: p for p in client.get("/api/providers").json()}
    return listed["nyse"]


def _joined(client: httpx.Client) -> bool:
    connection = _nyse(client)["connection"]
    return bool(connection and connection["connected"])
