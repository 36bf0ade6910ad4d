from __future__ import annotations

import asyncio

import pytest

from mdc.domain.events import Trade
from mdc.domain.time import now_ns
from mdc.pipeline.fanout import FanOut
from mdc.pipeline.queues import BatchQueue


def batch(start: int, n: int) -> list[Trade]:
    ts = now_ns()
    return [
        Trade(
            symbol="X", venue="V", provider="p", ts_event=ts, ts_recv=ts, seq=i, price=1.0, size=1.0
        )
        for i in range(start, start + n)
    ]


def seqs(queue: BatchQueue) -> list[int]:
    out: list[int] = []
    while (b := queue.get_nowait()) is not None:
        out.extend(e.seq for e in b if e.seq is not None)
    return out


def test_drop_oldest_keeps_the_newest_events_exactly() -> None:
    q = BatchQueue("c", capacity=10, policy="drop_oldest")
    q.offer(batch(0, 6))
    q.offer(batch(6, 6))  # 12 > 10: the two oldest go
    assert q.dropped == 2
    assert q.depth == 10
    q.offer(batch(12, 25))  # larger than capacity: keeps the last 10
    assert q.dropped == 2 + 10 + 15
    assert seqs(q) == list(range(27, 37))
    assert q.published == 37
    assert q.consumed == 10


def test_drop_newest_keeps_what_is_queued() -> None:
    q = BatchQueue("c", capacity=10, policy="drop_newest")
    q.offer(batch(0, 6))
    q.offer(batch(6, 6))  # only 4 of these fit
    q.offer(batch(12, 3))  # none fit
    assert q.dropped == 2 + 3
    assert seqs(q) == list(range(10))


def test_block_waits_for_space_and_drops_nothing() -> None:
    async def scenario() -> list[int]:
        q = BatchQueue("c", capacity=5, policy="block")
        got: list[int] = []

        async def consumer() -> None:
            while True:
                b = await q.get()
                if not b:
                    return
                got.extend(e.seq for e in b if e.seq is not None)
                await asyncio.sleep(0)

        task = asyncio.create_task(consumer())
        for i in range(0, 40, 4):
            await q.put(batch(i, 4))
            assert q.depth <= 5
        q.close()
        await task
        assert q.dropped == 0
        return got

    assert asyncio.run(scenario()) == list(range(40))


def test_block_accepts_an_oversized_batch_into_an_empty_queue() -> None:
    async def scenario() -> int:
        q = BatchQueue("c", capacity=3, policy="block")
        await asyncio.wait_for(q.put(batch(0, 8)), 1)
        return q.depth

    assert asyncio.run(scenario()) == 8


def test_fanout_applies_each_consumers_policy() -> None:
    async def scenario() -> tuple[int, int, list[int]]:
        fan = FanOut()
        slow = fan.add("dashboard", capacity=4, policy="drop_oldest")
        fast = fan.add("quality", capacity=100, policy="drop_newest")
        for i in range(0, 20, 2):
            await fan.publish(batch(i, 2))
        return slow.dropped, fast.dropped, seqs(slow)

    dropped_slow, dropped_fast, kept = asyncio.run(scenario())
    assert (dropped_slow, dropped_fast) == (16, 0)
    assert kept == [16, 17, 18, 19]


def test_bad_policy_and_capacity_are_refused() -> None:
    with pytest.raises(ValueError, match="policy must be one of"):
        BatchQueue("c", 1, "sometimes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="capacity must be at least 1"):
        BatchQueue("c", 0)
    with pytest.raises(ValueError, match="already exists"):
        fan = FanOut()
        fan.add("a", 1, "block")
        fan.add("a", 1, "block")


def test_lag_is_measured_from_ts_recv() -> None:
    q = BatchQueue("c", capacity=10)
    old = batch(0, 1)
    old[0].ts_recv -= 2_000_000_000
    q.offer(old)
    q.get_nowait()
    assert 1.9 < q.lag_s < 10


def test_get_with_a_limit_takes_the_head_of_a_batch_and_leaves_the_rest() -> None:
    async def scenario() -> tuple[list[Trade], list[Trade], list[Trade], BatchQueue]:
        q = BatchQueue("c", capacity=10, policy="drop_oldest")
        q.offer(batch(0, 5))
        q.offer(batch(5, 2))
        return await q.get(3), await q.get(3), await q.get(3), q

    first, second, third, q = asyncio.run(scenario())
    assert [e.seq for e in first] == [0, 1, 2]
    assert [e.seq for e in second] == [3, 4]  # the rest of the first batch, not merged
    assert [e.seq for e in third] == [5, 6] and q.depth == 0 and q.consumed == 7
