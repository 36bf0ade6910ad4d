"""A fast-path frame's events for the live consumers, made only when a consumer takes them.

The kernel writes JSON lines and no event objects, but the live consumers (quality detectors,
the dashboard's view, the NATS live publisher, alert rules) take event batches. The writer puts
a :class:`FrameEvents` on their queues instead: O(1) on its path. The events are made when a
consumer's ``BatchQueue.get`` takes it, in that consumer's task, once for all consumers (the
first one to take it makes them, like the one list the Python path publishes to all); a frame a
drop policy evicts is never made. So the consumers' cost is theirs and bounded by their queues,
as on the Python path.

Making them: the messages the kernel handled are parsed again (``parse_messages``: the events
the collectors got on the Python path), and their trades take the side the collectors gave them
from the frame's trade lines (decoded into symbol, seq and side only, matched by symbol and seq);
the events of the messages the Python path handled (with the ``Gap``/``Integrity`` events they
raised) are its own objects, in their place. That is cheaper than decoding every line into its
event (``make`` stage of ``benchmarks/fastpath.py``) and, but for the parse itself, C-level
passes with no Python code per event. In a frame where one of Python's trades repeats a kernel
trade's symbol and seq (a duplicate message), each kernel message instead takes the next line
of its own partition, decoded: exact, but per event. The result equals what the Python path
publishes for the frame (``tests/unit/pipeline/test_frame_events.py``).

A consumer whose queue names the event types it takes (the quality detectors judge trades,
quotes, bars and statuses) gets only those, and only those are made: the kernel's other
messages are never parsed for it.
"""

from __future__ import annotations

import operator
from bisect import bisect_left
from collections import deque
from collections.abc import Iterator
from itertools import chain, compress, repeat
from operator import is_
from typing import Any, Final, NamedTuple, TypeAlias, TypeVar

import msgspec

from mdc.domain.events import BookDelta, Event, Quote, Trade
from mdc.pipeline.fastpath import Handled, WireBatch
from mdc.providers.simulated.parse import PROVIDER, parse_messages
from mdc.providers.simulated.wire import WireDelta, WireQuote, WireTrade
from mdc.storage.routing import PartKey, Router

_MADE: Final[dict[type, type[Event]]] = {
    WireTrade: Trade,
    WireQuote: Quote,
    WireDelta: BookDelta,
}
"""The event class the kernel makes of each wire message class it handles."""
_DECODERS: Final[dict[type[Event], msgspec.json.Decoder[Any]]] = {
    Trade: msgspec.json.Decoder(Trade),
    Quote: msgspec.json.Decoder(Quote),
    BookDelta: msgspec.json.Decoder(BookDelta),
}
_symbol = operator.attrgetter("symbol")
_seq = operator.attrgetter("seq")
_side = operator.attrgetter("side")


class _Side(msgspec.Struct):
    """What the collectors add to a trade the kernel handled (the line's other fields are
    skipped by the decoder)."""

    symbol: str
    seq: int | None
    side: str


_SIDES: Final = msgspec.json.Decoder(_Side)


T = TypeVar("T")
Types: TypeAlias = "frozenset[type[Event]] | None"
"""The event classes a consumer takes (``None``: all of them)."""


class _Made(NamedTuple):
    events: list[Event]
    at: list[int] | None
    """Each event's position among all the frame's events (``None`` when none was left
    out): how a view's range maps onto a consumer's share of the frame."""


class _Frame:
    """One handled frame and, once a consumer asked, its events (for each set of types asked)."""

    __slots__ = ("handled", "made", "wire")

    def __init__(self, handled: Handled, wire: WireBatch) -> None:
        self.handled = handled
        self.wire = wire
        self.made: dict[Types, _Made] = {}

    def make(self, types: Types) -> _Made:
        made = self.made.get(types)
        if made is None:
            made = self.made[types] = _make(self.handled, self.wire, types)
        return made


class FrameEvents:
    """The events of one fast-path frame (or of the part of it a drop policy kept), made on
    :meth:`events`. ``len`` is known without making them: queues count events."""

    __slots__ = ("_frame", "_start", "_stop")

    def __init__(self, handled: Handled, wire: WireBatch) -> None:
        """``handled``: what ``FastPath.handle`` returned for ``wire``."""
        self._frame = _Frame(handled, wire)
        self._start = 0
        self._stop = handled.count

    @property
    def ts_recv(self) -> int:
        """Every event of a frame has the frame's receive time."""
        return self._frame.wire.ts_recv

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

    def events(self, types: Types = None) -> list[Event]:
        """The events (only those of ``types``, when given), in the order the Python path would
        have published them. A consumer that names its types has only those made: the book
        mix's deltas, two thirds of it, are never parsed for the quality detectors."""
        made, at = self._frame.make(types)
        start, stop = self._start, self._stop
        if at is not None:
            start, stop = bisect_left(at, start), bisect_left(at, stop)
        if start == 0 and stop == len(made):
            return made
        return made[start:stop]


def _make(handled: Handled, wire: WireBatch, types: Types) -> _Made:
    if not handled.fast:  # all of it was Python's: its events are the frame's
        return _only(handled.events, types)
    wanted = None if types is None else frozenset(w for w, e in _MADE.items() if e in types)
    sides: list[_Side] = []
    if types is None or Trade in types:
        sides = list(
            chain.from_iterable(
                _SIDES.decode_lines(data)
                for pk, (data, _) in handled.lines.items()
                if pk[0] is Trade
            )
        )
    side_of = dict(
        zip(zip(map(_symbol, sides), map(_seq, sides), strict=True), map(_side, sides), strict=True)
    )
    if len(side_of) < len(sides):
        return _only(_walk(handled, wire), types)
    messages, ts_recv, venue = wire.messages, wire.ts_recv, wire.path.venue
    out: list[Event] = []
    at: list[int] = []
    parsed: list[Event] = []
    done = position = 0
    for start, end, events in [*handled.runs, (len(messages), len(messages), [])]:
        if done < start:
            kept = messages[done:start]
            if wanted is not None:
                kept, positions = _typed(kept, wanted, position)
                at += positions
            part = parse_messages(kept, ts_recv, venue)
            parsed += part
            out += part
            position += start - done
        made = events
        if types is not None and events:
            made, positions = _typed(events, types, position)
            at += positions
        out += made
        position += len(events)
        done = end
    trades = list(compress(parsed, map(is_, map(type, parsed), repeat(Trade))))
    keys = zip(map(_symbol, trades), map(_seq, trades), strict=True)
    deque(map(setattr, trades, repeat("side"), map(side_of.__getitem__, keys)), maxlen=0)
    return _Made(out, None if wanted is None else at)


def _only(events: list[Event], types: Types) -> _Made:
    """``events`` of ``types``, with their positions."""
    if types is None:
        return _Made(events, None)
    return _Made(*_typed(events, types, 0))


def _typed(items: list[T], types: frozenset[type], first: int) -> tuple[list[T], list[int]]:
    """The items whose class is one of ``types`` (C-level passes), and their positions, the
    first item's being ``first``."""
    keep = list(map(types.__contains__, map(type, items)))
    return list(compress(items, keep)), list(compress(range(first, first + len(items)), keep))


def _walk(handled: Handled, wire: WireBatch) -> list[Event]:
    """The exact way when symbol and seq are ambiguous: every event takes the next line of its
    partition, decoded, in frame order (a partition's lines are in frame order)."""
    lines: dict[PartKey, Iterator[Event]] = {
        pk: iter(_DECODERS[pk[0]].decode_lines(data))
        for pk, (data, _) in handled.lines.items()
        if pk[0] in _DECODERS
    }
    messages, layout = wire.messages, wire.path.layout
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
