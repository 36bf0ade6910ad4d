"""``mdc providers`` (list), ``mdc providers show NAME`` (capabilities, credentials, keys,
and the live connection when a collector runs it) and ``mdc providers check [NAME]`` (one live
authenticated request per provider: ok / missing / bad key / plan lacks it / unreachable).

Credentials are reported as present or missing, never shown. Every config key of a provider is
listed with its effective value and the ``MDC_PROVIDERS__<NAME>__<KEY>`` variable that sets it;
endpoint URLs (keys ending in ``url``) first, since proxies, sandboxes and tests change them.
The live part comes from the running collector's ``/api/providers`` (``--url``): its connection
counters and the facts the provider publishes in ``details`` (IB: server version, data farms,
market-data lines in use), printed generically so every provider's facts show.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Final

import msgspec
import typer

from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    console,
    err_console,
    fail,
    load,
    note,
    print_table,
)
from mdc.cli.remote import CollectorUnavailable, UrlOption, collector_url, get_json
from mdc.config import Config, ConfigError, provider_section
from mdc.config.load import ENV_PREFIX, mask
from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.check import CheckResult, check_provider
from mdc.providers.registry import UnknownProvider, all_specs, get_spec, used_providers

app = typer.Typer(help="List the data providers and show how to configure one.")

JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


@app.callback(invoke_without_command=True)
def providers(ctx: typer.Context, as_json: JsonOption = False) -> None:
    """List providers: capabilities and whether their credentials are set."""
    if ctx.invoked_subcommand is not None:
        return
    specs = sorted(all_specs().values(), key=lambda s: s.name)
    if as_json:
        console.print_json(msgspec.json.encode([summary(s) for s in specs]).decode())
        return
    print_table(
        ("provider", "data", "assets", "live", "history", "credentials"),
        [
            (
                spec.name,
                data_kinds(spec.capabilities),
                ", ".join(spec.capabilities.asset_classes),
                "yes" if spec.streaming else "-",
                "yes" if spec.historical else "-",
                credentials_text(spec),
            )
            for spec in specs
        ],
    )
    notes = [spec for spec in specs if spec.plan_notes]
    out = console if console.is_terminal else err_console  # piped stdout stays pure TSV
    if notes:
        out.print("[bold]plans[/]", highlight=False)
        for spec in notes:
            out.print(f"  {spec.name}: {spec.plan_notes}", highlight=False, soft_wrap=True)


@app.command()
def show(
    name: str, config_path: ConfigOption = None, as_json: JsonOption = False, url: UrlOption = None
) -> None:
    """One provider: capabilities, credentials, every config key with its env variable, and
    its live state in the running collector (when one answers at --url)."""
    try:
        spec = get_spec(name)
    except UnknownProvider as exc:
        fail(str(exc), EXIT_USAGE)
    config = load(config_path)
    try:
        section = provider_section(config, spec.name, spec.config)
    except ConfigError as exc:
        fail(str(exc), EXIT_USAGE)
    keys = config_keys(spec, section)
    live = live_state(spec.name, config, url)
    if as_json:
        payload = {**summary(spec), "config": keys, "live": live}
        console.print_json(msgspec.json.encode(payload).decode())
        return
    console.print(f"[bold]{spec.name}[/]: {spec.description}", highlight=False)
    console.print(f"data: {data_kinds(spec.capabilities)}", highlight=False)
    caps = spec.capabilities
    console.print(
        f"assets: {', '.join(caps.asset_classes)}; sequence numbers: {caps.seq_scope}"
        + (" (contiguous)" if caps.seq_contiguous else ""),
        highlight=False,
    )
    console.print(f"credentials: {credentials_text(spec)}", highlight=False)
    if spec.plan_notes:
        console.print(f"plans: {spec.plan_notes}", highlight=False)
    if spec.extra:
        console.print(f"needs: pip install 'mdc[{spec.extra}]'", highlight=False)
    print_table(
        ("key", "value", "environment variable"),
        [(row["key"], _shown(row["value"]), row["env"]) for row in keys],
        title=f"[providers.{spec.name}]",
    )
    print_live(spec.name, live)


@app.command()
def check(
    names: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[NAME]...",
            help="Providers to check. Default: every provider the config names or configures.",
            show_default=False,
        ),
    ] = None,
    config_path: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Check credentials and plan live: one cheap authenticated request per provider, one line
    each naming the fix. Exit 1 when any check is not ok."""
    config = load(config_path)
    try:
        specs = [get_spec(n) for n in names or used_providers(config)]
    except UnknownProvider as exc:
        fail(str(exc), EXIT_USAGE)

    async def run_all() -> list[CheckResult]:
        return list(await asyncio.gather(*(check_provider(s, config) for s in specs)))

    results = asyncio.run(run_all())
    if as_json:
        console.print_json(msgspec.json.encode(results).decode())
    else:
        width = max(len(r.provider) for r in results)
        for r in results:
            line = f"{r.provider:<{width}}  {r.outcome:<12}  {r.message}"
            console.print(line, highlight=False, soft_wrap=True, markup=False)
    if not all(r.ok for r in results):
        raise typer.Exit(EXIT_FAILURE)


def live_state(name: str, config: Config, url: str | None) -> dict[str, Any]:
    """The provider's connection in the collector at ``url`` (default: the config's [http]).

    ``connection`` is None when that collector does not run the provider; ``error`` says why
    there is no answer. An unreachable collector at an explicit ``--url`` is an error (exit 1);
    at the default address it only means none is running.
    """
    base = collector_url(config, url)
    try:
        rows = get_json(base, "/api/providers", config)
    except CollectorUnavailable as exc:
        if url:
            fail(str(exc), EXIT_FAILURE)
        return {"url": base, "connection": None, "error": str(exc)}
    row = next((r for r in rows if r.get("name") == name), None)
    connection = row.get("connection") if row else None
    return {"url": base, "connection": connection, "error": None}


def print_live(name: str, live: dict[str, Any]) -> None:
    c = live["connection"]
    if live["error"]:
        note(f"live: {live['error']}")
        return
    if c is None:
        note(f"live: the collector at {live['url']} does not run {name}")
        return
    state = f"{c['state']} ({'connected' if c['connected'] else 'not connected'})"
    console.print(f"[bold]live[/] ({live['url']}): {state}", highlight=False)
    facts: list[tuple[str, Any]] = [
        ("counters", {k: c[k] for k in COUNTERS}),
        ("subscribed", c["subscribed"]),
        ("last error", c["last_error"]),
    ]
    tables = []
    for key, value in (c.get("details") or {}).items():
        if _is_records(value):
            tables.append((key, value))
        else:
            facts.append((key.replace("_", " "), value))
    for label, value in facts:
        console.print(f"  {label}: {plain(value)}", highlight=False, soft_wrap=True)
    for key, records in tables:
        headers = list(dict.fromkeys(k for r in records for k in r))
        print_table(
            headers,
            [[plain(r.get(h)) for h in headers] for r in records],
            title=f"{name} {key.replace('_', ' ')}",
        )


COUNTERS: Final = ("messages", "events", "gaps", "bad_frames", "reconnects", "errors")


def plain(value: Any) -> str:
    """A detail value as words: mappings as ``key value, ...``, lists joined, none as ``-``."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dict):
        return ", ".join(f"{str(k).replace('_', ' ')} {plain(v)}" for k, v in value.items()) or (
            "none"
        )
    if isinstance(value, list):
        return ", ".join(plain(v) for v in value) or "none"
    return str(value)


def _is_records(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def summary(spec: ProviderSpec) -> dict[str, Any]:
    """Plain data about a provider: no credential values, only whether they are set."""
    missing = spec.missing_credentials()
    return {
        "name": spec.name,
        "description": spec.description,
        "plan_notes": spec.plan_notes,
        "capabilities": msgspec.to_builtins(spec.capabilities),
        "streaming": spec.streaming is not None,
        "historical": spec.historical is not None,
        "credentials": {var: var not in missing for var in spec.credentials},
    }


def config_keys(spec: ProviderSpec, section: msgspec.Struct) -> list[dict[str, Any]]:
    """Every key of the provider's section: URLs first, then the rest, in declaration order."""
    values = mask(msgspec.to_builtins(section))
    fields = list(msgspec.structs.fields(type(section)))
    fields.sort(key=lambda f: not f.encode_name.endswith("url"))
    return [
        {
            "key": f.encode_name,
            "value": values.get(f.encode_name),
            "env": f"{ENV_PREFIX}PROVIDERS__{spec.name.upper()}__{f.encode_name.upper()}",
        }
        for f in fields
    ]


def data_kinds(caps: Capabilities) -> str:
    levels = caps.max_depth_levels
    kinds = [
        name
        for name, present in (
            ("trades", caps.trades),
            ("quotes", caps.quotes),
            (f"depth ({levels} levels)" if levels else "depth (full book)", caps.depth),
            ("bars", caps.bars),
            ("corporate actions", caps.corporate_actions),
        )
        if present
    ]
    return ", ".join(kinds) or "-"


def credentials_text(spec: ProviderSpec) -> str:
    if not spec.credentials:
        return "none needed"
    missing = spec.missing_credentials()
    if not missing:
        return f"set ({', '.join(spec.credentials)})"
    return f"missing: {', '.join(missing)}"


def _shown(value: Any) -> str:
    if value is None:
        return "(unset)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(map(str, value)) or "(none)"
    return str(value)
