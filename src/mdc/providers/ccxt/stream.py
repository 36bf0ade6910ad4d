"""The ccxt provider: one watch loop per symbol and data type over a ccxt.pro exchange.

ccxt.pro keeps the WebSocket connection, subscriptions and books itself
(https://docs.ccxt.com/#/ccxt.pro.manual); this provider maps what ``watch_trades``,
``watch_ticker`` and ``watch_order_book`` return into events. A failed watch (network error)
starts an outage for the symbol; the first result after it publishes one ``Gap`` covering it,
and the book restarts from a snapshot. Markets are loaded with ``fetch_markets`` only (no
currency list: market data does not need it, and it saves a request).
"""

from __future__ import annotations

import asyncio
import difflib
import logging
import random
from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Final, TypeAlias

from mdc.config import provider_section
from mdc.config.schema import Config, SymbolConfig
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
INSTALL_HINT: Final = "the ccxt provider needs the optional extra: pip install 'mdc[ccxt]'"


def load_ccxt_pro() -> Any:
    """Import ``ccxt.pro`` or explain how to install it."""
    try:
        import ccxt.pro as ccxt_pro
    except ImportError as exc:
        raise ProviderError(INSTALL_HINT) from exc
    return ccxt_pro


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
        ccxt_pro = load_ccxt_pro()
        name = self.options.exchange
        cls = getattr(ccxt_pro, name, None)
        if cls is None or name not in ccxt_pro.exchanges:
            close = difflib.get_close_matches(name, ccxt_pro.exchanges, n=5)
            hint = f"; did you mean {', '.join(close)}?" if close else ""
            raise ProviderError(f"ccxt: ccxt.pro has no exchange {name!r}{hint}")
        exchange = cls({"enableRateLimit": True})
        exchange.options.update(self.options.options)  # on top of ccxt's own defaults
        for key, url in self.options.api_urls.items():
            *path, last = key.split(".")
            node = exchange.urls.get("api")
            for part in path:
                node = node.get(part) if isinstance(node, dict) else None
            if not isinstance(node, dict) or last not in node:
                raise ProviderError(f"ccxt: {name} has no urls.api.{key} to override")
            node[last] = url
        return exchange

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
            limit = None if self.options.full_book else s.depth_levels
            loops: list[tuple[str, Callable[[], Awaitable[Any]], Convert]] = []
            if s.trades:
                loops.append(("trades", partial(ex.watch_trades, market), mapper.trades))
            if s.quotes:
                loops.append(("quotes", partial(ex.watch_ticker, market), mapper.quote))
            if s.depth:
                loops.append(("depth", partial(ex.watch_order_book, market, limit), mapper.book))
            tasks = [
                asyncio.create_task(self._watch(s.symbol, kind, watch, convert), name=kind)
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
        watch: Callable[[], Awaitable[Any]],
        convert: Convert,
    ) -> None:
        pro = load_ccxt_pro()
        fatal = (pro.BadSymbol, pro.NotSupported, pro.AuthenticationError)
        failures = 0
        while True:
            try:
                result = await watch()
            except fatal as exc:
                hint = f"; set {kind} = false for {symbol}" if kind != "trades" else ""
                self._fail(ProviderError(f"ccxt {self.options.exchange} {kind}: {exc}{hint}"))
                return
            except Exception as exc:  # network or venue error: keep going after a pause
                failures += 1
                self._fault(symbol, kind, exc)
                await asyncio.sleep(self._backoff(failures))
                continue
            failures = 0
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
        base = min(
            self.options.reconnect_max_s, self.options.reconnect_initial_s * 2.0 ** (failures - 1)
        )
        return base * (0.5 + 0.5 * random.random())
