"""The Textual app of ``mdc tui`` (imported only when Textual, ``mdc[tui]``, is installed)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, ClassVar, Final

import httpx
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Header, Input, Sparkline, Static

REFRESH_S: Final = 1.0
TAPE_ROWS: Final = 30
BOOK_LEVELS: Final = 10
GAP_ROWS: Final = 8
TIMEOUT_S: Final = 5.0


def clock(ns: int | None) -> str:
    if not ns:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, tz=UTC).strftime("%H:%M:%S.%f")[:-3]


class CollectorApp(App[None]):
    """Health, providers, throughput, tape and book of one symbol, gaps; keys steer it."""

    TITLE = "mdc"
    CSS = """
    #top { height: 9; }
    #providers { width: 2fr; }
    #side { width: 1fr; }
    #throughput { height: 3; }
    #main { height: 1fr; }
    #tape { width: 1fr; }
    #book { width: 1fr; }
    #gaps { height: 10; }
    #add { dock: bottom; display: none; }
    #add.open { display: block; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "add symbol"),
        Binding("d", "drop", "drop symbol"),
        Binding("n", "next", "next symbol"),
        Binding("p", "previous", "previous symbol"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, base: str, headers: Mapping[str, str], symbol: str | None = None) -> None:
        super().__init__()
        self.base = base
        self.client = httpx.AsyncClient(base_url=base, headers=dict(headers), timeout=TIMEOUT_S)
        self.symbol = symbol
        self.symbols: list[str] = []
        self.error = ""

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="health")
        with Horizontal(id="top"):
            yield DataTable(id="providers", cursor_type="none")
            with Vertical(id="side"):
                yield Static("throughput (events/s)")
                yield Sparkline([], id="throughput")
                yield Static(id="symbols")
        with Horizontal(id="main"):
            yield DataTable(id="tape", cursor_type="none")
            yield DataTable(id="book", cursor_type="none")
        yield DataTable(id="gaps", cursor_type="none")
        yield Input(placeholder="symbol to add, Enter to subscribe, Esc to cancel", id="add")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.base
        self.query_one("#providers", DataTable).add_columns(
            "provider", "state", "messages", "events", "gaps", "reconnects", "last error"
        )
        self.query_one("#tape", DataTable).add_columns("time", "price", "size", "side")
        self.query_one("#book", DataTable).add_columns("bid size", "bid", "ask", "ask size")
        self.query_one("#gaps", DataTable).add_columns("gap", "symbol", "from", "to", "reason")
        self.set_interval(REFRESH_S, self.refresh_all)
        self.call_later(self.refresh_all)

    async def on_unmount(self) -> None:
        await self.client.aclose()

    async def get(self, path: str, **params: Any) -> Any:
        res = await self.client.get(path, params=params or None)
        res.raise_for_status()
        return res.json()

    async def refresh_all(self) -> None:
        try:
            await self._refresh()
        except NoMatches:
            return  # the app closed (its widgets gone) while a refresh waited on the collector

    async def _refresh(self) -> None:
        try:
            health = await self.get("/health")
            providers = await self.get("/api/providers")
            symbols = await self.get("/api/symbols")
            throughput = await self.get("/api/live/throughput")
            gaps = await self.get("/api/quality/events", type="gap", limit=GAP_ROWS)
        except (httpx.HTTPError, ValueError) as exc:
            self.show_health(f"[b red]no answer from {self.base}[/]: {exc}")
            return
        self.symbols = [s["symbol"] for s in symbols]
        if self.symbol not in self.symbols:
            self.symbol = self.symbols[0] if self.symbols else None
        status = health.get("status", "?")
        colour = {"healthy": "green", "degraded": "yellow"}.get(status, "red")
        note = f" · {self.error}" if self.error else ""
        self.show_health(f"health [b {colour}]{status}[/]{note}")
        self.show_providers([p for p in providers if p.get("connection")])
        spark = self.query_one("#throughput", Sparkline)
        spark.data = [row["events_per_s"] for row in throughput][-120:] or [0]
        listed = ", ".join(f"[b]{s}[/]" if s == self.symbol else s for s in self.symbols)
        self.query_one("#symbols", Static).update(f"symbols: {listed or 'none'}")
        self.show_gaps(gaps)
        if self.symbol is not None:
            try:
                live = await self.get(
                    f"/api/live/{self.symbol}", trades=TAPE_ROWS, levels=BOOK_LEVELS
                )
            except (httpx.HTTPError, ValueError):
                return
            self.show_live(live)

    def show_health(self, text: str) -> None:
        self.query_one("#health", Static).update(text)

    def show_providers(self, rows: list[dict[str, Any]]) -> None:
        table = self.query_one("#providers", DataTable)
        table.clear()
        for p in rows:
            c = p["connection"]
            table.add_row(
                p["name"],
                c["state"],
                f"{c['messages']:,}",
                f"{c['events']:,}",
                f"{c['gaps']:,}",
                f"{c['reconnects']:,}",
                c["last_error"] or "-",
            )

    def show_live(self, live: dict[str, Any]) -> None:
        tape = self.query_one("#tape", DataTable)
        tape.clear()
        for t in live["trades"]:
            tape.add_row(clock(t["ts_event"]), f"{t['price']:g}", f"{t['size']:g}", t["side"])
        book = self.query_one("#book", DataTable)
        book.clear()
        bids, asks = live["book"].get("bids", []), live["book"].get("asks", [])
        for i in range(max(len(bids), len(asks))):
            bid = bids[i] if i < len(bids) else None
            ask = asks[i] if i < len(asks) else None
            book.add_row(
                f"{bid[1]:g}" if bid else "",
                f"{bid[0]:g}" if bid else "",
                f"{ask[0]:g}" if ask else "",
                f"{ask[1]:g}" if ask else "",
            )
        tape.border_title = f"tape {live['symbol']} ({live['trade_count']:,} trades)"

    def show_gaps(self, gaps: list[dict[str, Any]]) -> None:
        table = self.query_one("#gaps", DataTable)
        table.clear()
        for g in gaps:
            table.add_row(
                "gap", g["symbol"], clock(g.get("from_ts")), clock(g.get("to_ts")), g["reason"]
            )

    # -- keys ------------------------------------------------------------------------------
    def action_add(self) -> None:
        box = self.query_one("#add", Input)
        box.add_class("open")
        box.value = ""
        box.focus()

    async def on_input_submitted(self, event: Input.Submitted) -> None:
        box = event.input
        box.remove_class("open")
        symbol = event.value.strip().upper()
        if not symbol:
            return
        res = await self.client.post("/api/symbols", json={"symbols": [{"symbol": symbol}]})
        self.error = "" if res.is_success else f"add {symbol}: {_detail(res)}"
        if res.is_success:
            self.symbol = symbol
        await self.refresh_all()

    def on_key(self, event: Any) -> None:
        box = self.query_one("#add", Input)
        if event.key == "escape" and box.has_class("open"):
            box.remove_class("open")
            self.set_focus(None)

    async def action_drop(self) -> None:
        if self.symbol is None:
            return
        res = await self.client.delete(f"/api/symbols/{self.symbol}")
        self.error = "" if res.is_success else f"drop {self.symbol}: {_detail(res)}"
        await self.refresh_all()

    async def action_next(self) -> None:
        await self._step(1)

    async def action_previous(self) -> None:
        await self._step(-1)

    async def _step(self, by: int) -> None:
        if self.symbols:
            at = self.symbols.index(self.symbol) if self.symbol in self.symbols else 0
            self.symbol = self.symbols[(at + by) % len(self.symbols)]
            await self.refresh_all()


def _detail(res: httpx.Response) -> str:
    try:
        return str(res.json()["detail"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {res.status_code}"
