"""Data quality: gap and integrity events (filterable), their rate over time, bad frames."""

from __future__ import annotations

from collections import Counter
from typing import Annotated, Any, Final, Literal

from fastapi import APIRouter, Depends, Query

from mdc.domain.time import NS_PER_S
from mdc.web.state import WebState, get_web, live_runtime

router = APIRouter(prefix="/api/quality", tags=["quality"])
Web = Annotated[WebState, Depends(get_web)]
MAX_BUCKETS: Final = 720


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
