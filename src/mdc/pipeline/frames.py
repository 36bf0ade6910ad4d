"""A fast-path frame's events for the live consumers, made only when a consumer takes them.

The kernel writes JSON lines and no event objects, but the live consumers (quality detectors,
the dashboard's view, the NATS live publisher, alert rules) take event batches. The writer puts
a :class:`FrameEvents` on their queues instead: O(1) per frame on its path. The events are made
when a consumer's ``BatchQueue.get`` takes it, in that consumer's task, once for all consumers
(the first one to take it makes them, like the one list the Python path publishes to all); a
frame a drop policy evicts is never made. So the consumers' cost is theirs and bounded by their
queues, as on the Python path.

Making them: the frame's trade and quote lines are decoded with msgspec into the same ``Trade``
and ``Quote`` types, and put back into frame order by (type, symbol, seq) of the wire messages
the kernel handled (one event each); the events of the messages the Python path handled (with
the ``Gap``/``Integrity`` events they raised) are its own objects, in their place. Both steps
are C-level passes (no Python code per event), except in a frame where one of Python's events
repeats the (type, symbol, seq) of a kernel one (a duplicate message): there each kernel message
takes the next line of its own partition, which is exact but per event. The result equals what
the Python path publishes for the frame (``tests/unit/pipeline/test_frame_events.py``).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from itertools import chain
from typing import Any, Final

import msgspec

from mdc.domain.events import Event, Quote, Trade
from mdc.pipeline.fastpath import Handled
from mdc.providers.simulated.parse import PROVIDER
from mdc.providers.simulated.wire import WireMessage, WireQuote, WireTrade
from mdc.storage.layout import Layout
from mdc.storage.routing import PartKey, Router

_MADE: Final[dict[type, type[Event]]] = {WireTrade: Trade, WireQuote: Quote}
"""The event class the kernel makes of each wire message class it handles."""
_DECODERS: Final[dict[type[Event], msgspec.json.Decoder[Any]]] = {
    Trade: msgspec.json.Decoder(Trade),
    Quote: msgspec.json.Decoder(Quote),
}
_symbol = operator.attrgetter("symbol")
_seq = operator.attrgetter("seq")
_sym = operator.attrgetter("sym")


class _Frame:
    """One handled frame and, once a consumer asked, its events."""

    __slots__ = ("events", "handled", "layout", "messages", "ts_recv")

    def __init__(
        self, handled: Handled, messages: list[WireMessage], ts_recv: int, layout: Layout
    ) -> None:
        self.handled = handled
        self.messages = messages
        self.ts_recv = ts_recv
        self.layout = layout
        self.events: list[Event] | None = None

    def make(self) -> list[Event]:
        if self.events is None:
            self.events = _make(self.handled, self.messages, self.layout)
        return self.events


class FrameEvents:
    """The events of one fast-path frame (or of the part of it a drop policy kept), made on
    :meth:`events`. ``len`` is known without making them: queues count events."""

    __slots__ = ("_frame", "_start", "_stop")

    def __init__(
        self,
        handled: Handled,
        messages: list[WireMessage],
        ts_recv: int,
        layout: Layout,
    ) -> None:
        self._frame = _Frame(handled, messages, ts_recv, layout)
        self._start = 0
        self._stop = handled.count

    @property
    def ts_recv(self) -> int:
        """Every event of a frame has the frame's receive time."""
        return self._frame.ts_recv

    def __len__(self) -> int:
        return self._stop - self._start

    def __getitem__(self, index: slice) -> FrameEvents:
        """A view of the same frame (its events are made once for all views): the part a drop
        policy keeps."""
        start, stop, step = index.indices(len(self))
        if step != 1:
            raise ValueError("FrameEvents slices are contiguous")
        view = object.__new__(FrameEvents)
        view._frame = self._frame
        view._start = self._start + start
        view._stop = self._start + max(start, stop)
        return view

    def events(self) -> list[Event]:
        """The events, in the order the Python path would have published them."""
        made = self._frame.make()
        if self._start == 0 and self._stop == len(made):
            return made
        return made[self._start : self._stop]


def _make(handled: Handled, messages: list[WireMessage], layout: Layout) -> list[Event]:
    if not handled.fast:  # all of it was Python's: its events are the frame's
        return handled.events
    decoded = {
        pk: _DECODERS[pk[0]].decode_lines(data)
        for pk, (data, _) in handled.lines.items()
        if pk[0] in _DECODERS
    }
    flat: list[Event] = list(chain.from_iterable(decoded.values()))
    keys = zip(map(type, flat), map(_symbol, flat), map(_seq, flat), strict=True)
    lookup = dict(zip(keys, flat, strict=True))
    if len(lookup) < len(flat):
        return _walk(handled, messages, layout, decoded)
    get = lookup.__getitem__
    out: list[Event] = []
    at = 0
    for start, end, events in handled.runs:
        out += map(get, _keys(messages[at:start]))
        out += events
        at = end
    out += map(get, _keys(messages[at:]))
    return out


def _keys(messages: list[WireMessage]) -> Iterator[tuple[type[Event], str, int]]:
    made = map(_MADE.__getitem__, map(type, messages))
    return zip(made, map(_sym, messages), map(_seq, messages), strict=True)


def _walk(
    handled: Handled,
    messages: list[WireMessage],
    layout: Layout,
    decoded: dict[PartKey, list[Event]],
) -> list[Event]:
    """The exact way when (type, symbol, seq) is ambiguous: every event takes the next line of
    its partition, in frame order (a partition's lines are in frame order)."""
    lines = {pk: iter(events) for pk, events in decoded.items()}
    partkey = Router(layout).partkey
    bucket, label = layout.bucket_ns, layout.label
    provider = PROVIDER if layout.spec.provider_in_path else None
    out: list[Event] = []
    at = 0
    for start, end, events in [*handled.runs, (len(messages), len(messages), [])]:
        for m in messages[at:start]:
            out.append(next(lines[(_MADE[type(m)], m.sym, label(m.ts // bucket), provider)]))
        for event in events:
            if type(event) in _DECODERS:
                next(lines[partkey(event)])  # its line: the object itself is published
            out.append(event)
        at = end
    return out
