"""Stooq CSV history: daily, weekly, monthly, quarterly and yearly bars, adjusted.

Sources, read 2026-12-02: Stooq itself publishes no API documentation, so nothing official could
be found on how the key is passed. ``/q/d/l/?s=<ticker>.<market>&d1=YYYYMMDD&d2=YYYYMMDD
&i=d|w|m|q|y`` is the CSV link of its download page (https://stooq.com/q/d/?s=aapl.us); the
third-party description at https://apis.apis.io/apis/stooq/historical-data-api/ (with its
query-parameter schema https://schemas.apis.io/schemas/stooq/stooq-query-parameters/) and
https://github.com/pydata/pandas-datareader/issues/1012 (2026-04) say that since about March
2026 every download needs a key from https://stooq.com/q/d/?s=spy.us&get_apikey in the
``apikey`` query parameter, and that a request without one gets an HTML page (HTTP 200) instead
of CSV. The parameter's name is therefore a setting (``api_key_param``).

So ``STOOQ_API_KEY`` is a credential like any other (environment, or the OS keyring through
``mdc credentials set STOOQ_API_KEY``), and a web page where CSV was expected is reported as
"Stooq returned a web page, not CSV: set STOOQ_API_KEY …" (a ``CredentialsError``, so a failover
chain moves on), never as a CSV parse error.

Stooq's prices are adjusted (splits and dividends), so only ``adjusted=True`` is served. Daily
bars are dated by session; weekly and longer bars keep the date Stooq gives them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Final

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import now_ns
from mdc.providers.base import CredentialsError, RateLimited, UnsupportedRequest
from mdc.providers.paging import in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.stooq import SPEC, parse
from mdc.providers.stooq.config import KEY_PAGE, StooqConfig
from mdc.providers.symbols import to_provider

API_KEY_ENV: Final = "STOOQ_API_KEY"
PERIODS: Final[dict[str, str]] = {"1d": "d", "1w": "w", "1mo": "m", "1q": "q", "1y": "y"}


def period(interval: str) -> str:
    try:
        key = str(Interval.parse(interval))
    except IntervalError as exc:
        raise UnsupportedRequest(f"stooq: {exc}") from None
    if key not in PERIODS:
        raise UnsupportedRequest(f"stooq: no {interval} bars (1d, 1w, 1mo, 1q, 1y)")
    return PERIODS[key]


class StooqHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars"})
    raw_bars = False

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "stooq", StooqConfig)
        super().__init__(config, limiter, self.settings.rest)

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        period(interval)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        code = period(interval)
        if not adjusted:
            raise UnsupportedRequest("stooq: prices are adjusted; raw bars are not served")
        params: dict[str, str | int | float] = {
            "s": to_provider(
                symbol, self.spec.symbol_style, self.settings.symbol_map, self.settings.market
            ),
            "d1": start.strftime("%Y%m%d"),
            "d2": end.strftime("%Y%m%d"),
            "i": code,
        }
        params[self.settings.api_key_param] = self.credential(API_KEY_ENV)
        response = await self.client.get(self.settings.base_url.rstrip("/") + "/q/d/l/", params)
        try:
            with self.client.reading(response, "CSV"):
                rows = parse.rows(response.text)
                out = parse.bars(
                    rows, symbol, str(Interval.parse(interval)), self.settings.venue, now_ns()
                )
        except parse.QuotaExceeded as exc:
            raise RateLimited(f"stooq: {self.client.redact(str(exc))}") from None
        except parse.WebPage as page:
            said = f" (page title {page.title!r})" if page.title else ""
            raise CredentialsError(
                f"stooq: Stooq returned a web page, not CSV{self.client.redact(said)}: set "
                f"{API_KEY_ENV} to a valid key from {KEY_PAGE} (sent as the "
                f"{self.settings.api_key_param!r} query parameter, providers.stooq.api_key_param)"
            ) from None
        start_ns, end_ns = day_range_ns(start, end)
        yield within(in_time_order(out), start_ns, end_ns)
