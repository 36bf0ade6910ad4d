"""What a Lean custom-data class needs from an mdc archive, without Lean: the file for a date,
and one JSONL line as the fields of a Lean data point.

Lean calls ``GetSource(config, date, isLive)`` once per date and ``Reader(config, line, date,
isLive)`` once per line of that source (``PythonData``; Lean docs "Custom Data", read
2026-12-03). An mdc archive keeps one JSONL file per (symbol, type, UTC day) — the path comes
from the root's own layout (``_mdc/layout.json``) — so ``date`` is a UTC date and every time
handed to Lean is UTC: subscribe with ``TimeZones.Utc``. Lean reads plain text files only, so
the archive must keep uncompressed JSONL (``storage.compression = "none"``, the default); for a
compressed or Parquet-only archive use ``mdc export lean`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Final

from mdc.domain.events import TYPES_BY_NAME, Bar, Event, Quote, Trade, decode_json_event
from mdc.domain.interval import Interval
from mdc.domain.time import NS_PER_S, date_to_ns
from mdc.storage.layout import Layout, LayoutSpec, read_spec

SUPPORTED: Final = ("trades", "quotes", "bars")


@dataclass
class Point:
    """One Lean data point: ``time``/``end_time`` naive UTC, ``value`` Lean's price, and the
    rest of the event as named properties (``data["size"]``)."""

    time: datetime
    end_time: datetime
    value: float
    properties: dict[str, float | str | None] = field(default_factory=dict)


class ArchiveSource:
    """Paths and parsing for one archive root and event type."""

    def __init__(self, root: str | Path, type_name: str, provider: str | None = None) -> None:
        if type_name not in SUPPORTED:
            raise ValueError(f"type must be one of {', '.join(SUPPORTED)}, got {type_name!r}")
        self.root = Path(root)
        self.type_name = type_name
        self.cls = TYPES_BY_NAME[type_name]
        self.layout = Layout(read_spec(self.root) or LayoutSpec())
        self.provider = provider

    def path(self, symbol: str, day: date) -> str:
        """The JSONL file holding ``symbol``'s events of the UTC day ``day``."""
        label = self.layout.label_of(date_to_ns(day))
        rel = self.layout.jsonl_path(self.type_name, symbol.upper(), label, self.provider, "none")
        return str(self.root / rel)

    def parse(self, line: str) -> Point | None:
        """The data point of one line (``None`` for a blank, torn or foreign line)."""
        line = line.strip()
        if not line:
            return None
        try:
            event: Event = decode_json_event(line)
        except ValueError:
            return None
        if not isinstance(event, self.cls):
            return None
        return to_point(event)


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts // NS_PER_S, tz=UTC).replace(tzinfo=None) + timedelta(
        microseconds=ts % NS_PER_S // 1000
    )


def to_point(event: Event) -> Point | None:
    t = _utc(event.ts_event)
    if isinstance(event, Trade):
        props: dict[str, float | str | None] = {
            "price": event.price,
            "size": event.size,
            "side": event.side,
            "exchange": event.exchange,
        }
        return Point(t, t, event.price, props)
    if isinstance(event, Quote):
        props = {
            "bid_price": event.bid_price,
            "bid_size": event.bid_size,
            "ask_price": event.ask_price,
            "ask_size": event.ask_size,
        }
        return Point(t, t, (event.bid_price + event.ask_price) / 2, props)
    if isinstance(event, Bar):
        end = t + timedelta(seconds=Interval.parse(event.interval).seconds)
        props = {
            "open": event.open,
            "high": event.high,
            "low": event.low,
            "close": event.close,
            "volume": event.volume,
            "interval": event.interval,
        }
        return Point(t, end, event.close, props)
    return None
