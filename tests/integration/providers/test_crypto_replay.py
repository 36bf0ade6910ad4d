"""The native crypto providers replay real captured sessions through the real runtime.

Each test serves a capture from ``shared/fixtures/crypto`` over a local WebSocket + HTTP server,
points the provider's configured URLs at it, and checks what was stored against counts derived
here straight from the capture text (plain ``json``, not the provider's parser).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from crypto_harness import config_for, run_until, stored, stored_counts
from replay_server import ReplayServer, read_rest_capture, read_ws_capture

from mdc.providers.binance.stream import BinanceStream
from mdc.providers.coinbase.stream import CoinbaseProtocol, CoinbaseStream
from mdc.providers.kraken.stream import KrakenProtocol, KrakenStream

COINBASE_PRODUCTS = [
    "SKL-USD", "SKL-BTC", "BAND-GBP", "NMR-EUR", "BAND-BTC",
    "YFI-BTC", "DASH-BTC", "NU-GBP", "CRV-EUR", "SKL-GBP",
]  # fmt: skip
BINANCE_SYMBOLS = ["NKN-USDT", "BLZ-ETH", "LRC-BTC", "RUNE-EUR"]
KRAKEN_SYMBOLS = [
    "WAVES-EUR", "XMR-USD", "KSM-BTC", "GRT-ETH", "SC-EUR",
    "ETH-CHF", "OCEAN-BTC", "OMG-USD", "BTC-CHF", "ADA-BTC",
]  # fmt: skip


def _messages(frames: list[str]) -> list[Any]:
    return [json.loads(f) for f in frames]


# -- Coinbase ----------------------------------------------------------------------------


def coinbase_expected(frames: list[str]) -> dict[str, int]:
    msgs = _messages(frames)
    return {
        "trades": sum(m["type"] in ("match", "last_match") for m in msgs),
        "book_deltas": sum(len(m["changes"]) for m in msgs if m["type"] == "l2update"),
        "book_snapshots": sum(m["type"] == "snapshot" for m in msgs),
        "quotes": sum(m["type"] == "ticker" and "best_bid" in m for m in msgs),
    }


def test_coinbase_capture_replay(fixtures_dir: Path, tmp_path: Path) -> None:
    asyncio.run(_coinbase(fixtures_dir / "crypto", tmp_path))


async def _coinbase(crypto: Path, root: Path) -> None:
    capture = read_ws_capture(crypto / "COINBASE.ws.28.0")
    frames = [payload for _, payload in capture.frames]
    expected = coinbase_expected(frames)
    assert expected == {"trades": 107, "book_deltas": 9719, "book_snapshots": 10, "quotes": 107}
    rest = read_rest_capture([crypto / "COINBASE.0"])
    async with ReplayServer(frames, rest) as server:
        config = config_for("coinbase", server, COINBASE_PRODUCTS, root)
        runtime, provider = await run_until(
            CoinbaseStream,
            config,
            server,
            lambda c: all(c[k] >= v for k, v in expected.items()),
        )
    counts = stored_counts(root)
    assert {k: counts[k] for k in expected} == expected
    assert counts["gaps"] == 0  # per-product sequence/trade ids: no false gaps
    assert counts["integrity"] == 0  # the collectors found nothing wrong with the books
    assert runtime.bad_frames == 0
    assert server.stats.http_requests == ["/products"]
    subscribe = json.loads(server.stats.received[0])
    channels = {c["name"]: c["product_ids"] for c in subscribe["channels"]}
    assert set(channels) == {"level2_batch", "matches", "ticker", "heartbeat"}
    assert channels["matches"] == COINBASE_PRODUCTS
    trades = {t["trade_id"]: t for t in stored(root, "trades")}
    # {"type":"match","trade_id":280232,"side":"sell","size":"985","price":"0.00001305",...}
    # side is the maker's: the aggressor bought.
    t = trades["280232"]
    assert (t["symbol"], t["price"], t["size"], t["side"]) == ("SKL-BTC", 0.00001305, 985.0, "buy")
    assert (t["seq"], t["ts_event"]) == (177100030, 1618677817089723000)
    protocol = provider.session.protocol
    assert isinstance(protocol, CoinbaseProtocol)
    assert protocol.parser.duplicates == 0


def test_coinbase_deleted_frame_is_one_gap(fixtures_dir: Path, tmp_path: Path) -> None:
    asyncio.run(_coinbase_deleted(fixtures_dir / "crypto", tmp_path))


async def _coinbase_deleted(crypto: Path, root: Path) -> None:
    capture = read_ws_capture(crypto / "COINBASE.ws.28.0")
    frames = [payload for _, payload in capture.frames]
    # Delete the match with trade id 1568275 (SKL-USD, between 1568274 and 1568276).
    victim = next(i for i, f in enumerate(frames) if '"trade_id":1568275,' in f and "match" in f)
    assert json.loads(frames[victim])["type"] == "match"
    del frames[victim]
    expected = coinbase_expected(frames)
    rest = read_rest_capture([crypto / "COINBASE.0"])
    async with ReplayServer(frames, rest) as server:
        config = config_for("coinbase", server, COINBASE_PRODUCTS, root)
        await run_until(
            CoinbaseStream,
            config,
            server,
            lambda c: all(c[k] >= v for k, v in expected.items()) and c["gaps"] >= 1,
        )
    counts = stored_counts(root)
    assert {k: counts[k] for k in expected} == expected
    gaps = stored(root, "gaps")
    assert len(gaps) == 1
    gap = gaps[0]
    assert (gap["symbol"], gap["reason"]) == ("SKL-USD", "trade_id_gap")
    assert "1568275..1568275" in gap["detail"]
    assert gap["from_ts"] < gap["to_ts"]
    # The product's book is resynchronised: its book channel is resubscribed.
    resync = [json.loads(m) for m in server.stats.received[1:]]
    book = [{"name": "level2_batch", "product_ids": ["SKL-USD"]}]
    assert resync == [
        {"type": "unsubscribe", "channels": book},
        {"type": "subscribe", "channels": book},
    ]


# -- Binance -----------------------------------------------------------------------------


def binance_expected(frames: list[str], rest: dict[str, bytes]) -> dict[str, int]:
    """The documented procedure, applied to the capture text by hand."""
    last_id = {}
    for key, body in rest.items():
        if key.startswith("/api/v3/depth"):
            symbol = key.split("symbol=")[1].split("&")[0]
            last_id[symbol] = json.loads(body)["lastUpdateId"]
    deltas = 0
    for m in _messages(frames):
        d = m["data"]
        if d.get("e") == "depthUpdate" and d["u"] > last_id[d["s"]]:
            assert d["U"] <= last_id[d["s"]] + 1  # no hole in the capture
            last_id[d["s"]] = d["u"]
            deltas += len(d["b"]) + len(d["a"])
    msgs = _messages(frames)
    return {
        "trades": sum(m["stream"].endswith("@aggTrade") for m in msgs),
        "quotes": sum(m["stream"].endswith("@bookTicker") for m in msgs),
        "book_deltas": deltas,
        "book_snapshots": len(last_id),
    }


def test_binance_capture_replay(fixtures_dir: Path, tmp_path: Path) -> None:
    asyncio.run(_binance(fixtures_dir / "crypto", tmp_path))


async def _binance(crypto: Path, root: Path) -> None:
    capture = read_ws_capture(crypto / "BINANCE.ws.1.0")
    frames = [payload for _, payload in capture.frames]
    rest = read_rest_capture([crypto / "BINANCE.0", crypto / "BINANCE.http.0.0"])
    expected = binance_expected(frames, rest)
    assert expected == {"trades": 2, "quotes": 84, "book_deltas": 408, "book_snapshots": 4}
    async with ReplayServer(frames, rest) as server:
        config = config_for("binance", server, BINANCE_SYMBOLS, root)
        runtime, _ = await run_until(
            BinanceStream,
            config,
            server,
            lambda c: all(c[k] >= v for k, v in expected.items()),
        )
    counts = stored_counts(root)
    assert {k: counts[k] for k in expected} == expected
    assert counts["gaps"] == 0
    assert counts["integrity"] == 0
    assert runtime.bad_frames == 0
    depth_requests = sorted(r for r in server.stats.http_requests if r.startswith("/api/v3/depth"))
    assert depth_requests == sorted(
        f"/api/v3/depth?symbol={s.replace('-', '')}&limit=1000" for s in BINANCE_SYMBOLS
    )
    subscribe = json.loads(server.stats.received[0])
    assert subscribe["method"] == "SUBSCRIBE"
    assert "nknusdt@depth@100ms" in subscribe["params"]
    # Each book starts at its snapshot and continues with update ids right after it.
    snapshots = {s["symbol"]: s["seq"] for s in stored(root, "book_snapshots")}
    assert snapshots == {
        "NKN-USDT": 499869752,
        "BLZ-ETH": 281916627,
        "LRC-BTC": 259345543,
        "RUNE-EUR": 15602511,
    }
    first_delta: dict[str, int] = {}
    for d in stored(root, "book_deltas"):
        first_delta.setdefault(d["symbol"], d["seq"])
    assert first_delta["NKN-USDT"] == 499869754  # the event [499869753; 499869754]


# -- Kraken ------------------------------------------------------------------------------


def kraken_expected(frames: list[str]) -> dict[str, int]:
    deltas = snapshots = checksummed = 0
    for m in _messages(frames):
        if not isinstance(m, list):
            continue
        parts = m[1:-2]
        if "as" in parts[0] or "bs" in parts[0]:
            snapshots += 1
            continue
        deltas += sum(len(p.get("a", [])) + len(p.get("b", [])) for p in parts)
        checksummed += any("c" in p for p in parts)
    return {"book_deltas": deltas, "book_snapshots": snapshots, "checksums": checksummed}


def test_kraken_capture_replay(fixtures_dir: Path, tmp_path: Path) -> None:
    asyncio.run(_kraken(fixtures_dir / "crypto", tmp_path))


async def _kraken(crypto: Path, root: Path) -> None:
    capture = read_ws_capture(crypto / "KRAKEN.ws.50.0")
    frames = [payload for _, payload in capture.frames]
    expected = kraken_expected(frames)
    assert expected == {"book_deltas": 4272, "book_snapshots": 10, "checksums": 4269}
    rest = read_rest_capture([crypto / "KRAKEN.0"])
    async with ReplayServer(frames, rest) as server:
        config = config_for("kraken", server, KRAKEN_SYMBOLS, root, book_depth=1000, api="v1")
        runtime, provider = await run_until(
            KrakenStream,
            config,
            server,
            lambda c: c["book_deltas"] >= 4272 and c["book_snapshots"] >= 10,
        )
    counts = stored_counts(root)
    assert counts["book_deltas"] == expected["book_deltas"]
    assert counts["book_snapshots"] == expected["book_snapshots"]
    assert counts["gaps"] == 0
    assert counts["integrity"] == 0
    assert runtime.bad_frames == 0
    protocol = provider.session.protocol
    assert isinstance(protocol, KrakenProtocol)
    # Every book update in the capture validates against the venue's CRC32.
    assert protocol.parser.checksums_ok == expected["checksums"]
    assert protocol.parser.checksums_failed == 0
    assert protocol.parser.unvalidated == 0
    subscribe = json.loads(server.stats.received[0])
    assert subscribe["subscription"] == {"name": "book", "depth": 1000}
    assert "XBT/CHF" in subscribe["pair"] and "KSM/XBT" in subscribe["pair"]
    assert {s["symbol"] for s in stored(root, "book_snapshots")} == set(KRAKEN_SYMBOLS)


def test_kraken_checksum_failure_resubscribes(fixtures_dir: Path, tmp_path: Path) -> None:
    asyncio.run(_kraken_corrupt(fixtures_dir / "crypto", tmp_path))


async def _kraken_corrupt(crypto: Path, root: Path) -> None:
    capture = read_ws_capture(crypto / "KRAKEN.ws.50.0")
    frames = [payload for _, payload in capture.frames]
    # Change the volume of one XMR/USD update: our book no longer matches the venue's.
    victim = next(
        i for i, f in enumerate(frames) if f.endswith('"book-1000","XMR/USD"]') and '"c":' in f
    )
    msg = json.loads(frames[victim])
    side = "a" if "a" in msg[1] else "b"
    level = msg[1][side][0]
    level[1] = f"{float(level[1]) + 1:.8f}"
    frames[victim] = json.dumps(msg, separators=(",", ":"))
    rest = read_rest_capture([crypto / "KRAKEN.0"])
    async with ReplayServer(frames, rest) as server:
        config = config_for("kraken", server, KRAKEN_SYMBOLS, root, book_depth=1000, api="v1")
        _, provider = await run_until(
            KrakenStream,
            config,
            server,
            lambda c: c["book_deltas"] >= 4272 and c["gaps"] >= 1,
        )
    gaps = stored(root, "gaps")
    assert [(g["symbol"], g["reason"]) for g in gaps] == [("XMR-USD", "checksum_mismatch")]
    protocol = provider.session.protocol
    assert isinstance(protocol, KrakenProtocol)
    assert protocol.parser.checksums_failed == 1
    book = {"name": "book", "depth": 1000}
    assert [json.loads(m) for m in server.stats.received[3:]] == [
        {"event": "unsubscribe", "pair": ["XMR/USD"], "subscription": book},
        {"event": "subscribe", "pair": ["XMR/USD"], "subscription": book},
    ]
