"""The measured stages: each takes the pre-generated frames (or the parsed batches) of a mix.

Built in: ``decode`` (the floor: msgspec decode of the frames into wire messages, nothing
else), ``parse``, ``collectors``, ``pipeline`` (fan-out to one ``drop_oldest`` consumer),
``store_append`` (collector output into ``mdc.storage.open_store``), ``store_steady`` (the
same through a store that stays open, JSONL or Parquet), ``encode_lines`` (JSON
lines of the parsed events: decode + encode is the least a JSONL archive path does),
``end_to_end`` (frames → parse → collectors → store → fan-out, as ``mdc collect`` runs them,
from a new archive to its final close) and ``end_to_end_steady`` (the same through a store that
stays open: a running collector's rate).

More stages plug in as modules ``benchmarks/<name>_stage.py`` defining
``run(batches: list[list[Event]], tmp_dir: pathlib.Path) -> int | None``: the harness times the
call on the parsed batches and counts the returned number of events (or all input events when
it returns None).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, TypeVar

import msgspec

import mdc.storage
from mdc.collectors.chain import Collectors
from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import Event
from mdc.domain.time import now_ns
from mdc.pipeline.fanout import FanOut
from mdc.providers.simulated import SPEC
from mdc.providers.simulated.parse import PROVIDER, parse_frame
from mdc.providers.simulated.wire import FRAME_DECODER
from mdc.storage.base import EventStore

VENUE: Final = "SIM"
FANOUT_CAPACITY: Final = 100_000
"""The default live consumer capacity (``pipeline.capacity``)."""
STAGE_SUFFIX: Final = "_stage.py"
HERE: Final = Path(__file__).resolve().parent

T = TypeVar("T")


@dataclass
class Timing:
    events: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else 0.0


def measure(
    run: Callable[[T], int], setup: Callable[[], T], min_seconds: float, max_repeats: int
) -> Timing:
    """Best of several runs (repeating until ``min_seconds`` are spent or ``max_repeats``): the
    least disturbed run on a shared machine. Each run gets fresh input from ``setup``, which is
    not timed, and starts after a garbage collection."""
    best: Timing | None = None
    spent = 0.0
    for _ in range(max_repeats):
        data = setup()
        gc.collect()
        start = time.perf_counter()
        events = run(data)
        elapsed = time.perf_counter() - start
        del data
        spent += elapsed
        if best is None or elapsed < best.seconds:
            best = Timing(events, elapsed)
        if spent >= min_seconds:
            break
    assert best is not None
    return best


def make_collectors() -> Collectors:
    """Collectors as the runtime builds them for the simulated feed."""
    collectors = Collectors()
    register = getattr(collectors, "register_provider", None)
    if register is not None:  # the full collectors know each feed's sequence rules
        register(PROVIDER, SPEC.capabilities)
    return collectors


def open_store(root: Path) -> tuple[EventStore, str]:
    """The archive store ``mdc collect`` would open on ``root``, and its class name."""
    store = mdc.storage.open_store(StorageConfig(root=str(root)))
    return store, f"{type(store).__module__}.{type(store).__qualname__}"


# -- built-in stages -------------------------------------------------------------------------


def decode(frames: list[bytes]) -> int:
    decode_one = FRAME_DECODER.decode
    return sum(len(decode_one(f)) for f in frames)


def parse(frames: list[bytes]) -> list[list[Event]]:
    """The batches of all frames (input for the later stages)."""
    ts_recv = now_ns()
    return [parse_frame(f, ts_recv, VENUE) for f in frames]


def parse_only(frames: list[bytes]) -> int:
    """The parse stage: each batch is dropped once counted, as the running collector drops
    it once stored (holding all of them would time the garbage collector instead)."""
    ts_recv = now_ns()
    return sum(len(parse_frame(f, ts_recv, VENUE)) for f in frames)


def collect(batches: list[list[Event]]) -> int:
    process = make_collectors().process
    for batch in batches:
        process(batch)
    return sum(len(b) for b in batches)


def store_append(data: tuple[list[list[Event]], Path]) -> int:
    """``append`` of collector output to the store, its final flush (``close``) included."""
    batches, root = data
    store, _ = open_store(root)
    try:
        for batch in batches:
            store.append(batch)
    finally:
        store.close()
    return sum(len(b) for b in batches)


def store_steady(
    batches: list[list[Event]], tmp_dir: Path, passes: int, fmt: str
) -> tuple[int, float]:
    """The storage path of a running collector: collector output appended to a store writing
    ``fmt`` (WAL with fsync every 100 ms, no raw capture) that stays open, ``passes`` times
    after an untimed warm-up pass. Returns (events per pass, seconds of the fastest pass)."""
    config = StorageConfig(
        root=str(tmp_dir),
        format=fmt,  # type: ignore[arg-type]
        raw_capture=False,
        wal=WalConfig(fsync="interval", fsync_interval_ms=100),
    )
    store = mdc.storage.open_store(config)
    best = float("inf")
    try:
        for attempt in range(passes + 1):
            gc.collect()
            start = time.perf_counter()
            for batch in batches:
                store.append(batch)
            if attempt:
                best = min(best, time.perf_counter() - start)
    finally:
        store.close()
    return sum(len(b) for b in batches), best


def pipeline(batches: list[list[Event]]) -> tuple[int, int]:
    """Publish every batch to a fan-out with one ``drop_oldest`` consumer draining it
    concurrently; returns (events published, events dropped)."""

    async def main() -> tuple[int, int]:
        fanout = FanOut()
        queue = fanout.add("bench", FANOUT_CAPACITY, "drop_oldest")
        consumer = asyncio.create_task(drain(queue))
        for batch in batches:
            await fanout.publish(batch)
            await asyncio.sleep(0)
        fanout.close()
        await consumer
        return fanout.published, queue.dropped

    return asyncio.run(main())


async def drain(queue: Any) -> int:
    consumed = 0
    while batch := await queue.get():
        consumed += len(batch)
    return consumed


class EndToEnd:
    """What ``mdc collect`` does with each frame: raw capture, parse, collectors, store, fan-out
    to a ``drop_oldest`` consumer that drains concurrently. Create it inside the event loop."""

    def __init__(self, tmp_dir: Path) -> None:
        self.store, self.store_name = open_store(tmp_dir)
        self.collectors = make_collectors()
        self.fanout = FanOut()
        self.queue = self.fanout.add("bench", FANOUT_CAPACITY, "drop_oldest")
        self.consumer = asyncio.create_task(drain(self.queue))
        self.events = 0

    async def process(self, frame: bytes) -> None:
        ts_recv = now_ns()
        self.store.write_raw(PROVIDER, ts_recv, frame)
        batch = parse_frame(frame, ts_recv, VENUE)
        self.events += len(batch)
        batch = self.collectors.process(batch)
        self.store.append(batch)
        await self.fanout.publish(batch)
        await asyncio.sleep(0)

    def reopen_store(self, tmp_dir: Path) -> None:
        """Close the store and start a new one (the soak's bound on disk use)."""
        self.store.close()
        self.store, self.store_name = open_store(tmp_dir)

    async def close(self) -> None:
        """Drain the consumer and close (flush) the store."""
        self.fanout.close()
        await self.consumer
        self.store.close()


def encode_lines(batches: list[list[Event]]) -> int:
    """JSON lines of every event: with ``decode``, the least any JSONL archive path does."""
    encode = msgspec.json.Encoder().encode_lines
    for batch in batches:
        encode(batch)
    return sum(len(b) for b in batches)


def end_to_end_steady(frames: list[bytes], tmp_dir: Path, passes: int) -> tuple[int, float]:
    """A running collector's rate: one :class:`EndToEnd` whose store stays open, the frames
    replayed ``passes`` times after an untimed warm-up pass (the files are open and the WAL
    segment exists, as hours into ``mdc collect``). Each pass gets fresh collectors, so
    sequences start over instead of looking like a replay. Returns (provider events per pass,
    seconds of the fastest pass); the store's final close is outside the timing."""

    async def main() -> tuple[int, float]:
        path = EndToEnd(tmp_dir)
        best = float("inf")
        for attempt in range(passes + 1):
            path.collectors = make_collectors()
            path.events = 0
            gc.collect()
            start = time.perf_counter()
            for frame in frames:
                await path.process(frame)
            if attempt:
                best = min(best, time.perf_counter() - start)
        await path.close()
        return path.events, best

    return asyncio.run(main())


def end_to_end(frames: list[bytes], tmp_dir: Path) -> tuple[int, str]:
    """All frames through :class:`EndToEnd`, the store's final flush included; returns the
    number of provider events and which store took them."""

    async def main() -> tuple[int, str]:
        path = EndToEnd(tmp_dir)
        for frame in frames:
            await path.process(frame)
        await path.close()
        return path.events, path.store_name

    return asyncio.run(main())


# -- plug-in stages --------------------------------------------------------------------------


@dataclass
class PluginStage:
    name: str
    path: Path
    run: Callable[[list[list[Event]], Path], int | None]


def plugin_stages(directory: Path = HERE) -> list[PluginStage]:
    """Every ``<name>_stage.py`` beside this file, in name order."""
    stages = []
    for path in sorted(directory.glob(f"*{STAGE_SUFFIX}")):
        name = path.name[: -len(STAGE_SUFFIX)]
        spec = importlib.util.spec_from_file_location(f"bench_stage_{name}", path)
        if spec is None or spec.loader is None:
            raise ImportError(f"{path}: cannot be imported")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        run = getattr(module, "run", None)
        if not callable(run) or len(inspect.signature(run).parameters) != 2:
            raise TypeError(f"{path}: must define run(batches, tmp_dir) -> int | None")
        stages.append(PluginStage(name, path, run))
    return stages
