"""Sinks fed from JetStream (``mdc sink --from``) against the real nats-server, PostgreSQL,
Redis, RabbitMQ and Mosquitto, each sink process SIGKILLed mid-run and restarted (the four run
side by side on one stream): PostgreSQL holds every event exactly once, the buses every event at
least once under its stable id; a bad message is dropped once; the metrics of a short run."""

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


def config(path: Path, url: str, stream: str, prefix: str, sinks: str) -> Path:
    path.write_text(
        f"""
[distributed]
servers = ["{url}"]
stream = "{stream}"
subject_prefix = "{prefix}"
fetch_batch = 20
ack_wait_s = 2
{sinks}
"""
    )
    return path


def start(cfg: Path, name: str, log: Path, *extra: str) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "mdc.cli", "sink", "-c", str(cfg), "--sink", name, *extra]
    return subprocess.Popen(argv, stdout=log.open("ab"), stderr=subprocess.STDOUT)


def kill_mid_run(
    cfg: Path, url: str, stream: str, progress: dict[str, Callable[[], int]], logs: Path
) -> dict[str, int]:
    """Start a sink process per entry, SIGKILL each once some (not all) of its events are
    written, start them again, wait until every durable is drained, stop them; what each had
    written when it was killed."""
    procs = {n: start(cfg, n, logs / f"{n}.log") for n in progress}
    killed: dict[str, int] = {}
    try:
        deadline = time.monotonic() + 120
        while len(killed) < len(procs) and time.monotonic() < deadline:
            for name, proc in procs.items():
                if name in killed:
                    continue
                assert proc.poll() is None, (logs / f"{name}.log").read_text()
                if progress[name]() > 0:
                    proc.send_signal(signal.SIGKILL)
                    proc.wait(30)
                    killed[name] = progress[name]()
            time.sleep(0.02)
        assert set(killed) == set(procs), f"no progress from {set(procs) - set(killed)}"
        procs = {n: start(cfg, n, logs / f"{n}.log") for n in progress}
        _drained(url, stream, [f"mdc-sink-{n}" for n in procs], timeout=120)
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for name, proc in procs.items():
            assert proc.wait(60) == 0, (logs / f"{name}.log").read_text()[-3000:]
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    return killed


def test_four_sinks_fed_from_the_stream_across_a_sigkill(tmp_path: Path) -> None:
    """PostgreSQL exactly once; Redis, RabbitMQ and MQTT every event under its stable id."""
    import threading

    import aio_pika
    from paho.mqtt.client import Client, MQTTMessage
    from paho.mqtt.enums import CallbackAPIVersion, MQTTProtocolVersion

    url, dsn, rdsn, amqp, broker = (
        shared_server(),
        postgres(),
        redis_server(),
        rabbitmq(),
        mosquitto(),
    )
    tag = f"{os.getpid()}"
    stream, prefix, name = f"T20SINK{tag}", f"t20sk{tag}", f"jsink{tag}"
    schema, exchange, queue_name = f"jsink_{tag}", f"mdc-jsink-{tag}", f"mdc-jsink-{tag}-all"
    sinks = (
        f'[[sinks]]\nname = "pg"\nkind = "postgres"\ndsn = "{dsn}"\nschema = "{schema}"\n'
        f'[[sinks]]\nname = "rs"\nkind = "redis"\ndsn = "{rdsn}"\nkey_prefix = "{name}"\n'
        f'[[sinks]]\nname = "mq"\nkind = "rabbitmq"\ndsn = "{amqp}"\nexchange = "{exchange}"\n'
        f'[[sinks]]\nname = "mt"\nkind = "mqtt"\ndsn = "{broker}"\nkey_prefix = "{name}"\n'
    )
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sinks)
    logs = tmp_path / "logs"
    logs.mkdir()
    total = MESSAGES * PER_MESSAGE
    want_ids = {f"{stream}:{m + 2}:{i}" for m in range(MESSAGES) for i in range(PER_MESSAGE)}

    def pg_rows() -> int:
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

    client = redis.Redis.from_url(rdsn)
    key = f"{name}:V:trade"

    async def declare() -> None:
        conn = await aio_pika.connect(amqp)
        channel = await conn.channel()
        ex = await channel.declare_exchange(exchange, aio_pika.ExchangeType.TOPIC, durable=True)
        queue = await channel.declare_queue(queue_name, durable=True)
        await queue.bind(ex, "#")
        await conn.close()

    async def queued() -> int:
        conn = await aio_pika.connect(amqp)
        channel = await conn.channel()
        queue = await channel.declare_queue(queue_name, durable=True, passive=True)
        await conn.close()
        return int(queue.declaration_result.message_count or 0)

    async def drain_queue() -> list[tuple[str, bytes]]:
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

    mqtt_got: list[MQTTMessage] = []
    subscribed = threading.Event()
    reader = Client(CallbackAPIVersion.VERSION2, protocol=MQTTProtocolVersion.MQTTv5)
    reader.on_message = lambda _c, _u, msg: mqtt_got.append(msg)
    reader.on_subscribe = lambda *_: subscribed.set()
    reader.connect("127.0.0.1", 1883)
    reader.loop_start()
    reader.subscribe(f"{name}/#", qos=1)
    assert subscribed.wait(10)

    def mqtt_ids() -> Counter[str]:
        props = [m.properties for m in list(mqtt_got)]
        return Counter(dict(p.UserProperty)["id"] for p in props if p is not None)

    asyncio.run(declare())
    publish(url, stream, prefix)
    try:
        progress = {
            "pg": pg_rows,
            "rs": lambda: int(client.xlen(key)),
            "mq": lambda: asyncio.run(queued()),
            "mt": lambda: len(mqtt_got),
        }
        killed = kill_mid_run(cfg, url, stream, progress, logs)
        assert all(0 < n < total for n in killed.values()), killed  # each killed mid-run
        with psycopg.connect(dsn) as conn:
            pg = conn.execute(
                f'SELECT seq, price FROM "{schema}".mdc_trades ORDER BY seq'
            ).fetchall()
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        redis_ids = Counter(f[b"id"].decode() for _, f in client.xrange(key))
        amqp_got = asyncio.run(drain_queue())
        deadline = time.monotonic() + 20
        while set(mqtt_ids()) != want_ids and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        reader.loop_stop()
        reader.disconnect()
        client.delete(key)
        _delete_stream(url, stream)
    assert pg == [(e.seq, e.price) for events in batches() for e in events]  # once each
    for ids in (redis_ids, Counter(i for i, _ in amqp_got), mqtt_ids()):
        assert set(ids) == want_ids and sum(ids.values()) >= total
    assert msgspec.json.decode(dict(amqp_got)[f"{stream}:2:0"], type=Trade) == batches()[0][0]
    assert {m.topic for m in mqtt_got} == {f"{name}/V/trade/S"}
    for sink_name in progress:
        text = (logs / f"{sink_name}.log").read_text()
        assert text.count("bad message on") == 1  # terminated in the first run: never again
        assert ", 0 bad, 0 errors" in text.split("stopped:")[-1]  # the run after the SIGKILL


def scrape(text: str, prefix: str) -> dict[str, float]:
    """``name`` → value of the ``{prefix}*`` samples (one label set here)."""
    out = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            name, value = re.sub(r"\{[^}]*\}", "", line).split()
            out[name] = float(value)
    return out


def served(log: Path, proc: subprocess.Popen[bytes], deadline: float) -> str:
    """The base URL a process logged (``metrics on http://…/metrics``)."""
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()
        found = re.search(r"metrics on (http://[\d.:]+)/metrics", log.read_text())
        if found:
            return found.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no metrics URL logged: {log.read_text()}")


def test_a_sink_and_a_writer_serve_their_exact_counts_and_the_stream_lag(tmp_path: Path) -> None:
    """``mdc sink --http-port`` and ``mdc store --http-port`` side by side on one stream of one
    bad and three good messages."""
    dsn = postgres()
    url = shared_server()
    tag = f"{os.getpid()}"
    stream, prefix, schema = f"T20MET{tag}", f"t20m{tag}", f"jsinkm_{tag}"
    sink = f'[[sinks]]\nname = "out"\nkind = "postgres"\ndsn = "{dsn}"\nschema = "{schema}"\n'
    cfg = config(tmp_path / "s.toml", url, stream, prefix, sink)
    publish(url, stream, prefix, messages=3)
    logs = {"sink": tmp_path / "sink.log", "store": tmp_path / "store.log"}
    store_argv = ["store", "-c", str(cfg), "--durable", "met", "-d", str(tmp_path / "w")]
    procs = {
        "sink": start(cfg, "out", logs["sink"], "--http-port", "0"),
        "store": subprocess.Popen(
            [sys.executable, "-m", "mdc.cli", *store_argv, "--http-port", "0"],
            stdout=logs["store"].open("ab"),
            stderr=subprocess.STDOUT,
        ),
    }
    want = {
        "sink": {
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
        },
        "store": {
            "mdc_writer_fetched_messages_total": 4,
            "mdc_writer_stored_messages_total": 3,
            "mdc_writer_stored_events_total": 6,
            "mdc_writer_acked_messages_total": 3,
            "mdc_writer_redelivered_messages_total": 0,
            "mdc_writer_bad_messages_total": 1,
            "mdc_writer_awaiting_checkpoint_messages": 0,
            "mdc_writer_lag_messages": 0,
            "mdc_writer_ack_pending_messages": 0,
            "mdc_writer_connected": 1,
        },
    }
    prefixes = {"sink": "mdc_sink_feed_", "store": "mdc_writer_"}
    try:
        deadline = time.monotonic() + 90
        for kind, proc in procs.items():
            base = served(logs[kind], proc, deadline)
            seen: dict[str, float] = {}
            while seen != want[kind] and time.monotonic() < deadline:
                seen = scrape(httpx.get(f"{base}/metrics", timeout=5).text, prefixes[kind])
                time.sleep(0.2)
            assert seen == want[kind], kind
            text = httpx.get(f"{base}/metrics", timeout=5).text
            durable = "mdc-sink-out" if kind == "sink" else "met"
            assert (
                f'{prefixes[kind]}acked_messages_total{{durable="{durable}",stream="{stream}"}} 3.0'
                in text
            )
            status = httpx.get(f"{base}/status", timeout=5).json()[
                "sink" if kind == "sink" else "writer"
            ]
            assert (status["durable"], status["stream"], status["fetched"]) == (durable, stream, 4)
        for proc in procs.values():
            proc.send_signal(signal.SIGTERM)
        for kind, proc in procs.items():
            assert proc.wait(60) == 0, logs[kind].read_text()
        with psycopg.connect(dsn) as conn:
            row = conn.execute(f'SELECT count(*) FROM "{schema}".mdc_trades').fetchone()
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
        assert row is not None and row[0] == 6
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        _delete_stream(url, stream)
    assert (
        "stopped: 4 messages, 6 events, 3 acked, 0 redelivered, 1 bad" in logs["store"].read_text()
    )
