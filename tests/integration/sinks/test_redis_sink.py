"""The Redis Streams sink against the real server: XADD per event, MAXLEN, outage and catch-up."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import msgspec
import redis
from tests.support.net import free_port
from tests.support.services import redis_server
from tests.support.sink_run import T, through_outage, trades

from mdc.config.schema import SinkConfig, StorageConfig
from mdc.domain.events import Quote, Trade
from mdc.sinks.redis import RedisSink
from mdc.storage import open_store


def test_events_go_to_capped_streams_per_venue_and_type_after_an_outage(tmp_path: Path) -> None:
    url = redis_server()
    prefix = f"mdct{os.getpid()}"
    down = f"redis://127.0.0.1:{free_port()}/0"
    store = open_store(StorageConfig(root=str(tmp_path), min_free_mb=0))
    cfg = SinkConfig(name="rs", kind="redis", dsn=down, key_prefix=prefix, maxlen=120)
    sink = RedisSink(store, cfg)
    quote = Quote(
        symbol="AAPL", venue="X.NAS", provider="sim", ts_event=T, ts_recv=T,
        bid_price=1.0, bid_size=2.0, ask_price=1.5, ask_size=3.0,
    )  # fmt: skip

    client = redis.Redis.from_url(url)
    up = SinkConfig(name="rs", kind="redis", dsn=url, key_prefix=prefix, maxlen=120)
    first, second = [*trades(0, 100, venue="X.NAS"), quote], trades(100, 50, venue="X.NAS")
    try:
        asyncio.run(through_outage(sink, store, up, first, second))
        trades_key, quotes_key = f"{prefix}:X%2ENAS:trade", f"{prefix}:X%2ENAS:quote"
        assert client.xlen(trades_key) == 120  # 150 added, MAXLEN 120
        entries = client.xrange(trades_key)
        first = entries[0][1]
        assert first[b"id"] == b"1:30" and first[b"symbol"] == b"AAPL"
        assert msgspec.json.decode(first[b"event"], type=Trade) == trades(30, 1, venue="X.NAS")[0]
        assert entries[-1][1][b"id"] == b"2:49"
        (q,) = client.xrange(quotes_key)
        assert q[1][b"id"] == b"1:100"
        assert sink.stats()["entries_added"] == 151
        assert store.positions.get("sink-rs") == 2
    finally:
        store.close()
        client.delete(f"{prefix}:X%2ENAS:trade", f"{prefix}:X%2ENAS:quote")
        client.close()
