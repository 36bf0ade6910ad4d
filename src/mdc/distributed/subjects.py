"""Subjects and message ids on the bus (docs/scaling.md, "Subjects").

One WAL record becomes one message per (venue, event type) it holds, on
``{prefix}.{collector}.{venue}.{type}``, so a writer can take one venue (``mdc.*.binance.>``),
one type (``mdc.*.*.trade``) or one collector's data. Its ``Nats-Msg-Id`` is
``{collector}:{lsn}:{venue}.{type}``: the same record published again after a crash has the same
ids and JetStream drops it within the stream's duplicate window.
"""

from __future__ import annotations

from typing import Final

from mdc.domain.events import TAGS, Event
from mdc.domain.tokens import token

HDR_COLLECTOR: Final = "Mdc-Collector"
HDR_LSN: Final = "Mdc-Lsn"
HDR_COUNT: Final = "Mdc-Count"
HDR_MSG_ID: Final = "Nats-Msg-Id"


def group(events: list[Event]) -> dict[tuple[str, str], list[Event]]:
    """A record's events by (venue, type), in their order."""
    out: dict[tuple[str, str], list[Event]] = {}
    for ev in events:
        out.setdefault((ev.venue, TAGS[type(ev)]), []).append(ev)
    return out


def subject(prefix: str, collector: str, venue: str, kind: str) -> str:
    return f"{prefix}.{token(collector)}.{token(venue)}.{kind}"


def msg_id(collector: str, lsn: int, venue: str, kind: str) -> str:
    return f"{collector}:{lsn}:{token(venue)}.{kind}"
