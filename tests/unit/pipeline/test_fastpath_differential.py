"""The compiled fast path against the Python path: same collector state, same JSON lines per
partition, byte for byte, on long random simulated streams (gaps, halts, book resets, resets of
the collectors, a sub-dollar price, symbols that need JSON escaping, partitions crossed)."""

from __future__ import annotations

import pytest
from tests.support import simfast
from tests.support.simstream import stream

from mdc.domain import native
from mdc.domain.events import BookDelta, Gap, Quote, Trade
from mdc.pipeline import fastpath
from mdc.storage.layout import Layout, LayoutSpec

kernel = native.load(fastpath.KERNEL)
needs_kernel = pytest.mark.skipif(
    kernel is None, reason="the kernel is not built (make native) or MDC_PURE_PYTHON is set"
)


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
    expected, reference, raised = simfast.python(steps, layout, 5)
    got, collectors, fast_raised, fast_events = simfast.fast(kernel, steps, layout, 5)
    simfast.assert_same(expected, got)
    assert fast_raised == raised
    assert any(type(e) is Gap for e in raised)
    assert simfast.state(collectors) == simfast.state(reference)
    total = sum(v.count(b"\n") for v in expected.values())
    common = sum(v.count(b"\n") for pk, v in expected.items() if pk[0] in (Quote, Trade, BookDelta))
    assert total > 30_000
    # the kernel did the bulk (the rest: first sight, gaps, halts, snapshots, resets; a
    # snapshot or a halt inside a run of deltas hands the rest of its frame to Python)
    assert fast_events > (0.9 if depth else 0.95) * common
