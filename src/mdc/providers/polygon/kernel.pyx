# cython: language_level=3
"""Compiled mapping of decoded Polygon trades, quotes and aggregates into events (issue #21).

``parse.py`` is the reference and the fallback: ``PolygonParser.parse`` hands a frame's decoded
messages here when this module is built. Trades, quotes and second/minute aggregates become
events in C: millisecond times scaled in int64, and the strings of the small integer ids a feed
repeats (exchanges, conditions, TRFs, quote indicators) looked up instead of formatted per
message. LULD and status messages go back to ``parse.py``, which maps or raises exactly as it
does without the kernel. ``tests/unit/providers/polygon/test_polygon_kernel.py`` holds the two
paths identical.
"""

from cpython.float cimport PyFloat_FromString
from cpython.long cimport PyLong_AsLongLongAndOverflow
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from libc.stdint cimport int64_t

import builtins

from mdc.domain.events import Bar, Quote, Trade

cdef int64_t NS_PER_MS = 1_000_000
cdef int64_t MAX_MS = 9_000_000_000_000  # |ms| * 1e6 still fits int64 (year 2255)
cdef Py_ssize_t CACHE_SIZE = 4096
"""Distinct ids remembered; feeds repeat a few dozen, the bound keeps memory flat."""

cdef str PROVIDER = "polygon"
cdef str INTERVAL_MINUTE = "1m"
cdef str INTERVAL_SECOND = "1s"

cdef object _trade = None
cdef object _quote = None
cdef object _minute = None
cdef object _second = None
cdef str _venue = None
cdef str _otc_venue = None
cdef str _indicator = None
cdef dict _tapes = None
cdef dict _names = {}
"""int id → str(id)."""
cdef dict _indicators = {}
"""int indicator → its condition string (``ind:<id>``)."""
cdef object _round = builtins.round


def bind(trade, quote, minute, second, str venue, str otc_venue, dict tapes, str indicator):
    """``parse.py``'s message types, venues, tape names and indicator prefix (once)."""
    global _trade, _quote, _minute, _second, _venue, _otc_venue, _tapes, _indicator
    _trade, _quote, _minute, _second = trade, quote, minute, second
    _venue, _otc_venue, _tapes, _indicator = venue, otc_venue, tapes, indicator


cdef inline object _name(object value):
    """``str(value)`` of an int id, or None for None."""
    if value is None:
        return None
    name = _names.get(value)
    if name is None:
        name = str(value)
        if len(_names) >= CACHE_SIZE:
            _names.clear()
        _names[value] = name
    return name


cdef inline object _tape(object z):
    if z is None:
        return None
    tape = _tapes.get(z)
    return _name(z) if tape is None else tape


cdef inline object _ns(object ms):
    """``ms * NS_PER_MS`` (None stays None): in int64 when it fits, else as Python ints."""
    cdef int64_t value
    cdef int overflow = 0
    if ms is None:
        return None
    if type(ms) is int:
        value = PyLong_AsLongLongAndOverflow(ms, &overflow)
        if overflow == 0 and -MAX_MS <= value <= MAX_MS:
            return value * NS_PER_MS
    return ms * NS_PER_MS


cdef list _conditions(list codes):
    cdef list out = []
    for code in codes:
        out.append(_name(code))
    return out


cdef list _quote_conditions(object c, list indicators):
    cdef list out = [] if c is None else [_name(c)]
    for i in indicators:
        text = _indicators.get(i)
        if text is None:
            text = f"{_indicator}{i}"
            if len(_indicators) >= CACHE_SIZE:
                _indicators.clear()
            _indicators[i] = text
        out.append(text)
    return out


def events(list messages, object ts_recv, object other):
    """The events of one frame's ``messages`` in order; ``other(msg, ts_recv, out)`` (the
    reference) maps every message that is not a trade, quote or aggregate."""
    cdef list out = []
    cdef Py_ssize_t n
    cdef object msg, kind, ds, z
    for n in range(PyList_GET_SIZE(messages)):
        msg = <object>PyList_GET_ITEM(messages, n)
        kind = type(msg)
        if kind is _quote:
            out.append(
                Quote(
                    symbol=msg.sym,
                    venue=_venue,
                    provider=PROVIDER,
                    ts_event=_ns(msg.t),
                    ts_recv=ts_recv,
                    seq=msg.q,
                    bid_price=msg.bp,
                    bid_size=msg.bs,
                    ask_price=msg.ap,
                    ask_size=msg.as_,
                    bid_exchange=_name(msg.bx),
                    ask_exchange=_name(msg.ax),
                    conditions=_quote_conditions(msg.c, msg.i),
                    tape=_tape(msg.z),
                    trf_id=_name(msg.trfi),
                    trf_ts=_ns(msg.trft),
                )
            )
        elif kind is _trade:
            ds = msg.ds
            out.append(
                Trade(
                    symbol=msg.sym,
                    venue=_venue,
                    provider=PROVIDER,
                    ts_event=_ns(msg.t),
                    ts_recv=ts_recv,
                    seq=msg.q,
                    price=msg.p,
                    size=PyFloat_FromString(ds) if ds else msg.s,
                    trade_id=msg.i,
                    exchange=_name(msg.x),
                    conditions=_conditions(msg.c),
                    tape=_tape(msg.z),
                    trf_id=_name(msg.trfi),
                    trf_ts=_ns(msg.trft),
                )
            )
        elif kind is _minute or kind is _second:
            z = msg.z
            out.append(
                Bar(
                    symbol=msg.sym,
                    venue=_otc_venue if msg.otc else _venue,
                    provider=PROVIDER,
                    ts_event=_ns(msg.s),
                    ts_recv=ts_recv,
                    interval=INTERVAL_MINUTE if kind is _minute else INTERVAL_SECOND,
                    open=msg.o,
                    high=msg.h,
                    low=msg.l,
                    close=msg.c,
                    volume=msg.v,
                    vwap=msg.vw,
                    trades=_round(msg.v / z) if z else None,
                )
            )
        else:
            other(msg, ts_recv, out)
    return out
