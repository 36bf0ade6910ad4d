"""Compiled fast path of :class:`mdc.providers.coinbase.parse.CoinbaseParser` (issue #21).

After ``msgspec`` has decoded a frame, the three messages that make up nearly all of a feed
(``l2update``, ``match``/``last_match``, ``ticker``) become events here, on the parser's own
state (its dicts and counters), step for step as the Python methods do: same order of checks,
same state changes, same events. Their RFC 3339 time is read in C in the form Coinbase sends
(``YYYY-MM-DDTHH:MM:SS[.f…]Z``, at most nine fraction digits, years whose nanoseconds fit in
64 bits); any other form goes to the
parser's own ``iso`` (the one RFC 3339 parser), which also raises on a malformed one. Every
other message, and the rare branches (a trade-id hole, a snapshot waiting for its time), go to
the Python methods: :func:`events` returns None for a message it does not take, and calls the
parser's methods for the branches. :func:`parse` is the whole of ``CoinbaseParser.parse`` for
one frame: the frame is decoded here (the parser's own decoder) and a message the kernel does
not take, or a frame that does not decode to one, goes back to the parser's ``message`` or
``undecoded``, so a frame costs no Python call in the common case.
"""

from msgspec import ValidationError

from mdc.domain.events import BookDelta, Quote, Trade
from mdc.providers.coinbase import parse as _parse
from mdc.providers.coinbase.parse import L2Update, LastMatch, Match, Ticker

cdef object _decode = _parse._decoder.decode

cdef long long NS_PER_S = 1000000000

cdef long long[10] _SCALE
_SCALE[:] = [1000000000, 100000000, 10000000, 1000000, 100000, 10000, 1000, 100, 10, 1]
cdef int[13] _MONTH_DAYS
_MONTH_DAYS[:] = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]


cdef inline int _ch(str text, Py_ssize_t i):
    """The code point at ``i`` as a C int."""
    cdef Py_UCS4 c = text[i]
    return <int>c


cdef inline int _digits(str text, Py_ssize_t start, Py_ssize_t count):
    """The ASCII digits text[start:start + count] as a number, or -1."""
    cdef int value = 0
    cdef int c
    cdef Py_ssize_t i
    for i in range(start, start + count):
        c = _ch(text, i)
        if c < 48 or c > 57:
            return -1
        value = value * 10 + (c - 48)
    return value


cdef inline long long _days_from_civil(long long y, int m, int d):
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y -= m <= 2
    cdef long long era = y // 400  # y > 0 here: years 1678..2261 only reach this
    cdef long long yoe = y - era * 400
    cdef long long doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    cdef long long doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


cdef bint _utc_ns(str text, long long *out):
    """``YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`` → ns UTC in ``out``; False for any other text."""
    cdef Py_ssize_t n = len(text)
    cdef Py_ssize_t digits
    cdef int sep, zone
    cdef int year, month, day, hour, minute, second, fraction, limit
    if n < 20 or n > 30:
        return False
    zone = _ch(text, n - 1)
    if zone != 90 and zone != 122:  # Z z
        return False
    sep = _ch(text, 10)
    if (
        _ch(text, 4) != 45 or _ch(text, 7) != 45 or _ch(text, 13) != 58 or _ch(text, 16) != 58  # - - : :
        or (sep != 84 and sep != 116 and sep != 32)  # T t space
    ):
        return False
    year = _digits(text, 0, 4)
    month = _digits(text, 5, 2)
    day = _digits(text, 8, 2)
    hour = _digits(text, 11, 2)
    minute = _digits(text, 14, 2)
    second = _digits(text, 17, 2)
    if year < 1678 or year > 2261:  # beyond 64-bit nanoseconds: the Python int does it
        return False
    if month < 1 or month > 12 or day < 1 or hour < 0 or hour > 23:
        return False
    if minute < 0 or minute > 59 or second < 0 or second > 59:
        return False
    limit = _MONTH_DAYS[month]
    if month == 2 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
        limit = 29
    if day > limit:
        return False
    fraction = 0
    digits = n - 21
    if digits > 0:
        if _ch(text, 19) != 46 or digits > 9:  # .
            return False
        fraction = _digits(text, 20, digits)
        if fraction < 0:
            return False
    elif digits == 0:
        return False  # "…:SS.Z"
    out[0] = (
        _days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    ) * NS_PER_S + (fraction * _SCALE[digits] if digits > 0 else 0)
    return True


cdef object _ts(object parser, str text):
    cdef long long ns = 0
    if _utc_ns(text, &ns):
        return ns
    return parser.iso(text)


cdef bint _in_order(object parser, object product, bint is_match, object sequence) except -1:
    """``CoinbaseParser._in_order``."""
    key = (product, is_match)
    last_seq = parser._last_seq
    if sequence <= last_seq.get(key, -1):
        parser.duplicates += 1
        return False
    last_seq[key] = sequence
    return True


cdef list _l2update(object parser, object msg, object ts_recv):
    ts = _ts(parser, msg.time)
    symbol = msg.product_id
    parser._product_ts[symbol] = ts
    provider = parser.provider
    cdef list events = []
    for side, price, size in msg.changes:
        events.append(
            BookDelta(
                symbol=symbol,
                venue="coinbase",
                provider=provider,
                ts_event=ts,
                ts_recv=ts_recv,
                side="bid" if side == "buy" else "ask",
                price=price,
                size=size,
            )
        )
    if parser._pending:
        parser._release(symbol, ts, events)
    return events


cdef list _match(object parser, object msg, object ts_recv):
    product = msg.product_id
    if not _in_order(parser, product, True, msg.sequence):
        return []
    ts = _ts(parser, msg.time)
    product_ts = parser._product_ts
    product_ts[product] = max(ts, product_ts.get(product, ts))
    cdef list events = []
    if parser._pending:
        parser._release(product, ts, events)
    trade_id = msg.trade_id
    last_trade = parser._last_trade
    last = last_trade.get(product)
    if last is not None:
        if trade_id <= last[0]:
            parser.duplicates += 1
            return []
        if trade_id > last[0] + 1:
            events.append(parser._trade_gap(product, last, trade_id - 1, ts, ts_recv))
    last_trade[product] = (trade_id, ts)
    parser._heartbeat_ahead.pop(product, None)
    events.append(
        Trade(
            symbol=product,
            venue="coinbase",
            provider=parser.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            seq=msg.sequence,
            price=msg.price,
            size=msg.size,
            side=_parse._TAKER[msg.side],  # the parser's rule, read where it is defined
            trade_id=str(trade_id),
        )
    )
    return events


cdef list _ticker(object parser, object msg, object ts_recv):
    best_bid = msg.best_bid
    best_ask = msg.best_ask
    if best_bid is None or best_ask is None:
        return []
    product = msg.product_id
    if not _in_order(parser, product, False, msg.sequence):
        return []
    cdef list events = []
    text = msg.time
    if text:
        ts = _ts(parser, text)
        product_ts = parser._product_ts
        product_ts[product] = max(ts, product_ts.get(product, ts))
        if parser._pending:
            parser._release(product, ts, events)
    else:
        ts = ts_recv
    events.append(
        Quote(
            symbol=product,
            venue="coinbase",
            provider=parser.provider,
            ts_event=ts,
            ts_recv=ts_recv,
            bid_price=best_bid,
            bid_size=msg.best_bid_size or 0.0,
            ask_price=best_ask,
            ask_size=msg.best_ask_size or 0.0,
        )
    )
    return events


def events(object parser, object msg, object ts_recv):
    """The events of a decoded ``msg`` on ``parser``'s state, or None: not one for the kernel."""
    kind = type(msg)
    if kind is L2Update:
        return _l2update(parser, msg, ts_recv)
    if kind is Match or kind is LastMatch:
        return _match(parser, msg, ts_recv)
    if kind is Ticker:
        return _ticker(parser, msg, ts_recv)
    return None


def parse(object parser, object frame, object ts_recv):
    """``CoinbaseParser.parse`` of ``frame`` on ``parser``'s state."""
    try:
        msg = _decode(frame)
    except ValidationError as exc:
        return parser.undecoded(frame, exc)
    kind = type(msg)
    if kind is L2Update:
        return _l2update(parser, msg, ts_recv)
    if kind is Match or kind is LastMatch:
        return _match(parser, msg, ts_recv)
    if kind is Ticker:
        return _ticker(parser, msg, ts_recv)
    return parser.message(msg, ts_recv)
