"""The PostgreSQL sink against the real server: an outage pauses it, then it catches up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import psycopg
from tests.support.net import free_port
from tests.support.postgres import postgres

from mdc.config.schema import SinkConfig, StorageConfig
from mdc.domain.events import Event, Trade
from mdc.sinks.postgres import PostgresSink
from mdc.storage import open_store

T = 1_709_303_400_000_000_000


def trades(start: int, n: int) -> list[Event]:
    return [
        Trade(
            symbol="AAPL", venue="XNAS", provider="sim", ts_event=T + i, ts_recv=T + i, seq=i,
            price=100.0 + i / 8, size=1.0, trade_id=f"t{i}", conditions=["@", "F"],
        )
        for i in range(start, start + n)
    ]  # fmt: skip


def test_an_outage_pauses_the_sink_and_it_catches_up_once(tmp_path: Path) -> None:
    dsn = postgres()
    schema = f"sink_{os.getpid()}"
    down = f"host=127.0.0.1 port={free_port()} dbname=test user=postgres"
    store = open_store(StorageConfig(root=str(tmp_path), min_free_mb=0))
    sink = PostgresSink(store, SinkConfig(name="pg", kind="postgres", dsn=down, schema=schema))

    async def scenario() -> None:
        task = asyncio.create_task(sink.run())
        store.append(trades(0, 100))
        store.append(trades(100, 50))
        while sink.errors < 2:
            await asyncio.sleep(0.05)
        assert sink.position == 0 and not sink.connected
        assert "connection" in sink.last_error.lower()
        sink.cfg = SinkConfig(name="pg", kind="postgres", dsn=dsn, schema=schema)
        store.append(trades(50, 100))  # overlaps: stored once
        while sink.position < store.wal_lsn:
            await asyncio.sleep(0.05)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    try:
        asyncio.run(scenario())
        assert store.positions.get("sink-pg") == 3
        with psycopg.connect(dsn) as conn:
            rows = conn.execute(
                f'SELECT seq, price, conditions FROM "{schema}".mdc_trades ORDER BY seq'
            ).fetchall()
        assert [r[0] for r in rows] == list(range(150))
        assert rows[9] == (9, 100.0 + 9 / 8, ["@", "F"])
        assert sink.stats()["delivered_events"] == 250
        assert sink.rows_inserted == 150
    finally:
        store.close()
        with psycopg.connect(dsn) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
