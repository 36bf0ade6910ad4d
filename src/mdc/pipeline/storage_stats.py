"""What the running store reports about itself, or why it could not: status, health, metrics
and the storage page read the fields instead of guessing from the keys of a dict."""

from __future__ import annotations

from typing import Any

import msgspec


class StorageStats(msgspec.Struct, frozen=True):
    counters: dict[str, Any] | None
    """``store.stats()``; None when the store could not report."""
    error: str | None
    """Why the store could not report (None when it did)."""
    stats_errors: int
    """Times the store could not report since the collector started."""

    def document(self) -> dict[str, Any]:
        """The JSON of ``/status``'s ``storage`` and the storage page's ``store``: the counters
        plus ``stats_errors``, or, when the store could not report, ``writable`` False and
        ``last_error`` saying why."""
        if self.counters is None:
            return {"writable": False, "last_error": self.error, "stats_errors": self.stats_errors}
        return {**self.counters, "stats_errors": self.stats_errors}
