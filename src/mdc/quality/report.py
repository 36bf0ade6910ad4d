"""A data-quality verdict over an archive: completeness, anomalies and scores per symbol.

:func:`build_report` runs the completeness checker and replays each symbol's days through the
same anomaly detectors the live collector runs. A symbol's score (docs/quality.md)::

    penalty = min(MAX_PENALTY, (5 * errors + 1 * warnings) / session days)
    score = max(0, completeness score - penalty)

where the completeness score is the days' scores weighted by their expected seconds.
``html.py`` renders the report for people, :meth:`QualityReport.to_dict` for machines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any, Final

import msgspec

from mdc.backfill.archive import open_view
from mdc.backfill.gaps import GapFinder
from mdc.backfill.jobs import JobStore
from mdc.config.schema import Config
from mdc.domain.events import Integrity
from mdc.domain.time import date_to_ns
from mdc.quality.anomalies import KINDS, detector
from mdc.quality.completeness import (
    CompletenessChecker,
    DayCompleteness,
    halted_spans,
    overall_score,
)
from mdc.quality.source import ArchiveEvents

ERROR_WEIGHT: Final = 5.0
WARNING_WEIGHT: Final = 1.0
MAX_PENALTY: Final = 40.0


class SymbolScore(msgspec.Struct, frozen=True, kw_only=True):
    symbol: str
    completeness: float | None
    errors: int
    warnings: int
    score: float | None


class QualityReport(msgspec.Struct, kw_only=True):
    start: date
    end: date
    symbols: list[str]
    kinds: list[str]
    days: list[DayCompleteness]
    findings: list[Integrity]
    scores: list[SymbolScore]

    def to_dict(self) -> dict[str, Any]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "symbols": self.symbols,
            "kinds": self.kinds,
            "scores": msgspec.to_builtins(self.scores),
            "days": [d.to_dict() for d in self.days],
            "findings": msgspec.to_builtins(self.findings),
            "finding_counts": dict(Counter(f.kind for f in self.findings)),
        }


def symbol_score(
    symbol: str, days: Sequence[DayCompleteness], findings: Sequence[Integrity]
) -> SymbolScore:
    completeness = overall_score(days)
    errors = sum(1 for f in findings if f.severity == "error")
    warnings = sum(1 for f in findings if f.severity == "warning")
    sessions = len({d.day for d in days})
    score = None
    if completeness is not None:
        penalty = min(MAX_PENALTY, (ERROR_WEIGHT * errors + WARNING_WEIGHT * warnings) / sessions)
        score = round(max(0.0, completeness - penalty), 1)
    return SymbolScore(
        symbol=symbol, completeness=completeness, errors=errors, warnings=warnings, score=score
    )


def check_completeness(
    config: Config,
    symbols: Sequence[str],
    start: date,
    end: date,
    kinds: Sequence[str] = ("trades", "quotes"),
    interval: str = "1m",
) -> list[DayCompleteness]:
    """Completeness of ``symbols`` from ``start`` to ``end`` (inclusive) in ``config``'s
    archive, halts (stored ``Status`` events) taken out."""
    root = config.storage.root
    source = ArchiveEvents(root)
    finder = GapFinder(config, open_view(config), JobStore(root))
    lo, hi = date_to_ns(start), date_to_ns(end + timedelta(days=1))
    halts = {s: halted_spans(source.statuses(s, lo, hi), hi) for s in symbols}
    return CompletenessChecker(finder).check(symbols, start, end, kinds, interval, halts)


def find_anomalies(config: Config, symbol: str, start: date, end: date) -> list[Integrity]:
    """What the detectors find replaying ``symbol``'s stored days from ``start`` to ``end``,
    with the ``Integrity`` events the collectors stored (crossed books, sequence gaps, …), in
    time order. Stored findings of the live detectors are left out: the replay finds them
    again."""
    source = ArchiveEvents(config.storage.root)
    lo, hi = date_to_ns(start), date_to_ns(end + timedelta(days=1))
    judge = detector(config.quality)
    found = judge.process(source.replay(symbol, lo, hi)) + judge.flush()
    found += [e for e in source.integrity(symbol, lo, hi) if e.kind not in KINDS]
    return sorted(found, key=lambda f: f.ts_event)


def build_report(
    config: Config,
    symbols: Sequence[str],
    start: date,
    end: date,
    kinds: Sequence[str] = ("trades", "quotes"),
    interval: str = "1m",
) -> QualityReport:
    """Check ``symbols`` from ``start`` to ``end`` (inclusive) in ``config``'s archive."""
    days = check_completeness(config, symbols, start, end, kinds, interval)
    findings: list[Integrity] = []
    scores: list[SymbolScore] = []
    for symbol in symbols:
        mine = find_anomalies(config, symbol, start, end)
        findings += mine
        scores.append(symbol_score(symbol, [d for d in days if d.symbol == symbol], mine))
    return QualityReport(
        start=start,
        end=end,
        symbols=list(symbols),
        kinds=list(kinds),
        days=days,
        findings=findings,
        scores=scores,
    )
