"""Alpha Vantage JSON (typed msgspec decode, numbers arrive as strings) → events.

Shape (https://www.alphavantage.co/documentation/#time-series-data): ``{"Meta Data": {...,
"N. Time Zone": "US/Eastern"}, "<Time Series (Daily)|Weekly Adjusted Time Series|Time Series
(5min)|…>": {"2024-01-02[ 09:30:00]": {"1. open": "…", "2. high", "3. low", "4. close",
"5. volume" | "5. adjusted close", "6. volume", "7. dividend amount", "8. split coefficient"}}}``,
newest first. Intraday keys are wall-clock times in the meta time zone. ``DIVIDENDS`` answers
``{"symbol", "data": [{"ex_dividend_date", "declaration_date", "record_date", "payment_date",
"amount"}]}`` and ``SPLITS`` ``{"symbol", "data": [{"effective_date", "split_factor"}]}``
(strings; a date Alpha Vantage lacks is ``"None"``). A 200 body may instead hold
``"Note"``/``"Information"`` (throttling, premium-only requests) or ``"Error Message"``.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.timestamps import local_wall_ns, parse_date_ns

SERIES_MARK: Final = "Time Series"
ZONE_MARK: Final = "Time Zone"


class AVBar(msgspec.Struct):
    open: float = msgspec.field(name="1. open")
    high: float = msgspec.field(name="2. high")
    low: float = msgspec.field(name="3. low")
    close: float = msgspec.field(name="4. close")
    volume: float | None = msgspec.field(name="5. volume", default=None)
    adjusted_close: float | None = msgspec.field(name="5. adjusted close", default=None)
    adjusted_volume: float | None = msgspec.field(name="6. volume", default=None)


_top = msgspec.json.Decoder(dict[str, msgspec.Raw])
_meta = msgspec.json.Decoder(dict[str, str])
_series = msgspec.json.Decoder(dict[str, AVBar], strict=False)


class Notice(Exception):
    """The body is a note, not data: ``kind`` is ``Note``, ``Information`` or ``Error Message``."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


_rows = msgspec.json.Decoder(list[dict[str, str]])
NONE_TEXT: Final = "None"


def _check_notices(top: dict[str, msgspec.Raw]) -> None:
    for kind in ("Error Message", "Information", "Note"):
        if kind in top:
            raise Notice(kind, msgspec.json.decode(top[kind], type=str))


def action_rows(body: bytes) -> list[dict[str, str]]:
    """The ``data`` rows of a ``DIVIDENDS``/``SPLITS`` response; ``Notice`` for notes."""
    top = _top.decode(body)
    _check_notices(top)
    if "data" not in top:
        raise ValueError(f"expected a data list, found keys {sorted(top)}")
    return _rows.decode(top["data"])


def dividends(
    rows: list[dict[str, str]], symbol: str, venue: str, ts_recv: int
) -> list[CorporateAction]:
    """Cash dividends at their ex-date, with the payment date when Alpha Vantage has one."""
    out = []
    for r in rows:
        pay_date = r.get("payment_date")
        out.append(
            CorporateAction(
                symbol=symbol,
                venue=venue,
                provider="alphavantage",
                ts_event=parse_date_ns(r["ex_dividend_date"]),
                ts_recv=ts_recv,
                kind="dividend",
                amount=float(r["amount"]),
                pay_date=pay_date if pay_date and pay_date != NONE_TEXT else None,
            )
        )
    return out


def splits(
    rows: list[dict[str, str]], symbol: str, venue: str, ts_recv: int
) -> list[CorporateAction]:
    """``split_factor`` is new shares per old (``4.0000`` for a 4-for-1)."""
    return [
        CorporateAction(
            symbol=symbol,
            venue=venue,
            provider="alphavantage",
            ts_event=parse_date_ns(r["effective_date"]),
            ts_recv=ts_recv,
            kind="split",
            ratio=float(r["split_factor"]),
        )
        for r in rows
    ]


def series(body: bytes) -> tuple[str, dict[str, AVBar]]:
    """``(time zone, {timestamp text: row})`` of a time-series response; ``Notice`` for notes,
    ``msgspec`` errors or ``ValueError`` for anything else that is not a time series."""
    top = _top.decode(body)
    _check_notices(top)
    zone = "US/Eastern"
    if "Meta Data" in top:
        for key, value in _meta.decode(top["Meta Data"]).items():
            if key.endswith(ZONE_MARK):
                zone = value
    keys = [k for k in top if SERIES_MARK in k]
    if len(keys) != 1:
        raise ValueError(f"expected one time series, found keys {sorted(top)}")
    return zone, _series.decode(top[keys[0]])


def bars(
    rows: dict[str, AVBar],
    zone: str,
    symbol: str,
    interval: str,
    intraday: bool,
    adjusted: bool,
    venue: str,
    ts_recv: int,
) -> list[Bar]:
    """Adjusted series are scaled by ``adjusted close / close`` (splits and dividends)."""
    tz = ZoneInfo(zone)
    out = []
    for stamp, r in rows.items():
        o, h, lo, c = r.open, r.high, r.low, r.close
        volume = r.volume if r.volume is not None else r.adjusted_volume
        if volume is None:
            raise ValueError(f"{stamp}: no volume")
        if adjusted and not intraday:
            if r.adjusted_close is None:
                raise ValueError(f"{stamp}: no adjusted close")
            factor = r.adjusted_close / c if c else 1.0
            o, h, lo, c = o * factor, h * factor, lo * factor, r.adjusted_close
        out.append(
            Bar(
                symbol=symbol,
                venue=venue,
                provider="alphavantage",
                ts_event=local_wall_ns(stamp, tz) if intraday else parse_date_ns(stamp),
                ts_recv=ts_recv,
                interval=interval,
                open=o,
                high=h,
                low=lo,
                close=c,
                volume=volume,
                adjusted=adjusted,
            )
        )
    return out
