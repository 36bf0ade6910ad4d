"""The simulated feed's two paths over the same steps, for the fast path's differential tests:
each partition's JSON lines, the ``Gap``/``Integrity`` events the consumers get, and every piece
of collector state either path moves (BBOs, trade ticks, sequences, books and their episodes)."""

from __future__ import annotations

from collections import defaultdict

import msgspec

from mdc.collectors.chain import Collectors
from mdc.domain.events import Event, Gap, Integrity
from mdc.pipeline import fastpath
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import decode_frame
from mdc.storage.layout import Layout
from mdc.storage.routing import PartKey, Router

VENUE = "SIM"
_encoder = msgspec.json.Encoder()


def collectors(depth_levels: int) -> Collectors:
    out = Collectors(depth_levels=depth_levels)
    out.register_provider(PROVIDER, SPEC.capabilities)
    return out


def _add(out: dict[PartKey, bytearray], router: Router, events: list[Event]) -> None:
    for pk, group in router.route(events).items():
        out[pk] += _encoder.encode_lines(group)


def python(steps: list, layout: Layout, depth_levels: int) -> tuple[dict, Collectors, list]:
    """The Python path: every frame parsed and processed as one batch."""
    reference = collectors(depth_levels)
    router = Router(layout)
    out: dict[PartKey, bytearray] = defaultdict(bytearray)
    raised: list[Event] = []
    for step in steps:
        if step.reset:
            reference.reset(step.reset)
        events = reference.process(parse_frame(step.frame, step.ts_recv, VENUE))
        raised += [e for e in events if type(e) in (Gap, Integrity)]
        _add(out, router, events)
    return out, reference, raised


def fast(
    kernel: object, steps: list, layout: Layout, depth_levels: int
) -> tuple[dict, Collectors, list, int]:
    """The fast path (``FastPath.handle``), with its per-frame bookkeeping checked."""
    tested = collectors(depth_levels)
    path = fastpath.FastPath(kernel, tested, VENUE, layout)
    out: dict[PartKey, bytearray] = defaultdict(bytearray)
    raised: list[Event] = []
    for step in steps:
        if step.reset:
            tested.reset(step.reset)
        handled = path.handle(decode_frame(step.frame), step.ts_recv)
        assert handled.count == sum(count for _, count in handled.lines.values())
        assert handled.fast == sum(handled.symbols.values()) == handled.by_type.total()
        for pk, (lines, count) in handled.lines.items():
            assert lines.count(b"\n") == count
            out[pk] += lines
        raised += [e for e in handled.events if type(e) in (Gap, Integrity)]
    return out, tested, raised, path.fast_events


def state(of: Collectors) -> tuple:
    """Everything either path moves, comparable with ``==`` (books level by level)."""
    quotes = {k: msgspec.json.encode(q) for k, q in of._quotes.quotes.items()}
    ticks = {k: (t.price, t.direction) for k, t in of._trades.ticks.items()}
    seqs = {
        p: {k: (v.seq, v.ts_event, v.ts_recv) for k, v in pos.items()}
        for p, pos in of._sequence._positions.items()
    }
    depth = of._depth
    books = {
        key: (
            sorted(b._bids.items()),
            b._bid_keys,
            sorted(b._asks.items()),
            b._ask_keys,
            b.ts_event,
            b.ts_recv,
            b.seq,
            b.needs_snapshot,
            depth.spread_reported.get(b),
            b in depth.wait_reported,
        )
        for key, b in depth.books.items()
    }
    stats = of.stats()
    del stats["kernel_events"]  # how many the kernel did: the one figure that differs
    return quotes, ticks, seqs, books, sorted(depth.snapshot_providers), stats


def assert_same(expected: dict, got: dict) -> None:
    """The same partitions with the same bytes."""
    assert got.keys() == expected.keys()
    for pk in expected:
        assert bytes(got[pk]) == bytes(expected[pk]), pk
