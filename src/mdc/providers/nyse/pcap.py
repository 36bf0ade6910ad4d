"""Packet captures: the UDP datagrams of a classic pcap or a pcapng file (plain, gzip or zstd).

Formats (read 2026-12-02): classic pcap, https://www.tcpdump.org/manpages/pcap-savefile.5.html
(magic ``a1b2c3d4`` for microsecond and ``a1b23c4d`` for nanosecond timestamps, either byte
order; 24-byte file header, 16-byte record header) and pcapng,
https://www.ietf.org/archive/id/draft-ietf-opsawg-pcapng-02.html (Section Header, Interface
Description with ``if_tsresol``, Enhanced and Simple Packet Blocks). Link types: Ethernet (1, with
802.1Q/802.1ad VLAN tags), Linux cooked v1 (113) and v2 (276), raw IPv4 (101, 228). Only IPv4 UDP
datagrams are yielded; fragments and anything else are counted as skipped.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Final

PCAP_MAGIC_US: Final = 0xA1B2C3D4
PCAP_MAGIC_NS: Final = 0xA1B23C4D
PCAPNG_SHB: Final = 0x0A0D0D0A
LINK_ETHERNET: Final = 1
LINK_RAW: Final = 101
LINK_IPV4: Final = 228
LINK_LINUX_SLL: Final = 113
LINK_LINUX_SLL2: Final = 276
_ETH_IPV4: Final = 0x0800
_VLAN_TAGS: Final = frozenset({0x8100, 0x88A8})


class PcapError(ValueError):
    """The file is not a capture this reader understands (the message says why)."""


@dataclass(frozen=True, slots=True)
class Datagram:
    ts_ns: int
    """Capture time, int ns UTC."""
    src: str
    dst: str
    dst_port: int
    payload: bytes


@dataclass
class PcapStats:
    records: int = 0
    datagrams: int = 0
    skipped: int = 0
    """Records that are not IPv4 UDP (ARP, IGMP, TCP, fragments, truncated captures)."""


def datagrams(stream: BinaryIO, stats: PcapStats | None = None) -> Iterator[Datagram]:
    """Every IPv4 UDP datagram of a pcap or pcapng stream, in file order."""
    stats = stats if stats is not None else PcapStats()
    head = stream.read(4)
    if len(head) < 4:
        raise PcapError("empty file: not a packet capture")
    if struct.unpack("<I", head)[0] == PCAPNG_SHB:
        yield from _pcapng(stream, head, stats)
    else:
        yield from _pcap(stream, head, stats)


def _pcap(stream: BinaryIO, head: bytes, stats: PcapStats) -> Iterator[Datagram]:
    for order in ("<", ">"):
        magic = struct.unpack(order + "I", head)[0]
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise PcapError(f"not a pcap or pcapng file (magic {head.hex()})")
    rest = stream.read(20)
    if len(rest) < 20:
        raise PcapError("truncated pcap file header")
    linktype = struct.unpack(order + "I", rest[16:20])[0] & 0x0FFFFFFF
    scale = 1 if magic == PCAP_MAGIC_NS else 1000
    record = struct.Struct(order + "IIII")
    while True:
        rh = stream.read(16)
        if len(rh) < 16:
            return  # end of file (a torn last record header is the same as the end)
        ts_s, ts_frac, incl, _orig = record.unpack(rh)
        frame = stream.read(incl)
        if len(frame) < incl:
            return
        stats.records += 1
        dgram = _udp(frame, linktype, ts_s * 1_000_000_000 + ts_frac * scale)
        if dgram is None:
            stats.skipped += 1
            continue
        stats.datagrams += 1
        yield dgram


def _pcapng(stream: BinaryIO, head: bytes, stats: PcapStats) -> Iterator[Datagram]:
    order = "<"
    interfaces: list[tuple[int, int]] = []  # (linktype, timestamp ticks per second)
    type_raw: bytes | None = head
    while True:
        if type_raw is None:
            type_raw = stream.read(4)
            if len(type_raw) < 4:
                return
        len_raw = stream.read(4)
        if len(len_raw) < 4:
            return
        if type_raw == b"\x0a\x0d\x0d\x0a":  # Section Header (the same in both orders)
            bom = stream.read(4)
            order = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            if struct.unpack(order + "I", bom)[0] != 0x1A2B3C4D:
                raise PcapError("pcapng section header has no byte-order magic")
            stream.read(struct.unpack(order + "I", len_raw)[0] - 12)
            interfaces = []
            type_raw = None
            continue
        block_type = struct.unpack(order + "I", type_raw)[0]
        length = struct.unpack(order + "I", len_raw)[0]
        type_raw = None
        if length < 12:
            raise PcapError(f"pcapng block of {length} bytes")
        body = stream.read(length - 8)
        if len(body) < length - 8:
            return
        body = body[:-4]  # the trailing copy of the block length
        if block_type == 1:  # Interface Description
            linktype = struct.unpack(order + "H", body[:2])[0]
            interfaces.append((linktype, _tsresol(body[8:], order)))
            continue
        if block_type not in (3, 6):  # neither Simple nor Enhanced Packet
            continue
        stats.records += 1
        if block_type == 6:
            iface, hi, lo, cap = struct.unpack(order + "IIII", body[:16])
            frame = body[20 : 20 + cap]
            linktype, per_s = interfaces[iface] if iface < len(interfaces) else (1, 10**6)
            ts = ((hi << 32) | lo) * 1_000_000_000 // per_s
        else:
            linktype = interfaces[0][0] if interfaces else LINK_ETHERNET
            frame, ts = body[4:], 0
        dgram = _udp(frame, linktype, ts)
        if dgram is None:
            stats.skipped += 1
            continue
        stats.datagrams += 1
        yield dgram


def _tsresol(options: bytes, order: str) -> int:
    """Ticks per second of an interface (``if_tsresol``, default microseconds)."""
    pos = 0
    while pos + 4 <= len(options):
        code, size = struct.unpack(order + "HH", options[pos : pos + 4])
        if code == 0:
            break
        if code == 9 and size >= 1:
            value = options[pos + 4]
            exponent = value & 0x7F
            return int(2**exponent if value & 0x80 else 10**exponent)
        pos += 4 + ((size + 3) & ~3)
    return 10**6


def _udp(frame: bytes, linktype: int, ts: int) -> Datagram | None:
    """The UDP datagram in one link-layer frame, or ``None``."""
    if linktype == LINK_ETHERNET:
        if len(frame) < 14:
            return None
        ethertype = int.from_bytes(frame[12:14], "big")
        pos = 14
        while ethertype in _VLAN_TAGS and len(frame) >= pos + 4:
            ethertype = int.from_bytes(frame[pos + 2 : pos + 4], "big")
            pos += 4
        if ethertype != _ETH_IPV4:
            return None
    elif linktype == LINK_LINUX_SLL:
        if len(frame) < 16 or int.from_bytes(frame[14:16], "big") != _ETH_IPV4:
            return None
        pos = 16
    elif linktype == LINK_LINUX_SLL2:
        if len(frame) < 20 or int.from_bytes(frame[0:2], "big") != _ETH_IPV4:
            return None
        pos = 20
    elif linktype in (LINK_RAW, LINK_IPV4):
        pos = 0
    else:
        return None
    if len(frame) < pos + 20 or frame[pos] >> 4 != 4:
        return None
    ihl = (frame[pos] & 0x0F) * 4
    total = int.from_bytes(frame[pos + 2 : pos + 4], "big")
    flags_frag = int.from_bytes(frame[pos + 6 : pos + 8], "big")
    if frame[pos + 9] != 17 or flags_frag & 0x3FFF:  # not UDP, or a fragment
        return None
    udp = pos + ihl
    if len(frame) < udp + 8 or total < ihl + 8:
        return None
    udp_len = int.from_bytes(frame[udp + 4 : udp + 6], "big")
    payload = frame[udp + 8 : udp + udp_len]
    if len(payload) != udp_len - 8:
        return None  # truncated by the capture's snap length
    src = ".".join(str(b) for b in frame[pos + 12 : pos + 16])
    dst = ".".join(str(b) for b in frame[pos + 16 : pos + 20])
    port = int.from_bytes(frame[udp + 2 : udp + 4], "big")
    return Datagram(ts, src, dst, port, payload)
