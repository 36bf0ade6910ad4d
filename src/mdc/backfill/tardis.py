"""Tardis.dev downloadable CSV files (``incremental_book_L2``, ``trades``, ``quotes``) → events.

Format read from https://docs.tardis.dev/downloadable-csv-files/data-types (2026-12-03):
comma-separated, LF, a header line; times are microseconds since the epoch, UTC: ``timestamp``
is the exchange's (``ts_event``), ``local_timestamp`` the arrival time (``ts_recv``). Files
are usually ``.csv.gz``. Columns are found by header name, so their order does not matter:

* ``trades``: exchange, symbol, timestamp, local_timestamp, id, side (taker side:
  buy/sell/unknown), price, amount.
* ``quotes``: exchange, symbol, timestamp, local_timestamp, ask_amount, ask_price, bid_price,
  bid_amount. An empty side (no level) is stored as price 0 and size 0.
* ``incremental_book_L2``: exchange, symbol, timestamp, local_timestamp, is_snapshot, side
  (bid/ask), price, amount (the new total at the price; 0 removes the level). A run of
  ``is_snapshot=true`` rows is one full book (a ``BookSnapshot``, zero levels left out);
  other rows are ``BookDelta`` events. Rows before a symbol's first snapshot are skipped, as
  the documentation says (buffered updates from before a reconnect's snapshot) and counted.

``venue`` is the ``exchange`` column, ``provider`` is ``tardis``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Final, Literal

from mdc.backfill.csvrows import RowCounter, batched, csv_rows, open_text
from mdc.domain.events import BookDelta, BookSide, BookSnapshot, Event, Quote, Side, Trade

PROVIDER: Final = "tardis"
TardisKind = Literal["incremental_book_L2", "trades", "quotes"]
_COMMON: Final = ("exchange", "symbol", "timestamp", "local_timestamp")
COLUMNS: Final[dict[TardisKind, tuple[str, ...]]] = {
    "incremental_book_L2": (*_COMMON, "is_snapshot", "side", "price", "amount"),
    "trades": (*_COMMON, "id", "side", "price", "amount"),
    "quotes": (*_COMMON, "ask_amount", "ask_price", "bid_price", "bid_amount"),
}
_SIDES: Final[dict[str, Side]] = {"buy": "buy", "sell": "sell"}
_BOOK_SIDES: Final[dict[str, BookSide]] = {"bid": "bid", "ask": "ask"}


class TardisError(ValueError):
    """The file is not a Tardis CSV of a supported type."""


def kind_of(header: list[str]) -> TardisKind:
    names = set(header)
    kind: TardisKind
    for kind in ("incremental_book_L2", "trades", "quotes"):
        if set(COLUMNS[kind]) <= names:
            return kind
    raise TardisError(
        "the header is none of Tardis incremental_book_L2, trades or quotes (got "
        f"{','.join(header[:8])}); see https://docs.tardis.dev/downloadable-csv-files/data-types"
    )


def _us(text: str) -> int:
    return int(text) * 1000


def _level(price: str, amount: str) -> tuple[float, float]:
    return (float(price), float(amount)) if price else (0.0, 0.0)


class TardisReader(RowCounter):
    """Events of one Tardis CSV file in batches (rows that do not parse are counted)."""

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path
        self.kind: TardisKind | None = None
        self.before_snapshot = 0
        """Book rows skipped because their symbol had no snapshot yet."""

    def batches(self) -> Iterator[list[Event]]:
        return batched(self._events())

    def _events(self) -> Iterator[Event]:
        with open_text(self.path) as f:
            try:
                header, rows = csv_rows(f)
            except ValueError as exc:
                raise TardisError(f"{self.path.name}: {exc}") from exc
            self.kind = kind = kind_of(header)
            col = {name: i for i, name in enumerate(header)}
            if kind == "incremental_book_L2":
                yield from self._book(rows, col)
                return
            make: Callable[[list[str], dict[str, int]], Event] = (
                self._trade if kind == "trades" else self._quote
            )
            for line, row in enumerate(rows, start=2):
                self.rows += 1
                try:
                    yield make(row, col)
                except (ValueError, IndexError) as exc:
                    self.bad(line, exc, row)

    @staticmethod
    def _trade(r: list[str], c: dict[str, int]) -> Trade:
        return Trade(
            symbol=r[c["symbol"]],
            venue=r[c["exchange"]],
            provider=PROVIDER,
            ts_event=_us(r[c["timestamp"]]),
            ts_recv=_us(r[c["local_timestamp"]]),
            price=float(r[c["price"]]),
            size=float(r[c["amount"]]),
            side=_SIDES.get(r[c["side"]], "unknown"),
            trade_id=r[c["id"]] or None,
        )

    @staticmethod
    def _quote(r: list[str], c: dict[str, int]) -> Quote:
        bid_price, bid_size = _level(r[c["bid_price"]], r[c["bid_amount"]])
        ask_price, ask_size = _level(r[c["ask_price"]], r[c["ask_amount"]])
        return Quote(
            symbol=r[c["symbol"]],
            venue=r[c["exchange"]],
            provider=PROVIDER,
            ts_event=_us(r[c["timestamp"]]),
            ts_recv=_us(r[c["local_timestamp"]]),
            bid_price=bid_price,
            bid_size=bid_size,
            ask_price=ask_price,
            ask_size=ask_size,
        )

    def _book(self, rows: Iterator[list[str]], c: dict[str, int]) -> Iterator[Event]:
        snapshots: dict[str, _Snapshot] = {}
        """Per symbol: the snapshot being read (its rows are still coming)."""
        seen: set[str] = set()
        """Symbols whose first snapshot was read."""
        for line, r in enumerate(rows, start=2):
            self.rows += 1
            try:
                symbol = r[c["symbol"]]
                is_snapshot = r[c["is_snapshot"]] == "true"
                side = _BOOK_SIDES[r[c["side"]]]
                price, amount = float(r[c["price"]]), float(r[c["amount"]])
                ts, recv = _us(r[c["timestamp"]]), _us(r[c["local_timestamp"]])
                venue = r[c["exchange"]]
            except (ValueError, IndexError, KeyError) as exc:
                self.bad(line, f"bad value {exc}", r)
                continue
            pending = snapshots.get(symbol)
            if is_snapshot:
                if pending is None:
                    pending = snapshots[symbol] = _Snapshot(symbol, venue, ts, recv)
                pending.add(side, price, amount)
                continue
            if pending is not None:
                yield snapshots.pop(symbol).event()
                seen.add(symbol)
            if symbol not in seen:
                self.before_snapshot += 1
                continue
            yield BookDelta(
                symbol=symbol,
                venue=venue,
                provider=PROVIDER,
                ts_event=ts,
                ts_recv=recv,
                side=side,
                price=price,
                size=amount,
            )
        for pending in snapshots.values():
            yield pending.event()


class _Snapshot:
    __slots__ = ("asks", "bids", "recv", "symbol", "ts", "venue")

    def __init__(self, symbol: str, venue: str, ts: int, recv: int) -> None:
        self.symbol, self.venue, self.ts, self.recv = symbol, venue, ts, recv
        self.bids: dict[float, float] = {}
        self.asks: dict[float, float] = {}

    def add(self, side: BookSide, price: float, amount: float) -> None:
        levels = self.bids if side == "bid" else self.asks
        if amount:
            levels[price] = amount
        else:
            levels.pop(price, None)

    def event(self) -> BookSnapshot:
        return BookSnapshot(
            symbol=self.symbol,
            venue=self.venue,
            provider=PROVIDER,
            ts_event=self.ts,
            ts_recv=self.recv,
            bids=sorted(self.bids.items(), reverse=True),
            asks=sorted(self.asks.items()),
        )
