"""Book resynchronisation shared by both Coinbase feeds: resubscribing a product's book channel
makes the venue send a fresh snapshot, so a book that may be wrong is unsubscribed and
subscribed again, once per request, from the connection's ``on_connected`` task."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Protocol

from mdc.domain.events import Event
from mdc.providers.connection import Frame, StreamSession, WireProtocol
from mdc.providers.instruments import InstrumentCache, check_symbols


class ResyncParser(Protocol):
    resync: set[str]
    """Products whose book needs a fresh snapshot; a snapshot removes its product."""

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]: ...

    def reset(self) -> None: ...


class BookResyncProtocol(WireProtocol):
    """A Coinbase wire protocol whose parser asks for book resyncs through ``parser.resync``."""

    parser: ResyncParser
    instruments: InstrumentCache

    def __init__(self) -> None:
        self._resync_wanted = asyncio.Event()
        self._resync_sent: set[str] = set()

    @abstractmethod
    def resync_messages(self, products: list[str]) -> list[Frame]:
        """Messages that unsubscribe and subscribe again the books of ``products``."""

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        events = self.parser.parse(frame, ts_recv)
        if self._resync_sent:
            self._resync_sent &= self.parser.resync  # snapshots arrived: resync done
        if self.parser.resync and not self.parser.resync <= self._resync_sent:
            self._resync_wanted.set()
        return events

    def request_resync(self, products: list[str]) -> None:
        """Ask for fresh snapshots of these products' books (served by ``on_connected``)."""
        self.parser.resync.update(products)
        self._resync_sent.difference_update(products)
        self._resync_wanted.set()

    def reset(self) -> None:
        self.parser.reset()
        self.parser.resync.clear()
        self._resync_sent.clear()
        self._resync_wanted.clear()

    async def on_connected(self, session: StreamSession) -> None:
        """Check the symbols against the product list, then serve book resync requests."""
        await check_symbols(self.instruments, (s.symbol for s in session.subscriptions))
        while True:
            await self._resync_wanted.wait()
            self._resync_wanted.clear()
            products = sorted(self.parser.resync - self._resync_sent)
            if not products:
                continue
            self._resync_sent.update(products)
            for frame in self.resync_messages(products):
                await session.send(frame)
