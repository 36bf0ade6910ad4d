"""Lean ``PythonData`` classes reading an mdc archive directly: ``MdcTrade``, ``MdcQuote``,
``MdcBar`` (import this module inside a Lean algorithm; docs/lean.md has a runnable example).

Set the archive root once (``MdcData.root = "/data/mdc"`` or the ``MDC_ARCHIVE`` environment
variable), then ``self.AddData(MdcTrade, "SPY", Resolution.Tick, TimeZones.Utc)``. Each point
carries the event's fields as properties (``data["size"]``, ``data["bid_price"]``); ``Value`` is
the trade price, the quote mid or the bar close. The path and parsing logic lives in
``archive_source.py`` so it is tested without Lean (against a stand-in of the Lean types).
"""

from __future__ import annotations

import os
from datetime import date, datetime
from typing import Any, ClassVar

try:
    from AlgorithmImports import (  # type: ignore[import-not-found]  # Lean's runtime module
        FileFormat,
        PythonData,
        SubscriptionDataSource,
        SubscriptionTransportMedium,
    )
except ImportError as exc:  # pragma: no cover - outside Lean
    raise ImportError(
        "mdc.integrations.lean.pythondata runs inside QuantConnect Lean (no AlgorithmImports "
        "here); outside Lean, mdc.integrations.lean.archive_source has the same logic"
    ) from exc

from mdc.integrations.lean.archive_source import ArchiveSource


class MdcData(PythonData):  # type: ignore[misc]  # Lean's base type is untyped
    """The common part: ``type_name`` picks the archive's event type."""

    root: ClassVar[str | None] = None
    type_name: ClassVar[str] = "trades"

    @classmethod
    def _source(cls) -> ArchiveSource:
        root = cls.root or os.environ.get("MDC_ARCHIVE")
        if not root:
            raise RuntimeError("set MdcData.root (or $MDC_ARCHIVE) to the mdc archive root")
        return ArchiveSource(root, cls.type_name)

    def GetSource(self, config: Any, day: datetime | date, is_live: bool) -> Any:
        d = day.date() if isinstance(day, datetime) else day
        path = self._source().path(str(config.Symbol.Value), d)
        return SubscriptionDataSource(path, SubscriptionTransportMedium.LocalFile, FileFormat.Csv)

    def Reader(self, config: Any, line: str, day: Any, is_live: bool) -> Any:
        point = self._source().parse(line)
        if point is None:
            return None
        data = type(self)()
        data.Symbol = config.Symbol
        data.Time = point.time
        data.EndTime = point.end_time
        data.Value = point.value
        for key, value in point.properties.items():
            data[key] = value
        return data

    get_source = GetSource
    reader = Reader


class MdcTrade(MdcData):
    type_name = "trades"


class MdcQuote(MdcData):
    type_name = "quotes"


class MdcBar(MdcData):
    type_name = "bars"
