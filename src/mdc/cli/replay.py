"""``mdc replay``: a time range of the archive in ``ts_event`` order, at a chosen speed, to
stdout, a JSONL file or a local WebSocket (docs/replay.md)."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from mdc.cli.archive import archive_root
from mdc.cli.common import EXIT_USAGE, ConfigOption, err_console, fail, split_symbols
from mdc.domain.events import TYPES_BY_NAME
from mdc.replay.merge import DEFAULT_TYPES, MergeStats, merged
from mdc.replay.pace import Pacer, parse_speed
from mdc.replay.server import ReplayServer
from mdc.replay.sinks import replay_lines
from mdc.storage.archive import open_archive, to_ns
from mdc.web.security import is_loopback


def replay(
    start: Annotated[
        str, typer.Option("--from", help="Start: a date (whole UTC day) or an ISO instant.")
    ],
    end: Annotated[str, typer.Option("--to", help="End: a date (inclusive) or an instant.")],
    symbols: Annotated[
        str | None, typer.Option("--symbols", "-s", help="Comma-separated (default: all).")
    ] = None,
    types: Annotated[
        str, typer.Option("--types", "-t", help="Comma-separated event types.")
    ] = ",".join(DEFAULT_TYPES),
    speed: Annotated[
        str, typer.Option("--speed", help="1 (real time), 10, any factor, or max.")
    ] = "max",
    to_ws: Annotated[
        int | None, typer.Option("--to-ws", metavar="PORT", help="Serve a local WebSocket.")
    ] = None,
    to_stdout: Annotated[bool, typer.Option("--stdout", help="JSON lines on stdout.")] = False,
    jsonl: Annotated[
        Path | None, typer.Option("--jsonl", metavar="FILE", help="JSON lines into FILE.")
    ] = None,
    wait_for: Annotated[
        int, typer.Option("--wait-for", help="With --to-ws: start once N clients are connected.")
    ] = 1,
    host: Annotated[str, typer.Option("--host", help="With --to-ws: the address to bind.")] = (
        "127.0.0.1"
    ),
    data: Annotated[
        Path | None, typer.Option("--data", "-d", help="Archive root (storage.root).")
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Replay archived events merged by ts_event across types and symbols (streaming)."""
    outputs = sum([to_ws is not None, to_stdout, jsonl is not None])
    if outputs != 1:
        fail("give exactly one of --to-ws PORT, --stdout or --jsonl FILE", EXIT_USAGE)
    try:
        pace = parse_speed(speed)
        lo, hi = to_ns(start), to_ns(end, end=True)
    except ValueError as exc:
        fail(f"{exc} (--speed 1|10|max; --from/--to YYYY-MM-DD or ISO instants)", EXIT_USAGE)
    assert lo is not None and hi is not None
    wanted_types = [t.strip() for t in types.split(",") if t.strip()]
    unknown = [t for t in wanted_types if t not in TYPES_BY_NAME]
    if unknown or not wanted_types:
        known = ", ".join(sorted(TYPES_BY_NAME))
        fail(f"--types: unknown {', '.join(unknown) or '(none given)'}; known: {known}", EXIT_USAGE)
    archive = open_archive(archive_root(config_path, data))
    names = split_symbols(symbols)
    stats = MergeStats()
    events = merged(archive, names, wanted_types, lo, hi, stats)
    pacer = Pacer(pace)
    began = time.monotonic()
    if to_ws is not None:
        info: dict[str, object] = {
            "from": lo,
            "to": hi,
            "speed": pace,
            "symbols": names,
            "types": wanted_types,
        }
        server = ReplayServer(events, pacer, info, host=host, port=to_ws, wait_for=wait_for)

        if not is_loopback(host):
            err_console.print(
                f"warning: anyone who can reach {host} can read this replay (no API key on it)",
                highlight=False,
            )

        async def serve() -> int:
            port = await server.start()
            err_console.print(f"replay: ws://{host}:{port}/ (waiting for {wait_for} client(s))")
            return await server.run()

        count = asyncio.run(serve())
    elif jsonl is not None:
        with jsonl.open("wb") as fh:
            count = replay_lines(events, fh, pacer, time.sleep)
    else:
        count = replay_lines(events, sys.stdout.buffer, pacer, time.sleep)
    took = time.monotonic() - began
    by_type = ", ".join(f"{k} {v:,}" for k, v in sorted(stats.by_type.items()) if v)
    err_console.print(
        f"replayed {count:,} events from {stats.streams} streams in {took:.1f}s"
        f"{f' ({by_type})' if by_type else ''}; {stats.late:,} late",
        highlight=False,
    )
