"""Nasdaq Data Link responses (typed msgspec decode) → events.

Tables API (https://docs.data.nasdaq.com/docs/in-depth-usage-1): ``{"datatable": {"data":
[[...]], "columns": [{"name", "type"}]}, "meta": {"next_cursor_id": ...}}``, rows unsorted.
Time-series API: ``{"dataset_data": {"column_names": [...], "data": [[...]]}}``.
Errors: ``{"quandl_error": {"code": "QE..", "message": "..."}}``.
Columns are found by name, so any table or dataset with daily OHLCV columns can be used.
"""

from __future__ import annotations

import re
from typing import Final

import msgspec

from mdc.domain.events import Bar, CorporateAction
from mdc.providers.actions import day_actions
from mdc.providers.timestamps import parse_date_ns

Cell = str | float | int | None
PRICE_FIELDS: Final = ("open", "high", "low", "close")


class Column(msgspec.Struct):
    name: str
    type: str = ""


class Datatable(msgspec.Struct):
    data: list[list[Cell]]
    columns: list[Column]


class Cursor(msgspec.Struct):
    next_cursor_id: str | None = None


class TablePage(msgspec.Struct):
    datatable: Datatable
    meta: Cursor = msgspec.field(default_factory=Cursor)


class DatasetData(msgspec.Struct):
    column_names: list[str]
    data: list[list[Cell]]


class DatasetPage(msgspec.Struct):
    dataset_data: DatasetData


class QuandlError(msgspec.Struct):
    code: str = ""
    message: str = ""


class ErrorBody(msgspec.Struct):
    quandl_error: QuandlError


def normalize(name: str) -> str:
    """``Adj. Close`` → ``adj_close``: how column names are compared."""
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


class Table:
    """Rows with their column names, so fields are read by (configured) name."""

    def __init__(self, names: list[str], rows: list[list[Cell]]) -> None:
        self.index = {normalize(n): i for i, n in enumerate(names)}
        self.rows = rows

    def column(self, configured: str) -> int | None:
        return self.index.get(normalize(configured))


def _number(value: Cell) -> float | None:
    """A numeric cell (numbers may arrive as text); empty cells are ``None``."""
    if value is None or value == "":
        return None
    return float(value)


def bars(
    table: Table,
    date_column: str,
    columns: dict[str, str],
    symbol: str,
    adjusted: bool,
    venue: str,
    ts_recv: int,
) -> list[Bar]:
    """One bar per row with all four prices; ``KeyError`` names a configured column that the
    response does not have."""
    prefix = "adj_" if adjusted else ""
    wanted = [f"{prefix}{f}" for f in (*PRICE_FIELDS, "volume")]
    index = [_require(table, columns.get(f, f), f) for f in wanted]
    date_index = _require(table, date_column, "date")
    out = []
    for row in table.rows:
        o, h, lo, c = (_number(row[i]) for i in index[:4])
        if o is None or h is None or lo is None or c is None:
            continue
        out.append(
            Bar(
                symbol=symbol,
                venue=venue,
                provider="nasdaqdatalink",
                ts_event=parse_date_ns(str(row[date_index])),
                ts_recv=ts_recv,
                interval="1d",
                open=o,
                high=h,
                low=lo,
                close=c,
                volume=_number(row[index[4]]) or 0.0,
                adjusted=adjusted,
            )
        )
    return out


def corporate_actions(
    table: Table, date_column: str, columns: dict[str, str], symbol: str, venue: str, ts_recv: int
) -> list[CorporateAction]:
    """Dividends (dividend column > 0) and splits (split column ≠ 1)."""
    date_index = _require(table, date_column, "date")
    dividend = _require(table, columns.get("dividend", "dividend"), "dividend")
    split = _require(table, columns.get("split", "split"), "split")
    out = []
    for row in table.rows:
        ts = parse_date_ns(str(row[date_index]))
        ratio = _number(row[split])
        amount = _number(row[dividend])
        out += day_actions(
            "nasdaqdatalink",
            symbol,
            venue,
            ts,
            ts_recv,
            ratio=None if ratio in (None, 0.0, 1.0) else ratio,
            amount=amount or None,
        )
    return out


def _require(table: Table, configured: str, field: str) -> int:
    index = table.column(configured)
    if index is None:
        raise MissingColumn(field, configured, sorted(table.index))
    return index


class MissingColumn(LookupError):
    """The response lacks a column a request needs (e.g. adjusted prices)."""

    def __init__(self, field: str, configured: str, available: list[str]) -> None:
        super().__init__(field)
        self.message = (
            f"no {configured!r} column for {field} (columns: {', '.join(available)}); "
            "set [providers.nasdaqdatalink.columns]"
        )

    def __str__(self) -> str:
        return self.message
