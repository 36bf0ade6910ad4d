"""The compiled fast path against the Python path: same collector state, same JSON lines per
partition, byte for byte, on long random simulated streams (gaps, halts, book resets, resets of
the collectors, a sub-dollar price, symbols that need JSON escaping, partitions crossed)."""

from __future__ import annotations

from collections import defaultdict

import msgspec
import pytest
from tests.support.simstream import stream

from mdc.collectors.chain import Collectors
from mdc.domain import native
from mdc.domain.events import Event, Gap, Integrity, Quote, Trade
from mdc.pipeline import fastpath
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import decode_frame
from mdc.storage.layout import Layout, LayoutSpec
from mdc.storage.routing import PartKey, Router

VENUE = "SIM"
kernel = native.load(fastpath.KERNEL)
needs_kernel = pytest.mark.skipif(
    kernel is None, reason="the kernel is not built (make native) or MDC_PURE_PYTHON is set"
)
_encoder = msgspec.json.Encoder()


def _collectors(depth_levels: int) -> Collectors:
    collectors = Collectors(depth_levels=depth_levels)
    collectors.register_provider(PROVIDER, SPEC.capabilities)
    return collectors


def _add(out: dict[PartKey, bytearray], router: Router, events: list[Event]) -> None:
    for pk, group in router.route(events).items():
        out[pk] += _encoder.encode_lines(group)


def _python(steps: list, layout: Layout, depth_levels: int) -> tuple[dict, Collectors, list]:
    collectors = _collectors(depth_levels)
    router = Router(layout)
    out: dict[PartKey, bytearray] = defaultdict(bytearray)
    raised: list[Event] = []
    for step in steps:
        if step.reset:
            collectors.reset(step.reset)
        events = collectors.process(parse_frame(step.frame, step.ts_recv, VENUE))
        raised += [e for e in events if type(e) in (Gap, Integrity)]
        _add(out, router, events)
    return out, collectors, raised


def _fast(steps: list, layout: Layout, depth_levels: int) -> tuple[dict, Collectors, list, int]:
    collectors = _collectors(depth_levels)
    path = fastpath.FastPath(kernel, collectors, VENUE, layout)
    out: dict[PartKey, bytearray] = defaultdict(bytearray)
    raised: list[Event] = []
    for step in steps:
        if step.reset:
            collectors.reset(step.reset)
        handled = path.handle(decode_frame(step.frame), step.ts_recv)
        assert handled.count == sum(count for _, count in handled.lines.values())
        assert handled.fast == sum(handled.symbols.values()) == handled.by_type.total()
        for pk, (lines, count) in handled.lines.items():
            assert lines.count(b"\n") == count
            out[pk] += lines
        raised += [e for e in handled.events if type(e) in (Gap, Integrity)]
    return out, collectors, raised, path.fast_events


def _state(collectors: Collectors) -> tuple:
    quotes = {k: msgspec.json.encode(q) for k, q in collectors._quotes.quotes.items()}
    ticks = {k: (t.price, t.direction) for k, t in collectors._trades.ticks.items()}
    seqs = {
        p: {k: (v.seq, v.ts_event, v.ts_recv) for k, v in pos.items()}
        for p, pos in collectors._sequence._positions.items()
    }
    stats = collectors.stats()
    del stats["kernel_events"]  # how many the kernel did: the one figure that differs
    return quotes, ticks, seqs, stats


@needs_kernel
@pytest.mark.parametrize(
    ("seed", "depth", "partition", "provider_in_path"),
    [
        (1, False, "daily", False),
        (2, False, "hourly", True),
        (3, True, "daily", False),
        (4, True, "none", True),
    ],
)
def test_kernel_writes_what_the_python_path_writes(
    seed: int, depth: bool, partition: str, provider_in_path: bool
) -> None:
    steps = list(stream(seed, 400, depth, depth_levels=5))
    layout = Layout(LayoutSpec(partition=partition, provider_in_path=provider_in_path))  # type: ignore[arg-type]
    expected, reference, raised = _python(steps, layout, 5)
    got, collectors, fast_raised, fast_events = _fast(steps, layout, 5)
    assert got.keys() == expected.keys()
    for pk in expected:
        assert bytes(got[pk]) == bytes(expected[pk]), pk
    assert fast_raised == raised
    assert any(type(e) is Gap for e in raised)
    assert _state(collectors) == _state(reference)
    total = sum(v.count(b"\n") for v in expected.values())
    quotes_trades = sum(v.count(b"\n") for pk, v in expected.items() if pk[0] in (Quote, Trade))
    assert total > 30_000
    if depth:  # after a book delta the rest of its frame is Python's (see FastPath.handle)
        assert 0 < fast_events < quotes_trades
    else:  # the kernel did the bulk (the rest: first sight, gaps, halts, resets)
        assert fast_events > 0.95 * quotes_trades
