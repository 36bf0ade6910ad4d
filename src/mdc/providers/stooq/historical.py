"""Stooq CSV history: daily, weekly, monthly, quarterly and yearly bars, adjusted.

Sources: Stooq has no API documentation; ``/q/d/l/?s=<ticker>.<market>&d1=YYYYMMDD&d2=YYYYMMDD
&i=d|w|m|q|y`` is the CSV link of its download page (https://stooq.com/q/d/?s=aapl.us), described
at https://apis.apis.io/apis/stooq/historical-data-api/ together with the optional ``apikey``
parameter Stooq began asking for in 2026: set ``STOOQ_API_KEY`` if your downloads need one.

Stooq's prices are adjusted (splits and dividends), so only ``adjusted=True`` is served. Daily
bars are dated by session; weekly and longer bars keep the date Stooq gives them.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from datetime import date
from typing import Final

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar
from mdc.domain.time import now_ns
from mdc.providers.base import RateLimited, UnsupportedRequest
from mdc.providers.interval import Interval, IntervalError, day_range_ns
from mdc.providers.paging import in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.stooq import SPEC, parse
from mdc.providers.stooq.config import StooqConfig
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
        super().__init__(config, limiter, self.settings.rest, credential_env=(API_KEY_ENV,))

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        period(interval)

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        code = period(interval)
        if not adjusted:
            raise UnsupportedRequest("stooq: prices are adjusted; raw bars are not served")
        params: dict[str, str | int | float] = {
            "s": to_provider(symbol, "stooq", self.settings.symbol_map, self.settings.market),
            "d1": start.strftime("%Y%m%d"),
            "d2": end.strftime("%Y%m%d"),
            "i": code,
        }
        api_key = os.environ.get(API_KEY_ENV)
        if api_key:
            self.client.add_secret(api_key)
            params["apikey"] = api_key
        response = await self.client.get(self.settings.base_url.rstrip("/") + "/q/d/l/", params)
        try:
            with self.client.reading(response, "CSV"):
                rows = parse.rows(response.text)
                out = parse.bars(
                    rows, symbol, str(Interval.parse(interval)), self.settings.venue, now_ns()
                )
        except parse.QuotaExceeded as exc:
            raise RateLimited(f"stooq: {self.client.redact(str(exc))}") from None
        start_ns, end_ns = day_range_ns(start, end)
        yield within(in_time_order(out), start_ns, end_ns)
