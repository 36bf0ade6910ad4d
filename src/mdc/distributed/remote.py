"""Watching a remote collector set: the live views collectors publish on core NATS.

``mdc serve --live nats://…`` (and ``mdc tui --nats …``) subscribe to
``{live_prefix}.*.view`` and keep each collector's newest view; the dashboard's Remote page and
``/api/remote/collectors`` read it. A message that is not a view is counted and skipped. A
collector whose last view is older than a few of its intervals is shown as stale, not removed:
an operator wants to see that it went quiet.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

import msgspec

from mdc.config.schema import DistributedConfig
from mdc.distributed.link import LiveLink

if TYPE_CHECKING:
    from nats.aio.msg import Msg

log = logging.getLogger(__name__)

STALE_INTERVALS: Final = 3.0
"""A collector is stale after this many of its intervals without a view (plus one second)."""
_decoder: Final = msgspec.json.Decoder(dict[str, Any])
_HEAD_SKIP: Final = frozenset(("symbols", "tape", "part", "parts"))


@dataclass
class RemoteCollector:
    collector: str
    head: dict[str, Any] = field(default_factory=dict)
    symbols: dict[str, dict[str, Any]] = field(default_factory=dict)
    tape: list[dict[str, Any]] = field(default_factory=list)
    received_ns: int = 0
    views: int = 0

    def summary(self, now_ns: int) -> dict[str, Any]:
        """One row of the collector list: its status, rate, counts and last prices."""
        interval = float(self.head.get("interval_s", 1.0))
        age_s = max(now_ns - self.received_ns, 0) / 1e9
        return {
            **self.head,
            "collector": self.collector,
            "age_s": round(age_s, 3),
            "stale": age_s > STALE_INTERVALS * interval + 1.0,
            "views": self.views,
            "symbol_count": len(self.symbols),
            "last_prices": {s: row.get("last_price") for s, row in self.symbols.items()},
        }

    def detail(self, now_ns: int) -> dict[str, Any]:
        return {**self.summary(now_ns), "symbols": self.symbols, "tape": self.tape}


class RemoteSet:
    """The collectors seen on ``{live_prefix}.*.view`` and each one's newest view."""

    def __init__(
        self,
        cfg: DistributedConfig,
        clock: Callable[[], int] = time.time_ns,
    ) -> None:
        self.cfg = cfg
        self.clock = clock
        self.subject = f"{cfg.live_prefix}.*.view"
        self.link = LiveLink(cfg, "mdc-live-watch")
        self.collectors: dict[str, RemoteCollector] = {}
        self.messages = 0
        self.bad_messages = 0
        self.last_bad = ""

    def take(self, data: bytes) -> None:
        """One view message (or part of one) in; a bad one counted and skipped."""
        self.messages += 1
        try:
            body = _decoder.decode(data)
            collector = body["collector"]
            symbols = body.get("symbols", {})
            tape = body.get("tape", [])
            if not isinstance(collector, str) or not isinstance(symbols, dict):
                raise TypeError("collector must be a string and symbols an object")
            if not isinstance(tape, list):
                raise TypeError("tape must be a list")
        except (msgspec.DecodeError, KeyError, TypeError) as exc:
            self.bad_messages += 1
            self.last_bad = f"{type(exc).__name__}: {exc}"
            return
        entry = self.collectors.get(collector)
        if entry is None:
            entry = self.collectors[collector] = RemoteCollector(collector)
            log.info("remote collector %s seen", collector)
        entry.head = {k: v for k, v in body.items() if k not in _HEAD_SKIP}
        entry.symbols.update(symbols)
        if body.get("part", 0) == 0:
            entry.tape = tape
            entry.views += 1
        entry.received_ns = self.clock()

    async def run(self) -> None:
        """Connect (waiting for the server) and subscribe until cancelled."""
        nc = await self.link.open()

        async def on_message(msg: Msg) -> None:
            self.take(msg.data)

        await nc.subscribe(self.subject, cb=on_message)
        log.info("watching live views on %s", self.subject)
        try:
            await asyncio.Event().wait()
        finally:
            await self.link.close()

    def rows(self) -> list[dict[str, Any]]:
        now = self.clock()
        return [self.collectors[c].summary(now) for c in sorted(self.collectors)]

    def get(self, collector: str) -> dict[str, Any] | None:
        entry = self.collectors.get(collector)
        return entry.detail(self.clock()) if entry is not None else None

    def stats(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "connected": self.link.connected,
            "messages": self.messages,
            "bad_messages": self.bad_messages,
            "last_bad": self.last_bad,
            "last_error": self.link.last_error,
        }
