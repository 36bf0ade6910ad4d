"""The compiled generator (``generator.pyx``) against the Python model, frame by frame.

Long random sessions — many seeds, symbols with and without depth at 1 to 50 levels, prices
below $1 and above $100k, halts and resumes, injected gaps, resubscriptions with new options
(reconfigures), removes and re-adds, snapshots stamped later than the frame, odd frame sizes,
timestamps too far apart for the kernel's 64-bit loop — run through two markets, one per path.
Every frame must be byte-identical and every model's state (fair price, variance, book, seq,
random stream) equal afterwards.
"""

from __future__ import annotations

import random
from datetime import date

import pytest

from mdc.config import SymbolConfig
from mdc.domain import native
from mdc.providers.simulated import market as sim
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.historical import day_ticks
from mdc.providers.simulated.market import Market, Message

T0 = 1_704_205_800_000_000_000
TICKERS = ("SPY", "AAPL", "PENNY", "BRK.A", "F", 'Q"X')
PRICES = {"PENNY": 0.4321, "BRK.A": 612_345.5, "F": 1.01}
KERNEL = sim.generator()

needs_kernel = pytest.mark.skipif(
    KERNEL is None, reason="the generator kernel is not built (make native) or MDC_PURE_PYTHON"
)


def config(rng: random.Random, name: str) -> SymbolConfig:
    return SymbolConfig(
        symbol=name,
        trades=rng.random() < 0.9,
        quotes=rng.random() < 0.9,
        depth=rng.random() < 0.5,
        depth_levels=rng.choice((1, 2, 5, 10, 50)),
    )


def pair(seed: int, symbols: list[SymbolConfig], ts: int) -> tuple[Market, Market]:
    settings = SimulatedConfig(seed=seed, start_prices=PRICES)
    python = Market(settings, symbols, ts=ts, compiled=False)
    kernel = Market(settings, symbols, ts=ts)
    assert python.kernel is None and kernel.kernel is KERNEL
    return python, kernel


def state(market: Market) -> dict[str, tuple[object, ...]]:
    return {
        name: (
            model.fair,
            model.seq,
            model.last_ts,
            model.bbo(),
            model.book(),
            model.options(),
            model.rng.getstate(),  # type: ignore[attr-defined]
        )
        for name, model in market.models.items()
    }


def session(seed: int, frames: int, ts: int = T0) -> int:
    """Drive both markets through one random session; returns the messages compared."""
    rng = random.Random(seed)
    symbols = [config(rng, name) for name in TICKERS[: rng.randint(1, len(TICKERS))]]
    python, kernel = pair(seed, symbols, ts)
    compared = 0
    for _ in range(frames):
        ts += rng.choice((0, 1, 1_000, 1_000_000, 250_000_000, 90 * 10**9))
        roll = rng.random()
        name = rng.choice(TICKERS)
        known = name in python.models
        for market in (python, kernel):
            if roll < 0.04 and known:
                market.inject_gap(name, 1 + seed % 7)
            elif roll < 0.07 and known and name not in market.halted():
                market.halt(name, ts + 500)
            elif roll < 0.10:
                for halted in market.halted():
                    market.resume(halted, ts + 700)
            elif roll < 0.16:
                market.add(config(random.Random(seed + int(roll * 1e6)), name), ts + 300)
            elif roll < 0.18:
                market.remove(name)
        n = rng.choice((0, 1, 7, 50, 300, 1000, 4000))
        a = python.frame(n, ts)
        b = kernel.frame(n, ts)
        assert a == b
        compared += len(a)
    assert state(python) == state(kernel)
    return compared


@needs_kernel
@pytest.mark.parametrize("seed", range(12))
def test_random_sessions_give_byte_identical_frames(seed: int) -> None:
    assert session(seed, 150) > 100_000


@needs_kernel
def test_a_market_started_at_time_zero_steps_through_the_reference_loop() -> None:
    """Spans of ~1.7e18 ns times the frame size overflow 64 bits: the Python loop runs over the
    kernel's models, with the same result."""
    assert session(99, 40, ts=0) > 10_000


@needs_kernel
def test_the_models_step_alone_and_the_history_driver_agree() -> None:
    """``step`` called directly (as tests and the history generator do) and ``fair`` set from
    outside (the history generator's minute path) behave the same on both paths."""
    symbol = SymbolConfig(symbol="AAPL", depth=True, depth_levels=3)
    python = sim.SymbolModel(symbol, 190.0, 0.4, 5, T0)
    kernel: sim.Model = KERNEL.Model(symbol, 190.0, 0.4, 5, T0)  # type: ignore[union-attr]
    out_p: list[Message] = []
    out_k: list[Message] = []
    for i in range(20_000):
        if i % 1000 == 0:
            python.fair = kernel.fair = python.fair * 1.01
        python.step(T0 + i * 10_000_000, out_p)
        kernel.step(T0 + i * 10_000_000, out_k)
    assert out_p == out_k
    assert len(out_p) > 20_000
    assert python.rng.getstate() == kernel.rng.getstate()  # type: ignore[attr-defined]


@needs_kernel
def test_rand_continues_a_random_streams_doubles_bit_for_bit() -> None:
    reference = random.Random("7:SPY:")
    rand = KERNEL.Rand("7:SPY:")  # type: ignore[union-attr]
    assert [rand.random() for _ in range(5_000)] == [reference.random() for _ in range(5_000)]
    assert rand.getstate() == reference.getstate()
    resumed = random.Random()
    resumed.setstate(rand.getstate())
    assert resumed.random() == rand.random()
    with pytest.raises(ValueError, match=r"not a random\.Random state"):
        rand.setstate((2, (), None))


@needs_kernel
def test_history_ticks_are_the_same_on_both_paths(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = SimulatedConfig(seed=3, history_events_per_day=20_000)
    kernel = day_ticks(settings, "MSFT", date(2024, 3, 5))
    monkeypatch.setattr(sim, "generator", lambda: None)
    python = day_ticks(settings, "MSFT", date(2024, 3, 5))
    assert kernel == python
    assert len(kernel) > 19_000


@needs_kernel
def test_the_kernel_is_the_default_and_mdc_pure_python_turns_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    symbols = [SymbolConfig(symbol="SPY")]
    assert isinstance(Market(SimulatedConfig(), symbols).models["SPY"], KERNEL.Model)  # type: ignore[union-attr]
    monkeypatch.setenv(native.PURE_ENV, "1")
    assert isinstance(Market(SimulatedConfig(), symbols).models["SPY"], sim.SymbolModel)
