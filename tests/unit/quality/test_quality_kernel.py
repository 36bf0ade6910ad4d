"""The compiled detector (``quality/kernel.pyx``) against ``AnomalyDetector``: the same
findings, byte for byte and in order, batch by batch, and the same counts, on long random
streams full of faults (NaN and infinite prices, integer sizes, signed zeros, two providers
drifting apart, halts) and on the real crypto captures."""

from __future__ import annotations

import math
import random
from pathlib import Path
from typing import Any

import msgspec
import pytest
from tests.support.kernels import flat, outcomes, read_capture, require_kernel
from tests.support.simstream import stream

from mdc.config.schema import QualityConfig
from mdc.domain.events import Bar, Event, Quote, Status, Trade
from mdc.domain.time import NS_PER_S
from mdc.providers.coinbase.parse import CoinbaseParser
from mdc.providers.kraken.parse import KrakenParser
from mdc.providers.simulated.parse import parse_frame
from mdc.quality import anomalies
from mdc.quality.anomalies import AnomalyDetector

T0 = 1_732_631_400 * NS_PER_S
TIGHT = QualityConfig(
    window=5,
    min_points=3,
    spike_mads=3.0,
    volume_mads=2.0,
    volume_min_ratio=1.5,
    stale_quote_s=2.0,
    future_tolerance_s=0.5,
    divergence_bps=5.0,
    divergence_count_ratio=1.5,
    divergence_minutes=1,
)


def _price(rng: random.Random, base: float) -> Any:
    roll = rng.random()
    if roll < 0.01:
        return rng.choice([math.nan, math.inf, -math.inf])
    if roll < 0.03:
        return base * rng.choice([1.5, 0.5, 3.0])  # a spike
    if roll < 0.05:
        return rng.choice([0.0, -0.0, int(base)])
    return round(base + rng.gauss(0, 0.02), 4)


def faulty_stream(seed: int, count: int) -> list[Event]:
    """Trades, quotes, bars and statuses of two symbols from two providers, in roughly
    increasing time, with every fault the detectors look for."""
    rng = random.Random(seed)
    out: list[Event] = []
    ts = T0
    base = {("A", "p"): 100.0, ("A", "q"): 100.0, ("B", "p"): 20.0, ("B", "q"): 20.0}
    for i in range(count):
        ts += rng.choice([1, 10, 1_000, 50_000_000, 900_000_000, 3 * NS_PER_S])
        symbol, provider = rng.choice(list(base))
        if provider == "q" and (i // 500) % 3 == 1:
            base[(symbol, provider)] *= 1.0002  # drifting away for a while
        mid = base[(symbol, provider)]
        ts_event = ts + rng.choice([0, 0, 0, -2 * NS_PER_S, 3 * NS_PER_S, 10 * NS_PER_S, -1])
        head: dict[str, Any] = {
            "symbol": symbol,
            "venue": "V",
            "provider": provider,
            "ts_event": ts_event,
            "ts_recv": ts,
        }
        roll = rng.random()
        if roll < 0.45:
            size: Any = rng.choice([100, 100.0, 200, 1, 5_000, 1e6, math.nan, 0.5])
            out.append(Trade(**head, price=_price(rng, mid), size=size))
        elif roll < 0.9:
            spread = rng.choice([0.02, 0.02, 0.02, 0.0, -0.01])
            bid = rng.choice([mid - spread / 2, mid - spread / 2, 0.0])
            out.append(
                Quote(**head, bid_price=bid, bid_size=1, ask_price=mid + spread / 2, ask_size=1)
            )
        elif roll < 0.96:
            o, c = mid, _price(rng, mid)
            high, low = max(o, c) + rng.choice([0.1, -1.0]), min(o, c) - 0.1
            volume = rng.choice([1_000.0, 1_200, 90_000.0, -5.0, math.inf])
            out.append(
                Bar(
                    **head,
                    interval=rng.choice(["1m", "5m"]),
                    open=o,
                    high=high,
                    low=low,
                    close=c,
                    volume=volume,
                )
            )
        else:
            state = rng.choice(["halted", "paused", "resumed", "trading", "quotation_resumed"])
            out.append(Status(**head, kind="trading", state=state))
    return out


def both(events: list[Event], config: QualityConfig | None, batch: int) -> dict[str, int]:
    """Run ``events`` through both detectors in batches; assert they agree at every step."""
    reference = AnomalyDetector(config)
    compiled = require_kernel(anomalies.KERNEL).Detector(config)
    for i in range(0, len(events), batch):
        part = events[i : i + batch]
        assert _encoded(compiled.process(part)) == _encoded(reference.process(part)), i
    assert _encoded(compiled.flush()) == _encoded(reference.flush())
    assert compiled.counts == reference.counts
    return reference.counts


def _encoded(findings: list[Any]) -> list[bytes]:
    return [msgspec.json.encode(f) for f in findings]


@pytest.mark.parametrize(
    ("seed", "config", "batch"),
    [(1, None, 64), (2, TIGHT, 1), (3, TIGHT, 500), (4, QualityConfig(window=25), 97)],
)
def test_random_faulty_streams_give_identical_findings(
    seed: int, config: QualityConfig | None, batch: int
) -> None:
    counts = both(faulty_stream(seed, 20_000), config, batch)
    fired = {kind for kind, n in counts.items() if n}
    assert fired >= {
        anomalies.FUTURE_TIMESTAMP,
        anomalies.TS_OUT_OF_ORDER,
        anomalies.CROSSED_QUOTE,
        anomalies.LOCKED_QUOTE,
        anomalies.BAD_OHLC,
        anomalies.PRICE_SPIKE,
    }
    if config is TIGHT:
        assert fired == set(anomalies.KINDS)


def test_the_simulated_stream_gives_identical_findings() -> None:
    events = [
        e
        for step in stream(9, 300, True, depth_levels=5)
        for e in parse_frame(step.frame, step.ts_recv, "SIM")
    ]
    assert len(events) > 20_000
    both(events, None, 2048)
    both(events, TIGHT, 2048)


@pytest.mark.parametrize(
    ("capture", "parser", "events"),
    [
        ("COINBASE.ws.28.0", CoinbaseParser, 9943),
        ("KRAKEN.ws.50.0", lambda: KrakenParser(10, {"ADA/XBT": "ADA-BTC"}), 4292),
    ],
)
def test_real_captures_give_identical_findings(
    fixtures_dir: Path, capture: str, parser: Any, events: int
) -> None:
    parsed = flat(outcomes(parser().parse, read_capture(fixtures_dir / "crypto" / capture)))
    assert len(parsed) == events
    for config in (None, TIGHT):
        both(parsed, config, 256)


def test_the_factory_takes_the_kernel_unless_pure_python(monkeypatch: pytest.MonkeyPatch) -> None:
    assert type(anomalies.detector()) is require_kernel(anomalies.KERNEL).Detector
    monkeypatch.setenv("MDC_PURE_PYTHON", "1")
    assert type(anomalies.detector(TIGHT)) is AnomalyDetector
