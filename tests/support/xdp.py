"""A packet builder for XDP Integrated feed tests, written from the spec tables by offset.

Each message is written down once, as the spec's field table: ``name:code@offset`` per field
(offsets count from the start of the message, header included, as in the XDP Common Client Spec
v2.3c / Integrated Feed Client Spec v2.3a), independently of the decoder's ``struct`` table — so
a wrong layout in either one fails the tests. :class:`Market` drives a day: it numbers packets
per channel, keeps its own books (orders and levels per symbol), trade counts and volumes, and
writes pcap files.
"""

from __future__ import annotations

import random
import shutil
import socket
import struct
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Spec:
    """One message type as its spec table: MsgSize, MsgType and ``name:code@offset`` fields."""

    size: int
    type: int
    table: str

    def fields(self) -> list[tuple[str, str, int]]:
        out = []
        for item in self.table.split():
            name, _, rest = item.partition(":")
            code, _, offset = rest.partition("@")
            out.append((name, code, int(offset)))
        return out

    def __call__(self, **values: object) -> bytes:
        buf = bytearray(self.size)
        struct.pack_into("<HH", buf, 0, self.size, self.type)  # MsgSize @0, MsgType @2
        for name, code, offset in self.fields():
            struct.pack_into("<" + code, buf, offset, values.pop(name))
        assert not values, f"type {self.type}: no field for {sorted(values)}"
        return bytes(buf)

    def decode(self, message: bytes) -> dict[str, object]:
        """The fields of one message of this type (its header checked)."""
        size, msg_type = struct.unpack_from("<HH", message, 0)
        assert (size, msg_type) == (self.size, self.type), (size, msg_type)
        return {
            name: struct.unpack_from("<" + code, message, offset)[0]
            for name, code, offset in self.fields()
        }


_BOOK = "ns:I@4 index:I@8 sseq:I@12"
"""SourceTimeNS, SymbolIndex, SymbolSeqNum: how every book and trade message starts."""
_TIMED = "s:I@4 ns:I@8"
"""SourceTime (s), SourceTimeNS: messages that carry the full time."""

SEQUENCE_NUMBER_RESET = Spec(14, 1, f"{_TIMED} product:B@12 channel:B@13")
SOURCE_TIME_REFERENCE = Spec(16, 2, "id:I@4 sseq:I@8 seconds:I@12")
SYMBOL_INDEX_MAPPING = Spec(
    44,
    3,
    "index:I@4 symbol:11s@8 market:H@20 system:B@22 exchange:c@23 scale:B@24 type:c@25 "
    "lot:H@26 prev_close:I@28 prev_volume:I@32 resolution:B@36 round_lot:c@37 mpv:H@38 "
    "uot:H@40",  # reserved @19 and @42..43
)
SYMBOL_CLEAR = Spec(20, 32, f"{_TIMED} index:I@12 next_seq:I@16")
SECURITY_STATUS = Spec(
    46,
    34,
    f"{_TIMED} index:I@12 sseq:I@16 status:c@20 halt:c@21 price1:I@26 price2:I@30 "
    "ssr_exchange:c@34 ssr_volume:I@35 time:I@39 ssr_state:c@43 market_state:c@44 "
    "session:c@45",  # reserved 4 @22
)
ADD_ORDER = Spec(
    39, 100, f"{_BOOK} order:Q@16 price:I@24 volume:I@28 side:c@32 firm:5s@33 splits:B@38"
)
MODIFY_ORDER = Spec(
    35, 101, f"{_BOOK} order:Q@16 price:I@24 volume:I@28 position:B@32 prev:B@33 new:B@34"
)
DELETE_ORDER = Spec(25, 102, f"{_BOOK} order:Q@16 splits:B@24")
ORDER_EXECUTION = Spec(
    42,
    103,
    f"{_BOOK} order:Q@16 trade:I@24 price:I@28 volume:I@32 printable:B@36 splits:B@37 db:I@38",
)
REPLACE_ORDER = Spec(
    42, 104, f"{_BOOK} order:Q@16 new_order:Q@24 price:I@32 volume:I@36 prev:B@40 new:B@41"
)
IMBALANCE = Spec(
    73,
    105,
    f"{_TIMED} index:I@12 sseq:I@16 ref:I@20 paired:I@24 total:I@28 market:I@32 "
    "auction_time:H@36 auction_type:c@38 side:c@39 book_clearing:I@40 interest_clearing:I@44 "
    "ssr_filing:I@48 match:I@52 upper:I@56 lower:I@60 status:B@64 freeze:B@65 "
    "extensions:B@66 unpaired:I@67 unpaired_side:c@71 significant:c@72",
)
ADD_ORDER_REFRESH = Spec(
    43,
    106,
    f"{_TIMED} index:I@12 sseq:I@16 order:Q@20 price:I@28 volume:I@32 side:c@36 firm:5s@37 "
    "splits:B@42",
)
NON_DISPLAYED_TRADE = Spec(
    33, 110, f"{_BOOK} trade:I@16 price:I@20 volume:I@24 printable:B@28 db:I@29"
)
CROSS_TRADE = Spec(29, 111, f"{_BOOK} cross:I@16 price:I@20 volume:I@24 cross_type:c@28")
TRADE_CANCEL = Spec(20, 112, f"{_BOOK} trade:I@16")
CROSS_CORRECTION = Spec(24, 113, f"{_BOOK} cross:I@16 volume:I@20")
MESSAGE_UNAVAILABLE = Spec(14, 31, "begin:I@4 end:I@8 product:B@12 channel:B@13")
REFRESH_HEADER = Spec(16, 35, "current:H@4 total:H@6 last_seq:I@8 last_sseq:I@12")
# Request Server messages (Common v2.3c), SourceID 10 bytes NUL-padded.
RETRANSMISSION_REQUEST = Spec(24, 10, "begin:I@4 end:I@8 source:10s@12 product:B@22 channel:B@23")
REQUEST_RESPONSE = Spec(
    29,
    11,
    "request_seq:I@4 begin:I@8 end:I@12 source:10s@16 product:B@26 channel:B@27 status:c@28",
)
HEARTBEAT_RESPONSE = Spec(14, 12, "source:10s@4")
SYMBOL_INDEX_MAPPING_REQUEST = Spec(
    21, 13, "index:I@4 source:10s@8 product:B@18 channel:B@19 method:B@20"
)
REFRESH_REQUEST = Spec(20, 15, "index:I@4 source:10s@8 product:B@18 channel:B@19")


def packet(seq: int, messages: list[bytes], send_ns: int, flag: int = 11) -> bytes:
    """Packet header: PktSize u16 @0, DeliveryFlag u8 @2, NumberMsgs u8 @3, SeqNum u32 @4,
    SendTime u32 @8 (s), SendTimeNS u32 @12."""
    body = b"".join(messages)
    size = 16 + len(body)
    s, ns = divmod(send_ns, 1_000_000_000)
    return struct.pack("<HBBIII", size, flag, len(messages), seq, s, ns) + body


def heartbeat(seq: int, send_ns: int) -> bytes:
    return packet(seq, [], send_ns, flag=1)


def _split(source_ns: int) -> dict[str, int]:
    s, ns = divmod(source_ns, 1_000_000_000)
    return {"s": s, "ns": ns}


# -- one function per message type ----------------------------------------------------------


def sequence_number_reset(source_ns: int, product_id: int, channel_id: int) -> bytes:
    return SEQUENCE_NUMBER_RESET(**_split(source_ns), product=product_id, channel=channel_id)


def source_time_reference(partition: int, seconds: int) -> bytes:
    return SOURCE_TIME_REFERENCE(id=partition, sseq=0, seconds=seconds)


def symbol_index_mapping(
    index: int, symbol: str, scale: int, market_id: int = 1, system_id: int = 1
) -> bytes:
    return SYMBOL_INDEX_MAPPING(
        index=index,
        symbol=symbol.encode(),
        market=market_id,
        system=system_id,
        exchange=b"N",
        scale=scale,
        type=b"A",
        lot=100,
        prev_close=0,
        prev_volume=0,
        resolution=0,
        round_lot=b"Y",
        mpv=1,
        uot=100,
    )


def symbol_clear(source_ns: int, index: int, next_seq: int) -> bytes:
    return SYMBOL_CLEAR(**_split(source_ns), index=index, next_seq=next_seq)


def security_status(
    source_ns: int, index: int, sseq: int, status: bytes, halt: bytes = b"~"
) -> bytes:
    return SECURITY_STATUS(
        **_split(source_ns),
        index=index,
        sseq=sseq,
        status=status,
        halt=halt,
        price1=0,
        price2=0,
        ssr_exchange=b" ",
        ssr_volume=0,
        time=93000000,
        ssr_state=b"~",
        market_state=b"O",
        session=b" ",
    )


def add_order(
    ns: int, index: int, sseq: int, order_id: int, price: int, volume: int, side: bytes
) -> bytes:
    return ADD_ORDER(
        ns=ns,
        index=index,
        sseq=sseq,
        order=order_id,
        price=price,
        volume=volume,
        side=side,
        firm=b"",
        splits=1,
    )


def modify_order(ns: int, index: int, sseq: int, order_id: int, price: int, volume: int) -> bytes:
    return MODIFY_ORDER(
        ns=ns, index=index, sseq=sseq, order=order_id, price=price, volume=volume, position=0,
        prev=1, new=1,
    )  # fmt: skip


def delete_order(ns: int, index: int, sseq: int, order_id: int) -> bytes:
    return DELETE_ORDER(ns=ns, index=index, sseq=sseq, order=order_id, splits=0)


def order_execution(
    ns: int, index: int, sseq: int, order_id: int, trade_id: int, price: int, volume: int
) -> bytes:
    return ORDER_EXECUTION(
        ns=ns, index=index, sseq=sseq, order=order_id, trade=trade_id, price=price,
        volume=volume, printable=1, splits=0, db=trade_id + 7,
    )  # fmt: skip


def replace_order(
    ns: int, index: int, sseq: int, order_id: int, new_id: int, price: int, volume: int
) -> bytes:
    return REPLACE_ORDER(
        ns=ns, index=index, sseq=sseq, order=order_id, new_order=new_id, price=price,
        volume=volume, prev=1, new=1,
    )  # fmt: skip


def imbalance(source_ns: int, index: int, sseq: int, ref: int, total: int, side: bytes) -> bytes:
    return IMBALANCE(
        **_split(source_ns), index=index, sseq=sseq, ref=ref, paired=5000, total=total,
        market=0, auction_time=1600, auction_type=b"C", side=side, book_clearing=ref,
        interest_clearing=0, ssr_filing=0, match=ref, upper=ref + 100, lower=ref - 100,
        status=0, freeze=0, extensions=0, unpaired=250, unpaired_side=side, significant=b"Y",
    )  # fmt: skip


def add_order_refresh(
    source_ns: int, index: int, sseq: int, order_id: int, price: int, volume: int, side: bytes
) -> bytes:
    return ADD_ORDER_REFRESH(
        **_split(source_ns), index=index, sseq=sseq, order=order_id, price=price,
        volume=volume, side=side, firm=b"", splits=1,
    )  # fmt: skip


def non_displayed_trade(
    ns: int, index: int, sseq: int, trade_id: int, price: int, volume: int
) -> bytes:
    return NON_DISPLAYED_TRADE(
        ns=ns, index=index, sseq=sseq, trade=trade_id, price=price, volume=volume,
        printable=1, db=0,
    )  # fmt: skip


def cross_trade(ns: int, index: int, sseq: int, cross_id: int, price: int, volume: int) -> bytes:
    return CROSS_TRADE(
        ns=ns, index=index, sseq=sseq, cross=cross_id, price=price, volume=volume,
        cross_type=b"6",
    )  # fmt: skip


def trade_cancel(ns: int, index: int, sseq: int, trade_id: int) -> bytes:
    return TRADE_CANCEL(ns=ns, index=index, sseq=sseq, trade=trade_id)


def cross_correction(ns: int, index: int, sseq: int, cross_id: int, volume: int) -> bytes:
    return CROSS_CORRECTION(ns=ns, index=index, sseq=sseq, cross=cross_id, volume=volume)


# -- a trading day with its own bookkeeping -------------------------------------------------

ACTIONS = {100: "add", 101: "modify", 102: "delete", 103: "execute", 104: "replace"}


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
    actions: Counter[str] = field(default_factory=Counter)
    """Order messages sent, by L3 action (add, modify, delete, replace, execute)."""

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
        self.by_index = {x.index: x for x in self.listings.values()}
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
        for msg in self._step():
            action = ACTIONS.get(int.from_bytes(msg[2:4], "little"))
            if action is not None:
                self.by_index[int.from_bytes(msg[8:12], "little")].actions[action] += 1
            self.batch.append(msg)

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

    def snapshot(self) -> tuple[int, dict[int, dict[int, tuple[bool, int, int]]]]:
        """(last sequence number sent, SymbolIndex → a copy of its orders) — what a refresh
        taken now reflects."""
        return self.seq - 1, {x.index: dict(x.book.orders) for x in self.listings.values()}


def refresh_packets(
    listings: list[Listing],
    orders: dict[int, dict[int, tuple[bool, int, int]]],
    last_seq: int,
    send_ns: int,
    per_packet: int = 20,
) -> list[bytes]:
    """A refresh of ``listings`` as the spec orders it (per symbol: Symbol Index Mapping,
    Security Status, one Add Order Refresh per order), each packet opened by a Refresh Header;
    delivery flag 17 for a single packet, else 18 / 19 … / 20."""
    body: list[bytes] = []
    for x in listings:
        body.append(symbol_index_mapping(x.index, x.symbol, x.scale))
        body.append(security_status(send_ns, x.index, x.sseq, b"O"))
        for order_id, (is_bid, price, volume) in sorted(orders[x.index].items()):
            side = b"B" if is_bid else b"S"
            body.append(add_order_refresh(send_ns, x.index, x.sseq, order_id, price, volume, side))
    chunks = [body[i : i + per_packet] for i in range(0, len(body), per_packet)] or [[]]
    out = []
    for n, chunk in enumerate(chunks, 1):
        head = REFRESH_HEADER(current=n, total=len(chunks), last_seq=last_seq, last_sseq=0)
        flag = 17 if len(chunks) == 1 else 18 if n == 1 else 20 if n == len(chunks) else 19
        out.append(packet(n, [head, *chunk], send_ns, flag))
    return out


def retransmitted(packets: list[bytes], begin: int, end: int) -> list[bytes]:
    """The original packets holding ``begin..end``, re-flagged 13 (one) or 15 (part of many)."""
    chosen = []
    for data in packets:
        count, seq = data[3], int.from_bytes(data[4:8], "little")
        if count and seq <= end and seq + count - 1 >= begin:
            chosen.append(data)
    flag = 13 if len(chosen) == 1 else 15
    return [data[:2] + bytes([flag]) + data[3:] for data in chosen]


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
