"""Arithmetic on ``[start, end)`` nanosecond spans: sessions minus halts, gaps within sessions."""

from __future__ import annotations

from collections.abc import Iterable

Span = tuple[int, int]


def union(spans: Iterable[Span]) -> list[Span]:
    """Sorted, non-overlapping spans covering the same instants (empty spans dropped)."""
    merged: list[Span] = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if merged and a <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], b))
        else:
            merged.append((a, b))
    return merged


def subtract(spans: Iterable[Span], cuts: Iterable[Span]) -> list[Span]:
    """What of ``spans`` no span of ``cuts`` covers."""
    cut = union(cuts)
    out: list[Span] = []
    for a, b in union(spans):
        cursor = a
        for c, d in cut:
            if d <= cursor or c >= b:
                continue
            if c > cursor:
                out.append((cursor, c))
            cursor = max(cursor, d)
        if cursor < b:
            out.append((cursor, b))
    return out


def intersect(spans: Iterable[Span], within: Iterable[Span]) -> list[Span]:
    """The parts of ``spans`` inside ``within``."""
    inner = union(within)
    return union(
        (max(a, c), min(b, d)) for a, b in union(spans) for c, d in inner if a < d and c < b
    )


def length(spans: Iterable[Span]) -> int:
    return sum(b - a for a, b in union(spans))
