"""ccxt unified structures → events: book diffs, aggressor side, quotes."""

from __future__ import annotations

from typing import Any

from mdc.domain.events import BookDelta, BookSnapshot, Quote, Trade
from mdc.providers.ccxt.parse import CcxtMapper, to_ccxt, to_symbol

TS = 1_700_000_000_000_000_000


def book(bids: list[list[float]], asks: list[list[float]], ms: int | None) -> dict[str, Any]:
    return {"bids": bids, "asks": asks, "timestamp": ms}


def test_first_book_is_a_snapshot_then_diffs() -> None:
    m = CcxtMapper("kraken")
    (snap,) = m.book("BTC-USD", book([[100.0, 1.0], [99.0, 2.0]], [[101.0, 1.5]], 1000), TS)
    assert isinstance(snap, BookSnapshot)
    assert (snap.bids, snap.asks, snap.ts_event) == (
        [(100.0, 1.0), (99.0, 2.0)],
        [(101.0, 1.5)],
        1_000_000_000,
    )
    events = m.book("BTC-USD", book([[100.0, 3.0]], [[101.0, 1.5], [102.0, 4.0]], 2000), TS)
    assert [(e.side, e.price, e.size) for e in events if isinstance(e, BookDelta)] == [
        ("bid", 100.0, 3.0),
        ("bid", 99.0, 0.0),
        ("ask", 102.0, 4.0),
    ]
    assert m.book("BTC-USD", book([[100.0, 3.0]], [[101.0, 1.5], [102.0, 4.0]], 3000), TS) == []
    m.forget_book("BTC-USD")
    assert isinstance(m.book("BTC-USD", book([], [], None), TS)[0], BookSnapshot)


def test_trades_take_the_unified_side_and_coinbase_is_corrected() -> None:
    trade = {"id": "7", "timestamp": 5, "price": 1.5, "amount": 2.0, "side": "sell", "info": {}}
    (t,) = CcxtMapper("kraken").trades("BTC-USD", [trade], TS)
    assert t == Trade(
        symbol="BTC-USD",
        venue="kraken",
        provider="ccxt",
        ts_event=5_000_000,
        ts_recv=TS,
        price=1.5,
        size=2.0,
        side="sell",
        trade_id="7",
    )
    # ccxt passes Coinbase's maker side through for public matches: the taker is the other.
    coinbase = dict(trade, info={"side": "sell", "maker_order_id": "m", "taker_order_id": "t"})
    (c,) = CcxtMapper("coinbaseexchange").trades("BTC-USD", [coinbase], TS)
    assert isinstance(c, Trade) and c.side == "buy"


def test_ticker_without_a_side_of_the_book_is_no_quote() -> None:
    m = CcxtMapper("kraken")
    assert m.quote("BTC-USD", {"bid": None, "ask": 2.0}, TS) == []
    (q,) = m.quote("BTC-USD", {"bid": 1.0, "ask": 2.0, "bidVolume": 3.0, "timestamp": None}, TS)
    assert isinstance(q, Quote) and (q.bid_size, q.ask_size, q.ts_event) == (3.0, 0.0, TS)


def test_symbols() -> None:
    assert to_ccxt("BTC-USD") == "BTC/USD" and to_symbol("BTC/USD") == "BTC-USD"
