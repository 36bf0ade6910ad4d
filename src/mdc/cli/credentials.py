"""``mdc credentials``: which provider credentials are set and where; keep them in the OS keyring.

Values are never printed. ``set`` reads the value from a hidden prompt (or from standard input
when it is not a terminal, for scripts) so it stays out of the shell history and process list.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.table import Table

from mdc.cli.common import EXIT_USAGE, console, fail
from mdc.providers import keychain
from mdc.providers.credentials import source
from mdc.providers.registry import all_specs

app = typer.Typer(help="Provider credentials: where each is found; store them in the OS keyring.")

NameArg = Annotated[str, typer.Argument(help="A credential name, e.g. POLYGON_API_KEY.")]


def _known() -> dict[str, list[str]]:
    """Credential name → the providers that use it."""
    names: dict[str, list[str]] = {}
    for spec in sorted(all_specs().values(), key=lambda s: s.name):
        for name in spec.credentials:
            names.setdefault(name, []).append(spec.name)
    return names


def _check(name: str) -> None:
    known = _known()
    if name not in known:
        fail(f"unknown credential {name!r}; known: {', '.join(sorted(known))}", EXIT_USAGE)


@app.callback(invoke_without_command=True)
def credentials(ctx: typer.Context) -> None:
    """Every credential a provider uses, and where it is found (environment, keyring)."""
    if ctx.invoked_subcommand is not None:
        return
    table = Table("credential", "providers", "found in")
    for name, providers in _known().items():
        table.add_row(name, ", ".join(providers), source(name) or "missing")
    console.print(table)
    try:
        console.print(f"OS keyring: {keychain.backend_name()}", highlight=False)
    except keychain.KeychainUnavailable as exc:
        console.print(f"OS keyring: unavailable ({exc})", highlight=False)


@app.command("set")
def set_(name: NameArg) -> None:
    """Store NAME in the OS keyring (prompted, hidden; or read from standard input)."""
    _check(name)
    if sys.stdin.isatty():
        value = typer.prompt(name, hide_input=True, confirmation_prompt=True)
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    if not value:
        fail(f"{name}: empty value, nothing stored", EXIT_USAGE)
    try:
        keychain.store(name, value)
    except keychain.KeychainUnavailable as exc:
        fail(str(exc), EXIT_USAGE)
    console.print(f"{name} stored in the OS keyring", highlight=False)


@app.command()
def delete(name: NameArg) -> None:
    """Remove NAME from the OS keyring."""
    _check(name)
    try:
        removed = keychain.delete(name)
    except keychain.KeychainUnavailable as exc:
        fail(str(exc), EXIT_USAGE)
    console.print(
        f"{name} {'removed from' if removed else 'was not in'} the OS keyring", highlight=False
    )
