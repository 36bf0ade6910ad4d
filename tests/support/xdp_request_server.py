"""A local stand-in for an XDP Request Server (TCP), answering as the Common Client Spec says.

It reads request packets by the spec offsets of ``tests/support/xdp.py`` (not the client's
tables), checks the SourceID, product and channel, answers each request with a Request Response
carrying the request packet's sequence number, heartbeats the client and counts its Heartbeat
Responses. What a real server multicasts on the retransmission / refresh lines goes to
``publish(channel, packet)``; tests decide when those packets reach the feed.

Policies per request kind: ``"serve"`` (accept and publish), ``"unavailable"`` (accept, then a
Message Unavailable packet, delivery flag 21) or a refusal status byte (``b"3"`` …).
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support import xdp

Publish = Callable[[int, bytes], None]
Orders = dict[int, dict[int, tuple[bool, int, int]]]


@dataclass
class StandInServer:
    market: xdp.Market
    publish: Publish
    source_id: str
    product_id: int = 11
    heartbeat_s: float = 0.05
    retransmission: bytes | str = "serve"
    refresh: bytes | str = "serve"
    refresh_state: tuple[int, Orders] | None = None
    """(LastSeqNum, orders per SymbolIndex) a refresh reflects; the market's state when None."""
    requests: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    heartbeat_responses: int = 0
    errors: list[str] = field(default_factory=list)
    port: int = 0

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        self._server.close()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._server.wait_closed(), 1)

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        beat = asyncio.create_task(self._heartbeats(writer))
        try:
            while True:
                header = await reader.readexactly(16)
                size, _flag, count, seq = struct.unpack_from("<HBBI", header, 0)
                body = await reader.readexactly(size - 16)
                offset = 0
                for _ in range(count):
                    msg_size, msg_type = struct.unpack_from("<HH", body, offset)
                    self._request(writer, seq, msg_type, body[offset : offset + msg_size])
                    offset += msg_size
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            beat.cancel()
            writer.close()

    async def _heartbeats(self, writer: asyncio.StreamWriter) -> None:
        seq = 1
        while True:
            await asyncio.sleep(self.heartbeat_s)
            writer.write(xdp.heartbeat(seq, 0))  # a packet of no messages
            await writer.drain()

    def _check(self, fields: dict[str, object], channel_key: str = "channel") -> bytes | None:
        if fields["source"] != self.source_id.encode().ljust(10, b"\0"):
            return b"1"
        if fields["product"] != self.product_id:
            return b"8"
        if fields[channel_key] != self.market.channel:
            return b"7"
        return None

    def _request(self, writer: asyncio.StreamWriter, seq: int, msg_type: int, msg: bytes) -> None:
        if msg_type == 12:
            fields = xdp.HEARTBEAT_RESPONSE.decode(msg)
            if fields["source"] == self.source_id.encode().ljust(10, b"\0"):
                self.heartbeat_responses += 1
            else:
                self.errors.append(f"heartbeat response from {fields['source']!r}")
            return
        if msg_type == 10:
            fields = xdp.RETRANSMISSION_REQUEST.decode(msg)
            self.requests.append(("retransmission", fields))
            begin, end = fields["begin"], fields["end"]
            assert isinstance(begin, int) and isinstance(end, int)
            policy = self.retransmission
            ref = (begin, end)
        elif msg_type == 15:
            fields = xdp.REFRESH_REQUEST.decode(msg)
            self.requests.append(("refresh", fields))
            policy = self.refresh
            index = fields["index"]
            assert isinstance(index, int)
            ref = (index, 0)
        else:
            self.errors.append(f"unexpected request type {msg_type}")
            return
        status = self._check(fields) or (policy if isinstance(policy, bytes) else b"0")
        writer.write(
            xdp.packet(
                seq,
                [
                    xdp.REQUEST_RESPONSE(
                        request_seq=seq,
                        begin=ref[0],
                        end=ref[1],
                        source=self.source_id.encode(),
                        product=self.product_id,
                        channel=self.market.channel,
                        status=status,
                    )
                ],
                0,
            )
        )
        if status != b"0":
            return
        channel = self.market.channel
        if msg_type == 10 and policy == "unavailable":
            gone = xdp.MESSAGE_UNAVAILABLE(
                begin=ref[0], end=ref[1], product=self.product_id, channel=channel
            )
            self.publish(channel, xdp.packet(1, [gone], 0, flag=21))
        elif msg_type == 10:
            for data in xdp.retransmitted(self.market.packets, ref[0], ref[1]):
                self.publish(channel, data)
        else:
            last_seq, orders = self.refresh_state or self.market.snapshot()
            listing = self.market.by_index[ref[0]]
            for data in xdp.refresh_packets([listing], orders, last_seq, 0):
                self.publish(channel, data)
