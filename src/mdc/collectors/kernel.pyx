# cython: language_level=3
"""Compiled fast path of ``Collectors.process`` for runs of book deltas without a ``seq``.

Such a delta (a Coinbase ``l2update`` change, for one) goes nowhere near the sequence tracker:
``Collectors.process`` hands it straight to ``DepthCollector.on_delta``. :func:`deltas` does what
that method does, step for step, for the common case only — the stream's book exists and has had
its snapshot, the delta is not older than the book, its side is ``bid``/``ask``, its price and
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
from libc.math cimport isfinite

from mdc.domain.book import SPREAD_CROSSED, SPREAD_LOCKED, SPREAD_NORMAL
from mdc.domain.events import BookDelta

cdef int _NORMAL = SPREAD_NORMAL
cdef int _LOCKED = SPREAD_LOCKED
cdef int _CROSSED = SPREAD_CROSSED


cdef int _spread(object book) except -2:
    """``OrderBook.spread_state`` of ``book``, or -1 when a top key is not a float (Python's)."""
    cdef list bids = book._bid_keys
    cdef list asks = book._ask_keys
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


cdef Py_ssize_t _bisect(list keys, double key, bint right):
    """``bisect_right`` (``right``) or ``bisect_left`` of ``key`` in a book side's ascending
    keys; -1 when a key it compares is not a float (the Python path's job)."""
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


def deltas(object depth, list batch, Py_ssize_t start):
    """``DepthCollector.on_delta`` (``depth``) of ``batch[start:]`` up to the first event it does
    not take (see the module doc); returns that event's index (``len(batch)``: all taken).

    Every check comes before the first change, so an event it stops at is as Python found it."""
    cdef Py_ssize_t i = start
    cdef Py_ssize_t n = PyList_GET_SIZE(batch)
    cdef Py_ssize_t at
    cdef dict books = depth.books
    cdef dict spread_reported = depth.spread_reported
    cdef object ev, book, book_ts, pending, ts, ts_recv, price, size, side, key, worst
    cdef dict levels
    cdef list keys
    cdef bint is_bid, present, ends_run
    cdef int state
    cdef Py_ssize_t max_levels
    cdef double p, s
    while i < n:
        ev = <object>PyList_GET_ITEM(batch, i)
        if type(ev) is not BookDelta or ev.seq is not None:
            break
        ts = ev.ts_event
        ts_recv = ev.ts_recv
        price = ev.price
        size = ev.size
        side = ev.side
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
            book = books.get((ev.symbol, ev.venue, ev.provider))
            if book is None or book.needs_snapshot:
                break
            book_ts = book.ts_event
            if not PyLong_CheckExact(book_ts) or ts < book_ts:
                break
            pending = depth._pending
            ends_run = pending is not None and (pending is not book or ts != depth._pending_ts)
            if ends_run:
                state = _spread(pending)
                if state < 0 or state != spread_reported.get(pending, _NORMAL):
                    break  # the check raises an event (or reads odd keys): Python's flush
            if is_bid:
                levels = book._bids
                keys = book._bid_keys
                key = price
            else:
                levels = book._asks
                keys = book._ask_keys
                key = -price
            present = price in levels
            max_levels = book.max_levels
        except Exception:  # odd objects in the state: the Python path meets them itself
            break
        at = -1
        worst = None
        if s > 0.0:
            if not present:
                at = _bisect(keys, -p if not is_bid else p, True)
                if at < 0:
                    break
                if PyList_GET_SIZE(keys) + 1 > max_levels:  # the worst level goes
                    worst = keys[0] if at > 0 else key
                    if not PyFloat_CheckExact(worst) or (worst if is_bid else -worst) not in levels:
                        break
        elif present:
            if levels[price] is None:
                break  # apply_delta's pop would find nothing to delete: Python's
            at = _bisect(keys, -p if not is_bid else p, False)
            if at < 0 or at >= PyList_GET_SIZE(keys):
                break
        # The change: DepthCollector.on_delta, OrderBook.apply_delta on the book's containers.
        if ends_run:
            depth._pending = None
            depth._pending_event = None
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
        book.ts_event = ts
        book.ts_recv = ts_recv
        book.seq = None
        depth._pending = book
        depth._pending_event = ev
        depth._pending_index = i
        depth._pending_ts = ts
        i += 1
    return i
