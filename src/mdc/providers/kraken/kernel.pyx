"""Compiled book updates of the Kraken parsers (:mod:`.parse` v1, :mod:`.parse_v2` v2).

A book update is most of a Kraken feed. :func:`update` is ``KrakenParser._update`` and
:func:`update_v2` ``KrakenV2Parser._update``, step for step, on the parser's own state: the levels set in the pair's :class:`PairBook` (its aligned
key and checksum-token lists, its cached tops dropped when a change reaches the top 10), one
``BookDelta`` per level, the book truncated to the subscribed depth and its CRC32 compared
with the frame's. The rules stay in the Python modules; the rare steps call them: a time that
is not ``seconds.fraction`` digits and an update of several levels go to
:mod:`mdc.providers.timestamps` and ``parse._latest_ns``, a v2 number in exponent form to ``parse_v2.fixed``, a
mismatch to the parser's ``_mismatch`` (one ``Gap``, the book dropped, the pair resubscribed).
Those two are imported where they are needed, since the parser modules load this one.
"""

from cpython.float cimport PyFloat_AS_DOUBLE
from cpython.list cimport PyList_GET_ITEM, PyList_GET_SIZE
from zlib import crc32

from mdc.domain.events import BookDelta
from mdc.domain.rfc3339 import rfc3339_ns
from mdc.providers.kraken.book import CHECKSUM_LEVELS
from mdc.providers.kraken.symbols import common_symbol
from mdc.providers.timestamps import decimal_seconds_ns

cdef list _NO_LEVELS = []


cdef str _token(str price, str volume):
    """``book._token``: both numbers without ``.`` or leading zeros."""
    return price.replace(".", "").lstrip("0") + volume.replace(".", "").lstrip("0")


cdef inline Py_ssize_t _bisect_left(list keys, double key):
    """``bisect.bisect_left`` on a list of floats (a book side's keys are all floats)."""
    cdef Py_ssize_t lo = 0, hi = PyList_GET_SIZE(keys), mid
    while lo < hi:
        mid = (lo + hi) >> 1
        if PyFloat_AS_DOUBLE(<object>PyList_GET_ITEM(keys, mid)) < key:
            lo = mid + 1
        else:
            hi = mid
    return lo


cdef bint _set(list keys, list tokens, double key, double size, str price, str volume) except -1:
    """``book._set``: set or delete one level; whether that reached the checksum's levels."""
    cdef Py_ssize_t i = _bisect_left(keys, key)
    cdef bint found = i < PyList_GET_SIZE(keys) and (
        PyFloat_AS_DOUBLE(<object>PyList_GET_ITEM(keys, i)) == key
    )
    if size == 0.0:
        if not found:
            return False
        del keys[i]
        del tokens[i]
    else:
        token = _token(price, volume)
        if found:
            tokens[i] = token
        else:
            keys.insert(i, key)
            tokens.insert(i, token)
    return i < CHECKSUM_LEVELS


cdef void _truncate(object book) except *:
    """``PairBook.truncate``: levels beyond the subscribed depth dropped."""
    cdef Py_ssize_t depth = book.depth
    cdef list keys = book._ask_keys
    if PyList_GET_SIZE(keys) > depth:
        del keys[depth:]
        del book._ask_tokens[depth:]
    keys = book._bid_keys
    if PyList_GET_SIZE(keys) > depth:
        del keys[depth:]
        del book._bid_tokens[depth:]


cdef object _checksum(object book):
    """``PairBook.checksum``: the cached CRC of the top asks and encoded top bids, refreshed."""
    ask_crc = book._ask_crc
    if ask_crc is None:
        ask_crc = book._ask_crc = crc32("".join(book._ask_tokens[:CHECKSUM_LEVELS]).encode())
    bid_top = book._bid_top
    if bid_top is None:
        bid_top = book._bid_top = "".join(book._bid_tokens[:CHECKSUM_LEVELS]).encode()
    return crc32(bid_top, ask_crc)


cdef void _level(
    list out, object symbol, str side, object price_text, object volume_text, object book,
    list keys, list tokens, object provider, object ts, object ts_recv
) except *:
    """One level of ``CheckedBooks._deltas``, ``PairBook.set_ask``/``set_bid`` inlined."""
    cdef bint ask = side == "ask"
    cdef double price = float(price_text)
    cdef double size = float(volume_text)
    if book is not None:
        if _set(keys, tokens, price if ask else -price, size, price_text, volume_text):
            if ask:
                book._ask_crc = None
            else:
                book._bid_top = None
    out.append(
        BookDelta(
            symbol=symbol,
            venue="kraken",
            provider=provider,
            ts_event=ts,
            ts_recv=ts_recv,
            side=side,
            price=price,
            size=size,
        )
    )


cdef void _deltas(
    list out, object symbol, str side, list levels, object book, object provider,
    object ts, object ts_recv
) except *:
    """``CheckedBooks._deltas`` of v1 ``[price, volume, time]`` levels."""
    cdef list keys = None, tokens = None
    if book is not None:
        keys = book._ask_keys if side == "ask" else book._bid_keys
        tokens = book._ask_tokens if side == "ask" else book._bid_tokens
    for level in levels:
        _level(out, symbol, side, level[0], level[1], book, keys, tokens, provider, ts, ts_recv)


cdef bint _check(object parser, list out, object pair, object symbol, object book,
                 object checksum, object ts, object ts_recv) except -1:
    """``CheckedBooks.check``, the mismatch left to its ``_mismatch``."""
    if checksum is not None:
        if _checksum(book) != checksum:
            out.append(parser._mismatch(pair, symbol, checksum, ts, ts_recv))
            return False
        parser.checksums_ok += 1
    parser._last_ts[pair] = ts
    return True


cdef object _seconds_ns(object text):
    """``decimal_seconds_ns`` of ``digits.digits`` (at most 9 after the dot) in C; any other
    text goes to it."""
    cdef str s
    cdef Py_ssize_t n, i, dot = -1
    cdef long long whole = 0, fraction = 0
    cdef Py_UCS4 ch
    cdef int c
    if type(text) is not str:
        return decimal_seconds_ns(text)
    s = text
    n = len(s)
    if n == 0 or n > 28:
        return decimal_seconds_ns(text)
    for i in range(n):
        ch = s[i]
        c = <int>ch
        if c == 46 and dot < 0:
            dot = i
        elif c < 48 or c > 57:
            return decimal_seconds_ns(text)
    if dot <= 0 or dot > 10 or n - dot - 1 > 9 or n - dot - 1 == 0:
        return decimal_seconds_ns(text)
    for i in range(dot):
        ch = s[i]
        whole = whole * 10 + (<int>ch - 48)
    if whole >= 9000000000:  # beyond 64-bit nanoseconds: the Python int does it
        return decimal_seconds_ns(text)
    for i in range(dot + 1, dot + 10):
        if i < n:
            ch = s[i]
            c = <int>ch - 48
        else:
            c = 0
        fraction = fraction * 10 + c
    return whole * 1000000000 + fraction


def update(object parser, object pair, object part, object ts_recv):
    """The events of one v1 book update (not a snapshot) on ``parser``'s state."""
    symbol = parser.symbols.get(pair) or common_symbol(pair)
    cdef list asks = part.a or _NO_LEVELS
    cdef list bids = part.b or _NO_LEVELS
    # One exchange message, one ts_event (the collectors tell messages apart by it).
    cdef list levels = asks + bids if asks and bids else asks or bids
    if len(levels) == 1:
        ts = _seconds_ns(levels[0][2])
    else:
        from mdc.providers.kraken.parse import _latest_ns  # imported here: parse loads us

        ts = _latest_ns(levels)
    book = parser.books.get(pair)
    provider = parser.provider
    cdef list events = []
    if asks:
        _deltas(events, symbol, "ask", asks, book, provider, ts, ts_recv)
    if bids:
        _deltas(events, symbol, "bid", bids, book, provider, ts, ts_recv)
    if book is None:
        parser.unvalidated += 1  # no snapshot yet (or resubscribing after a mismatch)
        return events
    _truncate(book)
    _check(parser, events, pair, symbol, book, None if part.c is None else int(part.c), ts, ts_recv)
    return events


cdef str _fixed(object raw, int decimals):
    """``parse_v2.fixed`` of a plain JSON number (``-``, digits, one ``.``) in C; any other
    text (an exponent…) goes to it."""
    cdef bytes text = bytes(raw)
    cdef const char *p = text
    cdef Py_ssize_t n = len(text), i, dot = -1
    cdef char c
    for i in range(n):
        c = p[i]
        if c == 46 and dot < 0:
            dot = i
        elif (c < 48 or c > 57) and c != 45:
            from mdc.providers.kraken.parse_v2 import fixed  # imported here: parse_v2 loads us

            return fixed(raw, decimals)
    cdef Py_ssize_t missing = decimals - (n - dot - 1 if dot >= 0 else 0)
    if missing <= 0:
        return text.decode("ascii")
    if dot < 0:
        return (text + b"." + b"0" * missing).decode("ascii")
    return (text + b"0" * missing).decode("ascii")


def update_v2(object parser, list out, object data, object ts_recv):
    """``KrakenV2Parser._update``: one pair's v2 book update appended to ``out``."""
    pair = data.symbol
    symbol = parser.symbols.get(pair) or pair.replace("/", "-")
    ts = rfc3339_ns(data.timestamp) if data.timestamp else ts_recv
    book = parser.books.get(pair)
    if book is None:
        parser.unvalidated += 1  # no snapshot yet (or resubscribing after a mismatch)
    cdef int price_dp = 0, qty_dp = 0
    if book is not None:
        price_dp, qty_dp = parser._book_precision[pair]
    provider = parser.provider
    cdef list keys = None, tokens = None
    if book is not None:
        keys, tokens = book._ask_keys, book._ask_tokens
    for lv in data.asks:
        price_text = _fixed(lv.price, price_dp)
        _level(out, symbol, "ask", price_text, _fixed(lv.qty, qty_dp), book, keys, tokens,
               provider, ts, ts_recv)
    if book is not None:
        keys, tokens = book._bid_keys, book._bid_tokens
    for lv in data.bids:
        price_text = _fixed(lv.price, price_dp)
        _level(out, symbol, "bid", price_text, _fixed(lv.qty, qty_dp), book, keys, tokens,
               provider, ts, ts_recv)
    if book is None:
        return
    _truncate(book)
    _check(parser, out, pair, symbol, book, data.checksum, ts, ts_recv)
