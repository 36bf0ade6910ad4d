"""The simulated feed's compiled fast path against its Python path, per stage, as ratios to the
decode floor measured in the same run, and ``mdc collect`` itself at 10 M events/s offered.

Stages, on pre-generated frames of each mix (``benchmarks/frames.py``):

- ``floor``: msgspec decode of every frame into wire messages (nothing else);
- ``collect``: frames → collector state → each partition's JSON lines. Python: decode, parse
  into events, ``Collectors.process``, route, ``encode_lines``; kernel: decode,
  ``FastPath.handle`` (which hands to Python what the kernel leaves);
- ``end_to_end``: what ``mdc collect``'s processor does per frame, through a store that stays
  open (WAL with ``fsync = "interval"``, JSONL files, raw capture): Python ``Store.append`` of
  the collected batch, kernel ``Store.append_lines`` of the handled frame. The frames are
  replayed ``--passes`` times after an untimed warm-up pass, fresh collectors each pass;
- ``consumers``: ``end_to_end`` with one live consumer (capacity and policy of the default
  ``quality``/``dashboard`` ones) that takes every batch as it is published: the Python path
  publishes its event list, the kernel path a ``FrameEvents`` whose events the consumer's
  ``get`` makes (``pipeline/frames.py``), so this is the kernel's worst case, a consumer that
  keeps up (what the detectors then do with the events is the same on both paths);
- ``make``: only the making of a handled frame's events for a consumer, the frames handled
  beforehand (untimed): kernel = ``FrameEvents.events()`` (the kernel's messages parsed again,
  their trades' sides from the trade lines), python = ``parse_messages`` of the frame's wire
  messages (the floor of any re-parse: no sides).

Each stage runs in its own child process, the two paths alternating, best of ``--repeats``.
``--callgrind`` adds valgrind instructions per event (a setup-only child subtracted).
``--collect S`` runs ``MDC_PROVIDERS__SIMULATED__RATE=10000000 mdc collect --no-http
--duration S`` on both paths (``MDC_PURE_PYTHON=1`` for Python), alternating, and reads the
events stored from its final log line.

    python benchmarks/fastpath.py --callgrind --collect 10   # prints, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Final

import callgrind
import report

ROOT: Final = Path(__file__).resolve().parents[1]
HERE: Final = Path(__file__).resolve().parent
OUTPUT: Final = HERE / "BENCHMARKS.md"
STAGES: Final = ("floor", "collect", "end_to_end", "consumers", "make")
PATHS: Final = ("python", "kernel")
MIXES: Final = ("trades_quotes", "book")
VENUE: Final = "SIM"
STORED_RE: Final = re.compile(r"stopped: (\d+) events stored")


def child(mix: str, stage: str, path: str, events: int, passes: int, tmp: Path, run: bool) -> dict:
    sys.path.insert(0, str(HERE))
    import frames as frames_mod
    import stages
    from mdc.domain import native
    from mdc.domain.events import Event
    from mdc.domain.time import now_ns
    from mdc.pipeline import fastpath
    from mdc.pipeline.frames import FrameEvents
    from mdc.pipeline.queues import BatchQueue
    from mdc.providers.simulated.parse import PROVIDER, parse_messages
    from mdc.providers.simulated.wire import decode_frame
    from mdc.storage.routing import Router

    gen = frames_mod.generate(mix, events, 1000, 20)
    data = gen.frames
    kernel = native.load(fastpath.KERNEL)
    if path == "kernel" and kernel is None:
        raise RuntimeError("the kernel is not built (make native)")
    best = float("inf")
    if not run:
        return {"events": gen.events, "seconds": 0.0}
    if stage == "floor":
        start = time.perf_counter()
        stages.decode(data)
        best = time.perf_counter() - start
    elif stage == "collect":
        store, _ = stages.open_store(tmp)  # for its layout only
        layout = store.layout  # type: ignore[attr-defined]
        store.close()
        encode = __import__("msgspec").json.Encoder().encode_lines
        for _ in range(passes):
            collectors = stages.make_collectors()
            ts_recv = now_ns()
            gc.collect()
            start = time.perf_counter()
            if path == "kernel":
                fast = fastpath.FastPath(kernel, collectors, VENUE, layout)
                for frame in data:
                    fast.handle(decode_frame(frame), ts_recv)
            else:
                router = Router(layout)
                for frame in data:
                    batch = collectors.process(parse_messages(decode_frame(frame), ts_recv, VENUE))
                    for group in router.route(batch).values():
                        encode(group)
            best = min(best, time.perf_counter() - start)
    elif stage == "make":
        store, _ = stages.open_store(tmp)  # for its layout only
        layout = store.layout  # type: ignore[attr-defined]
        store.close()
        fast = fastpath.FastPath(kernel, stages.make_collectors(), VENUE, layout)
        ts_recv = now_ns()
        handled = [(fast.handle(m, ts_recv), m) for m in map(decode_frame, data)]
        for _ in range(passes):
            gc.collect()
            start = time.perf_counter()
            for h, messages in handled:
                if path == "kernel":
                    FrameEvents(h, fastpath.WireBatch(fast, messages, ts_recv)).events()
                else:
                    parse_messages(messages, ts_recv, VENUE)
            best = min(best, time.perf_counter() - start)
    else:
        store, _ = stages.open_store(tmp)
        layout = store.layout  # type: ignore[attr-defined]
        consumer = None
        if stage == "consumers":
            consumer = BatchQueue("quality", stages.FANOUT_CAPACITY, "drop_oldest")
        try:
            for attempt in range(passes + 1):
                collectors = stages.make_collectors()
                fast = fastpath.FastPath(kernel, collectors, VENUE, layout) if kernel else None
                gc.collect()
                start = time.perf_counter()
                for frame in data:
                    ts_recv = now_ns()
                    store.write_raw(PROVIDER, ts_recv, frame)
                    messages = decode_frame(frame)
                    batch: list[Event] | FrameEvents
                    if path == "kernel":
                        assert fast is not None
                        h = fast.handle(messages, ts_recv)
                        store.append_lines(h.lines)  # type: ignore[attr-defined]
                        batch = FrameEvents(h, fastpath.WireBatch(fast, messages, ts_recv))
                    else:
                        batch = collectors.process(parse_messages(messages, ts_recv, VENUE))
                        store.append(batch)
                    if consumer is not None:
                        consumer.offer(batch)  # FanOut.publish, for a drop policy
                        consumer.get_nowait()
                if attempt:
                    best = min(best, time.perf_counter() - start)
        finally:
            store.close()
    return {"events": gen.events, "seconds": best}


def measure(args: argparse.Namespace) -> dict[tuple[str, str, str], dict[str, float]]:
    def jobs(mixes: list[str]) -> list[callgrind.Job]:
        return [
            (mix, stage, path)
            for mix in mixes
            for stage in STAGES
            for path in (("python",) if stage == "floor" else PATHS)
        ]

    counted = jobs(args.callgrind_mixes) if args.callgrind else []
    return callgrind.measure(Path(__file__), args, jobs(args.mixes), counted, with_tmp=True)


COLLECT_SYMBOLS: Final = ("SPY", "AAPL", "MSFT")
"""The default config's symbols; ``trades_quotes`` turns their depth off."""


def collect_runs(args: argparse.Namespace) -> dict[str, dict[str, list[float]]]:
    """Events stored per second by ``mdc collect`` on each path and mix, alternating."""
    rates: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for _ in range(args.collect_repeats):
        for mix in args.mixes:
            for path in PATHS:
                pure = "1" if path == "python" else "0"
                rates[mix][path].append(collect_rate(mix, args.collect, {"MDC_PURE_PYTHON": pure}))
    return rates


def collect_rate(mix: str, seconds: float, env: dict[str, str]) -> float:
    """Events stored per second by one ``mdc collect`` run of ``mix`` (``env`` added to ours)."""
    with tempfile.TemporaryDirectory() as td:
        config = Path(td) / "mdc.toml"
        depth = "true" if mix == "book" else "false"
        entries = ", ".join(f'{{ symbol = "{s}", depth = {depth} }}' for s in COLLECT_SYMBOLS)
        config.write_text(f"symbols = [{entries}]\n")
        run_env = {**os.environ, "MDC_PROVIDERS__SIMULATED__RATE": "10000000", **env}
        cmd = [
            str(Path(sys.executable).with_name("mdc")),
            "collect",
            "-c",
            str(config),
            "--no-http",
            "--duration",
            str(seconds),
            "--data",
            str(Path(td) / "data"),
        ]
        done = subprocess.run(cmd, env=run_env, capture_output=True, text=True, check=False)
        match = STORED_RE.search(done.stderr + done.stdout)
        if done.returncode != 0 or match is None:
            raise RuntimeError(f"mdc collect failed:\n{done.stderr[-3000:]}")
        return int(match.group(1)) / seconds


def render(results: dict, rates: dict[str, list[float]] | None, args: argparse.Namespace) -> str:
    commit = report.commit()
    parts = [
        "## Simulated feed: compiled fast path against the Python path (one core)\n",
        f"{report.machine()}\n",
        f"Written by `benchmarks/fastpath.py` on {time.strftime('%Y-%m-%d', time.gmtime())}, "
        f"commit `{commit}`: {args.events:,} simulated events per mix (20 symbols, "
        f"1,000-event frames), each stage in its own process, paths alternating, best of "
        f"{args.repeats} × {args.passes} passes. × floor = floor time / stage time (the floor "
        "decodes the frames; higher is cheaper)." + callgrind.method(args) + "\n",
    ]
    jobs = [(st, p) for st in STAGES for p in (("python",) if st == "floor" else PATHS)]
    stages = report.stage_table(results, args.mixes, jobs, args.callgrind)
    if stages:
        parts.append(stages)
    if rates:
        parts.append(
            f"\n`MDC_PROVIDERS__SIMULATED__RATE=10000000 mdc collect --no-http --duration "
            f"{args.collect:g}` (default config otherwise: raw capture on, the `quality.live` "
            f"consumer, WAL fsync every 100 ms; symbols {', '.join(COLLECT_SYMBOLS)}; `book` "
            "is the default config, `trades_quotes` the same symbols with `depth = false`), "
            f"paths alternating, {args.collect_repeats} runs each: events stored / duration.\n"
        )
        rows = []
        for mix, by_path in rates.items():
            best = {p: max(v) for p, v in by_path.items()}
            rows.append(
                [mix]
                + [" / ".join(f"{x:,.0f}" for x in by_path[p]) for p in PATHS]
                + [f"{best['kernel'] / best['python']:.2f}"]
            )
        parts.append(
            report.table(["mix", "Python path (events/s)", "kernel (events/s)", "best ×"], rows)
        )
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="the simulated feed's fast path per stage")
    callgrind.arguments(parser, MIXES, OUTPUT)
    parser.add_argument("--callgrind-mixes", nargs="+", default=list(MIXES), choices=MIXES)
    parser.add_argument("--collect", type=float, default=0.0, help="seconds per mdc collect run")
    parser.add_argument("--collect-repeats", type=int, default=3)
    parser.add_argument("--collect-only", action="store_true", help="only the mdc collect runs")
    parser.add_argument("--tmp", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        mix, stage, path = args.child.split(":")
        out = child(mix, stage, path, args.events, args.passes, args.tmp, not args.setup_only)
        print(json.dumps(out))
        return
    if args.collect_only:
        rates = collect_runs(args)
        print(render({}, rates, args))
        return
    results = measure(args)
    rates = collect_runs(args) if args.collect else None
    text = render(results, rates, args)
    print(text)
    if not args.no_write:
        report.write(args.output, "fastpath", text)


if __name__ == "__main__":
    main()
