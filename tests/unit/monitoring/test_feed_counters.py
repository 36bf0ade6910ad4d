"""Feed counters in /metrics: Kraken's book checksums and Binance's book sync restarts, read from
the real providers after real frames, each with its own metric that promtool accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

from tests.support.metrics import exposition, promtool_verdict, samples
from tests.support.sinks import NullSink
from tests.unit.providers.kraken.test_kraken_parse import ada_frames

from mdc.config.schema import Config
from mdc.monitoring.metrics import PROVIDER_COUNTERS, provider_families
from mdc.providers.base import FeedCounter, StreamingProvider
from mdc.providers.binance.book import DepthSnapshot, DepthUpdate
from mdc.providers.binance.stream import BinanceStream
from mdc.providers.kraken.stream import KrakenStream

TS = 1_700_000_000_000_000_000


def kraken_after_frames(fixtures_dir: Path) -> tuple[KrakenStream, int]:
    """A v1 Kraken stream that parsed the capture, then one corrupted update; and the number
    of updates in the capture."""
    config = Config(symbols=["ADA-BTC"], providers={"kraken": {"api": "v1", "book_depth": 1000}})
    provider = KrakenStream(config, NullSink())
    protocol = provider.protocol
    protocol.parser.symbols["ADA/XBT"] = "ADA-BTC"
    frames = ada_frames(fixtures_dir)
    for frame in frames:
        protocol.parse(frame, TS)
    protocol.parse(frames[0], TS)  # a new snapshot, then a level that does not match
    corrupted = json.loads(frames[1])
    corrupted[1]["b"][0][1] = "31571.61559017"
    protocol.parse(json.dumps(corrupted), TS)
    return provider, len(frames) - 1


def binance_after_a_restart() -> BinanceStream:
    """A Binance stream whose book sync found updates 106..109 missing after its snapshot."""
    provider = BinanceStream(Config(symbols=["NKN-USDT"]), NullSink())
    depth = provider.protocol.parser.depth
    for first, last in ((100, 105), (110, 112)):
        update = DepthUpdate(s="NKNUSDT", ts=1, first=first, last=last, b=[], a=[])
        depth.update("NKN-USDT", update, TS)
    snapshot = DepthSnapshot(last_update_id=107, bids=[(0.35, 1.0)], asks=[(0.36, 1.0)])
    assert depth.snapshot("NKN-USDT", snapshot, TS) == []
    return provider


def test_kraken_checksums_and_binance_restarts_are_exported(fixtures_dir: Path) -> None:
    kraken, updates = kraken_after_frames(fixtures_dir)
    binance = binance_after_a_restart()
    providers: dict[str, StreamingProvider] = {"kraken": kraken, "binance": binance}
    text = exposition(provider_families(providers))
    got = samples(text)
    kraken_label = (("provider", "kraken"),)
    binance_label = (("provider", "binance"),)
    assert updates == 347
    assert got[("mdc_provider_book_checksums_ok_total", kraken_label)] == updates
    assert got[("mdc_provider_book_checksum_failures_total", kraken_label)] == 1
    assert got[("mdc_provider_book_sync_restarts_total", binance_label)] == 1
    assert got[("mdc_provider_connection_handovers_total", binance_label)] == 0
    assert ("mdc_provider_book_checksums_ok_total", binance_label) not in got
    assert ("mdc_failover_active", kraken_label) not in got
    assert promtool_verdict(text) == (0, "")


def test_every_feed_counter_has_a_metric() -> None:
    assert set(PROVIDER_COUNTERS) == set(get_args(FeedCounter))
    names = [name for name, _ in PROVIDER_COUNTERS.values()]
    assert len(set(names)) == len(names)
