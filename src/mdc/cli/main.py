"""The ``mdc`` command: one module per command group, registered here."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from mdc import __version__
from mdc.cli import (
    archive,
    backfill,
    collect,
    compact,
    config_cmd,
    credentials,
    doctor,
    export,
    importer,
    init_cmd,
    package,
    providers,
    quality,
    query,
    rederive,
    replay,
    selftest,
    serve,
    service,
    sink,
    store,
    symbols,
    tui,
)
from mdc.cli.common import EXIT_USAGE, err_console
from mdc.storage import ArchiveRootError

app = typer.Typer(
    name="mdc",
    help="Market Data Collector: collect, store, verify and serve market data.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mdc {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
    log_level: Annotated[
        str | None,
        typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR (env MDC_LOG_LEVEL)."),
    ] = None,
    log_format: Annotated[
        str | None, typer.Option("--log-format", help="text or json (env MDC_LOG_FORMAT).")
    ] = None,
) -> None:
    """Market Data Collector."""
    # The flags win over the config file by becoming the env overrides the loader reads.
    if log_level:
        os.environ["MDC_LOG_LEVEL"] = log_level.upper()
    if log_format:
        os.environ["MDC_LOG_FORMAT"] = log_format.lower()


app.command()(collect.collect)
app.command()(serve.serve)
app.command()(backfill.backfill)
app.command()(backfill.gaps)
app.add_typer(config_cmd.app, name="config")
app.add_typer(providers.app, name="providers")
app.add_typer(credentials.app, name="credentials")
app.add_typer(archive.app, name="archive")
app.add_typer(importer.app, name="import")
app.add_typer(package.app, name="package")
app.add_typer(symbols.app, name="symbols")
app.add_typer(export.app, name="export")
app.add_typer(quality.app, name="quality")
app.add_typer(service.app, name="service")
app.command()(query.query)
app.command()(replay.replay)
app.command()(compact.compact)
app.command("rederive")(rederive.rederive_cmd)
app.command()(selftest.selftest)
app.command()(doctor.doctor)
app.command(name="init")(init_cmd.init)
app.command()(tui.tui)
app.command()(store.store)
app.command()(sink.sink)


def main() -> None:
    try:
        app()
    except ArchiveRootError as exc:  # any command on an unusable archive root: exit 2
        err_console.print(f"[bold red]error:[/] storage: {exc}", highlight=False, soft_wrap=True)
        sys.exit(EXIT_USAGE)
