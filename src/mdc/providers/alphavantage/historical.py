"""Alpha Vantage history: intraday bars one month per request, daily/weekly/monthly bars (raw or
adjusted), dividends and splits.

Docs used (read 2026-12-02): https://www.alphavantage.co/documentation/ — ``TIME_SERIES_INTRADAY``
(``interval`` 1min 5min 15min 30min 60min, ``month=YYYY-MM``, ``adjusted``, ``extended_hours``,
``outputsize``), ``TIME_SERIES_DAILY`` (``outputsize=full`` premium), ``TIME_SERIES_DAILY_ADJUSTED``
(premium), ``TIME_SERIES_WEEKLY[_ADJUSTED]``, ``TIME_SERIES_MONTHLY[_ADJUSTED]``, ``DIVIDENDS``
and ``SPLITS`` (``{"symbol", "data": [...]}``, free); the key goes in the ``apikey`` query
parameter (masked in every log and error). Which endpoints a free key may call is marked on that
page and confirmed by its maintainers in https://github.com/RomelTorres/alpha_vantage/issues/349.

So by default (``premium = false``) only what a free key can do is asked for: raw daily bars of
the latest 100 sessions (``compact``; an older range is refused with a message naming the fix
instead of coming back empty), adjusted bars only weekly, monthly and intraday, corporate
actions from ``DIVIDENDS`` and ``SPLITS``. Alpha Vantage reports throttling and premium-only
requests as a ``Note`` or ``Information`` object in an HTTP 200 body: throttling becomes
``RateLimited`` (per-minute notes carry ``retry_after=60``), a premium notice ``NotInPlan``
("not included in your plan", not a bad key), a rejected key ``CredentialsError``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Final

import httpx
import msgspec

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import NS_PER_DAY, now_ns
from mdc.providers.alphavantage import SPEC, parse
from mdc.providers.alphavantage.config import AlphaVantageConfig
from mdc.providers.base import (
    CredentialsError,
    NotFound,
    NotInPlan,
    ProviderError,
    RateLimited,
    UnsupportedRequest,
)
from mdc.providers.paging import in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider

CREDENTIALS: Final = ("ALPHAVANTAGE_API_KEY",)
INTRADAY: Final[dict[str, str]] = {
    "1m": "1min",
    "5m": "5min",
    "15m": "15min",
    "30m": "30min",
    "60m": "60min",
    "1h": "60min",
}
FUNCTIONS: Final[dict[str, str]] = {
    "1d": "TIME_SERIES_DAILY",
    "1w": "TIME_SERIES_WEEKLY",
    "1mo": "TIME_SERIES_MONTHLY",
}
RATE_WORDS: Final = ("rate limit", "call frequency", "requests per day", "calls per minute")
KEY_WORDS: Final = ("apikey", "api key")
PREMIUM_WORD: Final = "premium"
COMPACT_POINTS: Final = 100
"""Sessions a ``compact`` daily series holds."""
PLAN_HINT: Final = (
    "use a premium key (and set providers.alphavantage.premium = true) or another provider"
)


def months(start: date, end: date) -> list[str]:
    """``YYYY-MM`` of every month that ``start..end`` touches."""
    out = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def plan(interval: str) -> tuple[Interval, str | None, str | None]:
    """``(interval, intraday interval value, daily+ function)``, or ``UnsupportedRequest``."""
    try:
        iv = Interval.parse(interval)
    except IntervalError as exc:
        raise UnsupportedRequest(f"alphavantage: {exc}") from None
    key = str(iv)
    if key in INTRADAY:
        return iv, INTRADAY[key], None
    if key in FUNCTIONS:
        return iv, None, FUNCTIONS[key]
    raise UnsupportedRequest(f"alphavantage: no {interval} bars (1m 5m 15m 30m 1h 1d 1w 1mo)")


class AlphaVantageHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars", "corporate_actions"})

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "alphavantage", AlphaVantageConfig)
        super().__init__(config, limiter, self.settings.rest)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        _, _, function = plan(interval)
        if function == "TIME_SERIES_DAILY" and adjusted and not self.settings.premium:
            raise NotInPlan(
                "alphavantage: adjusted daily bars (TIME_SERIES_DAILY_ADJUSTED) are not included "
                f"in a free plan; ask for raw bars (adjusted = false), or {PLAN_HINT}"
            )

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        self.check_bars(interval, adjusted)
        iv, intraday, function = plan(interval)
        start_ns, end_ns = day_range_ns(start, end)
        venue = self.settings.venue
        if intraday is not None:
            for month in months(start, end):
                params = {
                    "function": "TIME_SERIES_INTRADAY",
                    "interval": intraday,
                    "month": month,
                    "adjusted": "true" if adjusted else "false",
                    "extended_hours": "true" if self.settings.extended_hours else "false",
                    "outputsize": "full",
                }
                response, zone, rows = await self._series(symbol, params)
                with self.client.reading(response, "time series"):
                    out = parse.bars(rows, zone, symbol, str(iv), True, adjusted, venue, now_ns())
                yield within(in_time_order(out), start_ns, end_ns)
            return
        assert function is not None
        params = {"function": function + ("_ADJUSTED" if adjusted else "")}
        compact = False
        if function == "TIME_SERIES_DAILY":
            default = "full" if self.settings.premium else "compact"
            outputsize = self.settings.outputsize or default
            params["outputsize"] = outputsize
            compact = outputsize == "compact"
        response, zone, rows = await self._series(symbol, params)
        with self.client.reading(response, "time series"):
            out = parse.bars(rows, zone, symbol, str(iv), False, adjusted, venue, now_ns())
        ordered = in_time_order(out)
        if compact and len(ordered) >= COMPACT_POINTS and ordered[0].ts_event > start_ns:
            first = date(1970, 1, 1) + timedelta(days=ordered[0].ts_event // NS_PER_DAY)
            raise NotInPlan(
                f"alphavantage: a free key's daily series covers only the latest "
                f"{COMPACT_POINTS} sessions (from {first}), not "
                f"{start}; the whole history (outputsize=full) is not included in a free plan: "
                f"{PLAN_HINT}"
            )
        yield within(ordered, start_ns, end_ns)

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        """``DIVIDENDS`` then ``SPLITS`` (each the whole history; both free), merged."""
        venue = self.settings.venue
        actions: list[CorporateAction] = []
        for function in ("DIVIDENDS", "SPLITS"):
            response, rows = await self._actions(symbol, function)
            with self.client.reading(response, function):
                if function == "DIVIDENDS":
                    actions += parse.dividends(rows, symbol, venue, now_ns())
                else:
                    actions += parse.splits(rows, symbol, venue, now_ns())
        start_ns, end_ns = day_range_ns(start, end)
        yield within(in_time_order(actions), start_ns, end_ns)

    async def _query(self, symbol: str, params: dict[str, str]) -> httpx.Response:
        key = self.credential("ALPHAVANTAGE_API_KEY")
        query: dict[str, str | int | float] = {
            **params,
            "symbol": to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map),
            "datatype": "json",
            "apikey": key,
        }
        return await self.client.get(self.settings.base_url, query, endpoint=params["function"])

    async def _actions(
        self, symbol: str, function: str
    ) -> tuple[httpx.Response, list[dict[str, str]]]:
        response = await self._query(symbol, {"function": function})
        try:
            rows = parse.action_rows(response.content)
        except parse.Notice as notice:
            raise self._notice(notice) from None
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            raise self.client.malformed(response, function, str(exc)) from None
        return response, rows

    async def _series(
        self, symbol: str, params: dict[str, str]
    ) -> tuple[httpx.Response, str, dict[str, parse.AVBar]]:
        response = await self._query(symbol, params)
        try:
            zone, rows = parse.series(response.content)
        except parse.Notice as notice:
            raise self._notice(notice) from None
        except (msgspec.DecodeError, msgspec.ValidationError, ValueError) as exc:
            raise self.client.malformed(response, "time series", str(exc)) from None
        return response, zone, rows

    def _notice(self, notice: parse.Notice) -> ProviderError:
        """A ``Note``/``Information``/``Error Message`` body as the error it stands for."""
        text = self.client.redact(" ".join(notice.text.split()))
        lowered = text.lower()
        message = f"alphavantage: {notice.kind}: {text}"
        if notice.kind != "Error Message" and any(w in lowered for w in RATE_WORDS):
            retry_after = 60.0 if "per minute" in lowered else None
            return RateLimited(message, retry_after)
        if notice.kind != "Error Message" and PREMIUM_WORD in lowered:
            return NotInPlan(f"alphavantage: not included in your plan: {text}; {PLAN_HINT}")
        if any(w in lowered for w in KEY_WORDS):
            return CredentialsError(f"{message}; check {', '.join(CREDENTIALS)}")
        if notice.kind == "Error Message" and "invalid api call" in lowered:
            return NotFound(
                f"{message}; check the symbol (non-US listings need a suffix through "
                "providers.alphavantage.symbol_map, e.g. VOD = VOD.LON)"
            )
        return ProviderError(message)
