"""``mdc providers`` (list) and ``mdc providers show NAME`` (capabilities, credentials, keys).

Credentials are reported as present or missing, never shown. Every config key of a provider is
listed with its effective value and the ``MDC_PROVIDERS__<NAME>__<KEY>`` variable that sets it;
endpoint URLs (keys ending in ``url``) first, since proxies, sandboxes and tests change them.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import typer

from mdc.cli.common import (
    EXIT_USAGE,
    ConfigOption,
    console,
    err_console,
    fail,
    load,
    print_table,
)
from mdc.config import ConfigError, provider_section
from mdc.config.load import ENV_PREFIX, mask
from mdc.domain.capabilities import Capabilities
from mdc.providers.base import ProviderSpec
from mdc.providers.registry import UnknownProvider, all_specs, get_spec

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
def show(name: str, config_path: ConfigOption = None, as_json: JsonOption = False) -> None:
    """One provider: capabilities, credentials, every config key with its env variable."""
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
    if as_json:
        console.print_json(msgspec.json.encode({**summary(spec), "config": keys}).decode())
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
