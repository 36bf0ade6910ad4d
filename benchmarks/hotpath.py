"""Raw capture per frame and runtime + live-view accounting per event, this tree against a
baseline commit, measured alternately in the same run, as ratios to the decode floor.

Stages (simulated frames, ``trades_quotes`` mix):

- ``floor``: msgspec decode of every frame into wire messages (the throughput table's floor);
- ``raw``: ``FrameCapture.write_raw`` of every frame, then ``close`` (all the work, the
  compression on the worker thread included); "CPU of the read loop's thread" is the CPU time
  of the calling thread until ``close`` (``time.thread_time``): what the read loop itself
  spends, without the compression it hands off or the waits when the worker is behind;
- ``accounting``: ``Runtime._count`` and ``LiveView.ingest`` of every collected batch (what the
  processor and the dashboard consumer do per acknowledged batch).

Each stage runs in a child process importing ``mdc`` from either this tree or an export of the
baseline (``git archive``), alternating, best of ``--repeats``. ``--callgrind`` adds valgrind
instruction counts per event: a child running only the setup is subtracted from one running
the stage, so the figure is the stage's own instructions (all threads).

    python benchmarks/hotpath.py --baseline 70ebaa9    # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from typing import Any, Final

import callgrind
import report

ROOT: Final = Path(__file__).resolve().parents[1]
HERE: Final = Path(__file__).resolve().parent
OUTPUT: Final = HERE / "BENCHMARKS.md"
STAGES: Final = ("floor", "raw", "raw_small", "accounting")
LABELS: Final = {
    "floor": "decode (floor)",
    "raw": "raw capture, 1,000-event frames",
    "raw_small": "raw capture, 10-event frames",
    "accounting": "runtime + live view accounting",
}
PROVIDER: Final = "simulated"


def child(stage: str, events: int, tmp: Path, run_stage: bool) -> dict[str, float]:
    """Set up and (unless ``run_stage`` is false: the callgrind baseline) time one stage."""
    sys.path.insert(0, str(HERE))
    import frames as frames_mod
    import stages
    from mdc.config.schema import Config
    from mdc.pipeline.runtime import Runtime
    from mdc.storage.capture import FrameCapture
    from mdc.web.live import LiveView

    frame_events = 10 if stage == "raw_small" else 1000
    gen = frames_mod.generate("trades_quotes", events, frame_events, 20)
    data = gen.frames
    setup: Any = None
    if stage == "accounting":
        batches = [stages.make_collectors().process(b) for b in stages.parse(data)]
        runtime = Runtime(Config(), store=_NoStore())  # type: ignore[arg-type]
        live = LiveView.attach(runtime)
        setup = (runtime, live, batches)
    start = time.perf_counter()
    loop = 0.0
    if run_stage:
        if stage == "floor":
            stages.decode(data)
        elif stage in ("raw", "raw_small"):
            capture = FrameCapture(tmp)
            write = capture.write_raw
            ts = 1_700_000_000_000_000_000
            cpu = time.thread_time()
            for i, frame in enumerate(data):
                write(PROVIDER, ts + i, frame)
            loop = time.thread_time() - cpu
            capture.close()
        else:
            runtime, live, batches = setup
            for batch in batches:
                runtime._count(batch)
                live.ingest(batch)
    seconds = time.perf_counter() - start
    return {"events": gen.events, "frames": len(data), "seconds": seconds, "loop": loop}


class _NoStore:
    """The runtime's store is not touched by the accounting stage."""

    def write_raw(self, provider: str, ts_recv: int, data: bytes | str) -> None:
        raise AssertionError("not used")


def export(rev: str, into: Path) -> Path:
    """``src/`` of ``rev`` under ``into`` (read-only use: imported by the baseline children)."""
    into.mkdir(parents=True)
    archive = into / "src.tar"
    with archive.open("wb") as out:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "src"], stdout=out, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into / "src"


def spawn(
    src: Path, stage: str, events: int, tmp: Path, run_stage: bool = True, counted: bool = False
) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(src), "PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1"}
    cmd = [sys.executable, __file__, "--child", stage, "--events", str(events), "--tmp", str(tmp)]
    if not run_stage:
        cmd.append("--setup-only")
    return callgrind.child(cmd, env, tmp / "callgrind.out", counted, f"{stage} child")


def measure(args: argparse.Namespace) -> dict[str, dict[str, dict[str, float]]]:
    """{tree: {stage: {"ns": per event, "ir": per event, ...}}}, trees alternating."""
    results: dict[str, dict[str, dict[str, float]]] = {}
    with tempfile.TemporaryDirectory() as td:
        base = Path(td)
        trees = {"after": ROOT / "src"}
        if args.baseline:
            trees = {"before": export(args.baseline, base / "baseline"), **trees}
        for tree in trees:
            results[tree] = {}
        for _ in range(args.repeats):
            for stage in STAGES:
                for tree, src in trees.items():
                    tmp = Path(tempfile.mkdtemp(dir=td))
                    r = spawn(src, stage, args.events, tmp)
                    best = results[tree].get(stage)
                    if best is None or r["seconds"] < best["seconds"]:
                        results[tree][stage] = r
        if args.callgrind:
            for tree, src in trees.items():
                for stage in STAGES:
                    tmp = Path(tempfile.mkdtemp(dir=td))
                    full = spawn(src, stage, args.callgrind_events, tmp, counted=True)
                    tmp = Path(tempfile.mkdtemp(dir=td))
                    bare = spawn(src, stage, args.callgrind_events, tmp, False, counted=True)
                    ir = (full["instructions"] - bare["instructions"]) / full["events"]
                    results[tree][stage]["ir"] = ir
    return results


def _cells(r: dict[str, float], tree: dict[str, dict[str, float]], key: str) -> list[str]:
    """ns per event of ``r[key]`` and its ratio to the tree's floor."""
    ns = r[key] / r["events"] * 1e9
    floor_ns = tree["floor"]["seconds"] / tree["floor"]["events"] * 1e9
    return [f"{ns:,.0f}", f"{floor_ns / ns:.2f}"]


def render(results: dict[str, dict[str, dict[str, float]]], args: argparse.Namespace) -> str:
    trees = list(results)
    header = ["stage"]
    for tree in trees:
        header += [f"ns/event {tree}", f"× floor {tree}"]
        if args.callgrind:
            header.append(f"instructions/event {tree}")
    rows = []
    for stage in STAGES:
        raw = stage.startswith("raw")
        total = [LABELS[stage]]
        loop = [f"… CPU of the read loop's thread ({LABELS[stage].split(', ')[-1]})"]
        for tree in trees:
            r = results[tree][stage]
            total += _cells(r, results[tree], "seconds")
            if raw:
                loop += _cells(r, results[tree], "loop")
            if args.callgrind:
                total.append(f"{r.get('ir', 0):,.0f}")
                loop.append("")
        rows += [total, loop] if raw else [total]
    base = (
        f"baseline `{args.baseline}` (before) against this tree (after)"
        if args.baseline
        else "this tree"
    )
    return (
        "## Hot path: raw capture and per-batch accounting (one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/hotpath.py`: {int(results[trees[-1]]['floor']['events']):,} "
        f"simulated events (`trades_quotes`, 20 symbols), {base}, each stage in its own process, "
        f"alternating, best of {args.repeats}. × floor = floor time / stage time (higher is "
        "cheaper; the floor decodes the 1,000-event frames)."
        + (
            " Instructions: valgrind callgrind, a setup-only run subtracted, all threads, "
            f"{args.callgrind_events:,} events."
            if args.callgrind
            else ""
        )
        + "\n\n"
        + report.table(header, rows)
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="raw capture and accounting cost per event")
    parser.add_argument("--baseline", help="commit to measure against (git rev)")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--callgrind", action="store_true", help="add instruction counts")
    parser.add_argument("--callgrind-events", type=int, default=20_000)
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    parser.add_argument("--child", choices=STAGES, help=argparse.SUPPRESS)
    parser.add_argument("--setup-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(child(args.child, args.events, args.tmp, not args.setup_only)))
        return
    text = render(measure(args), args)
    print(text)
    if not args.no_write:
        report.write(args.output, "hotpath", text)


if __name__ == "__main__":
    main()
