"""A fast-path frame's events as the live consumers get them (``pipeline/frames.py``) against
the events the Python path publishes for the same frame: equal, frame by frame, on the long
random streams of the differential test, on a frame with a duplicate of a kernel message, and
for the parts of a frame a drop policy keeps."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from tests.support.simstream import Step, stream

from mdc.collectors.chain import Collectors
from mdc.domain import native
from mdc.domain.events import BookDelta, Event, Quote, Trade
from mdc.pipeline import fastpath, frames
from mdc.pipeline.frames import FrameEvents
from mdc.pipeline.queues import BatchQueue
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.parse import PROVIDER, parse_messages
from mdc.providers.simulated.wire import WireMessage, WireTrade, decode_frame
from mdc.storage.layout import Layout, LayoutSpec

VENUE = "SIM"
kernel = native.load(fastpath.KERNEL)
needs_kernel = pytest.mark.skipif(
    kernel is None, reason="the kernel is not built (make native) or MDC_PURE_PYTHON is set"
)


def _collectors() -> Collectors:
    collectors = Collectors(depth_levels=5)
    collectors.register_provider(PROVIDER, SPEC.capabilities)
    return collectors


class _Both:
    """The same frames through the Python path and the fast path, side by side."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.python = _collectors()
        self.fast = _collectors()
        self.path = fastpath.FastPath(kernel, self.fast, VENUE, layout)

    def frame(
        self, messages: list[WireMessage], ts_recv: int, reset: str | None = None
    ) -> tuple[list[Event], FrameEvents, fastpath.Handled]:
        if reset:
            self.python.reset(reset)
            self.fast.reset(reset)
        expected = self.python.process(parse_messages(messages, ts_recv, VENUE))
        handled = self.path.handle(messages, ts_recv)
        wire = fastpath.WireBatch(self.path, messages, ts_recv)
        return expected, FrameEvents(handled, wire), handled


def _until_a_long_frame(seed: int, depth: bool = False) -> list[Step]:
    """A stream's steps up to its first frame of 300 or more messages with trades in it."""
    steps = []
    for step in stream(seed, 400, depth, depth_levels=5):
        steps.append(step)
        messages = decode_frame(step.frame)
        if len(messages) >= 300 and sum(type(m) is WireTrade for m in messages) > 3:
            return steps
    raise AssertionError("no long frame")


def _encoded(events: list[Event]) -> list[bytes]:
    return [msgspec.json.encode(e) for e in events]


@needs_kernel
@pytest.mark.parametrize(
    ("seed", "depth", "partition", "provider_in_path"),
    [(1, False, "daily", False), (2, False, "hourly", True), (3, True, "none", True)],
)
def test_a_frames_events_are_the_python_paths(
    seed: int, depth: bool, partition: str, provider_in_path: bool
) -> None:
    layout = Layout(LayoutSpec(partition=partition, provider_in_path=provider_in_path))  # type: ignore[arg-type]
    both = _Both(layout)
    mixed = 0
    events = 0
    for step in stream(seed, 300, depth, depth_levels=5):
        messages = decode_frame(step.frame)
        expected, got, handled = both.frame(messages, step.ts_recv, step.reset)
        assert len(got) == len(expected) == handled.count
        assert _encoded(got.events()) == _encoded(expected)
        assert got.ts_recv == step.ts_recv
        mixed += bool(handled.runs) and handled.fast > 0
        events += len(expected)
    assert events > 20_000
    assert both.path.fast_events > 0.9 * events  # book deltas too
    assert mixed > 10  # frames where the kernel and Python took turns


@needs_kernel
@pytest.mark.parametrize("depth", [False, True])
def test_a_duplicate_of_a_kernel_message_in_the_same_frame(
    monkeypatch: pytest.MonkeyPatch, depth: bool
) -> None:
    """Python's event for the duplicate has the (type, symbol, seq) of the kernel's event for
    the original: the frame is put in order line by line, and still equals the Python path."""
    walked: list[int] = []
    walk = frames._walk

    def counting(*args: object) -> list[Event]:
        walked.append(1)
        return walk(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(frames, "_walk", counting)
    both = _Both(Layout(LayoutSpec(partition="hourly")))
    steps = _until_a_long_frame(5, depth)
    for step in steps[:-1]:
        both.frame(decode_frame(step.frame), step.ts_recv, step.reset)
    last = decode_frame(steps[-1].frame)
    trades = [m for m in last if type(m) is WireTrade]
    messages = [*last, trades[1], trades[2]]
    expected, got, handled = both.frame(messages, steps[-1].ts_recv)
    assert handled.fast > 0 and handled.runs
    assert _encoded(got.events()) == _encoded(expected)
    assert walked == [1]
    assert sum(type(e) is Trade for e in expected) == len(trades) + 2
    assert any(type(e) is BookDelta for e in expected) is depth


@needs_kernel
def test_drop_policies_cut_a_frame_and_every_consumer_shares_its_events() -> None:
    both = _Both(Layout(LayoutSpec()))
    steps = _until_a_long_frame(7)
    for step in steps[:-1]:
        both.frame(decode_frame(step.frame), step.ts_recv, step.reset)
    frame = decode_frame(steps[-1].frame)
    expected, got, _ = both.frame(frame, steps[-1].ts_recv)
    n = len(expected)
    assert n > 100
    assert _encoded(got[10:].events()) == _encoded(expected[10:])
    assert _encoded(got[:-7].events()) == _encoded(expected[:-7])
    assert _encoded(got[3:][5:9].events()) == _encoded(expected[8:12])

    async def scenario() -> tuple[list[Event], list[Event], list[Event], BatchQueue, BatchQueue]:
        whole = BatchQueue("whole", n, "drop_oldest")
        oldest = BatchQueue("oldest", n - 25, "drop_oldest")
        newest = BatchQueue("newest", n - 40, "drop_newest")
        for queue in (whole, oldest, newest):
            queue.offer(got)
        return await whole.get(), await oldest.get(), await newest.get(), oldest, newest

    a, b, c, oldest, newest = asyncio.run(scenario())
    assert _encoded(a) == _encoded(expected)
    assert _encoded(b) == _encoded(expected[25:]) and oldest.dropped == 25
    assert _encoded(c) == _encoded(expected[:-40]) and newest.dropped == 40
    assert b[0] is a[25] and c[0] is a[0]  # made once for all the consumers


JUDGED = frozenset({Trade, Quote})


@needs_kernel
@pytest.mark.parametrize("seed", [11, 12])
def test_a_consumer_that_names_its_types_gets_exactly_those(seed: int) -> None:
    """Only the named types are made, in frame order, and a view a drop policy cut maps onto
    them: a view of a typed frame is the typed part of the same view of the whole frame."""
    both = _Both(Layout(LayoutSpec(partition="hourly")))
    frames_seen = deltas = 0
    for step in stream(seed, 200, True, depth_levels=5):
        expected, got, handled = both.frame(decode_frame(step.frame), step.ts_recv, step.reset)
        typed = [e for e in expected if type(e) in JUDGED]
        assert _encoded(got.events(JUDGED)) == _encoded(typed)
        n = len(expected)
        for cut in (slice(n // 3, None), slice(None, -(n // 4) or None), slice(n // 5, n // 2)):
            part = [e for e in expected[cut] if type(e) in JUDGED]
            assert _encoded(got[cut].events(JUDGED)) == _encoded(part)
        assert _encoded(got.events()) == _encoded(expected)  # the untyped made apart
        frames_seen += bool(handled.fast)
        deltas += sum(type(e) is BookDelta for e in expected)
    assert frames_seen > 50 and deltas > 5_000


def test_a_typed_queue_passes_over_batches_without_its_types() -> None:
    """A batch with none of the queue's types is not handed out: ``[]`` still means closed."""
    trade = Trade(
        symbol="A", venue=VENUE, provider=PROVIDER, ts_event=1, ts_recv=2, price=1.0, size=1.0
    )
    delta = BookDelta(
        symbol="A",
        venue=VENUE,
        provider=PROVIDER,
        ts_event=1,
        ts_recv=2,
        side="bid",
        price=1.0,
        size=1.0,
    )

    async def scenario() -> tuple[list[Event], list[Event], list[Event] | None, BatchQueue]:
        queue = BatchQueue("typed", 10, "drop_oldest", frozenset({Trade}))
        queue.offer([delta, delta])
        queue.offer([delta, trade, delta])
        first = await queue.get()
        queue.offer([delta])
        queue.close()
        return first, await queue.get(), queue.get_nowait(), queue

    first, rest, none, queue = asyncio.run(scenario())
    assert first == [trade] and rest == [] and none is None
    assert queue.consumed == 6 and queue.dropped == 0
