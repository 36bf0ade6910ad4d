"""XDP wire layouts: the packet header, the message header and every message this package reads.

One table (:data:`LAYOUTS`) holds each message layout once: its type code, name, the ``struct``
format of its body (the bytes after the 4-byte message header), the field names and the section
of the spec it comes from. The decoder (``parse.py``), the benchmark and the tests' packet
builder all read this table, so a layout is never written down twice.

Sources (read 2026-12-02; the official PDFs' field tables as transcribed in the project's
research notes, ``shared/research/ib-nyse.md`` Part B, and re-checked against the generated
header named below):

- NYSE *XDP Common Client Specification* v2.3c: §1–3 framing (little-endian, unsigned unless
  stated, 1-byte aligned, ASCII NUL-padded, packets ≤ 1400 bytes, no message straddles
  packets), the 16-byte packet header, Delivery Flag values, the 4-byte message header, the
  control messages 1, 2, 3, 31 and 35.
- NYSE *XDP Integrated Feed Client Specification* v2.3a: §4 messages 32, 34, 100–114, 223 and
  Appendix C product ids.
- Cross-checked field by field against the Open Markets Initiative C header generated from
  that spec (``Open-Markets-Initiative/c-structs``,
  ``nyse/Nyse.Equities.IntegratedFeed.Xdp.v2.3.a.h``) — every size below matches it, except
  Imbalance: the header stops at ``NumExtensions`` (67 bytes) while the v2.3a text has
  ``UnpairedQty``/``UnpairedSide``/``SignificantImbalance`` up to 73; both are read (the
  extension only when ``MsgSize`` holds it).

``MsgSize`` counts the whole message including its header, and the spec says never to hard-code
sizes: the decoder advances by ``MsgSize``, reads only the known prefix and ignores trailing
bytes (later releases append fields). A message shorter than its known prefix is malformed.

Open questions (not verifiable from what could be read here):

- Section numbers of each layout in the two specs were not recorded (``Layout.source`` names
  the spec only).
- Imbalance: 67 bytes (OMI's v2.3a header) or 73 (v2.3a text, with UnpairedQty/UnpairedSide/
  SignificantImbalance)? Both are accepted; the extension is read only when present.
- Prices are read unsigned, as the official text says; OMI's Pillar v2.5.g dissector types them
  int32. A negative price would show as a huge one.
- A Sequence Number Reset after data: failover (flag 10) and a new day look alike on the wire;
  the handler treats any reset after data as losing the channel's book state.
- Source Time Reference ``ID`` is linked to the Symbol Index Mapping ``SystemID`` (research
  notes); when no STR of that ID was seen, the channel's latest STR is used.
- Order Execution ``Volume`` is taken as the executed quantity and the book is reduced at the
  resting order's price (``Price`` is the execution price).
- v2.5.x moved fields (Modify/Replace ``Side``, Execution/Non-Displayed ``TradeCond1–4`` in
  place of ``DBExecID``): this table is v2.3a; those bytes are read but not interpreted.
- Refresh Header semantics: ``LastSeqNum`` is taken as the last *realtime channel* sequence
  number a refresh reflects (messages after it are applied on top of the refreshed book);
  ``LastSymbolSeqNum`` is read but not used. Not confirmed by a capture.
- Request-server messages (10 Retransmission Request, 11 Request Response, 12 Heartbeat
  Response, 13 Symbol Index Mapping Request, 15 Refresh Request) are in
  :data:`REQUEST_LAYOUTS`, sized as the OMI Lean definitions generated from the Pillar specs
  (``Open-Markets-Initiative/omi-lean-definitions``, read 2026-12-03): 24, 29, 14, 21 and 20
  bytes. They travel in packets with the same 16-byte header. ``RequestSeqNum`` of a response is
  taken as the ``SeqNum`` of the client's request packet, and the Request Server's heartbeat as a
  packet of no messages (delivery flag 1) that the client answers with a Heartbeat Response;
  neither could be checked against the official text here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Final

PACKET_HEADER: Final = struct.Struct("<HBBIII")
"""PktSize, DeliveryFlag, NumberMsgs, SeqNum (of the first message), SendTime (s), SendTimeNS."""
MESSAGE_HEADER: Final = struct.Struct("<HH")
"""MsgSize (whole message, header included), MsgType."""
PACKET_HEADER_SIZE: Final = PACKET_HEADER.size
MESSAGE_HEADER_SIZE: Final = MESSAGE_HEADER.size
MAX_PACKET_SIZE: Final = 1400

# Delivery flags (Common v2.3c §2.2).
HEARTBEAT: Final = 1
FAILOVER: Final = 10
ORIGINAL: Final = 11
SEQUENCE_RESET: Final = 12
RETRANSMISSION_ONE: Final = 13
RETRANSMISSION_PART: Final = 15
REFRESH_ONE: Final = 17
REFRESH_START: Final = 18
REFRESH_PART: Final = 19
REFRESH_END: Final = 20
MESSAGE_UNAVAILABLE_FLAG: Final = 21
REFRESH_FLAGS: Final = frozenset({REFRESH_ONE, REFRESH_START, REFRESH_PART, REFRESH_END})
RETRANSMISSION_FLAGS: Final = frozenset({RETRANSMISSION_ONE, RETRANSMISSION_PART})

# Message types.
SEQUENCE_NUMBER_RESET: Final = 1
SOURCE_TIME_REFERENCE: Final = 2
SYMBOL_INDEX_MAPPING: Final = 3
MESSAGE_UNAVAILABLE: Final = 31
SYMBOL_CLEAR: Final = 32
SECURITY_STATUS: Final = 34
REFRESH_HEADER: Final = 35
ADD_ORDER: Final = 100
MODIFY_ORDER: Final = 101
DELETE_ORDER: Final = 102
ORDER_EXECUTION: Final = 103
REPLACE_ORDER: Final = 104
IMBALANCE: Final = 105
ADD_ORDER_REFRESH: Final = 106
NON_DISPLAYED_TRADE: Final = 110
CROSS_TRADE: Final = 111
TRADE_CANCEL: Final = 112
CROSS_CORRECTION: Final = 113
RETAIL_PRICE_IMPROVEMENT: Final = 114
STOCK_SUMMARY: Final = 223

RETRANSMISSION_REQUEST: Final = 10
REQUEST_RESPONSE: Final = 11
HEARTBEAT_RESPONSE: Final = 12
SYMBOL_INDEX_MAPPING_REQUEST: Final = 13
REFRESH_REQUEST: Final = 15
CONTROL_TYPES: Final = frozenset(
    {
        RETRANSMISSION_REQUEST,
        REQUEST_RESPONSE,
        HEARTBEAT_RESPONSE,
        SYMBOL_INDEX_MAPPING_REQUEST,
        REFRESH_REQUEST,
    }
)
"""Request-server messages (retransmission/refresh requests and responses, heartbeat
response): a multicast reader skips them; ``requests.py`` speaks them."""
SOURCE_ID_SIZE: Final = 10
"""``SourceID``: the client's name at the Request Server, ASCII, NUL-padded."""
RESPONSE_STATUS: Final[dict[bytes, str]] = {
    b"0": "accepted",
    b"1": "rejected: invalid source id",
    b"2": "rejected: invalid sequence range",
    b"3": "rejected: maximum sequence range exceeded",
    b"4": "rejected: maximum requests in a day",
    b"5": "rejected: maximum refresh requests in a day",
    b"6": "rejected: request sequence number too old (TTL)",
    b"7": "rejected: invalid channel id",
    b"8": "rejected: invalid product id",
    b"9": "rejected: invalid message type or size",
}
"""Request Response ``Status`` codes."""
ACCEPTED: Final = b"0"


@dataclass(frozen=True)
class Layout:
    """One message type: its body after the 4-byte header."""

    type: int
    name: str
    body: struct.Struct
    fields: tuple[str, ...]
    source: str
    """The spec the layout was taken from (its message table; section numbers were not
    recorded)."""

    @property
    def size(self) -> int:
        """``MsgSize`` of the layout as published (header included)."""
        return MESSAGE_HEADER_SIZE + self.body.size


def _layout(type_: int, name: str, fmt: str, fields: str, source: str) -> Layout:
    body = struct.Struct(fmt)
    names = tuple(fields.split())
    n_values = len(body.unpack(bytes(body.size)))
    if n_values != len(names):  # a table typo fails at import, not on the wire
        raise AssertionError(f"{name}: {len(names)} names for {n_values} values")
    return Layout(type_, name, body, names, source)


_COMMON = "XDP Common Client Spec v2.3c"
_INTEGRATED = "XDP Integrated Feed Client Spec v2.3a"

LAYOUTS: Final[dict[int, Layout]] = {
    layout.type: layout
    for layout in (
        _layout(
            SEQUENCE_NUMBER_RESET,
            "Sequence Number Reset",
            "<IIBB",
            "source_time source_time_ns product_id channel_id",
            _COMMON,
        ),
        _layout(
            SOURCE_TIME_REFERENCE,
            "Source Time Reference",
            "<III",
            "id symbol_seq_num source_time",
            _COMMON,
        ),
        _layout(
            SYMBOL_INDEX_MAPPING,
            "Symbol Index Mapping",
            "<I11sxHBcBcHIIBcHH2x",
            "symbol_index symbol market_id system_id exchange_code price_scale_code "
            "security_type lot_size prev_close_price prev_close_volume price_resolution "
            "round_lot mpv unit_of_trade",
            _COMMON,
        ),
        _layout(
            MESSAGE_UNAVAILABLE,
            "Message Unavailable",
            "<IIBB",
            "begin_seq_num end_seq_num product_id channel_id",
            _COMMON,
        ),
        _layout(
            SYMBOL_CLEAR,
            "Symbol Clear",
            "<IIII",
            "source_time source_time_ns symbol_index next_source_seq_num",
            _INTEGRATED,
        ),
        _layout(
            SECURITY_STATUS,
            "Security Status",
            "<IIIIcc4xIIcIIccc",
            "source_time source_time_ns symbol_index symbol_seq_num security_status "
            "halt_condition price1 price2 ssr_triggering_exchange ssr_triggering_volume time "
            "ssr_state market_state session_state",
            _INTEGRATED,
        ),
        _layout(
            REFRESH_HEADER,
            "Refresh Header",
            "<HHII",
            "current_refresh_pkt total_refresh_pkts last_seq_num last_symbol_seq_num",
            _COMMON,
        ),
        _layout(
            ADD_ORDER,
            "Add Order",
            "<IIIQIIc5sB",
            "source_time_ns symbol_index symbol_seq_num order_id price volume side firm_id "
            "num_parity_splits",
            _INTEGRATED,
        ),
        _layout(
            MODIFY_ORDER,
            "Modify Order",
            "<IIIQIIBBB",
            "source_time_ns symbol_index symbol_seq_num order_id price volume position_change "
            "prev_price_parity_splits new_price_parity_splits",
            _INTEGRATED,
        ),
        _layout(
            DELETE_ORDER,
            "Delete Order",
            "<IIIQB",
            "source_time_ns symbol_index symbol_seq_num order_id num_parity_splits",
            _INTEGRATED,
        ),
        _layout(
            ORDER_EXECUTION,
            "Order Execution",
            "<IIIQIIIBBI",
            "source_time_ns symbol_index symbol_seq_num order_id trade_id price volume "
            "printable_flag num_parity_splits db_exec_id",
            _INTEGRATED,
        ),
        _layout(
            REPLACE_ORDER,
            "Replace Order",
            "<IIIQQIIBB",
            "source_time_ns symbol_index symbol_seq_num order_id new_order_id price volume "
            "prev_price_parity_splits new_price_parity_splits",
            _INTEGRATED,
        ),
        _layout(
            IMBALANCE,
            "Imbalance",
            "<IIIIIIIIHcc6IBBB",
            "source_time source_time_ns symbol_index symbol_seq_num reference_price paired_qty "
            "total_imbalance_qty market_imbalance_qty auction_time auction_type imbalance_side "
            "continuous_book_clearing_price auction_interest_clearing_price ssr_filing_price "
            "indicative_match_price upper_collar lower_collar auction_status freeze_status "
            "num_extensions",
            _INTEGRATED,
        ),
        _layout(
            ADD_ORDER_REFRESH,
            "Add Order Refresh",
            "<IIIIQIIc5sB",
            "source_time source_time_ns symbol_index symbol_seq_num order_id price volume side "
            "firm_id num_parity_splits",
            _INTEGRATED,
        ),
        _layout(
            NON_DISPLAYED_TRADE,
            "Non-Displayed Trade",
            "<IIIIIIBI",
            "source_time_ns symbol_index symbol_seq_num trade_id price volume printable_flag "
            "db_exec_id",
            _INTEGRATED,
        ),
        _layout(
            CROSS_TRADE,
            "Cross Trade",
            "<IIIIIIc",
            "source_time_ns symbol_index symbol_seq_num cross_id price volume cross_type",
            _INTEGRATED,
        ),
        _layout(
            TRADE_CANCEL,
            "Trade Cancel",
            "<IIII",
            "source_time_ns symbol_index symbol_seq_num trade_id",
            _INTEGRATED,
        ),
        _layout(
            CROSS_CORRECTION,
            "Cross Correction",
            "<IIIII",
            "source_time_ns symbol_index symbol_seq_num cross_id volume",
            _INTEGRATED,
        ),
        _layout(
            RETAIL_PRICE_IMPROVEMENT,
            "Retail Price Improvement",
            "<IIIc",
            "source_time_ns symbol_index symbol_seq_num rpi_indicator",
            _INTEGRATED,
        ),
        _layout(
            STOCK_SUMMARY,
            "Stock Summary",
            "<IIIIIIII",
            "source_time source_time_ns symbol_index high low open close total_volume",
            _INTEGRATED,
        ),
    )
}

REQUEST_LAYOUTS: Final[dict[int, Layout]] = {
    layout.type: layout
    for layout in (
        _layout(
            RETRANSMISSION_REQUEST,
            "Retransmission Request",
            "<II10sBB",
            "begin_seq_num end_seq_num source_id product_id channel_id",
            _COMMON,
        ),
        _layout(
            REQUEST_RESPONSE,
            "Request Response",
            "<III10sBBc",
            "request_seq_num begin_seq_num end_seq_num source_id product_id channel_id status",
            _COMMON,
        ),
        _layout(HEARTBEAT_RESPONSE, "Heartbeat Response", "<10s", "source_id", _COMMON),
        _layout(
            SYMBOL_INDEX_MAPPING_REQUEST,
            "Symbol Index Mapping Request",
            "<I10sBBB",
            "symbol_index source_id product_id channel_id retransmit_method",
            _COMMON,
        ),
        _layout(
            REFRESH_REQUEST,
            "Refresh Request",
            "<I10sBB",
            "symbol_index source_id product_id channel_id",
            _COMMON,
        ),
    )
}
"""Messages between a client and the Request Server (TCP), not on the multicast feed."""

IMBALANCE_EXTENSION: Final = struct.Struct("<Icc")
"""UnpairedQty, UnpairedSide, SignificantImbalance at offset 67 of an Imbalance message whose
MsgSize is at least 73 (v2.3a text; absent from OMI's v2.3a header)."""
IMBALANCE_EXTENSION_OFFSET: Final = 67

PRODUCT_IDS: Final[dict[int, str]] = {
    11: "NYSE Integrated",
    59: "NYSE American Integrated",
    109: "NYSE National Integrated",
    157: "NYSE Arca Integrated",
    209: "NYSE Chicago Integrated",
}
"""Integrated feed product ids (Integrated v2.3a Appendix C)."""

MARKET_VENUES: Final[dict[int, str]] = {1: "XNYS", 3: "ARCX", 9: "XASE", 10: "XCIS", 11: "XCHI"}
"""Symbol Index Mapping ``MarketID`` → the MIC used as ``venue``."""


def decode_message(
    data: bytes | memoryview, offset: int = 0
) -> tuple[int, int, tuple[object, ...]]:
    """``(msg_type, msg_size, fields)`` of the message at ``offset`` (fields empty for a type
    this table does not hold). Raises ``ValueError`` for a truncated or undersized message."""
    if offset + MESSAGE_HEADER_SIZE > len(data):
        raise ValueError(f"message header at offset {offset} runs past the packet")
    size, msg_type = MESSAGE_HEADER.unpack_from(data, offset)
    if size < MESSAGE_HEADER_SIZE or offset + size > len(data):
        raise ValueError(f"message type {msg_type} at offset {offset}: bad MsgSize {size}")
    layout = LAYOUTS.get(msg_type)
    if layout is None:
        return msg_type, size, ()
    if size < layout.size:
        raise ValueError(f"{layout.name}: MsgSize {size} is shorter than its {layout.size} bytes")
    return msg_type, size, layout.body.unpack_from(data, offset + MESSAGE_HEADER_SIZE)
