"""Config reload: the diff, which keys apply live, the effective config, and a reload that
restarts the feeds on new routes inside a running collector (real simulated feed, real store)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from mdc.config import Config, load_config
from mdc.config.load import ConfigError, convert
from mdc.pipeline.reload import ConfigReloader, changed_keys, effective, is_live
from mdc.pipeline.runtime import Runtime


def test_changed_keys_are_dotted_and_lists_compare_whole() -> None:
    old = Config(symbols=["SPY"], providers={"polygon": {"rest": {"url": "a"}}})
    new = convert(
        {
            "symbols": ["SPY", "QQQ"],
            "storage": {"retention_days": 3},
            "http": {"port": 9000},
            "providers": {"polygon": {"rest": {"url": "b"}}, "tiingo": {"rest": {"url": "c"}}},
        },
        Config,
    )
    assert changed_keys(old, new) == [
        "http.port",
        "providers.polygon.rest.url",
        "providers.tiingo.rest.url",
        "storage.retention_days",
        "symbols",
    ]
    assert [k for k in changed_keys(old, new) if not is_live(k)] == [
        "http.port",
        "providers.polygon.rest.url",
        "providers.tiingo.rest.url",
    ]
    assert changed_keys(new, new) == []


def test_effective_keeps_running_values_of_restart_keys() -> None:
    old = Config(symbols=["SPY"], providers={"polygon": {"rest": {"url": "a"}}})
    new = convert(
        {
            "symbols": ["QQQ"],
            "http": {"port": 9000},
            "providers": {"polygon": {"rest": {"url": "b"}}, "tiingo": {"x": 1}},
        },
        Config,
    )
    restart = [k for k in changed_keys(old, new) if not is_live(k)]
    out = effective(old, new, restart)
    assert out.symbols == ["QQQ"]
    assert out.http.port == old.http.port
    assert out.providers == {"polygon": {"rest": {"url": "a"}}}
    assert changed_keys(old, out) == ["symbols"]


def test_a_reload_with_new_routes_restarts_the_feeds_and_loses_nothing(tmp_path: Path) -> None:
    env = {"MDC_STORAGE__ROOT": str(tmp_path), "MDC_PROVIDERS__SIMULATED__RATE": "4000"}
    config = load_config(env={**env, "MDC_SYMBOLS": "SPY"})
    runtime = Runtime(config)
    wanted = {"symbols": ["SPY"], "routes": [{"symbols": ["QQQ"], "provider": "simulated"}]}
    loads: list[Config | Exception] = [
        ConfigError("symbols[0]: bad"),
        load_config(env=env, overrides=wanted),
    ]

    def load() -> Config:
        item = loads.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    reloader = ConfigReloader(runtime, load)

    async def scenario() -> None:
        task = asyncio.create_task(runtime.run())
        while runtime.symbol_counts["SPY"] < 200:
            await asyncio.sleep(0.02)
        refused = await reloader.reload("api")
        assert not refused.ok and refused.message.endswith("symbols[0]: bad")
        assert runtime.config is config and list(runtime.providers) == ["simulated"]
        applied = await reloader.reload("api")
        assert applied.ok and applied.applied == ["routes"] and applied.added == ["QQQ"]
        assert sorted(runtime.providers) == ["simulated", "simulated[0]"]
        spy = runtime.symbol_counts["SPY"]
        while runtime.symbol_counts["QQQ"] < 200 or runtime.symbol_counts["SPY"] < spy + 200:
            await asyncio.sleep(0.02)
        runtime.stop()
        await task

    asyncio.run(asyncio.wait_for(scenario(), 30))
    assert runtime.fatal_error is None
    lines = [
        json.loads(line)
        for p in tmp_path.rglob("*.jsonl")
        if not p.name.startswith("_")
        for line in p.read_text().splitlines()
    ]
    assert len(lines) == runtime.events_stored
    assert len({json.dumps(e, sort_keys=True) for e in lines}) == len(lines)
    config_states = [e["state"] for e in lines if e["type"] == "status" and e["kind"] == "config"]
    assert sorted(config_states) == ["refused", "reloaded"]
    assert [r["ok"] for r in runtime.status()["config"]["reloads"]] == [False, True]


def test_services_extend_what_applies_live() -> None:
    """``alerts`` applies live only where the alert service runs (it adds the key)."""
    assert not is_live("alerts")
    assert is_live("alerts", ("alerts",))
    assert is_live("alerts.0.seconds", ("alerts",))
    assert not is_live("alertsx", ("alerts",))
