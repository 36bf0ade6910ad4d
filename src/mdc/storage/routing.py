"""Routing: which output partition each event of a batch goes to.

An output is one partition of one event type and symbol (and provider, when it is part of the
path); the WAL record of a batch is grouped by it, so the JSON lines of a group are the bytes its
JSONL file gets.
"""

from __future__ import annotations

from typing import Any

from mdc.domain.events import Event
from mdc.storage.layout import Layout

PartKey = tuple[type[Event], str, str, str | None]
"""(event class, symbol, partition label, provider when in the path)."""


class Router:
    """Groups batches by :data:`PartKey`, keeping batch order within each group."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self._div = layout.bucket_ns
        self._with_provider = layout.spec.provider_in_path

    def route(self, batch: list[Event]) -> dict[PartKey, list[Event]]:
        """Events grouped by output partition, each group in batch order."""
        div = self._div
        groups: dict[tuple[Any, ...], list[Event]] = {}
        get = groups.get
        if self._with_provider:
            for e in batch:
                k: tuple[Any, ...] = (e.__class__, e.symbol, e.ts_event // div, e.provider)
                g = get(k)
                if g is None:
                    groups[k] = [e]
                else:
                    g.append(e)
        else:
            for e in batch:
                k = (e.__class__, e.symbol, e.ts_event // div)
                g = get(k)
                if g is None:
                    groups[k] = [e]
                else:
                    g.append(e)
        label = self.layout.label
        out: dict[PartKey, list[Event]] = {}
        merged = False
        for k, events in groups.items():
            pk: PartKey = (k[0], k[1], label(k[2]), k[3] if self._with_provider else None)
            if pk in out:
                merged = True
                out[pk] = out[pk] + events
            else:
                out[pk] = events
        if merged:  # several buckets share a label (monthly, none): restore batch order
            ordered: dict[PartKey, list[Event]] = {}
            for e in batch:  # one pass: a scan per partition is quadratic on long histories
                ordered.setdefault(self.partkey(e), []).append(e)
            return ordered
        return out

    def partkey(self, e: Event) -> PartKey:
        return (
            e.__class__,
            e.symbol,
            self.layout.label(e.ts_event // self._div),
            e.provider if self._with_provider else None,
        )
