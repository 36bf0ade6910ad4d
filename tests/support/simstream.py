"""Long random simulated streams with everything that breaks the common case, for differential
tests of the compiled fast path against the Python path.

Frames come from the real generator (``Market``), with sequence gaps, halts and resumes,
resubscriptions (a fresh book snapshot), a price below $1 (1/100-cent ticks), occasional
collector resets between frames and odd frame sizes, all drawn from one seeded ``Random``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from mdc.config import SymbolConfig
from mdc.domain.time import NS_PER_S
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.market import Market
from mdc.providers.simulated.wire import encode_frame

T0 = 1_767_225_600 * NS_PER_S - 3 * 60 * NS_PER_S
"""Three minutes before a midnight UTC: streams cross a daily (and hourly) partition."""
TICKERS = ("AAPL", "MSFT", "SPY", "PENNY", "BRK.A", "ÜBER", 'Q"UOTE')


@dataclass
class Step:
    """One frame, or a reset of one symbol's collector state (``reset``) before it."""

    frame: bytes
    ts_recv: int
    reset: str | None = None


def stream(seed: int, frames: int, depth: bool, depth_levels: int = 10) -> Iterator[Step]:
    rng = random.Random(seed)
    symbols = [
        SymbolConfig(symbol=name, depth=depth, depth_levels=depth_levels) for name in TICKERS
    ]
    prices = {"PENNY": 0.4321, "BRK.A": 612_345.5}
    market = Market(SimulatedConfig(seed=seed, start_prices=prices), symbols, ts=T0)
    ts = T0
    for _ in range(frames):
        ts += rng.randint(1, 4) * NS_PER_S // 4
        roll = rng.random()
        name = rng.choice(TICKERS)
        reset = None
        if roll < 0.04:
            market.inject_gap(name, rng.randint(1, 5))
        elif roll < 0.06:
            market.halt(name, ts)
        elif roll < 0.10:
            for halted in market.halted():
                market.resume(halted, ts)
        elif roll < 0.12:
            market.add(next(s for s in symbols if s.symbol == name), ts)
        elif roll < 0.13:
            reset = name
        messages = market.messages(rng.choice((1, 7, 50, 300, 1000)), ts)
        if messages:
            yield Step(encode_frame(messages), ts + rng.randint(0, 999), reset)
