"""``mdc backfill`` (history into the archive, resumable) and ``mdc gaps`` (what is missing)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from mdc.backfill.failover import check_providers
from mdc.backfill.gaps import GapFinder, GapFinderError, MissingSpan, repair_chunks
from mdc.backfill.jobs import (
    Chunk,
    Job,
    JobBusy,
    JobError,
    JobNotFound,
    JobSpec,
    JobStore,
    chunk_days_for,
    parse_spec,
    plan_chunks,
)
from mdc.backfill.runner import JobRunner, store_writer
from mdc.cli.common import (
    EXIT_FAILURE,
    EXIT_USAGE,
    ConfigOption,
    console,
    err_console,
    fail,
    load,
    parse_day,
    split_symbols,
)
from mdc.config import Config
from mdc.domain.calendar import CalendarError, timezone_of
from mdc.domain.time import NS_PER_S
from mdc.log import setup_logging
from mdc.storage import open_store
from mdc.storage.fsutil import StorageLocked

DataOption = Annotated[
    Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
]
SymbolsOption = Annotated[
    str | None, typer.Option("--symbols", "-s", help="Comma-separated symbols, e.g. AAPL,MSFT.")
]
FromOption = Annotated[
    str | None, typer.Option("--from", help="First day, YYYY-MM-DD (inclusive).")
]
ToOption = Annotated[str | None, typer.Option("--to", help="Last day, YYYY-MM-DD (inclusive).")]
CheckedKindsOption = Annotated[
    str, typer.Option("--type", "-t", help="Comma-separated: trades, quotes, bars.")
]
CheckedIntervalOption = Annotated[
    str, typer.Option("--granularity", "-g", help="Bar interval checked for --type bars.")
]


def backfill(
    symbols: SymbolsOption = None,
    start: FromOption = None,
    end: ToOption = None,
    granularity: Annotated[
        str, typer.Option("--granularity", "-g", help="Bar interval: 1m, 5m, 1h, 1d …")
    ] = "1d",
    kind: Annotated[
        str, typer.Option("--type", "-t", help="bars, trades, quotes or corporate_actions.")
    ] = "bars",
    provider: Annotated[
        str | None,
        typer.Option("--provider", "-p", help="Use only this provider (default: the chain)."),
    ] = None,
    repair: Annotated[
        bool, typer.Option("--repair", help="Fetch only the days `mdc gaps` reports missing.")
    ] = False,
    resume: Annotated[
        str | None, typer.Option("--resume", help="Resume the job with this id.")
    ] = None,
    list_jobs: Annotated[bool, typer.Option("--list", help="List backfill jobs and exit.")] = False,
    priority: Annotated[int, typer.Option("--priority", help="Higher runs first.")] = 0,
    chunk_days: Annotated[
        int | None, typer.Option("--chunk-days", min=1, help="Days per chunk (checkpoint).")
    ] = None,
    unadjusted: Annotated[
        bool, typer.Option("--unadjusted", help="Bars as traded (no split/dividend adjustment).")
    ] = False,
    data: DataOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Fetch history into the archive; resumable, with provider failover and a summary."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    setup_logging(config.logging.level, config.logging.format)
    jobs = JobStore(config.storage.root)
    if list_jobs:
        _print_jobs(jobs)
        return
    try:
        if resume:
            job = _resumable(jobs, resume)
        else:
            spec = _spec(
                symbols, start, end, kind, granularity, provider, priority, chunk_days, unadjusted
            )
            spec = _with_repair(spec, repair)
            check_providers(spec.providers or config.backfill.providers)
            job = _same_unfinished(jobs, spec) or _create(config, jobs, spec)
    except (JobError, JobNotFound, CalendarError, GapFinderError) as exc:
        fail(str(exc), EXIT_USAGE)
    if not job.chunks:
        console.print("nothing to do: no chunks (for --repair: nothing is missing)")
        return
    console.print(f"job {job.id}: {len(job.chunks)} chunks", highlight=False)
    job = _run(config, jobs, job)
    _print_summary(job)
    if job.state == "paused":
        err_console.print(f"paused: resume with `mdc backfill --resume {job.id}`", highlight=False)
        raise typer.Exit(EXIT_FAILURE)
    if job.state != "done":
        hint = f"; retry the failed chunks with `mdc backfill --resume {job.id}`"
        fail((job.error or f"job {job.id} {job.state}") + hint, EXIT_FAILURE)


def gaps(
    symbols: SymbolsOption = None,
    start: FromOption = None,
    end: ToOption = None,
    kinds: CheckedKindsOption = "trades,quotes",
    granularity: CheckedIntervalOption = "1m",
    tolerance: Annotated[
        float | None,
        typer.Option("--tolerance", min=0.001, help="Seconds without data that make a hole."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
    data: DataOption = None,
    config_path: ConfigOption = None,
) -> None:
    """List what the archive is missing, per symbol, type and trading day, in the sessions
    that have ended (from --from, default each symbol's first stored data, to --to)."""
    config = load(config_path, {"storage.root": str(data) if data else None})
    setup_logging(config.logging.level, config.logging.format)
    first = parse_day("--from", start) if start else None
    last = parse_day("--to", end) if end else None
    names = split_symbols(symbols) or [s.symbol for s in config.symbol_configs()]
    wanted = [k.strip() for k in kinds.split(",") if k.strip()]
    from mdc.backfill.archive import open_view  # DuckDB: imported only when needed

    finder = GapFinder(config, open_view(config), JobStore(config.storage.root))
    try:
        report = finder.report(names, first, last, wanted, granularity, tolerance)
    except (GapFinderError, CalendarError, ValueError) as exc:
        fail(str(exc), EXIT_USAGE)
    if as_json:
        import msgspec

        for span in report.spans:
            typer.echo(msgspec.json.encode(span.to_dict()).decode())
        for note in report.notes():  # for a person; stdout stays one span per line
            err_console.print(note, highlight=False, soft_wrap=True)
        return
    _print_gaps(config, report.spans)
    for note in report.notes():
        console.print(note, highlight=False, soft_wrap=True)


# -- building the job ---------------------------------------------------------------------


def _spec(
    symbols: str | None,
    start: str | None,
    end: str | None,
    kind: str,
    granularity: str,
    provider: str | None,
    priority: int,
    chunk_days: int | None,
    unadjusted: bool,
) -> JobSpec:
    names = split_symbols(symbols)
    if not names:
        fail("--symbols: required (e.g. --symbols AAPL,MSFT), or --resume ID", EXIT_USAGE)
    if start is None or end is None:
        fail("--from and --to: both required (YYYY-MM-DD)", EXIT_USAGE)
    raw: dict[str, Any] = {
        "symbols": names,
        "start": parse_day("--from", start).isoformat(),
        "end": parse_day("--to", end).isoformat(),
        "type": kind,
        "granularity": granularity if kind == "bars" else "tick",
        "providers": [provider] if provider else [],
        "priority": priority,
        "adjusted": not unadjusted,
        "chunk_days": chunk_days,
    }
    try:
        return parse_spec(raw)
    except JobError as exc:
        message = str(exc).replace("granularity:", "--granularity:").replace("type:", "--type:")
        fail(message, EXIT_USAGE)


def _with_repair(spec: JobSpec, repair: bool) -> JobSpec:
    if not repair:
        return spec
    import msgspec

    return msgspec.structs.replace(spec, repair=True)


def _create(config: Config, jobs: JobStore, spec: JobSpec) -> Job:
    days = chunk_days_for(spec, config.backfill)
    chunks: list[Chunk]
    if spec.repair:
        from mdc.backfill.archive import open_view

        finder = GapFinder(config, open_view(config), jobs)
        spans = finder.find(
            spec.symbols,
            spec.start,
            spec.end,
            kinds=[spec.type],
            interval=spec.granularity if spec.type == "bars" else "1m",
        )
        chunks = repair_chunks(spans, days)
        if not chunks:
            return Job(id="", spec=spec)
        console.print(
            f"repair: {len(spans)} missing spans on {len({(s.symbol, s.day) for s in spans})} "
            "symbol-days",
            highlight=False,
        )
    else:
        chunks = plan_chunks(spec, days)
    return jobs.create(spec, chunks)


def _same_unfinished(jobs: JobStore, spec: JobSpec) -> Job | None:
    """Rerunning the same command resumes its interrupted or paused job instead of starting over."""
    for job in reversed(jobs.list()):
        if job.spec == spec and jobs.effective_state(job) in ("interrupted", "paused", "queued"):
            console.print(f"resuming unfinished job {job.id}", highlight=False)
            return job
    return None


def _resumable(jobs: JobStore, job_id: str) -> Job:
    job = jobs.load(job_id)
    if job.state == "done":
        raise JobError(f"job {job_id} is already done")
    if jobs.is_locked(job_id):
        raise JobError(f"job {job_id} is running in another process")
    for chunk in job.chunks:
        if chunk.state == "failed":
            chunk.state, chunk.reason = "pending", ""
    job.state = "queued"
    jobs.save(job)
    return job


# -- running with progress ----------------------------------------------------------------


def _run(config: Config, jobs: JobStore, job: Job) -> Job:
    try:
        store = open_store(config.storage)
    except StorageLocked as exc:
        # A running collector owns the archive: its backfill scheduler runs queued jobs.
        console.print(
            f"{exc}\njob {job.id} stays queued: a running `mdc collect` runs it; "
            "watch with `mdc backfill --list`",
            highlight=False,
        )
        raise typer.Exit(0) from None
    tasks: dict[str, TaskID] = {}
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[info]}"),
        console=console,
        transient=False,
    )
    for symbol, counts in job.by_symbol().items():
        total = sum(counts[k] for k in ("done", "failed", "skipped", "pending"))
        done = total - counts["pending"]
        tasks[symbol] = progress.add_task(symbol, total=total, completed=done, info="")

    def started(job: Job, chunk: Chunk) -> None:
        progress.update(tasks[chunk.symbol], info=f"{chunk.start}..{chunk.end}")

    def finished(job: Job, chunk: Chunk) -> None:
        totals = job.by_symbol()[chunk.symbol]
        via = ",".join(totals["providers"]) or "-"
        progress.update(tasks[chunk.symbol], advance=1, info=f"{totals['rows']:,} rows via {via}")

    runner = JobRunner(config, jobs, store_writer(store), on_chunk=finished, on_chunk_start=started)
    try:
        with progress:
            return asyncio.run(runner.run(job.id))
    except KeyboardInterrupt:
        return jobs.load(job.id)
    except JobBusy as exc:
        fail(str(exc), EXIT_FAILURE)
    finally:
        store.close()


# -- output -------------------------------------------------------------------------------


def _print_summary(job: Job) -> None:
    table = Table(title=f"backfill {job.id}: {job.state}", title_justify="left")
    for column in ("symbol", "rows", "provider", "done", "skipped", "failed", "pending", "time"):
        table.add_column(column, justify="left" if column in ("symbol", "provider") else "right")
    seconds: dict[str, float] = {}
    for chunk in job.chunks:
        spent = sum(a.seconds for a in chunk.attempts)
        seconds[chunk.symbol] = seconds.get(chunk.symbol, 0.0) + spent
    for symbol, s in job.by_symbol().items():
        table.add_row(
            symbol,
            f"{s['rows']:,}",
            ",".join(s["providers"]) or "-",
            str(s["done"]),
            str(s["skipped"]),
            str(s["failed"]),
            str(s["pending"]),
            f"{seconds.get(symbol, 0.0):.1f}s",
        )
    console.print(table)
    for chunk in job.chunks:
        if chunk.state == "failed":
            err_console.print(
                f"failed {chunk.symbol} {chunk.start}..{chunk.end}: {chunk.reason}",
                highlight=False,
                soft_wrap=True,
            )
    console.print(f"elapsed {job.elapsed_s:.1f}s", highlight=False)


def _print_jobs(jobs: JobStore) -> None:
    table = Table(title="backfill jobs", title_justify="left")
    table.add_column("id", no_wrap=True, min_width=25)
    for column in ("state", "type", "symbols", "range", "prio", "chunks", "rows"):
        table.add_column(column)
    for job in reversed(jobs.list()):
        c = job.counters()
        spec = job.spec
        kind = spec.type + (f" {spec.granularity}" if spec.type == "bars" else "")
        table.add_row(
            job.id,
            jobs.effective_state(job),
            kind,
            ",".join(spec.symbols[:5]) + ("…" if len(spec.symbols) > 5 else ""),
            f"{spec.start}..{spec.end}",
            str(spec.priority),
            f"{c['chunks_done'] + c['chunks_skipped']}/{c['chunks_total']}"
            + (f" ({c['chunks_failed']} failed)" if c["chunks_failed"] else ""),
            f"{c['rows_written']:,}",
        )
    console.print(table)
    for path, reason in jobs.unreadable.items():
        err_console.print(
            f"unreadable job file {path} ({reason}): not listed; fix or remove it",
            highlight=False,
            soft_wrap=True,
        )


def _print_gaps(config: Config, spans: list[MissingSpan]) -> None:
    if not spans:
        console.print("no gaps in the sessions judged:", highlight=False)
        return
    table = Table(title="missing data", title_justify="left")
    for column in ("symbol", "type", "day", "from", "to", "minutes", "reason"):
        table.add_column(column, justify="right" if column == "minutes" else "left")
    zones: dict[str, Any] = {}
    for span in spans:
        code = config.backfill.calendar_for(span.symbol)
        if code not in zones:
            from zoneinfo import ZoneInfo

            zones[code] = ZoneInfo(timezone_of(code))
        zone = zones[code]
        kind = span.kind + (f" {span.interval}" if span.kind == "bars" else "")
        table.add_row(
            span.symbol,
            kind,
            span.day.isoformat(),
            _clock(span.from_ts, zone),
            _clock(span.to_ts, zone),
            f"{span.seconds / 60:.1f}",
            span.reason + (f" ({span.detail})" if span.detail else ""),
        )
    console.print(table)
    console.print(
        f"{len(spans)} missing spans (times in exchange time) in the sessions judged:",
        highlight=False,
    )


def _clock(ts: int, zone: Any) -> str:
    return datetime.fromtimestamp(ts / NS_PER_S, tz=zone).strftime("%H:%M:%S")
