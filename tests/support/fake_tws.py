"""A TWS / IB Gateway stand-in on 127.0.0.1 that speaks the API's wire protocol to ib_async.

Written from the TWS API message layouts as ib_async 2.1.0 writes and reads them (its
``client.py`` for requests, ``decoder.py`` for replies; read 2026-12-02) and the research notes
in ``../shared/research/ib-nyse.md`` Part A. Nothing of ib_async is imported or patched here:
the provider under test runs the real client against these bytes.

Wire format: after the client's ``API\\0`` prefix every message is a 4-byte big-endian length
and then ASCII fields, each ending in ``\\0``. The first reply is the 2-field handshake
(``serverVersion``, ``connTime``); then ``nextValidId`` (9) and ``managedAccounts`` (15) make
ib_async ready. The server version is 176, so errors carry a trailing ``advancedOrderRejectJson``
field and contract details have no version field.

Tests drive the streams explicitly (``trade``, ``quote``, ``depth``, ``mkt_tick``) to the
subscriptions the client made, so every count in an assertion is a message sent here. Every
request is logged with the injected clock's time (``requests``), which is how pacing is measured.
"""

from __future__ import annotations

import asyncio
import struct
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final

SERVER_VERSION: Final = 176
NO_SECURITY: Final = "No security definition has been found for the request"
FARM_NOTICES: Final = (
    (2104, "Market data farm connection is OK:usfarm"),
    (2106, "HMDS data farm connection is OK:ushmds"),
    (2158, "Sec-def data farm connection is OK:secdefnj"),
)
# Request ids (client -> server) this stand-in understands.
REQ_MKT_DATA, CANCEL_MKT_DATA, REQ_CONTRACT_DETAILS = 1, 2, 9
REQ_MKT_DEPTH, CANCEL_MKT_DEPTH, REQ_HISTORICAL = 10, 11, 20
REQ_MARKET_DATA_TYPE, REQ_POSITIONS, START_API = 59, 61, 71
REQ_MATCHING_SYMBOLS, REQ_HISTORICAL_TICKS = 81, 96
REQ_TICK_BY_TICK, CANCEL_TICK_BY_TICK = 97, 98
# Which field of a request holds the reqId, and where its 12 contract fields start.
_REQ_ID_AT: Final = {1: 2, 9: 2, 10: 2, 20: 1, 96: 1, 97: 1}
_DURATION_DAYS: Final = {"D": 1, "W": 7, "M": 31, "Y": 366}


def frame(*fields: object) -> bytes:
    """One framed message: length prefix, then each field as text ending in NUL."""
    payload = "".join(f"{f}\0" for f in fields).encode()
    return struct.pack(">I", len(payload)) + payload


@dataclass
class Listing:
    """One contract the stand-in knows (what contract details report)."""

    symbol: str
    con_id: int
    sec_type: str = "STK"
    exchange: str = "SMART"
    primary: str = "NASDAQ"
    currency: str = "USD"
    name: str = ""
    expiry: str = ""
    min_tick: float = 0.01
    derivatives: tuple[str, ...] = ()
    """Derivative security types a symbol search lists for it (``OPT``, ``WAR`` …)."""


@dataclass
class Request:
    at: float
    """The injected clock's time when the request arrived."""
    msg_id: int
    fields: list[str]

    @property
    def symbol(self) -> str:
        """The contract symbol of a request that carries a contract (else "")."""
        at = _REQ_ID_AT.get(self.msg_id)
        return self.fields[at + 2] if at is not None and len(self.fields) > at + 2 else ""


@dataclass
class Stream:
    """A live subscription on one connection."""

    kind: str  # "AllLast", "BidAsk", "depth", "mktdata"
    req_id: int
    symbol: str
    smart: bool = False


@dataclass
class Session:
    """One client connection."""

    writer: asyncio.StreamWriter
    client_id: int = -1
    streams: list[Stream] = field(default_factory=list)

    def send(self, *fields: object) -> None:
        self.writer.write(frame(*fields))


class FakeTws:
    """The server: contract table, daily/intraday bar table, scripted streams, fault injection."""

    def __init__(
        self,
        listings: list[Listing] | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        accounts: str = "DU1234567",
        tick_by_tick_lines: int = 100,
    ) -> None:
        self.listings = {(x.symbol, x.sec_type): x for x in listings or []}
        self.clock = clock
        self.accounts = accounts
        self.tick_by_tick_lines = tick_by_tick_lines
        """Tick-by-tick subscriptions allowed per connection; more get error 10190."""
        self.bars: dict[str, list[tuple[str, float, float, float, float, float]]] = {}
        """symbol → (``YYYYMMDD`` or epoch-seconds stamp, open, high, low, close, volume)."""
        self.ticks: dict[str, list[tuple[int, float, float]]] = {}
        """symbol → (epoch s, price, size) trades for historical ticks."""
        self.requests: list[Request] = []
        self.unanswered: set[int] = set()
        """Request ids (``REQ_*``) read and logged but never answered: a TWS that hangs."""
        self.sessions: list[Session] = []
        self.connections = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._changed = asyncio.Condition()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- lifecycle ---------------------------------------------------------------------------
    async def start(self, port: int = 0) -> FakeTws:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drop()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def drop(self) -> None:
        """Close every client connection (a TWS restart, a network cut)."""
        for session in self.sessions:
            session.writer.close()
        self.sessions.clear()
        await self._notify()

    # -- what tests send ----------------------------------------------------------------------
    def streams(self, kind: str) -> dict[str, Stream]:
        """The live subscriptions of ``kind`` on the newest connection, by symbol."""
        if not self.sessions:
            return {}
        return {s.symbol: s for s in self.sessions[-1].streams if s.kind == kind}

    def _stream(self, kind: str, symbol: str) -> tuple[Session, Stream]:
        session = self.sessions[-1]
        return session, self.streams(kind)[symbol]

    async def trade(self, symbol: str, price: float, size: float, at: int = 1704205800) -> None:
        """A tick-by-tick AllLast print (tick type 2)."""
        session, s = self._stream("AllLast", symbol)
        session.send(99, s.req_id, 2, at, price, size, 0, "NASDAQ", "")
        await session.writer.drain()

    async def quote(
        self, symbol: str, bid: float, ask: float, bid_size: float, ask_size: float
    ) -> None:
        """A tick-by-tick BidAsk update (tick type 3)."""
        session, s = self._stream("BidAsk", symbol)
        session.send(99, s.req_id, 3, 1704205800, bid, ask, bid_size, ask_size, 0)
        await session.writer.drain()

    async def depth(
        self, symbol: str, position: int, operation: int, side: int, price: float, size: float
    ) -> None:
        """A depth row change: operation 0 insert, 1 update, 2 delete; side 0 ask, 1 bid."""
        session, s = self._stream("depth", symbol)
        if s.smart:
            session.send(13, 1, s.req_id, position, "NSDQ", operation, side, price, size, 1)
        else:
            session.send(12, 1, s.req_id, position, operation, side, price, size)
        await session.writer.drain()

    async def mkt_tick(self, symbol: str, tick_type: int, price: float, size: float) -> None:
        """A reqMktData price tick (1 bid, 2 ask, 4 last) with its size."""
        session, s = self._stream("mktdata", symbol)
        session.send(1, 6, s.req_id, tick_type, price, size, 0)
        await session.writer.drain()

    async def error(self, req_id: int, code: int, text: str) -> None:
        """An error or notice on the newest connection (reqId -1 for connection notices)."""
        session = self.sessions[-1]
        session.send(4, 2, req_id, code, text, "")
        await session.writer.drain()

    async def wait(self, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout), self._changed:
            await self._changed.wait_for(predicate)

    def requested(self, msg_id: int) -> list[Request]:
        return [r for r in self.requests if r.msg_id == msg_id]

    # -- the connection -------------------------------------------------------------------------
    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(writer)
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            if await reader.readexactly(4) != b"API\0":
                return
            await self._read(reader)  # "v157..178": the client's version range
            self.connections += 1
            self.sessions.append(session)
            now = datetime.now(UTC).strftime("%Y%m%d %H:%M:%S UTC")
            # The handshake reply is framed like any message but has exactly two fields.
            writer.write(frame(SERVER_VERSION, now))
            while True:
                fields = await self._read(reader)
                self.requests.append(Request(self.clock(), int(fields[0]), fields))
                if int(fields[0]) not in self.unanswered:
                    self._handle(session, fields)
                await writer.drain()
                await self._notify()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            if session in self.sessions:
                self.sessions.remove(session)
            writer.close()
            self._tasks.discard(task)
            await self._notify()

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> list[str]:
        (size,) = struct.unpack(">I", await reader.readexactly(4))
        fields = (await reader.readexactly(size)).decode().split("\0")
        return fields[:-1]

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    def _handle(self, session: Session, f: list[str]) -> None:
        msg = int(f[0])
        if msg == START_API:
            session.client_id = int(f[2])
            session.send(9, 1, 1)  # nextValidId
            session.send(15, 1, self.accounts)  # managedAccounts
            for code, text in FARM_NOTICES:
                session.send(4, 2, -1, code, text, "")
        elif msg == REQ_POSITIONS:
            session.send(62, 1)  # positionEnd
        elif msg == REQ_CONTRACT_DETAILS:
            self._details(session, int(f[2]), int(f[3] or 0), f[4], f[5])
        elif msg == REQ_TICK_BY_TICK:
            req_id, symbol, kind = int(f[1]), f[3], f[14]
            lines = sum(s.kind in ("AllLast", "BidAsk") for s in session.streams)
            if lines >= self.tick_by_tick_lines:
                session.send(
                    4, 2, req_id, 10190, "Max number of tick-by-tick requests has been reached.", ""
                )
            else:
                session.streams.append(Stream(kind, req_id, symbol))
        elif msg == REQ_MKT_DEPTH:
            # 12 contract fields spelled out, then numRows and isSmartDepth.
            session.streams.append(Stream("depth", int(f[2]), f[4], smart=f[16] == "1"))
        elif msg == REQ_MKT_DATA:
            session.streams.append(Stream("mktdata", int(f[2]), f[4]))
        elif msg in (CANCEL_TICK_BY_TICK, CANCEL_MKT_DEPTH, CANCEL_MKT_DATA):
            req_id = int(f[1] if msg == CANCEL_TICK_BY_TICK else f[2])
            session.streams = [s for s in session.streams if s.req_id != req_id]
        elif msg == REQ_HISTORICAL:
            self._history(session, f)
        elif msg == REQ_HISTORICAL_TICKS:
            self._history_ticks(session, f)
        elif msg == REQ_MATCHING_SYMBOLS:
            self._matching(session, int(f[1]), f[2])

    def _details(
        self, session: Session, req_id: int, con_id: int, symbol: str, sec_type: str
    ) -> None:
        """By conId when the request names one (as a search's probe does), else by symbol."""
        if con_id:
            x = next((x for x in self.listings.values() if x.con_id == con_id), None)
        else:
            x = self.listings.get((symbol, sec_type))
        if x is None:
            session.send(4, 2, req_id, 200, NO_SECURITY, "")
            return
        session.send(
            10, req_id, x.symbol, x.sec_type, x.expiry, 0, "", x.exchange, x.currency,
            x.symbol, "NMS", x.symbol, x.con_id, x.min_tick,
            "", "LMT,MKT", f"SMART,{x.primary}", 1, 0, x.name, x.primary, "", "", "", "",
            "US/Eastern", "", "", "", 0, 0,  # ... evRule, evMultiplier, numSecIds = 0
            1, "", "", "26", "", "COMMON", 1, 1, 100,
        )  # fmt: skip
        session.send(52, 1, req_id)

    def _history(self, session: Session, f: list[str]) -> None:
        # reqId, 12 contract fields, includeExpired, endDateTime, barSize, duration, useRTH,
        # whatToShow, formatDate, keepUpToDate, chartOptions (no version field).
        req_id, symbol, end_text, duration = int(f[1]), f[3], f[15], f[17]
        end = _utc(end_text) if end_text else datetime.now(UTC)  # empty: up to now
        count, unit = duration.split()
        if unit == "S":
            start = end - timedelta(seconds=int(count))
        else:
            start = end - timedelta(days=int(count) * _DURATION_DAYS[unit])
        rows = [r for r in self.bars.get(symbol, []) if start < _stamp(r[0]) <= end]
        if not rows and symbol not in self.bars:
            text = "Historical Market Data Service error message:HMDS query returned no data"
            session.send(4, 2, req_id, 162, text, "")
            return
        out: list[object] = [17, req_id, start.strftime("%Y%m%d"), end.strftime("%Y%m%d"),
                             len(rows)]  # fmt: skip
        for stamp, o, h, lo, c, v in rows:
            out += [stamp, o, h, lo, c, v, round((h + lo + c) / 3, 4), 10]
        session.send(*out)

    def _history_ticks(self, session: Session, f: list[str]) -> None:
        # reqId, 12 contract fields, includeExpired, start, end, numberOfTicks, whatToShow, ...
        req_id, symbol = int(f[1]), f[3]
        start = _utc(f[15])
        limit = int(f[17])
        rows = [t for t in self.ticks.get(symbol, []) if t[0] >= start.timestamp()][:limit]
        out: list[object] = [98, req_id, len(rows)]
        for at, price, size in rows:
            out += [at, 0, price, size, "NASDAQ", ""]
        session.send(*out, 1)  # done

    def _matching(self, session: Session, req_id: int, pattern: str) -> None:
        """``symbolSamples`` (79): up to 16 contracts whose symbol starts with the pattern or
        whose company name contains it; server version 176 adds description and issuerId."""
        p = pattern.upper()
        found = [x for x in self.listings.values() if x.symbol.startswith(p) or p in x.name.upper()]
        out: list[object] = [79, req_id, len(found[:16])]
        for x in found[:16]:
            out += [x.con_id, x.symbol, x.sec_type, x.primary, x.currency]
            out += [len(x.derivatives), *x.derivatives, x.name, ""]
        session.send(*out)


def _utc(text: str) -> datetime:
    """``YYYYMMDD HH:MM:SS UTC``, as ib_async's ``formatIBDatetime`` writes times."""
    return datetime.strptime(text, "%Y%m%d %H:%M:%S UTC").replace(tzinfo=UTC)


def _stamp(text: str) -> datetime:
    """A bar's stamp as ib_async parses it: ``YYYYMMDD`` (a session day) or epoch seconds."""
    if len(text) == 8:
        day = date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return datetime(day.year, day.month, day.day, 16, tzinfo=UTC)
    return datetime.fromtimestamp(int(text), UTC)


SEARCH_LISTINGS: Final = (
    Listing("AAPL", 265598, primary="NASDAQ", name="APPLE INC", derivatives=("OPT", "WAR")),
    Listing("AAP", 40224, primary="NYSE", name="ADVANCE AUTO PARTS INC", derivatives=("OPT",)),
    Listing("APC", 38708077, primary="IBIS", currency="EUR", name="APPLE INC", min_tick=0.001),
    Listing(
        "ES",
        551601503,
        sec_type="FUT",
        exchange="CME",
        primary="CME",
        expiry="20240315",
        name="E-mini S&P 500",
        min_tick=0.25,
    ),
)
"""What the symbol-search tests look up: two tickers starting ``AAP``, one company listed on
two exchanges in two currencies, a future."""


@asynccontextmanager
async def search_tws(clock: Callable[[], float] = time.monotonic) -> AsyncIterator[FakeTws]:
    """The stand-in serving :data:`SEARCH_LISTINGS` for the length of the block."""
    tws = await FakeTws(list(SEARCH_LISTINGS), clock=clock).start()
    try:
        yield tws
    finally:
        await tws.stop()
