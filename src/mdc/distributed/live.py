"""A collector's live view on core NATS: per-batch aggregates, published once an interval.

``mdc collect --live nats://…`` runs this as a consumer of the live fan-out (its queue has the
dashboard's drop policy, so a slow consumer never slows the pipeline). Each batch is folded
into aggregates with C-level passes, as the dashboard's own view does (``web/live.py``): per
symbol its trade and quote counts, last trade and last quote, and a bounded tape of the last
trades. Every ``live_interval_s`` the aggregates and the collector's status become JSON
messages on ``{live_prefix}.{collector_id}.view`` (docs/scaling.md, "Live view"), with no ack
and no persistence: a watcher that is away misses them and takes the next one. While NATS is
unreachable the views are skipped (never queued), which the collector logs once.
"""

from __future__ import annotations

import asyncio
import logging
import operator
from collections import Counter, deque
from collections.abc import Callable
from itertools import compress, repeat
from operator import is_
from typing import Any, Final, Protocol

import msgspec

from mdc.config.schema import DistributedConfig
from mdc.distributed.link import LiveLink
from mdc.domain.events import Event, Quote, Trade
from mdc.domain.time import NS_PER_S, now_ns
from mdc.domain.tokens import token

log = logging.getLogger(__name__)

CONSUMER_NAME: Final = "live-publish"
VERSION: Final = 1
SYMBOLS_PER_MESSAGE: Final = 500
"""A view with more symbols is sent as several messages (``part``/``parts``), each well under
NATS's default 1 MiB payload limit."""
PUBLISH_TIMEOUT_S: Final = 2.0
_symbol = operator.attrgetter("symbol")
_encoder: Final = msgspec.json.Encoder()


class BatchSource(Protocol):
    """The fan-out queue this consumer reads (``pipeline.queues.BatchQueue``)."""

    async def get(self) -> list[Event]: ...


def view_subject(prefix: str, collector: str) -> str:
    return f"{prefix}.{token(collector)}.view"


def trade_row(t: Trade) -> dict[str, Any]:
    return {
        "symbol": t.symbol,
        "venue": t.venue,
        "ts_event": t.ts_event,
        "price": t.price,
        "size": t.size,
        "side": t.side,
    }


class SymbolLive(msgspec.Struct):
    trades: int = 0
    quotes: int = 0
    last_trade: Trade | None = None
    last_quote: Quote | None = None

    def row(self) -> dict[str, Any]:
        t, q = self.last_trade, self.last_quote
        return {
            "trades": self.trades,
            "quotes": self.quotes,
            "last_price": t.price if t else None,
            "last_size": t.size if t else None,
            "last_trade_ns": t.ts_event if t else None,
            "bid": q.bid_price if q else None,
            "bid_size": q.bid_size if q else None,
            "ask": q.ask_price if q else None,
            "ask_size": q.ask_size if q else None,
            "last_quote_ns": q.ts_event if q else None,
        }


class LivePublisher:
    """Aggregates batches from ``source``; publishes the view with ``status()`` merged in."""

    def __init__(
        self,
        cfg: DistributedConfig,
        collector_id: str,
        source: BatchSource,
        status: Callable[[], dict[str, Any]],
        clock: Callable[[], int] = now_ns,
    ) -> None:
        self.cfg = cfg
        self.collector = collector_id
        self.source = source
        self.status = status
        self.clock = clock
        self.subject = view_subject(cfg.live_prefix, collector_id)
        self.link = LiveLink(cfg, f"mdc-live-{collector_id}")
        self.symbols: dict[str, SymbolLive] = {}
        self.tape: deque[Trade] = deque(maxlen=max(cfg.live_tape, 1))
        self.events_seen = 0
        self.seq = 0
        self.published = 0
        """Views sent (a multi-part view counts once)."""
        self.skipped = 0
        """Intervals with NATS not connected: their view was not sent."""
        self.bad_batches = 0
        """Batches the aggregation failed on (the first is logged); the view goes on."""
        self._last: tuple[int, int] | None = None

    # -- aggregation, per batch ---------------------------------------------------------------
    def ingest(self, batch: list[Any]) -> None:
        """Fold one batch in, with no Python code per trade or quote."""
        self.events_seen += len(batch)
        types = list(map(type, batch))
        present = set(types)
        if Trade in present:
            trades = list(compress(batch, map(is_, types, repeat(Trade))))
            if self.cfg.live_tape:
                self.tape.extend(trades)
            for symbol, n, last in _lasts(trades):
                view = self._view(symbol)
                view.trades += n
                view.last_trade = last
        if Quote in present:
            quotes = list(compress(batch, map(is_, types, repeat(Quote))))
            for symbol, n, last in _lasts(quotes):
                view = self._view(symbol)
                view.quotes += n
                view.last_quote = last

    def _view(self, symbol: str) -> SymbolLive:
        view = self.symbols.get(symbol)
        if view is None:
            view = self.symbols[symbol] = SymbolLive()
        return view

    # -- the messages ---------------------------------------------------------------------------
    def messages(self) -> list[bytes]:
        """The current view as JSON payloads: the head fields in each, symbols split into
        parts, the tape in the first."""
        now = self.clock()
        status = self.status()
        events_in = int(status.get("events_in", self.events_seen))
        rate = 0.0
        if self._last is not None and now > self._last[0]:
            rate = round((events_in - self._last[1]) * NS_PER_S / (now - self._last[0]), 1)
        self._last = (now, events_in)
        self.seq += 1
        head = {
            "v": VERSION,
            "collector": self.collector,
            "seq": self.seq,
            "ts_ns": now,
            "interval_s": self.cfg.live_interval_s,
            "events_per_s": rate,
            "events_seen": self.events_seen,
            **status,
        }
        names = list(self.symbols)
        chunks = [
            names[i : i + SYMBOLS_PER_MESSAGE] for i in range(0, len(names), SYMBOLS_PER_MESSAGE)
        ]
        chunks = chunks or [[]]
        out = []
        for part, chunk in enumerate(chunks):
            body = {
                **head,
                "part": part,
                "parts": len(chunks),
                "symbols": {s: self.symbols[s].row() for s in chunk},
                "tape": [trade_row(t) for t in self.tape] if part == 0 else [],
            }
            out.append(_encoder.encode(body))
        return out

    # -- the service ----------------------------------------------------------------------------
    async def run(self) -> None:
        """Consume the fan-out and publish on a timer until cancelled or the fan-out closes."""
        timer = asyncio.create_task(self._publish_loop(), name="live-publish-timer")
        try:
            while True:
                batch = await self.source.get()
                if not batch:
                    return
                try:
                    self.ingest(batch)
                except Exception as exc:  # a view is not worth the collector: count, go on
                    self.bad_batches += 1
                    if self.bad_batches == 1:
                        log.error("live view: a batch could not be aggregated: %r", exc)
        finally:
            timer.cancel()
            await asyncio.gather(timer, return_exceptions=True)
            await self.link.close()

    async def _publish_loop(self) -> None:
        connecting = asyncio.create_task(self.link.open(), name="live-publish-connect")
        try:
            while True:
                await asyncio.sleep(self.cfg.live_interval_s)
                await self.publish_once()
        finally:
            connecting.cancel()
            await asyncio.gather(connecting, return_exceptions=True)

    async def publish_once(self) -> bool:
        """Send the view now; False (and counted) when NATS is not connected or too slow."""
        payloads = self.messages()
        nc = self.link.client
        if nc is None or not nc.is_connected:
            self.skipped += 1
            return False
        try:
            for payload in payloads:
                await asyncio.wait_for(nc.publish(self.subject, payload), PUBLISH_TIMEOUT_S)
        except Exception as exc:  # the view is best effort: the next interval tries again
            self.skipped += 1
            self.link.last_error = str(exc) or type(exc).__name__
            log.debug("live view not sent: %s", self.link.last_error)
            return False
        self.published += 1
        return True

    def stats(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "connected": self.link.connected,
            "views_published": self.published,
            "views_skipped": self.skipped,
            "outages": self.link.outages,
            "bad_batches": self.bad_batches,
            "last_error": self.link.last_error,
        }


def _lasts(events: list[Any]) -> list[tuple[str, int, Any]]:
    """(symbol, count, last event) per symbol of one batch's trades or quotes."""
    symbols = list(map(_symbol, events))
    last = dict(zip(symbols, events, strict=True))
    if len(last) == 1:
        return [(symbols[0], len(symbols), events[-1])]
    counts = Counter(symbols)
    return [(s, counts[s], ev) for s, ev in last.items()]
