"""NYSE Daily TAQ master (reference) file ``EQY_US_ALL_REF_MASTER_YYYYMMDD``: one row per symbol.

Source (read 2026-12-03): NYSE *Daily TAQ Client Specification* v3.3
(https://www.nyse.com/publicdocs/nyse/data/Daily_TAQ_Client_Spec_v3.3.pdf), the master file's
columns as the KxSystems ``kdb-taq`` changelog (v3.2 ``TradedOnLTSE``, v3.3 ``TradedOnMEMX`` /
``TradedOnMIAX``) and public loaders of the file name them: ``Symbol``, ``Security_Description``,
``CUSIP``, ``Security_Type``, ``SIP_Symbol``, ``Old_Symbol``, ``Test_Symbol_Flag``,
``Listed_Exchange``, ``Tape``, ``Unit_Of_Trade``, ``Round_Lot``, ``NYSE_Industry_Code``,
``Shares_Outstanding``, ``Halt_Delay_Reason``, ``Specialist_Clearing_Agent``,
``Specialist_Clearing_Number``, ``Specialist_Post_Number``, ``Specialist_Panel``, one
``TradedOn<Venue>`` flag per market, ``Tick_Pilot_Indicator`` and ``Effective_Date``. Like the
other TAQ files it is pipe-delimited with a header row and an ``END|date|count`` trailer, and it
is read **by column name** (flags were added between versions). Columns this table does not name
are kept in ``other``, so a later spec version loses nothing.

:func:`parse_master` is a pure function (lines in, records out) so the instrument registry can
consume it; ``mdc import taq`` stores the records with :mod:`mdc.storage.reference`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Final

import msgspec

from mdc.providers.nyse.taq import RowTally, open_text

REFERENCE_NAME: Final = "nyse_taq_master"
"""The reference table the records are stored as (``mdc.storage.reference``)."""
TRADED_ON: Final = "TradedOn"
REQUIRED: Final = ("Symbol", "Listed_Exchange")
_TEXT: Final[dict[str, str]] = {
    "Security_Description": "description",
    "CUSIP": "cusip",
    "Security_Type": "security_type",
    "SIP_Symbol": "sip_symbol",
    "Old_Symbol": "old_symbol",
    "Listed_Exchange": "listed_exchange",
    "Tape": "tape",
    "NYSE_Industry_Code": "industry_code",
    "Halt_Delay_Reason": "halt_delay_reason",
    "Tick_Pilot_Indicator": "tick_pilot",
}
"""Text columns → record fields (empty text is ``None``)."""
_INTEGERS: Final[dict[str, str]] = {"Unit_Of_Trade": "unit_of_trade", "Round_Lot": "round_lot"}
_NAMED: Final = frozenset(
    {"Symbol", "Test_Symbol_Flag", "Shares_Outstanding", "Effective_Date", *_TEXT, *_INTEGERS}
)


class MasterRecord(msgspec.Struct, kw_only=True, frozen=True):
    """One symbol of the master file (names follow the project's snake_case)."""

    symbol: str
    description: str | None = None
    cusip: str | None = None
    security_type: str | None = None
    sip_symbol: str | None = None
    old_symbol: str | None = None
    test_symbol: bool = False
    listed_exchange: str | None = None
    """The TAQ exchange code of the listing market (N, A, P, Q, Z, V, …)."""
    tape: str | None = None
    unit_of_trade: int | None = None
    round_lot: int | None = None
    industry_code: str | None = None
    shares_outstanding: float | None = None
    halt_delay_reason: str | None = None
    tick_pilot: str | None = None
    effective_date: str | None = None
    """ISO date (``YYYY-MM-DD``) from the file's ``YYYYMMDD``."""
    traded_on: list[str] = []
    """Venues whose ``TradedOn<Venue>`` flag is set (``NYSE``, ``Arca``, ``Nasdaq``, …)."""
    other: dict[str, str] = {}
    """Non-empty columns this table does not name (specialist fields, newer columns)."""


@dataclass
class MasterFile(RowTally):
    """What :func:`parse_master` read: the records, bad rows with reasons, the trailer."""

    records: list[MasterRecord] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)


class MasterError(ValueError):
    """Not a master file this reader knows (the message says what is missing)."""


def is_master(name: str, header: list[str]) -> bool:
    """By the file name (``EQY_US_ALL_REF_MASTER_…``) or by its columns."""
    if "_REF_MASTER_" in name.upper():
        return True
    return all(c in header for c in REQUIRED) and any(c.startswith(TRADED_ON) for c in header)


def header_of(path: Path) -> list[str]:
    """The header row of a (gzip or plain) TAQ file."""
    with open_text(path) as f:
        return f.readline().rstrip("\r\n").split("|")


def read_master(path: Path) -> MasterFile:
    with open_text(path) as f:
        return parse_master(f)


def parse_master(lines: Iterable[str]) -> MasterFile:
    """Records of a master file's lines (header first). Rows that do not parse are counted
    and kept as examples; a header without ``Symbol``/``Listed_Exchange`` is a
    :class:`MasterError`."""
    out = MasterFile()
    it = iter(lines)
    header_line = next(it, "").rstrip("\r\n")
    header = header_line.split("|") if header_line else []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise MasterError(f"master file header lacks {', '.join(missing)} (got {header[:4]}…)")
    out.columns = header
    out.records.extend(out.parse(it, lambda fields: _record(header, fields)))
    return out


def _record(header: list[str], fields: list[str]) -> MasterRecord:
    if len(fields) < len(header):
        fields = fields + [""] * (len(header) - len(fields))
    row = {name: fields[i].strip() for i, name in enumerate(header)}
    symbol = row["Symbol"]
    if not symbol:
        raise ValueError("empty Symbol")
    values: dict[str, object] = {"symbol": symbol}
    for column, name in _TEXT.items():
        values[name] = row.get(column) or None
    for column, name in _INTEGERS.items():
        text = row.get(column, "")
        values[name] = int(text) if text else None
    shares = row.get("Shares_Outstanding", "")
    values["shares_outstanding"] = float(shares) if shares else None
    values["test_symbol"] = _flag(row.get("Test_Symbol_Flag", ""), "Test_Symbol_Flag")
    effective = row.get("Effective_Date", "")
    if effective:
        values["effective_date"] = datetime.strptime(effective, "%Y%m%d").date().isoformat()
    values["traded_on"] = [
        name[len(TRADED_ON) :]
        for name in header
        if name.startswith(TRADED_ON) and _flag(row[name], name)
    ]
    values["other"] = {
        name: text
        for name, text in row.items()
        if text and name not in _NAMED and not name.startswith(TRADED_ON)
    }
    return MasterRecord(**values)  # type: ignore[arg-type]


def _flag(text: str, column: str) -> bool:
    if text in ("", "0", "N"):
        return False
    if text in ("1", "Y"):
        return True
    raise ValueError(f"{column}: expected 0/1, got {text!r}")
