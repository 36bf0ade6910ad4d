"""A writer process for crash tests: opens the store (recovery), appends generated batches.

After every ``append`` returns it writes ``lsn first_seq count dedup`` to the ack log (O_APPEND,
no buffering, so a SIGKILL cannot lose an acknowledged line). Every event is a pure function of
its ``seq`` (:func:`make_event`), so a checker can rebuild exactly what must be in the archive.
Run: ``python crash_writer.py ROOT ACK_LOG ROUND [options]``; it runs until killed, or with
``--batches N`` prints ``ready`` after N batches and then sleeps until killed.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time

from mdc.config.schema import StorageConfig, WalConfig
from mdc.domain.events import BookDelta, Event, Quote, Trade
from mdc.storage import open_store

T0 = 1_700_000_000_000_000_000  # 2023-11-14T22:13:20Z
ROUND_BASE = 1_000_000_000
SYMBOLS = ("AAPL", "MSFT", "BTC/USD")


def make_event(seq: int) -> Event:
    """The event with this ``seq``; events of a round span ~2 days of ``ts_event``."""
    i = seq % ROUND_BASE
    ts = T0 + i * 1_000_000_000 + seq // ROUND_BASE
    symbol = SYMBOLS[(seq // 3) % len(SYMBOLS)]
    kind = seq % 3
    common = {"symbol": symbol, "venue": "XNAS", "provider": "sim", "ts_event": ts}
    if kind == 0:
        return Trade(
            **common,
            ts_recv=ts + 1000,
            seq=seq,
            price=100 + (seq % 1000) * 0.01,
            size=float(seq % 7 + 1),
            side="buy" if seq % 2 else "sell",
            trade_id=str(seq),
            conditions=["@", "T"] if seq % 5 == 0 else [],
        )
    if kind == 1:
        return Quote(
            **common,
            ts_recv=ts + 2000,
            seq=seq,
            bid_price=99.5 + (seq % 100) * 0.01,
            bid_size=1.0,
            ask_price=100.5 + (seq % 100) * 0.01,
            ask_size=2.0,
        )
    return BookDelta(
        **common,
        ts_recv=ts + 3000,
        seq=seq,
        side="bid" if seq % 2 else "ask",
        price=100 + (seq % 50) * 0.5,
        size=float(seq % 11),
    )


def config(root: str, round_no: int, fmt: str) -> StorageConfig:
    """Settings that exercise every path quickly: tiny segments, frequent checkpoints, an
    LRU cap below the number of partitions, short Parquet parts, codecs and fsync policies
    changing per round."""
    return StorageConfig(
        root=root,
        format=fmt,  # type: ignore[arg-type]
        compression=("none", "gzip", "zstd")[round_no % 3],  # type: ignore[arg-type]
        max_open_files=12,  # below the 18 partitions: JSONL closes and reopens (registrations)
        checkpoint_interval_s=0.05,
        partition_close_grace_s=1e9,
        parquet_row_group_rows=500,
        parquet_part_max_rows=3000,
        parquet_part_max_age_s=0.5,
        raw_capture=False,
        min_free_mb=0,
        wal=WalConfig(
            fsync=("interval", "always", "off")[round_no % 3],  # type: ignore[arg-type]
            fsync_interval_ms=5,
            segment_max_mb=1,
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("root")
    parser.add_argument("ack")
    parser.add_argument("round", type=int)
    parser.add_argument("--format", default="both")
    parser.add_argument("--batches", type=int, default=0)
    parser.add_argument("--checkpoint-s", type=float, default=0.05)
    parser.add_argument(
        "--checkpoint-at", type=int, default=0, help="one checkpoint after this many batches"
    )
    parser.add_argument(
        "--checkpoint-every", type=int, default=0, help="a checkpoint after every N batches"
    )
    args = parser.parse_args()
    cfg = config(args.root, args.round, args.format)
    if args.checkpoint_s != cfg.checkpoint_interval_s:
        cfg = StorageConfig(**{**_fields(cfg), "checkpoint_interval_s": args.checkpoint_s})
    rng = random.Random(args.round)
    store = open_store(cfg)
    ack = os.open(args.ack, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    seq = args.round * ROUND_BASE
    written = 0
    previous: list[Event] = []
    while not args.batches or written < args.batches:
        if previous and rng.random() < 0.05:
            store.append(previous, dedup=True)  # a re-run of the last batch: must not duplicate
            os.write(ack, f"{store.wal_lsn} {previous[0].seq} {len(previous)} 1\n".encode())
            continue
        n = rng.randint(1, 400)
        batch = [make_event(s) for s in range(seq, seq + n)]
        store.append(batch)
        os.write(ack, f"{store.wal_lsn} {seq} {n} 0\n".encode())
        seq += n
        written += 1
        previous = batch
        every = args.checkpoint_every
        if written == args.checkpoint_at or (every and written % every == 0):
            store.checkpoint()
    print("ready", flush=True)
    sys.stdout.flush()
    while True:
        time.sleep(3600)


def _fields(cfg: StorageConfig) -> dict[str, object]:
    return {f: getattr(cfg, f) for f in cfg.__struct_fields__}


if __name__ == "__main__":
    main()
