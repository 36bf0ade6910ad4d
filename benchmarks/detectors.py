"""The live anomaly detectors: the compiled ``Detector`` against the reference
``AnomalyDetector``, as ratios to the decode floor measured in the same run.

Stages, per mix (``benchmarks/frames.py``'s: 20 symbols, depth off or on, 1,000-event frames):

- ``floor``: msgspec decode of the frames into wire messages (nothing else);
- ``judge``: ``process`` of each frame's trades and quotes (what the ``quality`` consumer of
  ``mdc collect`` takes: ``anomalies.JUDGED``), then ``flush``; the events are parsed before
  the clock starts. python = ``AnomalyDetector``, kernel = ``quality/kernel.pyx``'s
  ``Detector``. Rates are per event of the whole mix (book deltas included), as the floor's.

Each stage runs in its own child process, the paths alternating, best of ``--repeats``.
``--callgrind`` adds valgrind instructions per event (a setup-only child subtracted).

    python benchmarks/detectors.py --callgrind   # prints, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Final

import callgrind
import report

ROOT: Final = Path(__file__).resolve().parents[1]
HERE: Final = Path(__file__).resolve().parent
OUTPUT: Final = HERE / "BENCHMARKS.md"
MIXES: Final = ("trades_quotes", "book")
JOBS: Final = (("floor", "python"), ("judge", "python"), ("judge", "kernel"))
FRAME_EVENTS: Final = 1000
SYMBOLS: Final = 20


def child(mix: str, stage: str, path: str, events: int, passes: int, run: bool) -> dict:
    sys.path.insert(0, str(HERE))
    import frames
    import stages
    from mdc.domain import native
    from mdc.providers.simulated.parse import parse_frame
    from mdc.quality import anomalies

    data = frames.generate(mix, events, FRAME_EVENTS, SYMBOLS)
    if stage == "floor":
        start = time.perf_counter()
        stages.decode(data.frames if run else [])
        return {"events": data.events, "seconds": time.perf_counter() - start}
    kernel = native.load(anomalies.KERNEL)
    if path == "kernel" and kernel is None:
        raise RuntimeError("the detector kernel is not built (make native)")
    make = kernel.Detector if path == "kernel" else anomalies.AnomalyDetector
    ts_recv = frames.T0 + 10**15  # after every event: no future timestamps
    batches = [
        [e for e in parse_frame(f, ts_recv, "SIM") if type(e) in anomalies.JUDGED]
        for f in data.frames
    ]
    best = float("inf")
    for _ in range(passes if run else 0):
        judge = make()
        start = time.perf_counter()
        for batch in batches:
            judge.process(batch)
        judge.flush()
        best = min(best, time.perf_counter() - start)
    return {"events": data.events, "seconds": best if run else 0.0}


def render(results: dict, args: argparse.Namespace) -> str:
    return "\n".join(
        [
            "## Live anomaly detectors: compiled against the reference (one core)\n",
            f"{report.machine()}\n",
            f"Written by `benchmarks/detectors.py` on {time.strftime('%Y-%m-%d', time.gmtime())}, "
            f"commit `{report.commit()}`: {args.events:,} simulated events per mix ({SYMBOLS} "
            f"symbols, {FRAME_EVENTS:,}-event frames); `judge` is `process` of each frame's "
            "trades and quotes, then `flush`, per event of the whole mix; each stage in its own "
            f"process, paths alternating, best of {args.repeats} × {args.passes} passes. "
            "× floor = floor time / stage time (the floor decodes the same frames)."
            + callgrind.method(args)
            + "\n",
            report.stage_table(results, args.mixes, list(JOBS), args.callgrind),
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the live detectors, Python and compiled")
    callgrind.arguments(parser, MIXES, OUTPUT)
    args = parser.parse_args(argv)
    if args.child:
        mix, stage, path = args.child.split(":")
        print(json.dumps(child(mix, stage, path, args.events, args.passes, not args.setup_only)))
        return
    jobs = [(mix, stage, path) for mix in args.mixes for stage, path in JOBS]
    counted = jobs if args.callgrind else []
    results = callgrind.measure(Path(__file__), args, jobs, counted)
    text = render(results, args)
    print(text)
    if not args.no_write:
        report.write(args.output, "detectors", text)


if __name__ == "__main__":
    main()
