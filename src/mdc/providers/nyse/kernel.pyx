# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled message loop of ``XdpFeed`` (``parse.py``): the book messages applied in C.

``run(feed, ch, data, count, seq, skip)`` stands for ``XdpFeed._run`` over one in-order packet.
It walks the message headers and applies Add/Modify/Delete/Replace Order and Order Execution
itself, on the feed's own state (the ``OrderBook`` dictionaries, ``Symbol`` and ``Channel``
fields), so the Python reference and the kernel share one book and can take turns message by
message. Everything else goes to ``feed._dispatch`` (the reference handler), and so does every
book message off the common path: an unmapped symbol, an order the book does not hold or
already holds, a symbol with a refresh backlog, ``order_events`` (L3) on, a book whose first
snapshot is still to be published. A malformed message header hands the rest of the packet to
``feed._run``, which reports it. Events are the reference's, field by field, in order
(``tests/unit/providers/nyse/test_nyse_kernel.py`` holds the two paths identical).

Body offsets are not written down here: they are computed at import from the ``struct``
formats of ``messages.LAYOUTS``, and the import fails (leaving the Python path in charge) if a
field the kernel reads is not the width it reads or the host is not little-endian.
"""

import re
import sys

from cpython.dict cimport PyDict_GetItem, PyDict_SetItem, PyDict_DelItem
from cpython.object cimport PyObject
from libc.stdint cimport uint32_t, uint64_t
from libc.string cimport memcpy

from mdc.domain.events import BookDelta, Trade
from mdc.domain.time import NS_PER_S
from mdc.providers.nyse import messages as m

if sys.byteorder != "little":
    raise ImportError("the XDP kernel reads little-endian fields natively")

_WIDTHS = {"I": 4, "Q": 8, "c": 1, "B": 1, "H": 2, "s": 1, "x": 1}


def field_offsets(layout):
    """Field name → (offset from the message start, struct code) of a layout."""
    out = {}
    names = iter(layout.fields)
    offset = m.MESSAGE_HEADER_SIZE
    for count, code in re.findall(r"(\d*)([a-zA-Z])", layout.body.format.lstrip("<")):
        n = int(count or 1)
        if code == "x":
            offset += n
        elif code == "s":
            out[next(names)] = (offset, code)
            offset += n
        else:
            for _ in range(n):
                out[next(names)] = (offset, code)
                offset += _WIDTHS[code]
    return out


# What the kernel reads of each message: (type, field) → the struct code it reads it as.
READS = {
    (m.ADD_ORDER, "source_time_ns"): "I",
    (m.ADD_ORDER, "symbol_index"): "I",
    (m.ADD_ORDER, "symbol_seq_num"): "I",
    (m.ADD_ORDER, "order_id"): "Q",
    (m.ADD_ORDER, "price"): "I",
    (m.ADD_ORDER, "volume"): "I",
    (m.ADD_ORDER, "side"): "c",
    (m.MODIFY_ORDER, "source_time_ns"): "I",
    (m.MODIFY_ORDER, "symbol_index"): "I",
    (m.MODIFY_ORDER, "symbol_seq_num"): "I",
    (m.MODIFY_ORDER, "order_id"): "Q",
    (m.MODIFY_ORDER, "price"): "I",
    (m.MODIFY_ORDER, "volume"): "I",
    (m.DELETE_ORDER, "source_time_ns"): "I",
    (m.DELETE_ORDER, "symbol_index"): "I",
    (m.DELETE_ORDER, "symbol_seq_num"): "I",
    (m.DELETE_ORDER, "order_id"): "Q",
    (m.ORDER_EXECUTION, "source_time_ns"): "I",
    (m.ORDER_EXECUTION, "symbol_index"): "I",
    (m.ORDER_EXECUTION, "symbol_seq_num"): "I",
    (m.ORDER_EXECUTION, "order_id"): "Q",
    (m.ORDER_EXECUTION, "trade_id"): "I",
    (m.ORDER_EXECUTION, "price"): "I",
    (m.ORDER_EXECUTION, "volume"): "I",
    (m.ORDER_EXECUTION, "printable_flag"): "B",
    (m.REPLACE_ORDER, "source_time_ns"): "I",
    (m.REPLACE_ORDER, "symbol_index"): "I",
    (m.REPLACE_ORDER, "symbol_seq_num"): "I",
    (m.REPLACE_ORDER, "order_id"): "Q",
    (m.REPLACE_ORDER, "new_order_id"): "Q",
    (m.REPLACE_ORDER, "price"): "I",
    (m.REPLACE_ORDER, "volume"): "I",
}


def offsets(layouts=m.LAYOUTS):
    """(type, field) → offset the kernel reads, from ``layouts``; ImportError when a field is
    not the width the kernel reads it as."""
    out = {}
    tables = {}
    for (msg_type, name), code in READS.items():
        table = tables.get(msg_type)
        if table is None:
            table = tables[msg_type] = field_offsets(layouts[msg_type])
        offset, found = table[name]
        if found != code:
            raise ImportError(
                f"{layouts[msg_type].name}.{name} is {found!r}; the kernel reads {code!r}"
            )
        out[msg_type, name] = offset
    return out


_OFF = offsets()
_MIN = {t: layout.size for t, layout in m.LAYOUTS.items()}

# The fields every book message starts with sit at the same offsets in all five layouts.
for _t in (m.ADD_ORDER, m.MODIFY_ORDER, m.DELETE_ORDER, m.ORDER_EXECUTION, m.REPLACE_ORDER):
    for _name in ("source_time_ns", "symbol_index", "symbol_seq_num", "order_id"):
        if _OFF[_t, _name] != _OFF[m.ADD_ORDER, _name]:
            raise ImportError(f"{m.LAYOUTS[_t].name}.{_name} moved; the kernel reads it shared")

cdef Py_ssize_t O_NS = _OFF[m.ADD_ORDER, "source_time_ns"]
cdef Py_ssize_t O_INDEX = _OFF[m.ADD_ORDER, "symbol_index"]
cdef Py_ssize_t O_SSEQ = _OFF[m.ADD_ORDER, "symbol_seq_num"]
cdef Py_ssize_t O_ORDER = _OFF[m.ADD_ORDER, "order_id"]
cdef Py_ssize_t O_ADD_PRICE = _OFF[m.ADD_ORDER, "price"]
cdef Py_ssize_t O_ADD_VOLUME = _OFF[m.ADD_ORDER, "volume"]
cdef Py_ssize_t O_ADD_SIDE = _OFF[m.ADD_ORDER, "side"]
cdef Py_ssize_t O_MOD_PRICE = _OFF[m.MODIFY_ORDER, "price"]
cdef Py_ssize_t O_MOD_VOLUME = _OFF[m.MODIFY_ORDER, "volume"]
cdef Py_ssize_t O_EXEC_TRADE = _OFF[m.ORDER_EXECUTION, "trade_id"]
cdef Py_ssize_t O_EXEC_VOLUME = _OFF[m.ORDER_EXECUTION, "volume"]
cdef Py_ssize_t O_EXEC_PRICE = _OFF[m.ORDER_EXECUTION, "price"]
cdef Py_ssize_t O_EXEC_PRINTABLE = _OFF[m.ORDER_EXECUTION, "printable_flag"]
cdef Py_ssize_t O_REP_NEW = _OFF[m.REPLACE_ORDER, "new_order_id"]
cdef Py_ssize_t O_REP_PRICE = _OFF[m.REPLACE_ORDER, "price"]
cdef Py_ssize_t O_REP_VOLUME = _OFF[m.REPLACE_ORDER, "volume"]
cdef Py_ssize_t MIN_ADD = _MIN[m.ADD_ORDER]
cdef Py_ssize_t MIN_MODIFY = _MIN[m.MODIFY_ORDER]
cdef Py_ssize_t MIN_DELETE = _MIN[m.DELETE_ORDER]
cdef Py_ssize_t MIN_EXEC = _MIN[m.ORDER_EXECUTION]
cdef Py_ssize_t MIN_REPLACE = _MIN[m.REPLACE_ORDER]
cdef Py_ssize_t PACKET_HEADER = m.PACKET_HEADER_SIZE
cdef long long NS = NS_PER_S
cdef int ADD = m.ADD_ORDER
cdef int MODIFY = m.MODIFY_ORDER
cdef int DELETE = m.DELETE_ORDER
cdef int EXECUTION = m.ORDER_EXECUTION
cdef int REPLACE = m.REPLACE_ORDER

cdef str PROVIDER = "nyse"
cdef str BID = "bid"
cdef str ASK = "ask"
cdef str BUY = "buy"
cdef str SELL = "sell"
cdef str UNKNOWN = "unknown"
cdef str NOT_PRINTED = "not_printed"


cdef inline uint32_t u32(const unsigned char* p) noexcept nogil:
    cdef uint32_t v
    memcpy(&v, p, 4)
    return v


cdef inline uint64_t u64(const unsigned char* p) noexcept nogil:
    cdef uint64_t v
    memcpy(&v, p, 8)
    return v


cdef inline unsigned int u16(const unsigned char* p) noexcept nogil:
    return p[0] | (p[1] << 8)


cdef object move(dict levels, object price, long long change):
    """``OrderBook._move``: add ``change`` to a level; the new total (the level goes at 0)."""
    cdef PyObject* found = PyDict_GetItem(levels, price)
    cdef long long total = change
    if found is not NULL:
        total += <long long>(<object>found)
    if total > 0:
        result = total
        PyDict_SetItem(levels, price, result)
        return result
    if found is not NULL:
        PyDict_DelItem(levels, price)
    return 0


cdef class _Packet:
    """What the messages of one packet share."""

    cdef object feed
    cdef object out
    cdef object ts_recv
    cdef dict source_seconds
    cdef long long latest_seconds
    cdef bint book_events

    cdef long long ts(self, object sym, uint32_t ns):
        """``XdpFeed._ns``: the seconds of the symbol's partition (or the channel's latest)."""
        cdef PyObject* found = PyDict_GetItem(self.source_seconds, sym.system_id)
        cdef long long seconds = self.latest_seconds
        if found is not NULL:
            seconds = <long long>(<object>found)
        return seconds * NS + ns

    cdef void levels(self, object sym, object book, long long ts, object seq_num, tuple changes):
        """``XdpFeed._levels``: a delta per changed level (the reference makes a book's first
        snapshot)."""
        if not (self.book_events and sym.depth and book.trusted):
            return
        if not book.published:
            self.feed._levels(sym, ts, changes)
            return
        symbol = sym.symbol
        venue = sym.venue
        cdef double div = <double>(<long long>sym.divisor)
        out = self.out
        for change in changes:
            is_bid, price, total = <tuple>change
            out.append(
                BookDelta(
                    symbol=symbol,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=ts,
                    ts_recv=self.ts_recv,
                    seq=seq_num,
                    side=BID if is_bid else ASK,
                    price=<double>(<long long>price) / div,
                    size=<double>(<long long>total),
                )
            )


def run(feed, ch, bytes data, Py_ssize_t count, Py_ssize_t seq, Py_ssize_t skip):
    """``XdpFeed._run(ch, data, count, seq, skip, 0, 16)`` with the book messages in C."""
    cdef const unsigned char* buf = data
    cdef Py_ssize_t limit = len(data)
    cdef Py_ssize_t offset = PACKET_HEADER
    cdef Py_ssize_t i, size
    cdef int msg_type
    cdef long long msg_seq = 0
    cdef bint order_events = feed.order_events
    cdef dict symbols = feed.symbols
    cdef _Packet pk = _Packet()
    pk.feed = feed
    pk.out = feed.out
    pk.ts_recv = feed._ts_recv
    pk.source_seconds = ch.source_seconds
    pk.latest_seconds = ch.latest_seconds
    pk.book_events = feed.book_events
    dispatch = feed._dispatch
    for i in range(count):
        size = u16(buf + offset) if offset + 4 <= limit else 0
        if size < 4 or offset + size > limit:  # malformed: the reference reports it
            if i > skip:
                feed._msg_seq = msg_seq
            feed._run(ch, data, count, seq, skip, i, offset)
            return
        if i >= skip:
            msg_type = u16(buf + offset + 2)
            msg_seq = seq + i
            if not (
                ADD <= msg_type <= REPLACE
                and not order_events
                and book_message(pk, symbols, buf + offset, size, msg_type, msg_seq)
            ):
                dispatch(data, offset, size, msg_type, msg_seq)
                pk.latest_seconds = ch.latest_seconds  # a Source Time Reference moves it
                pk.out = feed.out
        offset += size
    if count > skip:
        feed._msg_seq = msg_seq
    ch.messages += count - skip


cdef bint book_message(
    _Packet pk, dict symbols, const unsigned char* p, Py_ssize_t size, int msg_type,
    long long msg_seq,
) except -1:
    """Apply one book message the way its ``XdpFeed`` handler does; False (having changed
    nothing) when the reference must handle it."""
    if size < (
        MIN_ADD if msg_type == ADD else MIN_MODIFY if msg_type == MODIFY
        else MIN_DELETE if msg_type == DELETE else MIN_EXEC if msg_type == EXECUTION
        else MIN_REPLACE
    ):
        return False  # shorter than its layout: a bad message
    cdef PyObject* found = PyDict_GetItem(symbols, u32(p + O_INDEX))
    if found is NULL:
        return False  # unmapped: the reference counts it
    sym = <object>found
    if msg_type == EXECUTION:
        return execution(pk, sym, p, msg_seq)
    if not sym.depth or msg_seq <= sym.skip_through:
        return True  # not published, or already in the refresh that rebuilt the book
    if sym.backlog is not None:
        return False  # a refresh is awaited: the reference records what it applies
    book = sym.book
    cdef dict orders = book.orders
    cdef tuple changes
    order_id = u64(p + O_ORDER)
    found = PyDict_GetItem(orders, order_id)
    if msg_type == ADD:
        if found is not NULL:
            return False  # an order already live is a bad message
        is_bid = p[O_ADD_SIDE] == 66  # b"B"
        price = u32(p + O_ADD_PRICE)
        volume = u32(p + O_ADD_VOLUME)
        orders[order_id] = (is_bid, price, volume)
        changes = ((is_bid, price, move(book.bids if is_bid else book.asks, price, volume)),)
    elif found is NULL:
        return False  # an order the book does not hold: the reference decides
    elif msg_type == MODIFY:
        changes = modify(
            book, orders, order_id, <tuple>found, u32(p + O_MOD_PRICE), u32(p + O_MOD_VOLUME)
        )
    elif msg_type == DELETE:
        is_bid, price, volume = <tuple>found
        PyDict_DelItem(orders, order_id)
        levels = book.bids if is_bid else book.asks
        changes = ((is_bid, price, move(levels, price, -<long long>volume)),)
    else:
        changes = replace(
            book, orders, order_id, <tuple>found, u64(p + O_REP_NEW), u32(p + O_REP_PRICE),
            u32(p + O_REP_VOLUME),
        )
    seq_num = u32(p + O_SSEQ)
    pk.feed._seq_num = seq_num
    if changes:
        pk.levels(sym, book, pk.ts(sym, u32(p + O_NS)), seq_num, changes)
    return True


cdef bint execution(_Packet pk, object sym, const unsigned char* p, long long msg_seq) except -1:
    """``XdpFeed._execution``: the book reduced at the resting order's price, then the
    ``Trade`` (aggressor = the side opposite the resting order)."""
    cdef bint booked = sym.depth and msg_seq > sym.skip_through
    cdef dict orders
    cdef PyObject* found = NULL
    cdef long long left, volume = u32(p + O_EXEC_VOLUME)
    side = UNKNOWN
    order_id = book = orders = None
    if booked:
        if sym.backlog is not None:
            return False
        book = sym.book
        orders = book.orders
        order_id = u64(p + O_ORDER)
        found = PyDict_GetItem(orders, order_id)
        if found is NULL:
            return False  # an unknown order: the reference decides
    seq_num = u32(p + O_SSEQ)
    pk.feed._seq_num = seq_num
    cdef long long ts = pk.ts(sym, u32(p + O_NS))
    if booked:
        is_bid, price, open_volume = <tuple>found
        left = <long long>open_volume - volume
        if left > 0:
            orders[order_id] = (is_bid, price, left)
            traded = volume
        else:
            PyDict_DelItem(orders, order_id)
            traded = <long long>open_volume
        side = SELL if is_bid else BUY
        levels = book.bids if is_bid else book.asks
        pk.levels(sym, book, ts, seq_num, ((is_bid, price, move(levels, price, -traded)),))
    if sym.trades:
        venue = sym.venue
        pk.out.append(
            Trade(
                symbol=sym.symbol,
                venue=venue,
                provider=PROVIDER,
                ts_event=ts,
                ts_recv=pk.ts_recv,
                seq=seq_num,
                price=<double>u32(p + O_EXEC_PRICE) / <double>(<long long>sym.divisor),
                size=<double>volume,
                side=side,
                trade_id=str(u32(p + O_EXEC_TRADE)),
                exchange=venue,
                conditions=[] if p[O_EXEC_PRINTABLE] else [NOT_PRINTED],
            )
        )
    return True


cdef tuple modify(
    object book, dict orders, object order_id, tuple old, uint32_t price, uint32_t volume
):
    """``OrderBook.modify`` of a live order."""
    is_bid, old_price, old_volume = old
    orders[order_id] = (is_bid, price, volume)
    levels = book.bids if is_bid else book.asks
    if price == old_price:
        if volume == old_volume:
            return ()
        return ((is_bid, price, move(levels, price, <long long>volume - <long long>old_volume)),)
    return (
        (is_bid, old_price, move(levels, old_price, -<long long>old_volume)),
        (is_bid, price, move(levels, price, volume)),
    )


cdef tuple replace(
    object book, dict orders, object order_id, tuple old, uint64_t new_id, uint32_t price,
    uint32_t volume,
):
    """``OrderBook.replace`` of a live order."""
    is_bid, old_price, old_volume = old
    PyDict_DelItem(orders, order_id)
    orders[new_id] = (is_bid, price, volume)
    levels = book.bids if is_bid else book.asks
    if price == old_price:
        return ((is_bid, price, move(levels, price, <long long>volume - <long long>old_volume)),)
    return (
        (is_bid, old_price, move(levels, old_price, -<long long>old_volume)),
        (is_bid, price, move(levels, price, volume)),
    )
