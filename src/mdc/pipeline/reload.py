"""Hot reload of a running collector's config: validate completely, diff, apply what can change
live, keep the old config when the new one is bad.

Triggers: SIGHUP, a change of the config file (:meth:`ConfigReloader.watch` polls its mtime and
hash), ``POST /api/config/reload``. Each reload is recorded as a ``Status(kind="config")`` event
(stored like every event) and in ``/status`` under ``config.reloads``.

What applies live (:data:`LIVE_KEYS`): the symbol list (added symbols are subscribed, removed
ones unsubscribed, a symbol whose options changed — depth levels, trades/quotes/depth — is
resubscribed), routes, ``provider`` and ``failover`` lists (the streaming feeds restart on the
new config; what they had published is processed first), storage retention and disk budgets,
the log level, and everything under ``backfill`` and ``watchlists`` (the scheduler rebuilds its
cron schedules); services add what they apply themselves (``Runtime.live_keys``: ``alerts``
when the alert rules run). Every other changed key is reported as needing a restart and keeps
its running value, so ``/api/config`` always shows what runs.

Nothing acknowledged is lost or duplicated: a reload never touches the ingest queue, the
processor or the store's WAL; feeds that stop have their published batches drained through the
normal path.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

import msgspec

from mdc.config.load import ConfigError
from mdc.config.schema import Config
from mdc.domain.events import Status
from mdc.domain.time import now_ns
from mdc.pipeline.runtime import Runtime
from mdc.providers.credentials import missing_hint
from mdc.providers.registry import check_config, get_spec

log = logging.getLogger(__name__)

Trigger = Literal["sighup", "file", "api"]
LIVE_KEYS: Final = (
    "symbols",
    "routes",
    "provider",
    "failover",
    "storage.retention_days",
    "storage.retention_max_mb",
    "storage.min_free_mb",
    "logging.level",
    "backfill",
    "watchlists",
)
"""Dotted keys (and everything under them) that a reload applies without a restart."""
FEED_KEYS: Final = ("routes", "provider", "failover")
"""Changing one of these restarts the streaming feeds."""
WATCH_INTERVAL_S: Final = 1.0
KEEP_RELOADS: Final = 20
"""Reloads kept for ``/status``."""


class ReloadResult(msgspec.Struct, frozen=True, kw_only=True):
    """What one reload did, for the API, ``/status`` and the log."""

    ok: bool
    trigger: Trigger
    at_ns: int
    message: str
    applied: list[str] = []
    """Changed keys now in effect."""
    restart_needed: list[str] = []
    """Changed keys that keep their running value until ``mdc collect`` restarts."""
    added: list[str] = []
    removed: list[str] = []
    resubscribed: list[str] = []


def changed_keys(old: Config, new: Config) -> list[str]:
    """Dotted keys whose values differ (lists are compared whole: ``symbols``, ``routes``)."""
    a, b = _flat(msgspec.to_builtins(old)), _flat(msgspec.to_builtins(new))
    return sorted(k for k in a.keys() | b.keys() if a.get(k, _ABSENT) != b.get(k, _ABSENT))


def is_live(key: str, extra: tuple[str, ...] = ()) -> bool:
    """Whether a reload applies ``key`` without a restart: one of :data:`LIVE_KEYS`, or of
    ``extra`` (what the running services apply, ``Runtime.live_keys``)."""
    return any(key == live or key.startswith(f"{live}.") for live in (*LIVE_KEYS, *extra))


def effective(old: Config, new: Config, restart_needed: list[str]) -> Config:
    """``new`` with every key of ``restart_needed`` back at its running value."""
    raw, running = msgspec.to_builtins(new), _flat(msgspec.to_builtins(old))
    for key in restart_needed:
        *parents, leaf = key.split(".")
        chain = [raw]
        for part in parents:
            chain.append(chain[-1].setdefault(part, {}))
        if key in running:
            chain[-1][leaf] = running[key]
            continue
        chain[-1].pop(leaf, None)
        for depth in range(len(parents), 0, -1):  # drop sections only the new config had
            path = ".".join(parents[:depth])
            if chain[depth] or any(k == path or k.startswith(f"{path}.") for k in running):
                break
            del chain[depth - 1][parents[depth - 1]]
    return msgspec.convert(raw, Config)


@dataclass
class ConfigReloader:
    """Reloads ``runtime``'s config from ``load`` (file, ``MDC_*`` variables, flags)."""

    runtime: Runtime
    load: Callable[[], Config]
    """Reads and validates the config the way ``mdc collect`` did at start (``ConfigError``)."""
    path: Path | None = None
    """The config file to watch (None: built-in defaults, nothing to watch)."""

    def __post_init__(self) -> None:
        self._lock = asyncio.Lock()
        self._seen = self._fingerprint()

    async def reload(self, trigger: Trigger) -> ReloadResult:
        """Load, validate, diff and apply; on any validation error keep running as before."""
        async with self._lock:
            self._seen = self._fingerprint()
            result = await self._reload(trigger)
        await self._record(result)
        return result

    async def watch(self) -> None:
        """A runtime service: reload when the file's mtime or content hash changed and then
        stayed the same for one more poll (an editor's half-written file is not read)."""
        if self.path is None:
            return
        pending = None
        while True:
            await asyncio.sleep(WATCH_INTERVAL_S)
            now = self._fingerprint()
            if now == self._seen:
                pending = None  # unchanged, or already reloaded by SIGHUP or the API
            elif now != pending:
                pending = now
            else:
                pending = None
                await self.reload("file")

    def on_signal(self) -> None:
        """SIGHUP handler (runs in the event loop; the reload itself is a task)."""
        asyncio.get_running_loop().create_task(self.reload("sighup"), name="reload")

    async def _reload(self, trigger: Trigger) -> ReloadResult:
        at = now_ns()
        old = self.runtime.config
        try:
            new = self.load()
            check_config(new)
            _check_feeds(old, new)
        except ConfigError as exc:
            return ReloadResult(
                ok=False,
                trigger=trigger,
                at_ns=at,
                message=f"config not reloaded, still running the previous one: {exc}",
            )
        changed = changed_keys(old, new)
        extra = tuple(self.runtime.live_keys)
        live = [k for k in changed if is_live(k, extra)]
        restart = [k for k in changed if not is_live(k, extra)]
        target = effective(old, new, restart) if restart else new
        before = dict(self.runtime.symbols)
        after = {s.symbol: s for s in target.symbol_configs()}
        added = [s for s in after if s not in before]
        removed = [s for s in before if s not in after]
        changed_symbols = [s for s in after if s in before and after[s] != before[s]]
        await self.runtime.reconfigure(
            target, restart_feeds=any(k.split(".")[0] in FEED_KEYS for k in live)
        )
        logging.getLogger().setLevel(target.logging.level)
        message = "config reloaded: " + (f"applied {', '.join(live)}" if live else "no changes")
        for label, names in (
            ("added", added),
            ("removed", removed),
            ("resubscribed", changed_symbols),
        ):
            if names:
                message += f"; {label} {','.join(names)}"
        if restart:
            message += f"; needs a restart of mdc collect for {', '.join(restart)}"
        return ReloadResult(
            ok=True,
            trigger=trigger,
            at_ns=at,
            message=message,
            applied=live,
            restart_needed=restart,
            added=added,
            removed=removed,
            resubscribed=changed_symbols,
        )

    async def _record(self, result: ReloadResult) -> None:
        (log.info if result.ok else log.error)("%s (%s)", result.message, result.trigger)
        self.runtime.reloads.append(msgspec.to_builtins(result))
        if not self.runtime.accepting:
            return  # stopping: the processor may be gone; the log and /status still say it
        status = Status(  # collector-wide: no symbol (stored under %00/statuses/)
            symbol="",
            venue="mdc",
            provider="mdc",
            ts_event=result.at_ns,
            ts_recv=result.at_ns,
            kind="config",
            state="reloaded" if result.ok else "refused",
            detail=result.message,
        )
        await self.runtime.publish([status])

    def _fingerprint(self) -> tuple[int, str] | None:
        if self.path is None:
            return None
        try:
            stat = self.path.stat()
            digest = hashlib.sha256(self.path.read_bytes()).hexdigest()
        except OSError:
            return None
        return stat.st_mtime_ns, digest


def _check_feeds(old: Config, new: Config) -> None:
    """Streaming providers the new config starts must stream and have their credentials."""
    before = set(_feed_names(old))
    for name in _feed_names(new):
        if name in before:
            continue
        spec = get_spec(name)
        missing = spec.missing_credentials()
        if missing:
            raise ConfigError(f"provider {name!r} needs credentials: {missing_hint(missing)}")


def _feed_names(config: Config) -> Iterator[str]:
    yield config.provider
    yield from config.failover
    for route in config.routes:
        yield route.provider
        yield from route.failover


_ABSENT: Final = object()


def _flat(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        out: dict[str, Any] = {}
        for key, item in value.items():
            out.update(_flat(item, f"{prefix}.{key}" if prefix else str(key)))
        return out
    return {prefix: value}
