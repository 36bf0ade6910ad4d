"""Simulated frames through the real parser and collectors: clean data raises nothing, an
injected gap raises exactly one Gap, and trade sides are inferred from the simulated BBO."""

from __future__ import annotations

import re

from mdc.collectors.chain import Collectors
from mdc.config import SymbolConfig
from mdc.domain.events import Event, Gap, Integrity, Trade
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.market import Market
from mdc.providers.simulated.parse import PROVIDER, parse_frame

T0 = 1_704_205_800_000_000_000
SYMBOLS = ("SPY", "AAPL", "MSFT", "TSLA")


def run(market: Market, collectors: Collectors, frames: int, start: int = 0) -> list[Event]:
    out: list[Event] = []
    for i in range(start, start + frames):
        ts = T0 + (i + 1) * 1_000_000
        out.extend(collectors.process(parse_frame(market.frame(1000, ts), ts, "SIM")))
    return out


def make(depth: bool) -> tuple[Market, Collectors]:
    symbols = [SymbolConfig(symbol=s, depth=depth) for s in SYMBOLS]
    collectors = Collectors(depth_levels=10)
    collectors.register_provider(PROVIDER, SPEC.capabilities)
    return Market(SimulatedConfig(), symbols, ts=T0), collectors


def test_clean_simulated_data_raises_no_integrity_events() -> None:
    for depth in (True, False):
        market, collectors = make(depth)
        events = run(market, collectors, 100)
        assert len(events) >= 100_000
        flagged = [e for e in events if isinstance(e, (Integrity, Gap))]
        assert flagged == [], flagged[:3]


def test_trade_sides_are_inferred_and_match_the_book() -> None:
    market, collectors = make(depth=True)
    trades = [e for e in run(market, collectors, 50) if isinstance(e, Trade)]
    assert len(trades) > 2000
    assert all(t.side in ("buy", "sell") for t in trades)
    assert 0.3 < sum(t.side == "buy" for t in trades) / len(trades) < 0.7


def test_an_injected_gap_raises_exactly_one_gap_for_that_symbol() -> None:
    market, collectors = make(depth=False)
    run(market, collectors, 10)
    market.inject_gap("AAPL", 7)
    events = run(market, collectors, 10, start=10)
    gaps = [e for e in events if isinstance(e, Gap)]
    assert [(g.symbol, g.provider) for g in gaps] == [("AAPL", PROVIDER)]
    assert gaps[0].reason == "sequence_gap"
    expected, got = (int(n) for n in re.findall(r"\d+", gaps[0].detail))
    assert got - expected == 7
