"""REST counters outlive the clients that counted them."""

from __future__ import annotations

from mdc.backfill.usage import RestUsage
from mdc.providers.rest import RestStats


def test_open_clients_read_live_and_closed_ones_are_kept() -> None:
    usage = RestUsage()
    first = RestStats(requests=3, retries=1, retry_waited_s=0.5, errors=1)
    usage.track("polygon", first)
    first.requests += 1  # counted while the job runs
    assert usage.snapshot()["polygon"].requests == 4
    usage.release("polygon", first)
    second = RestStats(requests=2, last_retry_after_s=7.0)
    usage.track("polygon", second)
    usage.track("alpaca", RestStats(requests=5))
    snap = usage.snapshot()
    assert snap["polygon"] == RestStats(
        requests=6, retries=1, retry_waited_s=0.5, last_retry_after_s=7.0, errors=1
    )
    assert snap["alpaca"].requests == 5
    usage.release("polygon", second)
    usage.release("polygon", second)  # a second close changes nothing
    assert usage.snapshot()["polygon"].requests == 6
