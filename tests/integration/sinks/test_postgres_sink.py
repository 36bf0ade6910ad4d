"""The PostgreSQL sink against the real server: an outage pauses it, then it catches up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import psycopg
from tests.support.net import free_port
from tests.support.services import postgres
from tests.support.sink_run import through_outage, trades

from mdc.config.schema import SinkConfig, StorageConfig
from mdc.sinks.postgres import PostgresSink
from mdc.storage import open_store


def test_an_outage_pauses_the_sink_and_it_catches_up_once(tmp_path: Path) -> None:
    dsn = postgres()
    schema = f"sink_{os.getpid()}"
    down = f"host=127.0.0.1 port={free_port()} dbname=test user=postgres"
    store = open_store(StorageConfig(root=str(tmp_path), min_free_mb=0))
    sink = PostgresSink(store, SinkConfig(name="pg", kind="postgres", dsn=down, schema=schema))
    up = SinkConfig(name="pg", kind="postgres", dsn=dsn, schema=schema)
    first = trades(0, 100, conditions=["@", "F"]) + trades(100, 50, conditions=["@", "F"])
    try:
        asyncio.run(through_outage(sink, store, up, first, trades(50, 100, conditions=["@", "F"])))
        assert "connection" in sink.last_error.lower()
        assert store.positions.get("sink-pg") == 2
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
