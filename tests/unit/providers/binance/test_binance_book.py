"""The documented diff-depth + snapshot procedure, step by step."""

from __future__ import annotations

from mdc.domain.events import BookDelta, BookSnapshot, Gap
from mdc.providers.binance.book import DepthSnapshot, DepthSync, DepthUpdate

SYMBOL = "NKN-USDT"


def update(first: int, last: int, e_ms: int = 1633998512068) -> DepthUpdate:
    return DepthUpdate(
        s="NKNUSDT", ts=e_ms, first=first, last=last, b=[(0.3513, 6195.0)], a=[(0.3529, 0.0)]
    )


def snapshot(last_id: int) -> DepthSnapshot:
    return DepthSnapshot(last_update_id=last_id, bids=[(0.3521, 672.0)], asks=[(0.3526, 3199.0)])


def test_sync_as_in_the_capture() -> None:
    sync = DepthSync()
    # NKNUSDT in BINANCE.ws.1.0: [499869750; 499869752] then [499869753; 499869754];
    # the snapshot (BINANCE.http.0.0) has lastUpdateId 499869752.
    assert sync.update(SYMBOL, update(499869750, 499869752, 1633998512068), 1) == []
    assert sync.pending == {SYMBOL}
    assert sync.update(SYMBOL, update(499869753, 499869754, 1633998512568), 2) == []
    events = sync.snapshot(SYMBOL, snapshot(499869752), 3)
    snap, bid, ask = events
    assert isinstance(snap, BookSnapshot) and snap.seq == 499869752
    # Stamped with the last buffered event it contains, so no later delta is older.
    assert snap.ts_event == 1633998512068 * 1_000_000
    assert isinstance(bid, BookDelta) and isinstance(ask, BookDelta)
    assert [(d.side, d.price, d.size, d.seq) for d in (bid, ask)] == [
        ("bid", 0.3513, 6195.0, 499869754),
        ("ask", 0.3529, 0.0, 499869754),
    ]
    assert sync.pending == set() and sync.state(SYMBOL) == "synced"
    assert sync.update(SYMBOL, update(499869754, 499869754), 4) == []  # u <= book id: stale
    assert len(sync.update(SYMBOL, update(499869755, 499869757), 5)) == 2


def test_snapshot_older_than_the_stream_is_fetched_again() -> None:
    sync = DepthSync()
    sync.update(SYMBOL, update(100, 105), 1)
    assert sync.snapshot(SYMBOL, snapshot(99), 2) == []
    assert sync.pending == {SYMBOL} and sync.snapshots_fetched(SYMBOL) == 1
    assert len(sync.snapshot(SYMBOL, snapshot(103), 3)) == 3


def test_events_missing_between_snapshot_and_buffer_start_over() -> None:
    sync = DepthSync()
    sync.update(SYMBOL, update(100, 105), 1)
    sync.update(SYMBOL, update(110, 112), 2)  # 106..109 never arrived
    assert sync.snapshot(SYMBOL, snapshot(107), 3) == []
    assert sync.state(SYMBOL) == "waiting" and sync.pending == set()
    assert sync.restarts == 1


def test_a_hole_after_sync_is_one_gap_and_a_new_sync() -> None:
    sync = DepthSync()
    sync.update(SYMBOL, update(100, 105, 1000), 1)
    sync.snapshot(SYMBOL, snapshot(104), 2)
    (gap,) = sync.update(SYMBOL, update(110, 111, 2000), 3)
    assert isinstance(gap, Gap)
    assert (gap.reason, gap.from_ts, gap.to_ts) == ("depth_update_id_gap", 10**9, 2 * 10**9)
    assert gap.detail == "update ids 106..109 missing; resyncing"
    assert sync.pending == {SYMBOL} and sync.state(SYMBOL) == "fetching"
    assert len(sync.snapshot(SYMBOL, snapshot(110), 4)) == 3  # snapshot + the buffered event


def test_forget_and_reset() -> None:
    sync = DepthSync()
    sync.update(SYMBOL, update(100, 105), 1)
    sync.forget(SYMBOL)
    assert sync.pending == set() and sync.state(SYMBOL) == "waiting"
    sync.update(SYMBOL, update(100, 105), 1)
    sync.reset()
    assert sync.pending == set()
