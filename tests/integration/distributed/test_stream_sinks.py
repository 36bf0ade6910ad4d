"""Sinks fed from JetStream (``mdc sink --from``) against the real nats-server, PostgreSQL and
Redis, with the sink process SIGKILLed mid-run and restarted: PostgreSQL holds every event
exactly once, Redis every event at least once under the same ids; a bad message is dropped."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import msgspec
import psycopg
import pytest
import redis
from tests.integration.distributed.test_nats_bus import _delete_stream, _drained
from tests.integration.distributed.test_writer_metrics import scrape
from tests.support.nats_server import shared_server
from tests.support.services import mosquitto, postgres, rabbitmq, redis_server

from mdc.domain.events import Trade

pytestmark = pytest.mark.slow

MESSAGES = 400
PER_MESSAGE = 2


def batches() -> list[list[Trade]]:
    return [
        [
            Trade(
                symbol="S",
                venue="V",
                provider="p",
                ts_event=1_000 + m * PER_MESSAGE + i,
                ts_recv=1_000 + m * PER_MESSAGE + i,
                price=100.0 + m,
                size=1.0,
                seq=m * PER_MESSAGE + i,
            )
            for i in range(PER_MESSAGE)
        ]
        for m in range(MESSAGES)
    ]


def publish(url: str, stream: str, prefix: str, messages: int = MESSAGES) -> None:
    """A bad message first, then ``messages`` good ones (stream sequences 2‥messages+1)."""
    import nats

    async def run() -> None:
        nc = await nats.connect(url)
        try:
            js = nc.jetstream()
            await js.add_stream(name=stream, subjects=[f"{prefix}.>"])
            await js.publish(f"{prefix}.c.V.trade", b"\xc1 not msgpack")
            for events in batches()[:messages]:
                body = msgspec.msgpack.encode(events)
                await js.publish(
                    f"{prefix}.c.V.trade", body, headers={"Mdc-Count": str(len(events))}
                )
        finally:
            await nc.close()

    asyncio.run(run())


def config(path: Path, url: str, stream: str, prefix: str, sink: str) -> Path:
    path.write_text(
        f"""
[distributed]
servers = ["{url}"]
stream = "{stream}"
subject_prefix = "{prefix}"
fetch_batch = 4
ack_wait_s = 2
{sink}
"""
    )
    return path


def start(cfg: Path, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", "sink", "-c", str(cfg), "--sink", "out"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


def kill_mid_run(cfg: Path, log: Path, progress: Callable[[], int]) -> None:
    """Start, SIGKILL once some (not all) events are written, start again, drain, stop."""
    proc = start(cfg, log)
    try:
        deadline = time.monotonic() + 90
        while progress() == 0 and time.monotonic() < deadline:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        done = progress()
        assert 0 < done < MESSAGES * PER_MESSAGE, done  # killed mid-run
        proc = start(cfg, log)
        stream = cfg.read_text().split('stream = "')[1].split('"')[0]
        url = cfg.read_text().split('servers = ["')[1].split('"')[0]
        _drained(url, stream, ["mdc-sink-out"], timeout=90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_postgres_fed_from_the_stream_holds_each_event_once_across_a_sigkill(
    tmp_path: Path,
) -> None:
    dsn = postgres()
    url = shared_server()
    tag = f"{os.getpid()}"
    stream, prefix, schema = f"T20SINKPG{tag}", f"t20pg{tag}", f"jsink_{tag}"
    sink = f'[[sinks]]\nname = "out"\nkind = "postgres"\ndsn = "{dsn}"\nschema = "{schema}"\n'
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sink)
    log = tmp_path / "sink.log"
    publish(url, stream, prefix)

    def rows() -> int:
        with psycopg.connect(dsn) as conn:
            found = conn.execute(
                "SELECT 1 FROM information_schema.tables WHERE table_schema = %s "
                "AND table_name = 'mdc_trades'",
                (schema,),
            ).fetchone()
            if found is None:
                return 0
            count = conn.execute(f'SELECT count(*) FROM "{schema}".mdc_trades').fetchone()
            return int(count[0]) if count else 0

    try:
        kill_mid_run(cfg, log, rows)
        with psycopg.connect(dsn) as conn:
            have = conn.execute(
                f'SELECT seq, price FROM "{schema}".mdc_trades ORDER BY seq'
            ).fetchall()
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    finally:
        _delete_stream(url, stream)
    want = [(e.seq, e.price) for events in batches() for e in events]
    assert have == want
    text = log.read_text()
    assert text.count("bad message on") == 1  # terminated in the first pass: never again
    assert ", 0 bad, 0 errors" in text.split("stopped:")[-1]  # the run after the SIGKILL


def test_redis_fed_from_the_stream_has_every_event_under_stable_ids_across_a_sigkill(
    tmp_path: Path,
) -> None:
    url = shared_server()
    dsn = redis_server()
    tag = f"{os.getpid()}"
    stream, prefix, keys = f"T20SINKRS{tag}", f"t20rs{tag}", f"jsink{tag}"
    sink = f'[[sinks]]\nname = "out"\nkind = "redis"\ndsn = "{dsn}"\nkey_prefix = "{keys}"\n'
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sink)
    log = tmp_path / "sink.log"
    client = redis.Redis.from_url(dsn)
    key = f"{keys}:V:trade"
    publish(url, stream, prefix)
    try:
        kill_mid_run(cfg, log, lambda: int(client.xlen(key)))
        entries = client.xrange(key)
    finally:
        client.delete(key)
        _delete_stream(url, stream)
    ids = Counter(fields[b"id"].decode() for _, fields in entries)
    # The bad message had stream sequence 1; message m is sequence m + 2.
    want = {f"{stream}:{m + 2}:{i}" for m in range(MESSAGES) for i in range(PER_MESSAGE)}
    assert set(ids) == want  # every event, under its id; repeats only of a killed pass
    assert sum(ids.values()) >= len(want)
    by_id = {fields[b"id"].decode(): msgspec.json.decode(fields[b"event"]) for _, fields in entries}
    assert by_id[f"{stream}:2:1"]["seq"] == 1 and by_id[f"{stream}:{MESSAGES + 1}:0"]["price"] == (
        100.0 + MESSAGES - 1
    )


def test_the_sink_serves_its_counts_and_the_stream_lag(tmp_path: Path) -> None:
    dsn = postgres()
    url = shared_server()
    tag = f"{os.getpid()}"
    stream, prefix, schema = f"T20SINKM{tag}", f"t20sm{tag}", f"jsinkm_{tag}"
    sink = f'[[sinks]]\nname = "out"\nkind = "postgres"\ndsn = "{dsn}"\nschema = "{schema}"\n'
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sink)
    log = tmp_path / "sink.log"
    publish(url, stream, prefix, messages=3)
    argv = [sys.executable, "-m", "mdc.cli", "sink", "-c", str(cfg), "--sink", "out"]
    proc = subprocess.Popen(
        [*argv, "--http-port", "0"],
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )
    want = {
        "mdc_sink_feed_fetched_messages_total": 4,
        "mdc_sink_feed_delivered_messages_total": 3,
        "mdc_sink_feed_delivered_events_total": 6,
        "mdc_sink_feed_acked_messages_total": 3,
        "mdc_sink_feed_redelivered_messages_total": 0,
        "mdc_sink_feed_bad_messages_total": 1,
        "mdc_sink_feed_errors_total": 0,
        "mdc_sink_feed_lag_messages": 0,
        "mdc_sink_feed_ack_pending_messages": 0,
        "mdc_sink_feed_connected": 1,
    }
    try:
        deadline = time.monotonic() + 60
        base = None
        while base is None and time.monotonic() < deadline:
            found = re.search(r"metrics on (http://[\d.:]+)/metrics", log.read_text())
            base = found.group(1) if found else None
            time.sleep(0.1)
        assert base is not None, log.read_text()
        seen: dict[str, float] = {}
        while seen != want and time.monotonic() < deadline:
            seen = scrape(httpx.get(f"{base}/metrics", timeout=5).text, "mdc_sink_feed_")
            time.sleep(0.2)
        assert seen == want
        status = httpx.get(f"{base}/status", timeout=5).json()["sink"]
        assert (status["durable"], status["stream"]) == ("mdc-sink-out", stream)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text()
        with psycopg.connect(dsn) as conn:
            (count,) = conn.execute(f'SELECT count(*) FROM "{schema}".mdc_trades').fetchone() or (
                0,
            )
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        assert count == 6
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        _delete_stream(url, stream)


def test_rabbitmq_fed_from_the_stream_has_every_event_under_stable_ids_across_a_sigkill(
    tmp_path: Path,
) -> None:
    import aio_pika

    url = shared_server()
    amqp = rabbitmq()
    tag = f"{os.getpid()}"
    stream, prefix, exchange = f"T20SINKMQ{tag}", f"t20mq{tag}", f"mdc-jsink-{tag}"
    queue_name = f"{exchange}-all"
    sink = f'[[sinks]]\nname = "out"\nkind = "rabbitmq"\ndsn = "{amqp}"\nexchange = "{exchange}"\n'
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sink)
    log = tmp_path / "sink.log"

    async def declare() -> None:
        conn = await aio_pika.connect(amqp)
        channel = await conn.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(ex, "#")
        await conn.close()

    async def count() -> int:
        conn = await aio_pika.connect(amqp)
        channel = await conn.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        await conn.close()
        return int(queue.declaration_result.message_count or 0)

    async def drain() -> list[tuple[str, bytes]]:
        conn = await aio_pika.connect(amqp)
        channel = await conn.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        got = []
        while (msg := await queue.get(timeout=5, fail=False)) is not None:
            await msg.ack()
            got.append((str(msg.message_id), msg.body))
        await queue.delete(if_unused=False, if_empty=False)
        await channel.exchange_delete(exchange)
        await conn.close()
        return got

    asyncio.run(declare())
    publish(url, stream, prefix)
    try:
        kill_mid_run(cfg, log, lambda: asyncio.run(count()))
        got = asyncio.run(drain())
    finally:
        _delete_stream(url, stream)
    ids = Counter(i for i, _ in got)
    want = {f"{stream}:{m + 2}:{i}" for m in range(MESSAGES) for i in range(PER_MESSAGE)}
    assert set(ids) == want and sum(ids.values()) >= len(want)
    first = dict(got)[f"{stream}:2:0"]
    assert msgspec.json.decode(first, type=Trade) == batches()[0][0]


def test_mqtt_fed_from_the_stream_has_every_event_under_stable_ids_across_a_sigkill(
    tmp_path: Path,
) -> None:
    import threading

    from paho.mqtt.client import Client, MQTTMessage
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    url = shared_server()
    broker = mosquitto()
    tag = f"{os.getpid()}"
    stream, prefix, topics = f"T20SINKMT{tag}", f"t20mt{tag}", f"jsink{tag}"
    sink = f'[[sinks]]\nname = "out"\nkind = "mqtt"\ndsn = "{broker}"\nkey_prefix = "{topics}"\n'
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sink)
    log = tmp_path / "sink.log"
    got: list[MQTTMessage] = []
    subscribed = threading.Event()
    reader = Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    reader.on_message = lambda _c, _u, msg: got.append(msg)
    reader.on_subscribe = lambda *_: subscribed.set()
    reader.connect("127.0.0.1", 1883)
    reader.loop_start()
    reader.subscribe(f"{topics}/#", qos=1)
    assert subscribed.wait(10)
    publish(url, stream, prefix)
    want = {f"{stream}:{m + 2}:{i}" for m in range(MESSAGES) for i in range(PER_MESSAGE)}

    def ids() -> Counter[str]:
        return Counter(dict(m.properties.UserProperty)["id"] for m in list(got))  # type: ignore[union-attr]

    try:
        kill_mid_run(cfg, log, lambda: len(got))
        deadline = time.monotonic() + 20
        while set(ids()) != want and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        reader.loop_stop()
        reader.disconnect()
        _delete_stream(url, stream)
    seen = ids()
    assert set(seen) == want and sum(seen.values()) >= len(want)
    assert {m.topic for m in got} == {f"{topics}/V/trade/S"}
