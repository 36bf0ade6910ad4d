"""The compiled fast path against the Python path on the book mix, with book trouble injected
into the generator's deltas: bids locked on and crossed over the best ask (and asks under the
best bid), the injected levels later removed (the episode ends), crossings undone inside one
exchange message (no report), deltas older than their book, ``-0.0`` sizes and prices the kernel
prints through msgspec — on top of the streams' own gaps, halts, snapshots and resets. Both
paths must write the same bytes to every partition, raise the same events in the same order
and leave the same collector state, books level by level."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import replace

import msgspec
import pytest
from tests.support import simfast
from tests.support.simstream import Step, stream

from mdc.collectors.emit import BOOK_RESET, CROSSED_BOOK, LOCKED_BOOK, OUT_OF_ORDER
from mdc.domain import native
from mdc.domain.events import BookDelta, Integrity
from mdc.pipeline import fastpath
from mdc.providers.simulated.parse import parse_frame
from mdc.providers.simulated.wire import WireDelta, WireMessage, decode_frame
from mdc.storage.layout import Layout, LayoutSpec

kernel = native.load(fastpath.KERNEL)
needs_kernel = pytest.mark.skipif(
    kernel is None, reason="the kernel is not built (make native) or MDC_PURE_PYTHON is set"
)
LEVELS = 5


def _troubled(steps: list[Step], seed: int) -> list[Step]:
    """``steps`` with some deltas rewritten against the books a Python scout keeps."""
    rng = random.Random(seed)
    scout = simfast.collectors(LEVELS)
    injected: dict[str, list[tuple[str, float]]] = {}
    out = []
    for step in steps:
        if step.reset:
            scout.reset(step.reset)
        messages = decode_frame(step.frame)
        deltas = [i for i, m in enumerate(messages) if type(m) is WireDelta]
        if deltas and rng.random() < 0.5:
            for _ in range(rng.randint(1, 4)):
                _rewrite(messages, rng.choice(deltas), rng, scout, injected)
            step = replace(step, frame=msgspec.json.encode(messages))
        scout.process(parse_frame(step.frame, step.ts_recv, simfast.VENUE))
        out.append(step)
    return out


def _rewrite(
    messages: list[WireMessage],
    i: int,
    rng: random.Random,
    scout: object,
    injected: dict[str, list[tuple[str, float]]],
) -> None:
    m = messages[i]
    assert type(m) is WireDelta
    book = scout.book(m.sym, simfast.VENUE)  # type: ignore[attr-defined]
    bid = book.best_bid() if book is not None else None
    ask = book.best_ask() if book is not None else None
    mine = injected.setdefault(m.sym, [])
    roll = rng.random()

    def put(side: str, price: float, size: float) -> WireDelta:
        return WireDelta(sym=m.sym, seq=m.seq, ts=m.ts, side=side, price=price, size=size)  # type: ignore[arg-type]

    if roll < 0.2 and ask is not None:  # locked
        messages[i] = put("b", ask[0], 3.0)
        mine.append(("b", ask[0]))
    elif roll < 0.4 and ask is not None:  # crossed
        price = ask[0] + rng.choice((0.01, 0.5, 25.0))
        messages[i] = put("b", price, 2.0)
        mine.append(("b", price))
    elif roll < 0.5 and bid is not None and bid[0] > 0.02:  # crossed from the ask side
        messages[i] = put("a", bid[0] - 0.01, 4.0)
        mine.append(("a", bid[0] - 0.01))
    elif roll < 0.7 and mine:  # an injected level goes: the episode may end
        side, price = mine.pop(rng.randrange(len(mine)))
        messages[i] = put(side, price, rng.choice((0.0, -0.0)))
    elif roll < 0.8 and ask is not None and i + 1 < len(messages):
        after = messages[i + 1]
        if type(after) is WireDelta and after.sym == m.sym and after.ts == m.ts:
            # crossed and uncrossed inside one exchange message: not reported
            price = ask[0] + 1.0
            messages[i] = put("b", price, 1.0)
            messages[i + 1] = WireDelta(
                sym=m.sym, seq=after.seq, ts=m.ts, side="b", price=price, size=0.0
            )
    elif roll < 0.9:  # older than its book: out of order, dropped
        messages[i] = WireDelta(
            sym=m.sym, seq=m.seq, ts=m.ts - 10**9, side=m.side, price=m.price, size=m.size
        )
    else:  # prices and sizes the kernel hands to msgspec to print
        messages[i] = put(m.side, rng.choice((1e-7, 1234567.891, 0.123456789)), 1e-5)


@needs_kernel
@pytest.mark.parametrize("seed", range(10, 22))
def test_book_mix_with_crossed_books_writes_what_the_python_path_writes(seed: int) -> None:
    partition = ("daily", "hourly", "none")[seed % 3]
    layout = Layout(LayoutSpec(partition=partition, provider_in_path=seed % 2 == 0))  # type: ignore[arg-type]
    steps = _troubled(list(stream(seed, 250, True, depth_levels=LEVELS)), seed)
    expected, reference, raised = simfast.python(steps, layout, LEVELS)
    got, collectors, fast_raised, fast_events = simfast.fast(kernel, steps, layout, LEVELS)
    simfast.assert_same(expected, got)
    assert fast_raised == raised
    assert simfast.state(collectors) == simfast.state(reference)
    kinds = Counter(e.kind for e in raised if type(e) is Integrity)
    for kind in (CROSSED_BOOK, LOCKED_BOOK, OUT_OF_ORDER, BOOK_RESET):
        assert kinds[kind] > 0, kind
    deltas = sum(v.count(b"\n") for pk, v in expected.items() if pk[0] is BookDelta)
    assert deltas > 10_000
    assert fast_events > deltas // 2  # trouble hands frames to Python, the bulk stays
