"""Where a replay goes when it is not a WebSocket: JSON lines on stdout or in a file."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import BinaryIO

from mdc.domain.events import Event, encode_json
from mdc.replay.pace import Pacer


def replay_lines(
    events: Iterable[Event], out: BinaryIO, pacer: Pacer, sleep: Callable[[float], None]
) -> int:
    """Write each event as one JSON line (the archive's JSONL form) when it is due; returns the
    count. The output is flushed before every wait, so a reader sees events on time."""
    n = 0
    for e in events:
        wait = pacer.delay(e.ts_event)
        if wait > 0:
            out.flush()
            sleep(wait)
        out.write(encode_json(e))
        out.write(b"\n")
        n += 1
    out.flush()
    return n
