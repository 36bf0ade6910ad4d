"""Feed counters in /metrics: Kraken's book checksums, Binance's book sync restarts, Coinbase's
duplicates, read from the real providers after real frames, each with its own metric that
promtool accepts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

from tests.support.metrics import exposition, promtool_verdict, samples
from tests.support.sinks import NullSink
from tests.unit.providers.coinbase.test_coinbase_parse import MATCH
from tests.unit.providers.kraken.test_kraken_parse import ada_frames

from mdc.config.schema import Config
from mdc.monitoring.metrics import PROVIDER_COUNTERS, provider_families
from mdc.providers.base import FeedCounter, StreamingProvider
from mdc.providers.binance.book import DepthSnapshot, DepthUpdate
from mdc.providers.binance.stream import BinanceStream
from mdc.providers.coinbase.stream import CoinbaseStream
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
    protocol.parse(frames[1], TS)  # an update before its snapshot: passed on unchecked
    protocol.parse('{"event":"heartbeat"}', TS)
    for frame in frames:
        protocol.parse(frame, TS)
    protocol.parse(frames[0], TS)  # a new snapshot, then a level that does not match
    corrupted = json.loads(frames[1])
    corrupted[1]["b"][0][1] = "31571.61559017"
    protocol.parse(json.dumps(corrupted), TS)
    return provider, len(frames) - 1


def depth_update(first: int, last: int) -> DepthUpdate:
    return DepthUpdate(s="NKNUSDT", ts=1, first=first, last=last, b=[], a=[])


def depth_snapshot(last_id: int) -> DepthSnapshot:
    return DepthSnapshot(last_update_id=last_id, bids=[(0.35, 1.0)], asks=[(0.36, 1.0)])


def binance_after_a_restart() -> BinanceStream:
    """A Binance stream that synced NKN-USDT and got one stale update for it, whose sync of
    BTC-USDT found updates 106..109 missing after its snapshot, and that got one acknowledgement."""
    provider = BinanceStream(Config(symbols=["NKN-USDT", "BTC-USDT"]), NullSink())
    protocol = provider.protocol
    depth = protocol.parser.depth
    depth.update("NKN-USDT", depth_update(100, 105), TS)
    assert len(depth.snapshot("NKN-USDT", depth_snapshot(103), TS)) == 1  # synced at 105
    assert depth.update("NKN-USDT", depth_update(104, 105), TS) == []  # stale
    depth.update("BTC-USDT", depth_update(100, 105), TS)
    depth.update("BTC-USDT", depth_update(110, 112), TS)
    assert depth.snapshot("BTC-USDT", depth_snapshot(107), TS) == []  # restart
    assert protocol.parse('{"result":null,"id":1}', TS) == []  # SUBSCRIBE acknowledged
    return provider


def coinbase_after_repeats() -> CoinbaseStream:
    """A Coinbase stream that got a match twice and a message type it does not know."""
    provider = CoinbaseStream(Config(symbols=["SKL-BTC"]), NullSink())
    parser = provider.protocol.parser
    assert len(parser.parse(MATCH, TS)) == 1
    assert parser.parse(MATCH, TS) == []
    assert parser.parse('{"type":"rfq_match"}', TS) == []
    return provider


def test_feed_counters_of_kraken_binance_and_coinbase_are_exported(fixtures_dir: Path) -> None:
    kraken, updates = kraken_after_frames(fixtures_dir)
    binance = binance_after_a_restart()
    coinbase = coinbase_after_repeats()
    providers: dict[str, StreamingProvider] = {
        "kraken": kraken,
        "binance": binance,
        "coinbase": coinbase,
    }
    text = exposition(provider_families(providers))
    got = samples(text)
    kraken_label = (("provider", "kraken"),)
    binance_label = (("provider", "binance"),)
    assert updates == 347
    coinbase_label = (("provider", "coinbase"),)
    assert got[("mdc_provider_book_checksums_ok_total", kraken_label)] == updates
    assert got[("mdc_provider_book_checksum_failures_total", kraken_label)] == 1
    assert got[("mdc_provider_book_updates_unvalidated_total", kraken_label)] == 1
    assert got[("mdc_provider_messages_ignored_total", kraken_label)] == 1
    assert got[("mdc_provider_book_sync_restarts_total", binance_label)] == 1
    assert got[("mdc_provider_book_updates_stale_total", binance_label)] == 1
    assert got[("mdc_provider_messages_ignored_total", binance_label)] == 1
    assert got[("mdc_provider_connection_handovers_total", binance_label)] == 0
    assert got[("mdc_provider_duplicates_dropped_total", coinbase_label)] == 1
    assert got[("mdc_provider_messages_ignored_total", coinbase_label)] == 1
    assert ("mdc_provider_book_checksums_ok_total", binance_label) not in got
    assert ("mdc_failover_active", kraken_label) not in got
    assert promtool_verdict(text) == (0, "")


def test_every_feed_counter_has_a_metric() -> None:
    assert set(PROVIDER_COUNTERS) == set(get_args(FeedCounter))
    names = [name for name, _ in PROVIDER_COUNTERS.values()]
    assert len(set(names)) == len(names)
