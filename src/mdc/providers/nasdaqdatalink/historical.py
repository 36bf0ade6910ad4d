"""Nasdaq Data Link history: daily bars (raw or adjusted), dividends and splits.

Docs used (read 2026-12-02):
https://docs.data.nasdaq.com/docs/in-depth-usage-1 (Tables API: ``/datatables/<code>.json``,
row filters with ``.gte``/``.lte``, ``qopts.per_page``, ``qopts.cursor_id`` paging, rows come
unsorted), https://docs.data.nasdaq.com/docs/large-table-download (filter operators),
https://help.data.nasdaq.com/article/490-is-there-a-rate-limit-or-speed-limit-for-api-usage.
The time-series API (``/datasets/<database>/<dataset>/data.json?start_date&end_date&order=asc``)
serves a ``dataset`` such as ``WIKI/{symbol}`` when one is configured.

The key goes in the ``X-Api-Token`` header, as the official client sends it
(``nasdaqdatalink/connection.py`` of https://github.com/Nasdaq/data-link-python, commit 431094f,
``headers = {'x-api-token': ApiConfig.api_key, …}``), so it never appears in a URL. Error codes
follow that client's ``handle_api_error`` (``QE<letter>x…``): ``QEAx`` an unrecognised key
(``CredentialsError``), ``QEPx`` a table or dataset the key's plan does not include
(``NotInPlan``: premium tables such as the default ``QUOTEMEDIA/PRICES`` or ``SHARADAR/SEP`` need
that table's subscription; free data such as ``WIKI/PRICES`` stopped updating in 2018),
``QELx`` a rate limit (retried, HTTP 429). Because table rows
are unsorted, every cursor page of a request is read before the sorted bars are yielded as one
page; daily data keeps that small. A response without adjusted columns cannot serve adjusted
bars (``UnsupportedRequest``), nor corporate actions without dividend and split columns.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from functools import partial
from typing import Final
from urllib.parse import quote

import httpx
import msgspec

from mdc.config.load import provider_section
from mdc.config.schema import Config
from mdc.domain.events import Bar, CorporateAction
from mdc.domain.interval import Interval, IntervalError, day_range_ns
from mdc.domain.time import now_ns
from mdc.providers.base import (
    CredentialsError,
    NotInPlan,
    ProviderError,
    UnsupportedRequest,
)
from mdc.providers.nasdaqdatalink import SPEC, parse
from mdc.providers.nasdaqdatalink.config import NasdaqDataLinkConfig
from mdc.providers.paging import in_time_order, within
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.rest_provider import RestHistorical
from mdc.providers.symbols import to_provider

CREDENTIALS: Final = ("NASDAQ_DATA_LINK_API_KEY",)
AUTH_CODE: Final = "QEAx"
"""Error-code prefix of an unrecognised key."""
PERMISSION_CODE: Final = "QEPx"
"""Error-code prefix of data the key may not read (no subscription)."""
KEY_HEADER: Final = "X-Api-Token"


def classify(response: httpx.Response, *, source: str) -> ProviderError | None:
    """``QEAx..`` (bad key) and ``QEPx..`` (no subscription to ``source``), sent with 400/403."""
    try:
        error = msgspec.json.decode(response.content, type=parse.ErrorBody).quandl_error
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    if error.code.startswith(AUTH_CODE):
        return CredentialsError(
            f"nasdaqdatalink: {error.code}: {error.message}; check {', '.join(CREDENTIALS)}"
        )
    if error.code.startswith(PERMISSION_CODE):
        return NotInPlan(
            f"nasdaqdatalink: {error.code}: {error.message}; {source} is not included in your "
            f"plan: subscribe to it on data.nasdaq.com, or set providers.nasdaqdatalink.datatable "
            "(or dataset) to data your key may read"
        )
    return None


class NasdaqDataLinkHistorical(RestHistorical):
    spec = SPEC
    serves = frozenset({"bars", "corporate_actions"})

    def __init__(self, config: Config, limiter: RateLimiter | None = None) -> None:
        self.settings = provider_section(config, "nasdaqdatalink", NasdaqDataLinkConfig)
        source = self.settings.dataset or self.settings.datatable
        super().__init__(
            config, limiter, self.settings.rest, classify=partial(classify, source=source)
        )

    def check_bars(self, interval: str, adjusted: bool | None) -> None:
        if not _is_daily(interval):
            raise UnsupportedRequest(f"nasdaqdatalink: daily bars only, not {interval}")

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        self.check_bars(interval, adjusted)
        response, table = await self._table(symbol, start, end)
        settings = self.settings
        try:
            with self.client.reading(response, "table"):
                out = parse.bars(
                    table,
                    settings.date_column,
                    settings.columns,
                    symbol,
                    adjusted,
                    settings.venue,
                    now_ns(),
                )
        except parse.MissingColumn as exc:
            raise UnsupportedRequest(f"nasdaqdatalink: {exc}") from None
        yield within(in_time_order(out), *day_range_ns(start, end))

    async def corporate_actions(
        self, symbol: str, start: date, end: date
    ) -> AsyncIterator[list[CorporateAction]]:
        response, table = await self._table(symbol, start, end)
        settings = self.settings
        try:
            with self.client.reading(response, "table"):
                out = parse.corporate_actions(
                    table, settings.date_column, settings.columns, symbol, settings.venue, now_ns()
                )
        except parse.MissingColumn as exc:
            raise UnsupportedRequest(f"nasdaqdatalink: {exc}") from None
        yield within(in_time_order(out), *day_range_ns(start, end))

    async def _table(
        self, symbol: str, start: date, end: date
    ) -> tuple[httpx.Response, parse.Table]:
        """Every row for ``symbol`` in ``start..end`` (all cursor pages) and the last response."""
        auth = {KEY_HEADER: self.credential("NASDAQ_DATA_LINK_API_KEY")}
        ticker = to_provider(symbol, self.spec.symbol_style, self.settings.symbol_map)
        base = self.settings.base_url.rstrip("/")
        if self.settings.dataset:
            code = self.settings.dataset.format(symbol=quote(ticker, safe=""))
            response = await self.client.get(
                f"{base}/datasets/{code}/data.json",
                {
                    "start_date": start.isoformat(),
                    "end_date": end.isoformat(),
                    "order": "asc",
                },
                headers=auth,
                endpoint="datasets",
            )
            data = self.client.decode(response, parse.DatasetPage, "dataset").dataset_data
            return response, parse.Table(data.column_names, data.data)
        date_column = self.settings.date_column
        params: dict[str, str | int | float] = {
            self.settings.symbol_column: ticker,
            f"{date_column}.gte": start.isoformat(),
            f"{date_column}.lte": end.isoformat(),
            "qopts.per_page": self.settings.per_page,
        }
        url = f"{base}/datatables/{self.settings.datatable}.json"
        names: list[str] | None = None
        rows: list[list[parse.Cell]] = []
        seen: set[str] = set()
        while True:
            response = await self.client.get(url, params, headers=auth, endpoint="datatables")
            page = self.client.decode(response, parse.TablePage, "table")
            page_names = [c.name for c in page.datatable.columns]
            if names is not None and page_names != names:
                raise self.client.malformed(response, "table", "columns changed between pages")
            names = page_names
            rows += page.datatable.data
            cursor = page.meta.next_cursor_id
            if not cursor:
                return response, parse.Table(names, rows)
            if cursor in seen:
                raise ProviderError(f"nasdaqdatalink: cursor {cursor!r} repeats itself")
            seen.add(cursor)
            params = {**params, "qopts.cursor_id": cursor}


def _is_daily(interval: str) -> bool:
    try:
        return str(Interval.parse(interval)) == "1d"
    except IntervalError:
        return False
