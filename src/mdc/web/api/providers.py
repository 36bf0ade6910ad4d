"""Providers: what each can deliver, which credentials it needs, its live connection, and a
live check of its credentials and plan (``POST /api/providers/{name}/check``)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

import msgspec
from fastapi import APIRouter, Depends, HTTPException, status

from mdc.providers.check import check_provider
from mdc.providers.registry import UnknownProvider, all_specs, get_spec
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/providers", tags=["providers"])


@router.get("", summary="Every known provider: capabilities, credentials set or not, state")
async def list_providers(web: Annotated[WebState, Depends(get_web)]) -> list[dict[str, Any]]:
    running = web.runtime.providers if web.runtime is not None else {}
    specs = all_specs() | {name: p.spec for name, p in running.items()}
    out = []
    for name, spec in sorted(specs.items()):
        missing = set(spec.missing_credentials())
        provider = running.get(name)
        connection = None
        if provider is not None:
            state = provider.state
            connection = {
                "connected": state.connected,
                "state": state.state,
                "since_ns": state.since_ns,
                "last_message_ns": state.last_message_ns,
                "messages": state.messages,
                "reconnects": state.reconnects,
                "errors": state.errors,
                "last_error": state.last_error,
                "bad_frames": state.bad_frames,
                "events": state.events,
                "gaps": state.gaps,
                "subscribed": sorted(state.subscribed),
                "details": state.details,
                "counters": provider.counters(),
            }
        out.append(
            {
                "name": name,
                "description": spec.description,
                "plan_notes": spec.plan_notes,
                "capabilities": asdict(spec.capabilities),
                "streaming": spec.streaming is not None,
                "historical": spec.historical is not None,
                "search": spec.search is not None,
                "extra": spec.extra,
                "credentials": [{"name": c, "set": c not in missing} for c in spec.credentials],
                "running": provider is not None,
                "primary": web.config.provider == name,
                "connection": connection,
            }
        )
    return out


@router.post(
    "/{name}/check",
    summary="One live authenticated request: ok, missing, bad_key, not_in_plan, rate_limited, "
    "unreachable, no_extra or failed, with the fix in `message`",
    dependencies=[MutatingRoute],
    responses={404: {"description": "unknown provider"}},
)
async def check(name: str, web: Annotated[WebState, Depends(get_web)]) -> dict[str, Any]:
    try:
        spec = get_spec(name)
    except UnknownProvider as exc:
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail=str(exc)) from None
    result: dict[str, Any] = msgspec.to_builtins(await check_provider(spec, web.config))
    return result
