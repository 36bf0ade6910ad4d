"""The effective config (secrets masked), validation of a config file's text, and a hot
reload of the running collector's config (``pipeline/reload.py``)."""

from __future__ import annotations

import tomllib
from typing import Annotated, Any, Final

import msgspec
from fastapi import APIRouter, Depends, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field

from mdc.config.load import ConfigError, convert, to_dict
from mdc.config.schema import Config
from mdc.providers.registry import check_config
from mdc.web.security import MutatingRoute
from mdc.web.state import WebState, get_web

router = APIRouter(prefix="/api/config", tags=["config"])
MAX_CONFIG_CHARS: Final = 1_000_000


class ConfigText(BaseModel):
    model_config = ConfigDict(extra="forbid")
    toml: str = Field(max_length=MAX_CONFIG_CHARS, description="A config file's text (TOML).")


@router.get("", summary="The effective configuration, secrets masked")
async def show(web: Annotated[WebState, Depends(get_web)]) -> dict[str, Any]:
    return to_dict(web.config)


@router.post("/validate", summary="Check a config file's text; the error names the bad key")
async def validate(body: ConfigText) -> dict[str, Any]:
    try:
        raw = tomllib.loads(body.toml)
    except tomllib.TOMLDecodeError as exc:
        return {"valid": False, "error": f"not valid TOML: {exc}"}
    try:
        check_config(convert(raw, Config))
    except ConfigError as exc:
        return {"valid": False, "error": str(exc)}
    return {"valid": True, "error": None}


@router.post(
    "/reload",
    summary="Reload the config file: apply what can change live, list what needs a restart",
    dependencies=[MutatingRoute],
    responses={409: {"description": "no collector here"}, 422: {"description": "refused"}},
)
async def reload(web: Annotated[WebState, Depends(get_web)]) -> dict[str, Any]:
    """A bad config is refused (422, the message names the key) and the collector keeps
    running on the previous one."""
    if web.reloader is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            detail="this server has no config to reload: config reload needs a collector "
            "started by `mdc collect`",
        )
    result = await web.reloader.reload("api")
    if not result.ok:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, detail=result.message)
    out: dict[str, Any] = msgspec.to_builtins(result)
    return out
