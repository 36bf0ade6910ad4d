"""Where a replay goes when it is not a WebSocket: JSON lines on stdout or in a file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Final, Protocol

import msgspec

from mdc.domain.events import Event
from mdc.replay.pace import Pacer

WRITE_BATCH: Final = 4096
"""Events encoded and written together when they are due together (``--speed max``: always)."""
_encoder = msgspec.json.Encoder()


class LineSink(Protocol):
    """A binary file, stdout's buffer, or anything else that takes bytes."""

    def write(self, data: bytes, /) -> int: ...
    def flush(self) -> None: ...


def replay_lines(
    events: Iterable[Event], out: LineSink, pacer: Pacer, sleep: Callable[[float], None]
) -> int:
    """Write each event as one JSON line (the archive's JSONL form) when it is due; returns the
    count. Everything due is written before any wait, so a reader sees events on time."""
    n = 0
    batch: list[Event] = []
    for e in events:
        wait = pacer.delay(e.ts_event)
        if wait > 0 or len(batch) >= WRITE_BATCH:
            if batch:
                out.write(_encoder.encode_lines(batch))
                batch = []
            if wait > 0:
                out.flush()
                sleep(wait)
        batch.append(e)
        n += 1
    if batch:
        out.write(_encoder.encode_lines(batch))
    out.flush()
    return n
