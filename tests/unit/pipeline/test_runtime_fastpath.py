"""The runtime on the simulated feed's fast path: what ``mdc collect`` runs. Everything the
feed sends is stored once, and the counters, the per-symbol figures and a live consumer agree
with the archive; ``MDC_PURE_PYTHON=1`` puts the feed back on the Python path."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from mdc.config import load_config
from mdc.domain import native
from mdc.pipeline import fastpath
from mdc.pipeline.runtime import Runtime
from mdc.providers.simulated.stream import SimulatedProvider

kernel = native.load(fastpath.KERNEL)


def _runtime(root: Path) -> Runtime:
    config = load_config(
        env={
            "MDC_STORAGE__ROOT": str(root),
            "MDC_STORAGE__MIN_FREE_MB": "0",
            "MDC_PROVIDERS__SIMULATED__RATE": "50000",
            "MDC_PROVIDERS__SIMULATED__GAP_EVERY_S": "0.2",
        },
        # Trades and quotes: book deltas are left to the Python path (see FastPath.handle).
        overrides={"symbols": [{"symbol": s, "depth": False} for s in ("AAPL", "MSFT", "SPY")]},
    )
    return Runtime(config)


def _archive(root: Path) -> tuple[Counter[str], Counter[str]]:
    """Lines per event type and per symbol in the JSONL files."""
    by_type: Counter[str] = Counter()
    by_symbol: Counter[str] = Counter()
    for path in root.rglob("*.jsonl"):
        if "_mdc" in path.parts:
            continue
        lines = path.read_bytes().count(b"\n")
        rel = path.relative_to(root).parts
        by_symbol[rel[0]] += lines
        by_type[rel[1]] += lines
    return by_type, by_symbol


@pytest.mark.skipif(kernel is None, reason="the kernel is not built (make native)")
@pytest.mark.parametrize("consumer", [False, True])
def test_the_fast_path_stores_and_counts_everything_once(tmp_path: Path, consumer: bool) -> None:
    runtime = _runtime(tmp_path)

    async def scenario() -> int:
        live = runtime.fanout.add("dashboard", 1_000_000, "drop_oldest") if consumer else None
        provider = runtime.start_provider("simulated")
        assert isinstance(provider, SimulatedProvider) and provider.wire_sink is not None
        await runtime.run(duration=1.5)
        return live.published if live is not None else -1

    published = asyncio.run(scenario())
    by_type, by_symbol = _archive(tmp_path)
    stored = runtime.events_stored
    assert stored > 10_000
    derived = by_type["gaps"] + by_type["integrity"]
    assert sum(by_type.values()) == stored == runtime.events_in + derived
    assert dict(runtime.events_by_type) == dict(by_type)
    assert dict(runtime.symbol_counts) == dict(by_symbol)
    assert by_type["gaps"] > 0 and by_type["integrity"] >= by_type["gaps"]
    stats = runtime.collectors.stats()
    assert stats["events"] == runtime.events_in
    # a live consumer makes the frames' events in its own task: the kernel runs either way
    assert 0.9 * stats["events"] < stats["kernel_events"] < stats["events"]
    assert runtime.status()["kernels"][fastpath.KERNEL] is True
    if consumer:
        assert published == stored


def test_mdc_pure_python_keeps_the_feed_on_the_python_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(native.PURE_ENV, "1")
    runtime = _runtime(tmp_path)
    provider = runtime.start_provider("simulated")
    assert isinstance(provider, SimulatedProvider) and provider.wire_sink is None
    runtime.store.close()
