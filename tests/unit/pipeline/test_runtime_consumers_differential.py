"""``mdc collect``'s runtime with the default config's live consumers attached (the
``quality.live`` detectors, the dashboard's live view, one recording consumer), fed the same
simulated frames once on the compiled fast path and once on the Python path: the archives are
byte-identical and every consumer got the same events, so the detectors found the same and the
live view shows the same."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import msgspec
import pytest
from tests.support.simstream import Step, stream

from mdc.config import load_config
from mdc.domain import native
from mdc.pipeline import fastpath
from mdc.pipeline.runtime import Runtime
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import decode_frame
from mdc.quality.live import LiveQuality
from mdc.web.live import LiveView

VENUE = "SIM"
kernel = native.load(fastpath.KERNEL)


async def _settle(runtime: Runtime) -> None:
    """Until the processor and every consumer have nothing left (a few idle loop turns)."""
    quiet = 0
    while quiet < 5:
        await asyncio.sleep(0)
        busy = runtime.ingest.qsize() or any(q.depth for q in runtime.fanout.consumers.values())
        quiet = 0 if busy else quiet + 1


class _Scripted:
    """A feed that publishes ``steps`` the way the simulated provider does on ``fast``'s path,
    one frame at a time (the Python path would merge queued frames into one batch)."""

    def __init__(self, runtime: Runtime, steps: list[Step], fast: bool) -> None:
        self.runtime = runtime
        self.steps = steps
        self.path = (
            fastpath.load(runtime.collectors, VENUE, runtime.store.layout)  # type: ignore[attr-defined]
            if fast
            else None
        )
        assert (self.path is not None) == fast

    async def run(self, symbols: object) -> None:
        rt = self.runtime
        for step in self.steps:
            await _settle(rt)
            if step.reset:
                rt.collectors.reset(step.reset)
            if self.path is not None:
                messages = decode_frame(step.frame)
                await rt.publish_wire(fastpath.WireBatch(self.path, messages, step.ts_recv))
            else:
                await rt.publish(parse_frame(step.frame, step.ts_recv, VENUE))
        await _settle(rt)


def _collect(root: Path, steps: list[Step], fast: bool) -> dict[str, Any]:
    config = load_config(env={"MDC_STORAGE__ROOT": str(root), "MDC_STORAGE__MIN_FREE_MB": "0"})
    assert config.quality.live and config.storage.format == "jsonl"
    runtime = Runtime(config)
    runtime.collectors.register_provider(PROVIDER, SPEC.capabilities)
    quality = LiveQuality.attach(runtime)
    assert quality is not None
    runtime.add_service("quality", quality.run)
    view = LiveView.attach(runtime)
    runtime.add_service("dashboard", view.run)
    recorded: list[bytes] = []
    queue = runtime.fanout.add("record", 1_000_000, "drop_oldest")

    async def record() -> None:
        while batch := await queue.get():
            recorded.extend(map(msgspec.json.encode, batch))

    runtime.add_service("record", record)
    runtime.providers["scripted"] = _Scripted(runtime, steps, fast)  # type: ignore[assignment]
    asyncio.run(runtime.run())
    archive = {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*.jsonl"))
        if "_mdc" not in p.relative_to(root).parts
    }
    return {
        "archive": archive,
        "recorded": recorded,
        "dropped": {q.name: q.dropped for q in runtime.fanout.consumers.values()},
        "findings": quality.counts,
        "view": {s: view.snapshot(s, trades=200) for s in sorted(view.symbols)},
        "tallies": view.tallies(),
        "tape": [msgspec.json.encode(t) for t in view.tape],
        "stored": runtime.events_stored,
        "by_type": dict(runtime.events_by_type),
        "symbols": dict(runtime.symbol_counts),
        "last": dict(runtime.last_event_ns),
        "kernel_events": runtime.collectors.stats()["kernel_events"],
    }


@pytest.mark.skipif(kernel is None, reason="the kernel is not built (make native)")
@pytest.mark.parametrize(("seed", "depth"), [(11, False), (12, True)])
def test_the_default_consumers_see_the_same_on_both_paths(
    tmp_path: Path, seed: int, depth: bool
) -> None:
    steps = list(stream(seed, 120, depth, depth_levels=5))
    python = _collect(tmp_path / "python", steps, fast=False)
    fast = _collect(tmp_path / "fast", steps, fast=True)
    assert python["kernel_events"] == 0 < fast["kernel_events"]
    kernel_events = fast.pop("kernel_events")
    python.pop("kernel_events")
    events = len(python["recorded"])
    assert events == python["stored"] > 10_000
    if not depth:
        assert kernel_events > 0.9 * events
    assert set(python["dropped"]) == {"quality", "dashboard", "record"}
    assert set(python["dropped"].values()) == {0}
    assert python["archive"].keys() == fast["archive"].keys()
    for name, data in python["archive"].items():
        assert fast["archive"][name] == data, name
    for key in python:
        assert fast[key] == python[key], key
