"""Where Lean keeps a file: zip path, entry name, and what a path says about its content.

Rules from Lean's ``Common/Util/LeanData.cs`` (``GenerateRelativeZipFileDirectory``,
``GenerateZipFileName``, ``GenerateZipEntryName``), pinned by ``Tests/Common/Util/LeanDataTests.cs``
(QuantConnect/Lean at commit 24863901, read 2026-12-03 via ``../shared/research/lean-format.md``):

- ``<type>/<market>/<res>/<ticker>/<yyyyMMdd>_<tick>.zip`` for tick, second and minute files;
- ``equity/usa/<res>/<ticker>.zip`` for equity hour/daily (trades only);
- ``crypto/<market>/<res>/<ticker>_<tick>.zip`` for crypto hour/daily;
- one entry per zip: ``<d>_<ticker>_Trade_Tick.csv`` (equity ticks, PascalCase),
  ``<d>_<ticker>_tick_trade.csv`` (crypto ticks), ``<d>_<ticker>_minute_quote.csv``,
  ``<ticker>.csv`` (hour/daily).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Final, Literal, get_args

SecurityType = Literal["equity", "crypto"]
Resolution = Literal["tick", "second", "minute", "hour", "daily"]
TickType = Literal["trade", "quote"]

RESOLUTIONS: Final[tuple[Resolution, ...]] = get_args(Resolution)
INTRADAY: Final = frozenset({"tick", "second", "minute"})
BAR_INTERVALS: Final[dict[Resolution, str]] = {
    "second": "1s",
    "minute": "1m",
    "hour": "1h",
    "daily": "1d",
}
"""The mdc ``Bar.interval`` of each Lean bar resolution."""
EQUITY_MARKET: Final = "usa"

_INTRADAY_ZIP: Final = re.compile(r"^(\d{8})_(trade|quote)\.zip$")
_LONG_CRYPTO_ZIP: Final = re.compile(r"^(.+)_(trade|quote)\.zip$")


@dataclass(frozen=True)
class LeanFile:
    """One Lean data zip: a (security type, market, resolution, ticker, tick type[, day])."""

    security_type: SecurityType
    market: str
    resolution: Resolution
    ticker: str
    """Lowercase, as Lean writes it (``spy``, ``btcusd``)."""
    tick_type: TickType
    day: date | None = None
    """The file's date in the data time zone; ``None`` for hour/daily (one file per ticker)."""

    def __post_init__(self) -> None:
        if (self.day is None) == (self.resolution in INTRADAY):
            raise ValueError(
                f"{self.resolution} files {'need' if self.day is None else 'have no'} a date"
            )
        if self.security_type == "equity" and self.tick_type == "quote" and self.day is None:
            raise ValueError("Lean has no equity hour/daily quote files (IsValidConfiguration)")

    @property
    def rel_path(self) -> str:
        """The zip's path relative to the data root (``/``-separated)."""
        base = f"{self.security_type}/{self.market}/{self.resolution}"
        if self.day is not None:
            return f"{base}/{self.ticker}/{self.day:%Y%m%d}_{self.tick_type}.zip"
        if self.security_type == "equity":
            return f"{base}/{self.ticker}.zip"
        return f"{base}/{self.ticker}_{self.tick_type}.zip"

    @property
    def entry_name(self) -> str:
        """The name of the single CSV entry inside the zip."""
        if self.day is None:
            return f"{self.ticker}.csv"
        d = f"{self.day:%Y%m%d}"
        if self.resolution == "tick" and self.security_type == "equity":
            return f"{d}_{self.ticker}_{self.tick_type.capitalize()}_Tick.csv"
        return f"{d}_{self.ticker}_{self.resolution}_{self.tick_type}.csv"


def parse_path(rel: str) -> LeanFile | None:
    """The :class:`LeanFile` a relative path names, or ``None`` when it is not a Lean data zip
    of a supported kind (factor/map files, options, futures, …)."""
    parts = rel.split("/")
    if len(parts) < 4 or parts[0] not in ("equity", "crypto") or parts[2] not in RESOLUTIONS:
        return None
    sec: SecurityType = "equity" if parts[0] == "equity" else "crypto"
    market, res = parts[1], _resolution(parts[2])
    try:
        if res in INTRADAY:
            if len(parts) != 5:
                return None
            m = _INTRADAY_ZIP.match(parts[4])
            if not m:
                return None
            day = datetime.strptime(m.group(1), "%Y%m%d").date()
            return LeanFile(sec, market, res, parts[3], _tick(m.group(2)), day)
        if len(parts) != 4 or not parts[3].endswith(".zip"):
            return None
        if sec == "equity":
            return LeanFile(sec, market, res, parts[3][:-4], "trade")
        m = _LONG_CRYPTO_ZIP.match(parts[3])
        return LeanFile(sec, market, res, m.group(1), _tick(m.group(2))) if m else None
    except ValueError:
        return None


def _resolution(text: str) -> Resolution:
    for r in RESOLUTIONS:
        if r == text:
            return r
    raise ValueError(text)


def _tick(text: str) -> TickType:
    return "trade" if text == "trade" else "quote"
