"""Alpha Vantage JSON (typed msgspec decode, numbers arrive as strings) → events.

Shape (https://www.alphavantage.co/documentation/#time-series-data): ``{"Meta Data": {...,
"N. Time Zone": "US/Eastern"}, "<Time Series (Daily)|Weekly Adjusted Time Series|Time Series
(5min)|…>": {"2024-01-02[ 09:30:00]": {"1. open": "…", "2. high", "3. low", "4. close",
"5. volume" | "5. adjusted close", "6. volume", "7. dividend amount", "8. split coefficient"}}}``,
newest first. Intraday keys are wall-clock times in the meta time zone. A 200 body may instead
hold ``"Note"``/``"Information"`` (throttling, premium-only endpoints) or ``"Error Message"``.
"""

from __future__ import annotations

from typing import Final
from zoneinfo import ZoneInfo

import msgspec

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.actions import day_actions
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
    dividend: float = msgspec.field(name="7. dividend amount", default=0.0)
    split: float = msgspec.field(name="8. split coefficient", default=1.0)


_top = msgspec.json.Decoder(dict[str, msgspec.Raw])
_meta = msgspec.json.Decoder(dict[str, str])
_series = msgspec.json.Decoder(dict[str, AVBar], strict=False)


class Notice(Exception):
    """The body is a note, not data: ``kind`` is ``Note``, ``Information`` or ``Error Message``."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind = kind
        self.text = text


def series(body: bytes) -> tuple[str, dict[str, AVBar]]:
    """``(time zone, {timestamp text: row})`` of a time-series response; ``Notice`` for notes,
    ``msgspec`` errors or ``ValueError`` for anything else that is not a time series."""
    top = _top.decode(body)
    for kind in ("Error Message", "Information", "Note"):
        if kind in top:
            raise Notice(kind, msgspec.json.decode(top[kind], type=str))
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


def corporate_actions(
    rows: dict[str, AVBar], symbol: str, venue: str, ts_recv: int
) -> list[CorporateAction]:
    """Dividends (``7. dividend amount`` > 0) and splits (``8. split coefficient`` ≠ 1)."""
    out = []
    for stamp, r in rows.items():
        out += day_actions(
            "alphavantage",
            symbol,
            venue,
            parse_date_ns(stamp),
            ts_recv,
            ratio=r.split if r.split != 1.0 else None,
            amount=r.dividend if r.dividend > 0 else None,
        )
    return out
