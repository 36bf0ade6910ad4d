"""A simulated day (3 symbols × trades, quotes, 1m bars and gaps) replayed through the real
archive: merged by ``ts_event`` from JSONL and from Parquet alike, to stdout, and to a real
WebSocket client; speed control checked with an injected clock."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from datetime import date
from itertools import pairwise
from pathlib import Path

import msgspec
import pytest
from typer.testing import CliRunner
from websockets.asyncio.client import connect

from mdc.cli.main import app
from mdc.config.schema import StorageConfig
from mdc.domain.events import TYPE_NAMES, Event, Gap, decode_json_event
from mdc.providers.simulated.config import SimulatedConfig
from mdc.providers.simulated.historical import day_ticks, minute_bars
from mdc.replay.merge import MergeStats, merged
from mdc.replay.pace import Pacer
from mdc.replay.server import ReplayServer
from mdc.replay.sinks import replay_lines
from mdc.storage import open_store
from mdc.storage.archive import open_archive

DAY = date(2024, 3, 1)
SYMBOLS = ["AAPL", "MSFT", "SPY"]
TYPES = ["trades", "quotes", "bars", "gaps"]
NS = 1_000_000_000
runner = CliRunner()


def day_events() -> list[Event]:
    settings = SimulatedConfig()
    out: list[Event] = []
    for symbol in SYMBOLS:
        ticks = day_ticks(settings, symbol, DAY)
        out += ticks
        out += minute_bars(settings, symbol, DAY)
        mid = ticks[len(ticks) // 2].ts_event
        out.append(
            Gap(
                symbol=symbol,
                venue="SIM",
                provider="simulated",
                ts_event=mid,
                ts_recv=mid,
                from_ts=mid - 5 * NS,
                to_ts=mid,
                reason="disconnect",
            )
        )
    return out


def reference(events: list[Event]) -> list[Event]:
    """The order the merge promises: ts_event, then type (as asked), then symbol, then file."""
    rank = {(t, s): i for i, (t, s) in enumerate((t, s) for t in TYPES for s in SYMBOLS)}
    keyed = [
        (e.ts_event, rank[(TYPE_NAMES[type(e)], e.symbol)], i, e) for i, e in enumerate(events)
    ]
    return [e for *_, e in sorted(keyed, key=lambda k: k[:3])]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replay") / "data"
    store = open_store(
        StorageConfig(root=str(path), format="both", raw_capture=False, min_free_mb=0)
    )
    store.append(day_events())
    store.close()
    return path


def exact(events: list[Event]) -> bytes:
    return msgspec.msgpack.encode(events)


@pytest.mark.parametrize("source", ["jsonl", "parquet"])
def test_merge_orders_the_day_by_ts_event_across_types_and_symbols(root: Path, source: str) -> None:
    archive = open_archive(root, source=source)  # type: ignore[arg-type]
    stats = MergeStats()
    got = list(merged(archive, SYMBOLS, TYPES, 0, 1 << 62, stats))
    expected = reference(day_events())
    assert len(got) == 3 * (20_000 + 390 + 1) == len(expected)
    assert stats.streams == 12 and stats.late == 0
    assert stats.by_type == {"trades": 20_948, "quotes": 39_052, "bars": 1170, "gaps": 3}
    ts = [e.ts_event for e in got]
    assert ts == sorted(ts)
    assert exact(got) == exact(expected)
    # the streams really interleave: consecutive events change symbol thousands of times
    assert sum(a.symbol != b.symbol for a, b in pairwise(got)) > 10_000


def test_cli_replays_to_stdout_with_a_symbol_and_type_filter(root: Path) -> None:
    args = ["replay", "--from", "2024-03-01", "--to", "2024-03-01", "-s", "SPY,MSFT"]
    result = runner.invoke(app, [*args, "-t", "trades,gaps", "--stdout", "--data", str(root)])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    events = [decode_json_event(line) for line in lines]
    want = [
        e
        for e in reference(day_events())
        if e.symbol in ("SPY", "MSFT") and TYPE_NAMES[type(e)] in ("trades", "gaps")
    ]
    assert sorted(msgspec.msgpack.encode(e) for e in events) == sorted(
        msgspec.msgpack.encode(e) for e in want
    )
    assert [e.ts_event for e in events] == sorted(e.ts_event for e in events)
    assert sum(isinstance(e, Gap) for e in events) == 2


def test_bad_replay_arguments_name_the_fix(root: Path) -> None:
    base = ["replay", "--from", "2024-03-01", "--to", "2024-03-01", "--data", str(root)]
    result = runner.invoke(app, [*base, "--stdout", "--speed", "fast"])
    assert result.exit_code == 2 and "speed must be a positive number or max" in result.output
    result = runner.invoke(app, [*base, "--stdout", "--jsonl", "x.jsonl"])
    assert result.exit_code == 2 and "exactly one of" in result.output
    result = runner.invoke(app, [*base, "--stdout", "-t", "trades,ticks"])
    assert result.exit_code == 2 and "unknown ticks" in result.output


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize("speed", [1.0, 10.0])
def test_speed_control_sends_each_event_when_due(root: Path, speed: float, tmp_path: Path) -> None:
    clock = FakeClock()
    archive = open_archive(root)
    events = list(merged(archive, ["SPY"], ["bars"], 0, 1 << 62))[:60]
    sent_at: list[float] = []

    class Out:
        def write(self, data: bytes) -> int:
            if data != b"\n":
                sent_at.append(clock.now)
            return len(data)

        def flush(self) -> None:
            pass

    n = replay_lines(events, Out(), Pacer(speed, clock), clock.sleep)
    assert n == 60
    t0 = events[0].ts_event
    for e, at in zip(events, sent_at, strict=True):
        assert at == pytest.approx(1000.0 + (e.ts_event - t0) / NS / speed)
    assert sum(clock.sleeps) == pytest.approx(59 * 60 / speed)  # 59 minutes of bars
    fast = FakeClock()
    assert replay_lines(events, Out(), Pacer(None, fast), fast.sleep) == 60
    assert fast.sleeps == []


def test_websocket_clients_receive_the_replay_in_order(root: Path) -> None:
    archive = open_archive(root)
    clock = FakeClock()

    async def fake_sleep(seconds: float) -> None:
        clock.sleep(seconds)
        await asyncio.sleep(0)

    async def scenario() -> tuple[list[list[object]], int]:
        events = merged(archive, SYMBOLS, TYPES, 0, 1 << 62)
        server = ReplayServer(
            events,
            Pacer(1000.0, clock),
            {"from": 0, "to": 1 << 62, "speed": 1000.0, "symbols": SYMBOLS, "types": TYPES},
            wait_for=2,
            sleep=fake_sleep,
        )
        port = await server.start()

        async def client(query: str) -> list[object]:
            got: list[object] = []
            async with connect(f"ws://127.0.0.1:{port}/{query}", max_size=None) as ws:
                async for message in ws:
                    got.append(json.loads(message))
            return got

        results = await asyncio.gather(
            client(""), client("?symbols=AAPL&types=trades,gaps"), server.run()
        )
        return [results[0], results[1]], results[2]

    (everything, filtered), total = asyncio.run(scenario())
    expected = reference(day_events())
    assert total == len(expected)
    for got, want in ((everything, expected), (filtered, None)):
        hello, *batches, end = got
        assert isinstance(hello, dict) and hello["type"] == "hello"
        events = [decode_json_event(json.dumps(e)) for b in batches for e in b]  # type: ignore[union-attr]
        assert isinstance(end, dict) and end == {"type": "end", "events": len(events)}
        if want is not None:
            assert exact(events) == exact(want)
        else:
            assert {e.symbol for e in events} == {"AAPL"}
            assert {TYPE_NAMES[type(e)] for e in events} == {"trades", "gaps"}
            assert [e.ts_event for e in events] == sorted(e.ts_event for e in events)
            assert hello["symbols"] == ["AAPL"]
    assert clock.sleeps and sum(clock.sleeps) == pytest.approx(
        (expected[-1].ts_event - expected[0].ts_event) / NS / 1000.0, rel=1e-6
    )


def test_cli_serves_the_replay_on_a_websocket_from_a_real_process(root: Path) -> None:
    args = [sys.executable, "-m", "mdc.cli", "replay", "--from", "2024-03-01", "--to"]
    args += ["2024-03-01", "-s", "MSFT", "-t", "bars,gaps", "--to-ws", "0", "--data", str(root)]
    proc = subprocess.Popen(args, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # "replay: ws://127.0.0.1:PORT/ (waiting for 1 client(s))"
        match = re.search(r"ws://127\.0\.0\.1:(\d+)/", line)
        assert match, line

        async def receive() -> list[object]:
            url = f"ws://127.0.0.1:{match.group(1)}/"
            async with connect(url, max_size=None) as ws:
                return [json.loads(m) async for m in ws]

        hello, *batches, end = asyncio.run(receive())
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()
    events = [decode_json_event(json.dumps(e)) for b in batches for e in b]  # type: ignore[union-attr]
    kinds = ("bars", "gaps")
    want = [
        e for e in reference(day_events()) if e.symbol == "MSFT" and TYPE_NAMES[type(e)] in kinds
    ]
    assert exact(events) == exact(want) and len(events) == 391
    assert end == {"type": "end", "events": 391}
    assert isinstance(hello, dict) and hello["types"] == ["bars", "gaps"]
