"""IB history: the real ib_async client against the TWS stand-in, paced by an injected clock."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import threading
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import run_mdc
from tests.support.fake_tws import FakeTws, Listing

from mdc.config.schema import Config
from mdc.providers.base import NotFound
from mdc.providers.ib.historical import IbHistorical
from mdc.providers.ratelimit import RateLimiter

LISTINGS = [Listing("AAPL", 265598, name="APPLE INC"), Listing("MSFT", 272093)]
HOLIDAYS = {date(2024, 1, 1), date(2024, 1, 15)}  # New Year's Day, Martin Luther King Jr. Day
JANUARY = [
    d
    for d in (date(2024, 1, 1) + timedelta(days=i) for i in range(31))
    if d.weekday() < 5 and d not in HOLIDAYS
]


def daily_bars() -> list[tuple[str, float, float, float, float, float]]:
    return [
        (d.strftime("%Y%m%d"), 185.0, 187.0, 184.0, 186.0 + i, 1e6) for i, d in enumerate(JANUARY)
    ]


class Clock:
    """Time that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds
        await asyncio.sleep(0)


def run(body: Callable[[FakeTws, Clock], Awaitable[None]]) -> None:
    async def main() -> None:
        clock = Clock()
        tws = await FakeTws(LISTINGS, clock=clock).start()
        try:
            async with asyncio.timeout(30):
                await body(tws, clock)
        finally:
            await tws.stop()

    asyncio.run(main())


def provider(tws: FakeTws, clock: Clock, **section: Any) -> IbHistorical:
    config = Config(providers={"ib": {"port": tws.port, **section}})
    return IbHistorical(config, RateLimiter(clock=clock, sleep=clock.sleep))


def test_seventy_small_requests_keep_to_ibs_pacing_windows() -> None:
    async def body(tws: FakeTws, clock: Clock) -> None:
        ib = provider(tws, clock)
        start = date(2024, 1, 2)
        try:
            for i in range(70):  # 70 distinct one-day tick requests, alternating contracts
                symbol = ("AAPL", "MSFT")[i % 2]
                day = start + timedelta(days=i // 2)
                assert [page async for page in ib.trades(symbol, day, day)] == []
        finally:
            await ib.aclose()
        times = [r.at for r in tws.requested(96)]
        assert len(times) == 70
        assert max(sum(t <= u < t + 600 for u in times) for t in times) == 60
        assert times[60] >= times[0] + 600  # the 61st waits for the first to leave the window
        for symbol in ("AAPL", "MSFT"):
            own = [r.at for r in tws.requested(96) if r.symbol == symbol]
            assert max(sum(t <= u < t + 2 for u in own) for t in own) <= 5

    run(body)


def test_an_identical_request_waits_fifteen_seconds_and_bid_ask_counts_twice() -> None:
    async def body(tws: FakeTws, clock: Clock) -> None:
        ib = provider(tws, clock, history_limits="4/10m")
        day = date(2024, 1, 2)
        try:
            for _ in range(2):
                assert [page async for page in ib.trades("AAPL", day, day)] == []
            async for _page in ib.quotes("MSFT", day, day):  # BID_ASK: two of the four slots
                pass
            async for _page in ib.trades("MSFT", day, day):
                pass
        finally:
            await ib.aclose()
        times = [r.at for r in tws.requested(96)]
        assert times[1] - times[0] == pytest.approx(15.0)
        assert times[2] == times[1]  # BID_ASK takes slots 3 and 4 of the window
        assert times[3] == pytest.approx(times[0] + 600)  # a fifth slot: the first must expire

    run(body)


def test_intraday_bars_are_chunked_to_ibs_duration_limits() -> None:
    async def body(tws: FakeTws, clock: Clock) -> None:
        t0 = int(datetime(2024, 1, 2, 14, 30, tzinfo=UTC).timestamp())
        tws.bars["AAPL"] = [(str(t0 + 60 * i), 1, 2, 0.5, 1.5, 10) for i in range(2 * 24 * 60)]
        ib = provider(tws, clock, use_rth=False)
        try:
            pages = [
                p async for p in ib.bars("AAPL", date(2024, 1, 2), date(2024, 1, 3), "1m", False)
            ]
        finally:
            await ib.aclose()
        bars = [b for page in pages for b in page]
        assert len(bars) == len({b.ts_event for b in bars}) == 2 * 24 * 60 - 870  # from 14:30 Jan 2
        assert [b.ts_event for b in bars] == sorted(b.ts_event for b in bars)
        spans = [(r.fields[16], r.fields[17], r.fields[19]) for r in tws.requested(20)]
        assert spans == [("1 min", "1 D", "TRADES")] * 2

    run(body)


def test_ticks_page_past_a_thousand_without_repeating_a_second() -> None:
    async def body(tws: FakeTws, clock: Clock) -> None:
        t0 = int(datetime(2024, 1, 2, 15, tzinfo=UTC).timestamp())
        tws.ticks["AAPL"] = [(t0 + i // 3, 100 + i / 1000, i) for i in range(1500)]
        ib = provider(tws, clock)
        try:
            trades = [
                t async for p in ib.trades("AAPL", date(2024, 1, 2), date(2024, 1, 2)) for t in p
            ]
        finally:
            await ib.aclose()
        assert [t.size for t in trades] == [float(i) for i in range(1500)]
        assert len(tws.requested(96)) == 2

    run(body)


def test_an_unknown_symbol_is_not_found() -> None:
    async def body(tws: FakeTws, clock: Clock) -> None:
        ib = provider(tws, clock)
        try:
            with pytest.raises(NotFound, match="error 200"):
                async for _ in ib.bars("NOPE", date(2024, 1, 2), date(2024, 1, 2), "1d"):
                    pass
        finally:
            await ib.aclose()

    run(body)


@pytest.fixture
def threaded_tws() -> Iterator[FakeTws]:
    """The stand-in on its own event loop thread, for CLI processes."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    tws = asyncio.run_coroutine_threadsafe(FakeTws(LISTINGS).start(), loop).result(5)
    yield tws
    asyncio.run_coroutine_threadsafe(tws.stop(), loop).result(5)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def mdc(root: Path, port: int, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MDC_STORAGE__ROOT": str(root),
        "MDC_PROVIDERS__IB__PORT": str(port),
        "COLUMNS": "150",
    }
    return run_mdc(*args, env=env)


def test_backfill_of_january_daily_bars_stores_21_sessions_once(
    threaded_tws: FakeTws, tmp_path: Path
) -> None:
    threaded_tws.bars["AAPL"] = daily_bars()
    args = ("backfill", "-p", "ib", "-s", "AAPL", "--from", "2024-01-01", "--to", "2024-01-31",
            "-g", "1d")  # fmt: skip
    sql = "SELECT count(*) AS n, count(DISTINCT ts_event) AS days FROM bars WHERE symbol = 'AAPL'"
    first = mdc(tmp_path, threaded_tws.port, *args)
    assert first.returncode == 0, first.stdout + first.stderr
    counted = mdc(tmp_path, threaded_tws.port, "query", sql, "-f", "json")
    assert json.loads(counted.stdout) == {"n": 21, "days": 21}, counted.stderr
    again = mdc(tmp_path, threaded_tws.port, *args)
    assert again.returncode == 0, again.stdout + again.stderr
    counted = mdc(tmp_path, threaded_tws.port, "query", sql, "-f", "json")
    assert json.loads(counted.stdout) == {"n": 21, "days": 21}, counted.stderr
    # Adjusted bars take no end time: each 30-day chunk asks from now back to its start.
    spans = [(r.fields[15], r.fields[17], r.fields[19]) for r in threaded_tws.requested(20)]
    assert len(spans) == 4 and all(s[0] == "" and s[1].endswith(" Y") for s in spans)
    assert {s[2] for s in spans} == {"ADJUSTED_LAST"}
