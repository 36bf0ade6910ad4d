"""Any CSV into the archive with a column-mapping file (``mdc import csv FILE --mapping M.toml``).

The mapping (TOML) names the event type, which CSV column fills which event field, constants
for fields the file does not have, and how the timestamp is written::

    type = "trades"                 # trades | quotes | bars
    delimiter = ","
    [timestamp]
    columns = ["Date", "Time"]      # joined with a space when more than one
    format = "%Y-%m-%d %H:%M:%S.%f" # strptime pattern, or unix_s|unix_ms|unix_us|unix_ns|iso
    zone = "America/New_York"       # for times without an offset (default UTC)
    [columns]                       # CSV column -> event field
    Price = "price"
    Volume = "size"
    [constants]                     # event field -> value
    symbol = "AAPL"
    venue = "XNAS"
    provider = "vendor"
    [values.side]                   # optional: CSV value -> field value
    B = "buy"
    S = "sell"

Every field the type requires must come from a column or a constant; the mapping is checked
before any row is read and each mistake is named. ``ts_recv`` is ``ts_event`` unless a column
maps to it (written in the same format). Values are converted to the field's type (``"1.5"``
→ float); a row that does not convert is counted and shown, never fatal.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec

from mdc.backfill.csvrows import RowCounter, batched, csv_rows, open_text
from mdc.domain.events import Bar, Event, Quote, Trade
from mdc.domain.time import datetime_to_ns

MAPPABLE: Final[dict[str, type[Event]]] = {"trades": Trade, "quotes": Quote, "bars": Bar}
_UNIX: Final = {"unix_s": 10**9, "unix_ms": 10**6, "unix_us": 10**3, "unix_ns": 1}
_NOT_MAPPABLE: Final = frozenset(("conditions", "ts_event"))


class MappingError(ValueError):
    """The mapping file or the CSV header does not fit: the message names what to change."""


class TimestampSpec(msgspec.Struct, forbid_unknown_fields=True):
    columns: list[str]
    format: str = "iso"
    zone: str = "UTC"


class Mapping(msgspec.Struct, forbid_unknown_fields=True):
    type: str
    timestamp: TimestampSpec
    columns: dict[str, str] = {}
    constants: dict[str, str | int | float | bool] = {}
    values: dict[str, dict[str, str]] = {}
    delimiter: str = ","


def _fields(cls: type[Event]) -> dict[str, bool]:
    """Field name → required (no default)."""
    info = msgspec.inspect.type_info(cls)
    assert isinstance(info, msgspec.inspect.StructType)
    return {f.name: f.required for f in info.fields}


def load_mapping(path: Path) -> Mapping:
    try:
        mapping = msgspec.convert(tomllib.loads(path.read_text()), Mapping)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise MappingError(f"{path}: {exc}") from exc
    except msgspec.ValidationError as exc:
        raise MappingError(f"{path}: {exc}") from exc
    errors = check_mapping(mapping)
    if errors:
        raise MappingError(f"{path}: " + "; ".join(errors))
    return mapping


def check_mapping(m: Mapping) -> list[str]:
    """Every mistake in ``m`` (empty when it can be used)."""
    cls = MAPPABLE.get(m.type)
    if cls is None:
        return [f"type = {m.type!r}: one of {', '.join(MAPPABLE)}"]
    fields = _fields(cls)
    errors = []
    for column, field in m.columns.items():
        if field not in fields or field in _NOT_MAPPABLE:
            errors.append(f"[columns] {column} = {field!r}: not a {m.type} field")
    for field in m.constants:
        if field not in fields or field in _NOT_MAPPABLE:
            errors.append(f"[constants] {field}: not a {m.type} field")
    given = set(m.columns.values()) | set(m.constants) | {"ts_event", "ts_recv"}
    missing = [f for f, required in fields.items() if required and f not in given]
    if missing:
        errors.append(f"no column or constant for {', '.join(missing)}")
    if not m.timestamp.columns:
        errors.append("[timestamp] columns: name at least one column")
    if (
        m.timestamp.format not in _UNIX
        and m.timestamp.format != "iso"
        and "%" not in m.timestamp.format
    ):
        errors.append(
            f"[timestamp] format {m.timestamp.format!r}: a strptime pattern, iso or unix_*"
        )
    try:
        ZoneInfo(m.timestamp.zone)
    except (ZoneInfoNotFoundError, ValueError):
        errors.append(f"[timestamp] zone {m.timestamp.zone!r}: not an IANA time zone")
    if len(m.delimiter) != 1:
        errors.append(f"delimiter {m.delimiter!r}: one character")
    return errors


def _clock(spec: TimestampSpec) -> Callable[[str], int]:
    """Text → int ns UTC, as the spec says."""
    zone = ZoneInfo(spec.zone)
    scale = _UNIX.get(spec.format)
    if scale is not None:
        if scale == 1:
            return int
        return lambda text: round(float(text) * scale) if "." in text else int(text) * scale
    fmt = spec.format

    def parse(text: str) -> int:
        if fmt == "iso":
            dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
        else:
            dt = datetime.strptime(text, fmt)
        if dt.tzinfo is None:
            dt = dt.replace(tzinfo=zone)
        return datetime_to_ns(dt.astimezone(UTC))

    return parse


class MappedCsvReader(RowCounter):
    """Events of one CSV file through a :class:`Mapping`, in batches."""

    def __init__(self, path: Path, mapping: Mapping) -> None:
        super().__init__()
        self.path = path
        self.mapping = mapping
        self.cls = MAPPABLE[mapping.type]

    def batches(self) -> Iterator[list[Event]]:
        return batched(self._events())

    def _events(self) -> Iterator[Event]:
        m = self.mapping
        with open_text(self.path) as f:
            try:
                header, rows = csv_rows(f, m.delimiter)
            except ValueError as exc:
                raise MappingError(f"{self.path.name}: {exc}") from exc
            col = {name: i for i, name in enumerate(header)}
            needed = [*m.timestamp.columns, *m.columns]
            absent = [c for c in needed if c not in col]
            if absent:
                raise MappingError(
                    f"{self.path.name}: no column {', '.join(absent)} in the header "
                    f"({','.join(header[:10])}); fix [columns]/[timestamp] in the mapping"
                )
            clock = _clock(m.timestamp)
            ts_cols = [col[c] for c in m.timestamp.columns]
            mapped = [(col[c], field, m.values.get(field, {})) for c, field in m.columns.items()]
            decode = self.cls
            for line, row in enumerate(rows, start=2):
                self.rows += 1
                try:
                    values: dict[str, Any] = dict(m.constants)
                    for i, field, translate in mapped:
                        text = row[i].strip()
                        if text == "":
                            continue  # an empty cell leaves the field's default
                        values[field] = translate.get(text, text)
                    values["ts_event"] = clock(" ".join(row[i].strip() for i in ts_cols))
                    recv = values.get("ts_recv")
                    values["ts_recv"] = clock(recv) if isinstance(recv, str) else values["ts_event"]
                    yield msgspec.convert(values, decode, strict=False)
                except (ValueError, IndexError, msgspec.ValidationError) as exc:
                    self.bad(line, exc, row)
