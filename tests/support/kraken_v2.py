"""Kraken WebSocket v2 books and messages as the venue builds them, for tests and benchmarks.

From https://docs.kraken.com/exchange/api-reference/spot-websocket-v2/book (…/trade,
…/ticker, …/instrument) and https://docs.kraken.com/exchange/guides/websockets/book-checksum-v2
(read 2026-12-02): a book is kept as ``Decimal``; its checksum is the CRC32 of the top 10 asks
(low → high) then the top 10 bids (high → low), each level its price and quantity written with
the pair's precision, ``.`` and leading zeros removed — computed here with
``format(value, f".{precision}f")``, independently of the provider's string padding. Prices and
quantities go on the wire as JSON numbers without trailing zeros, as Kraken sends them; an
update also carries the levels that enter the subscribed depth as a level inside it goes.

:func:`recorded_session` builds a whole connection's frames in that format (instrument
snapshot, book snapshots, then updates, trades and BBO tickers), deterministic by seed: the
benchmark replays it as Kraken v2's "capture".
"""

from __future__ import annotations

import random
import zlib
from decimal import Decimal
from typing import Any

import msgspec

TS = "2026-12-02T12:00:00.000000Z"
Levels = list[tuple[str, str]]
Side = list[tuple[Decimal, Decimal]]
encode = msgspec.json.Encoder(decimal_format="number").encode


def wire(value: Decimal) -> Decimal:
    """The number as Kraken writes it: no trailing zeros, no exponent."""
    return Decimal(format(value.normalize(), "f"))


def token(value: Decimal, precision: int) -> str:
    return format(value, f".{precision}f").replace(".", "").lstrip("0")


class Book:
    def __init__(self, price_precision: int, qty_precision: int) -> None:
        self.precision = (price_precision, qty_precision)
        self.bids: dict[Decimal, Decimal] = {}
        self.asks: dict[Decimal, Decimal] = {}

    def top(self, depth: int) -> tuple[Side, Side]:
        bids = sorted(self.bids.items(), reverse=True)[:depth]
        asks = sorted(self.asks.items())[:depth]
        return bids, asks

    def checksum(self, depth: int, corrupt: bool = False) -> int:
        bids, asks = self.top(min(depth, 10))
        pp, qp = self.precision
        text = "".join(token(p, pp) + token(q, qp) for p, q in asks[:10])
        if corrupt:  # the venue's book differs from ours in one level
            bids = [(bids[0][0], bids[0][1] + Decimal(1)), *bids[1:]]
        text += "".join(token(p, pp) + token(q, qp) for p, q in bids[:10])
        return zlib.crc32(text.encode())

    def apply(self, side: dict[Decimal, Decimal], levels: Levels) -> None:
        for price, qty in levels:
            if Decimal(qty) == 0:
                side.pop(Decimal(price), None)
            else:
                side[Decimal(price)] = Decimal(qty)

    def snapshot(self, symbol: str, depth: int) -> dict[str, Any]:
        """The ``data`` entry of a book snapshot of ``depth`` levels."""
        bids, asks = self.top(depth)
        return {
            "symbol": symbol,
            "bids": [{"price": wire(p), "qty": wire(q)} for p, q in bids],
            "asks": [{"price": wire(p), "qty": wire(q)} for p, q in asks],
            "checksum": self.checksum(depth),
        }

    def update(
        self, symbol: str, depth: int, bids: Levels, asks: Levels, corrupt: bool = False
    ) -> dict[str, Any]:
        """Apply an update and return the ``data`` entry a client subscribed at ``depth``
        receives."""
        before = self.top(depth)
        self.apply(self.bids, bids)
        self.apply(self.asks, asks)
        return self.update_data(symbol, depth, before, bids, asks, corrupt)

    def update_data(
        self,
        symbol: str,
        depth: int,
        before: tuple[Side, Side],
        bids: Levels,
        asks: Levels,
        corrupt: bool = False,
    ) -> dict[str, Any]:
        """The ``data`` entry of an update already applied, for a client whose top ``depth``
        levels were ``before``: the levels given plus those that enter its depth."""
        old_bids, old_asks = before
        new_bids, new_asks = self.top(depth)
        sent_bids = [*bids, *_entering(old_bids, new_bids, bids)]
        sent_asks = [*asks, *_entering(old_asks, new_asks, asks)]
        return {
            "symbol": symbol,
            "bids": [_level(p, q) for p, q in sent_bids],
            "asks": [_level(p, q) for p, q in sent_asks],
            "checksum": self.checksum(depth, corrupt),
            "timestamp": TS,
        }


def _entering(old: Side, new: Side, sent: Levels) -> Levels:
    """Levels now in scope that were not before and are not in the update itself."""
    named = {Decimal(p) for p, _ in sent}
    was = {p for p, _ in old}
    return [(str(p), str(q)) for p, q in new if p not in was and p not in named]


def _level(price: str, qty: str) -> dict[str, Decimal]:
    return {"price": wire(Decimal(price)), "qty": wire(Decimal(qty))}


def ladder(mid: Decimal, step: Decimal, count: int, qty: str) -> tuple[Levels, Levels]:
    """``count`` bids below and asks above ``mid``, ``step`` apart, all of ``qty``."""
    bids = [(str(mid - step * (i + 1)), qty) for i in range(count)]
    asks = [(str(mid + step * (i + 1)), qty) for i in range(count)]
    return bids, asks


def trade_data(symbol: str, trade_id: int, price: Decimal, qty: Decimal) -> dict[str, Any]:
    side = "buy" if trade_id % 2 else "sell"
    return {"symbol": symbol, "side": side, "price": price, "qty": qty, "ord_type": "market",
            "trade_id": trade_id, "timestamp": TS}  # fmt: skip


def ticker_data(symbol: str, book: Book) -> dict[str, Any]:
    bids, asks = book.top(1)
    (bid, bid_qty), (ask, ask_qty) = bids[0], asks[0]
    return {"symbol": symbol, "bid": wire(bid), "bid_qty": wire(bid_qty), "ask": wire(ask),
            "ask_qty": wire(ask_qty), "last": wire(bid)}  # fmt: skip


def recorded_session(
    pairs: dict[str, tuple[Decimal, Decimal, tuple[int, int]]],
    updates: int,
    depth: int = 10,
    seed: int = 2026,
) -> list[bytes]:
    """Frames of one v2 connection: ``pairs`` maps ``BTC/USD`` to (mid, tick, precisions).

    After the instrument snapshot and one book snapshot per pair come ``updates`` book
    updates (a changed, a new or a removed level, round robin over the pairs); every fifth is
    followed by a trade frame (sequential ``trade_id`` per pair) and a BBO ticker.
    """
    rng = random.Random(seed)
    books: dict[str, Book] = {}
    instrument = [
        {"symbol": s, "price_precision": pp, "qty_precision": qp}
        for s, (_, _, (pp, qp)) in pairs.items()
    ]
    frames = [
        encode({"channel": "instrument", "type": "snapshot",
                "data": {"assets": [], "pairs": instrument}})
    ]  # fmt: skip
    for symbol, (mid, tick, precision) in pairs.items():
        book = books[symbol] = Book(*precision)
        bids, asks = ladder(mid, tick, depth + 5, "1.5")
        book.apply(book.bids, bids)
        book.apply(book.asks, asks)
        frames.append(
            encode({"channel": "book", "type": "snapshot", "data": [book.snapshot(symbol, depth)]})
        )
    symbols = list(pairs)
    trade_ids = dict.fromkeys(symbols, 0)
    for n in range(updates):
        symbol = symbols[n % len(symbols)]
        book = books[symbol]
        mid, tick, (_, qp) = pairs[symbol]
        is_bid = rng.random() < 0.5
        side = book.bids if is_bid else book.asks
        qty = Decimal(rng.randint(1, 10**qp * 5)).scaleb(-qp)
        kind = rng.random()
        if kind < 0.2 and len(side) > depth:  # a level inside the depth goes
            ranked = sorted(side, reverse=is_bid)[:depth]
            level = (str(rng.choice(ranked)), "0")
        elif kind < 0.5:  # a level on the tick grid, new or not, inside the depth or beyond
            offset = tick * rng.randint(1, depth + 8)
            level = (str(mid - offset if is_bid else mid + offset), str(qty))
        else:  # an existing level's quantity changes
            ranked = sorted(side, reverse=is_bid)[:depth]
            level = (str(rng.choice(ranked)), str(qty))
        bids, asks = ([level], []) if is_bid else ([], [level])
        data = book.update(symbol, depth, bids, asks)
        frames.append(encode({"channel": "book", "type": "update", "data": [data]}))
        if n % 5 == 4:
            trade_ids[symbol] += 1
            trade = trade_data(symbol, trade_ids[symbol], wire(mid), qty)
            frames.append(encode({"channel": "trade", "type": "update", "data": [trade]}))
            ticker = ticker_data(symbol, book)
            frames.append(encode({"channel": "ticker", "type": "update", "data": [ticker]}))
    return frames
