"""Stooq CSV (``Date,Open,High,Low,Close,Volume``) → bars, decoded row by row with msgspec.

A body of ``No data`` means an empty range; ``Exceeded the daily hits limit`` means the quota is
used up; an HTML page (HTTP 200) is what Stooq sends a request without a valid key, or a client
it takes for a bot, instead of CSV. Indices and some instruments have no ``Volume`` column.
"""

from __future__ import annotations

import csv
import html
import io
import re
from typing import Final

import msgspec

from mdc.domain.events import Bar
from mdc.providers.timestamps import parse_date_ns

NO_DATA: Final = "no data"
QUOTA: Final = "exceeded the daily hits limit"
HTML_MARKS: Final = ("<!doctype", "<html", "<head", "<body", "<script", "<meta", "<div")
_TITLE: Final = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class Row(msgspec.Struct):
    date: str
    open: float
    high: float
    low: float
    close: float
    volume: float = 0.0


class QuotaExceeded(Exception):
    """The body is Stooq's daily-quota notice instead of data."""


class WebPage(Exception):
    """The body is an HTML page (key page, interstitial), not CSV; ``title`` is its title."""

    def __init__(self, title: str) -> None:
        super().__init__(title)
        self.title = title


def web_page_title(text: str) -> str | None:
    """The page's title ("" if it has none) when ``text`` is HTML, ``None`` when it is not."""
    head = text.lstrip()[:2048].lower()
    if not head.startswith("<") and not any(mark in head for mark in HTML_MARKS):
        return None
    found = _TITLE.search(text[:8192])
    return " ".join(html.unescape(found.group(1)).split())[:120] if found else ""


def rows(text: str) -> list[Row]:
    """The CSV rows; ``ValueError`` for anything that is not Stooq's CSV."""
    stripped = text.strip()
    lowered = stripped.lower()
    if not stripped or lowered == NO_DATA:
        return []
    if QUOTA in lowered:
        raise QuotaExceeded(QUOTA.capitalize() if lowered.startswith("<") else stripped[:200])
    title = web_page_title(stripped)
    if title is not None:
        raise WebPage(title)
    reader = csv.reader(io.StringIO(stripped))
    header = [h.strip().lower() for h in next(reader)]
    if header[:5] != ["date", "open", "high", "low", "close"]:
        raise ValueError(f"unexpected CSV header {header!r}")
    out = []
    for line, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != len(header):
            raise ValueError(f"line {line} has {len(values)} fields, header has {len(header)}")
        try:
            out.append(msgspec.convert(dict(zip(header, values, strict=True)), Row, strict=False))
        except msgspec.ValidationError as exc:
            raise ValueError(f"line {line}: {exc}") from None
    return out


def bars(rows: list[Row], symbol: str, interval: str, venue: str, ts_recv: int) -> list[Bar]:
    return [
        Bar(
            symbol=symbol,
            venue=venue,
            provider="stooq",
            ts_event=parse_date_ns(r.date),
            ts_recv=ts_recv,
            interval=interval,
            open=r.open,
            high=r.high,
            low=r.low,
            close=r.close,
            volume=r.volume,
            adjusted=True,
        )
        for r in rows
    ]
