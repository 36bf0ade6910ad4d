"""The compiled XDP loop (``kernel.pyx``) against the Python reference, message by message.

Long random sessions — the builder's day of adds, modifies, replaces, deletes and executions,
with trades, cancels, corrections, halts, imbalances, time references, re-mappings, symbol
clears, unknown and malformed messages, orders the book does not hold, dropped packets (gaps),
sequence resets, A/B duplicates delivered in either order, refresh requests and refreshes —
go through both paths; the events (field by field, in order), the order-by-order books and
every counter must be identical.
"""

from __future__ import annotations

import functools
import random
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.support import xdp
from typer.testing import CliRunner

from mdc.cli.main import app
from mdc.domain.events import Event
from mdc.providers.nyse import messages as m
from mdc.providers.nyse import parse
from mdc.providers.nyse.book import OrderBook
from mdc.providers.nyse.parse import XdpFeed

SYMBOLS = {"IBM": 2, "BRK A": 4, "T": 2, "QUIET": 2, "DARK": 2}
WANTED = {"QUIET": (True, False), "DARK": (False, False)}
"""QUIET publishes trades only, DARK nothing: their books are skipped, their trades differ."""

needs_kernel = pytest.mark.skipif(
    parse.KERNEL is None, reason="the NYSE kernel is not built (pip install -e . compiles it)"
)


def wanted(symbol: str) -> tuple[bool, bool]:
    return WANTED.get(symbol, (True, True))


@dataclass
class Requests:
    """A Request Server client that records what the feed asked for."""

    calls: list[tuple[str, int, int]] = field(default_factory=list)

    def retransmit(self, channel: int, begin: int, end: int) -> None:
        self.calls.append(("retransmit", begin, end))

    def refresh(self, channel: int, symbol_index: int) -> None:
        self.calls.append(("refresh", channel, symbol_index))


def _extra(market: xdp.Market, rng: random.Random) -> bytes:
    """One message off the builder's common path (the builder's own books are not told)."""
    x = rng.choice(list(market.listings.values()))
    ns = market._tick()
    sec = market.second
    live = [oid for listing in market.listings.values() for oid in listing.book.orders]
    roll = rng.randrange(16)
    if roll == 0:
        return xdp.modify_order(ns, x.index, x.sseq, 9_000_000 + rng.randrange(99), 10_000, 100)
    if roll == 1:
        return xdp.delete_order(ns, x.index, x.sseq, 9_000_000 + rng.randrange(99))
    if roll == 2:
        return xdp.order_execution(ns, x.index, x.sseq, 9_100_000, 1, 10_000, 100)
    if roll == 3 and live:  # an Add of an order already live
        return xdp.add_order(ns, x.index, x.sseq, rng.choice(live), 10_000, 100, b"B")
    if roll == 4:
        return xdp.trade_cancel(ns, x.index, x.sseq, rng.randrange(1, 50))
    if roll == 5:
        return xdp.cross_correction(ns, x.index, x.sseq, 3, 900)
    if roll == 6:
        return xdp.cross_trade(ns, x.index, x.sseq, 3, 100 * x.divisor, 1200)
    if roll == 7:
        status = rng.choice((b"4", b"5", b"A", b"O", b"T"))
        return xdp.security_status(sec * 10**9 + ns, x.index, x.sseq, status, b"M")
    if roll == 8:
        return xdp.imbalance(sec * 10**9 + ns, x.index, x.sseq, 100 * x.divisor, 500, b"S")
    if roll == 9:  # another matching-engine partition's seconds
        return xdp.source_time_reference(rng.choice((1, 2)), sec + rng.randrange(3))
    if roll == 10:  # a re-mapping: new partition and scale from now on
        return xdp.symbol_index_mapping(x.index, x.symbol, rng.choice((2, 4)), system_id=2)
    if roll == 11:
        return xdp.symbol_clear(sec * 10**9 + ns, x.index, x.sseq)
    if roll == 12:
        return xdp.Spec(12, 999, "x:I@4")(x=1)  # a type the table does not hold
    if roll == 13:  # a book message shorter than its layout: a bad message
        short = bytearray(xdp.delete_order(ns, x.index, x.sseq, 1)[:20])
        short[0:2] = (20).to_bytes(2, "little")
        return bytes(short)
    if roll == 14:  # a later release's longer Add (and an unmapped symbol index)
        longer = bytearray(xdp.add_order(ns, rng.choice((x.index, 77)), x.sseq, 8_000_000 + ns,
                                         100 * x.divisor, 300, b"S")) + b"\xee" * 7  # fmt: skip
        longer[0:2] = len(longer).to_bytes(2, "little")
        return bytes(longer)
    return xdp.non_displayed_trade(ns, x.index, x.sseq, 4, 100 * x.divisor, 300)


@functools.cache
def session(seed: int, messages: int) -> list[tuple[str, bytes]]:
    """A random day's deliveries (line, datagram) on channel 1."""
    rng = random.Random(seed)
    market = xdp.Market(seed, SYMBOLS)
    market.open()
    sent = 0
    while sent < messages:
        n = rng.randint(1, 300)
        market.run(n, per_packet=rng.randint(1, 30))
        sent += n
        for _ in range(rng.randrange(4)):
            market.send([_extra(market, rng) for _ in range(rng.randint(1, 5))])
        if rng.random() < 0.03:  # the publisher restarts: numbering from 1 again
            market.seq = 1
            market.send([xdp.sequence_number_reset(market.second * 10**9, 11, 1)], flag=12)
            market.send([xdp.source_time_reference(1, market.second)])
        if rng.random() < 0.05:
            last_seq, orders = market.snapshot()
            listings = list(market.listings.values())
            market.packets += xdp.refresh_packets(listings, orders, last_seq, market.ns, 7)
    deliveries: list[tuple[str, bytes]] = []
    held: list[bytes] = []
    for data in market.packets:
        roll = rng.random()
        if roll < 0.01:
            continue  # lost on both lines: a gap
        if roll < 0.02 and data[3] > 1:  # cut in the middle of a message: a bad packet
            cut = bytearray(data[: len(data) - 3])
            cut[0:2] = len(cut).to_bytes(2, "little")
            deliveries.append(("A", bytes(cut)))
            held.append(data)
            continue
        if roll < 0.1:
            held.append(data)  # line A lost it; line B brings it after the next one
            continue
        deliveries.append(("A", data))
        for late in held:
            deliveries.append(("B", late))
        held = []
        if rng.random() < 0.5:
            deliveries.append(("B", data))
    deliveries += [("B", late) for late in held]
    return deliveries


def feeds(compiled: bool, **options: object) -> tuple[XdpFeed, Requests]:
    requests = Requests()
    feed = XdpFeed(
        wanted=wanted,
        compiled=compiled,
        requests=requests if options.pop("requests", False) else None,
        **options,  # type: ignore[arg-type]
    )
    return feed, requests


def replay(
    deliveries: list[tuple[str, bytes]], compiled: bool, **options: object
) -> tuple[XdpFeed, list[Event], list[tuple[str, int, int]]]:
    feed, requests = feeds(compiled, **options)
    events: list[Event] = []
    for i, (line, data) in enumerate(deliveries):
        feed.packet(1, line, data, 1_000 + i)
        if i % 97 == 0:
            feed.tick(1_000 + i)
            events += feed.take()
    feed.flush(10**12)
    return feed, events + feed.take(), requests.calls


def state(feed: XdpFeed) -> dict[str, object]:
    """Everything the feed holds: books, symbol and channel state, counters."""
    counters = feed.counters()
    counters.pop("decoder")
    return {
        "counters": counters,
        "last_error": feed.last_error,
        "seq": (feed._seq_num, feed._msg_seq),
        "symbols": {
            index: (
                sym.symbol,
                sym.venue,
                sym.divisor,
                sym.system_id,
                sym.channel,
                sym.skip_through,
                sym.book.orders,
                sym.book.bids,
                sym.book.asks,
                sym.book.trusted,
                sym.book.published,
                sym.backlog is not None,
            )
            for index, sym in feed.symbols.items()
        },
        "channels": {
            cid: (ch.next_seq, ch.trusted, ch.line_high, ch.source_seconds, ch.latest_seconds)
            for cid, ch in feed.channels.items()
        },
    }


OPTIONS = [
    {},
    {"order_events": True},
    {"book_events": False},
    {"requests": True},
]


@needs_kernel
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("options", OPTIONS, ids=["plain", "orders", "books-only", "requests"])
def test_kernel_gives_the_reference_events_books_and_counters(
    seed: int, options: dict[str, object]
) -> None:
    deliveries = session(seed, 6000)
    ref_feed, ref_events, ref_calls = replay(deliveries, False, **dict(options))
    feed, events, calls = replay(deliveries, True, **dict(options))
    assert feed.counters()["decoder"] == "kernel" and ref_feed.counters()["decoder"] == "python"
    assert len(events) == len(ref_events)
    for got, want in zip(events, ref_events, strict=True):
        assert got == want
        assert type(got) is type(want)
    assert calls == ref_calls
    assert state(feed) == state(ref_feed)
    counters = ref_feed.counters()
    # the sessions reach the paths the kernel hands back
    assert counters["bad_packets"] and counters["bad_messages"] and counters["unmapped_messages"]
    assert counters["unknown_orders"]
    (channel,) = counters["channels"]  # type: ignore[misc]
    assert channel["gaps"] and channel["sequence_resets"] > 1 and channel["duplicates"]


@needs_kernel
def test_kernel_on_a_clean_day_matches_the_builders_books() -> None:
    market = xdp.Market(5, {"IBM": 2, "T": 4})
    market.open()
    market.run(5000, per_packet=20)
    feed = XdpFeed()
    for i, data in enumerate(market.packets):
        feed.packet(1, "A", data, i)
    assert feed._kernel is parse.KERNEL
    for x in market.listings.values():
        (sym,) = [s for s in feed.symbols.values() if s.symbol == x.symbol]
        assert sym.book.orders == x.book.orders
    assert feed.channels[1].messages == market.seq - 1


@needs_kernel
def test_kernel_offsets_are_the_layout_tables_and_the_spec_tables() -> None:
    kernel = parse.KERNEL
    specs = {
        m.ADD_ORDER: xdp.ADD_ORDER,
        m.MODIFY_ORDER: xdp.MODIFY_ORDER,
        m.DELETE_ORDER: xdp.DELETE_ORDER,
        m.ORDER_EXECUTION: xdp.ORDER_EXECUTION,
        m.REPLACE_ORDER: xdp.REPLACE_ORDER,
    }
    names = {  # messages.py field name → the builder's spec-table name
        "source_time_ns": "ns", "symbol_index": "index", "symbol_seq_num": "sseq",
        "order_id": "order", "new_order_id": "new_order", "trade_id": "trade",
        "price": "price", "volume": "volume", "side": "side", "printable_flag": "printable",
    }  # fmt: skip
    offsets = kernel.offsets()
    assert len(offsets) == 32
    for (msg_type, name), offset in offsets.items():
        spec = {n: (code, at) for n, code, at in specs[msg_type].fields()}
        code, at = spec[names[name]]
        assert offset == at, (msg_type, name)
        assert code == kernel.READS[msg_type, name], (msg_type, name)


@needs_kernel
def test_a_layout_the_kernel_reads_differently_is_refused() -> None:
    kernel = parse.KERNEL
    add = m.LAYOUTS[m.ADD_ORDER]
    widened = m._layout(add.type, add.name, "<IIIQQIc5sB", " ".join(add.fields), add.source)
    assert kernel.field_offsets(widened)["price"] == (24, "Q")
    with pytest.raises(ImportError, match=r"Add Order.price is 'Q'; the kernel reads 'I'"):
        kernel.offsets({**m.LAYOUTS, m.ADD_ORDER: widened})


def test_pure_python_env_leaves_the_reference_in_charge(monkeypatch: pytest.MonkeyPatch) -> None:
    from mdc.domain import native

    monkeypatch.setenv(native.PURE_ENV, "1")
    assert native.load("mdc.providers.nyse.kernel") is None
    monkeypatch.setattr(parse, "KERNEL", None)
    assert XdpFeed().counters()["decoder"] == "python"
    monkeypatch.undo()
    assert XdpFeed(compiled=False).counters()["decoder"] == "python"


def _import(tmp_path: Path, pcap: Path, name: str) -> dict[str, bytes]:
    """``mdc import nyse-xdp`` of ``pcap`` into its own root: every archive file's bytes."""
    root = tmp_path / name
    cfg = tmp_path / f"{name}.toml"
    cfg.write_text(
        f'[storage]\nroot = "{root}"\n[providers.nyse]\n'
        'channels = [{id = 1, lines = ["239.10.1.1:41001", "239.10.2.1:41001"]}]\n'
    )
    result = CliRunner().invoke(app, ["import", "nyse-xdp", str(pcap), "-c", str(cfg), "--json"])
    assert result.exit_code == 0, result.output
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and "_mdc" not in path.parts
    }


@needs_kernel
def test_pcap_import_writes_byte_identical_archives_on_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = []
    for i, (line, data) in enumerate(session(4, 4000)):
        group = "239.10.1.1" if line == "A" else "239.10.2.1"
        frames.append((1_764_000_000_000_000_000 + i * 1000, group, 41001, data))
    pcap = tmp_path / "day.pcap"
    xdp.write_pcap(pcap, frames)
    kernel = _import(tmp_path, pcap, "kernel")
    monkeypatch.setattr(parse, "KERNEL", None)
    python = _import(tmp_path, pcap, "python")
    assert sorted(kernel) == sorted(python)
    assert any("book_deltas" in name for name in kernel) and any("trades" in n for n in kernel)
    for name, data in kernel.items():
        assert data == python[name], name


@needs_kernel
@pytest.mark.parametrize("seed", [3, 4])
def test_compiled_book_answers_every_operation_as_the_reference(seed: int) -> None:
    """Random operations (live and unknown ids, repeated prices, executions past the open
    volume, replaces onto live ids, clears) on ``OrderBook`` and the kernel's ``Book``: every
    return value and the whole state agree, through table growth and deletion shifts."""
    rng = random.Random(seed)
    ref, book = OrderBook(trusted=True), parse.KERNEL.Book(True)
    ids: list[int] = []
    for step in range(40_000):
        roll = rng.randrange(100)
        known = rng.choice(ids) if ids and rng.random() < 0.9 else rng.getrandbits(64)
        price, volume = rng.randrange(1000, 1040), rng.randrange(0, 500)
        if step in (9_999, 20_001):
            call: tuple[object, ...] = ("clear",)
        elif roll < 40 or not ids:
            order_id = rng.getrandbits(rng.choice((8, 32, 64)))
            ids.append(order_id)
            call = ("add", order_id, rng.random() < 0.5, price, volume)
        elif roll < 55:
            live = ref.order(known)
            same = live is not None and rng.random() < 0.5  # a volume-only change, or none
            call = ("modify", known, live[1] if live and same else price, volume)
        elif roll < 70:
            call = ("delete", known)
        elif roll < 85:
            call = ("execute", known, rng.randrange(0, 600))
        elif roll < 97:
            new_id = rng.choice(ids) if rng.random() < 0.1 else rng.getrandbits(40)
            ids.append(new_id)
            call = ("replace", known, new_id, price, volume)
        else:
            call = ("order", known)
        name, *args = call
        assert getattr(book, str(name))(*args) == getattr(ref, str(name))(*args), (step, call)
        if step % 5_000 == 0 or name == "clear":
            assert (book.orders, book.bids, book.asks, len(book)) == (
                ref.orders,
                ref.bids,
                ref.asks,
                len(ref),
            )
            assert book.levels(True) == ref.levels(True)
            assert book.levels(False) == ref.levels(False)
    assert book.orders == ref.orders and len(ref) > 1000
    assert (book.bids, book.asks) == (ref.bids, ref.asks)
