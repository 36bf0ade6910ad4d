# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""The compiled message loop of ``XdpFeed`` (``parse.py``) and its compiled order book.

``Book`` is ``book.OrderBook`` in C (orders and levels in hash tables of machine integers, the
same methods and return values); a feed built with the kernel gives every symbol one, and its
Python handlers use it as they use the reference.

``run(feed, ch, data, count, seq, skip)`` stands for ``XdpFeed._run`` over one in-order packet.
It walks the message headers and applies Add/Modify/Delete/Replace Order and Order Execution
itself, on the feed's own state (the ``Book`` tables, ``Symbol`` and ``Channel`` fields), so
the Python handlers and the kernel share one book and can take turns message by message.
Everything else goes to ``feed._dispatch`` (the reference handler), and so does every book
message off the common path: an unmapped symbol, an order the book does not hold or already
holds, a symbol with a refresh backlog, ``order_events`` (L3) on. A book's first snapshot is
the reference's (``feed._levels``). A malformed message header hands the rest of the packet to
``feed._run``, which reports it. Events are the reference's, field by field, in order
(``tests/unit/providers/nyse/test_nyse_kernel.py`` holds the two paths identical).

Body offsets are not written down here: they are computed at import from the ``struct``
formats of ``messages.LAYOUTS``, and the import fails (leaving the Python path in charge) if a
field the kernel reads is not the width it reads or the host is not little-endian.
"""

import re
import sys

from cpython.dict cimport PyDict_GetItem
from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free
from libc.string cimport memcpy, memset

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


# -- the compiled book ------------------------------------------------------------------------
# Open addressing with linear probing over a power-of-two table, at most half full, deletion by
# backward shift (no tombstones, so a long day of adds and deletes never degrades a probe).

cdef struct Entry:
    uint64_t key  # order id, or price of a level
    int64_t value  # open volume of an order, or total volume of a level
    uint32_t price  # of an order
    uint8_t used
    uint8_t is_bid  # of an order


cdef struct Table:
    Entry* slots
    Py_ssize_t mask
    Py_ssize_t count
    int shift


cdef enum:
    FIRST_BITS = 3  # 8 slots: most symbols of a channel hold few orders


cdef int table_init(Table* t, int bits) except -1:
    t.slots = <Entry*>calloc(<size_t>1 << bits, sizeof(Entry))
    if t.slots == NULL:
        raise MemoryError()
    t.mask = (<Py_ssize_t>1 << bits) - 1
    t.shift = 64 - bits
    t.count = 0
    return 0


cdef inline Py_ssize_t home(const Table* t, uint64_t key) noexcept nogil:
    return <Py_ssize_t>((key * <uint64_t>0x9E3779B97F4A7C15) >> t.shift)


cdef inline Py_ssize_t find(const Table* t, uint64_t key) noexcept nogil:
    """The slot of ``key``, or -1."""
    cdef Py_ssize_t i = home(t, key)
    while t.slots[i].used:
        if t.slots[i].key == key:
            return i
        i = (i + 1) & t.mask
    return -1


cdef int grow(Table* t) except -1:
    cdef Entry* old = t.slots
    cdef Py_ssize_t n = t.mask + 1, i, j
    table_init(t, 64 - t.shift + 1)
    for i in range(n):
        if old[i].used:
            j = home(t, old[i].key)
            while t.slots[j].used:
                j = (j + 1) & t.mask
            t.slots[j] = old[i]
            t.count += 1
    free(old)
    return 0


cdef Py_ssize_t slot_for(Table* t, uint64_t key) except -1:
    """The slot of ``key``, a zeroed one taken for it when absent (indices move on growth)."""
    if (t.count + 1) * 2 > t.mask + 1:
        grow(t)
    cdef Py_ssize_t i = home(t, key)
    while t.slots[i].used:
        if t.slots[i].key == key:
            return i
        i = (i + 1) & t.mask
    memset(&t.slots[i], 0, sizeof(Entry))
    t.slots[i].used = 1
    t.slots[i].key = key
    t.count += 1
    return i


cdef void remove_at(Table* t, Py_ssize_t i) noexcept nogil:
    """Free slot ``i``, moving later entries of its probe run back (Knuth's Algorithm R)."""
    cdef Py_ssize_t j = i, k
    while True:
        j = (j + 1) & t.mask
        if not t.slots[j].used:
            break
        k = home(t, t.slots[j].key)
        if (k <= i or k > j) if j > i else (k <= i and k > j):
            t.slots[i] = t.slots[j]
            i = j
    t.slots[i].used = 0
    t.count -= 1


cdef int table_reset(Table* t) except -1:
    free(t.slots)
    t.slots = NULL
    return table_init(t, FIRST_BITS)


cdef class Book:
    """``book.OrderBook`` in C: orders and per-side levels in hash tables of machine integers.

    Same methods, same return values (tuples of Python ints and bools), so the feed's Python
    handlers use it exactly as they use the reference; the message loop below works on its
    tables directly. ``tests/unit/providers/nyse/test_nyse_kernel.py`` holds the two books
    identical under random operation sequences.
    """

    cdef Table table  # order id → side, price, open volume
    cdef Table sides[2]  # [0] asks, [1] bids: raw price → total volume
    cdef public bint trusted
    cdef public bint published

    def __cinit__(self, bint trusted):
        table_init(&self.table, FIRST_BITS)
        table_init(&self.sides[0], FIRST_BITS)
        table_init(&self.sides[1], FIRST_BITS)
        self.trusted = trusted
        self.published = False

    def __dealloc__(self):
        free(self.table.slots)
        free(self.sides[0].slots)
        free(self.sides[1].slots)

    def __len__(self):
        return self.table.count

    def clear(self):
        table_reset(&self.table)
        table_reset(&self.sides[0])
        table_reset(&self.sides[1])

    cdef int64_t move(self, bint is_bid, uint32_t price, int64_t change) except? -1:
        """``OrderBook._move``: the level's new total (the level goes at 0)."""
        cdef Table* t = &self.sides[1 if is_bid else 0]
        cdef Py_ssize_t i = find(t, price)
        cdef int64_t total = change
        if i >= 0:
            total += t.slots[i].value
        if total > 0:
            if i < 0:
                i = slot_for(t, price)
            t.slots[i].value = total
            return total
        if i >= 0:
            remove_at(t, i)
        return 0

    cdef Py_ssize_t put(self, uint64_t order_id, bint is_bid, uint32_t price, int64_t volume) except -1:
        cdef Py_ssize_t i = slot_for(&self.table, order_id)
        cdef Entry* e = &self.table.slots[i]
        e.is_bid = is_bid
        e.price = price
        e.value = volume
        return i

    def order(self, uint64_t order_id):
        """(is_bid, raw price, open volume) of a live order, or None."""
        cdef Py_ssize_t i = find(&self.table, order_id)
        if i < 0:
            return None
        cdef Entry* e = &self.table.slots[i]
        return (<bint>e.is_bid, e.price, e.value)

    def add(self, uint64_t order_id, bint is_bid, uint32_t price, uint32_t volume):
        if find(&self.table, order_id) >= 0:
            return None
        self.put(order_id, is_bid, price, volume)
        return (is_bid, price, self.move(is_bid, price, volume))

    def modify(self, uint64_t order_id, uint32_t price, uint32_t volume):
        cdef Py_ssize_t i = find(&self.table, order_id)
        if i < 0:
            return None
        cdef Entry* e = &self.table.slots[i]
        cdef bint is_bid = e.is_bid
        cdef uint32_t old_price = e.price
        cdef int64_t old_volume = e.value
        e.price = price
        e.value = volume
        if price == old_price:
            if volume == old_volume:
                return ()
            return ((is_bid, price, self.move(is_bid, price, volume - old_volume)),)
        return (
            (is_bid, old_price, self.move(is_bid, old_price, -old_volume)),
            (is_bid, price, self.move(is_bid, price, volume)),
        )

    def delete(self, uint64_t order_id):
        cdef Py_ssize_t i = find(&self.table, order_id)
        if i < 0:
            return None
        cdef Entry e = self.table.slots[i]
        remove_at(&self.table, i)
        return (<bint>e.is_bid, e.price, self.move(e.is_bid, e.price, -e.value))

    def execute(self, uint64_t order_id, int64_t volume):
        cdef Py_ssize_t i = find(&self.table, order_id)
        if i < 0:
            return None
        cdef Entry e = self.table.slots[i]
        cdef int64_t left = e.value - volume
        if left > 0:
            self.table.slots[i].value = left
        else:
            remove_at(&self.table, i)
            volume = e.value
        old = (<bint>e.is_bid, e.price, e.value)
        return old, (<bint>e.is_bid, e.price, self.move(e.is_bid, e.price, -volume))

    def replace(self, uint64_t order_id, uint64_t new_id, uint32_t price, uint32_t volume):
        cdef Py_ssize_t i = find(&self.table, order_id)
        if i < 0:
            return None
        cdef Entry e = self.table.slots[i]
        remove_at(&self.table, i)
        self.put(new_id, e.is_bid, price, volume)
        cdef bint is_bid = e.is_bid
        if price == e.price:
            return ((is_bid, price, self.move(is_bid, price, volume - e.value)),)
        return (
            (is_bid, e.price, self.move(is_bid, e.price, -e.value)),
            (is_bid, price, self.move(is_bid, price, volume)),
        )

    def levels(self, bint is_bid):
        """(raw price, volume), best first."""
        return sorted(side_items(&self.sides[1 if is_bid else 0]), reverse=is_bid)

    @property
    def orders(self):
        """Order id → (is_bid, raw price, open volume), as a new dict (tests, refreshes)."""
        cdef Py_ssize_t i
        cdef Entry* e
        out = {}
        for i in range(self.table.mask + 1):
            e = &self.table.slots[i]
            if e.used:
                out[e.key] = (<bint>e.is_bid, e.price, e.value)
        return out

    @property
    def bids(self):
        return dict(side_items(&self.sides[1]))

    @property
    def asks(self):
        return dict(side_items(&self.sides[0]))


cdef list side_items(const Table* t):
    cdef Py_ssize_t i
    return [(t.slots[i].key, t.slots[i].value) for i in range(t.mask + 1) if t.slots[i].used]


# -- the message loop -------------------------------------------------------------------------

cdef class _Packet:
    """What the messages of one packet share."""

    cdef object feed
    cdef object out
    cdef object ts_recv
    cdef dict source_seconds
    cdef long long latest_seconds
    cdef bint book_events
    cdef uint32_t seq_num
    cdef bint seq_dirty  # ``feed._seq_num`` is written back only before Python reads it

    cdef int flush_seq(self) except -1:
        if self.seq_dirty:
            self.feed._seq_num = self.seq_num
            self.seq_dirty = False
        return 0

    cdef long long ts(self, object sym, uint32_t ns):
        """``XdpFeed._ns``: the seconds of the symbol's partition (or the channel's latest)."""
        cdef PyObject* found = PyDict_GetItem(self.source_seconds, sym.system_id)
        cdef long long seconds = self.latest_seconds
        if found is not NULL:
            seconds = <long long>(<object>found)
        return seconds * NS + ns

    cdef int changed(
        self, object sym, Book book, uint32_t ns, int n, bint is_bid, uint32_t p1, int64_t t1,
        uint32_t p2, int64_t t2,
    ) except -1:
        """``XdpFeed._levels`` of ``n`` (1 or 2) changed levels of a published-depth symbol: a
        delta each (the reference makes a book's first snapshot)."""
        if not (self.book_events and book.trusted):
            return 0
        cdef long long ts = self.ts(sym, ns)
        if not book.published:
            self.flush_seq()
            self.feed._levels(sym, ts, ())  # the snapshot holds the change
            return 0
        cdef double div = <double>(<long long>sym.divisor)
        self.delta(sym, ts, is_bid, p1 / div, t1)
        if n == 2:
            self.delta(sym, ts, is_bid, p2 / div, t2)
        return 0

    cdef int delta(self, object sym, long long ts, bint is_bid, double price, int64_t total) except -1:
        self.out.append(
            BookDelta(
                symbol=sym.symbol,
                venue=sym.venue,
                provider=PROVIDER,
                ts_event=ts,
                ts_recv=self.ts_recv,
                seq=self.seq_num,
                side=BID if is_bid else ASK,
                price=price,
                size=<double>total,
            )
        )
        return 0


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
            pk.flush_seq()
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
                pk.flush_seq()
                dispatch(data, offset, size, msg_type, msg_seq)
                pk.latest_seconds = ch.latest_seconds  # a Source Time Reference moves it
                pk.out = feed.out
        offset += size
    pk.flush_seq()
    if count > skip:
        feed._msg_seq = msg_seq
    ch.messages += count - skip


cdef Book published_book(object sym):
    """The compiled book of a book message's symbol when the kernel may apply it, else None
    (the depth is not published, or the message is already in the refresh that rebuilt the
    book, are handled by the caller)."""
    if sym.backlog is not None:
        return None  # a refresh is awaited: the reference records what it applies
    book = sym.book
    if type(book) is not Book:
        return None
    return <Book>book


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
    cdef Book book = published_book(sym)
    if book is None:
        return False
    cdef Table* orders = &book.table
    cdef uint64_t order_id = u64(p + O_ORDER)
    cdef Py_ssize_t i = find(orders, order_id)
    cdef Entry e
    cdef bint is_bid
    cdef uint32_t price = 0, old_price
    cdef int64_t volume = 0, t1 = 0, t2 = 0
    cdef int n = 1
    if msg_type == ADD:
        if i >= 0:
            return False  # an order already live is a bad message
        is_bid = p[O_ADD_SIDE] == 66  # b"B"
        price = u32(p + O_ADD_PRICE)
        volume = u32(p + O_ADD_VOLUME)
        book.put(order_id, is_bid, price, volume)
        t1 = book.move(is_bid, price, volume)
        old_price = price
    elif i < 0:
        return False  # an order the book does not hold: the reference decides
    elif msg_type == DELETE:
        e = orders.slots[i]
        remove_at(orders, i)
        is_bid = e.is_bid
        price = old_price = e.price
        t1 = book.move(is_bid, price, -e.value)
    else:
        e = orders.slots[i]
        is_bid = e.is_bid
        old_price = e.price
        if msg_type == MODIFY:
            price = u32(p + O_MOD_PRICE)
            volume = u32(p + O_MOD_VOLUME)
            orders.slots[i].price = price
            orders.slots[i].value = volume
            if price == old_price and volume == e.value:
                n = 0
        else:
            price = u32(p + O_REP_PRICE)
            volume = u32(p + O_REP_VOLUME)
            remove_at(orders, i)
            book.put(u64(p + O_REP_NEW), is_bid, price, volume)
        if n == 0:
            pass
        elif price == old_price:
            t1 = book.move(is_bid, price, volume - e.value)
        else:
            t1 = book.move(is_bid, old_price, -e.value)
            t2 = book.move(is_bid, price, volume)
            n = 2
    pk.seq_num = u32(p + O_SSEQ)
    pk.seq_dirty = True
    if n:
        pk.changed(sym, book, u32(p + O_NS), n, is_bid, old_price, t1, price, t2)
    return True


cdef bint execution(_Packet pk, object sym, const unsigned char* p, long long msg_seq) except -1:
    """``XdpFeed._execution``: the book reduced at the resting order's price, then the
    ``Trade`` (aggressor = the side opposite the resting order)."""
    cdef bint booked = sym.depth and msg_seq > sym.skip_through
    cdef Book book = None
    cdef Py_ssize_t i = -1
    cdef Entry e
    cdef int64_t volume = u32(p + O_EXEC_VOLUME), traded
    side = UNKNOWN
    if booked:
        book = published_book(sym)
        if book is None:
            return False
        i = find(&book.table, u64(p + O_ORDER))
        if i < 0:
            return False  # an unknown order: the reference decides
    pk.seq_num = u32(p + O_SSEQ)
    pk.seq_dirty = True
    if booked:
        e = book.table.slots[i]
        if e.value - volume > 0:
            book.table.slots[i].value = e.value - volume
            traded = volume
        else:
            remove_at(&book.table, i)
            traded = e.value
        side = SELL if e.is_bid else BUY
        pk.changed(
            sym, book, u32(p + O_NS), 1, e.is_bid, e.price, book.move(e.is_bid, e.price, -traded),
            0, 0,
        )
    if sym.trades:
        venue = sym.venue
        pk.out.append(
            Trade(
                symbol=sym.symbol,
                venue=venue,
                provider=PROVIDER,
                ts_event=pk.ts(sym, u32(p + O_NS)),
                ts_recv=pk.ts_recv,
                seq=pk.seq_num,
                price=<double>u32(p + O_EXEC_PRICE) / <double>(<long long>sym.divisor),
                size=<double>volume,
                side=side,
                trade_id=str(u32(p + O_EXEC_TRADE)),
                exchange=venue,
                conditions=[] if p[O_EXEC_PRINTABLE] else [NOT_PRINTED],
            )
        )
    return True
