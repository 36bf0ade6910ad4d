# cython: language_level=3
"""Compiled fast path of ``Collectors.process`` for runs of book deltas without a ``seq``.

Such a delta (a Coinbase ``l2update`` change, for one) goes nowhere near the sequence tracker:
``Collectors.process`` hands it straight to ``DepthCollector.on_delta``. :func:`deltas` does what
that method does, step for step, for the common case only — the stream's book exists and has had
its snapshot (or its provider sends none), the delta is not older than the book, its side is ``bid``/``ask``, its price and
size are plain finite floats (size not negative), its times plain ints, and the check of the run
it ends raises nothing — on the collector's own state (its ``_pending`` run, ``spread_reported``,
the book's dicts and key lists, as ``OrderBook.apply_delta`` moves them). It stops, changing
nothing for that event, at the first event it does not take and returns its index; the Python
path does that one (and, if it is an unusual delta, raises what it raises). Differential tests
(``tests/unit/collectors/test_collectors_kernel.py``) hold the two identical.
"""

from bisect import bisect_left, insort

from cpython.float cimport PyFloat_AS_DOUBLE, PyFloat_CheckExact
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from cpython.long cimport PyLong_CheckExact
from cpython.tuple cimport PyTuple_GET_ITEM
from libc.math cimport isfinite

from msgspec.structs import astuple

from mdc.domain.book import SPREAD_CROSSED, SPREAD_LOCKED, SPREAD_NORMAL
from mdc.domain.events import BookDelta

if BookDelta.__struct_fields__ != (
    "symbol", "venue", "provider", "ts_event", "ts_recv", "seq", "side", "price", "size"
):  # the kernel reads a delta's fields by position: a new field needs a new kernel
    raise ImportError("mdc.collectors.kernel: BookDelta's fields changed; rebuild the kernel")

cdef int _NORMAL = SPREAD_NORMAL
cdef int _LOCKED = SPREAD_LOCKED
cdef int _CROSSED = SPREAD_CROSSED


cdef int _spread(list bids, list asks) except -2:
    """``OrderBook.spread_state`` of a book with these key lists, or -1 when a top key is not a
    float (Python's)."""
    cdef Py_ssize_t nb = PyList_GET_SIZE(bids)
    cdef Py_ssize_t na = PyList_GET_SIZE(asks)
    cdef object b, a
    cdef double bid, ask
    if nb == 0 or na == 0:
        return _NORMAL
    b = <object>PyList_GET_ITEM(bids, nb - 1)
    a = <object>PyList_GET_ITEM(asks, na - 1)
    if not (PyFloat_CheckExact(b) and PyFloat_CheckExact(a)):
        return -1
    bid = PyFloat_AS_DOUBLE(b)
    ask = -PyFloat_AS_DOUBLE(a)
    if bid < ask:
        return _NORMAL
    return _LOCKED if bid == ask else _CROSSED


cdef Py_ssize_t bisect_keys(list keys, double key, bint right) except -2:
    """``bisect_right`` (``right``) or ``bisect_left`` of ``key`` in a book side's ascending
    keys; -1 when a key it compares is not a float (the Python path's job). The simulated
    frame kernel uses it too (``kernel.pxd``)."""
    cdef Py_ssize_t lo = 0
    cdef Py_ssize_t hi = PyList_GET_SIZE(keys)
    cdef Py_ssize_t mid
    cdef object item
    cdef double value
    while lo < hi:
        mid = (lo + hi) // 2
        item = <object>PyList_GET_ITEM(keys, mid)
        if not PyFloat_CheckExact(item):
            return -1
        value = PyFloat_AS_DOUBLE(item)
        if key < value or (not right and key == value):
            hi = mid
        else:
            lo = mid + 1
    return lo


cdef class _Book:
    """One book's containers and times for the length of a call (its containers are the
    book's own; its times are written back when the call ends)."""

    cdef object book, venue, provider, ts_obj, ts_recv_obj
    cdef dict bids, asks
    cdef list bid_keys, ask_keys
    cdef Py_ssize_t max_levels
    cdef long long ts_event
    cdef bint dirty


cdef _Book _open(dict books, set snapshot_providers, object symbol, object venue,
                 object provider):
    """The book of the stream as a :class:`_Book`, or None: unknown, or not in the state the
    kernel takes (awaiting a snapshot, odd times); an odd object raises (the caller stops).
    A book of a provider that never sent a snapshot is built from deltas alone."""
    book = books.get((symbol, venue, provider))
    if book is None or (book.needs_snapshot and provider in snapshot_providers):
        return None
    ts = book.ts_event
    if not PyLong_CheckExact(ts):
        return None
    cdef _Book b = _Book()
    b.book = book
    b.venue = venue
    b.provider = provider
    b.ts_event = ts  # OverflowError: the caller stops
    b.ts_obj = ts
    b.bids = book._bids
    b.asks = book._asks
    b.bid_keys = book._bid_keys
    b.ask_keys = book._ask_keys
    b.max_levels = book.max_levels
    return b


def deltas(object depth, list batch, Py_ssize_t start):
    """``DepthCollector.on_delta`` (``depth``) of ``batch[start:]`` up to the first event it does
    not take (see the module doc); returns that event's index (``len(batch)``: all taken).

    Every check comes before the first change, so an event it stops at is as Python found it.
    The books' times and the collector's open run live in C for the call and are written back
    at its end: no Python code runs in between to see them."""
    cdef Py_ssize_t i = start
    cdef Py_ssize_t n = PyList_GET_SIZE(batch)
    cdef Py_ssize_t at
    cdef dict books = depth.books
    cdef dict spread_reported = depth.spread_reported
    cdef set snapshot_providers = depth.snapshot_providers
    cdef dict cache = {}
    cdef _Book b
    cdef _Book pend = None  # the open run's book, once the call has taken a delta
    cdef object ev, fields, symbol, ts, ts_recv, price, size, side, key, worst, reported
    cdef object first = depth._pending  # the run open when the call began
    cdef object first_bids = None
    cdef object first_asks = None
    cdef object last_ev = None  # the last delta taken, its book and ts_event
    cdef object last_book = None
    cdef object last_ts = None
    cdef long long pending_ts = 0
    cdef long long t
    cdef dict levels
    cdef list keys
    cdef bint is_bid, present, ends_run
    cdef int state
    cdef double p, s
    try:
        if first is not None:
            if not PyLong_CheckExact(depth._pending_ts):
                return i
            pending_ts = depth._pending_ts
            first_bids = first._bid_keys
            first_asks = first._ask_keys
            if type(first_bids) is not list or type(first_asks) is not list:
                return i
    except Exception:
        return i
    try:
        while i < n:
            ev = <object>PyList_GET_ITEM(batch, i)
            if type(ev) is not BookDelta:
                break
            fields = astuple(ev)
            if <object>PyTuple_GET_ITEM(fields, 5) is not None:  # seq
                break
            symbol = <object>PyTuple_GET_ITEM(fields, 0)
            ts = <object>PyTuple_GET_ITEM(fields, 3)
            ts_recv = <object>PyTuple_GET_ITEM(fields, 4)
            side = <object>PyTuple_GET_ITEM(fields, 6)
            price = <object>PyTuple_GET_ITEM(fields, 7)
            size = <object>PyTuple_GET_ITEM(fields, 8)
            if not (PyLong_CheckExact(ts) and PyLong_CheckExact(ts_recv) and type(side) is str):
                break
            if not (PyFloat_CheckExact(price) and PyFloat_CheckExact(size)):
                break
            p = PyFloat_AS_DOUBLE(price)
            s = PyFloat_AS_DOUBLE(size)
            if not (isfinite(p) and isfinite(s) and s >= 0.0):
                break
            if side == "bid":
                is_bid = True
            elif side == "ask":
                is_bid = False
            else:
                break
            try:
                t = ts
                b = cache.get(symbol) if type(symbol) is str else None
                if (
                    b is None
                    or b.venue is not <object>PyTuple_GET_ITEM(fields, 1)
                    or b.provider is not <object>PyTuple_GET_ITEM(fields, 2)
                ):
                    b = _open(
                        books, snapshot_providers, symbol, <object>PyTuple_GET_ITEM(fields, 1),
                        <object>PyTuple_GET_ITEM(fields, 2),
                    )
                    if b is None:
                        break
                    if b.book is first:  # the run open at the start is this book's
                        first = None
                        pend = b
                    if type(symbol) is str:
                        old = cache.get(symbol)
                        if old is not None:
                            _write_back(<_Book>old)
                            if old is pend:  # its times are written: keep its run as the first
                                first = (<_Book>old).book
                                first_bids = (<_Book>old).bid_keys
                                first_asks = (<_Book>old).ask_keys
                                pend = None
                        cache[symbol] = b
                if t < b.ts_event:
                    break
                if pend is not None:
                    ends_run = pend is not b or t != pending_ts
                else:
                    ends_run = first is not None and (first is not b.book or t != pending_ts)
                if ends_run:
                    if pend is not None:
                        state = _spread(pend.bid_keys, pend.ask_keys)
                        reported = spread_reported.get(pend.book, _NORMAL) if spread_reported else _NORMAL
                    else:
                        state = _spread(first_bids, first_asks)
                        reported = spread_reported.get(first, _NORMAL) if spread_reported else _NORMAL
                    if state < 0 or state != reported:
                        break  # the check raises an event (or reads odd keys): Python's flush
                if is_bid:
                    levels = b.bids
                    keys = b.bid_keys
                    key = price
                else:
                    levels = b.asks
                    keys = b.ask_keys
                    key = -price
                present = price in levels
                if s == 0.0 and present and levels[price] is None:
                    break  # apply_delta's pop would find nothing to delete: Python's
            except Exception:  # odd objects in the state: the Python path meets them itself
                break
            at = -1
            worst = None
            if s > 0.0:
                if not present:
                    at = bisect_keys(keys, -p if not is_bid else p, True)
                    if at < 0:
                        break
                    if PyList_GET_SIZE(keys) + 1 > b.max_levels:  # the worst level goes
                        worst = keys[0] if at > 0 else key
                        if not PyFloat_CheckExact(worst) or (worst if is_bid else -worst) not in levels:
                            break
            elif present:
                at = bisect_keys(keys, -p if not is_bid else p, False)
                if at < 0 or at >= PyList_GET_SIZE(keys):
                    break
            # The change: DepthCollector.on_delta, OrderBook.apply_delta on the book's containers.
            if s > 0.0:
                levels[price] = size
                if at >= 0:
                    keys.insert(at, key)
                    if worst is not None:
                        del keys[0]
                        del levels[worst if is_bid else -worst]
            elif present:
                del levels[price]
                del keys[at]
            b.ts_event = t
            b.ts_obj = ts
            b.ts_recv_obj = ts_recv
            b.dirty = True
            first = None
            pend = b
            pending_ts = t
            last_ev = ev
            last_book = b.book
            last_ts = ts
            i += 1
    finally:
        for b in cache.values():
            _write_back(b)
        if last_ev is not None:
            depth._pending = last_book
            depth._pending_event = last_ev
            depth._pending_index = i - 1
            depth._pending_ts = last_ts
    return i


cdef void _write_back(_Book b):
    """What ``on_delta`` set on the book, once for the call."""
    if b.dirty:
        book = b.book
        book.ts_event = b.ts_obj
        book.ts_recv = b.ts_recv_obj
        book.seq = None
        b.dirty = False
