"""Instruction counts under valgrind's callgrind: the benchmarks' figure that machine load does
not change (the same binary, input and environment give the same total)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

Job = tuple[str, str, str]
"""(mix, stage, path) of a benchmark child."""


def command(out_file: Path) -> list[str]:
    """The prefix that runs a command under callgrind, its counts written to ``out_file``."""
    return ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out_file}"]


def total(path: Path) -> int:
    """The ``totals:`` (or ``summary:``) instruction count of a callgrind output file."""
    for line in path.read_text().splitlines():
        if line.startswith(("totals:", "summary:")):
            return int(line.split()[1])
    raise RuntimeError(f"no instruction total in {path}")


def child(
    cmd: list[str], env: dict[str, str], out_file: Path, counted: bool, what: str
) -> dict[str, float]:
    """Run a benchmark child (under callgrind when ``counted``): the JSON object its last
    output line prints, with ``instructions`` added when counted."""
    if counted:
        cmd = [*command(out_file), *cmd]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    if counted:
        result["instructions"] = total(out_file)
        out_file.unlink()
    return result


def measure(
    script: Path,
    args: argparse.Namespace,
    jobs: list[Job],
    counted_jobs: list[Job],
    with_tmp: bool = False,
) -> dict[Job, dict[str, float]]:
    """Each job's best wall-clock run of ``args.repeats`` (the jobs alternating), then, for
    ``counted_jobs``, its instructions per event (``ir``): an ``args.callgrind_events`` run
    under callgrind less a setup-only one, ``args.jobs`` at a time (counts do not mind
    sharing). Every run is a ``script`` child (:func:`spawn`)."""
    results: dict[Job, dict[str, float]] = {}
    for _ in range(args.repeats):
        for job in jobs:
            r = spawn(script, job, args.events, args.passes, with_tmp=with_tmp)
            best = results.get(job)
            if best is None or r["seconds"] < best["seconds"]:
                results[job] = r

    def instructions(job: Job) -> float:
        n = args.callgrind_events
        full = spawn(script, job, n, 1, counted=True, with_tmp=with_tmp)
        bare = spawn(script, job, n, 1, counted=True, run=False, with_tmp=with_tmp)
        return (full["instructions"] - bare["instructions"]) / full["events"]

    with ThreadPoolExecutor(args.jobs) as pool:
        for job, ir in zip(counted_jobs, pool.map(instructions, counted_jobs), strict=True):
            results[job]["ir"] = ir
    return results


def arguments(parser: argparse.ArgumentParser, mixes: tuple[str, ...], output: Path) -> None:
    """The options every stage benchmark takes (its children's included)."""
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--mixes", nargs="+", default=list(mixes), choices=mixes)
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--callgrind-events", type=int, default=20_000)
    parser.add_argument("--jobs", type=int, default=2, help="callgrind runs at once")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--output", type=Path, default=output)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)


def method(args: argparse.Namespace) -> str:
    """The sentence a report gives its instruction counts (none without ``--callgrind``)."""
    if not args.callgrind:
        return ""
    return (
        " Instructions: valgrind callgrind, a setup-only run subtracted, "
        f"{args.callgrind_events:,} events, one pass."
    )


def spawn(
    script: Path,
    job: Job,
    events: int,
    passes: int,
    counted: bool = False,
    run: bool = True,
    with_tmp: bool = False,
) -> dict[str, float]:
    """Run ``script --child mix:stage:path`` (one pass when ``counted``, setup only unless
    ``run``; ``--tmp DIR`` given when ``with_tmp``) from this checkout's ``src``, compiled paths
    allowed, with a fixed hash seed: its result, with ``instructions`` when ``counted``."""
    mix, stage, path = job
    with tempfile.TemporaryDirectory() as td:
        cmd = [sys.executable, str(script), "--child", f"{mix}:{stage}:{path}"]
        if with_tmp:
            cmd += ["--tmp", td]
        cmd += ["--events", str(events), "--passes", str(1 if counted else passes)]
        if not run:
            cmd.append("--setup-only")
        src = Path(__file__).resolve().parents[1] / "src"
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(src)}
        env.pop("MDC_PURE_PYTHON", None)
        return child(cmd, env, Path(td) / "callgrind.out", counted, f"{mix} {stage} {path}")
