"""Data quality: live gap and integrity events (filterable), their rate over time, bad frames;
and the archive's verdict (``quality/``): completeness per session day, anomalies found by
replaying stored days, and a per-provider comparison of one symbol's day."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Final, Literal

import msgspec
from fastapi import APIRouter, Depends, HTTPException, Query, status

from mdc.backfill.gaps import GapFinderError
from mdc.domain.calendar import CalendarError
from mdc.domain.time import NS_PER_DAY, NS_PER_S, date_to_ns
from mdc.quality.anomalies import KINDS, SEVERITY_RANK
from mdc.quality.compare import compare_providers
from mdc.quality.report import check_completeness, find_anomalies, symbol_score
from mdc.quality.source import ArchiveEvents
from mdc.web.state import WebState, get_web, live_runtime

router = APIRouter(prefix="/api/quality", tags=["quality"])
Web = Annotated[WebState, Depends(get_web)]
MAX_BUCKETS: Final = 720
DEFAULT_DAYS: Final = 30
MAX_DAYS: Final = 366
MAX_SYMBOLS: Final = 50
Day = Annotated[date | None, Query(description="YYYY-MM-DD")]


@router.get("/events", summary="Recent Gap and Integrity events, newest first")
async def events(
    web: Web,
    type: Annotated[Literal["gap", "integrity"] | None, Query()] = None,
    symbol: Annotated[str | None, Query(max_length=64)] = None,
    reason: Annotated[str | None, Query(max_length=200, description="Gap reason or kind.")] = None,
    since_ns: Annotated[int | None, Query(ge=0, description="Received at or after.")] = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> list[dict[str, Any]]:
    if web.live is None:
        return []
    return web.live.quality_events(type, symbol, reason, since_ns, limit)


@router.get("/summary", summary="Gap and Integrity events per time bucket, by reason")
async def summary(
    web: Web,
    bucket_s: Annotated[int, Query(ge=1, le=86_400)] = 60,
) -> dict[str, Any]:
    if web.live is None:
        return {"bucket_s": bucket_s, "buckets": [], "totals": {}}
    step = bucket_s * NS_PER_S
    counts: dict[int, Counter[str]] = {}
    for record in web.live.quality:
        key = record["ts_recv"] // step * step
        counts.setdefault(key, Counter())[f"{record['type']}:{record['reason']}"] += 1
    keys = sorted(counts)[-MAX_BUCKETS:]
    return {
        "bucket_s": bucket_s,
        "buckets": [{"ts_ns": k, "counts": dict(counts[k])} for k in keys],
        "totals": web.live.tallies(),
    }


@router.get("/bad-frames", summary="The most recent provider frames that failed to parse")
async def bad_frames(web: Web) -> dict[str, Any]:
    runtime, _ = live_runtime(web)
    return {"count": runtime.bad_frames, "recent": list(runtime.recent_bad_frames)[::-1]}


def _range(start: date | None, end: date | None) -> tuple[date, date]:
    last = end or datetime.now(UTC).date()
    first = start or last - timedelta(days=DEFAULT_DAYS - 1)
    if last < first:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail=f"end {last} is before start {first}"
        )
    if (last - first).days >= MAX_DAYS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail=f"at most {MAX_DAYS} days at a time"
        )
    return first, last


def _symbols(web: WebState, symbols: str | None) -> list[str]:
    names = [s.strip() for s in (symbols or "").split(",") if s.strip()]
    names = names or [s.symbol for s in web.config.symbol_configs()]
    if len(names) > MAX_SYMBOLS:
        raise HTTPException(
            status.HTTP_400_BAD_REQUEST, detail=f"at most {MAX_SYMBOLS} symbols at a time"
        )
    return names


@router.get("/completeness", summary="Completeness and score per symbol, type and session day")
async def completeness(
    web: Web,
    start: Day = None,
    end: Day = None,
    symbols: Annotated[str | None, Query(max_length=2000, description="Comma-separated.")] = None,
    type: Annotated[Literal["trades", "quotes", "bars"], Query()] = "trades",
    interval: Annotated[str, Query(max_length=8, description="Bars only.")] = "1m",
) -> dict[str, Any]:
    first, last = _range(start, end)
    names = _symbols(web, symbols)
    try:
        days = await asyncio.to_thread(
            check_completeness, web.config, names, first, last, [type], interval
        )
    except (GapFinderError, CalendarError, ValueError) as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, detail=str(exc)) from None
    return {
        "start": first.isoformat(),
        "end": last.isoformat(),
        "type": type,
        "symbols": names,
        "scores": [
            msgspec.to_builtins(symbol_score(n, [d for d in days if d.symbol == n], []))
            for n in names
        ],
        "days": [d.to_dict() for d in days],
    }


@router.get("/anomalies", summary="Anomalies found replaying a symbol's stored days")
async def anomalies(
    web: Web,
    symbol: Annotated[str, Query(min_length=1, max_length=64)],
    start: Day = None,
    end: Day = None,
    kind: Annotated[
        str | None,
        Query(max_length=64, description=f"{', '.join(KINDS)} or a collector's kind"),
    ] = None,
    severity: Annotated[Literal["info", "warning", "error"], Query()] = "info",
    limit: Annotated[int, Query(ge=1, le=5000)] = 500,
) -> dict[str, Any]:
    first, last = _range(start, end)
    found = await asyncio.to_thread(find_anomalies, web.config, symbol, first, last)
    counts = Counter(f.kind for f in found)
    rank = SEVERITY_RANK[severity]
    shown = [
        f for f in found if (kind is None or f.kind == kind) and SEVERITY_RANK[f.severity] >= rank
    ]
    return {
        "symbol": symbol,
        "start": first.isoformat(),
        "end": last.isoformat(),
        "counts": dict(counts),
        "matched": len(shown),
        "findings": msgspec.to_builtins(shown[:limit]),
    }


@router.get("/compare", summary="One symbol's day, provider by provider")
async def compare(
    web: Web,
    symbol: Annotated[str, Query(min_length=1, max_length=64)],
    day: Annotated[date, Query(description="YYYY-MM-DD")],
) -> dict[str, Any]:
    lo = date_to_ns(day)
    events = await asyncio.to_thread(
        ArchiveEvents(web.config.storage.root).replay, symbol, lo, lo + NS_PER_DAY
    )
    return {
        "symbol": symbol,
        "day": day.isoformat(),
        **compare_providers(events, web.config.quality),
    }
