# cython: language_level=3
"""The compiled fast path of the simulated feed: wire messages → collector state → JSON lines.

It does, for the common case only, exactly what ``parse.parse_frame`` + ``Collectors.process``
+ the store's ``encode_lines`` do: an in-order ``Q`` replaces its stream's BBO, an in-order ``T``
gets its aggressor side from the BBO (quote rule) or the tick rule, an in-order ``D`` sets its
level in the stream's book (``OrderBook.apply_delta`` on the book's own dicts and key lists),
the sequence position moves, and each event's JSON line goes straight into its output
partition's buffer. The Python modules stay the rules: the state the kernel reads and moves is
theirs (``Collectors.kernel_state``), loaded when a run first touches a stream and written back
when the run ends, and the kernel stops at the first message it does not handle the common way
(another message type, a sequence anomaly, a stream the collectors have not seen, a BBO missing
or stale, a book missing or older than the delta, a book's first delta while it awaits a
snapshot, a value that is not a plain finite number): :meth:`FrameKernel.run` returns its
index and the caller hands the rest of the frame to the Python path. Differential tests hold
the two byte-identical.

A book's crossed/locked check (``DepthCollector``) runs where the Python path runs it: when a
delta of another book or another ``ts_event`` ends the run of deltas, and at the end of the
frame (the Python path's batch). The kernel does it itself when it raises nothing (the book is
as reported: normal, or still in its reported episode; or it uncrossed, which ends the episode).
Otherwise, and whenever it stops with a run still open, it hands the open run to the depth
collector (``DepthCollector.pend``) and the caller gives the rest of the frame to Python, whose
check then runs at the same point and raises the same events.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_FromStringAndSize, PyBytes_GET_SIZE
from cpython.mem cimport PyMem_Free, PyMem_Realloc
from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_CheckExact
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from libc.math cimport isfinite, signbit
from libc.string cimport memcpy

from mdc.collectors.kernel cimport bisect_keys

import msgspec

from mdc.domain.book import SPREAD_CROSSED, SPREAD_LOCKED, SPREAD_NORMAL
from mdc.domain.events import BookDelta, Quote, Trade
from mdc.providers.simulated.parse import parse_messages
from mdc.providers.simulated.wire import WireDelta, WireQuote, WireTrade

cdef object _encode = msgspec.json.Encoder().encode

cdef enum:
    DIR_UNKNOWN = 0
    DIR_BUY = 1
    DIR_SELL = 2
    NUMBER_ROOM = 32  # bytes reserved per number: an int64 is at most 20, a float fits too

cdef tuple _DIRECTIONS = ("unknown", "buy", "sell")
cdef bytes _PAIRS_BYTES = b"".join(b"%02d" % i for i in range(100))
cdef const char* _PAIRS = _PAIRS_BYTES  # "00" "01" … "99": two digits per division
cdef const char* RECV_KEY = b',"ts_recv":'
cdef int RECV_KEY_SIZE = 11
cdef int _NORMAL = SPREAD_NORMAL
cdef int _LOCKED = SPREAD_LOCKED
cdef int _CROSSED = SPREAD_CROSSED


cdef int _int_text(long long value, char* out) noexcept:
    """The decimal text of ``value`` at ``out`` (up to 20 bytes); its length."""
    cdef char digits[24]
    cdef char* at = digits + 24
    cdef unsigned int r
    cdef unsigned long long v = (
        <unsigned long long>(-(value + 1)) + 1 if value < 0 else <unsigned long long>value
    )
    while v >= 100:
        r = <unsigned int>(v % 100) * 2
        v //= 100
        at -= 2
        at[0] = _PAIRS[r]
        at[1] = _PAIRS[r + 1]
    if v >= 10:
        at -= 2
        at[0] = _PAIRS[v * 2]
        at[1] = _PAIRS[v * 2 + 1]
    else:
        at -= 1
        at[0] = <char>(48 + v)
    if value < 0:
        at -= 1
        at[0] = b"-"
    memcpy(out, at, digits + 24 - at)
    return <int>(digits + 24 - at)


cdef class Lines:
    """One output partition's JSON lines, in a growing C buffer."""

    cdef char* buf
    cdef Py_ssize_t size
    cdef Py_ssize_t cap
    cdef public Py_ssize_t count
    # ``,"ts_recv":N`` of the last ``ts_recv`` written (``recv_size`` 0: none yet)
    cdef long long recv
    cdef char recv_text[32]
    cdef int recv_size

    def __dealloc__(self):
        PyMem_Free(self.buf)

    cdef int reserve(self, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap
        cdef char* grown
        if self.size + n <= self.cap:
            return 0
        cap = max(self.cap * 2, self.size + n, 8192)
        grown = <char*>PyMem_Realloc(self.buf, cap)
        if grown == NULL:
            raise MemoryError()
        self.buf = grown
        self.cap = cap
        return 0

    cdef inline void put(self, bytes data):
        cdef Py_ssize_t n = PyBytes_GET_SIZE(data)
        memcpy(self.buf + self.size, PyBytes_AS_STRING(data), n)
        self.size += n

    cdef int start(
        self, bytes head, bytes tail, int numbers, long long ts, long long ts_recv,
        long long seq,
    ) except -1:
        """Room for a line of ``numbers`` numbers, and its head up to ``"seq":N``."""
        self.reserve(PyBytes_GET_SIZE(head) + PyBytes_GET_SIZE(tail) + numbers * NUMBER_ROOM + 80)
        self.put(head)
        self.put_int(ts)
        if ts_recv != self.recv or self.recv_size == 0:  # a frame's lines share their ts_recv
            self.recv = ts_recv
            memcpy(self.recv_text, RECV_KEY, RECV_KEY_SIZE)
            self.recv_size = RECV_KEY_SIZE + _int_text(ts_recv, self.recv_text + RECV_KEY_SIZE)
        memcpy(self.buf + self.size, self.recv_text, self.recv_size)
        self.size += self.recv_size
        self.put(b',"seq":')
        self.put_int(seq)
        return 0

    cdef inline void put_char(self, char c):
        self.buf[self.size] = c
        self.size += 1

    cdef inline void put_int(self, long long value):
        self.size += _int_text(value, self.buf + self.size)

    cdef void put_fixed(self, long long scaled, int decimals, long long unit):
        """``scaled / unit`` with ``decimals`` places, trailing zeros dropped (one kept)."""
        cdef long long frac = scaled % unit
        cdef char digits[8]
        cdef int i, n = decimals
        self.put_int(scaled // unit)
        self.put_char(b".")
        for i in range(decimals - 1, -1, -1):
            digits[i] = <char>(48 + frac % 10)
            frac //= 10
        while n > 1 and digits[n - 1] == b"0":
            n -= 1
        for i in range(n):
            self.put_char(digits[i])

    cdef int put_float(self, double x) except -1:
        """msgspec's text of ``x``: the shortest digits that read back as ``x``.

        A double that is exactly the nearest one to a decimal with at most 2 (4, below 1e5)
        places has that decimal as its shortest form (any other decimal that short is farther
        than an ulp away), so prices and sizes print without a float-to-text algorithm; any
        other value asks msgspec itself.
        """
        cdef long long scaled
        cdef bytes text
        if 0.0 <= x < 1e9 and not signbit(x):  # -0.0 is msgspec's "-0.0"
            scaled = <long long>(x * 100.0 + 0.5)
            if <double>scaled / 100.0 == x:
                self.put_fixed(scaled, 2, 100)
                return 0
            if x >= 1e-4 and x < 1e5:
                scaled = <long long>(x * 10000.0 + 0.5)
                if <double>scaled / 10000.0 == x:
                    self.put_fixed(scaled, 4, 10000)
                    return 0
        text = _encode(x)
        self.reserve(PyBytes_GET_SIZE(text) + NUMBER_ROOM)
        self.put(text)
        return 0

    def getvalue(self):
        return PyBytes_FromStringAndSize(self.buf, self.size)


cdef class _Stream:
    """One stream's collector state for the length of a run (loaded from, written back to,
    the Python collectors' objects)."""

    cdef object symbol
    cdef object key
    cdef object pos
    cdef object tick
    cdef long long seq
    cdef long long pos_ts_event
    cdef long long pos_ts_recv
    cdef bint moved
    cdef bint has_quote
    cdef bint has_tick
    cdef bint quote_dirty
    cdef double bid_price, bid_size, ask_price, ask_size
    cdef long long quote_ts_event, quote_ts_recv, quote_seq
    cdef double tick_price
    cdef int tick_dir
    cdef bint tick_dirty
    cdef bytes quote_head
    cdef bytes trade_head
    cdef Lines quote_lines
    cdef Lines trade_lines
    cdef long long quote_bucket
    cdef long long trade_bucket
    cdef Py_ssize_t handled
    # The book (None: the collectors have none) and its levels, as ``OrderBook`` keeps them.
    cdef object book
    cdef bint book_usable
    cdef bint book_dropping
    """The book awaits a snapshot and has said so: its deltas are dropped without a word."""
    cdef dict bids, asks
    cdef list bid_keys, ask_keys
    cdef Py_ssize_t max_levels
    cdef long long book_ts_event, book_ts_recv, book_seq
    cdef bint book_dirty
    cdef bytes delta_head
    cdef Lines delta_lines
    cdef long long delta_bucket


cdef class FrameKernel:
    """Runs frames of one simulated provider against its collectors' state (see module doc).

    ``bucket_ns``/``label``: the store
    layout's partition bucket and label function; ``with_provider``: the layout puts the
    provider in the path (part of the partition key).
    """

    cdef object positions
    cdef object quotes
    cdef object ticks
    cdef long long stale_ns
    cdef dict books
    cdef dict spread_reported
    cdef set wait_reported
    cdef set snapshot_providers
    cdef object pend
    cdef _Stream pending
    """The stream whose run of deltas is not yet checked (within one ``run``)."""
    cdef long long pending_ts
    cdef object pending_msg
    cdef object venue
    cdef object provider
    cdef bytes venue_json
    cdef long long bucket_ns
    cdef object label
    cdef object provider_key
    cdef bytes quote_tail
    cdef bytes trade_tail
    cdef bytes delta_tail
    cdef dict heads
    cdef dict groups
    cdef dict labels
    cdef dict symbols
    cdef public long long events
    cdef public long long inferred
    cdef public long long quotes_seen
    cdef public long long trades_seen
    cdef public long long deltas_seen
    cdef public bint handed
    """The last ``run`` handed an open run of deltas to the depth collector: the rest of the
    frame is Python's (and a frame it finished still needs the Python check)."""

    def __init__(self, str venue, str provider, long long bucket_ns, label, bint with_provider):
        self.venue = venue
        self.provider = provider
        self.venue_json = _encode(venue)
        self.bucket_ns = bucket_ns
        self.label = label
        self.provider_key = provider if with_provider else None
        self.quote_tail = _tail(
            _encode(Quote(symbol="", venue="", provider="", ts_event=0, ts_recv=0, seq=0,
                          bid_price=0.0, bid_size=0.0, ask_price=0.0, ask_size=0.0)),
            b'"ask_size":0.0',
        )
        self.trade_tail = _tail(
            _encode(Trade(symbol="", venue="", provider="", ts_event=0, ts_recv=0, seq=0,
                          price=1.0, size=1.0)),
            b'"side":"unknown"',
        )
        self.delta_tail = _tail(
            _encode(BookDelta(symbol="", venue="", provider="", ts_event=0, ts_recv=0, seq=0,
                              side="bid", price=1.0, size=1.0)),
            b'"size":1.0',
        )
        self.heads = {}
        self.groups = {}
        self.labels = {}
        self.symbols = {}

    def bind(self, state):
        """Work on ``state``: ``Collectors.kernel_state(provider)`` (asked again before every
        frame: a provider registered anew gets new position maps)."""
        self.positions, self.quotes, self.ticks, self.stale_ns, self.books, depth = state
        self.spread_reported = depth.spread_reported
        self.wait_reported = depth.wait_reported
        self.snapshot_providers = depth.snapshot_providers
        self.pend = depth.pend

    def take_symbols(self):
        """Events handled per symbol since the last call (the runtime's per-symbol counts)."""
        out, self.symbols = self.symbols, {}
        return out

    def add_lines(self, pk, bytes data, Py_ssize_t count):
        """Append lines the Python path encoded (events the kernel left to it) to partition
        ``pk``, after what the kernel wrote there: the batch order of the file."""
        cdef Lines lines = self.groups.get(pk)
        if lines is None:
            lines = self.groups[pk] = Lines()
        lines.reserve(PyBytes_GET_SIZE(data))
        lines.put(data)
        lines.count += count

    def take(self):
        """The JSON lines written since the last take: ``{PartKey: (lines, count)}``."""
        out = {}
        cdef Lines lines
        for pk, lines in self.groups.items():
            if lines.count:
                out[pk] = (lines.getvalue(), lines.count)
        self.groups = {}
        return out

    cpdef Py_ssize_t run(self, list messages, long long ts_recv, Py_ssize_t start=0) except -1:
        """Handle ``messages[start:]`` up to the first the kernel leaves to Python; returns
        that message's index (``len(messages)`` when it handled them all)."""
        cdef dict streams = {}
        cdef Py_ssize_t i = start
        cdef Py_ssize_t n = len(messages)
        cdef _Stream st
        cdef object m, cls
        cdef long long seq, ts
        try:
            while i < n:
                m = messages[i]
                cls = type(m)
                if cls is not WireQuote and cls is not WireTrade and cls is not WireDelta:
                    break
                st = streams.get(m.sym)
                if st is None:
                    st = self._load(m.sym, ts_recv)
                    if st is None:
                        break
                    streams[m.sym] = st
                try:
                    seq = m.seq
                    ts = m.ts
                except OverflowError:
                    break
                if seq != st.seq + 1 or ts < 0:
                    break
                if cls is WireDelta:
                    if not self._delta(st, m, seq, ts, ts_recv):
                        break
                    self.deltas_seen += 1
                elif cls is WireQuote:
                    if not st.has_quote or not self._quote(st, m, seq, ts, ts_recv):
                        break
                    self.quotes_seen += 1
                else:
                    if not (st.has_quote and st.has_tick):
                        break
                    if not self._trade(st, m, seq, ts, ts_recv):
                        break
                    self.trades_seen += 1
                st.seq = seq
                st.pos_ts_event = ts
                st.pos_ts_recv = ts_recv
                st.moved = True
                st.handled += 1
                self.events += 1
                i += 1
        finally:
            self._write_back(streams)
        self.handed = False
        if self.pending is not None:
            if i < n or not self._checked(self.pending):
                self.handed = True
                self.pend(self.pending.book, parse_messages([self.pending_msg], ts_recv, self.venue)[0])
            self.pending = None
            self.pending_msg = None
        return i

    cdef _Stream _load(self, object symbol, long long ts_recv):
        """The stream's state, or None when the collectors do not know it well enough yet."""
        cdef _Stream st
        key = (symbol, self.venue, self.provider)
        pos = self.positions.get(symbol)
        if pos is None or type(pos.seq) is not int:
            return None
        tick = self.ticks.get(key)
        quote = self.quotes.get(key)
        book = self.books.get(key)
        st = _Stream()
        st.symbol = symbol
        st.key = key
        st.pos = pos
        try:
            st.seq = pos.seq
            if quote is not None:
                st.quote_ts_event = quote.ts_event
                st.bid_price = quote.bid_price
                st.bid_size = quote.bid_size
                st.ask_price = quote.ask_price
                st.ask_size = quote.ask_size
                st.has_quote = True
            if tick is not None:
                st.tick_price = tick.price
                st.tick = tick
                st.tick_dir = _DIRECTIONS.index(tick.direction)
                st.has_tick = True
            if book is not None:
                st.book = book
                st.bids = book._bids
                st.asks = book._asks
                st.bid_keys = book._bid_keys
                st.ask_keys = book._ask_keys
                st.max_levels = book.max_levels
                st.book_ts_event = book.ts_event
                st.book_usable = not book.needs_snapshot
                st.book_dropping = (
                    not st.book_usable
                    and self.provider in self.snapshot_providers
                    and book in self.wait_reported
                )
        except (OverflowError, TypeError):
            return None
        heads = self.heads.get(symbol)
        if heads is None:
            prefix = b'"symbol":' + _encode(symbol) + b',"venue":' + self.venue_json
            prefix += b',"provider":' + _encode(self.provider) + b',"ts_event":'
            heads = self.heads[symbol] = (
                b'{"type":"quote",' + prefix,
                b'{"type":"trade",' + prefix,
                b'{"type":"book_delta",' + prefix,
            )
        st.quote_head, st.trade_head, st.delta_head = heads
        st.quote_bucket = -1
        st.trade_bucket = -1
        st.delta_bucket = -1
        return st

    cdef Lines _lines(self, object cls, object symbol, long long bucket):
        label = self.labels.get(bucket)
        if label is None:
            label = self.labels[bucket] = self.label(bucket)
        pk = (cls, symbol, label, self.provider_key)
        lines = self.groups.get(pk)
        if lines is None:
            lines = self.groups[pk] = Lines()
        return lines

    cdef bint _quote(self, _Stream st, object m, long long seq, long long ts,
                     long long ts_recv) except -1:
        cdef double bid_price = m.bid_price
        cdef double bid_size = m.bid_size
        cdef double ask_price = m.ask_price
        cdef double ask_size = m.ask_size
        cdef long long bucket = ts // self.bucket_ns
        cdef Lines out
        if not (isfinite(bid_price) and isfinite(bid_size) and isfinite(ask_price)
                and isfinite(ask_size)):
            return False
        if bucket != st.quote_bucket:
            st.quote_lines = self._lines(Quote, st.symbol, bucket)
            st.quote_bucket = bucket
        out = st.quote_lines
        out.start(st.quote_head, self.quote_tail, 8, ts, ts_recv, seq)
        out.put(b',"bid_price":')
        out.put_float(bid_price)
        out.put(b',"bid_size":')
        out.put_float(bid_size)
        out.put(b',"ask_price":')
        out.put_float(ask_price)
        out.put(b',"ask_size":')
        out.put_float(ask_size)
        out.put(self.quote_tail)
        out.count += 1
        st.bid_price = bid_price
        st.bid_size = bid_size
        st.ask_price = ask_price
        st.ask_size = ask_size
        st.quote_ts_event = ts
        st.quote_ts_recv = ts_recv
        st.quote_seq = seq
        st.quote_dirty = True
        return True

    cdef bint _trade(self, _Stream st, object m, long long seq, long long ts,
                     long long ts_recv) except -1:
        cdef double price = m.price
        cdef double size = m.size
        cdef long long bucket = ts // self.bucket_ns
        cdef int side = -1
        cdef Lines out
        if not (isfinite(price) and isfinite(size)):
            return False
        if st.quote_ts_event < ts - self.stale_ns:
            return False  # the BBO is stale: the rule looks at the book (Python)
        if st.bid_size > 0.0 and st.ask_size > 0.0 and st.bid_price < st.ask_price:
            if price >= st.ask_price:
                side = DIR_BUY
            elif price <= st.bid_price:
                side = DIR_SELL
        if side < 0:
            if price > st.tick_price:
                side = DIR_BUY
            elif price < st.tick_price:
                side = DIR_SELL
            else:
                side = st.tick_dir
        if side != DIR_UNKNOWN:
            self.inferred += 1
        if price > st.tick_price:
            st.tick_dir = DIR_BUY
        elif price < st.tick_price:
            st.tick_dir = DIR_SELL
        st.tick_price = price
        st.tick_dirty = True
        if bucket != st.trade_bucket:
            st.trade_lines = self._lines(Trade, st.symbol, bucket)
            st.trade_bucket = bucket
        out = st.trade_lines
        out.start(st.trade_head, self.trade_tail, 6, ts, ts_recv, seq)
        out.put(b',"price":')
        out.put_float(price)
        out.put(b',"size":')
        out.put_float(size)
        if side == DIR_BUY:
            out.put(b',"side":"buy"')
        elif side == DIR_SELL:
            out.put(b',"side":"sell"')
        else:
            out.put(b',"side":"unknown"')
        out.put(self.trade_tail)
        out.count += 1
        return True

    cdef bint _checked(self, _Stream st) except -1:
        """``DepthCollector._check_spread`` of ``st``'s book when it raises nothing (True);
        False, changing nothing, when it would raise an event (Python's to do)."""
        cdef int state = _NORMAL
        cdef int reported
        cdef double bid, ask
        cdef Py_ssize_t bids = len(st.bid_keys)
        cdef Py_ssize_t asks = len(st.ask_keys)
        if bids and asks:  # the best of either side is its last key (no wraparound here)
            bid = st.bid_keys[bids - 1]
            ask = -<double>st.ask_keys[asks - 1]
            if bid == ask:
                state = _LOCKED
            elif bid > ask:
                state = _CROSSED
        reported = self.spread_reported.get(st.book, _NORMAL)
        if state == reported:
            return True
        if state == _NORMAL:
            del self.spread_reported[st.book]  # the episode ends (no event)
            return True
        return False

    cdef bint _delta(self, _Stream st, object m, long long seq, long long ts,
                     long long ts_recv) except -1:
        """``DepthCollector.on_delta`` of an in-order delta (the check of the run it ends
        included; a book that awaits a snapshot and has said so drops it), or False, changing
        nothing, when it is not the common case."""
        cdef object price_obj = m.price
        cdef object size_obj = m.size
        cdef double price = price_obj
        cdef double size = size_obj
        cdef bint is_bid = m.side == "b"
        cdef bint fresh = False
        cdef Py_ssize_t at = 0
        cdef dict levels
        cdef list keys
        cdef long long bucket = ts // self.bucket_ns
        cdef Lines out
        if not (st.book_usable or st.book_dropping) or not (isfinite(price) and isfinite(size)):
            return False
        if not PyFloat_CheckExact(price_obj) or not PyFloat_CheckExact(size_obj):
            return False
        if st.book_usable:
            if ts < st.book_ts_event:
                return False
            if is_bid:
                levels, keys = st.bids, st.bid_keys
            else:
                levels, keys = st.asks, st.ask_keys
            if size > 0.0:
                if price_obj not in levels:
                    fresh = True
                    at = bisect_keys(keys, price if is_bid else -price, True)
            elif price_obj in levels:
                at = bisect_keys(keys, price if is_bid else -price, False)
            if at < 0:
                return False
        pending = self.pending
        if pending is not None and (pending is not st or ts != self.pending_ts):
            if not self._checked(pending):
                return False
            self.pending = None
        if st.book_usable:  # OrderBook.apply_delta, on the book's own containers
            if size > 0.0:
                levels[price_obj] = size_obj
                if fresh:
                    keys.insert(at, price_obj if is_bid else -price)
                    if len(keys) > st.max_levels:
                        worst = keys.pop(0)
                        del levels[worst if is_bid else -worst]
            elif levels.pop(price_obj, None) is not None:
                del keys[at]
            st.book_ts_event = ts
            st.book_ts_recv = ts_recv
            st.book_seq = seq
            st.book_dirty = True
            self.pending = st
            self.pending_ts = ts
            self.pending_msg = m
        if bucket != st.delta_bucket:
            st.delta_lines = self._lines(BookDelta, st.symbol, bucket)
            st.delta_bucket = bucket
        out = st.delta_lines
        out.start(st.delta_head, self.delta_tail, 6, ts, ts_recv, seq)
        if is_bid:
            out.put(b',"side":"bid","price":')
        else:
            out.put(b',"side":"ask","price":')
        out.put_float(price)
        out.put(b',"size":')
        out.put_float(size)
        out.put(self.delta_tail)
        out.count += 1
        return True

    cdef void _write_back(self, dict streams):
        cdef _Stream st
        cdef dict symbols = self.symbols
        for st in streams.values():
            if st.handled:
                symbols[st.symbol] = symbols.get(st.symbol, 0) + st.handled
            if st.moved:
                pos = st.pos
                pos.seq = st.seq
                pos.ts_event = st.pos_ts_event
                pos.ts_recv = st.pos_ts_recv
            if st.quote_dirty:
                self.quotes[st.key] = Quote(
                    symbol=st.symbol,
                    venue=self.venue,
                    provider=self.provider,
                    ts_event=st.quote_ts_event,
                    ts_recv=st.quote_ts_recv,
                    seq=st.quote_seq,
                    bid_price=st.bid_price,
                    bid_size=st.bid_size,
                    ask_price=st.ask_price,
                    ask_size=st.ask_size,
                )
            if st.tick_dirty:
                st.tick.price = st.tick_price
                st.tick.direction = _DIRECTIONS[st.tick_dir]
            if st.book_dirty:
                book = st.book
                book.ts_event = st.book_ts_event
                book.ts_recv = st.book_ts_recv
                book.seq = st.book_seq


cdef bytes _tail(bytes encoded, bytes after):
    """What msgspec writes after field ``after`` of an event, the closing brace and newline."""
    return encoded.split(after, 1)[1] + b"\n"


def json_float(double x):
    """The kernel's JSON text of ``x`` (for tests: it must be msgspec's)."""
    cdef Lines out = Lines()
    out.reserve(NUMBER_ROOM)
    out.put_float(x)
    return out.getvalue()
