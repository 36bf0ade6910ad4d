"""A capture through the live decoder: ``mdc import nyse-xdp FILE.pcap[.gz|.zst]``.

Datagrams are matched to channels and lines by destination ``group:port`` from
``[providers.nyse] channels``; a destination the config does not list becomes a channel of its
own (numbered from 1000, in order of appearance) and is reported, since without the config
the A and B lines of one channel cannot be told apart. ``ts_recv`` is the capture timestamp, so
a replay is deterministic: the same file always gives the same events.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

from mdc.domain.events import Event
from mdc.providers.files import open_decompressed
from mdc.providers.nyse.config import NyseConfig, parse_line
from mdc.providers.nyse.parse import SymbolFilter, XdpFeed
from mdc.providers.nyse.pcap import PcapStats, datagrams
from mdc.providers.nyse.stream import LINE_NAMES

BATCH_EVENTS: Final = 20_000
FIRST_UNLISTED_CHANNEL: Final = 1000


@dataclass
class Replay:
    """One capture's replay: the feed (counters, books) and what the file held."""

    path: Path
    config: NyseConfig
    wanted: SymbolFilter
    feed: XdpFeed = field(init=False)
    pcap: PcapStats = field(default_factory=PcapStats)
    unlisted: dict[str, int] = field(default_factory=dict)
    """Destinations not in the config → the channel number they were given."""

    def __post_init__(self) -> None:
        cfg = self.config
        self.feed = XdpFeed(
            cfg.venue, self.wanted, cfg.gap_timeout_ms, cfg.max_pending_packets, cfg.order_events
        )
        self._routes: dict[tuple[str, int], tuple[int, str]] = {}
        for channel in cfg.channels:
            self.feed.channel(channel.id, channel.venue)
            for index, line in enumerate(channel.lines):
                self._routes[parse_line(line)] = (channel.id, LINE_NAMES[index])

    def batches(self) -> Iterator[list[Event]]:
        """Events in file order, in batches of about ``BATCH_EVENTS``."""
        feed = self.feed
        routes = self._routes
        last_ts = 0
        with open_decompressed(self.path) as stream:
            for dgram in datagrams(stream, self.pcap):
                key = (dgram.dst, dgram.dst_port)
                route = routes.get(key)
                if route is None:
                    number = FIRST_UNLISTED_CHANNEL + len(self.unlisted)
                    self.unlisted[f"{dgram.dst}:{dgram.dst_port}"] = number
                    route = routes[key] = (number, "A")
                last_ts = dgram.ts_ns
                feed.packet(route[0], route[1], dgram.payload, last_ts)
                if len(feed.out) >= BATCH_EVENTS:
                    yield feed.take()
        feed.flush(last_ts)
        rest = feed.take()
        if rest:
            yield rest
