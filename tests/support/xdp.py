"""A packet builder for XDP Integrated feed tests, written from the spec tables by offset.

Each message function places every field at the byte offset the XDP Common Client Spec v2.3c /
Integrated Feed Client Spec v2.3a give it (offsets count from the start of the message, header
included), independently of the decoder's ``struct`` table — so a wrong layout in either one
fails the tests. :class:`Market` drives a day: it numbers packets per channel, keeps its own
books (orders and levels per symbol), trade counts and volumes, and writes pcap files.
"""

from __future__ import annotations

import random
import shutil
import socket
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

Field = tuple[int, str, object]
"""(offset, struct code, value)."""


def message(size: int, msg_type: int, fields: list[Field]) -> bytes:
    buf = bytearray(size)
    struct.pack_into("<HH", buf, 0, size, msg_type)  # MsgSize @0, MsgType @2
    for offset, code, value in fields:
        struct.pack_into("<" + code, buf, offset, value)
    return bytes(buf)


def packet(seq: int, messages: list[bytes], send_ns: int, flag: int = 11) -> bytes:
    """Packet header: PktSize u16 @0, DeliveryFlag u8 @2, NumberMsgs u8 @3, SeqNum u32 @4,
    SendTime u32 @8 (s), SendTimeNS u32 @12."""
    body = b"".join(messages)
    size = 16 + len(body)
    s, ns = divmod(send_ns, 1_000_000_000)
    return struct.pack("<HBBIII", size, flag, len(messages), seq, s, ns) + body


def heartbeat(seq: int, send_ns: int) -> bytes:
    return packet(seq, [], send_ns, flag=1)


# -- one function per message type (offsets from the spec tables) ---------------------------


def sequence_number_reset(source_ns: int, product_id: int, channel_id: int) -> bytes:
    s, ns = divmod(source_ns, 1_000_000_000)
    # SourceTime @4, SourceTimeNS @8, ProductID @12, ChannelID @13 → 14
    return message(14, 1, [(4, "I", s), (8, "I", ns), (12, "B", product_id), (13, "B", channel_id)])


def source_time_reference(partition: int, seconds: int) -> bytes:
    # ID @4, SymbolSeqNum @8 (reserved), SourceTime @12 → 16
    return message(16, 2, [(4, "I", partition), (8, "I", 0), (12, "I", seconds)])


def symbol_index_mapping(
    index: int, symbol: str, scale: int, market_id: int = 1, system_id: int = 1
) -> bytes:
    # SymbolIndex @4, Symbol 11s @8, reserved @19, MarketID u16 @20, SystemID @22,
    # ExchangeCode @23, PriceScaleCode @24, SecurityType @25, LotSize u16 @26,
    # PrevClosePrice @28, PrevCloseVolume @32, PriceResolution @36, RoundLot @37,
    # MPV u16 @38, UnitOfTrade u16 @40, reserved @42 → 44
    return message(
        44,
        3,
        [
            (4, "I", index),
            (8, "11s", symbol.encode()),
            (20, "H", market_id),
            (22, "B", system_id),
            (23, "c", b"N"),
            (24, "B", scale),
            (25, "c", b"A"),
            (26, "H", 100),
            (28, "I", 0),
            (32, "I", 0),
            (36, "B", 0),
            (37, "c", b"Y"),
            (38, "H", 1),
            (40, "H", 100),
        ],
    )


def symbol_clear(source_ns: int, index: int, next_seq: int) -> bytes:
    s, ns = divmod(source_ns, 1_000_000_000)
    # SourceTime @4, SourceTimeNS @8, SymbolIndex @12, NextSourceSeqNum @16 → 20
    return message(20, 32, [(4, "I", s), (8, "I", ns), (12, "I", index), (16, "I", next_seq)])


def security_status(
    source_ns: int, index: int, sseq: int, status: bytes, halt: bytes = b"~"
) -> bytes:
    s, ns = divmod(source_ns, 1_000_000_000)
    # SourceTime @4, SourceTimeNS @8, SymbolIndex @12, SymbolSeqNum @16, SecurityStatus @20,
    # HaltCondition @21, reserved 4 @22, Price1 @26, Price2 @30, SSRTriggeringExchangeID @34,
    # SSRTriggeringVolume @35, Time @39, SSRState @43, MarketState @44, SessionState @45 → 46
    return message(
        46,
        34,
        [
            (4, "I", s),
            (8, "I", ns),
            (12, "I", index),
            (16, "I", sseq),
            (20, "c", status),
            (21, "c", halt),
            (26, "I", 0),
            (30, "I", 0),
            (34, "c", b" "),
            (35, "I", 0),
            (39, "I", 93000000),
            (43, "c", b"~"),
            (44, "c", b"O"),
            (45, "c", b" "),
        ],
    )


def add_order(
    ns: int, index: int, sseq: int, order_id: int, price: int, volume: int, side: bytes
) -> bytes:
    # SourceTimeNS @4, SymbolIndex @8, SymbolSeqNum @12, OrderID u64 @16, Price @24,
    # Volume @28, Side @32, FirmID 5s @33, NumParitySplits @38 → 39
    return message(
        39,
        100,
        [
            (4, "I", ns),
            (8, "I", index),
            (12, "I", sseq),
            (16, "Q", order_id),
            (24, "I", price),
            (28, "I", volume),
            (32, "c", side),
            (33, "5s", b""),
            (38, "B", 1),
        ],
    )


def modify_order(ns: int, index: int, sseq: int, order_id: int, price: int, volume: int) -> bytes:
    # ... OrderID @16, Price @24, Volume @28, PositionChange @32, PrevPriceParitySplits @33,
    # NewPriceParitySplits @34 → 35
    return message(
        35,
        101,
        [
            (4, "I", ns),
            (8, "I", index),
            (12, "I", sseq),
            (16, "Q", order_id),
            (24, "I", price),
            (28, "I", volume),
            (32, "B", 0),
            (33, "B", 1),
            (34, "B", 1),
        ],
    )


def delete_order(ns: int, index: int, sseq: int, order_id: int) -> bytes:
    # ... OrderID @16, NumParitySplits @24 → 25
    return message(
        25, 102, [(4, "I", ns), (8, "I", index), (12, "I", sseq), (16, "Q", order_id), (24, "B", 0)]
    )


def order_execution(
    ns: int, index: int, sseq: int, order_id: int, trade_id: int, price: int, volume: int
) -> bytes:
    # ... OrderID @16, TradeID @24, Price @28, Volume @32, PrintableFlag @36,
    # NumParitySplits @37, DBExecID @38 → 42
    return message(
        42,
        103,
        [
            (4, "I", ns),
            (8, "I", index),
            (12, "I", sseq),
            (16, "Q", order_id),
            (24, "I", trade_id),
            (28, "I", price),
            (32, "I", volume),
            (36, "B", 1),
            (37, "B", 0),
            (38, "I", trade_id + 7),
        ],
    )


def replace_order(
    ns: int, index: int, sseq: int, order_id: int, new_id: int, price: int, volume: int
) -> bytes:
    # ... OrderID @16, NewOrderID @24, Price @32, Volume @36, PrevPriceParitySplits @40,
    # NewPriceParitySplits @41 → 42
    return message(
        42,
        104,
        [
            (4, "I", ns),
            (8, "I", index),
            (12, "I", sseq),
            (16, "Q", order_id),
            (24, "Q", new_id),
            (32, "I", price),
            (36, "I", volume),
            (40, "B", 1),
            (41, "B", 1),
        ],
    )


def imbalance(source_ns: int, index: int, sseq: int, ref: int, total: int, side: bytes) -> bytes:
    s, ns = divmod(source_ns, 1_000_000_000)
    # SourceTime @4, SourceTimeNS @8, SymbolIndex @12, SymbolSeqNum @16, ReferencePrice @20,
    # PairedQty @24, TotalImbalanceQty @28, MarketImbalanceQty @32, AuctionTime u16 @36,
    # AuctionType @38, ImbalanceSide @39, ContinuousBookClearingPrice @40,
    # AuctionInterestClearingPrice @44, SSRFilingPrice @48, IndicativeMatchPrice @52,
    # UpperCollar @56, LowerCollar @60, AuctionStatus @64, FreezeStatus @65,
    # NumExtensions @66, UnpairedQty @67, UnpairedSide @71, SignificantImbalance @72 → 73
    return message(
        73,
        105,
        [
            (4, "I", s),
            (8, "I", ns),
            (12, "I", index),
            (16, "I", sseq),
            (20, "I", ref),
            (24, "I", 5000),
            (28, "I", total),
            (32, "I", 0),
            (36, "H", 1600),
            (38, "c", b"C"),
            (39, "c", side),
            (40, "I", ref),
            (44, "I", 0),
            (48, "I", 0),
            (52, "I", ref),
            (56, "I", ref + 100),
            (60, "I", ref - 100),
            (64, "B", 0),
            (65, "B", 0),
            (66, "B", 0),
            (67, "I", 250),
            (71, "c", side),
            (72, "c", b"Y"),
        ],
    )


def non_displayed_trade(
    ns: int, index: int, sseq: int, trade_id: int, price: int, volume: int
) -> bytes:
    # SourceTimeNS @4, SymbolIndex @8, SymbolSeqNum @12, TradeID @16, Price @20, Volume @24,
    # PrintableFlag @28, DBExecID @29 → 33
    return message(
        33,
        110,
        [
            (4, "I", ns),
            (8, "I", index),
            (12, "I", sseq),
            (16, "I", trade_id),
            (20, "I", price),
            (24, "I", volume),
            (28, "B", 1),
            (29, "I", 0),
        ],
    )


def cross_trade(ns: int, index: int, sseq: int, cross_id: int, price: int, volume: int) -> bytes:
    # ... CrossID @16, Price @20, Volume @24, CrossType @28 → 29
    return message(
        29,
        111,
        [
            (4, "I", ns),
            (8, "I", index),
            (12, "I", sseq),
            (16, "I", cross_id),
            (20, "I", price),
            (24, "I", volume),
            (28, "c", b"6"),
        ],
    )


def trade_cancel(ns: int, index: int, sseq: int, trade_id: int) -> bytes:
    # ... TradeID @16 → 20
    return message(20, 112, [(4, "I", ns), (8, "I", index), (12, "I", sseq), (16, "I", trade_id)])


def cross_correction(ns: int, index: int, sseq: int, cross_id: int, volume: int) -> bytes:
    # ... CrossID @16, Volume @20 → 24
    return message(
        24,
        113,
        [(4, "I", ns), (8, "I", index), (12, "I", sseq), (16, "I", cross_id), (20, "I", volume)],
    )


# -- a trading day with its own bookkeeping -------------------------------------------------


@dataclass
class Book:
    orders: dict[int, tuple[bool, int, int]] = field(default_factory=dict)

    def levels(self, is_bid: bool, divisor: int) -> list[tuple[float, float]]:
        totals: dict[int, int] = {}
        for b, price, volume in self.orders.values():
            if b == is_bid:
                totals[price] = totals.get(price, 0) + volume
        return [(p / divisor, float(v)) for p, v in sorted(totals.items(), reverse=is_bid)]


@dataclass
class Listing:
    index: int
    symbol: str
    scale: int
    book: Book = field(default_factory=Book)
    sseq: int = 0
    trades: int = 0
    volume: int = 0

    @property
    def divisor(self) -> int:
        return 10**self.scale


class Market:
    """A random but seeded day on one channel: packets in order, with exact expectations."""

    def __init__(self, seed: int, symbols: dict[str, int], channel: int = 1) -> None:
        self.rng = random.Random(seed)
        self.channel = channel
        self.listings = {
            name: Listing(i + 1, name, scale) for i, (name, scale) in enumerate(symbols.items())
        }
        self.seq = 1
        self.packets: list[bytes] = []
        self.second = 1_764_000_000  # 2025-11-24 (UTC seconds)
        self.ns = 0
        self.next_order = 1000
        self.next_trade = 1
        self.batch: list[bytes] = []

    def _send(self, msgs: list[bytes], flag: int = 11) -> None:
        self.packets.append(packet(self.seq, msgs, self.second * 10**9 + self.ns + 5000, flag))
        self.seq += len(msgs)

    def _tick(self) -> int:
        self.ns += self.rng.randint(1, 20_000)
        if self.ns >= 10**9:
            self.ns -= 10**9
            self.second += 1
            self.batch.append(source_time_reference(1, self.second))
        return self.ns

    def open(self) -> None:
        self._send([sequence_number_reset(self.second * 10**9, 11, self.channel)], flag=12)
        self._send([source_time_reference(1, self.second)])
        self._send(
            [symbol_index_mapping(x.index, x.symbol, x.scale) for x in self.listings.values()]
        )

    def _next(self, x: Listing) -> int:
        x.sseq += 1
        return x.sseq

    def step(self) -> None:
        """One random book or trade message into :attr:`batch` (and the builder's books)."""
        self.batch.extend(self._step())

    def _step(self) -> list[bytes]:
        x = self.rng.choice(list(self.listings.values()))
        ns = self._tick()
        book = x.book
        base = 100 * x.divisor
        roll = self.rng.random()
        if not book.orders or roll < 0.4:
            is_bid = self.rng.random() < 0.5
            price = base - self.rng.randint(1, 20) if is_bid else base + self.rng.randint(0, 20)
            volume = self.rng.randint(1, 50) * 100
            order_id = self.next_order
            self.next_order += 1
            book.orders[order_id] = (is_bid, price, volume)
            return [
                add_order(
                    ns, x.index, self._next(x), order_id, price, volume, b"B" if is_bid else b"S"
                )
            ]
        order_id = self.rng.choice(list(book.orders))
        is_bid, price, volume = book.orders[order_id]
        if roll < 0.55:
            new_volume = max(100, volume + self.rng.choice((-100, 100, 200)))
            new_price = price + self.rng.choice((0, 0, 1, -1))
            book.orders[order_id] = (is_bid, new_price, new_volume)
            return [modify_order(ns, x.index, self._next(x), order_id, new_price, new_volume)]
        if roll < 0.7:
            del book.orders[order_id]
            return [delete_order(ns, x.index, self._next(x), order_id)]
        if roll < 0.8:
            new_id = self.next_order
            self.next_order += 1
            new_price = price + self.rng.choice((1, -1, 2))
            new_volume = self.rng.randint(1, 30) * 100
            del book.orders[order_id]
            book.orders[new_id] = (is_bid, new_price, new_volume)
            return [
                replace_order(ns, x.index, self._next(x), order_id, new_id, new_price, new_volume)
            ]
        if roll < 0.95:
            traded = min(volume, self.rng.randint(1, 10) * 100)
            left = volume - traded
            if left:
                book.orders[order_id] = (is_bid, price, left)
            else:
                del book.orders[order_id]
            trade_id = self.next_trade
            self.next_trade += 1
            x.trades += 1
            x.volume += traded
            return [order_execution(ns, x.index, self._next(x), order_id, trade_id, price, traded)]
        trade_id = self.next_trade
        self.next_trade += 1
        x.trades += 1
        x.volume += 300
        return [non_displayed_trade(ns, x.index, self._next(x), trade_id, base, 300)]

    def run(self, messages: int, per_packet: int = 4) -> None:
        """``messages`` random messages, ``per_packet`` (at most) to a packet."""
        for _ in range(messages):
            self.step()
            if len(self.batch) >= per_packet:
                self._send(self.batch)
                self.batch = []
        if self.batch:
            self._send(self.batch)
            self.batch = []

    def send(self, msgs: list[bytes], flag: int = 11) -> None:
        self._send(msgs, flag)


def write_pcap(path: Path, frames: list[tuple[int, str, int, bytes]]) -> None:
    """A classic microsecond pcap (Ethernet) of UDP datagrams (ts_ns, dst group, port, payload)."""
    out = bytearray(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for ts_ns, group, port, payload in frames:
        udp = struct.pack(">HHHH", 40000, port, 8 + len(payload), 0) + payload
        total = 20 + len(udp)
        ip = struct.pack(
            ">BBHHHBBH4s4s",
            0x45,
            0,
            total,
            0,
            0x4000,
            1,
            17,
            0,
            bytes([10, 0, 0, 1]),
            bytes(int(b) for b in group.split(".")),
        )
        mac = bytes([1, 0, 0x5E]) + bytes(int(b) for b in group.split("."))[1:]
        frame = mac + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + ip + udp
        s, us = divmod(ts_ns // 1000, 1_000_000)
        out += struct.pack("<IIII", s, us, len(frame), len(frame)) + frame
    path.write_bytes(bytes(out))


def ensure_loopback_multicast() -> None:
    """lo needs the MULTICAST flag on some kernels; set it (tests run as root). A machine that
    still cannot loop multicast back makes the tests fail, never skip."""
    ip = shutil.which("ip")
    assert ip is not None, "the ip command (iproute2) is needed to enable multicast on lo"
    flags = subprocess.run([ip, "link", "show", "lo"], capture_output=True, text=True).stdout
    if "MULTICAST" not in flags:
        subprocess.run([ip, "link", "set", "lo", "multicast", "on"], check=True)


def multicast_sender() -> socket.socket:
    """A socket that sends to multicast groups on 127.0.0.1 only (TTL 0, loopback on)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_UDP)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton("127.0.0.1"))
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_LOOP, 1)
    sock.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 0)
    return sock
