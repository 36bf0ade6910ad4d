"""NYSE Daily TAQ files: trades, exchange quotes (BBO splits) and NBBO, pipe-delimited, gzip.

Source (read 2026-12-02): NYSE *Daily TAQ Client Specification* v3.0 (2017-11-02) to v3.3
(https://www.nyse.com/publicdocs/nyse/data/Daily_TAQ_Client_Spec_v3.3.pdf), column lists as the
KxSystems ``kdb-taq`` loader (``tq.q``) reads them. Files carry a header row and are read **by
column name**, because columns moved between spec versions. ``Time`` (and the participant/TRF
timestamps) are ``HHMMSS`` plus 9 fractional digits, US/Eastern on the file's date (from the
``YYYYMMDD`` in its name, or given); they become int ns UTC. Prices are decimal strings.

Mapping: trades → ``Trade`` (venue ``TAQ``, ``exchange`` the TAQ exchange code, ``seq`` the
Sequence Number, ``trade_id``, ``conditions`` every Sale Condition character plus
``corr=NN`` when the correction indicator is not ``00``, ``tape`` the Source of Trade, TRF id and
time); BBO quotes → ``Quote`` (venue ``TAQ``, both exchanges the quote's exchange, the Quote
Condition kept); NBBO → ``Quote`` (venue ``NBBO``, the best bid/offer exchanges). A final
``END|…`` trailer line is skipped (its layout is not confirmed by a sample; open question).
Master (reference) files are read by ``taq_master.py``.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Final, Literal, TextIO, TypeVar
from zoneinfo import ZoneInfo

from mdc.domain.events import Event, Quote, Trade
from mdc.providers.nyse.parse import PROVIDER

TaqKind = Literal["trades", "quotes", "nbbo"]
EASTERN: Final = ZoneInfo("America/New_York")
BATCH: Final = 10_000
_DATE_RE: Final = re.compile(r"(\d{8})")
_TRADE_COLUMNS: Final = ("Time", "Exchange", "Symbol", "Trade Volume", "Trade Price")
_QUOTE_COLUMNS: Final = ("Time", "Exchange", "Symbol", "Bid_Price", "Offer_Price")
_NBBO_COLUMNS: Final = ("Time", "Symbol", "Best_Bid_Price", "Best_Offer_Price")
_BBO_FIELDS: Final = ("Bid_Price", "Bid_Size", "Offer_Price", "Offer_Size")
_NBBO_FIELDS: Final = ("Best_Bid_Price", "Best_Bid_Size", "Best_Offer_Price", "Best_Offer_Size")


T = TypeVar("T")


@dataclass
class RowTally:
    """Rows of a TAQ file read so far: how many, the bad ones (with examples), the trailer."""

    rows: int = 0
    bad_rows: int = 0
    bad_examples: list[str] = field(default_factory=list)
    trailer: str | None = None
    """The ``END|date|count`` line, as it was."""

    def parse(self, lines: Iterable[str], row: Callable[[list[str]], T]) -> Iterator[T]:
        """``row(fields)`` of every data line; a row that raises ``ValueError``/``IndexError``
        is counted and kept as an example (at most 10), never fatal."""
        for line in lines:
            line = line.rstrip("\r\n")
            if not line:
                continue
            fields = line.split("|")
            if fields[0] == "END":
                self.trailer = line
                continue
            self.rows += 1
            try:
                yield row(fields)
            except (ValueError, IndexError) as exc:
                self.bad_rows += 1
                if len(self.bad_examples) < 10:
                    self.bad_examples.append(f"row {self.rows}: {exc}: {line[:120]}")


class TaqError(ValueError):
    """The file is not a TAQ file this reader knows (the message says what is wrong)."""


def kind_of(name: str, header: list[str]) -> TaqKind:
    """Which TAQ file this is, by its name (``EQY_US_ALL_TRADE_…``) or else by its columns."""
    upper = name.upper()
    if "_TRADE_" in upper:
        return "trades"
    if "_NBBO_" in upper:
        return "nbbo"
    if "_BBO_" in upper:
        return "quotes"
    if all(c in header for c in _TRADE_COLUMNS):
        return "trades"
    if all(c in header for c in _NBBO_COLUMNS):
        return "nbbo"
    if all(c in header for c in _QUOTE_COLUMNS):
        return "quotes"
    raise TaqError(
        f"{name}: neither the name (EQY_US_ALL_TRADE_/SPLITS_US_ALL_BBO_/EQY_US_ALL_NBBO_) nor "
        f"the header names a TAQ trade, quote or NBBO file (columns: {'|'.join(header[:6])}…)"
    )


def file_date(path: Path) -> date:
    found = _DATE_RE.search(path.name)
    if found is None:
        raise TaqError(f"{path.name}: no YYYYMMDD in the name; pass the trading date (--date)")
    return datetime.strptime(found.group(1), "%Y%m%d").date()


def open_text(path: Path) -> TextIO:
    raw = path.open("rb")
    magic = raw.read(2)
    raw.seek(0)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.GzipFile(fileobj=raw), encoding="ascii", newline="")
    return io.TextIOWrapper(raw, encoding="ascii", newline="")


class _Clock:
    """``HHMMSSfffffffff`` on one Eastern date → int ns UTC."""

    def __init__(self, day: date) -> None:
        noon = datetime.combine(day, time(12), tzinfo=EASTERN)
        offset = noon.utcoffset()
        assert offset is not None
        midnight_utc = datetime.combine(day, time(0), tzinfo=UTC)
        self.base = int((midnight_utc - offset).timestamp()) * 1_000_000_000

    def ns(self, text: str) -> int:
        if len(text) < 6 or not text.isdigit():
            raise ValueError(f"time {text!r} is not HHMMSS plus fractional digits")
        frac = (text[6:] + "000000000")[:9]
        seconds = int(text[0:2]) * 3600 + int(text[2:4]) * 60 + int(text[4:6])
        return self.base + seconds * 1_000_000_000 + int(frac)

    def optional(self, text: str) -> int | None:
        text = text.strip()
        return self.ns(text) if text and text.strip("0") else None


class TaqReader(RowTally):
    """Events of one TAQ file in batches; rows that do not parse are counted and kept aside."""

    def __init__(self, path: Path, day: date | None = None) -> None:
        super().__init__()
        self.path = path
        self.day = day if day is not None else file_date(path)
        self.clock = _Clock(self.day)
        self.kind: TaqKind | None = None

    def batches(self) -> Iterator[list[Event]]:
        with open_text(self.path) as f:
            header_line = f.readline().rstrip("\r\n")
            if not header_line:
                raise TaqError(f"{self.path.name}: empty file")
            header = header_line.split("|")
            self.kind = kind = kind_of(self.path.name, header)
            col = {name: i for i, name in enumerate(header)}
            needed = {"trades": _TRADE_COLUMNS, "quotes": _QUOTE_COLUMNS, "nbbo": _NBBO_COLUMNS}
            missing = [c for c in needed[kind] if c not in col]
            if missing:
                raise TaqError(f"{self.path.name}: header lacks {', '.join(missing)}")
            parsers: dict[TaqKind, Callable[[list[str], dict[str, int]], Event]] = {
                "trades": self._trade,
                "quotes": self._quote,
                "nbbo": self._nbbo,
            }
            row_to_event = parsers[kind]
            batch: list[Event] = []
            for event in self.parse(f, lambda fields: row_to_event(fields, col)):
                batch.append(event)
                if len(batch) >= BATCH:
                    yield batch
                    batch = []
            if batch:
                yield batch

    @staticmethod
    def _get(fields: list[str], col: dict[str, int], name: str) -> str:
        i = col.get(name)
        return fields[i].strip() if i is not None and i < len(fields) else ""

    def _trade(self, f: list[str], col: dict[str, int]) -> Trade:
        get = self._get
        ts = self.clock.ns(f[col["Time"]])
        conditions = [c for c in get(f, col, "Sale Condition") if c != " "]
        correction = get(f, col, "Trade Correction Indicator")
        if correction and correction != "00":
            conditions.append(f"corr={correction}")
        seq = get(f, col, "Sequence Number")
        trf = get(f, col, "Trade Reporting Facility")
        return Trade(
            symbol=f[col["Symbol"]].strip(),
            venue="TAQ",
            provider=PROVIDER,
            ts_event=ts,
            ts_recv=ts,
            seq=int(seq) if seq else None,
            price=float(f[col["Trade Price"]]),
            size=float(f[col["Trade Volume"]]),
            trade_id=get(f, col, "Trade Id") or None,
            exchange=f[col["Exchange"]].strip(),
            conditions=conditions,
            tape=get(f, col, "Source of Trade") or None,
            trf_id=trf or None,
            trf_ts=self.clock.optional(get(f, col, "Trade Reporting Facility TRF Timestamp")),
        )

    def _quote(self, f: list[str], col: dict[str, int]) -> Quote:
        exchange = f[col["Exchange"]].strip()
        condition = self._get(f, col, "Quote_Condition")
        conditions = [condition] if condition else []
        return self._make_quote(f, col, "TAQ", _BBO_FIELDS, exchange, exchange, conditions)

    def _nbbo(self, f: list[str], col: dict[str, int]) -> Quote:
        get = self._get
        conditions = [
            c
            for c in (
                get(f, col, "Quote_Condition"),
                get(f, col, "BestBidQuoteCondition"),
                get(f, col, "Best_Offer_Quote_Condition"),
            )
            if c
        ]
        return self._make_quote(
            f,
            col,
            "NBBO",
            _NBBO_FIELDS,
            get(f, col, "Best_Bid_Exchange") or None,
            get(f, col, "Best_Offer_Exchange") or None,
            conditions,
        )

    def _make_quote(
        self,
        f: list[str],
        col: dict[str, int],
        venue: str,
        names: tuple[str, str, str, str],
        bid_exchange: str | None,
        ask_exchange: str | None,
        conditions: list[str],
    ) -> Quote:
        """A quote row of either kind; ``names`` are its bid/ask price and size columns."""
        get = self._get
        ts = self.clock.ns(f[col["Time"]])
        seq = get(f, col, "Sequence_Number")
        bid, bid_size, ask, ask_size = names
        return Quote(
            symbol=f[col["Symbol"]].strip(),
            venue=venue,
            provider=PROVIDER,
            ts_event=ts,
            ts_recv=ts,
            seq=int(seq) if seq else None,
            bid_price=float(f[col[bid]]),
            bid_size=float(get(f, col, bid_size) or 0),
            ask_price=float(f[col[ask]]),
            ask_size=float(get(f, col, ask_size) or 0),
            bid_exchange=bid_exchange,
            ask_exchange=ask_exchange,
            conditions=conditions,
            tape=get(f, col, "Source_Of_Quote") or None,
        )
