"""The XDP Integrated feed handler: packets in, events out, the same for multicast and captures.

Per channel (Common v2.3c, "Sequencing"):

- **Arbitration.** A channel's packets come on several lines (A, B, retransmissions) with the
  same sequence numbers. The first copy of a sequence number is applied; later copies are
  counted as duplicates per line and never applied.
- **Holes.** A packet whose ``SeqNum`` is ahead of the next expected one is held: the other
  line may still bring the missing packet. The hole becomes one ``Gap`` (reason
  ``sequence_gap``, ``seq`` = first missing number, the range in ``detail``, ``from_ts``/``to_ts``
  the publish times of the packets around it) once every line that has delivered data has moved
  past it, or it waited ``gap_timeout_ms`` (by the receive clock), or ``max_pending_packets``
  are held behind it. Its ``symbol`` is the channel (``channel:<id>``): the lost messages could
  belong to any symbol of the channel.
- **After a gap** every book of the channel is cleared and marked stale (``Integrity``
  ``book_reset`` per symbol); a stale book publishes nothing until a new day starts it again
  (sequence 1). Trades, statuses and imbalances are complete in their own messages and go on.
- **Sequence Number Reset** (type 1, in its own packet with ``SeqNum`` 1, delivery flag 12 or
  10 during failover): the next expected number becomes 2. A reset of a channel that had
  already delivered data is a publisher failover or restart: what was in flight is unknown, so
  its books are reset as after a gap and a ``Status(kind="feed", state="sequence_reset")`` says
  so.
- A channel whose first packet is not sequence 1 was joined mid-session: its books start stale.
- Heartbeats (flag 1, no messages) do not advance the sequence; they are counted per line.
- With a Request Server (``requests``; off by default) a hole is asked for and waits
  ``retransmission_timeout_ms`` instead (a refusal or Message Unavailable, flag 21, makes it a
  gap at once), and every stale book asks for a refresh; refresh packets (flags 17–20) rebuild
  it (``refresh.py``). Without one, refresh packets still rebuild a stale book when nothing
  after the refresh point was applied to it.

Per message: ``SymbolSeqNum`` is the event's ``seq`` (per symbol; the provider declares it not
contiguous because messages of unsubscribed kinds leave holes in what is published). Times: a
message with only ``SourceTimeNS`` takes its seconds from the channel's latest Source Time
Reference (type 2) for the symbol's matching-engine partition (``SystemID`` of its Symbol Index
Mapping, the STR's ``ID``), else the channel's latest STR, else the packet's ``SendTime``.
Prices: raw / 10**``PriceScaleCode`` of the symbol's mapping.

Mapping to events: executions (103) are ``Trade`` with the exchange ``TradeID`` and the aggressor
(the opposite of the resting order's side); non-displayed trades (110) and cross trades (111,
``trade_id`` ``X<CrossID>``) are ``Trade`` too; Trade Cancel (112) and Cross Correction (113) are
``Integrity`` notices (``trade_cancel``/``trade_correction``, severity info); Security Status is
``Status`` (``halt`` halted/resumed/…, ``ssr``, ``session``, ``indication``); Imbalance is
``Status(kind="imbalance")`` with every field in ``detail``; book changes are ``BookDelta`` per
touched level (one per level per message), after one ``BookSnapshot`` (empty at the start of the
day) that opens each symbol's book. With ``order_events`` every Add/Modify/Replace/Delete
Order and Order Execution is also an ``OrderUpdate`` (L3), made before the book applies it so the
side of an order the message does not repeat comes from the tracked order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Final, Protocol

from mdc.collectors.emit import BOOK_RESET, SEQUENCE_GAP_REASON
from mdc.domain import native
from mdc.domain.events import (
    BookDelta,
    BookSide,
    BookSnapshot,
    Event,
    Gap,
    Integrity,
    OrderAction,
    OrderUpdate,
    Severity,
    Side,
    Status,
    Trade,
)
from mdc.domain.time import NS_PER_MS, NS_PER_S
from mdc.providers.nyse import messages as m
from mdc.providers.nyse.book import Book, Level, OrderBook
from mdc.providers.nyse.refresh import Backlog, RefreshBuilder, rebuild
from mdc.providers.nyse.request_server import Request

PROVIDER: Final = "nyse"
UNASSIGNED: Final = -1
"""Channel of a symbol seeded from a mapping file before any channel named it."""
RENUMBERED: Final = -1
"""``lost_through`` of a sequence reset: the channel's numbering started again."""

_HDR = m.PACKET_HEADER.unpack_from
_MSG = m.MESSAGE_HEADER.unpack_from
_SNR = m.LAYOUTS[m.SEQUENCE_NUMBER_RESET].body.unpack_from
_STR = m.LAYOUTS[m.SOURCE_TIME_REFERENCE].body.unpack_from
_SIM = m.LAYOUTS[m.SYMBOL_INDEX_MAPPING].body.unpack_from
_CLEAR = m.LAYOUTS[m.SYMBOL_CLEAR].body.unpack_from
_STATUS = m.LAYOUTS[m.SECURITY_STATUS].body.unpack_from
_ADD = m.LAYOUTS[m.ADD_ORDER].body.unpack_from
_MODIFY = m.LAYOUTS[m.MODIFY_ORDER].body.unpack_from
_DELETE = m.LAYOUTS[m.DELETE_ORDER].body.unpack_from
_EXEC = m.LAYOUTS[m.ORDER_EXECUTION].body.unpack_from
_REPLACE = m.LAYOUTS[m.REPLACE_ORDER].body.unpack_from
_IMBALANCE = m.LAYOUTS[m.IMBALANCE].body.unpack_from
_IMBALANCE_EXT = m.IMBALANCE_EXTENSION.unpack_from
_NONDISP = m.LAYOUTS[m.NON_DISPLAYED_TRADE].body.unpack_from
_CROSS = m.LAYOUTS[m.CROSS_TRADE].body.unpack_from
_CANCEL = m.LAYOUTS[m.TRADE_CANCEL].body.unpack_from
_CROSS_CORR = m.LAYOUTS[m.CROSS_CORRECTION].body.unpack_from
_UNAVAILABLE = m.LAYOUTS[m.MESSAGE_UNAVAILABLE].body.unpack_from
_REFRESH_HEADER = m.LAYOUTS[m.REFRESH_HEADER].body.unpack_from
_ADD_REFRESH = m.LAYOUTS[m.ADD_ORDER_REFRESH].body.unpack_from
_MIN_SIZE: Final[dict[int, int]] = {t: layout.size for t, layout in m.LAYOUTS.items()}
BOOK_REFRESHED: Final = "book_refreshed"
"""Integrity kind (info) when a refresh made a stale book trusted again."""
_BODY: Final = m.MESSAGE_HEADER_SIZE
KERNEL: Final = native.load("mdc.providers.nyse.kernel")
"""The compiled hot loop, or None (not built, or ``MDC_PURE_PYTHON=1``)."""

_HALT_STATES: Final[dict[bytes, str]] = {
    b"3": "opening_delay",
    b"4": "halted",
    b"5": "resumed",
    b"6": "no_open_no_resume",
}
_SSR_STATES: Final[dict[bytes, str]] = {b"A": "activated", b"C": "continued", b"D": "deactivated"}
_SESSION_STATES: Final[dict[bytes, str]] = {
    b"P": "pre_opening",
    b"E": "early",
    b"O": "core",
    b"L": "late",
    b"X": "closed",
}
_INDICATIONS: Final[dict[bytes, str]] = {
    b"T": "time",
    b"I": "price_indication",
    b"G": "pre_opening_indication",
    b"R": "rule_15",
}
_HALT_CONDITIONS: Final[dict[bytes, str]] = {
    b"~": "",
    b" ": "",
    b"D": "news dissemination",
    b"I": "order imbalance",
    b"P": "news pending",
    b"M": "LULD pause",
    b"X": "equipment changeover",
    b"Z": "no open / no resume",
    b"1": "market-wide circuit breaker level 1",
    b"2": "market-wide circuit breaker level 2",
    b"3": "market-wide circuit breaker level 3",
}
_AUCTIONS: Final[dict[bytes, str]] = {
    b"O": "early_opening",
    b"M": "core_opening",
    b"H": "reopening",
    b"C": "closing",
    b"P": "extreme_closing",
    b"R": "regulatory",
}
_AGGRESSOR: Final[dict[bool, Side]] = {True: "sell", False: "buy"}
"""Resting order is a bid → the seller took it."""
_BOOK_SIDE: Final[dict[bool, BookSide]] = {True: "bid", False: "ask"}
_UNKNOWN_ORDER: Final = (False, 0, 0)
"""What a delete of an order the book does not hold reports (price and size 0)."""


@dataclass(eq=False)
class Symbol:
    """What a Symbol Index Mapping said, the book, and whether the symbol is published."""

    index: int
    symbol: str
    venue: str
    divisor: int
    system_id: int
    channel: int
    book: Book
    trades: bool
    depth: bool
    lot_size: int = 0
    backlog: Backlog | None = None
    """While stale with a refresh requested: book operations since (see ``refresh.py``)."""
    skip_through: int = 0
    """Channel sequence number the last applied refresh reflects: book messages up to it are
    already in the book."""


@dataclass(eq=False)
class Channel:
    """Sequence, arbitration and time state of one channel, with counters for /status."""

    id: int
    venue: str
    next_seq: int | None = None
    trusted: bool = True
    """False once the channel was joined mid-session, lost messages or was reset: books of
    symbols it names from then on start stale."""
    pending: dict[int, tuple[str, bytes, int]] = field(default_factory=dict)
    """First sequence number → (line, packet, ts_recv) held behind a hole."""
    line_high: dict[str, int] = field(default_factory=dict)
    """Line → one past the highest sequence number it delivered."""
    hole_since: int = 0
    """ts_recv when the current hole was first seen (or its retransmission requested)."""
    requested: int = 0
    """First missing sequence number of the hole a retransmission was requested for."""
    refused: str = ""
    """Why the Request Server will not send that retransmission (refused, or the messages
    are unavailable); empty while it may still come."""
    refresh: RefreshBuilder | None = None
    """The refresh sequence being received."""
    reset_sent: int = -1
    """Publish time of the last Sequence Number Reset packet (its copies on other lines are
    duplicates, not new resets)."""
    last_send_ns: int = 0
    source_seconds: dict[int, int] = field(default_factory=dict)
    """Source Time Reference seconds per matching-engine partition (STR ``ID``)."""
    latest_seconds: int = 0
    symbols: set[int] = field(default_factory=set)
    packets: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    heartbeats: int = 0
    messages: int = 0
    gaps: int = 0
    missing: int = 0
    resets: int = 0
    skipped: int = 0
    """Request-server and unknown messages not applied."""
    retransmission_requests: int = 0
    refresh_requests: int = 0
    refused_requests: int = 0
    refreshes: int = 0
    """Stale books made trusted by a refresh."""

    def counters(self) -> dict[str, object]:
        return {
            "channel": self.id,
            "venue": self.venue,
            "next_seq": self.next_seq,
            "messages": self.messages,
            "packets": dict(self.packets),
            "duplicates": dict(self.duplicates),
            "heartbeats": self.heartbeats,
            "gaps": self.gaps,
            "missing_messages": self.missing,
            "sequence_resets": self.resets,
            "pending_packets": len(self.pending),
            "skipped_messages": self.skipped,
            "symbols": len(self.symbols),
            "retransmission_requests": self.retransmission_requests,
            "refresh_requests": self.refresh_requests,
            "refused_requests": self.refused_requests,
            "refreshed_books": self.refreshes,
        }


class Requester(Protocol):
    """Where the feed sends Request Server requests (``request_server.RequestClient``)."""

    def retransmit(self, channel: int, begin: int, end: int) -> None: ...

    def refresh(self, channel: int, symbol_index: int) -> None: ...


SymbolFilter = Callable[[str], tuple[bool, bool]]
"""symbol → (publish trades, publish depth)."""


def _everything(symbol: str) -> tuple[bool, bool]:
    return True, True


class XdpFeed:
    """Decodes XDP packets of any number of channels into events (``take()`` collects them).

    ``packet(channel, line, data, ts_recv)`` is the one entry point; ``tick(now)`` lets a live
    reader declare holes that timed out while no packet arrived.
    """

    def __init__(
        self,
        venue: str = "XNYS",
        wanted: SymbolFilter = _everything,
        gap_timeout_ms: float = 50.0,
        max_pending_packets: int = 10_000,
        order_events: bool = False,
        requests: Requester | None = None,
        retransmit: bool = True,
        refresh: bool = True,
        retransmission_timeout_ms: float = 1000.0,
        book_events: bool = True,
        compiled: bool = True,
    ) -> None:
        self.venue = venue
        self.requests = requests
        """The Request Server client; ``None`` (the default) sends nothing."""
        self.retransmit = requests is not None and retransmit
        """Holes are asked for and wait ``retransmission_timeout_ms`` for the packets."""
        self.refresh = requests is not None and refresh
        """Stale books are asked for a refresh and rebuilt when it arrives."""
        self.retransmission_timeout_ns = int(retransmission_timeout_ms * NS_PER_MS)
        self.order_events = order_events
        """Publish every book message as an ``OrderUpdate`` (L3) besides the L2 deltas."""
        self.book_events = book_events
        """Publish the L2 book (``BookSnapshot``/``BookDelta``); False keeps the books only,
        for a consumer that reads them directly (and the decode + book benchmark)."""
        self._kernel = KERNEL if compiled else None
        """The compiled message loop (``kernel.pyx``), or None: the Python reference runs
        (kernel not built, ``MDC_PURE_PYTHON=1``, or ``compiled=False``)."""
        self._new_book: Callable[[bool], Book] = (
            OrderBook if self._kernel is None else self._kernel.Book
        )
        """Every symbol's book: the kernel's compiled ``Book`` with the kernel (the Python
        handlers use it alike), else the reference ``OrderBook``."""
        self.wanted = wanted
        self.gap_timeout_ns = int(gap_timeout_ms * NS_PER_MS)
        self.max_pending = max_pending_packets
        self.channels: dict[int, Channel] = {}
        self.symbols: dict[int, Symbol] = {}
        self.out: list[Event] = []
        self.bad_packets = 0
        self.bad_messages = 0
        self.unmapped = 0
        """Messages of a SymbolIndex no Symbol Index Mapping has named yet."""
        self.unknown_orders = 0
        """Modify/delete/execute of an order the book does not hold (expected while stale)."""
        self.last_error = ""
        self._ts_recv = 0
        self._channel = Channel(UNASSIGNED, venue)  # the one being decoded
        self._seq_num = 0
        """SymbolSeqNum of the message being decoded (the events' ``seq``)."""
        self._msg_seq = 0
        """Channel sequence number of the message being decoded."""
        self._refreshing = False
        self._handlers: dict[int, Callable[[bytes, int, int], None]] = {
            m.SEQUENCE_NUMBER_RESET: self._sequence_reset,
            m.SOURCE_TIME_REFERENCE: self._time_reference,
            m.SYMBOL_INDEX_MAPPING: self._symbol_mapping,
            m.SYMBOL_CLEAR: self._symbol_clear,
            m.SECURITY_STATUS: self._security_status,
            m.ADD_ORDER: self._add,
            m.MODIFY_ORDER: self._modify,
            m.DELETE_ORDER: self._delete,
            m.ORDER_EXECUTION: self._execution,
            m.REPLACE_ORDER: self._replace,
            m.IMBALANCE: self._imbalance,
            m.NON_DISPLAYED_TRADE: self._non_displayed,
            m.CROSS_TRADE: self._cross,
            m.TRADE_CANCEL: self._trade_cancel,
            m.CROSS_CORRECTION: self._cross_correction,
        }

    # -- state ------------------------------------------------------------------------------
    def channel(self, channel_id: int, venue: str = "") -> Channel:
        ch = self.channels.get(channel_id)
        if ch is None:
            ch = self.channels[channel_id] = Channel(channel_id, venue or self.venue)
        return ch

    def take(self) -> list[Event]:
        """The events decoded since the last call."""
        out, self.out = self.out, []
        return out

    def stale_symbols(self) -> list[str]:
        return sorted(s.symbol for s in self.symbols.values() if not s.book.trusted)

    def counters(self) -> dict[str, object]:
        return {
            "channels": [ch.counters() for _, ch in sorted(self.channels.items())],
            "symbols": len(self.symbols),
            "stale_books": len(self.stale_symbols()),
            "bad_packets": self.bad_packets,
            "bad_messages": self.bad_messages,
            "unmapped_messages": self.unmapped,
            "unknown_orders": self.unknown_orders,
            "decoder": "python" if self._kernel is None else "kernel",
        }

    def seed_symbols(self, rows: Iterable[tuple[int, str, int, int]]) -> None:
        """Known mappings (SymbolIndex, symbol, PriceScaleCode, SystemID), e.g. from NYSE's
        daily symbol mapping file, for a capture or a join that misses the day's mappings."""
        for index, symbol, scale, system_id in rows:
            self._map(index, symbol, self.venue, scale, system_id, UNASSIGNED, 0)

    # -- packets ----------------------------------------------------------------------------
    def packet(self, channel_id: int, line: str, data: bytes, ts_recv: int) -> None:
        """One UDP payload of ``line`` of ``channel_id``; events go to :attr:`out`."""
        if len(data) < m.PACKET_HEADER_SIZE:
            self._bad_packet(f"packet of {len(data)} bytes is shorter than its header")
            return
        size, flag, count, seq, send_s, send_ns = _HDR(data, 0)
        if size != len(data):
            self._bad_packet(f"PktSize {size} but the datagram holds {len(data)} bytes")
            return
        ch = self.channels.get(channel_id)
        if ch is None:
            ch = self.channel(channel_id)
        packets = ch.packets
        packets[line] = packets.get(line, 0) + 1
        if count == 0:
            ch.heartbeats += 1
            return
        if flag in m.REFRESH_FLAGS:
            self._refresh_packet(ch, data, flag, count, ts_recv)
            return
        if flag == m.MESSAGE_UNAVAILABLE_FLAG:
            self._unavailable_packet(ch, data, count, ts_recv)
            return
        if flag == m.SEQUENCE_RESET or (
            seq == 1
            and flag == m.FAILOVER
            and len(data) >= m.PACKET_HEADER_SIZE + m.MESSAGE_HEADER_SIZE
            and _MSG(data, m.PACKET_HEADER_SIZE)[1] == m.SEQUENCE_NUMBER_RESET
        ):
            sent = send_s * NS_PER_S + send_ns
            if sent == ch.reset_sent:  # the other line's copy of the reset just applied
                dups = ch.duplicates
                dups[line] = dups.get(line, 0) + 1
                return
            ch.reset_sent = sent
            self._reset_channel(ch, flag, ts_recv, sent)
        end = seq + count
        high = ch.line_high.get(line, 0)
        if end > high:
            ch.line_high[line] = end
        expected = ch.next_seq
        if expected is None:
            expected = seq
            if seq != 1:
                ch.next_seq = seq
                self._mid_session(ch)
        if end <= expected:
            dups = ch.duplicates
            dups[line] = dups.get(line, 0) + 1
            return
        if seq > expected:
            if seq in ch.pending:
                dups = ch.duplicates
                dups[line] = dups.get(line, 0) + 1
            else:
                if not ch.pending:
                    ch.hole_since = ts_recv
                ch.pending[seq] = (line, data, ts_recv)
            self._check_hole(ch, ts_recv)
            return
        self._apply(ch, data, count, seq, expected - seq, ts_recv)
        ch.next_seq = end
        if ch.pending:
            self._drain(ch)

    def tick(self, now_ns: int) -> None:
        """Declare holes that waited past ``gap_timeout_ms`` (the live reader calls this)."""
        for ch in self.channels.values():
            if ch.pending:
                self._check_hole(ch, now_ns)

    def flush(self, ts_recv: int) -> None:
        """End of input (a capture's last packet): every hole still open is a gap."""
        for ch in self.channels.values():
            while ch.pending:
                self._declare_hole(ch, ts_recv)

    def _check_hole(self, ch: Channel, now: int) -> None:
        while ch.pending:
            first = min(ch.pending)
            if len(ch.pending) >= self.max_pending:
                pass
            elif self.retransmit:  # the Request Server may still send the packets
                expected = ch.next_seq if ch.next_seq is not None else first
                if ch.requested != expected:
                    ch.requested, ch.refused, ch.hole_since = expected, "", now
                    ch.retransmission_requests += 1
                    assert self.requests is not None
                    self.requests.retransmit(ch.id, expected, first - 1)
                    return
                if not (ch.refused or now - ch.hole_since >= self.retransmission_timeout_ns):
                    return
            elif not (
                all(high > first for high in ch.line_high.values())
                or now - ch.hole_since >= self.gap_timeout_ns
            ):
                return
            self._declare_hole(ch, now)

    def _declare_hole(self, ch: Channel, now: int) -> None:
        first = min(ch.pending)
        expected = ch.next_seq if ch.next_seq is not None else first
        _line, data, ts_recv = ch.pending[first]
        send_s, send_ns = _HDR(data, 0)[4:6]
        lost = first - expected
        ch.gaps += 1
        ch.missing += lost
        self.out.append(
            Gap(
                symbol=f"channel:{ch.id}",
                venue=ch.venue,
                provider=PROVIDER,
                ts_event=send_s * NS_PER_S + send_ns,
                ts_recv=ts_recv,
                seq=expected,
                from_ts=ch.last_send_ns,
                to_ts=send_s * NS_PER_S + send_ns,
                reason=SEQUENCE_GAP_REASON,
                detail=f"channel {ch.id}: messages {expected}..{first - 1} missing ({lost})"
                + (f"; {ch.refused}" if ch.refused else ""),
            )
        )
        why = f"sequence gap {expected}..{first - 1} on channel {ch.id}"
        self._reset_books(ch, ts_recv, why, first - 1)
        ch.next_seq = first
        ch.hole_since = now
        ch.requested, ch.refused = 0, ""
        self._drain(ch)

    def _drain(self, ch: Channel) -> None:
        """Apply held packets that are now in order (drop the ones already covered)."""
        pending = ch.pending
        while pending:
            first = min(pending)
            expected = ch.next_seq
            assert expected is not None
            if first > expected:
                return
            line, data, ts_recv = pending.pop(first)
            count = _HDR(data, 0)[2]
            end = first + count
            if end <= expected:
                dups = ch.duplicates
                dups[line] = dups.get(line, 0) + 1
                continue
            self._apply(ch, data, count, first, expected - first, ts_recv)
            ch.next_seq = end

    def _apply(
        self, ch: Channel, data: bytes, count: int, seq: int, skip: int, ts_recv: int
    ) -> None:
        """Run the packet's messages (the first ``skip`` were applied from another copy)."""
        send_s, send_ns = _HDR(data, 0)[4:6]
        ch.last_send_ns = send_s * NS_PER_S + send_ns
        if not ch.latest_seconds:
            ch.latest_seconds = send_s
        self._channel = ch
        self._ts_recv = ts_recv
        if self._kernel is not None and type(data) is bytes:  # the kernel reads bytes only
            self._kernel.run(self, ch, data, count, seq, skip)
        else:
            self._run(ch, data, count, seq, skip, 0, m.PACKET_HEADER_SIZE)

    def _run(
        self, ch: Channel, data: bytes, count: int, seq: int, skip: int, first: int, offset: int
    ) -> None:
        """The messages of a packet from its ``first`` (at ``offset``) on: the reference loop,
        and where the kernel hands a packet back at a malformed message header."""
        limit = len(data)
        for i in range(first, count):
            if offset + 4 > limit:
                self._bad_packet(f"channel {ch.id} seq {seq}: {count} messages announced, {i} fit")
                return
            size, msg_type = _MSG(data, offset)
            if size < 4 or offset + size > limit:
                self._bad_packet(f"channel {ch.id} seq {seq + i}: bad MsgSize {size}")
                return
            if i >= skip:
                self._dispatch(data, offset, size, msg_type, seq + i)
            offset += size
        ch.messages += count - skip

    def _dispatch(self, data: bytes, offset: int, size: int, msg_type: int, msg_seq: int) -> None:
        """One message through its handler (the kernel sends here every message it does not
        apply itself)."""
        self._msg_seq = msg_seq
        handler = self._handlers.get(msg_type)
        if handler is None:
            self._channel.skipped += 1
        elif size < _MIN_SIZE[msg_type]:
            self._bad_message(f"type {msg_type} seq {msg_seq}: MsgSize {size} too short")
        else:
            try:
                handler(data, offset, size)
            except Exception as exc:  # one bad message never stops the feed
                self._bad_message(f"type {msg_type} seq {msg_seq}: {exc}")

    # -- Request Server: answers, unavailable messages, refreshes ----------------------------
    def answered(self, request: Request, accepted: bool, why: str) -> None:
        """The Request Server's answer to a request. A refused retransmission declares its
        hole at once (the packets will not come); a refused refresh leaves the book stale
        (until a new day) and drops what was kept for it."""
        if accepted:
            return
        ch = self.channel(request.channel)
        ch.refused_requests += 1
        if request.kind == "retransmission":
            self.last_error = f"channel {ch.id}: retransmission from {request.begin} {why}"
            if ch.requested == request.begin:
                ch.refused = f"retransmission refused: {why}"
                self._check_hole(ch, self._ts_recv)
        elif request.kind == "refresh":
            sym = self.symbols.get(request.begin)
            name = sym.symbol if sym is not None else f"index {request.begin}"
            self.last_error = f"channel {ch.id}: refresh of {name} {why}"
            if sym is not None:
                sym.backlog = None

    def _unavailable_packet(self, ch: Channel, data: bytes, count: int, ts_recv: int) -> None:
        """Message Unavailable (delivery flag 21): the retransmission cannot be served."""
        offset = m.PACKET_HEADER_SIZE
        for _ in range(count):
            if offset + _MIN_SIZE[m.MESSAGE_UNAVAILABLE] > len(data):
                self._bad_packet(f"channel {ch.id}: truncated Message Unavailable packet")
                return
            size, msg_type = _MSG(data, offset)
            if msg_type == m.MESSAGE_UNAVAILABLE and size >= _MIN_SIZE[msg_type]:
                begin, end, _product, _channel = _UNAVAILABLE(data, offset + _BODY)
                self.last_error = f"channel {ch.id}: messages {begin}..{end} unavailable"
                if ch.requested and begin <= ch.requested <= end:
                    ch.refused = f"messages {begin}..{end} unavailable for retransmission"
            else:
                ch.skipped += 1
            offset += max(size, m.MESSAGE_HEADER_SIZE)
        self._check_hole(ch, ts_recv)

    def _refresh_packet(
        self, ch: Channel, data: bytes, flag: int, count: int, ts_recv: int
    ) -> None:
        """One packet of a refresh: orders collect per symbol; the last packet installs them."""
        send_s, send_ns = _HDR(data, 0)[4:6]
        self._channel = ch
        self._ts_recv = ts_recv
        offset = m.PACKET_HEADER_SIZE
        limit = len(data)
        for _ in range(count):
            if offset + m.MESSAGE_HEADER_SIZE > limit:
                self._bad_packet(f"channel {ch.id}: refresh packet shorter than it announces")
                return
            size, msg_type = _MSG(data, offset)
            if size < _MIN_SIZE.get(msg_type, m.MESSAGE_HEADER_SIZE) or offset + size > limit:
                self._bad_packet(f"channel {ch.id}: refresh message type {msg_type} size {size}")
                return
            if msg_type == m.REFRESH_HEADER:
                current, _total, last_seq, _last_sseq = _REFRESH_HEADER(data, offset + _BODY)
                if ch.refresh is None or current == 1:
                    ch.refresh = RefreshBuilder(last_seq)
                ch.refresh.packets += 1
            elif ch.refresh is None:
                ch.skipped += 1  # a refresh joined in its middle: wait for the next one
            elif msg_type == m.SYMBOL_INDEX_MAPPING:
                self._refreshing = True
                try:
                    self._symbol_mapping(data, offset, size)
                except ValueError as exc:
                    self._bad_message(f"refresh: {exc}")
                finally:
                    self._refreshing = False
                ch.refresh.symbol(_SIM(data, offset + _BODY)[0])
            elif msg_type == m.ADD_ORDER_REFRESH:
                fields = _ADD_REFRESH(data, offset + _BODY)
                index, order_id, price, volume, side = fields[2], *fields[4:8]
                ch.refresh.symbol(index).add(order_id, side == b"B", price, volume)
            else:  # its Security Status and Imbalance were published when they happened
                ch.skipped += 1
            offset += size
        if ch.refresh is not None and flag in (m.REFRESH_ONE, m.REFRESH_END):
            refresh, ch.refresh = ch.refresh, None
            for index, book in refresh.books.items():
                self._install(ch, index, book, refresh.last_seq, send_s * NS_PER_S + send_ns)

    def _install(
        self, ch: Channel, index: int, refreshed: OrderBook, last_seq: int, ts: int
    ) -> None:
        """Make a stale book trusted from a refresh (and the backlog since) and publish it."""
        sym = self.symbols.get(index)
        if sym is None or sym.book.trusted:
            return
        backlog = sym.backlog
        applied = (ch.next_seq or 1) - 1
        if backlog is None and applied > last_seq:
            return  # what the channel applied after the refresh point was not kept
        if backlog is not None and (backlog.overflowed or backlog.lost_through > last_seq):
            sym.backlog = None  # incomplete: ask again
            self._want_refresh(sym)
            return
        sym.book = rebuild(refreshed, backlog, last_seq, self._new_book)
        sym.backlog = None
        sym.skip_through = last_seq
        ch.refreshes += 1
        if sym.depth:
            sym.book.published = True
            self.out.append(self._snapshot(sym, ts))
            detail = f"refresh through channel {ch.id} seq {last_seq}: {len(sym.book)} orders"
            self._integrity(sym, ts, self._ts_recv, None, BOOK_REFRESHED, "info", detail)

    # -- resets -----------------------------------------------------------------------------
    def _reset_channel(self, ch: Channel, flag: int, ts_recv: int, send_ns: int) -> None:
        ch.resets += 1
        had_data = ch.next_seq is not None and ch.next_seq > 1
        ch.next_seq = 1
        ch.pending.clear()
        ch.line_high.clear()
        if not had_data:  # the start of the day: books build from empty
            ch.trusted = True
            return
        self.out.append(
            Status(
                symbol=f"channel:{ch.id}",
                venue=ch.venue,
                provider=PROVIDER,
                ts_event=send_ns,
                ts_recv=ts_recv,
                kind="feed",
                state="sequence_reset",
                detail=f"channel {ch.id}: sequence reset (delivery flag {flag})",
            )
        )
        self._reset_books(ch, ts_recv, f"sequence reset on channel {ch.id}", RENUMBERED)

    def _mid_session(self, ch: Channel) -> None:
        """Joined after sequence 1: books of this channel are unknown until a new day."""
        ch.trusted = False
        for sym in self._symbols_of(ch):
            sym.book.trusted = False
            self._want_refresh(sym)

    def _symbols_of(self, ch: Channel) -> list[Symbol]:
        """The channel's symbols, and the seeded ones whose channel is not known yet."""
        return [
            sym
            for sym in self.symbols.values()
            if sym.channel == ch.id or (sym.channel == UNASSIGNED and sym.index not in ch.symbols)
        ]

    def _reset_books(self, ch: Channel, ts_recv: int, why: str, lost_through: int) -> None:
        """Every book of the channel is stale; ``lost_through`` is the last lost sequence
        number (:data:`RENUMBERED` after a sequence reset)."""
        ch.trusted = False
        for sym in self._symbols_of(ch):
            if lost_through == RENUMBERED:
                sym.skip_through = 0
            backlog = sym.backlog
            self._stale(sym, ch.last_send_ns, ts_recv, f"{why}: book cleared and stale")
            if backlog is None:
                continue
            if lost_through == RENUMBERED:  # the old numbering is void: start over
                sym.backlog = Backlog()
            else:  # a refresh reflecting less than the lost range cannot be completed
                backlog.lost_through = max(backlog.lost_through, lost_through)

    def _stale(self, sym: Symbol, ts: int, ts_recv: int, detail: str) -> None:
        """Clear the book and stop trusting it (``book_reset`` if it was published); with
        refresh requests on, ask for one and record what the channel applies meanwhile."""
        book = sym.book
        was = book.trusted and book.published and sym.depth
        book.clear()
        book.trusted = False
        if was:
            self._integrity(sym, ts, ts_recv, None, BOOK_RESET, "warning", detail)
        self._want_refresh(sym)

    def _want_refresh(self, sym: Symbol) -> None:
        if (
            self.refresh
            and sym.depth
            and sym.backlog is None
            and sym.channel != UNASSIGNED
            and not self._refreshing  # a refresh is being applied to it right now
        ):
            sym.backlog = Backlog()
            ch = self.channel(sym.channel)
            ch.refresh_requests += 1
            assert self.requests is not None
            self.requests.refresh(sym.channel, sym.index)

    # -- helpers ----------------------------------------------------------------------------
    def _bad_packet(self, why: str) -> None:
        self.bad_packets += 1
        self.last_error = why

    def _bad_message(self, why: str) -> None:
        self.bad_messages += 1
        self.last_error = why

    def _ns(self, sym: Symbol, source_ns: int) -> int:
        ch = self._channel
        seconds = ch.source_seconds.get(sym.system_id, ch.latest_seconds)
        return seconds * NS_PER_S + source_ns

    def _symbol(self, index: int) -> Symbol | None:
        sym = self.symbols.get(index)
        if sym is None:
            self.unmapped += 1
        return sym

    def _map(
        self,
        index: int,
        symbol: str,
        venue: str,
        scale: int,
        system_id: int,
        channel: int,
        lot_size: int,
    ) -> Symbol:
        trades, depth = self.wanted(symbol)
        old = self.symbols.get(index)
        if old is not None:  # a later mapping overrides the earlier one from now on
            if old.channel == UNASSIGNED and channel != UNASSIGNED:
                old.channel = channel
                self.channel(channel).symbols.add(index)
            old.symbol, old.venue, old.divisor = symbol, venue, 10**scale
            old.system_id, old.lot_size = system_id, lot_size
            old.trades, old.depth = trades, depth
            return old
        ch = self.channels.get(channel)
        trusted = ch is None or ch.trusted
        sym = Symbol(
            index,
            symbol,
            venue,
            10**scale,
            system_id,
            channel,
            self._new_book(trusted),
            trades,
            depth,
        )
        sym.lot_size = lot_size
        self.symbols[index] = sym
        if ch is not None:
            ch.symbols.add(index)
        if not trusted:
            self._want_refresh(sym)
        return sym

    def _levels(self, sym: Symbol, ts: int, changes: Iterable[Level]) -> None:
        book = sym.book
        if not (self.book_events and sym.depth and book.trusted):
            return
        out = self.out
        if not book.published:
            book.published = True
            out.append(self._snapshot(sym, ts))
            return  # the snapshot already holds this change
        div = sym.divisor
        for is_bid, price, total in changes:
            out.append(
                BookDelta(
                    symbol=sym.symbol,
                    venue=sym.venue,
                    provider=PROVIDER,
                    ts_event=ts,
                    ts_recv=self._ts_recv,
                    seq=self._seq_num,
                    side="bid" if is_bid else "ask",
                    price=price / div,
                    size=float(total),
                )
            )

    def _snapshot(self, sym: Symbol, ts: int) -> BookSnapshot:
        div = sym.divisor
        book = sym.book
        return BookSnapshot(
            symbol=sym.symbol,
            venue=sym.venue,
            provider=PROVIDER,
            ts_event=ts,
            ts_recv=self._ts_recv,
            seq=self._seq_num,
            bids=[(p / div, float(v)) for p, v in book.levels(True)],
            asks=[(p / div, float(v)) for p, v in book.levels(False)],
        )

    def _unknown(self, sym: Symbol, order_id: int, what: str) -> None:
        self.unknown_orders += 1
        if sym.book.trusted:  # a trusted book missing an order is wrong: stop trusting it
            detail = f"{what} of unknown order {order_id}: book cleared and stale"
            self._stale(sym, self._channel.last_send_ns, self._ts_recv, detail)

    def _trade(
        self,
        sym: Symbol,
        ts: int,
        price: int,
        volume: int,
        trade_id: str,
        side: Side,
        conditions: list[str],
    ) -> None:
        self.out.append(
            Trade(
                symbol=sym.symbol,
                venue=sym.venue,
                provider=PROVIDER,
                ts_event=ts,
                ts_recv=self._ts_recv,
                seq=self._seq_num,
                price=price / sym.divisor,
                size=float(volume),
                side=side,
                trade_id=trade_id,
                exchange=sym.venue,
                conditions=conditions,
            )
        )

    # -- control messages -------------------------------------------------------------------
    def _sequence_reset(self, data: bytes, offset: int, size: int) -> None:
        source_s, _ns, _product, _channel = _SNR(data, offset + _BODY)
        self._channel.latest_seconds = source_s

    def _time_reference(self, data: bytes, offset: int, size: int) -> None:
        partition, _reserved, seconds = _STR(data, offset + _BODY)
        ch = self._channel
        ch.source_seconds[partition] = seconds
        ch.latest_seconds = seconds

    def _symbol_mapping(self, data: bytes, offset: int, size: int) -> None:
        (index, raw, market, system_id, _exch, scale, _type, lot, *_rest) = _SIM(
            data, offset + _BODY
        )
        name = raw.split(b"\0", 1)[0].decode("ascii").strip()
        if not name:
            raise ValueError(f"Symbol Index Mapping {index} has no symbol")
        if scale > 9:
            raise ValueError(f"{name}: PriceScaleCode {scale} out of range")
        venue = m.MARKET_VENUES.get(market, self._channel.venue)
        self._map(index, name, venue, scale, system_id, self._channel.id, lot)

    def _symbol_clear(self, data: bytes, offset: int, size: int) -> None:
        source_s, source_ns, index, _next = _CLEAR(data, offset + _BODY)
        sym = self._symbol(index)
        if sym is not None:
            detail = "Symbol Clear: book cleared and stale until refreshed"
            self._stale(sym, source_s * NS_PER_S + source_ns, self._ts_recv, detail)

    def _security_status(self, data: bytes, offset: int, size: int) -> None:
        (
            s,
            ns,
            index,
            sseq,
            status,
            halt,
            p1,
            p2,
            trig_exch,
            trig_vol,
            when,
            _ssr,
            market,
            _sess,
        ) = _STATUS(data, offset + _BODY)
        sym = self._symbol(index)
        if sym is None or not (sym.trades or sym.depth):
            return
        div = sym.divisor
        if status in _HALT_STATES:
            kind, state = "halt", _HALT_STATES[status]
            reason = _HALT_CONDITIONS.get(halt, halt.decode("latin-1"))
            detail = f"condition {reason}" if reason else ""
        elif status in _SSR_STATES:
            kind, state = "ssr", _SSR_STATES[status]
            detail = f"triggered by {trig_exch.decode('latin-1')} volume {trig_vol}"
        elif status in _SESSION_STATES:
            kind, state = "session", _SESSION_STATES[status]
            detail = f"market state {market.decode('latin-1')}"
        else:
            kind = "indication"
            state = _INDICATIONS.get(status, status.decode("latin-1"))
            detail = f"price1 {p1 / div}; price2 {p2 / div}; time {when}"
        self.out.append(
            Status(
                symbol=sym.symbol,
                venue=sym.venue,
                provider=PROVIDER,
                ts_event=s * NS_PER_S + ns,
                ts_recv=self._ts_recv,
                seq=sseq,
                kind=kind,
                state=state,
                detail=detail,
            )
        )

    def _imbalance(self, data: bytes, offset: int, size: int) -> None:
        fields = _IMBALANCE(data, offset + _BODY)
        s, ns, index, sseq, ref, paired, total, market_qty, when, auction, side = fields[:11]
        sym = self._symbol(index)
        if sym is None or not (sym.trades or sym.depth):
            return
        div = sym.divisor
        clearing, interest, ssr_px, match, upper, lower, status, freeze, _n = fields[11:]
        parts = [
            f"reference {ref / div}",
            f"paired {paired}",
            f"imbalance {total}",
            f"market imbalance {market_qty}",
            f"side {side.decode('latin-1').strip() or '-'}",
            f"auction {when:04d}",
            f"book clearing {clearing / div}",
            f"interest clearing {interest / div}",
            f"ssr filing {ssr_px / div}",
            f"indicative match {match / div}",
            f"collar {lower / div}..{upper / div}",
            f"status {status}",
            f"freeze {freeze}",
        ]
        if size >= m.IMBALANCE_EXTENSION_OFFSET + m.IMBALANCE_EXTENSION.size:
            unpaired, unpaired_side, significant = _IMBALANCE_EXT(
                data, offset + m.IMBALANCE_EXTENSION_OFFSET
            )
            parts.append(f"unpaired {unpaired} {unpaired_side.decode('latin-1').strip() or '-'}")
            parts.append(f"significant {significant.decode('latin-1').strip() or '-'}")
        self.out.append(
            Status(
                symbol=sym.symbol,
                venue=sym.venue,
                provider=PROVIDER,
                ts_event=s * NS_PER_S + ns,
                ts_recv=self._ts_recv,
                seq=sseq,
                kind="imbalance",
                state=_AUCTIONS.get(auction, auction.decode("latin-1")),
                detail="; ".join(parts),
            )
        )

    # -- book messages ----------------------------------------------------------------------
    def _book_symbol(self, index: int, sseq: int) -> Symbol | None:
        """The symbol of a book message when its depth is published (``seq`` set for the
        events); ``None`` for an unmapped index (counted) or an unpublished book."""
        sym = self.symbols.get(index)
        if sym is None:
            self.unmapped += 1
            return None
        if not sym.depth or self._msg_seq <= sym.skip_through:
            return None  # not published, or already in the refresh that rebuilt the book
        self._seq_num = sseq
        return sym

    def _add(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, order_id, price, volume, side, _firm, _splits = _ADD(data, offset + 4)
        sym = self._book_symbol(index, sseq)
        if sym is None:
            return
        is_bid = side == b"B"
        if sym.backlog is not None:
            sym.backlog.record(self._msg_seq, "add", (order_id, is_bid, price, volume))
        level = sym.book.add(order_id, is_bid, price, volume)
        if level is None:
            self._bad_message(f"{sym.symbol}: Add Order {order_id} is already live")
            return
        ts = self._ns(sym, ns)
        if self.order_events:
            self._order(sym, ts, "add", order_id, _BOOK_SIDE[is_bid], price, volume)
        self._levels(sym, ts, (level,))

    def _modify(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, order_id, price, volume, _pos, _p, _n = _MODIFY(data, offset + 4)
        sym = self._book_symbol(index, sseq)
        if sym is not None:
            ts = self._ns(sym, ns)
            if self.order_events:
                self._order(sym, ts, "modify", order_id, None, price, volume)
            if sym.backlog is not None:
                sym.backlog.record(self._msg_seq, "modify", (order_id, price, volume))
            self._changed(
                sym, ts, order_id, "Modify Order", sym.book.modify(order_id, price, volume)
            )

    def _delete(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, order_id, _splits = _DELETE(data, offset + 4)
        sym = self._book_symbol(index, sseq)
        if sym is not None:
            ts = self._ns(sym, ns)
            if self.order_events:
                known = sym.book.order(order_id) or _UNKNOWN_ORDER
                self._order(sym, ts, "delete", order_id, None, known[1], known[2])
            if sym.backlog is not None:
                sym.backlog.record(self._msg_seq, "delete", (order_id,))
            level = sym.book.delete(order_id)
            self._changed(sym, ts, order_id, "Delete Order", None if level is None else (level,))

    def _replace(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, order_id, new_id, price, volume, _p, _n = _REPLACE(data, offset + 4)
        sym = self._book_symbol(index, sseq)
        if sym is not None:
            ts = self._ns(sym, ns)
            if self.order_events:
                self._order(sym, ts, "replace", order_id, None, price, volume, new_id=new_id)
            if sym.backlog is not None:
                args = (order_id, new_id, price, volume)
                sym.backlog.record(self._msg_seq, "replace", args)
            changes = sym.book.replace(order_id, new_id, price, volume)
            self._changed(sym, ts, order_id, "Replace Order", changes)

    def _changed(
        self, sym: Symbol, ts: int, order_id: int, what: str, changes: tuple[Level, ...] | None
    ) -> None:
        """Publish what a modify/delete/replace changed (``None``: the order was unknown)."""
        if changes is None:
            self._unknown(sym, order_id, what)
        elif changes:
            self._levels(sym, ts, changes)

    def _execution(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, order_id, trade_id, price, volume, printable, _s, _db = _EXEC(
            data, offset + 4
        )
        sym = self.symbols.get(index)
        if sym is None:
            self.unmapped += 1
            return
        self._seq_num = sseq
        ts = self._ns(sym, ns)
        side: Side = "unknown"
        if sym.depth and self._msg_seq > sym.skip_through:
            if self.order_events:
                self._order(sym, ts, "execute", order_id, None, price, volume, trade_id=trade_id)
            if sym.backlog is not None:
                sym.backlog.record(self._msg_seq, "execute", (order_id, volume))
            done = sym.book.execute(order_id, volume)
            if done is None:
                self._unknown(sym, order_id, "Order Execution")
            else:
                side = _AGGRESSOR[done[0][0]]
                self._levels(sym, ts, (done[1],))
        if sym.trades:
            self._trade(
                sym, ts, price, volume, str(trade_id), side, [] if printable else ["not_printed"]
            )

    def _order(
        self,
        sym: Symbol,
        ts: int,
        action: OrderAction,
        order_id: int,
        side: BookSide | None,
        price: int,
        volume: int,
        new_id: int | None = None,
        trade_id: int | None = None,
    ) -> None:
        """The L3 event of a book message (before the book applies it: the side of an order
        the message does not repeat comes from the book)."""
        if side is None:
            known = sym.book.order(order_id)
            if known is not None:
                side = _BOOK_SIDE[known[0]]
        head = {"symbol": sym.symbol, "venue": sym.venue, "provider": PROVIDER}
        self.out.append(
            OrderUpdate(
                **head,
                ts_event=ts,
                ts_recv=self._ts_recv,
                seq=self._seq_num,
                action=action,
                order_id=str(order_id),
                side=side,
                price=price / sym.divisor,
                size=float(volume),
                new_order_id=None if new_id is None else str(new_id),
                trade_id=None if trade_id is None else str(trade_id),
            )
        )

    def _non_displayed(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, trade_id, price, volume, printable, _db = _NONDISP(data, offset + 4)
        sym = self._symbol(index)
        if sym is None or not sym.trades:
            return
        self._seq_num = sseq
        conditions = ["non_displayed"] if printable else ["non_displayed", "not_printed"]
        self._trade(sym, self._ns(sym, ns), price, volume, str(trade_id), "unknown", conditions)

    def _cross(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, cross_id, price, volume, cross_type = _CROSS(data, offset + 4)
        sym = self._symbol(index)
        if sym is None or not sym.trades:
            return
        self._seq_num = sseq
        conditions = ["cross", cross_type.decode("latin-1")]
        self._trade(sym, self._ns(sym, ns), price, volume, f"X{cross_id}", "unknown", conditions)

    def _trade_cancel(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, trade_id = _CANCEL(data, offset + 4)
        sym = self._symbol(index)
        if sym is None or not sym.trades:
            return
        self._notice(sym, ns, sseq, "trade_cancel", f"trade {trade_id} cancelled")

    def _cross_correction(self, data: bytes, offset: int, size: int) -> None:
        ns, index, sseq, cross_id, volume = _CROSS_CORR(data, offset + 4)
        sym = self._symbol(index)
        if sym is None or not sym.trades:
            return
        self._notice(sym, ns, sseq, "trade_correction", f"cross X{cross_id} volume now {volume}")

    def _notice(self, sym: Symbol, ns: int, sseq: int, kind: str, detail: str) -> None:
        self._integrity(sym, self._ns(sym, ns), self._ts_recv, sseq, kind, "info", detail)

    def _integrity(
        self,
        sym: Symbol,
        ts: int,
        ts_recv: int,
        seq: int | None,
        kind: str,
        severity: Severity,
        detail: str,
    ) -> None:
        self.out.append(
            Integrity(
                symbol=sym.symbol,
                venue=sym.venue,
                provider=PROVIDER,
                ts_event=ts,
                ts_recv=ts_recv,
                seq=seq,
                kind=kind,
                severity=severity,
                detail=detail,
            )
        )
