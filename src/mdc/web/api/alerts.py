"""Alerts: the ``[[alerts]]`` rules, open incidents, recent notifications, snoozing."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Path, Query, status

from mdc.quality.alerts import AlertManager
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/alerts", tags=["alerts"])
Web = Annotated[WebState, Depends(get_web)]


def _manager(web: WebState) -> AlertManager:
    if web.alerts is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="alerts are evaluated by a running collector (mdc collect), not by mdc serve",
        )
    manager: AlertManager = web.alerts
    return manager


@router.get("", summary="Alert rules, open incidents and recent notifications (newest first)")
async def alerts(web: Web) -> dict[str, Any]:
    if web.alerts is None:
        return {"rules": [], "open": [], "notifications": [], "live": False}
    return {**web.alerts.status(), "live": True}


@router.post(
    "/{rule}/snooze",
    dependencies=[MutatingRoute],
    summary="Snooze a rule for some seconds (0 ends the snooze)",
)
async def snooze(
    web: Web,
    rule: Annotated[str, Path(max_length=100)],
    seconds: Annotated[float, Query(ge=0, le=7 * 86_400)] = 3600,
) -> dict[str, Any]:
    manager = _manager(web)
    try:
        until = manager.snooze(rule, seconds)
    except KeyError:
        names = ", ".join(r.name for r in manager.rules) or "none configured"
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, detail=f"no alert rule {rule!r} (rules: {names})"
        ) from None
    return {"rule": rule, "snoozed_until_ns": until if seconds > 0 else None}
