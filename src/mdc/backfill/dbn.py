"""Databento DBN files (``.dbn``, ``.dbn.zst``) → events, decoded by the ``databento-dbn``
package (the ``mdc[databento]`` extra).

Format read from https://databento.com/docs/standards-and-conventions/databento-binary-encoding
and https://databento.com/docs/schemas-and-data-formats (2026-12-03), and the package's own
type stubs. Prices are integers in units of 1e-9 (``FIXED_PRICE_SCALE``); ``UNDEF_PRICE``
means no price (an empty book side: stored as 0, size 0). Times are int ns UTC: ``ts_event``
is the matching engine's, ``ts_recv`` the capture server's.

* ``trades`` (``TradeMsg``) → ``Trade``: ``side`` is the aggressor (``B`` buy, ``A`` sell);
  ``sequence`` → ``seq``.
* ``mbp-1`` / ``tbbo`` (``MBP1Msg``), ``bbo-1s`` / ``bbo-1m`` (``BBOMsg``) → ``Quote`` from
  level 0; an MBP-1 record whose action is a trade is also a ``Trade``.
* ``ohlcv-1s|1m|1h|1d|eod`` (``OHLCVMsg``) → ``Bar`` (``eod`` as ``1d``).
* Other records (MBO, MBP-10, statistics, definitions, …) are counted by type and skipped.

Symbols: the instrument id is mapped to the requested symbol through the metadata's symbology
(per date) and the ``SymbolMappingMsg`` records of live data; an id with no mapping keeps its
number as the symbol (counted). ``venue`` is the dataset (``XNAS.ITCH``), ``provider``
``databento``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, Final

from mdc.backfill.csvrows import batched
from mdc.domain.events import Bar, Event, Quote, Side, Trade
from mdc.domain.time import ns_to_date

PROVIDER: Final = "databento"
CHUNK: Final = 1 << 20
_BAR_INTERVALS: Final = {
    "ohlcv-1s": "1s",
    "ohlcv-1m": "1m",
    "ohlcv-1h": "1h",
    "ohlcv-1d": "1d",
    "ohlcv-eod": "1d",
}


class DbnError(ValueError):
    """Not a readable DBN file, or the package is missing."""


def _dbn() -> Any:
    try:
        import databento_dbn
    except ImportError as exc:
        raise DbnError(
            "DBN files need the databento-dbn package: pip install 'mdc[databento]'"
        ) from exc
    return databento_dbn


class DbnReader:
    """Events of one DBN file in batches, streamed in chunks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.records = 0
        self.skipped: Counter[str] = Counter()
        """Records of types not imported, by record type."""
        self.unmapped: set[int] = set()
        self.dataset = ""
        self.schema = ""
        self._by_date: dict[str, list[tuple[date, date, str]]] = {}
        """Instrument id (text) → (start, end, symbol) intervals from the metadata."""
        self._live: dict[int, str] = {}

    def batches(self) -> Iterator[list[Event]]:
        return batched(self._events())

    def _events(self) -> Iterator[Event]:
        db = _dbn()
        self._db = db
        with self.path.open("rb") as f:
            magic = f.read(4)
            f.seek(0)
            zstd = magic == b"\x28\xb5\x2f\xfd"
            if not zstd and magic[:3] != b"DBN":
                raise DbnError(f"{self.path.name}: not a DBN file (no DBN or zstd magic bytes)")
            decoder = db.DBNDecoder(
                compression=db.Compression.ZSTD if zstd else db.Compression.NONE
            )
            while chunk := f.read(CHUNK):
                try:
                    decoder.write(chunk)
                    records = decoder.decode()
                except db.DBNError as exc:
                    raise DbnError(f"{self.path.name}: {exc}") from exc
                for record in records:
                    yield from self._convert(record)

    def _convert(self, r: Any) -> Iterator[Event]:
        db = self._db
        if isinstance(r, db.Metadata):
            self._metadata(r)
            return
        self.records += 1
        if isinstance(r, db.SymbolMappingMsg):
            self._live[r.instrument_id] = r.stype_in_symbol
            return
        if isinstance(r, db.TradeMsg):
            yield self._trade(r)
        elif isinstance(r, db.MBP1Msg):
            yield self._quote(r, r.ts_recv)
            if r.action == db.Action.TRADE:
                yield self._trade(r)
        elif isinstance(r, db.BBOMsg):
            yield self._quote(r, r.ts_recv)
        elif isinstance(r, db.OHLCVMsg):
            interval = _BAR_INTERVALS.get(str(r.rtype))
            if interval is None:
                self.skipped[str(r.rtype)] += 1
                return
            yield Bar(
                symbol=self._symbol(r.instrument_id, r.ts_event),
                venue=self.dataset,
                provider=PROVIDER,
                ts_event=r.ts_event,
                ts_recv=r.ts_event,
                interval=interval,
                open=self._px(r.open),
                high=self._px(r.high),
                low=self._px(r.low),
                close=self._px(r.close),
                volume=float(r.volume),
            )
        else:
            self.skipped[type(r).__name__] += 1

    def _metadata(self, m: Any) -> None:
        self.dataset = m.dataset
        self.schema = str(m.schema) if m.schema is not None else ""
        for raw_symbol, intervals in m.mappings.items():
            for iv in intervals:
                self._by_date.setdefault(iv["symbol"], []).append(
                    (iv["start_date"], iv["end_date"], raw_symbol)
                )

    def _symbol(self, instrument_id: int, ts: int) -> str:
        live = self._live.get(instrument_id)
        if live is not None:
            return live
        day = ns_to_date(ts)
        for start, end, symbol in self._by_date.get(str(instrument_id), ()):
            if start <= day < end:
                return symbol
        self.unmapped.add(instrument_id)
        return str(instrument_id)

    def _px(self, value: int) -> float:
        return 0.0 if value == self._db.UNDEF_PRICE else value / self._db.FIXED_PRICE_SCALE

    def _side(self, side: Any) -> Side:
        if side == self._db.Side.BID:
            return "buy"
        if side == self._db.Side.ASK:
            return "sell"
        return "unknown"

    def _trade(self, r: Any) -> Trade:
        return Trade(
            symbol=self._symbol(r.instrument_id, r.ts_event),
            venue=self.dataset,
            provider=PROVIDER,
            ts_event=r.ts_event,
            ts_recv=r.ts_recv,
            seq=r.sequence or None,
            price=self._px(r.price),
            size=float(r.size),
            side=self._side(r.side),
        )

    def _quote(self, r: Any, ts_recv: int) -> Quote:
        level = r.levels[0]
        empty_bid = level.bid_px == self._db.UNDEF_PRICE
        empty_ask = level.ask_px == self._db.UNDEF_PRICE
        return Quote(
            symbol=self._symbol(r.instrument_id, r.ts_event),
            venue=self.dataset,
            provider=PROVIDER,
            ts_event=r.ts_event,
            ts_recv=ts_recv,
            seq=getattr(r, "sequence", 0) or None,
            bid_price=self._px(level.bid_px),
            bid_size=0.0 if empty_bid else float(level.bid_sz),
            ask_price=self._px(level.ask_px),
            ask_size=0.0 if empty_ask else float(level.ask_sz),
        )
