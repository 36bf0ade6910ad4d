"""``mdc symbols``: search and show instruments, refresh the registry, add/remove symbols on
the running collector, import/export watchlists, index lists.

Search and show read the local registry (``<root>/_mdc/instruments``, instant and offline);
``--live`` asks the providers and keeps what they answer. ``add``/``remove`` talk to the
running collector's HTTP API (``--url``, default from ``[http]``; ``MDC_API_KEY`` is sent when
set). See docs/symbols.md.
"""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Final

import httpx
import msgspec
import typer

from mdc.cli.common import (
    EXIT_USAGE,
    ConfigOption,
    console,
    fail,
    load,
    note,
    print_table,
)
from mdc.config.schema import Config
from mdc.domain.time import today_utc
from mdc.instruments.holdings import describe, holdings
from mdc.instruments.indexes import INDEXES, Indexes, IndexListError
from mdc.instruments.record import FIELDS, Instrument
from mdc.instruments.refresh import (
    default_providers,
    keep_found,
    lookup_providers,
    map_symbols,
    refresh,
)
from mdc.instruments.registry import Registry
from mdc.instruments.watchlists import (
    Entry,
    WatchlistError,
    Watchlists,
    dumps,
    format_of,
    from_symbols,
    loads,
)
from mdc.providers.base import ProviderError
from mdc.providers.registry import UnknownProvider, all_specs, get_spec
from mdc.providers.search import search_providers, searchable
from mdc.web.security import HEADER

app = typer.Typer(help="Search instruments, manage subscriptions, watchlists and index lists.")

TIMEOUT_S: Final = 30.0
JsonOption = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
AsOfOption = Annotated[
    str | None, typer.Option("--as-of", metavar="YYYY-MM-DD", help="As the registry stood then.")
]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", envvar="MDC_URL", help="The running collector (default: from [http] config)."
    ),
]
FormatOption = Annotated[
    str | None, typer.Option("--format", help="csv or json (default: the file's suffix, csv).")
]


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        fail(f"--as-of: expected YYYY-MM-DD, got {text!r}", EXIT_USAGE)


def _providers(names: list[str] | None, search_only: bool = True) -> list[str]:
    for name in names or []:
        try:
            spec = get_spec(name)
        except UnknownProvider as exc:
            fail(f"--provider: {exc}", EXIT_USAGE)
        if search_only and spec.search is None:
            fail(
                f"--provider: {name!r} has no symbol search; with one: {', '.join(searchable())}",
                EXIT_USAGE,
            )
    return list(names or [])


def _rows(found: list[Instrument]) -> list[tuple[str, ...]]:
    return [
        (
            i.symbol,
            i.name,
            i.asset_class,
            i.mic,
            i.composite_figi or i.figi,
            ", ".join(f"{p}:{s}" for p, s in i.spellings.items()),
        )
        for i in found
    ]


HEADERS: Final = ("symbol", "name", "class", "mic", "figi", "providers")


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="Ticker, any provider's spelling, or name.")],
    provider: Annotated[
        list[str] | None, typer.Option("--provider", "-p", help="Only this provider (repeat).")
    ] = None,
    asset_class: Annotated[
        str | None, typer.Option("--asset-class", help="equity, etf, crypto, fx, …")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=100)] = 20,
    live: Annotated[
        bool, typer.Option("--live", help="Ask the providers now (and keep their answers).")
    ] = False,
    as_of: AsOfOption = None,
    config_path: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """Search the instrument registry (offline), or the providers with --live."""
    config = load(config_path)
    names = _providers(provider)
    registry = Registry(Path(config.storage.root))
    if live:
        asked = names or lookup_providers(config)
        found = asyncio.run(search_providers(config, asked, text, limit))
        keep_found(registry, found.listings, today_utc())
        for name, error in sorted(found.errors.items()):
            note(f"{name}: {error}")
        if not found.listings:
            fail("no provider answered; see the messages above")
    hits = registry.search(
        text,
        provider=names[0] if len(names) == 1 else None,
        asset_class=asset_class,
        limit=limit,
        as_of=_day(as_of),
    )
    if as_json:
        console.print_json(msgspec.json.encode([describe(i) for i in hits]).decode())
        return
    if not registry.exists:
        fail("the instrument registry is empty: run `mdc symbols refresh` (or search with --live)")
    print_table(HEADERS, _rows(hits))
    note(f"{len(hits)} instruments")


@app.command()
def show(
    symbol: Annotated[
        str, typer.Argument(help="Any provider's spelling (BRK.B, BRK-B, brk-b.us).")
    ],
    as_of: AsOfOption = None,
    config_path: ConfigOption = None,
    as_json: JsonOption = False,
) -> None:
    """One instrument: identity, every provider's spelling, history, what the archive holds."""
    config = load(config_path)
    root = Path(config.storage.root)
    registry = Registry(root)
    found = registry.get(symbol, _day(as_of))
    if found is None:
        fail(
            f"{symbol!r} is not in the instrument registry; run `mdc symbols refresh` or "
            f"`mdc symbols search {symbol} --live`"
        )
    data = {
        **describe(found),
        "history": registry.history(found.key),
        "archive": holdings(root, found.symbol),
    }
    if as_json:
        console.print_json(msgspec.json.encode(data).decode())
        return
    fields = ("symbol", *FIELDS, "tick_size", "lot_size", "active", "key")
    print_table(("field", "value"), [(f, _text(data[f])) for f in fields], title=found.symbol)
    print_table(
        ("provider", "spelling", "from"),
        [(p, s["symbol"], s["from"]) for p, s in data["spellings"].items()],
        title="spellings",
    )
    print_table(
        ("provider", "spelling", "valid from", "valid to"),
        [
            (h["provider"], h["provider_symbol"], h["valid_from"], h["valid_to"] or "now")
            for h in data["history"]
        ],
        title="listings",
    )
    print_table(
        ("type", "partitions", "first", "last", "files", "bytes"),
        [
            (
                h["type"],
                str(h["partitions"]),
                h["first"],
                h["last"],
                str(h["files"]),
                str(h["bytes"]),
            )
            for h in data["archive"]
        ],
        title="archive",
    )


@app.command("refresh")
def refresh_cmd(
    provider: Annotated[
        list[str] | None, typer.Option("--provider", "-p", help="Only this provider (repeat).")
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Load providers' full instrument lists into the registry (default: instruments.providers,
    else every provider with a list whose credentials are set)."""
    config = load(config_path)
    names = _providers(provider) or default_providers(config)
    if not names:
        fail("no provider to refresh from: set credentials (mdc providers) or give --provider")
    report = asyncio.run(refresh(config, Registry(Path(config.storage.root)), names, today_utc()))
    print_table(
        ("provider", "listed", "added", "changed", "removed"),
        [
            (r.provider, str(r.listed), str(r.added), str(r.changed), str(r.removed))
            for r in report.refreshed
        ],
    )
    for name, error in sorted(report.errors.items()):
        note(f"{name}: {error}")
    if not report.refreshed:
        raise typer.Exit(1)


@app.command("map")
def map_cmd(
    symbols: Annotated[list[str], typer.Argument(help="Tickers to map to FIGIs.")],
    config_path: ConfigOption = None,
) -> None:
    """Map tickers to FIGIs through OpenFIGI and keep them in the registry."""
    config = load(config_path)
    try:
        counts = asyncio.run(
            map_symbols(config, Registry(Path(config.storage.root)), symbols, today_utc())
        )
    except ProviderError as exc:
        fail(str(exc))
    print_table(("symbol", "figi listings"), [(s, str(n)) for s, n in counts.items()])


# -- the running collector -------------------------------------------------------------------
def _base_url(config: Config, url: str | None) -> str:
    if url:
        return url.rstrip("/")
    host = config.http.host
    host = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    return f"http://{host}:{config.http.port}"


def _call(config: Config, url: str | None, method: str, path: str, body: Any = None) -> Any:
    base = _base_url(config, url)
    headers = {}
    key = os.environ.get("MDC_API_KEY") or config.http.api_key
    if key:
        headers[HEADER] = key
    try:
        response = httpx.request(method, base + path, json=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.TransportError as exc:
        fail(f"no collector answers at {base} ({exc}); start `mdc collect` or give --url")
    if response.status_code >= 400:
        try:
            detail = response.json().get("detail", response.text)
        except ValueError:
            detail = response.text
        fail(f"{base}: HTTP {response.status_code}: {detail}")
    return response.json()


@app.command()
def add(
    symbols: Annotated[list[str], typer.Argument(help="Symbols to subscribe to now.")],
    depth_levels: Annotated[int, typer.Option("--depth-levels", min=1, max=50)] = 10,
    trades: Annotated[bool, typer.Option("--trades/--no-trades")] = True,
    quotes: Annotated[bool, typer.Option("--quotes/--no-quotes")] = True,
    depth: Annotated[bool, typer.Option("--depth/--no-depth")] = True,
    url: UrlOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Subscribe the running collector to symbols (through its HTTP API)."""
    config = load(config_path)
    body = {
        "symbols": [
            {
                "symbol": s,
                "trades": trades,
                "quotes": quotes,
                "depth": depth,
                "depth_levels": depth_levels,
            }
            for s in symbols
        ]
    }
    result = _call(config, url, "POST", "/api/symbols", body)
    console.print(f"added: {', '.join(result['added']) or '-'}", highlight=False)
    if result["already_subscribed"]:
        console.print(
            f"already subscribed: {', '.join(result['already_subscribed'])}", highlight=False
        )


@app.command()
def remove(
    symbols: Annotated[list[str], typer.Argument(help="Symbols to unsubscribe from now.")],
    url: UrlOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Unsubscribe the running collector from symbols (through its HTTP API)."""
    config = load(config_path)
    for symbol in symbols:
        _call(config, url, "DELETE", f"/api/symbols/{symbol}")
        console.print(f"removed: {symbol}", highlight=False)


# -- watchlists ------------------------------------------------------------------------------
@app.command("import")
def import_cmd(
    file: Annotated[
        Path, typer.Argument(help="CSV or JSON watchlist.", exists=True, dir_okay=False)
    ],
    name: Annotated[
        str | None, typer.Option("--name", help="Save as (default: file name).")
    ] = None,
    fmt: FormatOption = None,
    subscribe: Annotated[
        bool, typer.Option("--subscribe", help="Also subscribe the running collector.")
    ] = False,
    url: UrlOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Read a watchlist file (columns symbol,provider,trades,quotes,depth,depth_levels) and
    save it in the archive; a bad row is named with its column."""
    config = load(config_path)
    try:
        entries = loads(file.read_bytes(), format_of(file, fmt), sorted(all_specs()))
        target = name or file.stem
        Watchlists(Path(config.storage.root), config).save(target, entries)
    except WatchlistError as exc:
        fail(f"{file}: {exc}", EXIT_USAGE)
    note(f"watchlist {target}: {len(entries)} symbols")
    if subscribe:
        result = _call(config, url, "POST", f"/api/watchlists/{target}/subscribe")
        note(f"subscribed: {', '.join(result['added']) or 'nothing new'}")


@app.command()
def export(
    watchlist: Annotated[
        str | None, typer.Option("--watchlist", "-w", help="A saved or configured watchlist.")
    ] = None,
    subscribed: Annotated[
        bool, typer.Option("--subscribed", help="What the running collector is subscribed to.")
    ] = False,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File (default: stdout).")
    ] = None,
    fmt: FormatOption = None,
    url: UrlOption = None,
    config_path: ConfigOption = None,
) -> None:
    """Write a watchlist (default: the config's symbols) as CSV or JSON; importing the file
    and exporting it again gives the same bytes."""
    config = load(config_path)
    kind = format_of(output or Path("x.csv"), fmt)
    if watchlist and subscribed:
        fail("give --watchlist or --subscribed, not both", EXIT_USAGE)
    if subscribed:
        rows = _call(config, url, "GET", "/api/symbols")
        entries = [
            Entry(
                symbol=r["symbol"],
                trades=r["trades"],
                quotes=r["quotes"],
                depth=r["depth"],
                depth_levels=r["depth_levels"],
            )
            for r in rows
        ]
    elif watchlist:
        try:
            entries = Watchlists(Path(config.storage.root), config).get(watchlist)
        except KeyError as exc:
            fail(str(exc.args[0]), EXIT_USAGE)
        except WatchlistError as exc:
            fail(str(exc))
    else:
        entries = from_symbols(config.symbols)
    data = dumps(entries, kind)
    if output is None:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        output.write_bytes(data)
        note(f"{output}: {len(entries)} symbols")


@app.command("watchlists")
def watchlists_cmd(config_path: ConfigOption = None) -> None:
    """The watchlists: saved in the archive and defined in the config."""
    config = load(config_path)
    lists = Watchlists(Path(config.storage.root), config)
    rows = []
    for name, source in lists.names().items():
        entries = lists.get(name)
        rows.append(
            (
                name,
                source,
                str(len(entries)),
                ", ".join(e.symbol for e in entries[:8]) + (" …" if len(entries) > 8 else ""),
            )
        )
    print_table(("watchlist", "source", "symbols", "first"), rows)


# -- index lists -----------------------------------------------------------------------------
@app.command()
def index(
    name: Annotated[str | None, typer.Argument(help=f"One of {', '.join(INDEXES)}.")] = None,
    refresh_list: Annotated[
        bool, typer.Option("--refresh", help="Read the public source page again first.")
    ] = False,
    source: Annotated[
        str | None, typer.Option("--source", help="Another page in the same format.")
    ] = None,
    save: Annotated[
        str | None, typer.Option("--save-as", help="Also save the members as a watchlist.")
    ] = None,
    config_path: ConfigOption = None,
) -> None:
    """Index constituents (S&P 500, Nasdaq-100, Dow 30) with their source and date."""
    config = load(config_path)
    root = Path(config.storage.root)
    lists = Indexes(root)
    if name is None:
        print_table(
            ("index", "title", "members", "as of", "source"),
            [
                (n, (i := lists.get(n)).title, str(len(i.members)), i.as_of, i.source)
                for n in INDEXES
            ],
        )
        return
    try:
        if refresh_list:
            found = asyncio.run(lists.refresh(name, today_utc(), source))
        else:
            found = lists.get(name)
    except IndexListError as exc:
        fail(str(exc.args[0]), EXIT_USAGE if not refresh_list else 1)
    print_table(
        ("symbol", "name", "added"),
        [(m.symbol, m.name, m.added) for m in found.members],
        title=f"{found.title}: {found.source}",
    )
    note(f"{len(found.members)} members, as of {found.as_of}")
    if save:
        try:
            Watchlists(root, config).save(save, [Entry(symbol=m.symbol) for m in found.members])
        except WatchlistError as exc:
            fail(str(exc), EXIT_USAGE)
        note(f"saved as watchlist {save}")


def _text(value: Any) -> str:
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
