"""REST client counters per provider, kept for the life of the process that runs backfills.

A provider's :class:`~mdc.providers.rest.RestClient` lives only as long as one job's failover
chain, but ``/metrics`` needs counters that only ever grow. The chain registers each client's
:class:`~mdc.providers.rest.RestStats` while it is open (read live, so a long job shows its
requests and retries as they happen) and folds them into per-provider totals when it closes.
"""

from __future__ import annotations

from dataclasses import replace

from mdc.providers.base import HistoricalProvider
from mdc.providers.rest import RestClient, RestStats


def rest_stats_of(provider: HistoricalProvider) -> RestStats | None:
    """The counters of the provider's REST client (providers keep it as ``self.client``)."""
    client = getattr(provider, "client", None)
    return client.stats if isinstance(client, RestClient) else None


class RestUsage:
    """Totals of closed clients plus the live counters of open ones, per provider."""

    def __init__(self) -> None:
        self._closed: dict[str, RestStats] = {}
        self._open: list[tuple[str, RestStats]] = []

    def track(self, provider: str, stats: RestStats) -> None:
        """A client was created; its counters count from now on."""
        self._open.append((provider, stats))

    def release(self, provider: str, stats: RestStats) -> None:
        """A client was closed: keep what it counted."""
        for i, (name, open_stats) in enumerate(self._open):
            if name == provider and open_stats is stats:
                del self._open[i]
                break
        else:
            return
        _add(self._closed.setdefault(provider, RestStats()), stats)

    def snapshot(self) -> dict[str, RestStats]:
        """Per provider, everything counted so far (copies, safe to read during requests)."""
        out = {name: replace(stats) for name, stats in self._closed.items()}
        for name, stats in list(self._open):
            _add(out.setdefault(name, RestStats()), stats)
        return out


def _add(total: RestStats, stats: RestStats) -> None:
    total.requests += stats.requests
    total.retries += stats.retries
    total.retry_waited_s += stats.retry_waited_s
    total.errors += stats.errors
    if stats.last_retry_after_s is not None:
        total.last_retry_after_s = stats.last_retry_after_s
