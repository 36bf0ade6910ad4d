"""The Textual app of ``mdc tui --nats URL``: a remote collector set, watched on core NATS.

It subscribes to the collectors' live views itself (``distributed.remote``), so it needs no
HTTP server: the collectors seen with their state, rate and counts, and the symbols of one of
them (``n``/``p`` switch) with their last trade and quote. Imported only with ``mdc[tui]``.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, ClassVar, Final

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Header, Static

from mdc.config.schema import DistributedConfig
from mdc.distributed.connect import shown
from mdc.distributed.remote import RemoteSet

REFRESH_S: Final = 1.0


def _px(value: Any) -> str:
    return "-" if value is None else f"{value:g}"


class RemoteApp(App[None]):
    """Collectors seen on the bus, and the symbols of the chosen one."""

    TITLE = "mdc remote"
    CSS = """
    #collectors { height: 12; }
    #symbols { height: 1fr; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "next", "next collector"),
        Binding("p", "previous", "previous collector"),
        Binding("q", "quit", "quit"),
    ]

    def __init__(self, cfg: DistributedConfig, collector: str | None = None) -> None:
        super().__init__()
        self.remote = RemoteSet(cfg)
        self.collector = collector
        self._watch: asyncio.Task[None] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(id="bus")
        yield DataTable(id="collectors", cursor_type="none")
        yield DataTable(id="symbols", cursor_type="none")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = f"{self.remote.subject} at {shown(self.remote.cfg.servers)}"
        self.query_one("#collectors", DataTable).add_columns(
            "collector", "state", "provider", "events/s", "events", "symbols", "last view"
        )
        self.query_one("#symbols", DataTable).add_columns(
            "symbol", "trades", "quotes", "last", "bid", "ask"
        )
        self._watch = asyncio.create_task(self.remote.run(), name="remote-watch")
        self.set_interval(REFRESH_S, self.refresh_all)

    async def on_unmount(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._watch

    def refresh_all(self) -> None:
        with contextlib.suppress(NoMatches):  # the app closed between two ticks
            self._refresh()

    def _refresh(self) -> None:
        stats = self.remote.stats()
        state = "watching" if stats["connected"] else "[b red]waiting for NATS[/]"
        self.query_one("#bus", Static).update(
            f"{state} · {stats['messages']:,} views · {stats['bad_messages']:,} bad"
        )
        rows = self.remote.rows()
        ids = [r["collector"] for r in rows]
        if self.collector not in ids:
            self.collector = ids[0] if ids else None
        table = self.query_one("#collectors", DataTable)
        table.clear()
        for r in rows:
            name = f"[b]{r['collector']}[/]" if r["collector"] == self.collector else r["collector"]
            table.add_row(
                name,
                "stale" if r["stale"] else ("streaming" if r.get("accepting") else "not accepting"),
                r.get("provider", "-"),
                f"{r.get('events_per_s', 0):,.1f}",
                f"{r.get('events_in', 0):,}",
                f"{r['symbol_count']:,}",
                f"{r['age_s']:.1f} s ago",
            )
        symbols = self.query_one("#symbols", DataTable)
        symbols.clear()
        detail = self.remote.get(self.collector) if self.collector else None
        if detail is None:
            symbols.border_title = "no collector has published a live view yet"
            return
        symbols.border_title = f"symbols of {self.collector}"
        for name in sorted(detail["symbols"]):
            s = detail["symbols"][name]
            symbols.add_row(
                name,
                f"{s['trades']:,}",
                f"{s['quotes']:,}",
                _px(s.get("last_price")),
                _px(s.get("bid")),
                _px(s.get("ask")),
            )

    def action_next(self) -> None:
        self._step(1)

    def action_previous(self) -> None:
        self._step(-1)

    def _step(self, by: int) -> None:
        ids = sorted(self.remote.collectors)
        if ids:
            at = ids.index(self.collector) if self.collector in ids else 0
            self.collector = ids[(at + by) % len(ids)]
            self.refresh_all()
