"""Per-provider comparison of one symbol's day: what each provider delivered, side by side."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from mdc.config.schema import QualityConfig
from mdc.domain.events import Event, Quote, Trade
from mdc.quality.anomalies import PROVIDER_DIVERGENCE, detector


def compare_providers(events: list[Event], config: QualityConfig) -> dict[str, Any]:
    """Counts, price range and mean per provider, and the divergence findings between them,
    for ``events`` of one symbol (in receive order)."""
    rows: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "trades": 0,
            "quotes": 0,
            "volume": 0.0,
            "notional": 0.0,
            "first_ns": None,
            "last_ns": None,
            "low": None,
            "high": None,
        }
    )
    for ev in events:
        if not isinstance(ev, Trade | Quote):
            continue
        row = rows[ev.provider]
        row["first_ns"] = (
            ev.ts_event if row["first_ns"] is None else min(row["first_ns"], ev.ts_event)
        )
        row["last_ns"] = ev.ts_event if row["last_ns"] is None else max(row["last_ns"], ev.ts_event)
        if isinstance(ev, Quote):
            row["quotes"] += 1
            continue
        row["trades"] += 1
        row["volume"] += ev.size
        row["notional"] += ev.price * ev.size
        row["low"] = ev.price if row["low"] is None else min(row["low"], ev.price)
        row["high"] = ev.price if row["high"] is None else max(row["high"], ev.price)
    judge = detector(config)
    findings = judge.process(events) + judge.flush()
    return {
        "providers": [
            {
                "provider": name,
                **{k: v for k, v in row.items() if k != "notional"},
                "vwap": row["notional"] / row["volume"] if row["volume"] else None,
            }
            for name, row in sorted(rows.items())
        ],
        "divergences": [
            {"ts_event": f.ts_event, "providers": f.provider, "detail": f.detail}
            for f in findings
            if f.kind == PROVIDER_DIVERGENCE
        ],
    }
