"""The simulated market: per-symbol fair value, L2 book and order flow, deterministic by seed.

Each symbol has a latent fair price that follows a random walk whose variance clusters (a
GARCH(1,1) update, scaled by the time between steps so clusters last seconds to minutes at any
rate). Liquidity providers keep an L2 book around it with a spread that widens with volatility.
Every step is one order-flow action on the book:

* the fair price has moved through the best ask (bid): an informed trader lifts (hits) it, or the
  stale quote is cancelled;
* the spread is wider than volatility warrants: a new order improves the best price;
* otherwise noise: an add at some depth, a partial or full cancel, a small marketable order;
* a side left with fewer than the symbol's ``depth_levels`` levels is restocked behind its last
  level, so the book always shows the configured depth.

Marketable orders execute against the opposite side, best level first, so trades print at the
best bid/offer or through it (a sweep); the book can never cross or lock because a bid only ever
rests below the best ask and an ask above the best bid. The generator emits wire tuples
(``wire.py``): deltas for every level change, a quote whenever the BBO changes, a trade per level
executed, each with the symbol's next contiguous ``seq``.

Same seed, symbols, call sequence and timestamps give byte-identical frames: each symbol draws
from its own ``random.Random`` seeded by ``(seed, symbol)``, so adding a symbol never changes
another symbol's data.

This module is the reference; ``generator.pyx`` is the same model compiled (its ``Model`` keeps
the book in C arrays and continues each ``random.Random`` stream in C). ``Market`` uses it when it
is built: generating was the slowest stage of ``mdc collect`` at full rate. The two give the same
messages, held so by differential tests.
"""

from __future__ import annotations

import math
import random
import zlib
from bisect import insort
from collections.abc import Iterable
from statistics import NormalDist
from types import ModuleType
from typing import Final, Protocol

from mdc.config import SymbolConfig
from mdc.domain import native
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.wire import (
    ASK,
    BID,
    DELTA,
    HALT,
    QUOTE,
    SNAPSHOT,
    TRADE,
    encode_frame,
)

Message = tuple[object, ...]

GENERATOR: Final = "mdc.providers.simulated.generator"
INT64_MAX: Final = 2**63 - 1

START_PRICES: Final[dict[str, float]] = {
    "SPY": 450.0,
    "QQQ": 380.0,
    "IWM": 195.0,
    "DIA": 370.0,
    "AAPL": 190.0,
    "MSFT": 410.0,
    "AMZN": 180.0,
    "GOOGL": 140.0,
    "GOOG": 141.0,
    "META": 480.0,
    "NVDA": 880.0,
    "TSLA": 175.0,
    "AMD": 160.0,
    "NFLX": 610.0,
    "JPM": 195.0,
    "BAC": 37.0,
    "XOM": 115.0,
    "KO": 60.0,
    "F": 12.0,
    "INTC": 35.0,
}
"""Rough levels of well-known tickers, so demos look plausible; others come from a name hash."""
HASH_PRICE_RANGE: Final = (5.0, 500.0)
"""Unknown symbols start log-uniformly in this range, at a place fixed by the name."""

TRADING_SECONDS_PER_YEAR: Final = 252 * 6.5 * 3600
VOL_HALF_LIFE_S: Final = 120.0
"""How long a volatility burst takes to decay halfway back to the long-run level."""
KAPPA: Final = math.log(2) / VOL_HALF_LIFE_S
"""Mean reversion speed of the variance, per second."""
VOL_OF_VAR: Final = math.sqrt(KAPPA)
"""Variance shock per sqrt(second); sqrt(kappa) keeps the variance's spread moderate."""
VAR_CLAMP: Final = 16.0
VAR_FLOOR: Final = 1.0 / VAR_CLAMP
"""Variance stays within [long-run / 16, long-run * 16] so no regime becomes absurd."""
SPREAD_K: Final = 0.25
"""Target spread (in price) = SPREAD_K * price * one-second volatility, at least one tick."""
MAX_STEP_DT_S: Final = 60.0
"""Longer pauses between steps (a halt, a sparse history) move the price as if 60 s passed."""

NORMAL_SIZE: Final = 4096
NORMAL: Final[tuple[float, ...]] = tuple(
    NormalDist().inv_cdf((i + 0.5) / NORMAL_SIZE) for i in range(NORMAL_SIZE)
)
"""Standard normal quantiles: a uniform index gives a normal draw at a third of gauss()'s cost
(tails stop at 3.5 sigma, which a simulated feed does not miss)."""

LOT: Final = 100
LEVEL_LOTS_MEAN: Final = 8.0
"""Mean resting size per level, in lots (geometric), so levels hold a few hundred shares."""
DEPTH_DECAY_TICKS: Final = 3.0
"""Adds land this many ticks behind the best price on average (exponential)."""
MAX_SWEEP_LEVELS: Final = 3
ROUND_LOT_SHARE: Final = 0.7
"""Of small noise orders, the share that is one round lot; the rest are odd lots of 1..99."""
ODD_LOT_SCALE: Final = 99 / (1 - ROUND_LOT_SHARE)

P_INFORMED_TRADE: Final = 0.6
"""When the fair price is through a quote: trade it (else the stale quote is cancelled)."""
P_IMPROVE: Final = 0.5
"""When the spread is wider than the target: an order steps inside it."""
P_ADD: Final = 0.45
P_CANCEL: Final = 0.43
"""Noise flow shares: add, cancel, and the rest are small marketable orders."""
CANCEL_ALL_SHARE: Final = 0.35
"""Of cancels, the share that removes the whole level (else one to a few lots)."""


def start_price(symbol: str, overrides: dict[str, float] | None = None) -> float:
    """The configured, well-known or name-derived starting price of ``symbol``."""
    if overrides and symbol in overrides:
        return overrides[symbol]
    if symbol in START_PRICES:
        return START_PRICES[symbol]
    low, high = HASH_PRICE_RANGE
    fraction = zlib.crc32(symbol.encode()) / 0xFFFFFFFF
    return round(low * math.pow(high / low, fraction), 2)


def ticks_per_unit(price: float) -> int:
    """Cent ticks at $1 and above, 1/100 cent below (the US equity rule)."""
    return 100 if price >= 1.0 else 10_000


def symbol_seed(seed: int, symbol: str, salt: str = "") -> str:
    """The seed of one symbol's generator (``random`` hashes strings with SHA-512, stably)."""
    return f"{seed}:{symbol}:{salt}"


def generator() -> ModuleType | None:
    """The compiled model, or None (not built, or ``MDC_PURE_PYTHON=1`` now). Looked up per
    ``Market``, not at import: the kernel reads this module's constants."""
    return native.load(GENERATOR)


class Uniform(Protocol):
    """What the market draws from: ``random.Random`` or the kernel's ``Rand``."""

    def random(self) -> float: ...


class Model(Protocol):
    """One symbol's model as ``Market``, the live feed and the history generator use it:
    :class:`SymbolModel` or the kernel's ``Model``."""

    symbol: str
    seq: int
    fair: float
    last_ts: int

    @property
    def tpu(self) -> int: ...

    def options(self) -> tuple[bool, bool, bool, int]: ...
    def reconfigure(self, symbol: SymbolConfig) -> None: ...
    def bbo(self) -> tuple[int, int, int, int]: ...
    def book(self) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]: ...
    def snapshot(self, ts: int, out: list[Message]) -> None: ...
    def status(self, ts: int, state: str, out: list[Message]) -> None: ...
    def step(self, ts: int, out: list[Message]) -> None: ...


class _Side:
    """One side of an L2 book. Keys ascend from the best price: ``tick`` for asks and
    ``-tick`` for bids, so both sides share the same code."""

    __slots__ = ("code", "keys", "sign", "sizes")

    def __init__(self, code: str) -> None:
        self.code = code
        self.sign = 1 if code == ASK else -1
        self.keys: list[int] = []
        self.sizes: dict[int, int] = {}


class SymbolModel:
    """Fair value, volatility state and L2 book of one symbol, plus its sequence counter."""

    __slots__ = (
        "asks",
        "bids",
        "emit_depth",
        "emit_quotes",
        "emit_trades",
        "fair",
        "last_ts",
        "levels",
        "long_run_var",
        "min_fair",
        "rng",
        "seq",
        "symbol",
        "tpu",
        "var",
    )

    def __init__(
        self,
        symbol: SymbolConfig,
        price: float,
        volatility: float,
        seed: int,
        ts: int,
        salt: str = "",
    ) -> None:
        self.symbol = symbol.symbol
        self.levels = symbol.depth_levels
        self.emit_trades = symbol.trades
        self.emit_quotes = symbol.quotes
        self.emit_depth = symbol.depth
        self.rng = random.Random(symbol_seed(seed, symbol.symbol, salt))
        self.tpu = ticks_per_unit(price)
        self.fair = price * self.tpu
        self.min_fair = 2.0 * self.levels + 2.0
        self.long_run_var = volatility * volatility / TRADING_SECONDS_PER_YEAR
        self.var = self.long_run_var
        self.last_ts = ts
        self.seq = 0
        self.bids = _Side(BID)
        self.asks = _Side(ASK)
        self._seed_book()

    # -- state ---------------------------------------------------------------------------------

    def options(self) -> tuple[bool, bool, bool, int]:
        return self.emit_trades, self.emit_quotes, self.emit_depth, self.levels

    def reconfigure(self, symbol: SymbolConfig) -> None:
        """New options of a resubscribed symbol (a config reload): what it emits and its depth.
        A shallower book drops its deepest levels (the snapshot that follows says so); a deeper
        one is restocked by the next steps."""
        self.emit_trades = symbol.trades
        self.emit_quotes = symbol.quotes
        self.emit_depth = symbol.depth
        self.levels = symbol.depth_levels
        self.min_fair = 2.0 * self.levels + 2.0
        for side in (self.bids, self.asks):
            for key in side.keys[self.levels :]:
                del side.sizes[key]
            del side.keys[self.levels :]

    def _seed_book(self) -> None:
        """A full book around the start price: one tick wide, ``levels`` contiguous ticks."""
        best_bid = max(self.levels + 1, math.floor(self.fair - 0.5))
        for i in range(self.levels):
            self._rest(self.bids, -(best_bid - i), self._lots())
            self._rest(self.asks, best_bid + 1 + i, self._lots())

    def _lots(self) -> int:
        return LOT * (1 + int(-math.log(1.0 - self.rng.random()) * LEVEL_LOTS_MEAN))

    @staticmethod
    def _rest(side: _Side, key: int, size: int) -> None:
        if key not in side.sizes:
            insort(side.keys, key)
        side.sizes[key] = size

    def bbo(self) -> tuple[int, int, int, int]:
        """Best bid tick, bid size, best ask tick, ask size."""
        bid_key = self.bids.keys[0]
        ask_key = self.asks.keys[0]
        return (-bid_key, self.bids.sizes[bid_key], ask_key, self.asks.sizes[ask_key])

    def book(self) -> tuple[list[tuple[float, int]], list[tuple[float, int]]]:
        """Bids and asks as (price, size), best first."""
        tpu = self.tpu
        bids = [(-k / tpu, self.bids.sizes[k]) for k in self.bids.keys]
        asks = [(k / tpu, self.asks.sizes[k]) for k in self.asks.keys]
        return bids, asks

    # -- messages ------------------------------------------------------------------------------

    def snapshot(self, ts: int, out: list[Message]) -> None:
        """The whole book (when depth is on) and the BBO, e.g. on subscribe."""
        self.last_ts = max(self.last_ts, ts)
        if self.emit_depth:
            bids, asks = self.book()
            self.seq += 1
            out.append((SNAPSHOT, self.symbol, self.seq, ts, bids, asks))
        if self.emit_quotes:
            self._quote(ts, out)

    def status(self, ts: int, state: str, out: list[Message]) -> None:
        self.last_ts = max(self.last_ts, ts)
        self.seq += 1
        out.append((HALT, self.symbol, self.seq, ts, state))

    def _quote(self, ts: int, out: list[Message]) -> None:
        bb, bs, ba, as_ = self.bbo()
        tpu = self.tpu
        self.seq += 1
        out.append((QUOTE, self.symbol, self.seq, ts, bb / tpu, bs, ba / tpu, as_))

    def _delta(self, side: _Side, key: int, size: int, ts: int, out: list[Message]) -> None:
        if self.emit_depth:
            self.seq += 1
            price = side.sign * key / self.tpu
            out.append((DELTA, self.symbol, self.seq, ts, side.code, price, size))

    # -- order flow ----------------------------------------------------------------------------

    def step(self, ts: int, out: list[Message]) -> None:
        """Advance the fair price to ``ts`` and apply one order-flow action to the book.

        A ``ts`` before the symbol's last message (a snapshot or status sent later than the
        frame's start) is moved up to it: a symbol's timestamps never go backwards."""
        rand = self.rng.random
        var = self.var
        if ts <= self.last_ts:
            ts = self.last_ts
        else:
            dt = min((ts - self.last_ts) * 1e-9, MAX_STEP_DT_S)
            self.last_ts = ts
            z = NORMAL[int(rand() * NORMAL_SIZE)]
            fair = self.fair * (1.0 + math.sqrt(var * dt) * z)
            self.fair = fair if fair > self.min_fair else self.min_fair
            # GARCH(1,1) in continuous-time form: mean reversion plus a squared-shock term.
            lrv = self.long_run_var
            var += dt * KAPPA * (lrv - var) + VOL_OF_VAR * math.sqrt(0.5 * dt) * (z * z - 1.0) * var
            if var < lrv * VAR_FLOOR:
                var = lrv * VAR_FLOOR
            elif var > lrv * VAR_CLAMP:
                var = lrv * VAR_CLAMP
            self.var = var
        fair = self.fair
        bids, asks = self.bids, self.asks
        bid_key = bids.keys[0]
        ask_key = asks.keys[0]
        quotes = self.emit_quotes
        before = (bid_key, bids.sizes[bid_key], ask_key, asks.sizes[ask_key]) if quotes else ()
        u = rand()
        if ask_key < fair:
            if u < P_INFORMED_TRADE:
                self._execute(asks, self._order_size(), ts, out)
            else:
                self._cancel(asks, ask_key, asks.sizes[ask_key], ts, out)
        elif -bid_key > fair:
            if u < P_INFORMED_TRADE:
                self._execute(bids, self._order_size(), ts, out)
            else:
                self._cancel(bids, bid_key, bids.sizes[bid_key], ts, out)
        elif u < P_IMPROVE and ask_key + bid_key > 1:
            # The spread (ask_key + bid_key ticks) is wider than a tick: is it wider than needed?
            half = max(0.5, 0.5 * SPREAD_K * fair * math.sqrt(var))
            best_bid = -bid_key
            bid_target = math.floor(fair - half)
            ask_target = math.ceil(fair + half)
            if best_bid < bid_target and (ask_key <= ask_target or u < 0.5 * P_IMPROVE):
                tick = best_bid + 1 + int(rand() * (min(bid_target, ask_key - 1) - best_bid))
                self._add(bids, -tick, self._lots(), ts, out)
            elif ask_key > ask_target:
                low = max(ask_target, best_bid + 1)
                self._add(asks, low + int(rand() * (ask_key - low)), self._lots(), ts, out)
            else:
                self._noise(ts, out)
        else:
            self._noise(ts, out)
        levels = self.levels
        if len(bids.keys) < levels or len(asks.keys) < levels:
            self._refill(ts, out)
        if quotes:
            bid_key = bids.keys[0]
            ask_key = asks.keys[0]
            if before != (bid_key, bids.sizes[bid_key], ask_key, asks.sizes[ask_key]):
                self._quote(ts, out)

    def _refill(self, ts: int, out: list[Message]) -> None:
        """Liquidity providers restock the back of the book: a side with fewer than ``levels``
        levels (after cancels and sweeps) gets new ones a tick or two behind its last, so every
        book shows the configured depth. Bids stop at the lowest tick."""
        rand = self.rng.random
        for side in (self.bids, self.asks):
            keys = side.keys
            while len(keys) < self.levels:
                key = keys[-1] + 1 + int(rand() * 2)
                if side.sign < 0 and key >= 0:
                    break
                self._add(side, key, self._lots(), ts, out)

    def _noise(self, ts: int, out: list[Message]) -> None:
        rand = self.rng.random
        u = rand()
        side = self.bids if u < 0.5 else self.asks
        u = (u if u < 0.5 else u - 0.5) * 2.0
        if u < P_ADD:
            key = side.keys[0] + int(-math.log(1.0 - rand()) * DEPTH_DECAY_TICKS)
            if side.sign < 0 and key >= 0:
                return
            self._add(side, key, LOT * (1 + int(rand() * 4)), ts, out)
        elif u < P_ADD + P_CANCEL:
            keys = side.keys
            key = keys[int(rand() * len(keys))]
            u = (u - P_ADD) / P_CANCEL
            size = side.sizes[key] if u < CANCEL_ALL_SHARE else LOT * (1 + int(u * 3))
            self._cancel(side, key, size, ts, out)
        else:
            u = (u - P_ADD - P_CANCEL) / (1.0 - P_ADD - P_CANCEL)
            size = LOT if u < ROUND_LOT_SHARE else 1 + int((u - ROUND_LOT_SHARE) * ODD_LOT_SCALE)
            self._execute(side, size, ts, out)

    def _order_size(self) -> int:
        """A marketable order: mostly one to a few lots, sometimes large enough to sweep."""
        return LOT * (1 + int(-math.log(1.0 - self.rng.random()) * 4.0))

    def _add(self, side: _Side, key: int, size: int, ts: int, out: list[Message]) -> None:
        """Rest ``size`` more at ``key``; a new level beyond the depth limit is not shown."""
        sizes = side.sizes
        total = sizes.get(key)
        if total is not None:
            total += size
            sizes[key] = total
            self._delta(side, key, total, ts, out)
            return
        keys = side.keys
        if len(keys) >= self.levels:
            worst = keys[-1]
            if key > worst:
                return
            keys.pop()
            del sizes[worst]
            self._delta(side, worst, 0, ts, out)
        insort(keys, key)
        sizes[key] = size
        self._delta(side, key, size, ts, out)

    def _cancel(self, side: _Side, key: int, size: int, ts: int, out: list[Message]) -> None:
        """Take ``size`` off the level; the last level of a side is never removed entirely."""
        sizes = side.sizes
        left = sizes[key] - size
        if left <= 0:
            if len(side.keys) == 1:
                return
            side.keys.remove(key)
            del sizes[key]
            self._delta(side, key, 0, ts, out)
        else:
            sizes[key] = left
            self._delta(side, key, left, ts, out)

    def _execute(self, side: _Side, size: int, ts: int, out: list[Message]) -> None:
        """A marketable order against ``side``: prints at the best price, then through it.

        A side is never left empty, not even between two messages: before its last level is
        taken, liquidity appears one tick further out."""
        keys = side.keys
        sizes = side.sizes
        sign = side.sign
        tpu = self.tpu
        emit_trades = self.emit_trades
        for _ in range(MAX_SWEEP_LEVELS):
            key = keys[0]
            resting = sizes[key]
            filled = min(size, resting)
            last = filled == resting and len(keys) == 1
            if last and sign < 0 and key >= -1:
                filled -= 1  # no price below the lowest tick to refill at: leave a share
                last = False
            if filled <= 0:
                return
            if emit_trades:
                self.seq += 1
                out.append((TRADE, self.symbol, self.seq, ts, sign * key / tpu, filled))
            size -= filled
            if filled < resting:
                sizes[key] = resting - filled
                self._delta(side, key, resting - filled, ts, out)
                return
            if last:
                self._rest(side, key + 1, self._lots())
                self._delta(side, key + 1, sizes[key + 1], ts, out)
            keys.pop(0)
            del sizes[key]
            self._delta(side, key, 0, ts, out)
            if size <= 0:
                return


class Market:
    """All simulated symbols; turns a number of messages and a time span into frames.

    With the compiled generator (``compiled`` and built) its models are the kernel's and a
    frame's steps run in one kernel call; otherwise they are :class:`SymbolModel`."""

    def __init__(
        self,
        config: SimulatedConfig,
        symbols: Iterable[SymbolConfig] = (),
        ts: int = 0,
        salt: str = "",
        compiled: bool = True,
    ) -> None:
        self.config = config
        self.salt = salt
        self.kernel = generator() if compiled else None
        self.models: dict[str, Model] = {}
        self.active: list[Model] = []
        seed = symbol_seed(config.seed, "", salt)
        self.rng: Uniform = random.Random(seed) if self.kernel is None else self.kernel.Rand(seed)
        self.pending: list[Message] = []
        """Messages not from order flow (snapshots, halts), sent ahead of the next frame."""
        self.ts = ts
        for symbol in symbols:
            self.add(symbol, ts)

    def add(self, symbol: SymbolConfig, ts: int, price: float | None = None) -> None:
        """Start (or restart) a symbol: its book snapshot goes out with the next frame.

        ``price`` overrides the start price of a new symbol. A symbol with trades, quotes and
        depth all off has nothing to send and is ignored."""
        if not (symbol.trades or symbol.quotes or symbol.depth):
            return
        model = self.models.get(symbol.symbol)
        if model is None:
            config = self.config
            price = price or start_price(symbol.symbol, config.start_prices)
            new = SymbolModel if self.kernel is None else self.kernel.Model
            model = new(symbol, price, config.volatility, config.seed, ts, self.salt)
            self.models[symbol.symbol] = model
        elif model.options() != (symbol.trades, symbol.quotes, symbol.depth, symbol.depth_levels):
            model.reconfigure(symbol)
        if model not in self.active:
            self.active.append(model)
        model.snapshot(ts, self.pending)

    def remove(self, symbol: str) -> None:
        """Stop generating for ``symbol``; its state is kept so a re-add continues its seq."""
        model = self.models.get(symbol)
        if model is not None and model in self.active:
            self.active.remove(model)

    def halt(self, symbol: str, ts: int) -> None:
        """A trading halt: a ``halted`` status, then nothing for the symbol until resumed."""
        model = self.models[symbol]
        if model in self.active:
            self.active.remove(model)
            model.status(ts, "halted", self.pending)

    def resume(self, symbol: str, ts: int) -> None:
        model = self.models[symbol]
        if model not in self.active:
            model.status(ts, "trading", self.pending)
            self.active.append(model)

    def halted(self) -> list[str]:
        return [name for name, model in self.models.items() if model not in self.active]

    def inject_gap(self, symbol: str, n_messages: int) -> None:
        """Skip ``n_messages`` sequence numbers of ``symbol``: a collector must see a hole."""
        if n_messages < 1:
            raise ValueError(f"n_messages must be at least 1, got {n_messages}")
        self.models[symbol].seq += n_messages

    def messages(self, n: int, ts_end: int) -> list[Message]:
        """About ``n`` order-flow messages (a step may emit several), spread evenly in time from
        the previous call's end to ``ts_end``, after any pending snapshot or status messages."""
        out, self.pending = self.pending, []
        active = self.active
        if n > 0 and active:
            ts0 = self.ts
            span = max(0, ts_end - ts0)
            if self.kernel is not None and span * n <= INT64_MAX:
                self.kernel.fill(out, active, self.rng, n, ts0, span)
            else:  # the reference, or times too far apart for the kernel's 64-bit arithmetic
                count = len(active)
                pick = self.rng.random
                target = len(out) + n
                base = len(out)
                while len(out) < target:
                    ts = ts0 + span * (len(out) - base) // n
                    active[int(pick() * count)].step(ts, out)
        self.ts = max(self.ts, ts_end)
        return out

    def frame(self, n: int, ts_end: int) -> bytes:
        """One frame of about ``n`` messages, encoded in the wire format."""
        return encode_frame(self.messages(n, ts_end))
