"""The archive in Lean's on-disk format (``mdc export lean``).

For each symbol and each date of the data time zone in the range, the exporter reads that day
from the archive and writes Lean's files:

- ``tick``: trades → ``…_trade.zip``, quotes → ``…_quote.zip``;
- ``second``/``minute``: the archive's bars of that interval (``Bar``, ``QuoteBar``) when the day
  has them, else bars built from the day's trades and quotes (``bars.py``), else (minute) from
  its 1-second bars;
- ``hour``/``daily``: the same choice (finer bars: 1-minute), all days in one file per ticker;
  a file already in the output is merged (rows of the same time replaced, others kept), as
  Lean's writer does;
- for equity, the factor file and map file of each ticker (``factors.py``).

Equity goes to ``equity/usa`` (New York time, prices ×10000); a pair (``BTC/USD``, ``ETH-USDT``)
goes to ``crypto/<venue>`` (UTC, no scaling), one folder per venue the archive holds it from
(``--market`` keeps one). Equity from several venues of one symbol goes to ``usa`` together.
Hour/daily equity quote files do not exist in Lean and are not written.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, tzinfo
from pathlib import Path
from typing import Final, Literal, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from mdc.domain.events import Bar, CorporateAction, Event, Quote, QuoteBar, Trade
from mdc.domain.time import NS_PER_DAY, date_to_ns, ns_to_date
from mdc.integrations.lean.bars import (
    Bucketer,
    quote_bars,
    rollup_bars,
    rollup_quote_bars,
    trade_bars,
)
from mdc.integrations.lean.codec import (
    Day,
    data_zone,
    lean_ticker,
    local_date,
    quote_bar_out,
    quote_tick_out,
    trade_bar_out,
    trade_tick_out,
)
from mdc.integrations.lean.factors import factor_file, factor_rows, map_file
from mdc.integrations.lean.paths import (
    BAR_INTERVALS,
    EQUITY_MARKET,
    INTRADAY,
    LeanFile,
    Resolution,
    SecurityType,
    TickType,
)
from mdc.integrations.lean.zipfiles import LeanZipError, payload, read_entry, rows, write_zip
from mdc.storage.archive import Archive

SecurityChoice = Literal["auto", "equity", "crypto"]
E = TypeVar("E", bound=Event)
CRYPTO_ALIASES = {"gdax": "coinbase"}
FINER: Final[dict[Resolution, str]] = {"minute": "1s", "hour": "1m", "daily": "1m"}
"""The stored bars a resolution is rolled up from when the archive has neither its bars nor
ticks."""


@dataclass
class ExportedFile:
    rel: str
    rows: int
    source: str
    """What the rows were made from: ``trades``, ``quotes``, ``bars``, ``quote_bars``."""


@dataclass
class ExportResult:
    files: list[ExportedFile] = field(default_factory=list)
    empty: list[str] = field(default_factory=list)
    """Symbols that had no data of the resolution in the range (nothing written)."""
    problems: list[str] = field(default_factory=list)
    """What could not be exported exactly (a dividend without a reference close, …)."""


def security_type_of(symbol: str, choice: SecurityChoice = "auto") -> SecurityType:
    """``choice`` unless ``auto``: a pair with ``/`` or ``-`` is crypto, anything else equity."""
    if choice != "auto":
        return choice
    return "crypto" if "/" in symbol or "-" in symbol else "equity"


def days(start: date, end: date) -> Iterator[date]:
    d = start
    while d <= end:
        yield d
        d += timedelta(days=1)


class LeanExporter:
    """Writes one request's files under ``out`` (Lean's data root)."""

    def __init__(
        self,
        archive: Archive,
        out: Path,
        resolution: Resolution,
        security: SecurityChoice = "auto",
        market: str | None = None,
        on_file: Callable[[ExportedFile], None] | None = None,
        factor_files: bool = True,
    ) -> None:
        self.archive = archive
        self.out = out
        self.resolution: Resolution = resolution
        self.security: SecurityChoice = security
        self.market = market
        self.on_file = on_file
        self.factor_files = factor_files
        self.result = ExportResult()

    def export(self, symbols: Sequence[str], start: date, end: date) -> ExportResult:
        for symbol in symbols:
            self._symbol(symbol, start, end)
        return self.result

    # -- per symbol --------------------------------------------------------------------------
    def _symbol(self, symbol: str, start: date, end: date) -> None:
        sec = security_type_of(symbol, self.security)
        zone = data_zone(sec)
        ticker = lean_ticker(symbol, sec)
        tick_types: tuple[TickType, ...] = ("trade", "quote")
        if sec == "equity" and self.resolution not in INTRADAY:
            tick_types = ("trade",)
        written = len(self.result.files)
        for tick in tick_types:
            if self.resolution in INTRADAY:
                for d in self._days_with_data(symbol, tick, start, end, zone):
                    day = Day(d, zone)
                    events, source = self._day_events(symbol, sec, day, tick)
                    for market, group in self._markets(sec, events).items():
                        lines = self._lines(group, sec, day)
                        file = LeanFile(sec, market, self.resolution, ticker, tick, d)
                        self._write(file, lines, source)
                continue
            events, source = self._long_events(symbol, sec, tick, start, end)
            for market, group in self._markets(sec, events).items():
                lines = self._lines(group, sec, None)
                file = LeanFile(sec, market, self.resolution, ticker, tick)
                self._merge_write(file, [(line.split(",", 1)[0], line) for line in lines], source)
        if len(self.result.files) == written:
            self.result.empty.append(symbol)
        elif sec == "equity" and self.factor_files:
            self._auxiliary(symbol, ticker)

    def _markets(self, sec: SecurityType, events: list[Event]) -> dict[str, list[Event]]:
        """Events by Lean market folder: all equity in ``usa``; crypto by venue (only the
        ``--market`` one when given)."""
        if sec == "equity":
            return {self.market or EQUITY_MARKET: events} if events else {}
        groups: dict[str, list[Event]] = {}
        for e in events:
            groups.setdefault(_market(sec, e.venue), []).append(e)
        if self.market is not None:
            return {self.market: groups[self.market]} if self.market in groups else {}
        return groups

    def _auxiliary(self, symbol: str, ticker: str) -> None:
        """Factor and map files from the symbol's whole history (factors are cumulative)."""
        actions = [
            e
            for e in self.archive.events("corporate_actions", symbol)
            if isinstance(e, CorporateAction)
        ]
        daily: list[Bar] = []
        if actions:
            daily = [
                e
                for e in self.archive.events("bars", symbol)
                if isinstance(e, Bar) and e.interval == "1d"
            ]
        first = self._first_day(symbol)
        factors = factor_rows(actions, daily, first)
        self.result.problems.extend(f"{symbol}: {p}" for p in factors.problems)
        base = f"equity/{self.market or EQUITY_MARKET}"
        for rel, body, n in (
            (f"{base}/factor_files/{ticker}.csv", factor_file(factors), len(factors.rows)),
            (f"{base}/map_files/{ticker}.csv", map_file(ticker, first or factors.rows[0].day), 2),
        ):
            path = self.out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.tmp")
            tmp.write_bytes(body)
            os.replace(tmp, path)
            self._record(ExportedFile(rel, n, "corporate_actions"))

    def _first_day(self, symbol: str) -> date | None:
        """The UTC date of the symbol's first trade, quote or bar (its first partition only)."""
        firsts = []
        for name in ("bars", "trades", "quotes", "quote_bars"):
            parts = self.archive.partitions(name, symbol)
            if parts:
                p = min(parts, key=lambda p: p.start_ns)
                table = self.archive.read(name, symbol, p.start_ns, p.end_ns, as_="arrow")
                if table.num_rows:
                    firsts.append(int(pc.min(table.column("ts_event").cast(pa.int64())).as_py()))
        return ns_to_date(min(firsts)) if firsts else None

    def _days_with_data(
        self, symbol: str, tick: TickType, start: date, end: date, zone: tzinfo
    ) -> list[date]:
        """Dates of the range whose data-zone day overlaps a stored partition (so a long range
        over a sparse archive costs what the archive holds, not one step per calendar day)."""
        if self.resolution == "tick":
            names = ["trades" if tick == "trade" else "quotes"]
        else:
            names = ["bars", "trades"] if tick == "trade" else ["quote_bars", "quotes"]
        lo_clamp = date_to_ns(start) - 2 * NS_PER_DAY
        hi_clamp = date_to_ns(end) + 2 * NS_PER_DAY
        out: set[date] = set()
        for n in names:
            for p in self.archive.partitions(n, symbol):
                lo, hi = max(p.start_ns, lo_clamp), min(p.end_ns, hi_clamp)
                if lo >= hi:
                    continue
                first = max(start, local_date(lo, zone))
                last = min(end, local_date(hi - 1, zone))
                out.update(days(first, last))
        return sorted(out)

    def _day_events(
        self, symbol: str, sec: SecurityType, day: Day, tick: TickType
    ) -> tuple[list[Event], str]:
        """One data-zone day of an intraday file: ticks, stored bars, or bars from ticks."""
        lo, hi = day.start_ns, day.end_ns
        if self.resolution == "tick":
            name = "trades" if tick == "trade" else "quotes"
            return _sorted(self._read(name, symbol, lo, hi)), name
        return self._bars(symbol, sec, tick, lo, hi, [day])

    def _long_events(
        self, symbol: str, sec: SecurityType, tick: TickType, start: date, end: date
    ) -> tuple[list[Event], str]:
        """All rows of an hour/daily file in the range: stored bars of the interval if the
        range has any, else bars built from the ticks of every day that has some."""
        zone = data_zone(sec)
        first, last = Day(start, zone), Day(end, zone)
        lo, hi = first.start_ns, last.end_ns
        if self.resolution == "daily":  # mdc stamps daily bars at midnight UTC of the date
            lo, hi = date_to_ns(start), date_to_ns(end) + NS_PER_DAY
        wanted = [Day(d, zone) for d in self._days_with_data(symbol, tick, start, end, zone)]
        return self._bars(symbol, sec, tick, lo, hi, wanted)

    def _bars(
        self, symbol: str, sec: SecurityType, tick: TickType, lo: int, hi: int, spans: list[Day]
    ) -> tuple[list[Event], str]:
        interval = BAR_INTERVALS[self.resolution]
        bars_name = "bars" if tick == "trade" else "quote_bars"
        stored: list[Event] = [
            e
            for e in self._read(bars_name, symbol, lo, hi)
            if isinstance(e, Bar | QuoteBar) and e.interval == interval
        ]
        if stored:
            return _sorted(stored), bars_name
        bucketer = Bucketer(self.resolution, sec, data_zone(sec))
        name = "trades" if tick == "trade" else "quotes"
        out: list[Event] = []
        for day in spans:
            by_venue: dict[str, list[Event]] = {}  # one venue's bars never mix with another's
            for e in _sorted(self._read(name, symbol, day.start_ns, day.end_ns)):
                by_venue.setdefault(e.venue, []).append(e)
            for ticks in by_venue.values():
                if tick == "trade":
                    out.extend(trade_bars([e for e in ticks if isinstance(e, Trade)], bucketer))
                else:
                    out.extend(quote_bars([e for e in ticks if isinstance(e, Quote)], bucketer))
        if out or self.resolution not in FINER:
            return _sorted(out), name
        return self._rollup(symbol, tick, spans, bucketer)

    def _rollup(
        self, symbol: str, tick: TickType, spans: list[Day], bucketer: Bucketer
    ) -> tuple[list[Event], str]:
        """No ticks either: coarser bars from the archive's finer bars (1s → minute,
        1m → hour/daily)."""
        finer = FINER[self.resolution]
        bars_name = "bars" if tick == "trade" else "quote_bars"
        out: list[Event] = []
        for day in spans:
            by_venue: dict[str, list[Event]] = {}
            for e in _sorted(self._read(bars_name, symbol, day.start_ns, day.end_ns)):
                if isinstance(e, Bar | QuoteBar) and e.interval == finer:
                    by_venue.setdefault(e.venue, []).append(e)
            for bars in by_venue.values():
                if tick == "trade":
                    out.extend(rollup_bars([b for b in bars if isinstance(b, Bar)], bucketer))
                else:
                    quotes = [b for b in bars if isinstance(b, QuoteBar)]
                    out.extend(rollup_quote_bars(quotes, bucketer))
        return _sorted(out), f"{bars_name} {finer}"

    def _read(self, type_name: str, symbol: str, lo: int, hi: int) -> list[Event]:
        return self.archive.events(type_name, symbol, lo, hi)

    def _lines(self, events: list[Event], sec: SecurityType, day: Day | None) -> list[str]:
        out = []
        for e in events:
            if isinstance(e, Trade) and day is not None:
                out.append(trade_tick_out(e, day, sec))
            elif isinstance(e, Quote) and day is not None:
                out.append(quote_tick_out(e, day, sec))
            elif isinstance(e, Bar):
                out.append(trade_bar_out(e, day, sec))
            elif isinstance(e, QuoteBar):
                out.append(quote_bar_out(e, day, sec))
        return out

    # -- files -------------------------------------------------------------------------------
    def _write(self, file: LeanFile, lines: list[str], source: str) -> None:
        write_zip(self.out / file.rel_path, file.entry_name, payload(lines))
        self._record(ExportedFile(file.rel_path, len(lines), source))

    def _record(self, exported: ExportedFile) -> None:
        self.result.files.append(exported)
        if self.on_file is not None:
            self.on_file(exported)

    def _merge_write(self, file: LeanFile, keyed: list[tuple[str, str]], source: str) -> None:
        merged: dict[str, str] = {}
        path = self.out / file.rel_path
        if path.exists():
            try:
                _, content = read_entry(path)
            except LeanZipError:
                content = b""  # an unreadable old file is replaced whole
            for row in rows(content):
                merged[row[0]] = ",".join(row)
        merged.update(keyed)
        self._write(file, [merged[k] for k in sorted(merged)], source)


def _sorted(events: list[E]) -> list[E]:
    return sorted(events, key=lambda e: e.ts_event)


def _market(sec: SecurityType, venue: str) -> str:
    if sec == "equity":
        return EQUITY_MARKET
    v = venue.lower()
    return CRYPTO_ALIASES.get(v, v)
