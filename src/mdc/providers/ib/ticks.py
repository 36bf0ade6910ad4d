"""IB ticks → events, shared by the live stream and the history: a last-trade tick carries the
same fields either way (``TickByTickAllLast`` live, ``HistoricalTickLast`` from
``reqHistoricalTicks``)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any, Final

from mdc.domain.events import Trade
from mdc.providers.ib import SPEC

EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


def to_ns(moment: datetime) -> int:
    """Exact ns since the epoch (no float rounding)."""
    return (moment - EPOCH) // timedelta(microseconds=1) * 1000


def last_trade(symbol: str, venue: str, tick: Any, ts_recv: int) -> Trade:
    """A last-trade tick (price, size, exchange, special conditions) as a :class:`Trade`."""
    return Trade(
        symbol=symbol,
        venue=venue,
        provider=SPEC.name,
        ts_event=to_ns(tick.time),
        ts_recv=ts_recv,
        price=tick.price,
        size=float(tick.size),
        exchange=tick.exchange or None,
        conditions=tick.specialConditions.split() if tick.specialConditions else [],
    )
