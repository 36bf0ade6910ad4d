"""Instrument registry search latency (what the dashboard's search-as-you-type waits for)
against a raw SQLite floor on the same file.

The registry holds a built US-equity universe: ``LISTINGS`` Polygon-style listings with FIGIs
and, for half of them, Alpaca-style listings without (so searches merge two providers). Stages,
each the median over ``QUERIES`` typed prefixes and words, best of ``ROUNDS``:

- ``sqlite floor``: one ``SELECT`` of the same candidate rows (symbol / name ``LIKE``) on an
  open connection: what any SQLite-backed search must at least do;
- ``Registry.search``: the real call (connection, ranking, merging each hit's listings).

    python benchmarks/registry_search.py         # prints the table, updates BENCHMARKS.md
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import string
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Final

import report

ROOT: Final = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from mdc.instruments.registry import CANDIDATES, Registry  # noqa: E402
from mdc.providers.base import SymbolInfo  # noqa: E402

LISTINGS: Final = 40_000
QUERIES: Final = ("a", "ap", "app", "appl", "holdings", "zz", "qx", "corp", "m", "xyzw")
ROUNDS: Final = 3
LIMIT: Final = 10
OUTPUT: Final = ROOT / "benchmarks" / "BENCHMARKS.md"
BUDGET_MS: Final = 50.0
"""Below this a keystroke's answer feels instant (the page debounces 150 ms)."""


def build(root: Path, listings: int) -> int:
    rng = random.Random(7)
    symbols: set[str] = set()
    while len(symbols) < listings:
        symbols.add("".join(rng.choice(string.ascii_uppercase) for _ in range(rng.randint(1, 5))))
    ordered = sorted(symbols)
    polygon = [
        SymbolInfo(
            symbol=s,
            provider="polygon",
            provider_symbol=s,
            name=f"{s} Holdings Corp",
            asset_class="equity",
            mic="XNYS",
            composite_figi=f"BBG{i:09d}",
        )
        for i, s in enumerate(ordered)
    ]
    alpaca = [
        SymbolInfo(symbol=s, provider="alpaca", provider_symbol=s, asset_class="equity")
        for s in ordered[::2]
    ]
    registry = Registry(root)
    registry.store("polygon", polygon, date(2026, 12, 3))
    registry.store("alpaca", alpaca, date(2026, 12, 3))
    return len(polygon) + len(alpaca)


def floor(path: Path, q: str) -> None:
    with sqlite3.connect(path) as db:
        like = f"%{q}%"
        db.execute(
            "SELECT * FROM listings WHERE valid_to IS NULL AND (symbol LIKE ? OR name LIKE ?) "
            "LIMIT ?",
            (like, like, CANDIDATES),
        ).fetchall()


def median_ms(fn: object, rounds: int) -> float:
    best = []
    for _ in range(rounds):
        times = []
        for q in QUERIES:
            t0 = time.perf_counter()
            fn(q)  # type: ignore[operator]
            times.append((time.perf_counter() - t0) * 1000)
        best.append(statistics.median(times))
    return min(best)


def measure(listings: int = LISTINGS, rounds: int = ROUNDS) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = build(root, listings)
        registry = Registry(root)
        raw = median_ms(lambda q: floor(registry.path, q), rounds)
        real = median_ms(lambda q: registry.search(q, limit=LIMIT), rounds)
    return {"rows": rows, "floor": raw, "search": real}


def render(r: dict[str, float]) -> str:
    rows = [
        ["sqlite floor", f"{r['floor']:.1f}", "1.00"],
        ["Registry.search", f"{r['search']:.1f}", f"{r['floor'] / r['search']:.2f}"],
    ]
    verdict = "within" if r["search"] <= BUDGET_MS else "over"
    return (
        "## Instrument registry search (one core)\n\n"
        f"{report.machine()}\n\n"
        f"Written by `benchmarks/registry_search.py`: {int(r['rows']):,} listings (two "
        f"providers, merged by FIGI and symbol), median over {len(QUERIES)} typed queries, best "
        f"of {ROUNDS}, {LIMIT} results each. Floor = one SQLite SELECT of the candidate rows; "
        "search = `Registry.search` (connection, ranking, merged instruments).\n\n"
        + report.table(["stage", "ms per query", "× floor (speed)"], rows)
        + f"\n{verdict} the {BUDGET_MS:.0f} ms a keystroke may take to feel instant.\n"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="registry search latency")
    parser.add_argument("--no-write", action="store_true", help="print only")
    parser.add_argument("--quick", action="store_true", help="a small run (tests)")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="markdown file to update")
    args = parser.parse_args(argv)
    result = measure(2_000, 1) if args.quick else measure()
    text = render(result)
    print(text)
    if not args.no_write:
        report.write(args.output, "registry", text)


if __name__ == "__main__":
    main()
