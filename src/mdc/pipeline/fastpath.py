"""The simulated feed's compiled fast path, between its decoded frames and the store.

``providers/simulated/kernel.pyx`` handles the common messages of a frame (in-order trades,
quotes and book deltas of streams the collectors know): it moves the collectors' state and
writes the events' JSON lines straight into their partitions. It stops at the first message it
does not handle; that message (and, as :meth:`FastPath.handle` says, what may follow
it) goes the Python way (``parse_messages`` → ``Collectors.process``), so what the archive gets
is what the Python path alone would have written, byte for byte
(``tests/unit/pipeline/test_fastpath_differential*.py``).

:func:`load` returns None — and the feed runs the Python path — when the kernel is not built,
``MDC_PURE_PYTHON=1`` is set, or the provider's sequence is not the kind the kernel checks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Final

import msgspec

from mdc.collectors.chain import Collectors
from mdc.domain import native
from mdc.domain.events import TYPE_NAMES, BookDelta, Event, Quote, Trade
from mdc.providers.simulated.parse import PROVIDER, parse_messages
from mdc.providers.simulated.stream import SimulatedProvider
from mdc.providers.simulated.wire import WireDelta, WireMessage, WireQuote, WireTrade
from mdc.storage.layout import Layout
from mdc.storage.routing import PartKey, Router
from mdc.storage.store import Store

KERNEL: Final = "mdc.providers.simulated.kernel"
_KERNEL_TYPES: Final = (WireQuote, WireTrade, WireDelta)
_QUOTES: Final = TYPE_NAMES[Quote]
_TRADES: Final = TYPE_NAMES[Trade]
_DELTAS: Final = TYPE_NAMES[BookDelta]


@dataclass
class Handled:
    """What one frame leaves for the store and the consumers."""

    lines: dict[PartKey, tuple[bytes, int]]
    """Every event of the frame as its partition's JSON lines (with their count), in frame
    order within each partition: the bytes the JSONL files and the WAL record get."""
    events: list[Event]
    """The events the Python path made (messages the kernel left to it, with the ``Gap`` and
    ``Integrity`` events they raised): for the consumers that look at such events."""
    fast: int
    """Events the kernel made (in ``lines`` only)."""
    by_type: Counter[str] = field(default_factory=Counter)
    """Of ``fast``: by event type name (``quotes``, ``trades``, ``book_deltas``)."""
    symbols: dict[str, int] = field(default_factory=dict)
    """Of ``fast``: by symbol."""
    runs: list[tuple[int, int, list[Event]]] = field(default_factory=list)
    """The Python path's parts of the frame, in order: messages ``[start, end)`` and the events
    it made of them (``events`` is these together); every other message is one kernel event
    (``pipeline/frames.py`` puts the frame's events back in order from this)."""

    @property
    def count(self) -> int:
        return self.fast + len(self.events)


class FastPath:
    """One simulated provider's frames through the kernel, and the rest through Python."""

    def __init__(self, kernel: Any, collectors: Collectors, venue: str, layout: Layout) -> None:
        self.collectors = collectors
        self.venue = venue
        self._kernel = kernel.FrameKernel(
            venue, PROVIDER, layout.bucket_ns, layout.label, layout.spec.provider_in_path
        )
        self.layout = layout
        self._router = Router(layout)
        self._encode_lines = msgspec.json.Encoder().encode_lines
        self.fast_events = 0
        self.python_events_count = 0

    def handle(self, messages: list[WireMessage], ts_recv: int) -> Handled:
        """Run one decoded frame: the kernel as far as it goes, the message it stopped at (and
        any other messages of types it leaves to Python right after it) through Python, and on.

        A book's crossed/locked check waits for the end of its run of deltas or of the batch
        (the frame), and a Python batch checks at its end: so when the kernel stops with a run
        open (it hands the run to the depth collector) or the Python part has a delta of its
        own, the rest of the frame stays Python, and a frame the kernel finished with a run
        handed over gets the check from an empty Python batch.
        """
        kernel = self._kernel
        python: list[Event] = []
        runs: list[tuple[int, int, list[Event]]] = []
        n = len(messages)
        done = 0
        state = self.collectors.kernel_state(PROVIDER)
        if state is None:  # the provider's rule changed: all of it is Python's
            done = n
            python = self.collectors.process(parse_messages(messages, ts_recv, self.venue))
            runs.append((0, n, python))
            for pk, group in self._router.route(python).items():
                kernel.add_lines(pk, self._encode_lines(group), len(group))
        else:
            kernel.bind(state)
        while done < n:
            done = kernel.run(messages, ts_recv, done)
            if done == n and not kernel.handed:
                break
            end = done + 1
            while end < n and type(messages[end]) not in _KERNEL_TYPES:
                end += 1
            part = messages[done:end]
            if kernel.handed or any(type(m) is WireDelta for m in part):
                part, end = messages[done:], n
            events = self.collectors.process(parse_messages(part, ts_recv, self.venue))
            for pk, group in self._router.route(events).items():
                kernel.add_lines(pk, self._encode_lines(group), len(group))
            python += events
            runs.append((done, end, events))
            done = end
        fast, inferred = kernel.events, kernel.inferred
        by_type = Counter(
            {_QUOTES: kernel.quotes_seen, _TRADES: kernel.trades_seen, _DELTAS: kernel.deltas_seen}
        )
        kernel.events = kernel.inferred = kernel.quotes_seen = kernel.trades_seen = 0
        kernel.deltas_seen = 0
        self.collectors.count_kernel(fast, inferred)
        self.fast_events += fast
        self.python_events_count += len(python)
        return Handled(kernel.take(), python, fast, +by_type, kernel.take_symbols(), runs)


def load(collectors: Collectors, venue: str, layout: Layout) -> FastPath | None:
    """The fast path when its kernel is built and allowed (see the module doc), else None."""
    kernel = native.load(KERNEL)
    if kernel is None or collectors.kernel_state(PROVIDER) is None:
        return None
    return FastPath(kernel, collectors, venue, layout)


@dataclass(frozen=True, slots=True)
class WireBatch:
    """A decoded simulated frame on the ingest queue, for :meth:`FastPath.handle`."""

    path: FastPath
    messages: list[WireMessage]
    ts_recv: int


def attach(
    provider: object,
    collectors: Collectors,
    store: object,
    sink: Callable[[WireBatch], Awaitable[None]],
) -> FastPath | None:
    """Run ``provider``'s frames through the fast path when it is the simulated feed and
    ``store`` the archive writer with JSONL only (the kernel writes JSON lines; for Parquet
    they would be decoded back into events, which costs more than the kernel saves): its
    decoded frames go to ``sink`` as :class:`WireBatch` items. None (the Python path)
    otherwise."""
    if not isinstance(provider, SimulatedProvider) or not isinstance(store, Store):
        return None
    if store.config.format != "jsonl":
        return None
    path = load(collectors, provider.settings.venue, store.layout)
    if path is not None:
        found = path

        async def wire_sink(messages: list[WireMessage], ts_recv: int) -> None:
            await sink(WireBatch(found, messages, ts_recv))

        provider.wire_sink = wire_sink
    return path
