"""The simulated market's compiled generator against its Python model, as ratios to the decode
floor measured in the same run, and ``mdc collect`` at 10 M events/s offered on both paths.

Stages, per mix (``benchmarks/frames.py``'s: 20 symbols, depth off or on, 1,000-event frames):

- ``floor``: msgspec decode of the frames into wire messages (nothing else);
- ``generate``: what the live feed does per frame, ``Market.messages`` then ``encode_frame``,
  through the Python model (``compiled=False``) or the kernel (``generator.pyx``).

Each stage runs in its own child process, the paths alternating, best of ``--repeats``.
``--callgrind`` adds valgrind instructions per emitted event (a setup-only child subtracted).
``--collect S`` runs ``mdc collect`` as ``benchmarks/fastpath.py --collect`` does (its runner),
and ``--baseline DIR`` adds the same runs on the source tree in ``DIR`` (a checkout of an older
commit, run pure-Python through this interpreter).

    python benchmarks/generator.py --callgrind --collect 8   # prints, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import json
import os
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
JOBS: Final = (("floor", "python"), ("generate", "python"), ("generate", "kernel"))
FRAME_EVENTS: Final = 1000
SYMBOLS: Final = 20


def child(mix: str, stage: str, path: str, events: int, passes: int, run: bool) -> dict:
    sys.path.insert(0, str(HERE))
    import frames
    import stages
    from mdc.providers.simulated.config import SimulatedConfig
    from mdc.providers.simulated.market import Market
    from mdc.providers.simulated.wire import encode_frame

    symbols = frames.symbols(mix, SYMBOLS)
    span = FRAME_EVENTS * 1_000_000_000 // frames.EXCHANGE_RATE
    if path == "kernel" and Market(SimulatedConfig(), compiled=True).kernel is None:
        raise RuntimeError("the generator kernel is not built (make native)")
    if stage == "floor":
        data = frames.generate(mix, events, FRAME_EVENTS, SYMBOLS).frames
        if not run:
            return {"events": events, "seconds": 0.0}
        start = time.perf_counter()
        emitted = stages.decode(data)
        return {"events": emitted, "seconds": time.perf_counter() - start}
    best = float("inf")
    emitted = 0
    for _ in range(passes if run else 0):
        market = Market(SimulatedConfig(seed=42), symbols, frames.T0, compiled=path == "kernel")
        emitted = len(market.messages(0, frames.T0))  # the opening snapshots: not timed
        count = 0
        start = time.perf_counter()
        while emitted < events:
            batch = market.messages(FRAME_EVENTS, frames.T0 + (count + 1) * span)
            encode_frame(batch)
            emitted += len(batch)
            count += 1
        best = min(best, time.perf_counter() - start)
    return {"events": emitted or events, "seconds": best if run else 0.0}


def measure(args: argparse.Namespace) -> dict[tuple[str, str, str], dict[str, float]]:
    jobs = [(mix, stage, path) for mix in args.mixes for stage, path in JOBS]
    counted = jobs if args.callgrind else []
    return callgrind.measure(Path(__file__), args, jobs, counted)


def collect_runs(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """``fastpath.py``'s ``mdc collect`` runs on both paths, then on ``--baseline``'s source
    (ahead of this checkout's on ``PYTHONPATH``; ``MDC_PURE_PYTHON`` left out: older configs
    reject it as an unknown ``MDC_`` key, and that tree has no kernels)."""
    import fastpath

    rates = fastpath.collect_runs(args)
    if args.baseline:
        env = {"PYTHONPATH": str(args.baseline / "src")}
        saved = os.environ.pop("MDC_PURE_PYTHON", None)
        try:
            for _ in range(args.collect_repeats):
                for mix in args.mixes:
                    rate = fastpath.collect_rate(mix, args.collect, env)
                    rates[mix]["baseline"].append(rate)
        finally:
            if saved is not None:
                os.environ["MDC_PURE_PYTHON"] = saved
    return rates


def render(results: dict, rates: dict | None, args: argparse.Namespace) -> str:
    commit = report.commit()
    parts = [
        "## Simulated generator: compiled model against the Python model (one core)\n",
        f"{report.machine()}\n",
        f"Written by `benchmarks/generator.py` on {time.strftime('%Y-%m-%d', time.gmtime())}, "
        f"commit `{commit}`: {args.events:,} generated events per mix ({SYMBOLS} symbols, "
        f"{FRAME_EVENTS:,}-event frames, `Market.messages` + `encode_frame`), each stage in its "
        f"own process, paths alternating, best of {args.repeats} × {args.passes} passes. "
        "× floor = floor time / stage time (the floor decodes the same frames)."
        + callgrind.method(args)
        + "\n",
    ]
    stages = report.stage_table(results, args.mixes, list(JOBS), args.callgrind)
    if stages:
        parts.append(stages)
    if rates:
        paths = ["baseline", "python", "kernel"] if args.baseline else ["python", "kernel"]
        parts.append(
            f"\n`MDC_PROVIDERS__SIMULATED__RATE=10000000 mdc collect --no-http --duration "
            f"{args.collect:g}` (`benchmarks/fastpath.py`'s runner: default config, symbols "
            "SPY, AAPL, MSFT; `book` is the default config, `trades_quotes` the same with "
            "`depth = false`), events stored / duration, "
            f"{args.collect_repeats} runs each, alternating. python = `MDC_PURE_PYTHON=1`"
            + (
                f"; baseline = the source of `{args.baseline_label}`, pure Python"
                if args.baseline
                else ""
            )
            + ".\n"
        )
        rows = []
        for mix, by_path in rates.items():
            best = {p: max(v) for p, v in by_path.items()}
            row = [mix] + [" / ".join(f"{x:,.0f}" for x in by_path[p]) for p in paths]
            row.append(f"{best['kernel'] / best['python']:.2f}")
            if args.baseline:
                row.append(f"{best['kernel'] / best['baseline']:.2f}")
            rows.append(row)
        header = ["mix", *(f"{p} (events/s)" for p in paths), "kernel / python"]
        if args.baseline:
            header.append("kernel / baseline")
        parts.append(report.table(header, rows))
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the simulated generator, Python and compiled")
    callgrind.arguments(parser, MIXES, OUTPUT)
    parser.add_argument("--collect", type=float, default=0.0, help="seconds per mdc collect run")
    parser.add_argument("--collect-repeats", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="an older checkout for the collect runs")
    parser.add_argument("--baseline-label", default="baseline")
    args = parser.parse_args(argv)
    if args.child:
        mix, stage, path = args.child.split(":")
        print(json.dumps(child(mix, stage, path, args.events, args.passes, not args.setup_only)))
        return
    results = measure(args)
    rates = collect_runs(args) if args.collect else None
    text = render(results, rates, args)
    print(text)
    if not args.no_write:
        report.write(args.output, "generator", text)


if __name__ == "__main__":
    main()
