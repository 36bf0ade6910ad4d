"""IB's market-depth rows turned into price-level changes (``BookDelta``).

IB describes depth as rows by position (https://interactivebrokers.github.io/tws-api/market_depth.html,
read 2026-12-02): *insert* puts a row at ``position`` and shifts the rows below down, *update*
replaces the row, *delete* removes it and shifts the rows below up. ib_async keeps a dict per
side keyed by position (``wrapper.py`` ``updateMktDepthL2``: insert overwrites, delete does not
shift), so its ``domBids``/``domAsks`` drift; this book applies the documented list semantics to
the raw ``MktDepthData`` rows instead. With SmartDepth several exchanges can hold rows at one
price, so the level size emitted is the sum of the rows at that price.
"""

from __future__ import annotations

from typing import Final

from mdc.domain.events import BookSide

INSERT, UPDATE, DELETE = 0, 1, 2
SIDES: Final[dict[int, BookSide]] = {0: "ask", 1: "bid"}

Change = tuple[BookSide, float, float]
"""(side, price, new total size at that price; 0 removes the level)."""


class RowBook:
    """One contract's rows on both sides, at most ``rows`` per side."""

    __slots__ = ("rows", "sides")

    def __init__(self, rows: int) -> None:
        self.rows = rows
        self.sides: dict[BookSide, list[tuple[float, float]]] = {"bid": [], "ask": []}

    def apply(
        self, position: int, operation: int, side: int, price: float, size: float
    ) -> list[Change]:
        """Apply one row message; return the price levels whose total changed."""
        name = SIDES[side]
        rows = self.sides[name]
        before = _totals(rows)
        if operation == INSERT:
            rows.insert(min(position, len(rows)), (price, size))
            del rows[self.rows :]
        elif operation == UPDATE:
            if position < len(rows):
                rows[position] = (price, size)
            else:
                rows.append((price, size))
        elif operation == DELETE:
            if position < len(rows):
                del rows[position]
        else:
            raise ValueError(f"unknown depth operation {operation}")
        after = _totals(rows)
        changed = [(name, p, after.get(p, 0.0)) for p in before if after.get(p, 0.0) != before[p]]
        changed += [(name, p, s) for p, s in after.items() if p not in before]
        return changed

    def clear(self) -> None:
        for rows in self.sides.values():
            rows.clear()


def _totals(rows: list[tuple[float, float]]) -> dict[float, float]:
    totals: dict[float, float] = {}
    for price, size in rows:
        totals[price] = totals.get(price, 0.0) + size
    return totals
