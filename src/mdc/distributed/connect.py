"""Connecting to NATS with the ``[distributed]`` options and making sure the stream exists.

nats-py (``mdc[nats]``), read 2026-12-03: https://nats-io.github.io/nats.py/ and the
JetStream model at https://docs.nats.io/nats-concepts/jetstream (streams, duplicate window,
durable pull consumers, explicit acks).
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from mdc.config.schema import DistributedConfig

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js.client import JetStreamContext

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_S: Final = 5.0


class BusError(RuntimeError):
    """The bus cannot be used as configured (missing extra, bad credentials file, …)."""


def _check_file(key: str, value: str | None) -> str | None:
    if value is not None and not Path(value).is_file():
        raise BusError(f"distributed.{key} = {value!r}: no such file; fix the path")
    return value


def shown(servers: list[str]) -> str:
    """The server list for logs and errors: credentials in a URL (``user:pass@``) cut out."""
    return ", ".join(re.sub(r"//[^/@]*@", "//***@", url) for url in servers)


def options(cfg: DistributedConfig) -> dict[str, Any]:
    """nats-py connect options; secrets go to the client only, never to logs."""
    opts: dict[str, Any] = {
        "servers": cfg.servers,
        "max_reconnect_attempts": -1,  # an outage pauses publishing, it does not end it
        "reconnect_time_wait": 0.5,
        "allow_reconnect": True,
        "connect_timeout": 5,
    }
    if creds := _check_file("creds_file", cfg.creds_file):
        opts["user_credentials"] = creds
    if seed := _check_file("nkey_seed_file", cfg.nkey_seed_file):
        opts["nkeys_seed"] = seed
    if cfg.token:
        opts["token"] = cfg.token
    if cfg.user:
        opts["user"] = cfg.user
        opts["password"] = cfg.password or ""
    if cfg.tls_ca_file or cfg.tls_cert_file:
        ctx = ssl.create_default_context(cafile=_check_file("tls_ca_file", cfg.tls_ca_file))
        if cert := _check_file("tls_cert_file", cfg.tls_cert_file):
            ctx.load_cert_chain(cert, _check_file("tls_key_file", cfg.tls_key_file))
        opts["tls"] = ctx
    return opts


async def connect(cfg: DistributedConfig, name: str) -> Client:
    try:
        import nats
    except ImportError:
        raise BusError("NATS needs the nats extra: pip install 'mdc[nats]'") from None

    async def error_cb(exc: Exception) -> None:
        log.warning("nats: %s", exc)

    client: list[Client] = []

    async def disconnected_cb() -> None:
        if client and not client[0].is_closed:  # not our own close()
            log.warning("nats: disconnected from %s; reconnecting", shown(cfg.servers))

    async def reconnected_cb() -> None:
        log.info("nats: reconnected")

    try:
        # nats-py retries a first connect forever when reconnecting is on: bound it here.
        nc = await asyncio.wait_for(
            nats.connect(
                name=name,
                error_cb=error_cb,
                disconnected_cb=disconnected_cb,
                reconnected_cb=reconnected_cb,
                **options(cfg),
            ),
            CONNECT_TIMEOUT_S,
        )
    except Exception as exc:
        raise BusError(
            f"cannot connect to NATS at {shown(cfg.servers)}: {str(exc) or type(exc).__name__}; "
            "is nats-server running with JetStream (-js)? check distributed.servers / "
            "--publish / --from"
        ) from exc
    client.append(nc)
    return nc


async def ensure_stream(js: JetStreamContext, cfg: DistributedConfig) -> None:
    """Create the stream when it does not exist; an existing one is used as it is."""
    from nats.js import api
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(cfg.stream)
        return
    except NotFoundError:
        pass
    await js.add_stream(
        api.StreamConfig(
            name=cfg.stream,
            subjects=[f"{cfg.subject_prefix}.>"],
            storage=api.StorageType.FILE,
            num_replicas=cfg.replicas,
            duplicate_window=cfg.duplicate_window_s,
            max_age=cfg.max_age_s or None,
        )
    )
    log.info("created JetStream stream %s on %s.>", cfg.stream, cfg.subject_prefix)
