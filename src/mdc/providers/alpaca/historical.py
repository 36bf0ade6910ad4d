"""Alpaca Market Data v2 REST history: bars at every timeframe, trades and quotes.

Docs used (re-checked 2026-12-02 against https://github.com/alpacahq/alpaca-py at bd1fa9e:
``alpaca/common/enums.py`` ``BaseURL.DATA = "https://data.alpaca.markets"``,
``alpaca/data/historical/stock.py`` ``/v2/stocks/{bars,trades,quotes}``,
``alpaca/data/historical/corporate_actions.py`` ``/v1/corporate-actions``,
``alpaca/common/rest.py`` the two key headers and ``page_token``/``next_page_token`` paging,
``alpaca/data/enums.py`` the feeds, "OTC and SIP are available with premium data
subscriptions"; and https://docs.alpaca.markets/us/changelog/2026-11-02-adjustment-8f7882f, which
types ``adjustment`` as a list but keeps the query shape: nothing here drifted):
https://alpaca.markets/docs/api-references/market-data-api/stock-pricing-data/historical/
(endpoints, ``timeframe`` up to 59Min/23Hour/1Day/1Week/12Month, ``adjustment`` raw/split/
dividend/all, ``feed``, ``limit`` 1–10000, ``page_token``),
https://alpaca.markets/docs/api-documentation/api-v2/market-data/alpaca-data-api-v2/historical/
(auth headers ``APCA-API-KEY-ID``/``APCA-API-SECRET-KEY``, paging with ``next_page_token`` while
"leaving the other parameters unchanged", ascending time order),
https://docs.alpaca.markets/reference/corporateactions (``/v1/corporate-actions``: ``symbols``,
``types``, ``start``/``end`` on the process date, ``limit`` 1–1000, ``page_token``).

``end`` is inclusive at Alpaca, so results are clipped to ``[start, end+1 day)`` here. A 403
whose message is about the subscription ("subscription does not permit querying recent SIP
data") is ``NotInPlan`` naming the ``feed`` setting; other 401/403 are a rejected key.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Final, Protocol, TypeVar
from urllib.parse import quote

import httpx
import msgspec

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction, Quote, Trade
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import now_ns
from mdc.providers.alpaca import SPEC
from mdc.providers.alpaca import rest_parse as parse
from mdc.providers.alpaca.config import AlpacaConfig
from mdc.providers.base import NotInPlan, ProviderError, UnsupportedRequest
from mdc.providers.paging import in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest import Params
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider
from mdc.providers.timestamps import rfc3339

CREDENTIALS: Final = ("ALPACA_KEY_ID", "ALPACA_SECRET_KEY")
ACTION_TYPES: Final = "forward_split,reverse_split,stock_dividend,cash_dividend"
ACTION_PAGE_LIMIT: Final = 1000
ACTION_MARGIN: Final = timedelta(days=10)
"""Alpaca filters actions by process date; events are stamped at the ex-date, which may lie a
few days away, so the request is widened by this much and cut to ex-dates in range."""
MONTHS: Final = frozenset({1, 2, 3, 4, 6, 12})


def classify(response: httpx.Response) -> ProviderError | None:
    """403 "subscription does not permit …": the key is fine, its data plan lacks the feed."""
    if response.status_code != 403:
        return None
    try:
        message = msgspec.json.decode(response.content, type=dict[str, object]).get("message")
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if not isinstance(message, str) or "subscription" not in message.lower():
        return None
    return NotInPlan(
        f"alpaca: not included in your plan (HTTP 403: {message}); set "
        'providers.alpaca.rest.feed = "iex" (or "delayed_sip"), ask for data older than 15 '
        "minutes, or subscribe to Algo Trader Plus"
    )


class _Paged(Protocol):
    @property
    def next_page_token(self) -> str | None: ...


P = TypeVar("P", bound=_Paged)


def timeframe(interval: str) -> str:
    """Alpaca's ``timeframe`` for an interval, or ``UnsupportedRequest``."""
    try:
        iv = Interval.parse(interval)
    except IntervalError as exc:
        raise UnsupportedRequest(f"alpaca: {exc}") from None
    n, unit = iv.count, iv.unit
    if unit == "m" and n <= 59:
        return f"{n}Min"
    if unit == "h" and n <= 23:
        return f"{n}Hour"
    if unit == "d" and n == 1:
        return "1Day"
    if unit == "w" and n == 1:
        return "1Week"
    if unit == "mo" and n in MONTHS:
        return f"{n}Month"
    raise UnsupportedRequest(
        f"alpaca: no {interval} bars (timeframes: 1-59m, 1-23h, 1d, 1w, 1/2/3/4/6/12mo)"
    )


class AlpacaHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars", "trades", "quotes", "corporate_actions"})

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        section = provider_section(config, "alpaca", AlpacaConfig)
        self.settings = section.rest
        self.feed = self.settings.feed or (section.feed if section.feed != "test" else "iex")
        self.venue = self.settings.venue or ("IEX" if self.feed == "iex" else "US")
        super().__init__(config, limiter, self.settings, classify=classify)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        timeframe(interval)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        frame = timeframe(interval)
        canonical_interval = str(Interval.parse(interval))
        daily = not Interval.parse(interval).intraday
        start_ns, end_ns = day_range_ns(start, end)
        params = self._range(start_ns, end_ns)
        params["timeframe"] = frame
        params["adjustment"] = self.settings.adjustment if adjusted else "raw"
        path = f"/v2/stocks/{self._symbol(symbol)}/bars"
        async for response, page in self._pages(path, params, "bars", parse.BarsPage):
            with self.client.reading(response, "bars page"):
                out = parse.bars(
                    page.bars or [],
                    symbol,
                    canonical_interval,
                    daily,
                    adjusted,
                    self.venue,
                    now_ns(),
                )
            yield within(in_time_order(out), start_ns, end_ns)

    async def trades(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Trade]]:
        start_ns, end_ns = day_range_ns(start, end)
        path = f"/v2/stocks/{self._symbol(symbol)}/trades"
        params = self._range(start_ns, end_ns)
        async for response, page in self._pages(path, params, "trades", parse.TradesPage):
            with self.client.reading(response, "trades page"):
                out = parse.trades(page.trades or [], symbol, self.venue, now_ns())
            yield within(in_time_order(out), start_ns, end_ns)

    async def quotes(self, symbol: str, start: date, end: date) -> AsyncIterator[list[Quote]]:
        start_ns, end_ns = day_range_ns(start, end)
        path = f"/v2/stocks/{self._symbol(symbol)}/quotes"
        params = self._range(start_ns, end_ns)
        async for response, page in self._pages(path, params, "quotes", parse.QuotesPage):
            with self.client.reading(response, "quotes page"):
                out = parse.quotes(page.quotes or [], symbol, self.venue, now_ns())
            yield within(in_time_order(out), start_ns, end_ns)

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        """Splits and dividends with an ex-date in ``[start, end]``, in one time-ordered page."""
        start_ns, end_ns = day_range_ns(start, end)
        params: dict[str, str | int | float] = {
            "symbols": to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map),
            "types": ACTION_TYPES,
            "start": (start - ACTION_MARGIN).isoformat(),
            "end": (end + ACTION_MARGIN).isoformat(),
            "limit": min(self.settings.page_limit, ACTION_PAGE_LIMIT),
            "sort": "asc",
        }
        out: list[CorporateAction] = []
        path = "/v1/corporate-actions"
        async for response, page in self._pages(
            path, params, "corporate_actions", parse.ActionsPage
        ):
            with self.client.reading(response, "corporate actions page"):
                out += parse.actions(page.corporate_actions, symbol, self.venue, now_ns())
        yield within(in_time_order(out), start_ns, end_ns)

    async def _pages(
        self, path: str, params: dict[str, str | int | float], endpoint: str, page_type: type[P]
    ) -> AsyncIterator[tuple[httpx.Response, P]]:
        """Every page with its response; ``next_page_token`` goes back as ``page_token``."""
        url = self.settings.url.rstrip("/") + path
        seen: set[str] = set()
        token: str | None = None
        while True:
            query: Params = {**params, "page_token": token} if token else params
            response = await self.client.get(url, query, headers=self._auth(), endpoint=endpoint)
            page = self.client.decode(response, page_type, f"{endpoint} page")
            yield response, page
            token = page.next_page_token
            if not token:
                return
            if token in seen:
                raise ProviderError(f"alpaca: next_page_token repeats itself on {path}")
            seen.add(token)

    def _range(self, start_ns: int, end_ns: int) -> dict[str, str | int | float]:
        return {
            "start": rfc3339(start_ns),
            "end": rfc3339(end_ns),
            "limit": self.settings.page_limit,
            "feed": self.feed,
            "sort": "asc",
        }

    def _auth(self) -> dict[str, str]:
        key_id, secret = (self.credential(name) for name in CREDENTIALS)
        return {"APCA-API-KEY-ID": key_id, "APCA-API-SECRET-KEY": secret}

    def _symbol(self, symbol: str) -> str:
        return quote(to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map), safe="")
