"""``mdc quality``: the data-quality verdict over an archive (completeness, anomalies, scores)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from mdc.backfill.gaps import GapFinderError
from mdc.cli.backfill import (
    CheckedIntervalOption,
    CheckedKindsOption,
    DataOption,
    SymbolsOption,
)
from mdc.cli.common import EXIT_USAGE, ConfigOption, fail, load, note, parse_day, split_symbols
from mdc.domain.calendar import CalendarError
from mdc.log import setup_logging

app = typer.Typer(help="Judge the archive: completeness, anomalies, scores.", no_args_is_help=True)


@app.command()
def report(
    start: Annotated[str, typer.Option("--from", help="First day, YYYY-MM-DD (inclusive).")],
    end: Annotated[str, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")],
    symbols: SymbolsOption = None,
    kinds: CheckedKindsOption = "trades,quotes",
    granularity: CheckedIntervalOption = "1m",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: stdout for json).")
    ] = None,
    fmt: Annotated[
        Literal["html", "json"], typer.Option("--format", "-f", help="html or json.")
    ] = "html",
    data: DataOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Score each symbol's session days and list what looks wrong, as HTML or JSON."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    setup_logging(config.logging.level, config.logging.format)
    first, last = parse_day("--from", start), parse_day("--to", end)
    if last < first:
        fail(f"--to {last} is before --from {first}", EXIT_USAGE)
    if fmt == "html" and out is None:
        fail("--out: required for the HTML report (e.g. --out report.html)", EXIT_USAGE)
    names = split_symbols(symbols) or [s.symbol for s in config.symbol_configs()]
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    from mdc.quality.report import build_report

    try:
        result = build_report(config, names, first, last, wanted, granularity)
    except (GapFinderError, CalendarError, ValueError) as exc:
        fail(str(exc), EXIT_USAGE)
    if fmt == "json":
        import msgspec

        body = msgspec.json.encode(result.to_dict()).decode()
    else:
        from mdc.quality.html import render_html
        from mdc.quality.plots import PlotError

        try:
            body = render_html(result)
        except PlotError as exc:
            fail(str(exc))
    if out is None:
        typer.echo(body)
        return
    out.write_text(body, encoding="utf-8")
    scores = ", ".join(
        f"{s.symbol} {s.score if s.score is not None else '–'}" for s in result.scores
    )
    note(f"wrote {out} ({len(result.findings)} anomalies; scores: {scores})")
