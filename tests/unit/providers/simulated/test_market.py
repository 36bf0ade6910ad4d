"""The simulated market model: determinism, book invariants, trades against the book, seq."""

from __future__ import annotations

from collections import defaultdict

import pytest

from mdc.config import SymbolConfig
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.market import (
    HASH_PRICE_RANGE,
    Market,
    Message,
    SymbolModel,
    start_price,
)
from mdc.providers.simulated.wire import BID, DELTA, HALT, QUOTE, SNAPSHOT, TRADE

T0 = 1_704_205_800_000_000_000
STEP_NS = 1_000_000  # 1000 messages per ms of exchange time: 1M/s
SYMBOLS = ("SPY", "AAPL", "MSFT", "PENNY1")


def make_market(seed: int = 42, depth: bool = True, levels: int = 10) -> Market:
    symbols = [SymbolConfig(symbol=s, depth=depth, depth_levels=levels) for s in SYMBOLS]
    return Market(SimulatedConfig(seed=seed, start_prices={"PENNY1": 0.85}), symbols, ts=T0)


def run_frames(market: Market, frames: int, per_frame: int = 1000) -> list[bytes]:
    return [market.frame(per_frame, T0 + (i + 1) * STEP_NS) for i in range(frames)]


def run_messages(market: Market, frames: int, per_frame: int = 1000) -> list[Message]:
    out: list[Message] = []
    for i in range(frames):
        out.extend(market.messages(per_frame, T0 + (i + 1) * STEP_NS))
    return out


class Book:
    """An independent L2 book rebuilt from the wire messages alone."""

    def __init__(self) -> None:
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}

    def apply(self, message: Message) -> None:
        tag = message[0]
        if tag == SNAPSHOT:
            bids, asks = message[4], message[5]
            assert isinstance(bids, list) and isinstance(asks, list)
            self.bids = dict(bids)
            self.asks = dict(asks)
        elif tag == DELTA:
            side, price, size = message[4], message[5], message[6]
            levels = self.bids if side == BID else self.asks
            assert isinstance(price, float) and isinstance(size, int)
            if size == 0:
                del levels[price]
            else:
                levels[price] = size

    def best(self) -> tuple[float, float, float, float]:
        bid = max(self.bids)
        ask = min(self.asks)
        return bid, self.bids[bid], ask, self.asks[ask]


def test_same_seed_gives_byte_identical_frames() -> None:
    first = run_frames(make_market(seed=7), 30)
    second = run_frames(make_market(seed=7), 30)
    other = run_frames(make_market(seed=8), 30)
    assert first == second
    assert sum(len(f) for f in first) > 100_000
    assert first != other


def test_adding_a_symbol_does_not_change_another_symbols_data() -> None:
    alone = Market(SimulatedConfig(), [SymbolConfig(symbol="AAPL")], ts=T0)
    together = Market(SimulatedConfig(), [SymbolConfig(symbol="AAPL")], ts=T0)
    # Same AAPL steps at the same times: only the share of steps each symbol gets differs,
    # so compare AAPL's own model stepped directly.
    a = alone.models["AAPL"]
    b = together.models["AAPL"]
    out_a: list[Message] = []
    out_b: list[Message] = []
    for i in range(2000):
        a.step(T0 + i * 1000, out_a)
        b.step(T0 + i * 1000, out_b)
    together.add(SymbolConfig(symbol="MSFT"), T0)
    assert out_a == out_b


def test_book_is_never_crossed_and_quotes_are_the_books_bbo() -> None:
    market = make_market(depth=True, levels=5)
    books: dict[str, Book] = defaultdict(Book)
    quotes = deltas = 0
    for message in run_messages(market, 150):
        symbol = message[1]
        assert isinstance(symbol, str)
        book = books[symbol]
        book.apply(message)
        if message[0] in (SNAPSHOT, DELTA):
            deltas += 1
            bid, _, ask, _ = book.best()
            assert bid < ask, f"{symbol} crossed or locked: {bid} >= {ask} at {message}"
            assert len(book.bids) <= 5
            assert len(book.asks) <= 5
        if message[0] == QUOTE:
            quotes += 1
            assert message[4:] == book.best()
    assert deltas > 50_000
    assert quotes > 10_000
    for symbol, model in market.models.items():
        bids, asks = model.book()
        assert dict(bids) == books[symbol].bids
        assert dict(asks) == books[symbol].asks


def test_trades_print_at_the_best_price_then_through_it() -> None:
    market = make_market(depth=True)
    books: dict[str, Book] = defaultdict(Book)
    last_quote: dict[str, tuple[float, float]] = {}
    trades = through = 0
    for message in run_messages(market, 150):
        symbol = message[1]
        assert isinstance(symbol, str)
        if message[0] == TRADE:
            trades += 1
            price = message[4]
            bid, _, ask, _ = books[symbol].best()
            # Each fill takes the best level of the book at that moment ...
            assert price in (bid, ask)
            # ... so it is at or through the prevailing quote.
            q_bid, q_ask = last_quote[symbol]
            assert isinstance(price, float)
            assert price <= q_bid or price >= q_ask
            through += price < q_bid or price > q_ask
        elif message[0] == QUOTE:
            bid_price, ask_price = message[4], message[6]
            assert isinstance(bid_price, float) and isinstance(ask_price, float)
            last_quote[symbol] = (bid_price, ask_price)
        books[symbol].apply(message)
    assert trades > 5_000
    assert through > 0  # sweeps happen


def test_trades_and_quotes_only_when_depth_is_off() -> None:
    messages = run_messages(make_market(depth=False), 20)
    tags = {m[0] for m in messages}
    assert tags == {TRADE, QUOTE}


def test_seq_is_contiguous_per_symbol() -> None:
    last: dict[str, int] = {}
    for message in run_messages(make_market(), 100):
        symbol, seq = message[1], message[2]
        assert isinstance(symbol, str) and isinstance(seq, int)
        assert seq == last.get(symbol, 0) + 1
        last[symbol] = seq
    assert set(last) == set(SYMBOLS)


def test_injected_gap_skips_exactly_n_seq_numbers() -> None:
    market = make_market()
    before = market.messages(500, T0 + STEP_NS)
    last_aapl = max(m[2] for m in before if m[1] == "AAPL")  # type: ignore[type-var]
    market.inject_gap("AAPL", 7)
    after = market.messages(500, T0 + 2 * STEP_NS)
    aapl = [m[2] for m in after if m[1] == "AAPL"]
    assert aapl[0] == last_aapl + 8
    assert aapl == list(range(last_aapl + 8, last_aapl + 8 + len(aapl)))
    with pytest.raises(ValueError, match="at least 1"):
        market.inject_gap("AAPL", 0)


def test_halt_and_resume_emit_status_and_silence_the_symbol() -> None:
    market = make_market()
    market.messages(100, T0 + STEP_NS)
    market.halt("MSFT", T0 + STEP_NS)
    during = market.messages(2000, T0 + 2 * STEP_NS)
    assert during[0][:2] == (HALT, "MSFT")
    assert during[0][4] == "halted"
    assert [m for m in during[1:] if m[1] == "MSFT"] == []
    assert market.halted() == ["MSFT"]
    market.resume("MSFT", T0 + 2 * STEP_NS)
    after = market.messages(2000, T0 + 3 * STEP_NS)
    assert after[0][0] == HALT and after[0][4] == "trading"
    assert after[0][2] == during[0][2] + 1  # type: ignore[operator]
    assert any(m[1] == "MSFT" for m in after[1:])


def test_messages_are_spread_over_the_time_span_in_order() -> None:
    market = make_market()
    market.messages(10, T0)
    messages = market.messages(1000, T0 + 1_000_000)
    stamps = [m[3] for m in messages]
    assert stamps == sorted(stamps)
    assert T0 <= stamps[0] < T0 + 10_000  # type: ignore[operator]
    assert T0 + 990_000 <= stamps[-1] < T0 + 1_000_000  # type: ignore[operator]
    assert 1000 <= len(messages) < 1010


def test_start_prices_known_configured_and_hashed() -> None:
    assert start_price("SPY") == 450.0
    assert start_price("AAPL") == 190.0
    assert start_price("MSFT") == 410.0
    assert start_price("SPY", {"SPY": 500.0}) == 500.0
    low, high = HASH_PRICE_RANGE
    unknown = start_price("ZZZQ")
    assert low <= unknown <= high
    assert start_price("ZZZQ") == unknown
    assert start_price("ZZZR") != unknown


def test_first_quote_is_at_the_start_price_and_sub_dollar_uses_finer_ticks() -> None:
    market = make_market(depth=False)
    first = {m[1]: m for m in market.messages(0, T0)}
    assert first["SPY"][4] == 449.99 and first["SPY"][6] == 450.0
    assert first["PENNY1"][4] == 0.8499 and first["PENNY1"][6] == 0.85


def mean_spread_ticks(volatility: float) -> float:
    model = SymbolModel(SymbolConfig(symbol="X"), 400.0, volatility, seed=1, ts=T0)
    out: list[Message] = []
    total = 0
    for i in range(1, 20_001):
        model.step(T0 + i * 10_000_000, out)  # 100 steps per second
        bid, _, ask, _ = model.bbo()
        total += ask - bid
    return total / 20_000


def test_spread_widens_with_volatility() -> None:
    calm = mean_spread_ticks(0.1)
    wild = mean_spread_ticks(2.0)
    assert calm < 2.0
    assert wild > 2 * calm


def test_a_symbols_timestamps_never_go_backwards() -> None:
    market = Market(SimulatedConfig(), [SymbolConfig(symbol="SPY")], ts=T0)
    market.messages(100, T0 + 1000)
    # Subscribed (and halted/resumed) later than the next frame's start: its snapshot is
    # stamped later than the span the frame's order flow is spread over.
    market.add(SymbolConfig(symbol="AAPL"), T0 + 500_000)
    market.halt("SPY", T0 + 400_000)
    market.resume("SPY", T0 + 600_000)
    last: dict[str, int] = {}
    for message in market.messages(2000, T0 + 1_000_000):
        symbol, ts = message[1], message[3]
        assert isinstance(symbol, str) and isinstance(ts, int)
        assert ts >= last.get(symbol, 0), message
        last[symbol] = ts
    assert last["AAPL"] > T0 + 500_000 and last["SPY"] > T0 + 600_000


@pytest.mark.parametrize("levels", [1, 10, 50])
def test_the_book_keeps_the_configured_depth_on_both_sides(levels: int) -> None:
    """Cancels and sweeps thin the back of the book; restocking keeps every side at the
    configured ``depth_levels`` after every frame, and every snapshot carries them all."""
    market = make_market(depth=True, levels=levels)
    books: dict[str, Book] = defaultdict(Book)
    thinnest = {symbol: levels for symbol in SYMBOLS}
    for i in range(400):
        for message in market.messages(1000, T0 + (i + 1) * STEP_NS):
            symbol = message[1]
            assert isinstance(symbol, str)
            books[symbol].apply(message)
            if message[0] == SNAPSHOT:
                assert (len(message[4]), len(message[5])) == (levels, levels)  # type: ignore[arg-type]
        for symbol in SYMBOLS:
            book = books[symbol]
            thinnest[symbol] = min(thinnest[symbol], len(book.bids), len(book.asks))
        if i % 100 == 99:  # a re-subscribe sends the whole book
            market.add(SymbolConfig(symbol="SPY", depth=True, depth_levels=levels), market.ts)
    assert thinnest == {symbol: levels for symbol in SYMBOLS}
    for symbol, model in market.models.items():
        bids, asks = model.book()
        assert (len(bids), len(asks)) == (levels, levels)
        assert dict(bids) == books[symbol].bids
