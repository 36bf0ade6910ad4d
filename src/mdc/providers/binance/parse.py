"""Binance spot combined-stream frames → events; depth goes through :mod:`.book` for sync.

Docs: https://developers.binance.com/docs/binance-spot-api-docs/web-socket-streams (combined
streams ``{"stream": …, "data": …}``, ``<symbol>@aggTrade``, ``<symbol>@trade``,
``<symbol>@bookTicker``, ``<symbol>@depth@100ms``, ``<symbol>@kline_<interval>``, the 24 h
connection limit, ``SUBSCRIBE`` requests and their ``{"result": null, "id": …}`` answers),
re-read 2026-12-02. The docs announce a ``serverShutdown`` event before the server goes down
without giving its frame; the official SDK (binance/binance-connector-python
``common/src/binance_common/websocket.py``, read 2026-12-02) reads it as
``{"event": {"e": "serverShutdown", "E": …}}``. That shape, a bare ``{"e": "serverShutdown"}``
and a combined-stream ``{"stream": "!serverShutdown", "data": …}`` all set
``shutdown_announced``; the stream then moves to a new connection before this one ends.

A frame is decoded in two typed steps without building dicts: the envelope (with ``data`` kept
as raw JSON), then ``data`` with the decoder the stream name selects. ``m`` ("buyer is the
maker") gives the aggressor: ``m`` true means the seller hit the bid.

A kline is pushed every couple of seconds while its interval runs (``x`` false) and once more
when it closes (``x`` true): only the closed one becomes a :class:`Bar` (``ts_event`` its open
time, ``vwap`` quote volume / volume), so the archive holds final bars, never a repaint.

``seq`` (the book update id) is set on book events only: ``bookTicker`` numbers from the same
id space but arrives on its own stream, ahead of the depth events, and the collectors keep one
sequence per (provider, symbol).
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from mdc.domain.events import Bar, Event, Quote, Trade
from mdc.providers.base import ProviderError
from mdc.providers.binance.book import DepthSnapshot, DepthSync, DepthUpdate, snapshot_decoder

VENUE: Final = "binance"
SERVER_SHUTDOWN: Final = "serverShutdown"


class _Event(msgspec.Struct, gc=False):
    e: str = ""


class _Envelope(msgspec.Struct, gc=False):
    stream: str = ""
    data: msgspec.Raw = msgspec.Raw(b"null")
    id: Any = None
    error: Any = None
    e: str = ""
    event: _Event | None = None


class _Trade(msgspec.Struct, gc=False, rename={"trade_id": "t", "trade_ts": "T"}):
    s: str
    trade_id: int
    p: float
    q: float
    trade_ts: int
    m: bool


class _AggTrade(msgspec.Struct, gc=False, rename={"trade_id": "a", "trade_ts": "T"}):
    s: str
    trade_id: int
    p: float
    q: float
    trade_ts: int
    m: bool


class _BookTicker(msgspec.Struct, gc=False, rename={"bid_size": "B", "ask_size": "A"}):
    s: str
    b: float
    bid_size: float
    a: float
    ask_size: float


class _KlineBody(msgspec.Struct, gc=False, rename={"open_ms": "t", "trades": "n", "closed": "x"}):
    s: str
    i: str
    open_ms: int
    o: float
    h: float
    l: float  # noqa: E741 (the wire's name)
    c: float
    v: float
    q: float
    trades: int
    closed: bool


class _Kline(msgspec.Struct, gc=False):
    k: _KlineBody


_envelope = msgspec.json.Decoder(_Envelope)
_depth = msgspec.json.Decoder(DepthUpdate, strict=False)
_trade = msgspec.json.Decoder(_Trade, strict=False)
_agg_trade = msgspec.json.Decoder(_AggTrade, strict=False)
_book_ticker = msgspec.json.Decoder(_BookTicker, strict=False)
_kline = msgspec.json.Decoder(_Kline, strict=False)


class BinanceParser:
    """Stateful parser for one connection (depth sync state); :meth:`reset` on reconnect."""

    def __init__(self, symbols: dict[str, str], provider: str = VENUE) -> None:
        self.provider = provider
        self.symbols = symbols
        """Venue symbol (``BTCUSDT``) → normalised (``BTC-USDT``) for what is subscribed."""
        self.depth = DepthSync(provider)
        self.ignored = 0
        self.shutdown_announced = False
        """A ``serverShutdown`` event arrived: this connection ends soon."""

    def reset(self) -> None:
        self.depth.reset()

    def _symbol(self, venue_symbol: str) -> str:
        return self.symbols.get(venue_symbol) or venue_symbol

    def parse(self, frame: bytes | str, ts_recv: int) -> list[Event]:
        envelope = _envelope.decode(frame)
        stream = envelope.stream
        if not stream:
            if envelope.error is not None:
                raise ProviderError(f"binance request {envelope.id} failed: {envelope.error}")
            event = envelope.event.e if envelope.event is not None else envelope.e
            if event == SERVER_SHUTDOWN:
                self.shutdown_announced = True
            self.ignored += 1  # {"result": null, "id": n}: a SUBSCRIBE acknowledged
            return []
        kind = stream[stream.find("@") + 1 :]
        data = envelope.data
        if kind.startswith("depth"):
            update = _depth.decode(data)
            return self.depth.update(self._symbol(update.s), update, ts_recv)
        if kind == "bookTicker":
            return self._book_ticker(_book_ticker.decode(data), ts_recv)
        if kind == "aggTrade":
            return self._trade(_agg_trade.decode(data), ts_recv)
        if kind == "trade":
            return self._trade(_trade.decode(data), ts_recv)
        if kind.startswith("kline_"):
            k = _kline.decode(data).k
            if k.closed:
                return self._bar(k, ts_recv)
            self.ignored += 1  # the interval is still running: its bar may change
            return []
        if stream.endswith(SERVER_SHUTDOWN):  # "!serverShutdown"
            self.shutdown_announced = True
        self.ignored += 1
        return []

    def snapshot(self, symbol: str, body: bytes, ts_recv: int) -> list[Event]:
        """A REST ``/api/v3/depth`` body for ``symbol`` (normalised) → sync step."""
        snap: DepthSnapshot = snapshot_decoder.decode(body)
        return self.depth.snapshot(symbol, snap, ts_recv)

    def _trade(self, t: _Trade | _AggTrade, ts_recv: int) -> list[Event]:
        return [
            Trade(
                symbol=self._symbol(t.s),
                venue=VENUE,
                provider=self.provider,
                ts_event=t.trade_ts * 1_000_000,
                ts_recv=ts_recv,
                price=t.p,
                size=t.q,
                side="sell" if t.m else "buy",
                trade_id=str(t.trade_id),
            )
        ]

    def _bar(self, k: _KlineBody, ts_recv: int) -> list[Event]:
        return [
            Bar(
                symbol=self._symbol(k.s),
                venue=VENUE,
                provider=self.provider,
                ts_event=k.open_ms * 1_000_000,
                ts_recv=ts_recv,
                interval=k.i,
                open=k.o,
                high=k.h,
                low=k.l,
                close=k.c,
                volume=k.v,
                vwap=k.q / k.v if k.v > 0 else None,
                trades=k.trades,
            )
        ]

    def _book_ticker(self, q: _BookTicker, ts_recv: int) -> list[Event]:
        return [
            Quote(
                symbol=self._symbol(q.s),
                venue=VENUE,
                provider=self.provider,
                ts_event=ts_recv,  # bookTicker carries no event time
                ts_recv=ts_recv,
                bid_price=q.b,
                bid_size=q.bid_size,
                ask_price=q.a,
                ask_size=q.ask_size,
            )
        ]
