"""``mdc init``: a wizard that writes a commented ``mdc.toml`` (``--yes`` and flags: none).

It finds credentials already in the environment or the keyring (and tries them live: a
rejected key or a plan without the data is asked again), asks for the streaming provider,
symbols, storage root and format, retention and disk budget, checks each answer the
moment it is given (a bad one is asked again with the reason), and validates the whole file
with the same loader ``mdc collect`` uses before writing it. Prompts are rich's (already a
dependency through typer); ``mdc config init`` still writes the full commented sample.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final

import msgspec
import typer
from rich.prompt import Prompt

from mdc.cli.common import EXIT_FAILURE, EXIT_USAGE, console, err_console, fail
from mdc.config import Config, ConfigError, load_config
from mdc.config.schema import StorageConfig
from mdc.providers.check import check_provider as check_live
from mdc.providers.registry import all_specs, check_config, get_spec

Check = Callable[[str], str | None]
"""An answer's problem in words, or None when it is fine."""
FORMATS: Final = ("jsonl", "parquet", "both")
REJECTED: Final = frozenset({"bad_key", "not_in_plan"})
"""Live-check outcomes that make the provider answer wrong; others (unreachable, throttled)
only warn, since the key may well be good."""


def detected() -> list[str]:
    """Providers whose every credential is set (environment or keyring)."""
    return sorted(
        s.name for s in all_specs().values() if s.credentials and not s.missing_credentials()
    )


def check_provider(name: str) -> str | None:
    spec = all_specs().get(name)
    if spec is None:
        return f"unknown provider {name!r}; streaming ones: {', '.join(streaming())}"
    if spec.streaming is None:
        return f"{name} serves history only; streaming ones: {', '.join(streaming())}"
    missing = spec.missing_credentials()
    if missing:
        return (
            f"{name} needs {', '.join(missing)}: set it in the environment or with "
            "`mdc credentials set NAME`, then run mdc init again (or choose simulated)"
        )
    if not spec.credentials:
        return None
    # The keys are there: try them live (one cheap request, `mdc providers check`), with the
    # endpoints of the environment's MDC_PROVIDERS__* variables if any.
    try:
        config = load_config(env=os.environ)
    except ConfigError:
        config = Config()
    result = asyncio.run(check_live(spec, config))
    if result.outcome in REJECTED:
        return result.message
    if not result.ok:
        console.print(f"  could not confirm the key now: {result.message}", markup=False)
    return None


def streaming() -> list[str]:
    return sorted(s.name for s in all_specs().values() if s.streaming is not None)


def check_symbols(text: str) -> str | None:
    symbols = split(text)
    if not symbols:
        return "give at least one symbol, e.g. SPY,AAPL"
    for symbol in symbols:
        if " " in symbol or len(symbol) > 64:
            return f"{symbol!r} is not a symbol (no spaces, at most 64 characters)"
    dupes = sorted({s for s in symbols if symbols.count(s) > 1})
    return f"listed twice: {', '.join(dupes)}" if dupes else None


def split(text: str) -> list[str]:
    return [s.strip() for s in text.split(",") if s.strip()]


def check_root(text: str) -> str | None:
    if not text.strip():
        return "give a directory"
    path = Path(text).expanduser().absolute()
    if path.exists() and not path.is_dir():
        return f"{path} exists and is not a directory"
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"cannot create or write {path}: {probe} is not writable by this user"
    return None


def check_count(what: str) -> Check:
    def check(text: str) -> str | None:
        try:
            value = int(text)
        except ValueError:
            return f"{what}: give a whole number, got {text!r}"
        return f"{what}: must be 0 or more, got {value}" if value < 0 else None

    return check


def check_format(text: str) -> str | None:
    return None if text in FORMATS else f"choose one of {', '.join(FORMATS)}, got {text!r}"


def ask(question: str, default: str, check: Check) -> str:
    """Ask until ``check`` accepts the answer; say why each time it does not."""
    while True:
        answer = Prompt.ask(question, default=default, console=console).strip()
        problem = check(answer)
        if problem is None:
            return answer
        console.print(f"  not accepted: {problem}", highlight=False, markup=False)


def render(provider: str, symbols: list[str], storage: StorageConfig) -> str:
    """The commented file (every value also passes through the loader before it is written)."""
    q = json.dumps
    day = datetime.now(UTC).date().isoformat()
    return f"""\
# mdc.toml, written by `mdc init` on {day}. Every key: docs/configuration.md;
# check it with `mdc config validate`, start with `mdc collect`.

# The streaming provider `mdc collect` uses (`mdc providers` lists them; credentials come from
# the environment or the keyring, never from this file).
provider = {q(provider)}

# Symbols to collect. An entry may also be a table with options, e.g.
# {{ symbol = "SPY", depth_levels = 20 }} (trades, quotes, depth, depth_levels 1..50).
symbols = [{", ".join(q(s) for s in symbols)}]

[storage]
# The archive root (created on first use).
root = {q(storage.root)}
# jsonl | parquet | both
format = {q(storage.format)}
# Days of data to keep; older partitions are deleted (0 keeps everything).
retention_days = {storage.retention_days}
# Disk budget of the archive in MB; the oldest partitions go first (0: no cap).
retention_max_mb = {storage.retention_max_mb}
# Writing pauses (and says so) below this much free disk, and resumes above it.
min_free_mb = {storage.min_free_mb}
"""


def init(
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Where to write the config.")
    ] = Path("mdc.toml"),
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Ask nothing: use the flags and defaults.")
    ] = False,
    force: Annotated[bool, typer.Option("--force", help="Overwrite an existing file.")] = False,
    provider: Annotated[str | None, typer.Option(help="Streaming provider.")] = None,
    symbols: Annotated[str | None, typer.Option(metavar="A,B", help="Symbols.")] = None,
    data: Annotated[str | None, typer.Option(metavar="DIR", help="Storage root.")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="jsonl, parquet or both.")] = None,
    retention_days: Annotated[int | None, typer.Option(help="Days to keep (0: all).")] = None,
    max_mb: Annotated[int | None, typer.Option(help="Archive disk budget in MB (0: none).")] = None,
) -> None:
    """Write a commented mdc.toml by asking (or, with --yes, from the flags)."""
    if output.exists() and not force:
        fail(f"{output} exists (use --force to overwrite, or --output elsewhere)", EXIT_USAGE)
    found = detected()
    default_provider = next((n for n in found if get_spec(n).streaming), "simulated")
    defaults = StorageConfig()
    steps: list[tuple[str, str | None, str, Check]] = [
        ("Streaming provider", provider, default_provider, check_provider),
        ("Symbols (comma-separated)", symbols, "SPY,AAPL,MSFT", check_symbols),
        ("Storage root", data, defaults.root, check_root),
        (f"Archive format ({'/'.join(FORMATS)})", fmt, defaults.format, check_format),
        ("Retention in days (0 keeps everything)", _text(retention_days), "0", check_count("days")),
        ("Disk budget in MB (0: no cap)", _text(max_mb), "0", check_count("disk budget")),
    ]
    if not yes:
        console.print(
            "credentials found for: " + (", ".join(found) or "none (simulated needs none)"),
            highlight=False,
        )
    answers: list[str] = []
    for question, given, default, check in steps:
        if yes or given is not None:
            answer = default if given is None else given
            problem = check(answer)
            if problem is not None:
                fail(f"{question.split(' (')[0].lower()}: {problem}", EXIT_USAGE)
            answers.append(answer)
        else:
            answers.append(ask(question, default, check))
    name, symbol_text, root, archive_format, days, budget = answers
    storage = msgspec.convert(
        {
            "root": root,
            "format": archive_format,
            "retention_days": int(days),
            "retention_max_mb": int(budget),
        },
        StorageConfig,
    )
    text = render(name, split(symbol_text), storage)
    try:
        output.write_text(text, encoding="utf-8")
        check_config(load_config(output, env={}))
    except ConfigError as exc:
        fail(f"the written file does not validate: {exc}", EXIT_FAILURE)
    except OSError as exc:
        fail(f"cannot write {output}: {exc.strerror or exc}", EXIT_FAILURE)
    console.print(f"wrote {output}; start with: mdc collect --config {output}", highlight=False)
    if output.name != "mdc.toml" or output.parent.absolute() != Path.cwd():
        err_console.print("(mdc reads ./mdc.toml by itself; elsewhere pass --config)")


def _text(value: int | None) -> str | None:
    return None if value is None else str(value)
