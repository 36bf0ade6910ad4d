"""The failover chain and the job runner, with the simulated history as the data source.

Test providers are real ``HistoricalProvider`` subclasses of ``SimulatedHistory`` that misbehave
at a chosen call: so the rows are the simulated market's, and failover must deliver exactly them.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any, ClassVar, cast

import pytest

from mdc.backfill.failover import REGISTRY, ChunkRequest, FailoverChain, redact
from mdc.backfill.jobs import Job, JobSpec, JobStore, plan_chunks
from mdc.backfill.runner import JobRunner, store_writer
from mdc.backfill.spool import ChunkSpool
from mdc.config import Config, load_config
from mdc.domain.events import Bar, Event, Trade
from mdc.domain.time import ns_to_date
from mdc.providers.base import (
    HistoricalProvider,
    ProviderError,
    ProviderSpec,
    RateLimited,
    UnsupportedRequest,
)
from mdc.providers.ratelimit import RateLimiter
from mdc.providers.simulated import SPEC as SIMULATED
from mdc.providers.simulated.historical import SimulatedHistory
from mdc.storage.store import StoragePaused, Store


class Flaky(SimulatedHistory):
    """Serves like the simulator, but from call ``fail_from`` on yields one page, then fails."""

    spec: ClassVar[ProviderSpec] = dataclasses.replace(SIMULATED, name="flaky", streaming=None)
    fail_from: ClassVar[int] = 10**9
    calls: ClassVar[list[tuple[str, date, date]]] = []

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        Flaky.calls.append((symbol, start, end))
        failing = len(Flaky.calls) >= self.fail_from
        async for page in super().bars(symbol, start, end, interval, adjusted):
            yield page
            if failing:
                raise ProviderError("HTTP 502 from https://x.test/v2?apiKey=SECRET123&limit=5")


class NoTrades(SimulatedHistory):
    spec: ClassVar[ProviderSpec] = dataclasses.replace(
        SIMULATED,
        name="notrades",
        capabilities=dataclasses.replace(SIMULATED.capabilities, trades=False),
    )


class Refuses(SimulatedHistory):
    """Says it serves bars, then refuses this interval (as a provider does for 1s bars)."""

    spec: ClassVar[ProviderSpec] = dataclasses.replace(SIMULATED, name="refuses")

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        raise UnsupportedRequest(f"refuses: no {interval} bars")
        yield []


class Slow(SimulatedHistory):
    spec: ClassVar[ProviderSpec] = dataclasses.replace(SIMULATED, name="slow")

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        await asyncio.sleep(30)
        yield []


class Throttled(SimulatedHistory):
    spec: ClassVar[ProviderSpec] = dataclasses.replace(SIMULATED, name="throttled")
    calls: ClassVar[int] = 0

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        Throttled.calls += 1
        raise RateLimited("429 Too Many Requests", retry_after=600.0)
        yield []


class Keyed(SimulatedHistory):
    spec: ClassVar[ProviderSpec] = dataclasses.replace(
        SIMULATED, name="keyed", credentials=("MDC_TEST_NEVER_SET_KEY",)
    )


class Yahoo(SimulatedHistory):
    """Records the symbols it is asked for."""

    spec: ClassVar[ProviderSpec] = dataclasses.replace(SIMULATED, name="yahoo")
    asked: ClassVar[list[str]] = []

    async def bars(
        self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
    ) -> AsyncIterator[list[Bar]]:
        Yahoo.asked.append(symbol)
        async for page in super().bars(symbol, start, end, interval, adjusted):
            yield page


TEST_PROVIDERS: dict[str, type[SimulatedHistory]] = {
    cls.spec.name: cls for cls in (Flaky, NoTrades, Refuses, Slow, Throttled, Keyed, Yahoo)
}


class TestSource:
    """The registry plus the misbehaving providers above."""

    def spec(self, name: str) -> ProviderSpec:
        if name in TEST_PROVIDERS:
            return TEST_PROVIDERS[name].spec
        return REGISTRY.spec(name)

    def create(self, name: str, config: Config, limiter: RateLimiter) -> HistoricalProvider:
        if name in TEST_PROVIDERS:
            return TEST_PROVIDERS[name](config)
        return REGISTRY.create(name, config, limiter)


class ListWriter:
    def __init__(self) -> None:
        self.rows: list[Event] = []

    async def __call__(self, batch: list[Event]) -> None:
        self.rows.extend(batch)


def make_config(tmp_path: Path, providers: list[str], **backfill: Any) -> Config:
    env = {"MDC_STORAGE__ROOT": str(tmp_path), "MDC_BACKFILL__PROVIDERS": repr(providers)}
    env["MDC_BACKFILL__PROVIDERS"] = "[" + ",".join(f'"{p}"' for p in providers) + "]"
    for key, value in backfill.items():
        env[f"MDC_BACKFILL__{key.upper()}"] = str(value)
    return load_config(env=env)


def run_job(config: Config, spec: JobSpec, writer: ListWriter, days: int = 2) -> Job:
    jobs = JobStore(config.storage.root)
    job = jobs.create(spec, plan_chunks(spec, days))
    return asyncio.run(JobRunner(config, jobs, writer, TestSource()).run(job.id))


async def simulated_rows(config: Config, symbol: str, start: date, end: date) -> list[Bar]:
    rows: list[Bar] = []
    async for page in SimulatedHistory(config).bars(symbol, start, end, "1h"):
        rows.extend(page)
    return rows


@pytest.fixture(autouse=True)
def _reset() -> None:
    Flaky.calls = []
    Flaky.fail_from = 10**9
    Throttled.calls = 0
    Yahoo.asked = []


def test_first_provider_fails_mid_job_the_next_completes_it(tmp_path: Path) -> None:
    config = make_config(tmp_path, ["flaky", "simulated"])
    Flaky.fail_from = 3  # serves two chunks, fails the third after its first page, and on
    spec = JobSpec(
        symbols=["AAPL", "MSFT"],
        start=date(2024, 7, 1),
        end=date(2024, 7, 12),
        granularity="1h",
    )
    writer = ListWriter()
    job = run_job(config, spec, writer, days=3)

    assert job.state == "done"
    assert [(c.symbol, c.start.day, c.provider) for c in job.chunks] == [
        ("AAPL", 1, "flaky"),
        ("AAPL", 4, "flaky"),
        ("AAPL", 7, "simulated"),
        ("AAPL", 10, "simulated"),
        ("MSFT", 1, "simulated"),
        ("MSFT", 4, "simulated"),  # flaky failed 3 chunks in a row: benched from here
        ("MSFT", 7, "simulated"),
        ("MSFT", 10, "simulated"),
    ]
    third = job.chunks[2]
    assert [(a.provider, a.outcome) for a in third.attempts] == [
        ("flaky", "failed"),
        ("simulated", "ok"),
    ]
    assert third.attempts[0].error == (
        "ProviderError: HTTP 502 from https://x.test/v2?apiKey=****&limit=5"
    )
    assert [a.outcome for a in job.chunks[4].attempts] == ["failed", "ok"]
    assert [a.outcome for a in job.chunks[5].attempts] == ["benched", "ok"]
    assert len(Flaky.calls) == 5  # two good chunks, three failures, then benched

    # Exactly the simulated market's rows, once each, with the provenance of their chunk.
    expected = {}
    for symbol in ("AAPL", "MSFT"):
        for bar in asyncio.run(simulated_rows(config, symbol, spec.start, spec.end)):
            expected[(bar.symbol, bar.ts_event)] = bar
    keys = Counter((r.symbol, r.ts_event) for r in writer.rows)
    assert set(keys) == set(expected) and max(keys.values()) == 1
    # Ten weekdays (the simulator trades on the 4th of July) of seven clock-aligned hours.
    assert len(writer.rows) == job.counters()["rows_written"] == len(expected) == 2 * 10 * 7
    served_by = {(c.symbol, c.start, c.end): c.provider for c in job.chunks}
    for row in writer.rows:
        assert isinstance(row, Bar)
        day = ns_to_date(row.ts_event)
        chunk = next(k for k in served_by if k[0] == row.symbol and k[1] <= day <= k[2])
        assert row.provider == served_by[chunk]
        assert (row.open, row.close, row.volume) == (
            expected[(row.symbol, row.ts_event)].open,
            expected[(row.symbol, row.ts_event)].close,
            expected[(row.symbol, row.ts_event)].volume,
        )


def test_unsupported_types_and_intervals_move_on(tmp_path: Path) -> None:
    config = make_config(tmp_path, ["notrades", "simulated"])
    spec = JobSpec(symbols=["SPY"], start=date(2024, 7, 1), end=date(2024, 7, 1), type="trades")
    writer = ListWriter()
    job = run_job(config, spec, writer, days=1)
    assert [(a.provider, a.outcome) for a in job.chunks[0].attempts] == [
        ("notrades", "unsupported"),
        ("simulated", "ok"),
    ]
    assert job.chunks[0].rows == len(writer.rows) > 0
    assert all(isinstance(r, Trade) and r.provider == "simulated" for r in writer.rows)

    config = make_config(tmp_path, ["refuses"])
    spec = JobSpec(symbols=["SPY"], start=date(2024, 7, 1), end=date(2024, 7, 1), granularity="1h")
    job = run_job(config, spec, ListWriter(), days=1)
    assert job.state == "done"  # nobody offers it: skipped, not failed
    assert job.chunks[0].state == "skipped"
    assert job.chunks[0].reason == "refuses: unsupported (refuses: no 1h bars)"


def test_a_stalled_provider_is_abandoned_for_the_chunk(tmp_path: Path) -> None:
    config = make_config(tmp_path, ["slow", "simulated"], stall_timeout_s=0.2)
    spec = JobSpec(symbols=["SPY"], start=date(2024, 7, 1), end=date(2024, 7, 1), granularity="1h")
    writer = ListWriter()
    job = run_job(config, spec, writer, days=1)
    attempts = job.chunks[0].attempts
    assert [(a.provider, a.outcome, a.error) for a in attempts] == [
        ("slow", "stalled", "no data for 0.2 s"),
        ("simulated", "ok", ""),
    ]
    assert 0.2 <= attempts[0].seconds < 2
    assert len(writer.rows) == 7


def test_rate_limited_provider_is_benched_for_its_retry_after(tmp_path: Path) -> None:
    config = make_config(tmp_path, ["throttled", "simulated"], trip_after=2, bench_s=1)
    spec = JobSpec(symbols=["SPY"], start=date(2024, 7, 1), end=date(2024, 7, 5), granularity="1d")
    job = run_job(config, spec, ListWriter(), days=1)
    outcomes = [c.attempts[0].outcome for c in job.chunks if c.state != "skipped"]
    assert outcomes == ["failed", "failed", "benched", "benched"]  # the 4th is a holiday
    assert job.chunks[0].attempts[0].error == "rate limited: 429 Too Many Requests"
    assert [c.state for c in job.chunks] == ["done", "done", "done", "skipped", "done"]
    assert job.chunks[3].reason == "no XNYS sessions"
    assert Throttled.calls == 2


def test_missing_credentials_rule_a_provider_out(tmp_path: Path) -> None:
    config = make_config(tmp_path, ["keyed", "simulated"])
    spec = JobSpec(symbols=["SPY"], start=date(2024, 7, 1), end=date(2024, 7, 2), granularity="1d")
    job = run_job(config, spec, ListWriter(), days=1)
    for chunk in job.chunks:
        assert [(a.provider, a.outcome, a.error) for a in chunk.attempts] == [
            (
                "keyed",
                "unavailable",
                "missing credentials: set the environment variable MDC_TEST_NEVER_SET_KEY "
                "(or store it in the OS keyring: mdc credentials set NAME)",
            ),
            ("simulated", "ok", ""),
        ]


def test_symbols_are_canonical_in_requests_and_rows(tmp_path: Path) -> None:
    config = make_config(tmp_path, ["yahoo"])
    spec = JobSpec(
        symbols=["brk-b", "BF/A"],
        start=date(2024, 7, 1),
        end=date(2024, 7, 1),
        granularity="1d",
    )
    assert spec.symbols == ["BRK.B", "BF.A"]
    writer = ListWriter()
    job = run_job(config, spec, writer, days=1)
    assert job.state == "done"
    # Each provider spells the canonical name its own way (providers/symbols.py) and answers
    # under the name it was asked for.
    assert Yahoo.asked == ["BRK.B", "BF.A"]
    assert [r.symbol for r in writer.rows] == ["BRK.B", "BF.A"]


def test_redact_masks_credentials_in_urls_and_known_values() -> None:
    assert redact("GET https://h.test/v1?token=abc&apikey=K1&x=1 sent SeCrEt", ["SeCrEt"]) == (
        "GET https://h.test/v1?token=****&apikey=****&x=1 sent ****"
    )
    assert len(redact("x" * 1000)) == 300


def test_rows_outside_the_chunk_are_dropped_and_counted(tmp_path: Path) -> None:
    class Sloppy(SimulatedHistory):
        """Sends the day before as well, as some APIs do with inclusive bounds."""

        async def bars(
            self, symbol: str, start: date, end: date, interval: str, adjusted: bool = True
        ) -> AsyncIterator[list[Bar]]:
            async for page in super().bars(symbol, start - timedelta(days=1), end, interval):
                yield page

    config = make_config(tmp_path, ["simulated"])

    class Source(TestSource):
        def create(self, name: str, config: Config, limiter: RateLimiter) -> HistoricalProvider:
            return Sloppy(config)

    chain = FailoverChain(config, ["simulated"], Source())
    spool = ChunkSpool(tmp_path / "spool")
    request = ChunkRequest("SPY", date(2024, 7, 2), date(2024, 7, 2), "bars", "1h")
    result = asyncio.run(chain.fetch(request, spool))
    assert result.provider == "simulated"
    assert (result.attempts[0].rows, result.attempts[0].outside) == (7, 7)
    first = next(b.ts_event for page in spool.pages() for b in page)
    assert first == 1719927000000000000 - 1800 * 10**9  # 09:00 New York on the 1st


def test_store_writer_flags_dedup_and_waits_out_a_paused_store() -> None:
    class PausingStore:
        """Pauses once after acknowledging two events, as a store does on a full disk."""

        def __init__(self) -> None:
            self.calls: list[tuple[list[int], bool]] = []
            self.waits = 0

        def append(self, batch: list[Event], *, dedup: bool = False) -> None:
            self.calls.append(([e.ts_event for e in batch], dedup))
            if len(self.calls) == 1:
                raise StoragePaused("free space 1 MB < min_free_mb 100 MB", acknowledged=2)

        async def wait_writable(self) -> None:
            self.waits += 1

    store = PausingStore()
    write = store_writer(cast(Store, store))
    rows: list[Event] = [
        Trade(symbol="X", venue="V", provider="p", ts_event=i, ts_recv=i, price=1, size=1)
        for i in range(5)
    ]
    asyncio.run(write(rows))
    assert store.calls == [([0, 1, 2, 3, 4], True), ([2, 3, 4], True)]
    assert store.waits == 1
