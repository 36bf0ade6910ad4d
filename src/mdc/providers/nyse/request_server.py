"""The XDP Request Server session: retransmission and refresh requests over TCP, off by default.

Protocol (XDP Common Client Spec v2.3c, "Retransmission and Refresh"; layouts in
``messages.REQUEST_LAYOUTS`` with their sources and open questions): the client connects over
TCP and sends requests, each in a packet with the usual 16-byte header (the client numbers its
packets 1, 2, …). Every request names the client (``SourceID``, assigned by NYSE), the product
and the channel:

- **Retransmission Request** (10): ``BeginSeqNum``..``EndSeqNum`` of a channel;
- **Refresh Request** (15): one ``SymbolIndex``.

(The Symbol Index Mapping Request, 13, is in the layout table but not sent: how its answer is
sequenced on the retransmission line could not be confirmed, and the feed's mappings come from
the day's start, refreshes, or a seeded mapping file.)

The server answers each with a **Request Response** (11): the request packet's sequence number
and a ``Status`` (``0`` accepted, ``1``–``9`` the reason for a refusal). The packets themselves
come on the channel's **retransmission / refresh multicast lines** (delivery flags 13/15 and
17–20, or 21 with Message Unavailable), which the feed reads like its A and B lines — not over
this connection. The server sends heartbeats (packets without messages); the client answers each
with a **Heartbeat Response** (12) carrying its ``SourceID``, and a silent server
(``heartbeat_timeout_s``) is reconnected.

:class:`RequestClient` queues requests while disconnected and sends them once connected; what
the server answers goes to the feed (``XdpFeed.answered`` / ``refresh_refused``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final

from mdc.domain.backoff import backoff_delay
from mdc.domain.time import NS_PER_S, now_ns
from mdc.providers.credentials import Secret
from mdc.providers.nyse import messages as m

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S: Final = 5.0
RECONNECT_MAX_S: Final = 30.0
_RETRANSMIT = m.REQUEST_LAYOUTS[m.RETRANSMISSION_REQUEST]
_RESPONSE = m.REQUEST_LAYOUTS[m.REQUEST_RESPONSE]
_HEARTBEAT = m.REQUEST_LAYOUTS[m.HEARTBEAT_RESPONSE]
_REFRESH = m.REQUEST_LAYOUTS[m.REFRESH_REQUEST]


def encode(layout: m.Layout, *values: object) -> bytes:
    """One request-server message: its 4-byte header and body."""
    return m.MESSAGE_HEADER.pack(layout.size, layout.type) + layout.body.pack(*values)


def frame(seq: int, messages: list[bytes], send_ns: int, flag: int = m.ORIGINAL) -> bytes:
    """Messages in a packet with the 16-byte XDP header."""
    body = b"".join(messages)
    s, ns = divmod(send_ns, NS_PER_S)
    header = m.PACKET_HEADER.pack(m.PACKET_HEADER_SIZE + len(body), flag, len(messages), seq, s, ns)
    return header + body


async def read_packet(reader: asyncio.StreamReader) -> bytes:
    """One whole packet from a stream (header first, then ``PktSize`` − 16 bytes)."""
    header = await reader.readexactly(m.PACKET_HEADER_SIZE)
    size = m.PACKET_HEADER.unpack(header)[0]
    if size < m.PACKET_HEADER_SIZE:
        raise ValueError(f"PktSize {size} is smaller than the packet header")
    return header + await reader.readexactly(size - m.PACKET_HEADER_SIZE)


def messages_of(packet: bytes) -> list[tuple[int, bytes]]:
    """``(MsgType, message bytes)`` of every message of a packet."""
    count = m.PACKET_HEADER.unpack_from(packet, 0)[2]
    out = []
    offset = m.PACKET_HEADER_SIZE
    for _ in range(count):
        size, msg_type = m.MESSAGE_HEADER.unpack_from(packet, offset)
        if size < m.MESSAGE_HEADER_SIZE or offset + size > len(packet):
            raise ValueError(f"message type {msg_type}: bad MsgSize {size}")
        out.append((msg_type, packet[offset : offset + size]))
        offset += size
    return out


@dataclass
class Request:
    """One request the server has not answered yet."""

    kind: str
    """``retransmission`` or ``refresh``."""
    channel: int
    begin: int
    """First sequence number (retransmission) or the SymbolIndex (refresh)."""
    end: int = 0


Answer = Callable[[Request, bool, str], None]
"""(the request, accepted, why) — called for every Request Response."""


class RequestClient:
    """A reconnecting TCP session with one Request Server."""

    def __init__(
        self,
        host: str,
        port: int,
        source_id: Secret,
        product_id: int,
        on_answer: Answer,
        heartbeat_timeout_s: float = 15.0,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        raw = source_id.reveal().encode("ascii")
        if not 0 < len(raw) <= m.SOURCE_ID_SIZE:
            raise ValueError(f"source id must be 1..{m.SOURCE_ID_SIZE} ASCII characters")
        self.host, self.port = host, port
        self._source = raw
        self.product_id = product_id
        self.on_answer = on_answer
        self.heartbeat_timeout_s = heartbeat_timeout_s
        self.clock = clock
        self.seq = 1
        self.outbox: list[bytes] = []
        """Request packets not written yet (while disconnected)."""
        self.outstanding: dict[int, Request] = {}
        self._writer: asyncio.StreamWriter | None = None
        self.connected = False
        self.connects = 0
        self.sent = 0
        self.accepted = 0
        self.refused = 0
        self.heartbeats = 0
        self.bad_packets = 0
        self.last_error = ""

    # -- requests (called by the feed, synchronously) ----------------------------------------
    def retransmit(self, channel: int, begin: int, end: int) -> None:
        body = encode(_RETRANSMIT, begin, end, self._source, self.product_id, channel)
        self._send(Request("retransmission", channel, begin, end), body)

    def refresh(self, channel: int, symbol_index: int) -> None:
        body = encode(_REFRESH, symbol_index, self._source, self.product_id, channel)
        self._send(Request("refresh", channel, symbol_index), body)

    def _send(self, request: Request, message: bytes) -> None:
        seq = self.seq
        self.seq += 1
        self.outstanding[seq] = request
        self.outbox.append(frame(seq, [message], self.clock()))
        self._flush()

    def _flush(self) -> None:
        if self._writer is not None and self.outbox:
            for packet in self.outbox:
                self._writer.write(packet)
            self.sent += len(self.outbox)
            self.outbox.clear()

    def counters(self) -> dict[str, object]:
        """Plain counters for ``/api/providers`` (the source id is never among them)."""
        return {
            "server": f"{self.host}:{self.port}",
            "connected": self.connected,
            "connects": self.connects,
            "requests_sent": self.sent,
            "queued": len(self.outbox),
            "awaiting_answer": len(self.outstanding),
            "accepted": self.accepted,
            "refused": self.refused,
            "heartbeats": self.heartbeats,
            "bad_packets": self.bad_packets,
            "last_error": self.last_error,
        }

    # -- the session ------------------------------------------------------------------------
    async def run(self) -> None:
        """Connect, serve the session, reconnect with backoff; runs until cancelled."""
        attempt = 0
        while True:
            try:
                # asyncio.timeout, not wait_for: Python 3.11's wait_for can swallow a
                # cancellation that races a completed read, and the session never stops.
                async with asyncio.timeout(CONNECT_TIMEOUT_S):
                    reader, writer = await asyncio.open_connection(self.host, self.port)
            except (OSError, TimeoutError) as exc:
                attempt += 1
                self.last_error = f"cannot connect to {self.host}:{self.port}: {exc}"
                await asyncio.sleep(backoff_delay(attempt, 0.5, RECONNECT_MAX_S))
                continue
            attempt = 0
            self.connects += 1
            self.connected = True
            self._writer = writer
            try:
                self._flush()
                await self._serve(reader, writer)
            except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError) as exc:
                self.last_error = f"request server session ended: {exc!r}"
                log.warning("nyse: %s", self.last_error)
            finally:
                self.connected = False
                self._writer = None
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()
            await asyncio.sleep(backoff_delay(1, 0.5, RECONNECT_MAX_S))

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            async with asyncio.timeout(self.heartbeat_timeout_s):
                packet = await read_packet(reader)
            if m.PACKET_HEADER.unpack_from(packet, 0)[2] == 0:  # a heartbeat
                self.heartbeats += 1
                writer.write(frame(self.seq, [encode(_HEARTBEAT, self._source)], self.clock()))
                continue
            for msg_type, message in messages_of(packet):
                if msg_type == m.REQUEST_RESPONSE and len(message) >= _RESPONSE.size:
                    self._response(message)
                else:
                    self.bad_packets += 1
                    self.last_error = f"unexpected message type {msg_type} from request server"

    def _response(self, message: bytes) -> None:
        request_seq, _begin, _end, _source, _product, _channel, status = _RESPONSE.body.unpack_from(
            message, m.MESSAGE_HEADER_SIZE
        )
        request = self.outstanding.pop(request_seq, None)
        if request is None:
            self.bad_packets += 1
            self.last_error = f"Request Response for unknown request {request_seq}"
            return
        accepted = status == m.ACCEPTED
        why = m.RESPONSE_STATUS.get(status, f"status {status!r}")
        if accepted:
            self.accepted += 1
        else:
            self.refused += 1
            self.last_error = f"{request.kind} request on channel {request.channel}: {why}"
        self.on_answer(request, accepted, why)


def parse_address(text: str) -> tuple[str, int]:
    """``host:port`` of a Request Server."""
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"expected host:port such as 10.0.0.5:9000, got {text!r}")
    return host, int(port)
