"""The live fan-out over core NATS against a real nats-server: two collectors publish their live
views, a third server watches them (``/api/remote/collectors``) and sees both with their exact
symbols and counts; with NATS down a collector goes on storing and says so once, then publishes
when the server comes up."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.collector import CollectorThread, scripted
from tests.support.feed import push, scripted_config
from tests.support.nats_server import PrivateServer, shared_server

from mdc.config import Config
from mdc.domain.events import Event, Quote, Trade
from mdc.domain.time import now_ns


def live_config(root: Path, server: str, prefix: str, cid: str, **env: str) -> Config:
    return scripted_config(
        root,
        MDC_DISTRIBUTED__SERVERS=f'["{server}"]',
        MDC_DISTRIBUTED__LIVE_PREFIX=prefix,
        MDC_DISTRIBUTED__COLLECTOR_ID=cid,
        MDC_DISTRIBUTED__LIVE_INTERVAL_S="0.2",
        MDC_DISTRIBUTED__LIVE_TAPE="4",
        **env,
    )


def events(symbol: str, n: int, price: float) -> list[Event]:
    """``n`` (quote, trade) pairs: trade ``i`` at ``price + i``, its quote half a tick around."""
    t0 = now_ns()
    out: list[Event] = []
    for i in range(n):
        common = {"symbol": symbol, "venue": "X", "provider": "scripted"}
        ts = t0 + 2 * i
        out.append(
            Quote(
                **common,
                ts_event=ts,
                ts_recv=ts,
                bid_price=price + i - 0.5,
                bid_size=1.0,
                ask_price=price + i + 0.5,
                ask_size=1.0,
            )
        )
        out.append(Trade(**common, ts_event=ts + 1, ts_recv=ts + 1, price=price + i, size=1.0))
    return out


def until(check: Callable[[], Any], seconds: float = 20.0) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        got = check()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError(f"not seen in time; last: {check()}")


@pytest.fixture
def prefix() -> str:
    """A prefix of this test's own: other sessions publish on the shared server too."""
    return f"mdclive-t{os.getpid()}-{time.monotonic_ns() % 10**9}"


def publishing(root: Path, server: str, prefix: str, cid: str) -> CollectorThread:
    cfg = live_config(root, server, prefix, cid, MDC_DISTRIBUTED__LIVE_PUBLISH="true")
    return CollectorThread(cfg, scripted)


def test_a_watcher_sees_two_collectors_with_their_exact_symbols_and_counts(
    tmp_path: Path, prefix: str
) -> None:
    server = shared_server()
    watch_cfg = live_config(
        tmp_path / "w", server, prefix, "watch", MDC_DISTRIBUTED__LIVE_WATCH="true"
    )
    with (
        CollectorThread(watch_cfg, scripted) as watcher,
        publishing(tmp_path / "c1", server, prefix, "c1") as c1,
        publishing(tmp_path / "c2", server, prefix, "c2") as c2,
        httpx.Client(base_url=watcher.url, timeout=10) as http,
    ):
        push(c1, events("AAA", 3, 10.0))
        push(c1, events("BBB", 2, 20.0))
        push(c2, events("AAA", 5, 30.0))

        def both() -> list[dict[str, Any]] | None:
            rows = http.get("/api/remote/collectors").json()["collectors"]
            seen = {r["collector"]: r for r in rows}
            done = set(seen) == {"c1", "c2"} and seen["c1"]["events_in"] == 10
            return rows if done and seen["c2"]["events_in"] == 10 else None

        rows = until(both)
        body = http.get("/api/remote/collectors").json()
        assert body["connected"] is True and body["subject"] == f"{prefix}.*.view"
        assert body["bad_messages"] == 0
        assert [r["collector"] for r in rows] == ["c1", "c2"]
        assert rows[0]["provider"] == "scripted" and rows[0]["accepting"] is True
        assert rows[0]["stale"] is False and rows[0]["symbol_count"] == 2
        assert rows[0]["last_prices"] == {"AAA": 10.0 + 2, "BBB": 20.0 + 1}
        assert rows[1]["last_prices"] == {"AAA": 30.0 + 4}
        assert rows[0]["events_by_type"] == {"trades": 5, "quotes": 5}
        assert rows[0]["subscribed"] == ["AAA", "BBB"]

        one = http.get("/api/remote/collectors/c1").json()
        assert {s: (r["trades"], r["quotes"]) for s, r in one["symbols"].items()} == {
            "AAA": (3, 3),
            "BBB": (2, 2),
        }
        assert one["symbols"]["BBB"]["bid"] == 20.0 + 1 - 0.5
        assert [(t["symbol"], t["price"]) for t in one["tape"]] == [
            ("AAA", 11.0),
            ("AAA", 12.0),
            ("BBB", 20.0),
            ("BBB", 21.0),
        ]
        two = http.get("/api/remote/collectors/c2").json()
        assert {s: r["trades"] for s, r in two["symbols"].items()} == {"AAA": 5}
        assert [t["price"] for t in two["tape"]] == [31.0, 32.0, 33.0, 34.0]

        missing = http.get("/api/remote/collectors/c9")
        assert missing.status_code == 404 and "c9" in missing.json()["detail"]
        not_watching = httpx.get(f"{c1.url}/api/remote/collectors", timeout=10)
        assert not_watching.status_code == 409
        assert "mdc serve --live" in not_watching.json()["detail"]


def first_view(url: str, subject: str, timeout: float = 20.0) -> dict[str, Any]:
    """The first live view on ``subject``, read with a plain NATS client."""
    import nats

    async def read() -> dict[str, Any]:
        nc = await nats.connect(url)
        try:
            sub = await nc.subscribe(subject)
            msg = await sub.next_msg(timeout)
            return dict(json.loads(msg.data))
        finally:
            await nc.close()

    return asyncio.run(read())


def test_nats_down_the_collector_goes_on_says_so_once_then_publishes(
    tmp_path: Path, prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    bus = PrivateServer(tmp_path / "nats")
    bus.dir.mkdir()
    caplog.set_level(logging.DEBUG, logger="mdc.distributed.link")
    cfg = live_config(tmp_path / "c", bus.url, prefix, "c1", MDC_DISTRIBUTED__LIVE_PUBLISH="true")
    with CollectorThread(cfg, scripted) as c1:
        assert c1.runtime is not None
        runtime = c1.runtime
        push(c1, events("AAA", 4, 1.0))
        until(lambda: runtime.events_stored == 8)
        until(lambda: len([r for r in caplog.records if "attempt" in r.getMessage()]) >= 4)
        assert runtime.accepting and runtime.fatal_error is None
        down = [r.getMessage() for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(down) == 1, down
        assert bus.url.removeprefix("nats://") in down[0] and "collecting goes on" in down[0]

        bus.start()
        try:
            view = first_view(bus.url, f"{prefix}.c1.view")
            assert view["collector"] == "c1" and view["events_stored"] == 8
            assert view["symbols"]["AAA"]["trades"] == 4
            until(lambda: any("reachable again" in r.getMessage() for r in caplog.records))
            down = [r for r in caplog.records if "unreachable" in r.getMessage()]
            assert len(down) == 1
        finally:
            bus.stop()
