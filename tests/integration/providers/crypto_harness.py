"""Run a real crypto provider through the real runtime against a capture replay server."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from replay_server import ReplayServer

from mdc.config import Config, SymbolConfig
from mdc.domain.events import TYPE_NAMES
from mdc.pipeline.runtime import Runtime
from mdc.providers.connection import WebSocketProvider

FAST: dict[str, Any] = {
    "stale_market_hours_only": False,
    "reconnect_initial_s": 0.05,
    "reconnect_max_s": 0.2,
    "ping_interval_s": 0,
}
SETTLE_S = 0.3
"""After the expected counts arrive, wait this long to see that nothing more does."""


def config_for(
    provider: str, server: ReplayServer, symbols: list[str], root: Path, **extra: Any
) -> Config:
    section = {"ws_url": server.ws_url, "rest_url": server.http_url, **FAST, **extra}
    return Config(
        provider=provider,
        symbols=list(symbols),
        providers={provider: section},
        storage=Config().storage.__class__(root=str(root)),
    )


async def run_until(
    provider_cls: Callable[[Config, Any], WebSocketProvider],
    config: Config,
    server: ReplayServer,
    done: Callable[[Counter[str]], bool],
    timeout: float = 20.0,
) -> tuple[Runtime, WebSocketProvider]:
    """Run the runtime with the provider until the replay is sent and ``done(counts)``."""
    runtime = Runtime(config)
    provider = provider_cls(config, runtime)
    runtime.providers[config.provider] = provider
    task = asyncio.create_task(runtime.run())
    async with asyncio.timeout(timeout):
        await server.replayed.wait()
        while not done(Counter(runtime.events_by_type)):
            await asyncio.sleep(0.02)
    await asyncio.sleep(SETTLE_S)
    runtime.stop()
    await task
    return runtime, provider


def stored_counts(root: Path) -> Counter[str]:
    """Events per archive type name, counted from the files the store wrote."""
    counts: Counter[str] = Counter()
    for path in root.rglob("*.jsonl"):
        name = path.parent.name
        if name in TYPE_NAMES.values():
            with path.open("rb") as f:
                counts[name] += sum(1 for _ in f)
    return counts


def stored(root: Path, type_name: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for path in sorted(root.rglob(f"{type_name}/*.jsonl")):
        rows.extend(json.loads(line) for line in path.read_text().splitlines())
    return rows


def symbol_configs(symbols: list[str]) -> list[SymbolConfig]:
    return [SymbolConfig(symbol=s) for s in symbols]
