"""Token buckets per provider and endpoint, so REST calls stay inside a plan's published limits.

A limit is written ``"<calls>/<period>"`` (``"200/1m"``, ``"5/1m"``); several windows that all
apply are comma-separated (``"300/10s,2000/10m,50000/1d"``). Each window is a bucket holding
``calls`` tokens that refills at ``calls/period``: a burst of ``calls`` is allowed, then requests
are spaced evenly. Each provider's config maps endpoint names to limits; the ``"all"`` entry
applies to every request of that provider, a named entry (``"trades"``) only to that endpoint.
A request may cost more than one token: venues that count request weights (Binance's
``REQUEST_WEIGHT`` per minute) pass the weight as ``cost``.

One :class:`RateLimiter` should be shared by everything in a process that uses the same API keys
(limits belong to the key, not to an object); waiting time is counted for metrics.

Some APIs state their limits as hard windows ("no more than 60 requests in any ten minutes",
Interactive Brokers' historical pacing) that a bucket's refill would exceed (a full bucket plus a
period's refill is twice the limit). :class:`SlidingWindow` keeps the times of the last ``calls``
requests instead, and :meth:`RateLimiter.window` shares one per provider and key.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from mdc.domain.time import Clock, Sleep

ALL: Final = "all"
"""Endpoint name whose limit applies to every request of a provider."""

_PERIOD_SECONDS: Final[dict[str, float]] = {
    "ms": 0.001,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
    "d": 86_400.0,
}
_RATE: Final = re.compile(
    r"^\s*(?P<calls>[0-9]+(?:\.[0-9]+)?)\s*/\s*(?P<n>[0-9]+(?:\.[0-9]+)?)?\s*(?P<unit>ms|s|m|h|d)\s*$"
)


class RateSpecError(ValueError):
    """A limit string that does not parse."""


@dataclass(frozen=True)
class Rate:
    """``calls`` requests per ``period_s`` seconds."""

    calls: float
    period_s: float

    @classmethod
    def parse(cls, text: str) -> Rate:
        match = _RATE.match(text)
        if match is None:
            raise RateSpecError(
                f"bad rate limit {text!r}: expected <calls>/<period> such as 200/1m, 5/1m, "
                "300/10s or 25/1d (units ms, s, m, h, d)"
            )
        calls = float(match.group("calls"))
        period = float(match.group("n") or 1) * _PERIOD_SECONDS[match.group("unit")]
        if calls <= 0 or period <= 0:
            raise RateSpecError(f"bad rate limit {text!r}: calls and period must be positive")
        return cls(calls, period)

    @classmethod
    def parse_all(cls, text: str) -> tuple[Rate, ...]:
        """Comma-separated windows; an empty string means no limit."""
        return tuple(cls.parse(part) for part in text.split(",") if part.strip())


@dataclass
class BucketStats:
    """Counters for ``/metrics``: requests let through, how many had to wait, and for how long."""

    acquired: int = 0
    waits: int = 0
    waited_s: float = 0.0


class TokenBucket:
    """One window. ``acquire`` waits (FIFO) until a token is free and says how long it waited."""

    def __init__(self, rate: Rate, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.rate = rate
        self._capacity = rate.calls
        self._per_s = rate.calls / rate.period_s
        self._tokens = rate.calls
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = asyncio.Lock()

    async def acquire(self, cost: float = 1.0) -> float:
        """Take ``cost`` tokens (a request weight; at most the bucket's size)."""
        cost = min(cost, self._capacity)
        waited = 0.0
        async with self._lock:
            while True:
                self._refill()
                if self._tokens >= cost:
                    self._tokens -= cost
                    return waited
                delay = (cost - self._tokens) / self._per_s
                await self._sleep(delay)
                waited += delay

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._stamp) * self._per_s)
        self._stamp = now


class SlidingWindow:
    """At most ``calls`` requests in any ``period_s`` seconds: a log of request times, FIFO."""

    def __init__(self, rate: Rate, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep):
        self.rate = rate
        self._stamps: deque[float] = deque()
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    async def acquire(self, weight: int = 1) -> float:
        """Take ``weight`` slots (IB counts some requests twice); return seconds waited."""
        waited = 0.0
        calls = int(self.rate.calls)
        async with self._lock:
            while True:
                now = self._clock()
                while self._stamps and now - self._stamps[0] >= self.rate.period_s:
                    self._stamps.popleft()
                if len(self._stamps) + weight <= calls or not self._stamps:
                    self._stamps.extend([now] * weight)
                    return waited
                index = min(len(self._stamps) + weight - calls, len(self._stamps)) - 1
                delay = self._stamps[index] + self.rate.period_s - now
                await self._sleep(delay)
                waited += delay


class RateLimiter:
    """The buckets of every provider and endpoint, created from config on first use."""

    def __init__(self, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self._clock = clock
        self._sleep = sleep
        self._specs: dict[tuple[str, str], str] = {}
        self._buckets: dict[tuple[str, str], tuple[TokenBucket, ...]] = {}
        self._stats: dict[tuple[str, str], BucketStats] = {}
        self._windows: dict[tuple[str, str, str], SlidingWindow] = {}

    def configure(self, provider: str, limits: Mapping[str, str]) -> None:
        """Set ``provider``'s limits (endpoint → spec). Unchanged specs keep their buckets, so
        several clients of one provider share the budget."""
        for endpoint, spec in limits.items():
            key = (provider, endpoint)
            if self._specs.get(key) == spec:
                continue
            rates = Rate.parse_all(spec)
            self._specs[key] = spec
            self._buckets[key] = tuple(TokenBucket(r, self._clock, self._sleep) for r in rates)

    async def acquire(self, provider: str, endpoint: str = ALL, cost: float = 1.0) -> float:
        """Wait for the provider-wide buckets, then the endpoint's; return seconds waited.
        ``cost`` is the request's weight, for venues that count weights (Binance)."""
        waited = 0.0
        names = (ALL,) if endpoint == ALL else (ALL, endpoint)
        for name in names:
            for bucket in self._buckets.get((provider, name), ()):
                waited += await bucket.acquire(cost)
        stats = self._stats.setdefault((provider, endpoint), BucketStats())
        stats.acquired += 1
        if waited > 0:
            stats.waits += 1
            stats.waited_s += waited
        return waited

    def window(self, provider: str, key: str, spec: str) -> SlidingWindow:
        """The sliding window ``spec`` (``"60/10m"``) of ``provider`` and ``key``, made on first
        use with this limiter's clock, so every client of one account shares it."""
        ident = (provider, key, spec)
        found = self._windows.get(ident)
        if found is None:
            found = self._windows[ident] = SlidingWindow(Rate.parse(spec), self._clock, self._sleep)
        return found

    def stats(self) -> dict[tuple[str, str], BucketStats]:
        """``(provider, endpoint)`` → counters (a copy, safe to read while requests run)."""
        return {k: BucketStats(v.acquired, v.waits, v.waited_s) for k, v in self._stats.items()}
