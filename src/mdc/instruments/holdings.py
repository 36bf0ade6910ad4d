"""What the archive holds for one symbol: per event type, partitions, first and last, bytes,
and every spelling a provider without reference data would use (``mdc symbols show``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import msgspec

from mdc.instruments.record import Instrument
from mdc.providers.registry import all_specs
from mdc.providers.symbols import to_provider
from mdc.storage.archive import open_archive


def holdings(root: Path, symbol: str) -> list[dict[str, Any]]:
    """One row per event type stored for ``symbol`` (empty without an archive)."""
    if not root.is_dir():
        return []
    archive = open_archive(root)
    rows: dict[str, dict[str, Any]] = {}
    for p in archive.partitions(symbol=symbol):
        row = rows.setdefault(
            p.type_name,
            {
                "type": p.type_name,
                "partitions": 0,
                "first": p.partition,
                "last": p.partition,
                "files": 0,
                "bytes": 0,
                "providers": set(),
            },
        )
        files = p.files(archive.source)
        row["partitions"] += 1
        row["first"] = min(row["first"], p.partition)
        row["last"] = max(row["last"], p.partition)
        row["files"] += len(files)
        row["bytes"] += sum(f.size for f in files)
        if p.provider:
            row["providers"].add(p.provider)
    for row in rows.values():
        row["providers"] = sorted(row["providers"])
    return [rows[t] for t in sorted(rows)]


def spellings(instrument: Instrument) -> dict[str, dict[str, str]]:
    """Every provider's spelling: ``listed`` (from its reference data) or ``derived`` (from
    each equity provider's ``symbol_style``, for providers without a list)."""
    out = {p: {"symbol": s, "from": "listed"} for p, s in instrument.spellings.items()}
    if instrument.asset_class in ("equity", "etf", ""):
        for name, spec in all_specs().items():
            if "equity" in spec.capabilities.asset_classes:
                spelled = to_provider(instrument.symbol, spec.symbol_style)
                out.setdefault(name, {"symbol": spelled, "from": "derived"})
    return out


def describe(instrument: Instrument) -> dict[str, Any]:
    """The instrument as plain data, with every spelling."""
    data: dict[str, Any] = msgspec.to_builtins(instrument)
    data["spellings"] = spellings(instrument)
    return data
