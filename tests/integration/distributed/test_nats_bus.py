"""Collectors publishing their WAL to a real JetStream, archive writers storing it (issue 20).

Everything runs as real processes (`mdc collect --publish`, `mdc store`) against a real
nats-server: the crash test runs its own server on a free port so that it can restart it.
The collectors fsync every append (``wal.fsync = "always"``) and keep their WAL segments, so
their intact WAL records are exactly what they acknowledged (tests/support/wal_audit.py).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from tests.support.nats_server import PrivateServer, shared_server
from tests.support.services import postgres
from tests.support.wal_audit import acknowledged, archived

from mdc.domain.events import EVENT_TYPES, TYPE_NAMES
from mdc.sinks.postgres import KEY_COLUMN, Table

pytestmark = pytest.mark.slow

# Integrity events are the store's own reports (a torn WAL tail after SIGKILL): a writer's
# are not a collector's, so the comparison leaves that type out.
COMPARED = ("trades", "quotes", "book_deltas", "book_snapshots", "gaps", "statuses")


def _config(
    path: Path,
    url: str,
    stream: str,
    prefix: str,
    cid: str,
    venue: str,
    symbols: list[str],
    pg_schema: str = "",
) -> Path:
    sink = (
        f'[[sinks]]\nname = "pg"\nkind = "postgres"\ndsn = "{postgres()}"\nschema = "{pg_schema}"\n'
        if pg_schema
        else ""
    )
    path.write_text(
        f"""
symbols = {symbols!r}
[storage.wal]
fsync = "always"
keep_segments = true
segment_max_mb = 1
[distributed]
publish = true
servers = ["{url}"]
stream = "{stream}"
subject_prefix = "{prefix}"
collector_id = "{cid}"
ack_wait_s = 5
[providers.simulated]
venue = "{venue}"
rate = 600
seed = {sum(map(ord, cid))}
""".replace("'", '"')
        + sink
    )
    return path


def _mdc(*args: str, log: Path) -> subprocess.Popen[bytes]:
    out = log.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", *args], stdout=out, stderr=subprocess.STDOUT
    )


def _ready(log: Path, timeout: float = 90) -> None:
    """Until the process logged that it runs (start-up is slow on a loaded machine)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text() if log.exists() else ""
        if "mdc.collect: collecting" in text or "mdc.store: storing" in text:
            return
        time.sleep(0.1)
    pytest.fail(f"{log.name}: not started in {timeout}s: {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes], log: Path) -> None:
    proc.send_signal(signal.SIGTERM)
    code = proc.wait(timeout=60)
    assert code == 0, log.read_text()[-3000:]


def _drained(url: str, stream: str, durables: list[str], timeout: float = 60) -> None:
    """Until every durable has been delivered everything and holds no unacked message."""
    import nats

    async def idle() -> bool:
        from nats.js.errors import NotFoundError

        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            infos = [await js.consumer_info(stream, d) for d in durables]
            return all(i.num_pending == 0 and i.num_ack_pending == 0 for i in infos)
        except NotFoundError:  # logged "storing" but not subscribed yet: not drained
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if asyncio.run(idle()):
            return
        time.sleep(0.3)
    pytest.fail(f"consumers {durables} of {stream} did not drain in {timeout}s")


def _audit(collectors: list[Path], writer: Path) -> int:
    """The writer's archive holds every event the collectors acknowledged, once each."""
    want: dict[str, Counter[bytes]] = {t: Counter() for t in COMPARED}
    for root in collectors:
        for type_name, counts in acknowledged(root).items():
            if type_name in want:
                want[type_name] += counts
    have = archived(writer, "jsonl")
    for type_name in COMPARED:
        missing = want[type_name] - have[type_name]
        extra = have[type_name] - want[type_name]
        assert not missing, f"{writer.name} {type_name}: {sum(missing.values())} missing"
        assert not extra, f"{writer.name} {type_name}: {sum(extra.values())} extra"
    return sum(sum(c.values()) for c in want.values())


def _pg_rows(schema: str) -> dict[str, Counter[bytes]]:
    """The sink's tables, each row turned back into its event."""
    import msgspec
    import psycopg

    out: dict[str, Counter[bytes]] = {}
    with psycopg.connect(postgres()) as conn:
        for cls in EVENT_TYPES:
            table = Table(cls, schema, "mdc_")
            cur = conn.execute(f"SELECT * FROM {table.name}")  # type: ignore[arg-type]
            names = [d.name for d in cur.description or []]
            out[TYPE_NAMES[cls]] = Counter(
                msgspec.msgpack.encode(
                    msgspec.convert(
                        {k: v for k, v in zip(names, row, strict=True) if k != KEY_COLUMN}, cls
                    )
                )
                for row in cur
            )
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')  # type: ignore[arg-type]
    return out


def test_three_collectors_two_writers_survive_sigkill_and_a_server_restart(
    tmp_path: Path,
) -> None:
    server = PrivateServer(tmp_path / "js")
    server.start()
    url, stream, prefix = server.url, "ISSUE20", "mdc"
    specs = {
        "c1": ("SIMA", ["AAA", "AAB"]),
        "c2": ("SIMA", ["ABA", "ABB"]),
        "c3": ("SIMB", ["BAA", "BAB"]),
    }
    logs = tmp_path / "logs"
    logs.mkdir()
    roots = {name: tmp_path / name for name in [*specs, "wa", "wb"]}
    schema = f"issue20_{os.getpid()}"
    cfgs = {
        cid: _config(tmp_path / f"{cid}.toml", url, stream, prefix, cid, venue, symbols, schema)
        for cid, (venue, symbols) in specs.items()
    }
    wcfg = _config(tmp_path / "w.toml", url, stream, prefix, "w", "X", ["X"])

    def collector(cid: str, run: int = 1) -> subprocess.Popen[bytes]:
        return _mdc(
            "collect", "-c", str(cfgs[cid]), "--no-http", "-d", str(roots[cid]),
            log=logs / f"{cid}-{run}.log",
        )  # fmt: skip

    def writer(name: str, venue: str, run: int = 1) -> subprocess.Popen[bytes]:
        return _mdc(
            "store", "-c", str(wcfg), "--from", url, "--durable", name,
            "--filter", f"{prefix}.*.{venue}.>", "-d", str(roots[name]),
            log=logs / f"{name}-{run}.log",
        )  # fmt: skip

    procs = {cid: collector(cid) for cid in specs}
    procs["wa"] = writer("wa", "SIMA")
    procs["wb"] = writer("wb", "SIMB")
    try:
        for name in procs:
            _ready(logs / f"{name}-1.log")
        time.sleep(3)
        for name in ("c2", "wa"):
            os.kill(procs[name].pid, signal.SIGKILL)
            procs[name].wait()
        time.sleep(0.5)
        procs["c2"] = collector("c2", run=2)
        procs["wa"] = writer("wa", "SIMA", run=2)
        _ready(logs / "c2-2.log")
        _ready(logs / "wa-2.log")
        time.sleep(2)
        server.stop()  # an outage: collectors keep acknowledging into their WALs
        time.sleep(2)
        server.start()
        time.sleep(3)
        for cid in specs:
            _stop(procs.pop(cid), logs / f"{cid}-{2 if cid == 'c2' else 1}.log")
        _drained(url, stream, ["wa", "wb"])
        _stop(procs.pop("wa"), logs / "wa-2.log")
        _stop(procs.pop("wb"), logs / "wb-1.log")
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
        server.stop()
    sima = _audit([roots["c1"], roots["c2"]], roots["wa"])
    simb = _audit([roots["c3"]], roots["wb"])
    assert sima > 2000 and simb > 1000, (sima, simb)
    # Every collector also sank its WAL into PostgreSQL: the same events, once each.
    rows = _pg_rows(schema)
    for type_name in COMPARED:
        want = Counter[bytes]()
        for cid in specs:
            want += acknowledged(roots[cid])[type_name]
        assert rows[type_name] == want, type_name
    # The killed writer, restarted, got what it had stored but not acknowledged again.
    stopped = re.findall(r"(\d+) redelivered", (logs / "wa-2.log").read_text())
    assert stopped and int(stopped[-1]) > 0


def _delete_stream(url: str, stream: str) -> None:
    import nats

    async def delete() -> None:
        nc = await nats.connect(url)
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    asyncio.run(delete())


def test_two_writers_on_one_durable_share_the_work_and_take_over(tmp_path: Path) -> None:
    url = shared_server()
    stream, prefix = f"T20SHARE{os.getpid()}", f"t20s{os.getpid()}"
    cfg = _config(tmp_path / "c.toml", url, stream, prefix, "c1", "SIMS", ["SA", "SB"])
    logs = tmp_path / "logs"
    logs.mkdir()
    w1, w2, c1 = tmp_path / "w1", tmp_path / "w2", tmp_path / "c1"

    def writer(root: Path) -> subprocess.Popen[bytes]:
        return _mdc(
            "store", "-c", str(cfg), "--durable", "shared", "-d", str(root),
            log=logs / f"{root.name}.log",
        )  # fmt: skip

    procs = {
        "c1": _mdc("collect", "-c", str(cfg), "--no-http", "-d", str(c1), log=logs / "c1.log"),
        "w1": writer(w1),
        "w2": writer(w2),
    }
    try:
        for name in procs:
            _ready(logs / f"{name}.log")
        time.sleep(3)
        _stop(procs.pop("w1"), logs / "w1.log")  # w2 takes over the rest alone
        time.sleep(2)
        _stop(procs.pop("c1"), logs / "c1.log")
        _drained(url, stream, ["shared"])
        _stop(procs.pop("w2"), logs / "w2.log")
    finally:
        for proc in procs.values():
            proc.kill()
            proc.wait()
        _delete_stream(url, stream)
    counts = [
        int(re.findall(r"stopped: (\d+) messages", (logs / f"{w}.log").read_text())[-1])
        for w in ("w1", "w2")
    ]
    assert all(n > 0 for n in counts), counts  # both pulled from the one durable
    want = acknowledged(c1)
    have_1, have_2 = archived(w1, "jsonl"), archived(w2, "jsonl")
    for type_name in COMPARED:
        union = have_1[type_name] + have_2[type_name]
        assert union == want[type_name], type_name


def test_a_bad_message_is_kept_and_the_writer_goes_on(tmp_path: Path) -> None:
    import msgspec
    import nats

    from mdc.domain.events import Trade

    url = shared_server()
    stream, prefix = f"T20BAD{os.getpid()}", f"t20b{os.getpid()}"
    good = [
        Trade(symbol="G", venue="V", provider="p", ts_event=i, ts_recv=i, price=1.0, size=1.0)
        for i in range(1, 4)
    ]

    async def publish() -> None:
        nc = await nats.connect(url)
        js = nc.jetstream()
        await js.add_stream(name=stream, subjects=[f"{prefix}.>"])
        await js.publish(f"{prefix}.x.V.trade", b"\xc1 not msgpack", headers={"Mdc-Count": "1"})
        body = msgspec.msgpack.encode(good)
        await js.publish(f"{prefix}.x.V.trade", body, headers={"Mdc-Count": "9"})  # lies
        await js.publish(f"{prefix}.x.V.trade", body, headers={"Mdc-Count": "3"})
        await nc.close()

    asyncio.run(publish())
    cfg = tmp_path / "w.toml"
    cfg.write_text(f'[distributed]\nstream = "{stream}"\nsubject_prefix = "{prefix}"\n')
    log = tmp_path / "w.log"
    try:
        proc = _mdc("store", "-c", str(cfg), "--from", url, "-d", str(tmp_path / "w"), log=log)
        _ready(log)
        _drained(url, stream, ["mdc-archive"])
        _stop(proc, log)
    finally:
        _delete_stream(url, stream)
    assert "stopped: 3 messages, 3 events, 1 acked, 0 redelivered, 2 bad" in log.read_text()
    (bad_file,) = (tmp_path / "w/_bad/nats").glob("*.jsonl")
    bad = [json.loads(line) for line in bad_file.read_text().splitlines()]
    assert len(bad) == 2
    assert "Mdc-Count says 9, the payload holds 3" in bad[1]["error"]
    have = archived(tmp_path / "w", "jsonl")["trades"]
    assert have == Counter(msgspec.msgpack.encode(e) for e in good)
