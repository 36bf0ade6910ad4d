"""Book resynchronisation by resubscribing, for venues whose book channel starts with a
snapshot (Coinbase's feeds, Kraken's): resubscribing a book that may be wrong makes the venue
send a fresh one. Requests are served once each, from the connection's ``on_connected`` task,
after the symbols are checked against the venue's product list."""

from __future__ import annotations

import asyncio
from abc import abstractmethod
from typing import Protocol

from mdc.domain.events import Event
from mdc.providers.connection import Frame, StreamSession, WireProtocol
from mdc.providers.instruments import InstrumentCache, check_symbols


class ResubscribingParser(Protocol):
    resubscribe: set[str]
    """Books (venue names) that need a fresh snapshot; a snapshot removes its book."""

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]: ...

    def reset(self) -> None: ...


class ResubscribeProtocol(WireProtocol):
    """A wire protocol whose parser asks for fresh books through ``parser.resubscribe``."""

    parser: ResubscribingParser
    instruments: InstrumentCache

    def __init__(self) -> None:
        self._resubscribe_wanted = asyncio.Event()
        self._resubscribe_sent: set[str] = set()

    @abstractmethod
    def resubscribe_messages(self, books: list[str]) -> list[Frame]:
        """Messages that unsubscribe and subscribe again these books."""

    def parse(self, frame: Frame, ts_recv: int) -> list[Event]:
        events = self.parser.parse(frame, ts_recv)
        if self._resubscribe_sent or self.parser.resubscribe:
            self._track_resubscribe()
        return events

    def _track_resubscribe(self) -> None:
        """After a frame: forget requests its snapshots served, wake ``on_connected`` for new
        ones (call when either set is not empty; with both empty there is nothing to do)."""
        if self._resubscribe_sent:
            self._resubscribe_sent &= self.parser.resubscribe  # snapshots arrived
        if self.parser.resubscribe and not self.parser.resubscribe <= self._resubscribe_sent:
            self._resubscribe_wanted.set()

    def request_resubscribe(self, books: list[str]) -> None:
        """Ask for fresh snapshots of these books (served by ``on_connected``)."""
        self.parser.resubscribe.update(books)
        self._resubscribe_sent.difference_update(books)
        self._resubscribe_wanted.set()

    def reset(self) -> None:
        self.parser.reset()
        self.parser.resubscribe.clear()
        self._resubscribe_sent.clear()
        self._resubscribe_wanted.clear()

    async def on_connected(self, session: StreamSession) -> None:
        """Check the symbols against the product list, then serve resubscription requests."""
        await check_symbols(self.instruments, (s.symbol for s in session.subscriptions))
        while True:
            await self._resubscribe_wanted.wait()
            self._resubscribe_wanted.clear()
            books = sorted(self.parser.resubscribe - self._resubscribe_sent)
            if not books:
                continue
            self._resubscribe_sent.update(books)
            for frame in self.resubscribe_messages(books):
                await session.send(frame)
