# cython: language_level=3
"""Compiled mapping of decoded Alpaca trades, quotes and bars into events (issue #21).

``parse.py`` is the reference and the fallback: ``AlpacaParser.parse`` hands a frame's decoded
messages here when this module is built. Trades, quotes and bars (nearly every message of a
stream) become events in C: RFC 3339 strings and msgpack timestamp extensions are read from
their bytes instead of through a regex, a dict and ``struct``. Every other message, and every
timestamp the fast reader declines (another zone form, more than nine fraction digits, a year
outside 1900-2199, anything malformed), goes back to ``parse.py``, which maps, counts or raises
exactly as it does without the kernel. ``tests/unit/providers/alpaca/test_alpaca_kernel.py``
holds the two paths identical.
"""

from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from libc.stdint cimport int64_t, uint32_t, uint64_t

from mdc.domain.events import Bar, Quote, Trade

cdef extern from "Python.h":
    const char* PyUnicode_AsUTF8AndSize(object text, Py_ssize_t* size)
    void PyErr_Clear()

cdef int64_t NS_PER_S = 1_000_000_000
cdef int64_t MAX_SECONDS = 9_000_000_000  # |seconds| * 1e9 still fits int64 (year 2255)

cdef str PROVIDER = "alpaca"
cdef str INTERVAL_DAY = "1d"
cdef str INTERVAL_MINUTE = "1m"
cdef str UNKNOWN_SIDE = "unknown"

cdef object _trade = None
cdef object _quote = None
cdef object _minute = None
cdef object _updated = None
cdef object _daily = None
cdef dict _sides = None
cdef object _ts = None
cdef int64_t[10] _SCALE = [
    1_000_000_000, 100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1_000, 100, 10, 1
]


def bind(trade, quote, minute, updated, daily, dict sides, ts):
    """``parse.py``'s message types, taker sides and reference timestamp reader (once)."""
    global _trade, _quote, _minute, _updated, _daily, _sides, _ts
    _trade, _quote, _minute, _updated, _daily = trade, quote, minute, updated, daily
    _sides = sides
    _ts = ts


cdef inline int _num(const char* s, int start, int end) noexcept:
    """The decimal value of s[start:end], or -1 when a byte is not an ASCII digit."""
    cdef int value = 0
    cdef int i
    cdef char c
    for i in range(start, end):
        c = s[i]
        if c < 48 or c > 57:
            return -1
        value = value * 10 + (c - 48)
    return value


cdef inline bint _leap(int64_t y) noexcept:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


cdef inline int64_t _days(int64_t y, int64_t m, int64_t d) noexcept:
    """Days from 1970-01-01 to the civil date y-m-d (y >= 1900)."""
    cdef int64_t era, yoe, doy, doe
    if m <= 2:
        y -= 1
    era = y // 400
    yoe = y - era * 400
    doy = (153 * (m - 3 if m > 2 else m + 9) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


cdef bint _iso_ns(str text, int64_t* out) noexcept:
    """``YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`` as ns; False (nothing raised) for anything else."""
    cdef Py_ssize_t n
    cdef const char* s = PyUnicode_AsUTF8AndSize(text, &n)
    cdef int year, month, day, hour, minute, second, fraction, digits, last
    cdef int[13] month_days = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
    if s == NULL:
        PyErr_Clear()
        return False
    if n < 20 or n > 30 or n == 21 or s[n - 1] != 90:  # 'Z'
        return False
    if s[4] != 45 or s[7] != 45 or s[10] != 84 or s[13] != 58 or s[16] != 58:  # - - T : :
        return False
    year = _num(s, 0, 4)
    month = _num(s, 5, 7)
    day = _num(s, 8, 10)
    hour = _num(s, 11, 13)
    minute = _num(s, 14, 16)
    second = _num(s, 17, 19)
    if year < 1900 or year > 2199 or month < 1 or month > 12 or day < 1:
        return False
    last = 29 if month == 2 and _leap(year) else month_days[month]
    if day > last or hour < 0 or hour > 23 or minute < 0 or minute > 59:
        return False
    if second < 0 or second > 59:
        return False
    fraction = 0
    digits = n - 21
    if digits > 0:
        if s[19] != 46:  # '.'
            return False
        fraction = _num(s, 20, n - 1)
        if fraction < 0:
            return False
    out[0] = (
        (_days(year, month, day) * 86400 + hour * 3600 + minute * 60 + second) * NS_PER_S
        + fraction * _SCALE[digits if digits > 0 else 9]
    )
    return True


cdef bint _pack_ns(object ext, int64_t* out) except -1:
    """The msgpack timestamp extension as ns; False for another code, size or range."""
    if ext.code != -1:
        return False
    data = ext.data
    if type(data) is not bytes:
        return False
    cdef const unsigned char* b = <const unsigned char*>PyBytes_AS_STRING(data)
    cdef Py_ssize_t size = PyBytes_GET_SIZE(data)
    cdef uint64_t value, nanos
    cdef int64_t seconds
    if size == 12:
        nanos = _be32(b)
        seconds = <int64_t>((<uint64_t>_be32(b + 4) << 32) | _be32(b + 8))
    elif size == 8:
        value = (<uint64_t>_be32(b) << 32) | _be32(b + 4)
        nanos = value >> 34
        seconds = <int64_t>(value & 0x3FFFFFFFF)
    elif size == 4:
        nanos = 0
        seconds = _be32(b)
    else:
        return False
    if seconds > MAX_SECONDS or seconds < -MAX_SECONDS:
        return False
    out[0] = seconds * NS_PER_S + <int64_t>nanos
    return True


cdef inline uint64_t _be32(const unsigned char* b) noexcept:
    return (<uint64_t>b[0] << 24) | (<uint64_t>b[1] << 16) | (<uint64_t>b[2] << 8) | b[3]


cdef object _ts_event(object t):
    """The message's ``t`` as int ns: the fast readers, else ``parse.py``'s reference."""
    cdef int64_t ns
    if type(t) is str:
        if _iso_ns(<str>t, &ns):
            return ns
    elif _pack_ns(t, &ns):
        return ns
    return _ts(t)


def events(list messages, str venue, object ts_recv, object other):
    """The events of one frame's ``messages`` in order; ``other(msg, ts_recv, out)`` (the
    reference) maps every message that is not a trade, quote or bar."""
    cdef list out = []
    cdef Py_ssize_t i
    cdef object msg, tks, trade_id
    cdef object kind
    for i in range(PyList_GET_SIZE(messages)):
        msg = <object>PyList_GET_ITEM(messages, i)
        kind = type(msg)
        if kind is _quote:
            out.append(
                Quote(
                    symbol=msg.S,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=_ts_event(msg.t),
                    ts_recv=ts_recv,
                    bid_price=msg.bp,
                    bid_size=msg.bs,
                    ask_price=msg.ap,
                    ask_size=msg.as_,
                    bid_exchange=msg.bx,
                    ask_exchange=msg.ax,
                    conditions=msg.c,
                    tape=msg.z,
                )
            )
        elif kind is _trade:
            tks = msg.tks
            trade_id = msg.i
            out.append(
                Trade(
                    symbol=msg.S,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=_ts_event(msg.t),
                    ts_recv=ts_recv,
                    price=msg.p,
                    size=msg.s,
                    side=UNKNOWN_SIDE if tks is None else _sides.get(tks, UNKNOWN_SIDE),
                    trade_id=None if trade_id is None else str(trade_id),
                    exchange=msg.x,
                    conditions=msg.c,
                    tape=msg.z,
                )
            )
        elif kind is _minute or kind is _updated or kind is _daily:
            out.append(
                Bar(
                    symbol=msg.S,
                    venue=venue,
                    provider=PROVIDER,
                    ts_event=_ts_event(msg.t),
                    ts_recv=ts_recv,
                    interval=INTERVAL_DAY if kind is _daily else INTERVAL_MINUTE,
                    open=msg.o,
                    high=msg.h,
                    low=msg.l,
                    close=msg.c,
                    volume=msg.v,
                    vwap=msg.vw,
                    trades=msg.n,
                )
            )
        else:
            other(msg, ts_recv, out)
    return out
