"""Throughput harness: simulated provider frames through each stage, against a decode floor.

    python benchmarks/run.py              # the full run (make bench), about a minute
    python benchmarks/run.py --quick      # a few thousand events: does the harness still work?
    python benchmarks/run.py --soak 600   # the end-to-end path for 10 minutes, RSS sampled

For each mix (``trades_quotes``, ``book``) the frames are generated once, before any timing;
every stage then runs on them in this one process, on one core, and is reported as events/s,
as a fraction of the decode-only floor measured in the same run, and as ns/event. Results go to
stdout and to ``benchmarks/BENCHMARKS.md`` (not for ``--quick`` unless ``--output`` is given).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import frames as frames_mod
import report
import soak as soak_mod
import stages

DEFAULT_OUTPUT: Final = Path(__file__).resolve().parent / "BENCHMARKS.md"
TARGETS: Final = {"trades_quotes": 1_000_000, "book": 300_000}
"""End-to-end events/s each mix should reach on one core (DESIGN.md, Performance)."""
MIX_TITLES: Final = {"trades_quotes": "trades + quotes", "book": "book-delta heavy"}
FLOOR: Final = "decode (floor)"
STEADY: Final = "end to end, steady"
"""The target's row: a running collector (store open, files open), see ``end_to_end_steady``."""
CEILING: Final = "decode + JSON encode"
"""Decode plus ``encode_lines`` of the same events: no JSONL path can be faster."""


@dataclass
class MixResult:
    frames: frames_mod.Frames
    rss_after_frames: float
    timings: dict[str, stages.Timing] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=600_000, help="events per mix")
    parser.add_argument("--frame-events", type=int, default=1000, help="events per frame")
    parser.add_argument("--symbols", type=int, default=20, help="symbols per mix")
    parser.add_argument("--repeats", type=int, default=3, help="best of N runs per stage")
    parser.add_argument(
        "--min-seconds", type=float, default=1.5, help="stop repeating a stage after this long"
    )
    parser.add_argument("--quick", action="store_true", help="5,000 events per mix, one run")
    parser.add_argument("--output", type=Path, help=f"markdown file (default {DEFAULT_OUTPUT})")
    parser.add_argument("--tmp", type=Path, help="directory for store files (default: system tmp)")
    parser.add_argument("--soak", type=float, metavar="SECONDS", help="run the memory soak")
    parser.add_argument("--soak-mix", choices=frames_mod.MIXES, default="trades_quotes")
    parser.add_argument("--soak-interval", type=float, default=10.0, help="seconds per sample")
    parser.add_argument(
        "--soak-disk-mb", type=float, default=2048, help="reopen the store past this disk use"
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.events, args.repeats, args.min_seconds = 5_000, 1, 0.0
    if args.output is None and not args.quick:
        args.output = DEFAULT_OUTPUT
    return args


def run_mix(mix: str, args: argparse.Namespace, tmp_root: Path) -> MixResult:
    started = time.perf_counter()
    generated = frames_mod.generate(mix, args.events, args.frame_events, args.symbols)
    print(
        f"{mix}: {generated.events:,} events in {len(generated.frames):,} frames "
        f"({generated.bytes / 2**20:,.1f} MB) generated in {time.perf_counter() - started:.1f} s",
        flush=True,
    )
    result = MixResult(generated, rss_after_frames=report.rss_mb())
    frames = generated.frames

    def timed(name: str, run: Callable[[Any], int], setup: Callable[[], Any]) -> None:
        timing = stages.measure(run, setup, args.min_seconds, args.repeats)
        result.timings[name] = timing
        print(f"  {name:<16} {timing.rate:>14,.0f} events/s", flush=True)

    timed(FLOOR, stages.decode, lambda: frames)
    timed("parse", stages.parse_only, lambda: frames)
    timed("collectors", stages.collect, lambda: stages.parse(frames))

    dropped: list[int] = []

    def pipeline(batches: list[list[stages.Event]]) -> int:
        published, drops = stages.pipeline(batches)
        dropped.append(drops)
        return published

    timed("pipeline", pipeline, lambda: stages.parse(frames))
    result.notes.append(f"pipeline: {min(dropped):,} events dropped by the drop_oldest consumer")

    def collected() -> list[list[stages.Event]]:
        process = stages.make_collectors().process
        return [process(b) for b in stages.parse(frames)]

    def store_append(data: tuple[list[list[stages.Event]], Path]) -> int:
        try:
            return stages.store_append(data)
        finally:
            shutil.rmtree(data[1], ignore_errors=True)

    timed("store append", store_append, lambda: (collected(), Path(tempfile.mkdtemp(dir=tmp_root))))

    def steady(name: str, run: Callable[[Path], tuple[int, float]]) -> None:
        directory = Path(tempfile.mkdtemp(dir=tmp_root))
        try:
            events, seconds = run(directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        result.timings[name] = stages.Timing(events, seconds)
        print(f"  {name:<16} {result.timings[name].rate:>14,.0f} events/s", flush=True)

    for fmt in ("jsonl", "parquet"):
        steady(
            f"storage {fmt}, steady",
            lambda d, fmt=fmt: stages.store_steady(collected(), d, args.repeats, fmt),
        )

    for plugin in stages.plugin_stages():

        def run_plugin(data: tuple[list[list[stages.Event]], Path], plugin=plugin) -> int:
            batches, directory = data
            try:
                done = plugin.run(batches, directory)
            finally:
                shutil.rmtree(directory, ignore_errors=True)
            return sum(len(b) for b in batches) if done is None else done

        timed(plugin.name, run_plugin, lambda: (collected(), Path(tempfile.mkdtemp(dir=tmp_root))))
        result.notes.append(f"{plugin.name}: stage module {plugin.path.name}")

    store_names: set[str] = set()

    def e2e(directory: Path) -> int:
        try:
            events, store = stages.end_to_end(frames, directory)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        store_names.add(store)
        return events

    timed("end to end", e2e, lambda: Path(tempfile.mkdtemp(dir=tmp_root)))
    result.notes.append(f"end to end: store = {', '.join(sorted(store_names))}")

    steady(STEADY, lambda d: stages.end_to_end_steady(frames, d, args.repeats))

    timed("encode", stages.encode_lines, collected)
    encode = result.timings.pop("encode")
    floor = result.timings[FLOOR]
    result.timings[CEILING] = stages.Timing(
        floor.events, floor.seconds + encode.seconds * floor.events / encode.events
    )
    return result


def render(
    results: dict[str, MixResult], args: argparse.Namespace, machine: str, peak_rss: float
) -> str:
    mixes = list(results)
    header = ["Stage"]
    for mix in mixes:
        header += [f"{MIX_TITLES[mix]} events/s", "× floor", "ns/event"]
    names = [FLOOR, CEILING, *(n for n in results[mixes[0]].timings if n not in (FLOOR, CEILING))]
    rows = []
    for name in names:
        row = [name]
        for mix in mixes:
            timing = results[mix].timings[name]
            floor = results[mix].timings[FLOOR].rate
            row += [
                report.rate(timing.rate),
                f"{timing.rate / floor:.2f}",
                f"{1e9 / timing.rate:,.0f}" if timing.rate else "-",
            ]
        rows.append(row)
    lines = [
        "## Throughput (one process, one core)\n",
        f"{machine}\n",
        f"Input per mix: about {args.events:,} events in frames of about {args.frame_events:,} "
        f"events, {args.symbols} symbols; best of up to {args.repeats} runs per stage.\n",
    ]
    for mix in mixes:
        f = results[mix].frames
        lines.append(
            f"- `{mix}`: {f.events:,} events ({f.deltas / f.events:.0%} book snapshots/deltas), "
            f"{len(f.frames):,} frames, {f.bytes / f.events:.0f} bytes/event on the wire; "
            + "; ".join(results[mix].notes)
        )
    lines.append("")
    lines.append(report.table(header, rows))
    lines.append(
        "`storage jsonl|parquet, steady`: the collectors' output into a store (WAL with "
        "fsync every 100 ms, no raw capture) that stays open, fastest of "
        f"{args.repeats} passes after a warm-up pass; `storage` and `storage_parquet` are the "
        "same from an empty archive to its final close. "
        "`end to end` starts from an empty archive and includes the final close (new files, "
        "directories and their fsyncs); `end to end, steady` is the same path through a store "
        f"that stays open, fastest of {args.repeats} passes after a warm-up pass: the rate of a "
        f"running collector. `{CEILING}` adds the time of `encode_lines` on the parsed events to "
        "the floor: the least work of any path that archives JSON lines, so its rate bounds "
        "every end-to-end rate from above.\n"
    )
    for mix in mixes:
        target = TARGETS[mix]
        timings = results[mix].timings
        rate = timings[STEADY].rate
        verdict = "met" if rate >= target else "not met"
        lines.append(
            f"- Target end to end, {MIX_TITLES[mix]} mix: ≥ {target:,} events/s → steady "
            f"{report.rate(rate)}, from an empty archive {report.rate(timings['end to end'].rate)}"
            f" ({verdict}; decode + JSON encode alone: {report.rate(timings[CEILING].rate)})."
        )
    after_frames = ", ".join(
        f"{report.rate(results[mix].rss_after_frames)} MB after generating `{mix}`" for mix in mixes
    )
    lines.append(
        f"- Memory: peak RSS {report.rate(peak_rss)} MB; resident {after_frames} (the frames "
        "and parsed batches held for timing account for most of it; the soak shows the "
        "path's own growth)."
    )
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    machine = report.machine()
    print(machine, flush=True)
    tmp_root = Path(tempfile.mkdtemp(prefix="mdc-bench-", dir=args.tmp))
    try:
        if args.soak:
            result = soak_mod.soak(
                args.soak,
                args.soak_mix,
                args.frame_events,
                args.symbols,
                tmp_root,
                args.soak_disk_mb,
                args.soak_interval,
            )
            body = soak_mod.render(result, machine, args.soak_interval, args.soak_disk_mb)
            section = "soak"
        else:
            results: dict[str, MixResult] = {}
            for mix in frames_mod.MIXES:
                results[mix] = run_mix(mix, args, tmp_root)
            body = render(results, args, machine, report.peak_rss_mb())
            section = "throughput"
    finally:
        shutil.rmtree(tmp_root, ignore_errors=True)
    print()
    print(body)
    if args.output is not None:
        report.write(args.output, section, body)
        print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
