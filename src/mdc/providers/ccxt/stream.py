"""The ccxt provider: one watch loop per symbol and data type over a ccxt.pro exchange.

ccxt.pro keeps the WebSocket connection, subscriptions and books itself
(https://docs.ccxt.com/#/ccxt.pro.manual, re-read 2026-12-02, with the ccxt 4.5.90 sources of
``ccxt/pro/kraken.py``, ``bitfinex.py``, ``kucoin.py``, ``htx.py``: each venue's
``watch_order_book`` accepts only some ``limit`` values and raises ``NotSupported``,
``BadRequest`` or ``ExchangeError`` naming them); this provider maps what ``watch_trades``,
``watch_ticker`` and ``watch_order_book`` return into events. A failed watch (network error)
starts an outage for the symbol; the first result after it publishes one ``Gap`` covering it,
and the book restarts from a snapshot. Markets are loaded with ``fetch_markets`` only (no
currency list: market data does not need it, and it saves a request).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import re
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final, TypeAlias

from mdc.config import provider_section
from mdc.config.schema import Config, SymbolConfig
from mdc.domain.backoff import backoff_delay
from mdc.domain.events import Event, Gap
from mdc.domain.time import now_ns
from mdc.providers.base import ProviderError, StreamingProvider, StreamSink
from mdc.providers.ccxt import SPEC
from mdc.providers.ccxt.config import CcxtConfig
from mdc.providers.ccxt.parse import CcxtMapper, to_ccxt

log = logging.getLogger(__name__)

METHODS: Final[dict[str, str]] = {
    "trades": "watchTrades",
    "quotes": "watchTicker",
    "depth": "watchOrderBook",
}
Convert: TypeAlias = Callable[[str, Any, int], list[Event]]
Watch: TypeAlias = Callable[[int | None], Awaitable[Any]]
"""One ``watch_*`` call; the argument is the book limit (ignored by the other kinds)."""
_NUMBER: Final = re.compile(r"(?<![\w.])\d+(?![\w.])")
INSTALL_HINT: Final = "the ccxt provider needs the optional extra: pip install 'mdc[ccxt]'"


def load_ccxt_pro() -> Any:
    """Import ``ccxt.pro`` or explain how to install it."""
    try:
        import ccxt.pro as ccxt_pro
    except ImportError as exc:
        raise ProviderError(INSTALL_HINT) from exc
    return ccxt_pro


def accepted_limit(refusal: str, wanted: int) -> int | None:
    """The depth to ask for after a refusal of ``wanted``: the smallest number the message
    names that covers it, else the largest it names; None (the venue's default) if it names
    none. ccxt words these as "accepts limit values of 10, 25, 100, 500 and 1000 only",
    "limit argument must be None, 25 or 100" or "limit can be one of: [1,50,200]"."""
    named = sorted({int(n) for n in _NUMBER.findall(refusal)} - {wanted})
    if not named:
        return None
    return next((n for n in named if n >= wanted), named[-1])


def _no_limit(method: Callable[[str], Awaitable[Any]], market: str) -> Watch:
    async def watch(limit: int | None) -> Any:
        return await method(market)

    return watch


def make_exchange(options: CcxtConfig) -> Any:
    """The configured ccxt.pro exchange, its options and endpoint overrides applied."""
    ccxt_pro = load_ccxt_pro()
    name = options.exchange
    cls = getattr(ccxt_pro, name, None)
    if cls is None or name not in ccxt_pro.exchanges:
        close = difflib.get_close_matches(name, ccxt_pro.exchanges, n=5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise ProviderError(f"ccxt: ccxt.pro has no exchange {name!r}{hint}")
    exchange = cls({"enableRateLimit": True})
    exchange.options.update(options.options)  # on top of ccxt's own defaults
    for key, url in options.api_urls.items():
        *path, last = key.split(".")
        node = exchange.urls.get("api")
        for part in path:
            node = node.get(part) if isinstance(node, dict) else None
        if not isinstance(node, dict) or last not in node:
            raise ProviderError(f"ccxt: {name} has no urls.api.{key} to override")
        node[last] = url
    return exchange


class CcxtStream(StreamingProvider):
    """``mdc collect --provider ccxt`` with ``[providers.ccxt] exchange = "<id>"``."""

    spec = SPEC

    def __init__(self, config: Config, sink: StreamSink) -> None:
        super().__init__(config, sink)
        self.options = provider_section(config, SPEC.name, CcxtConfig)
        if not self.options.exchange:
            raise ProviderError(
                'ccxt: set the exchange, e.g. [providers.ccxt] exchange = "kraken" '
                "(or MDC_PROVIDERS__CCXT__EXCHANGE=kraken)"
            )
        self.mapper = CcxtMapper(self.options.exchange, SPEC.name)
        self.exchange: Any = None
        self._tasks: dict[str, list[asyncio.Task[None]]] = {}
        self._last_ts: dict[str, int] = {}
        self._outage: dict[str, tuple[int, str]] = {}
        self._fatal: asyncio.Future[None] | None = None

    def _make_exchange(self) -> Any:
        return make_exchange(self.options)

    def _check_methods(self, symbols: list[SymbolConfig]) -> None:
        has = self.exchange.has
        for s in symbols:
            for flag, method in METHODS.items():
                if getattr(s, flag) and not has.get(method):
                    raise ProviderError(
                        f"ccxt: {self.options.exchange} has no {method}; set {flag} = false "
                        f"for {s.symbol}"
                    )

    def _check_markets(self, symbols: list[SymbolConfig]) -> None:
        for s in symbols:
            if to_ccxt(s.symbol) not in self.exchange.markets:
                close = difflib.get_close_matches(to_ccxt(s.symbol), self.exchange.symbols, n=5)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                raise ProviderError(
                    f"ccxt: {self.options.exchange} does not list {to_ccxt(s.symbol)!r}{hint}"
                )

    async def run(self, symbols: list[SymbolConfig]) -> None:
        self.exchange = self._make_exchange()
        self._fatal = asyncio.get_running_loop().create_future()
        try:
            self._check_methods(symbols)
            self.state.state = "connecting"
            markets = await self.exchange.fetch_markets()
            self.exchange.set_markets(markets)
            self._check_markets(symbols)
            self.state.connected = True
            self.state.state = "streaming"
            self._start(symbols)
            await self._fatal
        finally:
            self.state.connected = False
            self.state.state = "stopped"
            for tasks in self._tasks.values():
                for task in tasks:
                    task.cancel()
            await asyncio.gather(
                *(t for ts in self._tasks.values() for t in ts), return_exceptions=True
            )
            self._tasks.clear()
            await self.exchange.close()

    async def subscribe(self, symbols: list[SymbolConfig]) -> None:
        if self.exchange is None or self.exchange.markets is None:
            return
        self._check_methods(symbols)
        self._check_markets(symbols)
        self._start(symbols)

    async def unsubscribe(self, symbols: list[str]) -> None:
        for symbol in symbols:
            for task in self._tasks.pop(symbol, []):
                task.cancel()
            self.mapper.forget_book(symbol)
            self.state.subscribed.discard(symbol)

    def _start(self, symbols: list[SymbolConfig]) -> None:
        ex = self.exchange
        mapper = self.mapper
        for s in symbols:
            if s.symbol in self._tasks:
                continue
            market = to_ccxt(s.symbol)
            levels = None if self.options.full_book else s.depth_levels
            limit = self.options.book_limit or levels
            loops: list[tuple[str, Watch, Convert]] = []
            if s.trades:
                loops.append(("trades", _no_limit(ex.watch_trades, market), mapper.trades))
            if s.quotes:
                loops.append(("quotes", _no_limit(ex.watch_ticker, market), mapper.quote))
            if s.depth:
                book = partial(mapper.book, levels=levels)
                loops.append(("depth", partial(ex.watch_order_book, market), book))
            tasks = [
                asyncio.create_task(
                    self._watch(s.symbol, kind, watch, convert, limit if kind == "depth" else None),
                    name=kind,
                )
                for kind, watch, convert in loops
            ]
            for task in tasks:
                task.add_done_callback(self._ended)
            self._tasks[s.symbol] = tasks
            self.state.subscribed.add(s.symbol)

    async def _watch(
        self,
        symbol: str,
        kind: str,
        watch: Watch,
        convert: Convert,
        limit: int | None = None,
    ) -> None:
        """Watch until cancelled. Network errors are retried with backoff; a refusal (bad
        request, unsupported, bad symbol, auth, or any venue error before the first result) is
        fatal — except a refused book ``limit``, which is tried once more with a depth the
        refusal names (or none) unless ``book_limit`` pins it."""
        pro = load_ccxt_pro()
        fatal = (pro.BadRequest, pro.NotSupported, pro.AuthenticationError, pro.PermissionDenied)
        failures = 0
        delivered = False
        adjustable = limit is not None and self.options.book_limit is None
        first_wait = self.options.book_timeout_s if kind == "depth" else None
        while True:
            try:
                async with asyncio.timeout(None if delivered else first_wait):
                    result = await watch(limit)
            except TimeoutError as exc:
                # Some ccxt venues file a refused subscription under its request id, where no
                # watch ever sees it: look there before calling it a slow start.
                refusal = self._rejection()
                if refusal is not None:
                    self._fail(ProviderError(self._refusal(symbol, kind, refusal, limit)))
                    return
                failures += 1
                self._fault(symbol, kind, exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            except pro.NetworkError as exc:  # connection trouble: keep going after a pause
                failures += 1
                self._fault(symbol, kind, exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            except Exception as exc:
                refused = isinstance(exc, fatal) or (
                    not delivered and isinstance(exc, pro.ExchangeError)
                )
                if not refused:  # a venue error mid-stream: retried like a network error
                    failures += 1
                    self._fault(symbol, kind, exc)
                    await asyncio.sleep(self._backoff(failures))
                    continue
                if adjustable and limit is not None:
                    adjustable = False
                    wanted, limit = limit, accepted_limit(str(exc), limit)
                    log.info(
                        "ccxt %s refused book limit %d for %s (%s); using %s",
                        self.options.exchange,
                        wanted,
                        symbol,
                        exc,
                        limit if limit is not None else "the venue's default",
                    )
                    continue
                self._fail(ProviderError(self._refusal(symbol, kind, exc, limit)))
                return
            failures = 0
            delivered = True
            ts_recv = now_ns()
            self.state.messages += 1
            self.state.last_message_ns = ts_recv
            try:
                events = convert(symbol, result, ts_recv)
            except (KeyError, TypeError, ValueError) as exc:
                self.sink.bad_frame(SPEC.name, ts_recv, repr(result)[:2000], f"{kind}: {exc}")
                continue
            if events:
                await self._deliver(symbol, events)

    def _rejection(self) -> Exception | None:
        """A refusal ccxt kept for a request id (``Client.rejections``), if there is one."""
        for client in getattr(self.exchange, "clients", {}).values():
            for error in getattr(client, "rejections", {}).values():
                if isinstance(error, Exception):
                    return error
        return None

    def _refusal(self, symbol: str, kind: str, exc: Exception, limit: int | None) -> str:
        """One line: what the venue said and what to change."""
        text = f"ccxt {self.options.exchange} {kind} {symbol}: {type(exc).__name__}: {exc}"
        if kind == "depth" and limit is not None:
            return (
                f"{text}; set [providers.ccxt] book_limit to a depth "
                f"{self.options.exchange} accepts, or depth = false for {symbol}"
            )
        if kind != "trades":
            return f"{text}; set {kind} = false for {symbol}"
        return text

    def _fault(self, symbol: str, kind: str, exc: Exception) -> None:
        self.state.errors += 1
        self.state.last_error = f"{kind} {symbol}: {type(exc).__name__}: {exc}"[:300]
        log.warning("ccxt %s %s %s failed: %s", self.options.exchange, kind, symbol, exc)
        if symbol not in self._outage:
            self._outage[symbol] = (self._last_ts.get(symbol, now_ns()), type(exc).__name__)
        self.mapper.forget_book(symbol)

    async def _deliver(self, symbol: str, events: list[Event]) -> None:
        outage = self._outage.pop(symbol, None)
        if outage is not None:
            from_ts, reason = outage
            to_ts = max(from_ts, events[0].ts_event)
            gap = Gap(
                symbol=symbol,
                venue=self.mapper.venue,
                provider=SPEC.name,
                ts_event=from_ts,
                ts_recv=now_ns(),
                from_ts=from_ts,
                to_ts=to_ts,
                reason="disconnect",
                detail=f"ccxt watch failed ({reason})",
            )
            events = [gap, *events]
        self._last_ts[symbol] = events[-1].ts_event
        await self.sink.publish(events)

    def _ended(self, task: asyncio.Task[None]) -> None:
        """A watch loop only ends by cancellation; anything else must not go unnoticed."""
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._fail(ProviderError(f"ccxt {task.get_name()} loop failed: {exc!r}"))

    def _fail(self, error: ProviderError) -> None:
        if self._fatal is not None and not self._fatal.done():
            self._fatal.set_exception(error)

    def _backoff(self, failures: int) -> float:
        opts = self.options
        return backoff_delay(failures, opts.reconnect_initial_s, opts.reconnect_max_s)
