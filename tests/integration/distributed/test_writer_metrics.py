"""``mdc store --http-port``: the writer's /metrics and /status against a real nats-server, with
exact counts for three messages of which two are bad, and the lag JetStream reports."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import msgspec
import pytest
from tests.support.nats_server import shared_server

from mdc.domain.events import Trade

pytestmark = pytest.mark.slow


def scrape(text: str, prefix: str = "mdc_writer_") -> dict[str, float]:
    """``name`` → value for the ``{prefix}*`` samples (one label set here)."""
    out = {}
    for line in text.splitlines():
        if line.startswith(prefix):
            name, value = re.sub(r"\{[^}]*\}", "", line).split()
            out[name] = float(value)
    return out


def test_the_writer_serves_its_counts_and_lag(tmp_path: Path) -> None:
    import nats

    url = shared_server()
    stream, prefix = f"T20MET{os.getpid()}", f"t20m{os.getpid()}"
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

    async def delete() -> None:
        nc = await nats.connect(url)
        try:
            await nc.jetstream().delete_stream(stream)
        finally:
            await nc.close()

    asyncio.run(publish())
    cfg = tmp_path / "w.toml"
    cfg.write_text(f'[distributed]\nstream = "{stream}"\nsubject_prefix = "{prefix}"\n')
    log = tmp_path / "w.log"
    argv = ["store", "-c", str(cfg), "--from", url, "-d", str(tmp_path / "w")]
    proc = subprocess.Popen(
        [sys.executable, "-m", "mdc.cli", *argv, "--durable", "met", "--http-port", "0"],
        stdout=log.open("wb"),
        stderr=subprocess.STDOUT,
    )
    try:
        base = None
        deadline = time.monotonic() + 60
        while base is None and time.monotonic() < deadline:
            found = re.search(r"metrics on (http://[\d.:]+)/metrics", log.read_text())
            base = found.group(1) if found else None
            time.sleep(0.1)
        assert base is not None, log.read_text()
        seen: dict[str, float] = {}
        while time.monotonic() < deadline:
            seen = scrape(httpx.get(f"{base}/metrics", timeout=5).text)
            acked = seen.get("mdc_writer_acked_messages_total") == 1
            if acked and seen.get("mdc_writer_ack_pending_messages") == 0:
                break
            time.sleep(0.2)
        assert seen == {
            "mdc_writer_fetched_messages_total": 3,
            "mdc_writer_stored_messages_total": 1,
            "mdc_writer_stored_events_total": 3,
            "mdc_writer_acked_messages_total": 1,
            "mdc_writer_redelivered_messages_total": 0,
            "mdc_writer_bad_messages_total": 2,
            "mdc_writer_awaiting_checkpoint_messages": 0,
            "mdc_writer_lag_messages": 0,
            "mdc_writer_ack_pending_messages": 0,
            "mdc_writer_connected": 1,
        }
        labels = httpx.get(f"{base}/metrics", timeout=5).text
        assert f'mdc_writer_acked_messages_total{{durable="met",stream="{stream}"}} 1.0' in labels
        status = httpx.get(f"{base}/status", timeout=5).json()["writer"]
        assert (status["durable"], status["filter"], status["fetched"]) == ("met", f"{prefix}.>", 3)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        asyncio.run(delete())
    assert "stopped: 3 messages, 3 events, 1 acked, 0 redelivered, 2 bad" in log.read_text()
