"""``mdc collect --provider nyse``: join the channels' multicast groups and decode what arrives.

One UDP socket per line (``group:port``), bound to the port and joined to the group on the
configured interface (``IP_ADD_MEMBERSHIP``, RFC 3376 via the kernel). Every datagram goes to one
:class:`~mdc.providers.nyse.parse.XdpFeed` with its channel and line, so A/B arbitration and
sequence tracking are the same code a capture replay runs. The raw datagram is kept for the
raw capture (``sink.raw``). A timer declares holes the other line never filled
(``gap_timeout_ms``). With ``[providers.nyse.request_server]`` a Request Server session
(``request_server.py``) runs beside the lines: holes and stale books are requested, and the
packets arrive on the channel's retransmission/refresh lines. Multicast has no subscription:
every symbol of a channel arrives, and the feed publishes only the configured ones
(``symbols_all`` publishes everything).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from functools import partial
from typing import Final

from mdc.config import Config, SymbolConfig, provider_section
from mdc.domain.events import Gap
from mdc.domain.time import now_ns
from mdc.providers.base import ProviderError, StreamingProvider, StreamSink
from mdc.providers.credentials import Secret, lookup
from mdc.providers.nyse import SPEC
from mdc.providers.nyse.config import NyseConfig, RequestServerConfig, parse_line
from mdc.providers.nyse.parse import PROVIDER, XdpFeed
from mdc.providers.nyse.request_server import RequestClient, parse_address

LINE_NAMES: Final = ("A", "B", "C", "D")
TICK_S_MAX: Final = 0.05
"""The hole timer runs at least this often (and 4x per ``gap_timeout_ms`` when shorter)."""


def open_line(group: str, port: int, interface: str, buffer_mb: int) -> socket.socket:
    """A non-blocking UDP socket receiving ``group:port`` on ``interface``."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if hasattr(socket, "SO_REUSEPORT"):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, buffer_mb << 20)
        sock.bind((group, port))  # binding the group filters other groups on the same port
        membership = struct.pack("4s4s", socket.inet_aton(group), socket.inet_aton(interface))
        sock.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP, membership)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ProviderError(
            f"cannot join {group}:{port} on interface {interface}: {exc} "
            "(check [providers.nyse] interface, and that the interface has multicast enabled)"
        ) from exc
    return sock


def _same(protocol: _Line) -> _Line:
    return protocol


class _Line(asyncio.DatagramProtocol):
    def __init__(self, owner: NyseStream, channel: int, line: str) -> None:
        self.owner = owner
        self.channel = channel
        self.line = line

    def datagram_received(self, data: bytes, addr: tuple[str | int, int]) -> None:
        self.owner.received(self.channel, self.line, data)

    def error_received(self, exc: Exception) -> None:
        self.owner.state.errors += 1
        self.owner.state.last_error = str(exc)


class NyseStream(StreamingProvider):
    """Multicast receiver: datagrams → ``XdpFeed`` → batches published in arrival order."""

    spec = SPEC

    def __init__(self, config: Config, sink: StreamSink) -> None:
        super().__init__(config, sink)
        self.settings = provider_section(config, SPEC.name, NyseConfig)
        self._wanted: dict[str, tuple[bool, bool]] = {}
        self.requests = self._request_client(self.settings.request_server)
        server = self.settings.request_server
        self.feed = XdpFeed(
            self.settings.venue,
            self._filter,
            self.settings.gap_timeout_ms,
            self.settings.max_pending_packets,
            self.settings.order_events,
            requests=self.requests,
            retransmit=server is not None and server.retransmit,
            refresh=server is not None and server.refresh,
            retransmission_timeout_ms=server.retransmission_timeout_ms if server else 1000.0,
        )
        for channel in self.settings.channels:
            self.feed.channel(channel.id, channel.venue)
        self._ready: asyncio.Queue[None] = asyncio.Queue(maxsize=1)

    def _request_client(self, server: RequestServerConfig | None) -> RequestClient | None:
        if server is None:
            return None
        source_id = lookup(server.source_id_env)
        if not source_id:
            raise ProviderError(
                f"[providers.nyse.request_server] needs the Source ID NYSE assigned: set "
                f"{server.source_id_env} (or `mdc credentials set {server.source_id_env}`), "
                "or remove request_server to run without retransmissions and refreshes"
            )
        host, port = parse_address(server.address)
        return RequestClient(
            host,
            port,
            Secret(source_id),
            self.settings.product_id,
            lambda *answer: self.feed.answered(*answer),
            server.heartbeat_timeout_s,
        )

    def _filter(self, symbol: str) -> tuple[bool, bool]:
        if self.settings.symbols_all:
            return True, True
        return self._wanted.get(symbol, (False, False))

    def received(self, channel: int, line: str, data: bytes) -> None:
        """One datagram (called by the event loop's datagram transport)."""
        ts = now_ns()
        state = self.state
        state.messages += 1
        state.last_message_ns = ts
        self.sink.raw(PROVIDER, ts, data)
        self.feed.packet(channel, line, data, ts)
        if self.feed.out and self._ready.empty():
            self._ready.put_nowait(None)

    async def run(self, symbols: list[SymbolConfig]) -> None:
        if not self.settings.channels:
            raise ProviderError(
                "[providers.nyse] channels is empty: list each channel's id and lines "
                "(group:port of line A and B), e.g. channels = [{id = 1, lines = "
                '["224.0.59.76:11076", "224.0.59.204:11076"]}]'
            )
        await self.subscribe(symbols)
        loop = asyncio.get_running_loop()
        transports: list[asyncio.BaseTransport] = []
        session: asyncio.Task[None] | None = None
        try:
            for channel in self.settings.channels:
                for index, text in enumerate(channel.lines):
                    group, port = parse_line(text)
                    sock = open_line(
                        group, port, self.settings.interface, self.settings.receive_buffer_mb
                    )
                    protocol = _Line(self, channel.id, LINE_NAMES[index])
                    transport, _ = await loop.create_datagram_endpoint(
                        partial(_same, protocol), sock=sock
                    )
                    transports.append(transport)
            state = self.state
            state.connected = True
            state.state = "joined"
            state.url = ", ".join(line for c in self.settings.channels for line in c.lines)
            state.since_ns = now_ns()
            tick = min(TICK_S_MAX, self.settings.gap_timeout_ms / 4000)
            if self.requests is not None:
                session = asyncio.create_task(self.requests.run())
            while True:
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(tick):  # (wait_for can swallow a cancel)
                        await self._ready.get()
                self.feed.tick(now_ns())
                await self._publish()
        finally:
            if session is not None:
                session.cancel()
                await asyncio.gather(session, return_exceptions=True)
            for opened in transports:
                opened.close()
            self.state.connected = False
            self.state.state = "stopped"
            await self._publish()

    async def _publish(self) -> None:
        events = self.feed.take()
        if events:
            state = self.state
            state.events += len(events)
            state.gaps += sum(1 for e in events if type(e) is Gap)
            state.bad_frames = self.feed.bad_packets + self.feed.bad_messages
            state.last_error = self.feed.last_error or state.last_error
            state.details = self._details()
            await self.sink.publish(events)
        else:
            self.state.details = self._details()

    def _details(self) -> dict[str, object]:
        details = self.feed.counters()
        if self.requests is not None:
            details["request_server"] = self.requests.counters()
        return details

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        for s in symbols:
            self._wanted[s.symbol] = (s.trades, s.depth)
            self.state.subscribed.add(s.symbol)
        self._refresh_filters()

    async def unsubscribe(self, symbols: list[str]) -> None:
        for name in symbols:
            self._wanted.pop(name, None)
            self.state.subscribed.discard(name)
        self._refresh_filters()

    async def resync(self, symbols: list[SymbolConfig]) -> None:
        """Books are rebuilt by the feed itself: from a refresh (requested from the Request
        Server when ``request_server`` is set) or a new day; the runtime has nothing to do."""

    def _refresh_filters(self) -> None:
        for sym in self.feed.symbols.values():
            trades, depth = self._filter(sym.symbol)
            if depth and not sym.depth:  # its orders were not tracked: unknown until a new day
                sym.book.clear()
                sym.book.trusted = False
            sym.trades, sym.depth = trades, depth
