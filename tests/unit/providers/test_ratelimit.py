"""Token buckets: burst, even spacing, several windows, per-endpoint limits, wait counters."""

from __future__ import annotations

import asyncio

import pytest

from mdc.providers.ratelimit import ALL, Rate, RateLimiter, RateSpecError, TokenBucket
from tests.support.clock import FakeTime


def test_parse_rates() -> None:
    assert Rate.parse("200/1m") == Rate(200, 60.0)
    assert Rate.parse("5/m") == Rate(5, 60.0)
    assert Rate.parse(" 300 / 10s ") == Rate(300, 10.0)
    assert Rate.parse("25/1d") == Rate(25, 86_400.0)
    assert Rate.parse("10/500ms") == Rate(10, 0.5)
    assert Rate.parse_all("300/10s,2000/10m,50000/1d") == (
        Rate(300, 10.0),
        Rate(2000, 600.0),
        Rate(50000, 86_400.0),
    )
    assert Rate.parse_all("") == ()


@pytest.mark.parametrize("bad", ["200", "x/1m", "5/1y", "0/1m", "5/0s", "5 per minute"])
def test_bad_rate_is_a_clear_error(bad: str) -> None:
    with pytest.raises(RateSpecError, match=r"expected <calls>/<period>|must be positive"):
        Rate.parse(bad)


def test_bucket_allows_burst_then_spaces_requests() -> None:
    t = FakeTime()
    bucket = TokenBucket(Rate(3, 3.0), t.clock, t.sleep)

    async def run() -> list[float]:
        return [await bucket.acquire() for _ in range(5)]

    waits = asyncio.run(run())
    assert waits == [0.0, 0.0, 0.0, pytest.approx(1.0), pytest.approx(1.0)]
    assert t.now == pytest.approx(2.0)


def test_bucket_refills_while_idle() -> None:
    t = FakeTime()
    bucket = TokenBucket(Rate(2, 10.0), t.clock, t.sleep)

    async def run() -> list[float]:
        out = [await bucket.acquire(), await bucket.acquire()]
        t.now += 10.0  # idle long enough to refill both tokens
        out += [await bucket.acquire(), await bucket.acquire(), await bucket.acquire()]
        return out

    assert asyncio.run(run()) == [0.0, 0.0, 0.0, 0.0, pytest.approx(5.0)]


def test_limiter_applies_every_window_and_counts_waits() -> None:
    t = FakeTime()
    limiter = RateLimiter(t.clock, t.sleep)
    limiter.configure("p", {ALL: "2/1s,3/10s"})

    async def run() -> list[float]:
        return [await limiter.acquire("p", "bars") for _ in range(4)]

    waits = asyncio.run(run())
    # 2/1s lets two through, the third waits 0.5 s; 3/10s then holds the fourth until t=3.33 s.
    assert waits[:3] == [0.0, 0.0, pytest.approx(0.5)]
    assert t.now == pytest.approx(10 / 3)
    stats = limiter.stats()[("p", "bars")]
    assert (stats.acquired, stats.waits) == (4, 2)
    assert stats.waited_s == pytest.approx(10 / 3)


def test_endpoint_limit_only_applies_to_that_endpoint() -> None:
    t = FakeTime()
    limiter = RateLimiter(t.clock, t.sleep)
    limiter.configure("p", {"trades": "1/1m"})

    async def run() -> None:
        for _ in range(5):
            await limiter.acquire("p", "bars")
        await limiter.acquire("p", "trades")
        await limiter.acquire("p", "trades")

    asyncio.run(run())
    assert t.sleeps == [pytest.approx(60.0)]
    assert limiter.stats()[("p", "bars")].waits == 0
    assert limiter.stats()[("p", "trades")].waits == 1


def test_unknown_provider_is_unlimited_and_reconfigure_keeps_budget() -> None:
    t = FakeTime()
    limiter = RateLimiter(t.clock, t.sleep)

    async def run() -> None:
        await limiter.acquire("nobody")
        limiter.configure("p", {ALL: "1/1m"})
        await limiter.acquire("p")
        limiter.configure("p", {ALL: "1/1m"})  # a second client of the same provider
        await limiter.acquire("p")

    asyncio.run(run())
    assert t.sleeps == [pytest.approx(60.0)]


def test_concurrent_waiters_are_served_in_order() -> None:
    t = FakeTime()
    limiter = RateLimiter(t.clock, t.sleep)
    limiter.configure("p", {ALL: "1/1s"})
    order: list[int] = []

    async def one(i: int) -> None:
        await limiter.acquire("p")
        order.append(i)

    async def run() -> None:
        await asyncio.gather(*(one(i) for i in range(4)))

    asyncio.run(run())
    assert order == [0, 1, 2, 3]
    assert t.now == pytest.approx(3.0)
